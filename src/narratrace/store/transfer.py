"""Copy a whole corpus between stores (SQLite to PostgreSQL and back), losslessly.

Rows go table by table in their stored order, so every "in ingestion order" and "in
detection order" list reads the same on the copy; full-text indexes are rebuilt by the
destination's own means and vectors pass through ``vector_value``/``vector_param``.
The destination is written in one transaction: a failed copy leaves it as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from narratrace.errors import StoreError
from narratrace.store.db import Store

__all__ = ["TABLES", "TableCopy", "copy_corpus"]


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table: the columns both schemas share, and the order rows are copied in."""

    name: str
    columns: tuple[str, ...]
    order: str
    vectors: tuple[str, ...] = ()


_ARTICLE = ("id", "ref", "content_hash", "title", "url", "outlet", "author", "published", "published_how",
            "language", "source", "text", "chars", "paragraphs", "sentences", "meta", "ingested_at")
_FACTCHECK = ("key", "claim", "title", "url", "publisher", "rating", "rating_score", "verdict", "claimant",
              "claim_date", "published", "language", "data", "content_hash", "vector", "title_vector",
              "imported_at", "updated_at")

#: Every table of schema 5, parents first (foreign keys); ``rowid`` where both databases keep one.
TABLES: tuple[TableCopy, ...] = (
    TableCopy("articles", _ARTICLE, "rowid"),
    TableCopy("sources", ("path", "signature", "records", "finished_at"), "path"),
    TableCopy("skipped", ("path", "reason", "code", "at"), "path, reason"),
    TableCopy("stage_results", ("article_id", "stage", "version", "content_hash", "data", "skipped"),
              "article_id, stage"),
    TableCopy("annotations", ("article_id", "stage", "kind", "start", '"end"', "label", "data"), "rowid"),
    TableCopy("republication_pairs", ("original", "copy", "similarity", "copy_share", "data"), "rowid"),
    TableCopy("republication_groups", ("id", "original", "members", "reason"), "id"),
    TableCopy("claim_groups", ("id", "label", "first_article", "first_published", "articles", "claims",
                               "attribution_conflict", "data"), "rowid"),
    TableCopy("claim_group_articles", ("group_id", "article_id"), "group_id, article_id"),
    TableCopy("factchecks", _FACTCHECK, "rowid", vectors=("vector", "title_vector")),
    TableCopy("factcheck_matches", ("article_id", "claim_id", "factcheck_key", "rank", "score", "data"), "rowid"),
    TableCopy("stories", ("id", "label", "start", '"end"', "articles", "data"), "rowid"),
    TableCopy("story_articles", ("story_id", "article_id"), "story_id, article_id"),
    TableCopy("narrative_topics", ("id", "label", "articles", "claims", "data"), "rowid"),
)
BATCH = 1000


def copy_corpus(source: Store, target: Store, *,
                progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; rows copied per table.

    Refuses a target that already holds articles or fact-checks (a merge is not a copy). Holds the
    target's writers' lock (no ``analyze`` or ``ingest`` writes it meanwhile).
    """
    with target.write_lock("migrate"):
        return _copy_corpus(source, target, progress=progress)


def _copy_corpus(source: Store, target: Store, *,
                 progress: Callable[[str, int, int], None] | None) -> dict[str, int]:
    if source.schema_version != target.schema_version:
        raise StoreError(f"schema versions differ: {source.schema_version} -> {target.schema_version}")
    for table in ("articles", "factchecks"):
        if target.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
            raise StoreError(f"the target already holds {table}; migrate copies into an empty store only")
    copied: dict[str, int] = {}
    with target._transaction():
        for spec in TABLES:
            total = int(source.db.execute(f"SELECT count(*) FROM {spec.name}").fetchone()[0])
            copied[spec.name] = _copy_table(source, target, spec, total, progress)
    for spec in TABLES:  # lossless means every row arrived
        have = int(target.db.execute(f"SELECT count(*) FROM {spec.name}").fetchone()[0])
        if have != copied[spec.name]:
            raise StoreError(f"{spec.name}: copied {copied[spec.name]} rows but the target holds {have}")
    target.rebuild_derived()
    return copied


def _copy_table(source: Store, target: Store, spec: TableCopy, total: int,
                progress: Callable[[str, int, int], None] | None) -> int:
    cols = ", ".join(spec.columns)
    marks = ", ".join("?" * len(spec.columns))
    insert = f"INSERT INTO {spec.name} ({cols}) VALUES ({marks})"
    vector_at = [spec.columns.index(v) for v in spec.vectors]
    # keyset pages in stored order (SQLite: rowid everywhere), so no table is read whole or twice
    key = ("rowid",) if source.every_table_has_rowid or spec.order == "rowid" else tuple(spec.order.split(", "))
    keys = ", ".join(key)
    done = 0
    last: tuple[object, ...] | None = None
    while True:
        where = f"WHERE ({keys}) > ({', '.join('?' * len(key))}) " if last is not None else ""
        rows = source.db.execute(f"SELECT {keys}, {cols} FROM {spec.name} {where}ORDER BY {keys} LIMIT ?",
                                 (*(last or ()), BATCH)).fetchall()
        if not rows:
            break
        last = tuple(rows[-1][:len(key)])
        rows = [r[len(key):] for r in rows]
        values = [list(r) for r in rows]
        for row in values:
            for i in vector_at:
                row[i] = target.vector_param(source.vector_value(row[i]))
        if spec.name == "articles":
            for row in values:
                rowid = target.db.execute(insert + " RETURNING rowid", row).fetchone()[0]
                target._fts_insert(rowid, row[3], row[11])
        elif spec.name == "factchecks":
            for row in values:
                rowid = target.db.execute(insert + " RETURNING rowid", row).fetchone()[0]
                target._fts_factcheck(rowid, row[1], row[2])
        else:
            target.db.executemany(insert, values)
        done += len(values)
        if progress:
            progress(spec.name, done, total)
    return done
