"""A deterministic generated corpus with planted republications, for tests and benchmarks.

Made-up prose only (words built from syllables, never real article text), written as JSONL
files. Every ``copy_every``-th article republishes an earlier one, rotating through the kinds
the engines must agree on: a full copy, a partial copy with its own opening, an edited copy
(5 % of words replaced), a copy with a credit line naming the original outlet, and a same-day
copy (the original is decided by ingestion order); "quoted" articles share only one sentence-long
passage with an earlier one (a candidate that verification must reject). Copies land in other
files and outlets.

``english=True`` writes English news-like sentences instead (from templates over made-up places,
bodies and people, with attributions, hedges, numbers and dates, ``"language": "en"``), so that
the stages that read English (claims, claim groups, narratives, stories, fact-check matches,
framing) have work to do: the same events recur across articles, so claims group and stories form.
Without it the syllable prose is of no language and those stages record every article as not
analysed.
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


_PLACES = ("Kessport", "Marrenland", "Veloria", "Arlen", "Brenmoor", "Lindholt", "Dunvale", "Esker", "Tarvis",
           "Solen Bay", "Harrow Point", "Galtmouth")
_BODIES = ("the Ministry of Coastal Security", "the port authority", "the harbour council", "the fisheries agency",
           "the border police", "the energy regulator", "the Velorian navy", "the coast guard",
           "the transport ministry", "the regional court")
_PEOPLE = ("Anna Lindqvist", "Marek Duval", "Sofia Brandt", "Tomas Okafor", "Ines Harlow", "Pavel Moreau",
           "Clara Weiss", "Jonas Ferrer")
_THINGS = ("drones", "cargo ships", "fishing boats", "containers", "patrol vessels", "tankers", "ferries", "trucks")
_ACTIONS = ("were seen near", "were stopped outside", "were inspected at", "left", "were detained near",
            "were reported over", "arrived at", "were turned back from")
_CUES = ("said", "claimed", "told reporters", "announced", "warned", "confirmed")
_HEDGES = ("", "", "reportedly ", "allegedly ", "possibly ")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TOPICS = ("The talks on fishing quotas were postponed again.", "Prices at the fuel depots rose for a third week.",
           "Residents asked for more patrols along the coast road.", "The ferry timetable changes next month.",
           "Dockworkers plan a strike over working hours.", "A storm closed the northern harbour for two days.")


def _english_sentence(rng: random.Random, event: tuple[str, str, str, int]) -> str:
    place, body, thing, number = event
    n = rng.randrange(5)
    if n == 0:
        return (f"{body[0].upper() + body[1:]} {rng.choice(_CUES)} that {number} {thing} {rng.choice(_HEDGES)}"
                f"{rng.choice(_ACTIONS)} {place} on {rng.choice(_DAYS)}.")
    if n == 1:
        return (f"According to {rng.choice(_PEOPLE)}, a spokesperson for {body}, {number} {thing} "
                f"{rng.choice(_ACTIONS)} {place}.")
    if n == 2:
        return f"{rng.choice(_PEOPLE)} {rng.choice(_CUES)} the {thing} came from {rng.choice(_PLACES)}."
    if n == 3:
        return f"Officials in {place} said the number of {thing} had doubled since {rng.choice(_DAYS)}."
    return rng.choice(_TOPICS)


def _english_paragraphs(rng: random.Random, events: list[tuple[str, str, str, int]], n: int) -> list[str]:
    event = rng.choice(events)  # one event per article: the same claims recur across articles
    return [" ".join(_english_sentence(rng, event) for _ in range(rng.randint(3, 5))) for _ in range(n)]


def _edit(rng: random.Random, text: str, share: float, words: list[str]) -> str:
    return " ".join(rng.choice(words) if rng.random() < share and t.isalpha() else t for t in text.split(" "))


def write_corpus(directory: str | Path, articles: int, *, files: int = 4, copy_every: int = 8,
                 seed: int = 0, english: bool = False) -> SyntheticCorpus:
    """Write ``articles`` records into ``files`` JSONL files under ``directory`` (same seed, same bytes)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    words = _vocabulary(rng)
    chosen = random.Random(f"events-{seed}")  # its own stream: the syllable corpus keeps its bytes
    events = [(chosen.choice(_PLACES), chosen.choice(_BODIES), chosen.choice(_THINGS), chosen.randint(2, 400))
              for _ in range(max(8, articles // 5))] if english else []

    def paragraphs(n: int) -> list[str]:
        return _english_paragraphs(rng, events, n) if english else _paragraphs(rng, words, n)
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
                paras = paragraphs(2) + paras[:max(2, len(paras) // 2)]
            elif kind == "edited":
                paras = [_edit(rng, p, 0.05, words) for p in paras]
            elif kind == "quoted":  # own text around one borrowed sentence: not a republication
                borrowed = " ".join(" ".join(paras).split(" ")[:35]).rstrip(".")
                paras = paragraphs(1) + [borrowed + "."]
            elif kind == "credited":
                paras = paras + [f"This article was originally published by {source['outlet']}."]
            day = (date.fromisoformat(str(source["published"])) if kind == "same-day"
                   else date.fromisoformat(str(source["published"])) + timedelta(days=rng.randint(1, 5)))
            text = "\n\n".join(paras)
            copies += kind != "quoted"
        else:
            text = "\n\n".join(paragraphs(rng.randint(4, 10)))
        slug = f"story-{n:07d}"
        records.append({"id": slug, "title": f"Story {n}", "text": text, "outlet": outlet,
                        "published": day.isoformat(), "url": f"https://{outlet.split()[0].lower()}.example/{slug}",
                        **({"language": "en"} if english else {})})
    paths = []
    per_file = -(-articles // files)
    for f in range(files):
        path = root / f"synthetic-{f:03d}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for rec in records[f * per_file:(f + 1) * per_file]:
                fh.write(json.dumps(rec) + "\n")
        paths.append(path)
    return SyntheticCorpus(tuple(paths), articles, copies)
