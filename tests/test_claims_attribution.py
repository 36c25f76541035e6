"""Attribution, quotes, hedges and carry-over on sentences written for these tests."""

from __future__ import annotations

import re

import pytest

from narratrace.ingest import Record, build_article
from narratrace.model import Article
from narratrace.claims import Claim, extract_claims, find_hedges, find_quotes
from narratrace.claims.extract import ClaimOptions


def _article(text: str, *, language: str | None = "en") -> Article:
    art = build_article(Record(ref="t", text=text, source="t.txt", kind="txt", language=language))
    assert isinstance(art, Article)
    return art


def _claims(text: str) -> tuple[Article, dict[str, Claim]]:
    """Every sentence becomes a claim (threshold 0), keyed by its first words."""
    art = _article(text)
    found = extract_claims(art, ClaimOptions(threshold=0.0))
    return art, {" ".join(art.text[c.start:c.end].split()[:3]): c for c in found.claims}


def test_claims_attribution_reporting_verb_with_subject() -> None:
    art, claims = _claims("The harbour ministry said on Tuesday that 40 drones were found in the port of Kessport.")
    a = claims["The harbour ministry"].attribution
    assert (a.source, a.source_kind, a.cue, a.quote, a.carried) == (
        "The harbour ministry", "government", "said", "indirect", False)
    assert art.text[a.source_start:a.source_end] == "The harbour ministry"
    assert art.text[a.cue_start:a.cue_end] == "said"


def test_claims_attribution_according_to_person_with_role() -> None:
    art, claims = _claims("According to navy spokesman Ivo Lindqvist, 300 sailors arrived in Kessport on Friday.")
    a = claims["According to navy"].attribution
    assert (a.source, a.source_kind, a.cue) == ("Ivo Lindqvist", "person", "according to")
    assert a.source_role == "navy spokesman"
    assert art.text[a.cue_start:a.cue_end] == "According to"


def test_claims_attribution_inverted_said_and_direct_quote_over_two_sentences() -> None:
    text = '"We found forty drones. They were hidden in irrigation pumps," said Tomas Reyvik, a ministry spokesperson.'
    _, claims = _claims(text)
    first, second = claims['"We found forty'].attribution, claims["They were hidden"].attribution
    assert (second.source, second.source_kind, second.cue, second.quote) == ("Tomas Reyvik", "person", "said", "direct")
    assert second.source_role == "a ministry spokesperson"
    assert (first.source, first.quote, first.carried) == ("Tomas Reyvik", "direct", True)


def test_claims_attribution_quoted_paragraph_inherits_the_source_cited_before() -> None:
    text = ("According to navy spokesman Ivo Lindqvist, 300 sailors arrived on Friday.\n\n"
            "“The sailors came from the north. They brought 12 patrol boats with them.”")
    _, claims = _claims(text)
    for key in ("“The sailors came", "They brought 12"):
        a = claims[key].attribution
        assert (a.source_canonical, a.carried, a.quote) == ("Ivo Lindqvist", True, "direct")


def test_claims_attribution_this_was_reported_by_carries_backwards() -> None:
    text = ("A depot for fake passports was set up near the border in March. It is run by a former customs "
            "officer. This was reported by The Guardian.")
    _, claims = _claims(text)
    last = claims["This was reported"].attribution
    assert (last.source, last.source_kind, last.cue, last.carried) == ("The Guardian", "media", "reported", False)
    for key in ("A depot for", "It is run"):
        a = claims[key].attribution
        assert (a.source_canonical, a.carried) == ("The Guardian", True)


def test_claims_attribution_report_on_a_topic_carries_to_its_details() -> None:
    text = ("The regional news channel Solbris reported on attempts to recruit dock workers. "
            "Agents reportedly visited the port twice in May.")
    _, claims = _claims(text)
    a = claims["The regional news"].attribution
    assert (a.source, a.source_kind, a.source_role) == ("Solbris", "media", "regional news channel")
    b = claims["Agents reportedly visited"].attribution
    assert (b.source_canonical, b.carried) == ("Solbris", True)


def test_claims_attribution_short_forms_and_acronyms_resolve_to_the_named_body() -> None:
    text = ("The Northern Fisheries Agency (NFA) announced new quotas on Monday. The agency said that 30 boats "
            "had been inspected. NFA claimed that 4 trawlers broke the rules. In the agency's view, the quotas are fair.")
    _, claims = _claims(text)
    assert claims["The Northern Fisheries"].attribution.source_canonical == "Northern Fisheries Agency"
    agency = claims["The agency said"].attribution
    assert (agency.source, agency.source_canonical, agency.source_kind) == (
        "The agency", "Northern Fisheries Agency", "government")
    assert claims["NFA claimed that"].attribution.source_canonical == "Northern Fisheries Agency"
    view = claims["In the agency's"].attribution
    assert (view.cue, view.source_canonical) == ("view", "Northern Fisheries Agency")


def test_claims_attribution_pronouns_resolve_to_the_person_named_before() -> None:
    text = ("Mara Kettil said the hearing would start on 9 April. She added that 12 witnesses had been called. "
            "Piet Lunder said the hearing was a waste of time. He claimed that 3 witnesses had withdrawn. "
            "She said later that the list was final.")
    _, claims = _claims(text)
    assert claims["She added that"].attribution.source_canonical == "Mara Kettil"
    assert claims["He claimed that"].attribution.source_canonical == "Piet Lunder"
    assert claims["She said later"].attribution.source_canonical == "Mara Kettil"  # she is not he


def test_claims_attribution_capital_city_speaks_for_its_government() -> None:
    art, claims = _claims("Moscow insisted that no troops had crossed the border on 2 March.")
    a = claims["Moscow insisted that"].attribution
    assert (a.source, a.source_canonical, a.source_kind) == ("Moscow", "Russia", "government")
    found = extract_claims(art, ClaimOptions(threshold=0.0))
    assert [m.canonical for m in found.entities if m.label == "GPE"] == ["Moscow"]


@pytest.mark.parametrize("sentence, kind, source", [
    ("A Telegram channel claimed that 50 fighters arrived in Kessport on Sunday.", "social_media", "A Telegram channel"),
    ("Security officials said that 20 militants were arrested on Sunday.", "anonymous", "Security officials"),
    ("Israeli defense sources said 350 soldiers were still at the base.", "anonymous", "Israeli defense sources"),
    ("The Lebanese portal Al Mayadeen wrote that 450 fighters left Idlib.", "media", "Al Mayadeen"),
    ("The union of dock workers warned that 9 ships were waiting offshore.", "organisation", "The union of dock workers"),
])
def test_claims_attribution_source_kinds(sentence: str, kind: str, source: str) -> None:
    _, claims = _claims(sentence)
    (claim,) = claims.values()
    assert (claim.attribution.source, claim.attribution.source_kind) == (source, kind)


def test_claims_attribution_impersonal_passive_is_anonymous_and_hedged() -> None:
    art, claims = _claims("It was reported that the bridge at Kessport was destroyed on 3 May.")
    c = claims["It was reported"]
    assert (c.attribution.source, c.attribution.source_kind, c.attribution.cue) == (None, "anonymous", "reported")
    assert [h for _, _, h in c.hedges] == ["It was reported"]


@pytest.mark.parametrize("sentence", [
    "The bridge over the Arlen river collapsed on 4 March, killing 12 people.",
    "We believe the report about the port of Kessport is wrong.",
    "What did the minister say about the 40 drones?",
    "The ministry did not say how many drones were found in Kessport.",
    "The customs office declined to say where the 3 containers came from.",
    "Marrenland's foreign ministry rejected the accusation within hours on Tuesday.",
])
def test_claims_attribution_none_where_nobody_is_cited(sentence: str) -> None:
    _, claims = _claims(sentence)
    (claim,) = claims.values()
    a = claim.attribution
    assert (a.source, a.source_canonical, a.source_kind, a.cue, a.quote, a.carried) == (
        None, None, "none", None, "none", False)


def test_claims_attribution_hedges_with_spans() -> None:
    text = ("The convoy reportedly crossed the border, and the commander is said to have fled. "
            "Allegedly, 200 fighters are likely to follow, it is believed.")
    hedges = find_hedges(text)
    assert [h for _, _, h in hedges] == ["reportedly", "is said to", "Allegedly", "likely", "it is believed"]
    assert all(text[s:e] == h for s, e, h in hedges)
    assert find_hedges("The unlikely alliance held talks.") == []


def test_claims_attribution_quotes_found_in_all_styles() -> None:
    text = 'He said “one two”, «three four» and "five six".\n\n“Unclosed quote runs to the end\n\nNext.'
    paras = [(0, text.index("\n\n")), (text.index("“Unclosed"), text.rindex("\n\n")), (text.rindex("N"), len(text))]
    spans = [text[a:b] for a, b in find_quotes(text, paras)]
    assert spans == ["“one two”", "«three four»", '"five six"', "“Unclosed quote runs to the end"]


def test_claims_attribution_pronoun_after_a_new_subject_is_that_subject() -> None:
    """The nearest person, the subject of the paragraph's sentence before the quote, is who "he" is; the
    speaker quoted earlier (a paragraph before) is not. "he" went to Freya Dahl here, a woman."""
    text = ("Athletic manager Freya Dahl changed shape at the break, and the game turned.\n\n"
            "\"We were second best for 45 minutes,\" Dahl said afterwards.\n\n"
            "Brenmoor manager Erik Tolle was gracious in defeat. \"Over ninety minutes, maybe a draw was fair. "
            "But you cannot switch off at set pieces at this level, and we did,\" he said.")
    _, claims = _claims(text)
    quoted = [c for key, c in claims.items() if key.startswith("But you cannot")]
    assert [c.attribution.source_canonical for c in quoted] == ["Erik Tolle"]


def test_claims_attribution_a_name_keeps_the_label_the_article_gives_it_most(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tagger called "Veloria" a person once among many GPE mentions ("Veloria announced it had
    found parts"), and the examples' claim got a person as its source; the article's most frequent
    label for the name decides its kind."""
    import narratrace.claims.extract as extract

    text = ("Korvania closed its border crossings on Monday. Trucks bound for Korvania were turned back at the "
            "frontier.\n\nKorvania announced that it had found parts for 40 drones in a cargo ship.")
    spans = extract.ner_spans

    def one_person(units):  # noqa: ANN001, ANN202 - a country the tagger calls a person at its last mention
        found = [(s, e, label) for s, e, label in spans(units) if text[s:e] != "Korvania"]
        at = [m.start() for m in re.finditer("Korvania", text)]
        found += [(s, s + 8, "PERSON" if s == at[-1] else "GPE") for s in at]
        return sorted(found)

    monkeypatch.setattr(extract, "ner_spans", one_person)
    _, claims = _claims(text)
    a = claims["Korvania announced that"].attribution
    assert (a.source, a.source_kind) == ("Korvania", "government")


def test_claims_attribution_a_company_name_is_no_person(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tagger's PERSON "Nordhavn Line" (a shipping line, in the examples) was a person as a source."""
    import narratrace.claims.extract as extract

    text = "Nordhavn Line, which runs a weekly feeder service, told customers that it would add a surcharge of 140 velor."
    spans = extract.ner_spans

    def as_person(units):  # noqa: ANN001, ANN202 - the tagger's spans, the line's name a PERSON
        return sorted([(s, e, lab) for s, e, lab in spans(units) if s > 0] + [(0, 13, "PERSON")])

    monkeypatch.setattr(extract, "ner_spans", as_person)
    _, claims = _claims(text)
    (claim,) = claims.values()
    assert (claim.attribution.source, claim.attribution.source_kind) == ("Nordhavn Line", "organisation")
