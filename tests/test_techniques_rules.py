"""The shipped rules model: what it finds in sentences written for these tests, and its lexicon checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratrace.errors import ConfigError
from narratrace.techniques import load_model
from narratrace.techniques.rules import RulesModel


def _found(text: str) -> set[tuple[str, str]]:
    return {(h.technique, text[h.start:h.end]) for h in load_model().detect(text) if h.score >= 0.5}


def test_techniques_rules_word_level_labels() -> None:
    text = "The Dravia regime sent its thugs to the border. Its barbaric raids continue.\n"
    found = _found(text)
    assert ("Name_Calling,Labeling", "Dravia regime") in found
    assert ("Loaded_Language", "barbaric") in found


def test_techniques_rules_clause_level_appeal_to_fear() -> None:
    text = ("The mayor spoke on Monday. If nothing is done, the new arrivals guarantee an outbreak of "
            "violence in our streets.\n")
    hits = [h for h in load_model().detect(text) if h.technique == "Appeal_to_fear-prejudice"]
    assert len(hits) == 1
    span = text[hits[0].start:hits[0].end]
    assert span.startswith("If nothing is done") and span.endswith("in our streets")  # the clause, trimmed


def test_techniques_rules_repetition_of_a_label() -> None:
    text = "The junta lies. The junta steals. The junta kills. We will outlast the junta.\n"
    rep = [text[h.start:h.end] for h in load_model().detect(text) if h.technique == "Repetition"]
    assert rep == ["junta", "junta", "junta"]  # every use after the first


def test_techniques_rules_neutral_news_has_no_hits() -> None:
    text = ("The weather service extended flood warnings for the lower river on Thursday. Emergency crews "
            "moved sandbags to the old town, a spokeswoman said.\n")
    assert _found(text) == set()


def test_techniques_rules_no_match_inside_names() -> None:
    # "Sham" in a group's name, "Nazi" inside a hyphenated name part are not labels
    assert not [h for h in load_model().detect("Fighters of Tahrir al-Sham crossed the border.\n")
                if h.technique == "Loaded_Language"]


def test_techniques_rules_classify_given_spans() -> None:
    text = "Why would anyone believe them? The traitors lied. Traitors, traitors, traitors!\n"
    m = load_model()
    question = (0, text.index("?") + 1)
    first = (text.index("traitors"), text.index("traitors") + 8)
    last = (text.rindex("traitors"), text.rindex("traitors") + 8)
    ranked = m.classify(text, [question, first, last])
    assert ranked[0][0][0] == "Doubt"
    assert ranked[1][0][0] == ranked[2][0][0] == "Repetition"  # used four times in the text
    assert "Name_Calling,Labeling" in [t for t, _ in ranked[1][:2]]
    assert all(len(r) == 14 for r in ranked)


@pytest.mark.parametrize("line, message", [
    ("Doubt\t0.5\tword\n", "5 tab-separated"),
    ("Doubt\tx\tword\ti\tfoo\n", "could not convert"),
    ("Doubt\t0.5\tword\ti\t(unclosed\n", "missing"),
    ("Nonsense\t0.5\tword\ti\tfoo\n", "unknown technique"),
    ("Doubt\t0.5\tsentence\ti\tfoo\n", "scope"),
])
def test_techniques_bad_lexicon_lines_are_config_errors(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "lexicon.tsv").write_text("# header\n" + line, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        RulesModel(tmp_path)


def test_techniques_unknown_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no techniques model"):
        load_model("no-such-model")


def test_techniques_rules_leave_neutral_uses_of_danger_and_lies_alone() -> None:
    """Issue 19: "the danger lies in ..." was reported as loaded language and appeal to fear.
    Measured on the PTC splits: 10 fewer spans (train 2,136 -> 2,128, held-out 631 -> 629), recall equal."""
    assert _found("The danger lies in the details of the treaty.") == set()
    assert _found("This danger is often overlooked by economists.") == set()
    assert ("Loaded_Language", "lies") in _found("They keep spreading lies about the vote.")
    assert ("Appeal_to_fear-prejudice", "This danger has become real for every family") in _found(
        "This danger has become real for every family.")
