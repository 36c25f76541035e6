"""Hedges: the words with which a text distances itself from what it reports.

"reportedly", "allegedly", "it is believed", "is said to", "reports suggest"... A hedge does not
make a claim false; it says the writer does not vouch for it, which is what an analyst tracing a
claim wants to see next to each appearance.
"""

from __future__ import annotations

import re

__all__ = ["HEDGE_PATTERNS", "find_hedges"]

_BE = r"(?:is|are|was|were|has\s+been|have\s+been|had\s+been|being)"
_EVIDENTIAL = r"(?:reported|believed|thought|said|claimed|alleged|rumou?red|estimated|understood|assumed|suspected|feared)"

#: Hedge phrases, as regular expressions (matched case-insensitively, on word boundaries).
HEDGE_PATTERNS: tuple[str, ...] = (
    # impersonal passives: "it is believed", "it was reported", "it has been estimated"
    rf"it\s+{_BE}(?:\s+(?:also|widely|now|further|already|previously))?\s+{_EVIDENTIAL}",
    # raising passives: "is said to", "are believed to", "were reported to"
    rf"{_BE}(?:\s+(?:also|widely|now|further|already|still))?\s+{_EVIDENTIAL}\s+to",
    r"(?:reports|sources|rumou?rs)\s+(?:suggest|suggested|indicate|indicated|claim|claimed|say|said)",
    r"there\s+(?:are|were|have\s+been)\s+(?:unconfirmed\s+)?reports",
    r"according\s+to\s+(?:unconfirmed|some|several|media|press|unverified)\s+reports",
    r"(?:appears?|appeared|seems?|seemed)\s+to",
    r"reportedly", r"allegedly", r"purportedly", r"supposedly", r"apparently", r"presumably",
    r"seemingly", r"ostensibly", r"probably", r"possibly", r"perhaps", r"(?:most\s+|more\s+than\s+)?likely",
    r"alleged", r"unconfirmed", r"unverified", r"rumou?red", r"so-called",
)
_HEDGES = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in HEDGE_PATTERNS) + r")\b", re.IGNORECASE)


def find_hedges(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """``(start, end, text)`` of each hedge in ``text[start:end]`` (offsets into ``text``)."""
    return [(m.start(), m.end(), " ".join(m.group().split()))
            for m in _HEDGES.finditer(text, start, len(text) if end is None else end)]
