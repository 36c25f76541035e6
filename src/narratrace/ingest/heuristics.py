"""Metadata recovered from text: title, date, outlet (for plain text), and language."""

from __future__ import annotations

from .record import Record

__all__ = ["detect_language", "infer_metadata"]


def detect_language(text: str) -> str | None:
    """ISO 639-1 code by CLD2 (compiled, ~50 µs per article), None when unsure."""
    import pycld2

    try:
        reliable, _, details = pycld2.detect(text[:20000])
    except pycld2.error:
        return None
    code = details[0][1]
    return code if reliable and code not in ("un", "xx") else None


def infer_metadata(record: Record) -> Record:
    return record
