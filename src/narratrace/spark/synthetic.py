"""A deterministic generated corpus with planted republications, for tests and benchmarks.

Made-up prose only (words built from syllables, never real article text), written as JSONL
files. Every ``copy_every``-th article republishes an earlier one, rotating through the kinds
the engines must agree on: a full copy, a partial copy with its own opening, an edited copy
(5 % of words replaced), a copy with a credit line naming the original outlet, and a same-day
copy (the original is decided by ingestion order); "quoted" articles share only one sentence-long
passage with an earlier one (a candidate that verification must reject). Copies land in other
files and outlets.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

__all__ = ["COPY_KINDS", "SyntheticCorpus", "write_corpus"]

COPY_KINDS = ("full", "partial", "edited", "credited", "same-day", "quoted")
_SYLLABLES = ("ka", "lo", "mer", "tan", "vis", "or", "pel", "du", "ren", "sa", "tho", "bri", "nal", "ek", "ur",
              "fin", "go", "hal", "ji", "zor", "que", "wel", "ip", "dra", "mon", "sel", "tu", "vor", "ax", "ny")
_OUTLETS = tuple(f"{name} {kind}" for name in ("Arlen", "Bresk", "Cadmor", "Dunvale", "Esker", "Fenwick",
                                                "Galt", "Harrow", "Istra", "Jorvik")
                 for kind in ("Gazette", "Courier", "Post", "Ledger"))


def _vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


@dataclass(frozen=True, slots=True)
class SyntheticCorpus:
    files: tuple[Path, ...]
    articles: int
    copies: int


def _paragraphs(rng: random.Random, words: list[str], n: int) -> list[str]:
    out = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.randint(3, 5)):
            s = " ".join(rng.choice(words) for _ in range(rng.randint(8, 20)))
            sentences.append(s.capitalize() + ".")
        out.append(" ".join(sentences))
    return out


def _edit(rng: random.Random, text: str, share: float, words: list[str]) -> str:
    return " ".join(rng.choice(words) if rng.random() < share and t.isalpha() else t for t in text.split(" "))


def write_corpus(directory: str | Path, articles: int, *, files: int = 4, copy_every: int = 8,
                 seed: int = 0) -> SyntheticCorpus:
    """Write ``articles`` records into ``files`` JSONL files under ``directory`` (same seed, same bytes)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    words = _vocabulary(rng)
    start = date(2025, 1, 1)
    records: list[dict[str, object]] = []
    copies = 0
    for n in range(articles):
        outlet = _OUTLETS[n % len(_OUTLETS)]
        day = start + timedelta(days=n * 365 // max(articles, 1))
        if n % copy_every == copy_every - 1 and n > copy_every:
            source = records[rng.randrange(0, n - 1)]
            kind = COPY_KINDS[(n // copy_every) % len(COPY_KINDS)]
            paras = str(source["text"]).split("\n\n")
            if kind == "partial":
                paras = _paragraphs(rng, words, 2) + paras[:max(2, len(paras) // 2)]
            elif kind == "edited":
                paras = [_edit(rng, p, 0.05, words) for p in paras]
            elif kind == "quoted":  # own text around one borrowed sentence: not a republication
                borrowed = " ".join(" ".join(paras).split(" ")[:35]).rstrip(".")
                paras = _paragraphs(rng, words, 1) + [borrowed + "."]
            elif kind == "credited":
                paras = paras + [f"This article was originally published by {source['outlet']}."]
            day = (date.fromisoformat(str(source["published"])) if kind == "same-day"
                   else date.fromisoformat(str(source["published"])) + timedelta(days=rng.randint(1, 5)))
            text = "\n\n".join(paras)
            copies += kind != "quoted"
        else:
            text = "\n\n".join(_paragraphs(rng, words, rng.randint(4, 10)))
        slug = f"story-{n:07d}"
        records.append({"id": slug, "title": f"Story {n}", "text": text, "outlet": outlet,
                        "published": day.isoformat(), "url": f"https://{outlet.split()[0].lower()}.example/{slug}"})
    paths = []
    per_file = -(-articles // files)
    for f in range(files):
        path = root / f"synthetic-{f:03d}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for rec in records[f * per_file:(f + 1) * per_file]:
                fh.write(json.dumps(rec) + "\n")
        paths.append(path)
    return SyntheticCorpus(tuple(paths), articles, copies)
