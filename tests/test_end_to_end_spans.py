"""End-to-end scoring of span tasks (issue 19): gold spans of a benchmark's text found again in the
text ingestion kept, and the attribution and techniques exports scored against them. The texts are
written here; their gold offsets are those of the raw text, which ingestion moves (a BOM, CRLF,
runs of spaces and no-break spaces are dropped or made plain)."""

from __future__ import annotations

from pathlib import Path

from narratrace.evaluation import SpanFinder
from narratrace.text import normalize_text, normalized_offsets

RAW = "\ufeffHarbour deal  condemned\r\n\r\n\r\nThe mayor\u00a0 said the  deal was\tdisgraceful.\r\n"


def _span(raw: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = raw.index(needle, start + 1)
    return start, start + len(needle)


def test_normalized_offsets_follow_the_characters_ingestion_keeps() -> None:
    text = normalize_text(RAW)
    assert text != RAW and len(text) < len(RAW)
    offsets = normalized_offsets(RAW, text)
    assert offsets is not None and len(offsets) == len(RAW) + 1
    for needle, kept in (("Harbour", "Harbour"), ("condemned", "condemned"), ("said", "said"),
                         ("disgraceful", "disgraceful"), ("mayor\u00a0 said", "mayor said"), ("the  deal", "the deal")):
        a, b = _span(RAW, needle)
        assert text[offsets[a]:offsets[b]] == kept
    assert normalized_offsets(RAW, text + "!") is None          # text that is not RAW thinned
    assert normalized_offsets("Cafe\u0301 said", "Café said") is None  # NFC joined two characters


def test_span_finder_falls_back_to_the_nearest_occurrence_of_the_string() -> None:
    raw = "Cafe\u0301 owners said no. The mayor\u00a0said yes."
    text = normalize_text(raw)
    finder = SpanFinder(raw, text)
    assert finder.offsets is None  # NFC: no character map, found by string
    a, b = _span(raw, "said", 1)
    start, end = finder.find(a, b)
    assert text[start:end] == "said" and start == text.index("said", text.index("mayor"))
    assert text[slice(*finder.find(*_span(raw, "mayor\u00a0said")))] == "mayor said"
    assert finder.find(*_span(raw, "owners")) == (5, 11)
    assert SpanFinder("a  b", "a b").find(2, 3) is None  # a space ingestion dropped: nothing to find
