"""Named, ordered schema migrations; each runs in its own transaction.

Append new migrations at the end, never edit an applied one: a database records
which names it has applied in ``_migrations`` (sqlite-utils' pattern).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

from ..errors import MigrationError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "apply_migrations"]


@dataclass(frozen=True, slots=True)
class Migration:
    """A named SQL script; it runs inside one transaction with its bookkeeping."""

    name: str
    sql: str


_M001_INITIAL = """
        CREATE TABLE articles (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            ref TEXT NOT NULL UNIQUE,
            content_hash TEXT NOT NULL,
            title TEXT, url TEXT, outlet TEXT, author TEXT,
            published TEXT, published_how TEXT, language TEXT, source TEXT,
            text TEXT NOT NULL,
            chars INTEGER NOT NULL,
            paragraphs TEXT NOT NULL,
            sentences TEXT NOT NULL,
            meta TEXT NOT NULL DEFAULT '{}',
            ingested_at TEXT NOT NULL
        );
        CREATE INDEX articles_outlet ON articles(outlet);
        CREATE INDEX articles_published ON articles(published);
        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, text, content='articles', content_rowid='rowid', tokenize='unicode61'
        );
        CREATE TABLE sources (
            path TEXT PRIMARY KEY,
            signature TEXT NOT NULL,
            records INTEGER NOT NULL,
            finished_at TEXT NOT NULL
        );
        CREATE TABLE skipped (
            path TEXT NOT NULL,
            reason TEXT NOT NULL,
            code TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (path, reason)
        );
        CREATE TABLE stage_results (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            stage TEXT NOT NULL,
            version TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            data BLOB,
            PRIMARY KEY (article_id, stage)
        );
        CREATE TABLE annotations (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            stage TEXT NOT NULL,
            kind TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            label TEXT,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX annotations_article ON annotations(article_id, stage);
        CREATE TABLE republication_pairs (
            original TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            copy TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            similarity REAL NOT NULL,
            copy_share REAL NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (original, copy)
        );
        CREATE INDEX republication_pairs_copy ON republication_pairs(copy);
        CREATE TABLE republication_groups (
            id INTEGER PRIMARY KEY,
            original TEXT NOT NULL,
            members TEXT NOT NULL,
            reason TEXT NOT NULL
        );
"""

_M002_BROWSE_INDEXES = """
        CREATE INDEX articles_outlet_published ON articles(outlet, published);
        CREATE INDEX articles_language_published ON articles(language, published);
        DROP INDEX articles_outlet;
"""
"""Filtered, newest-first article pages (web overview, source pages) without a table scan."""

_M003_CLAIM_GROUPS = """
        CREATE TABLE claim_groups (
            id TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            first_article TEXT NOT NULL,
            first_published TEXT,
            articles INTEGER NOT NULL,
            claims INTEGER NOT NULL,
            attribution_conflict INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        CREATE TABLE claim_group_articles (
            group_id TEXT NOT NULL REFERENCES claim_groups(id) ON DELETE CASCADE,
            article_id TEXT NOT NULL,
            PRIMARY KEY (group_id, article_id)
        );
        CREATE INDEX claim_group_articles_article ON claim_group_articles(article_id);
"""
"""Groups of one claim across articles (stage ``claim_groups``), replaced whole at each run."""

_M004_FACTCHECKS = """
        CREATE TABLE factchecks (
            rowid INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            claim TEXT NOT NULL,
            title TEXT,
            url TEXT,
            publisher TEXT,
            rating TEXT,
            rating_score REAL,
            verdict TEXT NOT NULL,
            claimant TEXT,
            claim_date TEXT,
            published TEXT,
            language TEXT,
            data TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            vector BLOB,
            title_vector BLOB,
            imported_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX factchecks_published ON factchecks(published);
        CREATE VIRTUAL TABLE factchecks_fts USING fts5(
            claim, title, content='factchecks', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TABLE factcheck_matches (
            article_id TEXT NOT NULL,
            claim_id TEXT NOT NULL,
            factcheck_key TEXT NOT NULL,
            rank INTEGER NOT NULL,
            score REAL NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (claim_id, factcheck_key)
        );
        CREATE INDEX factcheck_matches_article ON factcheck_matches(article_id);
        CREATE INDEX factcheck_matches_factcheck ON factcheck_matches(factcheck_key);
"""
"""Imported fact-checks (ClaimReview), their full-text index and claim vectors, and the matches of
the corpus's claims to them (stage ``factcheck_matches``)."""

_M005_STORIES_NARRATIVES = """
        CREATE TABLE stories (
            id TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            start TEXT,
            "end" TEXT,
            articles INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        CREATE TABLE story_articles (
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            article_id TEXT NOT NULL,
            PRIMARY KEY (story_id, article_id)
        );
        CREATE INDEX story_articles_article ON story_articles(article_id);
        CREATE TABLE narrative_topics (
            id TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            articles INTEGER NOT NULL,
            claims INTEGER NOT NULL,
            data TEXT NOT NULL
        );
"""
"""Stories (stage ``stories``) and discovered narrative topics (``narrative_discovery``), replaced whole."""

MIGRATIONS: tuple[Migration, ...] = (Migration("001_initial", _M001_INITIAL),
                                     Migration("002_browse_indexes", _M002_BROWSE_INDEXES),
                                     Migration("003_claim_groups", _M003_CLAIM_GROUPS),
                                     Migration("004_factchecks", _M004_FACTCHECKS),
                                     Migration("005_stories_narratives", _M005_STORIES_NARRATIVES))
SCHEMA_VERSION = len(MIGRATIONS)


def apply_migrations(db: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; refuse a database from a newer narratrace."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    known = {m.name for m in MIGRATIONS}
    if unknown := done - known:
        raise MigrationError(
            f"database has migrations this narratrace does not know: {sorted(unknown)}; upgrade narratrace")
    applied = []
    for number, migration in enumerate(MIGRATIONS, start=1):
        if migration.name in done:
            continue
        stamp = datetime.now(timezone.utc).isoformat()
        try:
            # executescript commits before it runs, so the transaction is part of the script.
            db.executescript(
                f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                f"INSERT INTO _migrations VALUES ('{migration.name}', '{stamp}');\n"
                f"PRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
        applied.append(migration.name)
    return applied
