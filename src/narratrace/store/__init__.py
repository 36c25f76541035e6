"""Persistence: one Store interface over SQLite (the embedded default) and PostgreSQL (for teams)."""

from __future__ import annotations

import re

from narratrace.store.db import ArticleState, SearchHit, Store, WriteCounts
from narratrace.store.migrations import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "ArticleState", "SearchHit", "Store", "WriteCounts", "is_postgres_url", "open_store",
           "shown"]


def is_postgres_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database (``postgresql://...``) rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def shown(target: str | object) -> str:
    """``target`` as printed to a terminal or log: a URL's password is masked."""
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", str(target))


def open_store(target: str | object, *, readonly: bool = False) -> Store:
    """The store at ``target``: a ``postgresql://USER@HOST/DB`` URL, or a SQLite file path (``:memory:``)."""
    if is_postgres_url(target):
        from narratrace.store.postgres import PostgresStore

        return PostgresStore(str(target), readonly=readonly)
    return Store(target, readonly=readonly)  # type: ignore[arg-type]
