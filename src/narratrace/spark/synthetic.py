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
Its articles are short news items (2-4 paragraphs of 2-4 sentences, about 9 sentences; wire briefs
rather than features) spread over eight beats (ports, health, economy, weather, sport, schools, crime,
transport). Both choices keep the engines' comparison affordable and close to news: with 4-10
paragraphs of one beat (28 sentences, the first version) the local engine ran at 2 articles/s and 5 %
of all cross-article claim pairs passed claim grouping's cosine floor, so its grouping, quadratic in
such pairs, took 31 s for 200 articles and would take hours at 5,000; now 6.4 articles/s, 2 %, 0.5 s.
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
_PEOPLE = ("Anna Lindqvist", "Marek Duval", "Sofia Brandt", "Tomas Okafor", "Ines Harlow", "Pavel Moreau",
           "Clara Weiss", "Jonas Ferrer")
_CUES = ("said", "claimed", "told reporters", "announced", "warned", "confirmed")
_HEDGES = ("", "", "reportedly ", "allegedly ", "possibly ")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class _Beat:
    """One news beat: who reports on it, what is counted, what happens to it, and the small talk around it."""

    bodies: tuple[str, ...]
    things: tuple[str, ...]
    actions: tuple[str, ...]
    topics: tuple[str, ...]


#: News is about many things: a corpus of one beat (the first, the only one before) makes nearly every
#: pair of claims look alike, which neither engine's claim grouping meets on real news.
_BEATS = (
    _Beat(("the Ministry of Coastal Security", "the port authority", "the harbour council", "the fisheries agency",
           "the border police", "the Velorian navy", "the coast guard"),
          ("drones", "cargo ships", "fishing boats", "containers", "patrol vessels", "tankers", "ferries"),
          ("were seen near", "were stopped outside", "were inspected at", "left", "were detained near",
           "were reported over", "arrived at", "were turned back from"),
          ("The talks on fishing quotas were postponed again.", "Residents asked for more patrols along the coast road.",
           "A storm closed the northern harbour for two days.")),
    _Beat(("the health ministry", "the city hospital board", "the medicines agency", "the nurses' union"),
          ("flu cases", "hospital beds", "vaccine doses", "emergency admissions", "measles infections"),
          ("were recorded in", "were added in", "were delivered to", "were counted at", "were confirmed in"),
          ("Waiting times at the clinics grew over the winter.", "Pharmacies ran short of children's cough syrup.")),
    _Beat(("the central bank", "the statistics office", "the chamber of commerce", "the finance ministry"),
          ("factory jobs", "bankruptcies", "new businesses", "export licences", "mortgage defaults"),
          ("were lost in", "were registered in", "were approved for", "were filed in"),
          ("Prices at the fuel depots rose for a third week.", "Dockworkers plan a strike over working hours.")),
    _Beat(("the weather service", "the environment agency", "the fire brigade", "the forestry board"),
          ("wildfires", "flooded homes", "fallen trees", "landslides", "dead fish"),
          ("broke out near", "were reported around", "were cleared in", "were found along"),
          ("Heavy rain is expected again at the weekend.", "Farmers say the dry spring cost them a harvest.")),
    _Beat(("the football federation", "the cycling union", "the stadium operator", "the sports council"),
          ("tickets", "away fans", "players", "league matches", "season passes"),
          ("were sold for the final in", "travelled to", "were suspended in", "were postponed in"),
          ("The new stadium roof will not be ready before autumn.", "The youth league lost its main sponsor.")),
    _Beat(("the education ministry", "the university senate", "the teachers' union", "the school board"),
          ("schools", "students", "teaching posts", "exam papers", "school buses"),
          ("were closed in", "enrolled in", "were cut in", "went missing in"),
          ("Parents protested outside the town hall over class sizes.", "The exam timetable was published late.")),
    _Beat(("the regional court", "the city police", "the prosecutor's office", "the prison service"),
          ("suspects", "stolen cars", "burglaries", "forged passports", "illegal weapons"),
          ("were arrested in", "were recovered near", "were reported in", "were seized at"),
          ("The trial of the former mayor opens next month.", "Neighbourhood watch groups met for the first time.")),
    _Beat(("the rail operator", "the transport ministry", "the airport authority", "the bus company"),
          ("trains", "flights", "night buses", "road closures", "bridge inspections"),
          ("were cancelled in", "were delayed at", "were rerouted around", "were ordered in"),
          ("The ferry timetable changes next month.", "Commuters complained about the new ticket machines.")),
)


def _english_sentence(rng: random.Random, event: tuple[int, str, str, str, int]) -> str:
    beat_no, place, body, thing, number = event
    beat = _BEATS[beat_no]
    n = rng.randrange(5)
    if n == 0:
        return (f"{body[0].upper() + body[1:]} {rng.choice(_CUES)} that {number} {thing} {rng.choice(_HEDGES)}"
                f"{rng.choice(beat.actions)} {place} on {rng.choice(_DAYS)}.")
    if n == 1:
        return (f"According to {rng.choice(_PEOPLE)}, a spokesperson for {body}, {number} {thing} "
                f"{rng.choice(beat.actions)} {place}.")
    if n == 2:
        return f"{rng.choice(_PEOPLE)} {rng.choice(_CUES)} the {thing} came from {rng.choice(_PLACES)}."
    if n == 3:
        return f"Officials in {place} said the number of {thing} had doubled since {rng.choice(_DAYS)}."
    return rng.choice(beat.topics)


def _event(rng: random.Random) -> tuple[int, str, str, str, int]:
    beat_no = rng.randrange(len(_BEATS))
    beat = _BEATS[beat_no]
    return beat_no, rng.choice(_PLACES), rng.choice(beat.bodies), rng.choice(beat.things), rng.randint(2, 400)


def _english_paragraphs(rng: random.Random, events: list[tuple[int, str, str, str, int]], n: int) -> list[str]:
    event = rng.choice(events)  # one event per article: the same claims recur across articles
    return [" ".join(_english_sentence(rng, event) for _ in range(rng.randint(2, 4))) for _ in range(n)]


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
    events = [_event(chosen) for _ in range(max(8, articles // 5))] if english else []

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
            text = "\n\n".join(paragraphs(rng.randint(2, 4) if english else rng.randint(4, 10)))
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
