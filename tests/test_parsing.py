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
