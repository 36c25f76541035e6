"""Fact-checks: import ClaimReview records, match claims to what was already checked, export skeletons.

* :func:`import_factchecks` reads ClaimReview JSON-LD, Google Fact Check Tools JSON or CSV
  (:mod:`.readers`), stores them keyed by review URL (else claim + publisher), so a re-import
  updates and never duplicates, and embeds the new claims;
* :func:`match_text` ranks the stored fact-checks for one claim (:mod:`.matching`); the
  ``factcheck_matches`` stage does it for every extracted claim;
* :func:`claimreview_skeletons` writes chosen claims of the corpus as ClaimReview JSON-LD for a
  fact-checker to complete.
"""

from __future__ import annotations

import os

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narratrace.model import Skipped
from narratrace.store import Store
from narratrace.factchecks.matching import (Candidate, Matcher, MatchOptions, clean_query, load_reranker,
                                            post_date)
from narratrace.factchecks.readers import CSV_COLUMNS, FactCheck, ReadResult, read_factchecks, rating_score

from narratrace.analyses import Analysis
from narratrace.factchecks.store import MIGRATIONS

ANALYSIS = Analysis(
    name="factchecks", title="Fact-checks",
    stages=("narratrace.factchecks.stage",), default_stages=("factcheck_matches",),
    migrations=MIGRATIONS, export="narratrace.factchecks.export:export_section",
    section="narratrace.factchecks.report:build_report_section", pages="narratrace.factchecks.web:make_pages",
    tasks={"matching": "narratrace.factchecks.evaluation"}, commands=("narratrace.factchecks.cli",),
    spark={"factcheck_matches": "narratrace.factchecks.spark:run_on_spark"},
    spark_load={"factcheck_matches": "narratrace.factchecks.spark:load"},
    reviews=("narratrace.factchecks.reviews:REVIEW",))

__all__ = ["ANALYSIS", "CSV_COLUMNS", "Candidate", "FactCheck", "ImportReport", "MatchHit", "Matcher", "MatchOptions",
           "ReadResult", "claimreview_skeletons", "clean_query", "embed_pending", "import_factchecks",
           "load_reranker", "match_text", "rating_score", "read_factchecks"]


@dataclass(slots=True)
class ImportReport:
    """What one import did: records added, updated, unchanged, embedded; what was skipped and why."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "embedded": self.embedded, "skipped": [{"path": s.path, "reason": s.reason, "code": s.code}
                                                       for s in self.skipped]}


def import_factchecks(store: Store, path: str | Path, *, csv_mapping: Mapping[str, str] | None = None,
                      embed: bool = True, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Read fact-checks from ``path`` (file or folder) into ``store``; unreadable parts are skipped with a reason.
    The writes hold the store's writers' lock shared, as an ingest does (never beside an ``analyze``)."""
    from narratrace.factchecks.store import upsert_factchecks
    from narratrace.factchecks.readers import with_language

    read = read_factchecks(path, csv_mapping=csv_mapping)
    report = ImportReport(skipped=list(read.skipped))
    records = [with_language(r) for r in read.records]
    with store.write_lock("factchecks import", shared=True):
        for n in range(0, len(records), 5000):
            counts = upsert_factchecks(store, records[n:n + 5000])
            report.added += counts.added
            report.updated += counts.updated
            report.unchanged += counts.unchanged
        if report.added or report.updated:
            store.optimize()
        if embed:
            report.embedded = embed_pending(store, progress=progress)
    return report


def embed_pending(store: Store, *, batch: int = 2048, progress: Callable[[int, int], None] | None = None,
                  workers: int | None = None) -> int:
    """Embed the claim and title of every stored fact-check without vectors, with the active encoder
    (all of them again when the stored ones come from another encoder); returns how many."""
    from narratrace.factchecks.store import forget_vectors, missing_vectors, save_vectors, vectors_encoder
    from narratrace.factchecks.embedding import embed
    from narratrace.vectors import active_encoder, stored_name

    if vectors_encoder(store) != (name := stored_name(active_encoder())):
        forget_vectors(store, name)
    rows = missing_vectors(store)
    workers = min(4, os.cpu_count() or 1) if workers is None else workers
    for n in range(0, len(rows), batch):
        chunk = rows[n:n + batch]
        both = embed([c for _, c, _ in chunk] + [t or "" for _, _, t in chunk], workers=workers)
        claims, titles = both[:len(chunk)], both[len(chunk):]
        save_vectors(store, [(rowid, claims[i], titles[i] if title else None)
                             for i, (rowid, _, title) in enumerate(chunk)])
        if progress:
            progress(min(n + batch, len(rows)), len(rows))
    return len(rows)


@dataclass(frozen=True, slots=True)
class MatchHit:
    """A fact-check matched to a text: its rank, calibrated score and the record."""

    rank: int
    score: float
    matched: bool          # score reaches the threshold
    factcheck: FactCheck
    tier: str | None = None  # "match", "possible" (the stage's tiers for a short text), or None: neither

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "score": round(self.score, 4), "matched": self.matched, "tier": self.tier,
                "factcheck": self.factcheck.to_dict()}


def match_text(store: Store, text: str, *, model: str | None = None, top: int = 5,
               threshold: float | None = None) -> list[MatchHit]:
    """The ``top`` stored fact-checks for ``text``, best first, each saying whether it passes the threshold
    and in which tier it falls, as the ``factcheck_matches`` stage tiers a short text matched whole:
    *match* from the threshold, *possible* from :data:`~narratrace.factchecks.stage.POSSIBLE` or as the
    clear best (the model's ``lead``), else none (a candidate, not a finding).

    A pasted post that ends in its embedded-post signature is ranked with that date, as the
    ``factcheck_matches`` stage ranks a short text (:func:`narratrace.factchecks.matching.post_date`)."""
    from narratrace.factchecks.stage import POSSIBLE, is_lead
    from narratrace.factchecks.store import factchecks_by_rowid

    reranker = load_reranker(model)
    thr = reranker.threshold if threshold is None else threshold
    matcher = Matcher(store, reranker=reranker, options=MatchOptions(top=top, threshold=thr))
    from narratrace.ingest.heuristics import detect_language

    ranked = matcher.rank(text, language=detect_language(text), published=post_date(text))
    checks = factchecks_by_rowid(store, (c.rowid for c in ranked))
    low = min(POSSIBLE, thr)
    lead = is_lead(ranked, None if reranker.lead is None else min(reranker.lead, low), reranker.lead_ratio)

    def tier(n: int, score: float) -> str | None:
        if score >= thr:
            return "match"
        return "possible" if score >= low or (n == 0 and lead) else None

    return [MatchHit(c.rank, c.score, c.score >= thr, checks[c.rowid], tier(n, c.score))
            for n, c in enumerate(ranked) if c.rowid in checks]


def claimreview_skeletons(store: Store, *, claim_ids: Iterable[str] | None = None, article: str | None = None,
                          unmatched: bool = False, min_score: float = 0.0,
                          author: str | None = None) -> list[dict[str, Any]]:
    """Claims of the corpus as schema.org ClaimReview JSON-LD to complete (rating, url left empty).

    Chosen by claim id, by article (ref or id), or all; ``unmatched`` keeps only claims without a
    fact-check match; ``min_score`` keeps claims whose check-worthiness reaches it. The claim's
    source becomes ``itemReviewed.author``, the article its ``appearance``, and stored matches
    are listed under ``narratrace:relatedFactChecks`` (an extension key a fact-checker removes).
    """
    from narratrace.factchecks.store import factcheck_matches

    index = {row["id"]: row for row in store.article_index()}
    article_id = None
    if article is not None:
        article_id = store.article(article).id
    wanted = set(claim_ids) if claim_ids is not None else None
    matches: dict[str, list[dict[str, Any]]] = {}
    for m in factcheck_matches(store, article_id):
        matches.setdefault(m["claim"], []).append(m)
    texts: dict[str, str] = {}
    out = []
    for aid, ann in store.annotations_of_kind("claim", article_id=article_id):
        d = ann.data
        cid = str(d.get("id") or f"c-{aid[:10]}-{ann.start}")
        if wanted is not None and cid not in wanted:
            continue
        if unmatched and cid in matches:
            continue
        if float(d.get("score") or 0.0) < min_score and wanted is None:
            continue
        if aid not in texts:
            texts = {aid: store.article(aid).text}
        row = index.get(aid, {})
        source = d.get("source_canonical") or d.get("source")
        item: dict[str, Any] = {"@type": "Claim",
                                "appearance": [{"@type": "CreativeWork",
                                                **({"url": row["url"]} if row.get("url") else {}),
                                                "headline": row.get("title") or row.get("ref"),
                                                **({"publisher": {"@type": "Organization", "name": row["outlet"]}}
                                                   if row.get("outlet") else {})}]}
        if row.get("published"):
            item["datePublished"] = str(row["published"])[:10]
        if source:
            kind = d.get("source_kind")
            item["author"] = {"@type": "Person" if kind == "person" else "Organization", "name": source}
        skeleton: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "ClaimReview",
            "claimReviewed": " ".join(texts[aid][ann.start:ann.end].split()),
            "itemReviewed": item,
            "author": {"@type": "Organization", "name": author or ""},
            "reviewRating": {"@type": "Rating", "ratingValue": "", "bestRating": "5", "worstRating": "1",
                             "alternateName": ""},
            "url": "", "datePublished": "",
            "narratrace:claim": cid, "narratrace:article": row.get("ref") or aid}
        if cid in matches:
            skeleton["narratrace:relatedFactChecks"] = [
                {"url": m["factcheck"].get("url"), "publisher": m["factcheck"].get("publisher"),
                 "rating": m["factcheck"].get("rating"), "score": m["score"]} for m in matches[cid]]
        out.append(skeleton)
    return out
