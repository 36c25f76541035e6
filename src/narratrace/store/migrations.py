"""Named, ordered schema migrations; each runs in its own transaction.

Append new migrations at the end, never edit an applied one: a database records
which names it has applied in ``_migrations`` (sqlite-utils' pattern).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from narratrace.errors import MigrationError
from narratrace.schema import Index, Migration, Table, col, render

__all__ = ["CORE_MIGRATIONS", "FTS_MAX_CHARS", "MIGRATIONS", "SCHEMA_VERSION", "Migration", "all_migrations",
           "apply_migrations"]

#: PostgreSQL indexes at most this many characters of an article's text for full-text search.
FTS_MAX_CHARS = 400_000

_FTS_SQLITE = ("CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, text, content='articles', "
               "content_rowid='rowid', tokenize='unicode61')")
#: unicode61 splits words at combining marks (Mn, Mc), so Devanagari "नाटो" was indexed as "नाट":
#: marks count as word characters since migration 004.
_FTS_TOKENIZER = "tokenize=\"unicode61 categories 'L* N* Co M*'\""
_FTS_POSTGRES = (f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS fts tsvector GENERATED ALWAYS AS ("
                 f"setweight(to_tsvector('simple', coalesce(title, '')), 'A') "
                 f"|| setweight(to_tsvector('simple', left(text, {FTS_MAX_CHARS})), 'B')) STORED",
                 "CREATE INDEX IF NOT EXISTS articles_fts ON articles USING GIN (fts)",
                 "CREATE TABLE IF NOT EXISTS _data_version (one INTEGER PRIMARY KEY CHECK (one = 1), "
                 "changes BIGINT NOT NULL)",
                 "INSERT INTO _data_version VALUES (1, 0) ON CONFLICT DO NOTHING")

ARTICLES = Table("articles", (
    col("rowid", "rowid"), col("id", null=False, unique=True), col("ref", null=False, unique=True),
    col("content_hash", null=False), col("title"), col("url"), col("outlet"), col("author"), col("published"),
    col("published_how"), col("language"), col("source"), col("text", null=False),
    col("chars", "integer", null=False), col("paragraphs", null=False), col("sentences", null=False),
    col("meta", null=False, default="'{}'"), col("ingested_at", null=False)),
    indexes=(Index("articles_outlet", ("outlet",)), Index("articles_published", ("published DESC", "rowid DESC"))))
SOURCES = Table("sources", (col("path", primary_key=True), col("signature", null=False),
                            col("records", "integer", null=False), col("finished_at", null=False)))
SKIPPED = Table("skipped", (col("path", null=False), col("reason", null=False), col("code", null=False),
                            col("at", null=False)), primary_key=("path", "reason"))
STAGE_RESULTS = Table("stage_results", (
    col("article_id", null=False, references="articles(id)"), col("stage", null=False), col("version", null=False),
    col("content_hash", null=False), col("data", "blob")), primary_key=("article_id", "stage"))
ANNOTATIONS = Table("annotations", (
    col("article_id", null=False, references="articles(id)"), col("stage", null=False), col("kind", null=False),
    col("start", "integer", null=False), col("end", "integer", null=False), col("label"),
    col("data", null=False, default="'{}'")),
    indexes=(Index("annotations_article", ("article_id", "stage")), Index("annotations_kind", ("kind",))),
    ordered=True)

#: The core's tables: articles and what ingestion and the pipeline keep about them. Each analysis
#: adds its own tables through its ``Analysis.migrations``.
CORE_MIGRATIONS: tuple[Migration, ...] = (
    Migration("001_initial", tables=(ARTICLES, SOURCES, SKIPPED, STAGE_RESULTS, ANNOTATIONS),
              sqlite=(_FTS_SQLITE,), postgres=_FTS_POSTGRES,
              sqlite_only=("articles_fts",), postgres_only=("articles.fts", "_data_version")),
    Migration("002_browse_indexes",
              indexes=(("articles", Index("articles_outlet_published", ("outlet", "published DESC", "rowid DESC"))),
                       ("articles", Index("articles_language_published",
                                          ("language", "published DESC", "rowid DESC")))),
              drop_indexes=("articles_outlet",)),
    Migration("003_stage_results_skipped", columns=(("stage_results", col("skipped")),)),
    Migration("004_fts_combining_marks", sqlite=(
        "DROP TABLE IF EXISTS articles_fts",
        _FTS_SQLITE.replace("tokenize='unicode61'", _FTS_TOKENIZER),
        "INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")),
)
"""Filtered, newest-first article pages (web overview, source pages) without a table scan (002). Why a
stage did not analyse an article (``"language ru"``), NULL when it did (003). Search words keep their
combining marks (Hindi and other Indic scripts, 004)."""


def all_migrations() -> tuple[Migration, ...]:
    """The core's migrations, then each registered analysis's, in registry order."""
    from narratrace.analyses import registered_analyses

    return CORE_MIGRATIONS + tuple(m for a in registered_analyses() for m in a.migrations)


def __getattr__(name: str) -> object:
    if name == "MIGRATIONS":
        return all_migrations()
    if name == "SCHEMA_VERSION":  # how many migrations this narratrace knows (PRAGMA user_version)
        return len(all_migrations())
    raise AttributeError(name)


def apply_migrations(db: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; refuse a database from a newer narratrace."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    migrations = all_migrations()
    known = {m.name for m in migrations}
    if unknown := done - known:
        raise MigrationError(
            f"database has migrations this narratrace does not know: {sorted(unknown)}; upgrade narratrace")
    applied = []
    for number, migration in enumerate(migrations, start=1):
        if migration.name in done:
            continue
        stamp = datetime.now(timezone.utc).isoformat()
        try:
            # executescript commits before it runs, so the transaction is part of the script.
            db.executescript(
                f"BEGIN IMMEDIATE;\n{render(migration, 'sqlite')}\n"
                f"INSERT INTO _migrations VALUES ('{migration.name}', '{stamp}');\n"
                f"PRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
        applied.append(migration.name)
    return applied
