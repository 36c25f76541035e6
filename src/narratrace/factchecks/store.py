"""SQL of the fact-check area: imported fact-checks, their vectors and full-text index, and matches.

Functions take the :class:`~narratrace.store.Store` (its one writing connection); every write is one
transaction. Tables: ``factchecks`` (one row per review, keyed by :attr:`FactCheck.key`, with the
claim and title vectors as float16 blobs), ``factchecks_fts`` (FTS5 over claim and title, Porter
stemming, BM25) and ``factcheck_matches`` (migration ``004_factchecks``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from narratrace.schema import Index, Migration, Table, col
from narratrace.store.db import Store, WriteCounts
from narratrace.store.tables import TableColumn, TableFilter, TableSpec, article_columns, article_filters

if TYPE_CHECKING:
    from narratrace.factchecks.readers import FactCheck
    from narratrace.factchecks.results import FactcheckMatchResult

MIGRATIONS = (Migration(
    "004_factchecks",
    tables=(Table("factchecks", (
        col("rowid", "rowid"), col("key", null=False, unique=True), col("claim", null=False), col("title"),
        col("url"), col("publisher"), col("rating"), col("rating_score", "real"), col("verdict", null=False),
        col("claimant"), col("claim_date"), col("published"), col("language"), col("data", null=False),
        col("content_hash", null=False), col("vector", "vector"), col("title_vector", "vector"),
        col("imported_at", null=False), col("updated_at", null=False)),
        indexes=(Index("factchecks_published", ("published",)),)),
        Table("factcheck_matches", (
            col("article_id", null=False), col("claim_id", null=False), col("factcheck_key", null=False),
            col("rank", "integer", null=False), col("score", "real", null=False), col("data", null=False)),
            primary_key=("claim_id", "factcheck_key"), ordered=True,
            indexes=(Index("factcheck_matches_article", ("article_id",)),
                     Index("factcheck_matches_factcheck", ("factcheck_key",))))),
    sqlite=("CREATE VIRTUAL TABLE IF NOT EXISTS factchecks_fts USING fts5(claim, title, content='factchecks', "
            "content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')",),
    extensions=("vector",),
    postgres=("ALTER TABLE factchecks ADD COLUMN IF NOT EXISTS fts tsvector GENERATED ALWAYS AS ("
              "setweight(to_tsvector('english', claim), 'A') "
              "|| setweight(to_tsvector('english', coalesce(title, '')), 'B')) STORED",
              "CREATE INDEX IF NOT EXISTS factchecks_fts ON factchecks USING GIN (fts)"),
    sqlite_only=("factchecks_fts",), postgres_only=("factchecks.fts",)),
    Migration("factchecks_002_vectors_encoder", tables=(
        Table("factcheck_vectors_encoder", (col("one", "integer", primary_key=True), col("encoder", null=False))),)))
"""Imported fact-checks (ClaimReview), their full-text index and claim vectors, and the matches of the
corpus's claims to them (stage ``factcheck_matches``)."""

__all__ = ["MATCHES_TABLE", "MIGRATIONS", "embedded_table", "forget_vectors", "vectors_encoder", "FactcheckTable", "bm25_search", "count_factchecks", "factcheck_matches", "factchecks_by_key",
           "factchecks_by_rowid", "invalidate_matches", "load_table", "missing_vectors", "save_factcheck_matches", "stored_matches",
           "save_vectors", "upsert_factchecks"]

MATCH_STAGE = "factcheck_matches"
_COLUMNS = ("key", "claim", "title", "url", "publisher", "rating", "rating_score", "verdict", "claimant",
            "claim_date", "published", "language", "data", "content_hash")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _hash(record: FactCheck) -> str:
    d = record.to_dict()
    d.pop("source", None)
    return hashlib.sha256(json.dumps(d, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def upsert_factchecks(store: Store, records: Sequence[FactCheck]) -> WriteCounts:
    """Insert new fact-checks, update changed ones (same key), leave identical ones; one transaction.

    A changed claim or title drops the row's vectors (they are computed again); any change
    marks every article's fact-check matches as out of date (:func:`invalidate_matches`).
    """
    counts = WriteCounts()
    db = store.db
    now = _now()
    seen: dict[str, FactCheck] = {}
    for r in records:  # the last version of a key within one import wins
        seen[r.key] = r
    with store._transaction():
        for r in seen.values():
            chash = _hash(r)
            old = db.execute("SELECT rowid, content_hash, claim, title FROM factchecks WHERE key = ?",
                             (r.key,)).fetchone()
            values = (r.key, r.claim, r.title, r.url, r.publisher, r.rating, r.rating_score, r.verdict, r.claimant,
                      r.claim_date, r.published, r.language, json.dumps(r.to_dict(), ensure_ascii=False), chash)
            if old is None:
                rowid = db.execute(f"INSERT INTO factchecks ({', '.join(_COLUMNS)}, imported_at, updated_at) "
                                   f"VALUES ({', '.join('?' * len(_COLUMNS))}, ?, ?) RETURNING rowid",
                                   (*values, now, now)).fetchone()[0]
                store._fts_factcheck(rowid, r.claim, r.title)
                counts.added += 1
                continue
            rowid, old_hash, old_claim, old_title = old
            if old_hash == chash:
                counts.unchanged += 1
                continue
            store._fts_factcheck(rowid, old_claim, old_title, delete=True)
            sets = ", ".join(f"{c} = ?" for c in _COLUMNS)
            db.execute(f"UPDATE factchecks SET {sets}, updated_at = ? WHERE rowid = ?", (*values, now, rowid))
            if (old_claim, old_title) != (r.claim, r.title):
                db.execute("UPDATE factchecks SET vector = NULL, title_vector = NULL WHERE rowid = ?", (rowid,))
            store._fts_factcheck(rowid, r.claim, r.title)
            counts.updated += 1
        if counts.added or counts.updated:
            _invalidate(store)
    return counts


def _invalidate(store: Store) -> None:
    store.db.execute("DELETE FROM stage_results WHERE stage = ?", (MATCH_STAGE,))


def invalidate_matches(store: Store) -> None:
    """Mark every article's fact-check matches out of date, so ``analyze`` matches every claim again."""
    with store._transaction():
        _invalidate(store)


def count_factchecks(store: Store) -> int:
    return int(store.db.execute("SELECT count(*) FROM factchecks").fetchone()[0])


def vectors_encoder(store: Store) -> str:
    """The encoder the stored fact-check vectors come from (before it was recorded: MiniLM)."""
    from narratrace.vectors import MODEL_NAME

    row = store.db.execute("SELECT encoder FROM factcheck_vectors_encoder WHERE one = 1").fetchone()
    return str(row[0]) if row else MODEL_NAME


def forget_vectors(store: Store, encoder: str) -> None:
    """Drop every stored vector: they are embedded again with ``encoder``, recorded as theirs."""
    with store._transaction():
        store.db.execute("UPDATE factchecks SET vector = NULL, title_vector = NULL")
        store.db.execute("INSERT OR REPLACE INTO factcheck_vectors_encoder VALUES (1, ?)", (encoder,))


def missing_vectors(store: Store) -> list[tuple[int, str, str | None]]:
    """``(rowid, claim, title)`` of fact-checks not embedded yet."""
    return [tuple(r) for r in store.db.execute(  # type: ignore[misc]
        "SELECT rowid, claim, title FROM factchecks WHERE vector IS NULL ORDER BY rowid")]


def save_vectors(store: Store, rows: Sequence[tuple[int, np.ndarray, np.ndarray | None]]) -> None:
    """Store claim (and title) vectors as little-endian float16."""
    with store._transaction():
        store.db.executemany(
            "UPDATE factchecks SET vector = ?, title_vector = ? WHERE rowid = ?",
            [(store.vector_param(v), store.vector_param(t), rowid) for rowid, v, t in rows])


@dataclass(frozen=True, slots=True)
class FactcheckTable:
    """What matching needs in memory: rowids, keys, review dates and unit vectors (float32)."""

    rowids: np.ndarray            # (n,) int64
    keys: tuple[str, ...]
    published: tuple[str | None, ...]
    vectors: np.ndarray           # (n, dim) claim vectors
    title_vectors: np.ndarray     # (n, dim), zero rows where there is no title
    languages: tuple[str | None, ...] = ()   # the records' own language codes (None: not given)

    def __len__(self) -> int:
        return len(self.keys)


def embedded_table(store: Store) -> FactcheckTable:
    """Every fact-check embedded now with the active encoder (for a run whose encoder is not the stored one)."""
    from narratrace.factchecks.embedding import embed

    rows = store.db.execute(
        "SELECT rowid, key, published, claim, title, language FROM factchecks ORDER BY rowid").fetchall()
    vectors = embed([r[3] for r in rows])
    titles = embed([r[4] or "" for r in rows])
    return FactcheckTable(np.asarray([r[0] for r in rows], dtype=np.int64), tuple(r[1] for r in rows),
                          tuple(r[2] for r in rows), vectors, titles, tuple(r[5] for r in rows))


def load_table(store: Store, dim: int = 384) -> FactcheckTable:
    """Every embedded fact-check (rows without a vector yet are left out)."""
    rowids, keys, dates, blobs, tblobs, languages = [], [], [], [], [], []
    for rowid, key, published, vec, tvec, language in store.db.execute(
            "SELECT rowid, key, published, vector, title_vector, language FROM factchecks "
            "WHERE vector IS NOT NULL ORDER BY rowid"):
        rowids.append(rowid)
        keys.append(key)
        dates.append(published)
        languages.append(language)
        blobs.append(vec)
        tblobs.append(tvec)
    n = len(rowids)
    if n and isinstance(blobs[0], bytes):  # SQLite's float16 blobs: one buffer, no per-row arrays
        vectors = np.frombuffer(b"".join(blobs), dtype="<f2").reshape(n, dim).astype(np.float32)
        titles = np.frombuffer(b"".join(t or b"\0\0" * dim for t in tblobs), dtype="<f2").reshape(n, dim)
        titles = titles.astype(np.float32)
    else:
        zero = np.zeros(dim, dtype=np.float32)
        vectors = np.stack([store.vector_value(v) for v in blobs]) if n else np.zeros((0, dim), np.float32)
        titles = np.stack([zero if t is None else store.vector_value(t) for t in tblobs]) if n else vectors.copy()
    for m in (vectors, titles):  # float16 storage: renormalise so cosines are dot products
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        m /= np.where(norms > 0, norms, 1.0)
    return FactcheckTable(np.asarray(rowids, dtype=np.int64), tuple(keys), tuple(dates), vectors, titles,
                          tuple(languages))


_TERM = re.compile(r"\w+", re.UNICODE)


def bm25_search(store: Store, terms: Iterable[str], *, limit: int = 50) -> list[tuple[int, float]]:
    """``(rowid, score)`` best first, any term matching; higher is better (see ``Store.factcheck_bm25``)."""
    return store.factcheck_bm25(terms, limit=limit)


def factchecks_by_rowid(store: Store, rowids: Iterable[int]) -> dict[int, FactCheck]:
    from narratrace.factchecks.readers import FactCheck

    out: dict[int, FactCheck] = {}
    ids = list(dict.fromkeys(int(r) for r in rowids))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for rowid, data in store.db.execute(
                f"SELECT rowid, data FROM factchecks WHERE rowid IN ({','.join('?' * len(chunk))})", chunk):
            out[rowid] = FactCheck.from_dict(json.loads(data))
    return out


def factchecks_by_key(store: Store, keys: Iterable[str]) -> dict[str, FactCheck]:
    from narratrace.factchecks.readers import FactCheck

    out: dict[str, FactCheck] = {}
    ks = list(dict.fromkeys(keys))
    for i in range(0, len(ks), 500):
        chunk = ks[i:i + 500]
        for key, data in store.db.execute(
                f"SELECT key, data FROM factchecks WHERE key IN ({','.join('?' * len(chunk))})", chunk):
            out[key] = FactCheck.from_dict(json.loads(data))
    return out


def save_factcheck_matches(store: Store, stage: str, version: str, output: FactcheckMatchResult) -> None:
    """Replace the matches of the articles the stage looked at, and mark them done; one transaction."""
    with store._transaction():
        for i in range(0, len(output.compared), 500):
            chunk = list(output.compared[i:i + 500])
            store.db.execute(f"DELETE FROM factcheck_matches WHERE article_id IN ({','.join('?' * len(chunk))})",
                             chunk)
        store.db.executemany(
            "INSERT OR REPLACE INTO factcheck_matches VALUES (?, ?, ?, ?, ?, ?)",
            [(m.article_id, m.claim_id, m.factcheck_key, m.rank, m.score, json.dumps(m.to_dict(), ensure_ascii=False))
             for m in output.matches])
        store.mark_stage_done(stage, version, output.compared)


def factcheck_matches(store: Store, article_id: str | None = None) -> list[dict[str, Any]]:
    """Stored matches (each the stage's :meth:`ClaimMatch.to_dict`), in ingestion order, best first per claim."""
    sql = ("SELECT m.data FROM factcheck_matches m JOIN articles a ON a.id = m.article_id "
           + ("WHERE m.article_id = ? " if article_id else "") + "ORDER BY a.rowid, m.claim_id, m.rank")
    return [json.loads(r[0]) for r in store.db.execute(sql, (article_id,) if article_id else ())]


_TIER = "coalesce(json_extract(m.data, '$.tier'), 'match')"
_CLAIM = "json_extract(m.data, '$.claim_text')"

MATCHES_TABLE = TableSpec(
    "factcheck-matches", "Fact-check matches",
    "FROM factcheck_matches m JOIN articles a ON a.id = m.article_id JOIN factchecks f ON f.key = m.factcheck_key",
    columns=(*article_columns(),
             TableColumn("claim", _CLAIM, "Claim in the article", width=300),
             TableColumn("factcheck", "f.claim", "Fact-checked claim", width=300),
             TableColumn("rating", "f.rating", "Rating", width=80),
             TableColumn("verdict", "f.verdict", "Verdict", link="filter"),
             TableColumn("publisher", "f.publisher", "Publisher", link="filter"),
             TableColumn("reviewed", "f.published", "Reviewed", kind="date"),
             TableColumn("url", "f.url", "Fact-check", link="url", width=60),
             TableColumn("tier", _TIER, "Tier", link="filter"),
             TableColumn("score", "m.score", "Score", kind="number"),
             TableColumn("rank", "m.rank", "Rank", kind="number")),
    filters=(*article_filters(),
             TableFilter("verdict", "f.verdict", facet=True, description="false, misleading, mixed, true, unrated"),
             TableFilter("publisher", "f.publisher", facet=True, description="the fact-checker"),
             TableFilter("tier", _TIER, facet=True, description="match or possible (docs/stages.md)"),
             TableFilter("q", _CLAIM, "search", "Text", description="words in the article's claim"),
             TableFilter("min_score", "m.score", "min", "Score at least", description="lowest match score")),
    sort="-score", key=("m.rowid",), row_id="m.rowid",
    description="Each claim of the corpus matched to an imported fact-check, with the fact-check's rating.")
"""Matches of the corpus's claims to imported fact-checks, with the fact-check's verdict and publisher."""


def stored_matches(store: Store) -> list[tuple[str, str, int, float, dict[str, Any]]]:
    """Every stored match as ``(article_id, claim_id, rank, score, to_dict())`` (the score unrounded)."""
    return [(aid, cid, int(rank), float(score), json.loads(data)) for aid, cid, rank, score, data in store.db.execute(
        "SELECT article_id, claim_id, rank, score, data FROM factcheck_matches ORDER BY article_id, claim_id, rank")]
