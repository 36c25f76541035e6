"""Sentence boundaries at the line breaks that close a headline, dateline or byline, and nowhere else."""

from __future__ import annotations

from narratrace.text import sentence_spans


def _sentences(text: str) -> list[str]:
    return [text[s.start:s.end] for s in sentence_spans(text)]


def test_sentences_headline_date_and_outlet_lines_are_sentences_of_their_own() -> None:
    text = ("Harbour drones: ministry denies \"theatre\"\nSunday, 6 April 2025\nArlen Valley Gazette, Sport\n\n"
            "The ministry said on Sunday that no drones had flown over the harbour.")
    assert _sentences(text) == ["Harbour drones: ministry denies \"theatre\"", "Sunday, 6 April 2025",
                                "Arlen Valley Gazette, Sport",
                                "The ministry said on Sunday that no drones had flown over the harbour."]


def test_sentences_a_title_line_over_a_long_first_line_is_cut_off() -> None:
    text = ("Kessport port closes after drone reports\nOfficials at the port of Kessport closed two terminals on "
            "Tuesday after workers reported drones over the cranes, the harbour authority said.\n\nMore later.")
    assert _sentences(text)[:2] == [
        "Kessport port closes after drone reports",
        "Officials at the port of Kessport closed two terminals on Tuesday after workers reported drones over "
        "the cranes, the harbour authority said."]


def test_sentences_wrapped_prose_stays_one_sentence() -> None:
    text = ("Title\n\nThe minister said that the drones had come from the\nsouth and were shot down over the "
            "harbour on\nTuesday night, officials said. Nobody was hurt.\n\nEnd.")
    assert _sentences(text)[1:3] == [
        "The minister said that the drones had come from the\nsouth and were shot down over the harbour on\n"
        "Tuesday night, officials said.", "Nobody was hurt."]
    # A wrapped line that happens to end before a capital, in a paragraph where other lines start lower case.
    text = ("Title\n\nOfficials at the port said on Tuesday that the drones came from\nMarrenland and were "
            "seen by several workers on the\nnight shift, who filmed them.\n\nEnd.")
    assert len(_sentences(text)) == 3


def test_sentences_a_line_that_goes_on_is_not_cut() -> None:
    text = "Title\n\nBy Oda Fenmark and\nLars Brenn\nThe minister will face the committee on Friday, aides said."
    got = _sentences(text)
    assert "By Oda Fenmark and\nLars Brenn" in got
    assert got[-1] == "The minister will face the committee on Friday, aides said."
