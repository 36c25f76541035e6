"""The parse narratrace runs is spaCy's own: the cached attribute ruler and lemmatizer change nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

from narratrace.parsing import ENGLISH_MODEL, CachedAttributes, load_english  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "corpus"

# Sentences that reach every kind of ruler pattern: two-token ones ("there is", "gon na", "ai n't",
# "y' all", "let 's", "got ta", "c'm on"), listed words, whitespace tokens, negation, auxiliaries.
TRICKY = [
    "There is no evidence, and there were never any drones.",
    "We're gonna see what they ain't telling us, y'all.",
    "Let's say he's got ta answer; c'mon, it isn't that hard.",
    "She did it.  He had had enough \n of the ministry's claims.",
    "Nothin' was said about that which the minister denied.",
    "I told you it was them who gave it to me, not him.",
    "Do they have what it takes? They do. They have.",
    "\n",
    "",
]


def _sentences() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))]
    out = [s for t in texts for s in re.split(r"(?<=[.!?])\s+|\n", t) if s.strip()]
    return out + TRICKY


def _attributes(doc) -> list[tuple]:
    return [(t.text, t.pos_, t.tag_, t.dep_, t.head.i, t.lemma_, str(t.morph), t.ent_iob_, t.ent_type_)
            for t in doc]


def test_parsing_cached_attributes_match_spacys_components_token_for_token() -> None:
    plain = spacy.load(ENGLISH_MODEL)
    cached = load_english()
    assert "narratrace_cached_attributes" in cached.pipe_names
    assert "attribute_ruler" not in cached.pipe_names and "lemmatizer" not in cached.pipe_names
    sentences = _sentences()
    assert len(sentences) > 100
    expected = [_attributes(d) for d in plain.pipe(sentences)]
    component = cached.get_pipe("narratrace_cached_attributes")
    # Twice: the first pass fills the caches (the ruler runs), the second reads them. (The pipeline
    # is the process's one, so earlier tests may have filled the caches already.)
    runs = []
    for _ in range(2):
        before = component.ruler_runs
        got = [_attributes(d) for d in cached.pipe(sentences)]
        assert got == expected
        runs.append(component.ruler_runs - before)
    assert runs[1] < len(sentences) / 4  # the second pass read the caches for most sentences


def test_parsing_cached_attributes_refuse_a_ruler_pattern_outside_their_key() -> None:
    nlp = spacy.load(ENGLISH_MODEL)
    ruler, lemmatizer = nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer")
    assert CachedAttributes.wrap(ruler, lemmatizer) is not None
    ruler.add([[{"ENT_TYPE": "GPE"}]], {"POS": "PROPN"})
    assert CachedAttributes.wrap(ruler, lemmatizer) is None


@pytest.mark.parametrize("text, ship, others", [
    ("Customs searched the freighter Solen Crest on Monday. The Solen Crest left port on Friday, and "
     "Captain Ivo Lind said Solen Crest would return.", "Solen Crest", {"Ivo Lind": "PERSON"}),
    ("Drone parts were found in containers taken off a foreign-flagged freighter, the Solen Crest. "
     "The Solen Crest remains under guard.", "Solen Crest", {}),
    ("The Solen Crest: an ageing freighter at the centre of a storm\n\n"
     "Until last week, almost nobody in Kessport had heard of the Solen Crest.", "Solen Crest", {}),
])
def test_a_ships_name_is_a_product_at_each_of_its_mentions(text: str, ship: str, others: dict[str, str]) -> None:
    """A name after a noun of a vessel, or beside one, is a ship's (``PRODUCT``, OntoNotes' label for
    vehicles) wherever the article names it, whatever the tagger called it there."""
    from narratrace.parsing import ner_spans, parse_units

    units, _, _ = parse_units(load_english(), text, [], [])
    found = [(text[s:e], label) for s, e, label in ner_spans(units)]
    ships = [label for name, label in found if name.removeprefix("the ").removeprefix("The ") == ship]
    assert ships and set(ships) == {"PRODUCT"}, found
    for name, label in others.items():
        assert (name, label) in found


@pytest.mark.parametrize("text, name, label", [
    ("The tanker Russia seized last year was released. Russia denied it.", "Russia", "GPE"),  # starts a clause
    ("The ferry operator Stena Line cut its sailings.", "Stena Line", None),                 # an operator
    ("Olaf Berg, the captain of the vessel, said Berg would stay.", "Olaf Berg", "PERSON"),
])
def test_a_name_near_a_vessel_noun_keeps_its_label_when_it_is_not_the_ships(text: str, name: str,
                                                                             label: str | None) -> None:
    from narratrace.parsing import ner_spans, parse_units

    units, _, _ = parse_units(load_english(), text, [], [])
    found = {text[s:e]: lab for s, e, lab in ner_spans(units)}
    assert found.get(name) != "PRODUCT", found
    if label:
        assert found.get(name) == label, found
