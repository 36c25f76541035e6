"""Which lines of a corpus are boilerplate: pure functions over line keys, no store.

A line is a paragraph of the text (between newlines). Its key is a 64-bit hash of its lower-cased
words, so spacing and punctuation do not matter. A line is boilerplate for an outlet when at least
``min_articles`` articles of that outlet carry it *and* those articles are otherwise different
(each pair shares less than ``max_overlap`` of its lines). That second test keeps the passages of
a republished story (its copies share most of their lines) and a quote that several articles
repeat inside different paragraphs (not the same line) out of the boilerplate. Articles whose
outlet is unknown form one group, with the stricter ``min_articles_unknown``.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Line", "article_lines", "find_boilerplate", "line_key", "masked"]

_WORD = re.compile(r"\w+")
_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of an article: its character range and key."""

    start: int
    end: int
    key: int


def line_key(text: str) -> int | None:
    """The key of one line (None for a line with no word)."""
    words = _WORD.findall(text.lower())
    if not words:
        return None
    digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1  # fits a signed 64-bit column and JSON


def article_lines(text: str, *, min_words: int = 3, max_words: int = 80) -> list[Line]:
    """The lines of ``text`` that could be boilerplate (between ``min_words`` and ``max_words`` words)."""
    out = []
    for m in _LINE.finditer(text):
        words = len(_WORD.findall(m.group()))
        if min_words <= words <= max_words:
            key = line_key(m.group())
            if key is not None:
                lead = len(m.group()) - len(m.group().lstrip())
                trail = len(m.group()) - len(m.group().rstrip())
                out.append(Line(m.start() + lead, m.end() - trail, key))
    return out


def find_boilerplate(keys: Mapping[str, Sequence[int]], outlet: Mapping[str, str | None], *,
                     min_articles: int = 3, min_articles_unknown: int = 5, max_overlap: float = 0.5,
                     max_checked: int = 200) -> dict[tuple[str, int], int]:
    """``{(outlet, key): articles}`` for each boilerplate line of the corpus.

    ``keys``: the line keys of each article (by id); ``outlet``: each article's outlet (None or ""
    when unknown; such articles form the group ``""``). ``articles`` counts the articles of that
    outlet that carry the line.
    """
    carriers: dict[tuple[str, int], list[str]] = defaultdict(list)
    for article_id, article_keys in keys.items():
        group = (outlet.get(article_id) or "").strip().lower()
        for key in set(article_keys):
            carriers[(group, key)].append(article_id)
    sets: dict[str, frozenset[int]] = {}
    found: dict[tuple[str, int], int] = {}
    for (group, key), ids in carriers.items():
        needed = min_articles if group else min_articles_unknown
        if len(ids) < needed:
            continue
        distinct: list[frozenset[int]] = []
        for article_id in sorted(ids)[:max_checked]:
            lines = sets.get(article_id)
            if lines is None:
                lines = sets[article_id] = frozenset(keys[article_id])
            if all(_overlap(lines, other) < max_overlap for other in distinct):
                distinct.append(lines)
                if len(distinct) >= needed:
                    found[(group, key)] = len(ids)
                    break
    return found


def _overlap(a: frozenset[int], b: frozenset[int]) -> float:
    """Shared lines over the lines of the shorter article."""
    return len(a & b) / max(1, min(len(a), len(b)))


def masked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with the characters of ``spans`` blanked (same length, newlines kept): offsets stay valid."""
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(chars), end)):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
