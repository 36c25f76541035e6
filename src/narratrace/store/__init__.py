"""Persistence: the SQLite store and its migrations."""

from .db import ArticleState, SearchHit, Store, WriteCounts
from .migrations import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "ArticleState", "SearchHit", "Store", "WriteCounts"]
