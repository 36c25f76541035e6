"""Word shingles as 64-bit hashes: the unit every text-reuse comparison counts.

Words are hashed once each (xxh3, cached per process) and shingles are combined in
NumPy, so an article of 600 words costs tens of microseconds, not a Python loop over
strings. Hashes are stable across processes and machines (no ``hash()`` salt), so
fingerprints can be stored and compared later.
"""

from __future__ import annotations

import re

import numpy as np
import xxhash

__all__ = ["Tokens", "fingerprints", "shingle_hashes", "tokenize", "word_hashes"]

_WORD = re.compile(r"\w+")
_CACHE: dict[str, int] = {}
_CACHE_LIMIT = 2_000_000
_MULT = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


class Tokens:
    """Words of a text with their character ranges and hashes (for aligning two texts)."""

    __slots__ = ("ends", "hashes", "starts")

    def __init__(self, text: str) -> None:
        spans = [m.span() for m in _WORD.finditer(text)]
        self.starts, self.ends = (list(x) for x in zip(*spans)) if spans else ([], [])
        words = _WORD.findall(text.lower())
        if len(words) != len(spans):  # lower() changed word boundaries (rare Unicode): go word by word
            words = [text[s:e].lower() for s, e in spans]
        self.hashes = _word_hashes(words)

    def __len__(self) -> int:
        return len(self.starts)


def tokenize(text: str) -> Tokens:
    return Tokens(text)


def word_hashes(text: str) -> np.ndarray:
    """Hashes of the lower-cased words of ``text``, without offsets (the fast path)."""
    return _word_hashes(_WORD.findall(text.lower()))


def _word_hashes(words: list[str]) -> np.ndarray:
    cache = _CACHE
    out = list(map(cache.get, words))
    if None in out:
        for n, h in enumerate(out):
            if h is None:
                w = words[n]
                h = out[n] = xxhash.xxh3_64_intdigest(w.encode("utf-8", "surrogatepass"))
                if len(cache) < _CACHE_LIMIT:
                    cache[w] = h
    return np.fromiter(out, dtype=np.uint64, count=len(out))


def shingle_hashes(word_hashes: np.ndarray, k: int) -> np.ndarray:
    """Hash of every run of ``k`` consecutive words (position i covers words i..i+k-1)."""
    n = len(word_hashes) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = word_hashes[:n].copy()
        for t in range(1, k):
            h = h * _MULT + word_hashes[t:t + n]
        h ^= h >> np.uint64(31)
        h *= _MIX1
        h ^= h >> np.uint64(27)
        h *= _MIX2
        h ^= h >> np.uint64(33)
    return h


def fingerprints(word_hashes: np.ndarray, *, k: int, sample: int) -> np.ndarray:
    """The distinct shingle hashes that are 0 mod ``sample``: a content-defined sample.

    Two texts that share a passage share the same sampled shingles of it, whatever
    surrounds the passage, so the count of shared fingerprints estimates containment
    (unlike MinHash, which estimates Jaccard and loses partial copies).
    """
    sh = shingle_hashes(word_hashes, k)
    picked = sh[sh % np.uint64(sample) == 0]
    return np.unique(picked)
