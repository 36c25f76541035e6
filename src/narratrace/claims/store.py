"""The claims analysis's tables: claim groups and which articles carry them (replaced whole at each run)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from narratrace.claims.model import ClaimGroup
from narratrace.schema import Index, Migration, Table, col
from narratrace.store import Store

__all__ = ["MIGRATIONS", "VECTOR_DIM", "claim_groups", "save_claim_groups", "save_vector_rows"]

#: Width of the claim vectors that PostgreSQL indexes with pgvector (the encoder's output).
VECTOR_DIM = 384

MIGRATIONS = (Migration(
    "003_claim_groups",
    tables=(Table("claim_groups", (
        col("id", primary_key=True), col("label", null=False), col("first_article", null=False),
        col("first_published"), col("articles", "integer", null=False), col("claims", "integer", null=False),
        col("attribution_conflict", "integer", null=False), col("data", null=False)), ordered=True),
        Table("claim_group_articles", (col("group_id", null=False, references="claim_groups(id)"),
                                       col("article_id", null=False)), primary_key=("group_id", "article_id"),
              indexes=(Index("claim_group_articles_article", ("article_id",)),))),
    extensions=("vector",),
    postgres=("CREATE TABLE IF NOT EXISTS claim_vectors (article_id TEXT NOT NULL REFERENCES articles(id) "
              "ON DELETE CASCADE, ordinal INTEGER NOT NULL, claim_id TEXT NOT NULL, text TEXT NOT NULL, "
              f"vector vector({VECTOR_DIM}) NOT NULL, PRIMARY KEY (article_id, ordinal))",
              "CREATE INDEX IF NOT EXISTS claim_vectors_hnsw ON claim_vectors USING hnsw (vector vector_ip_ops)"),
    postgres_only=("claim_vectors",)),)
"""Groups of one claim across articles (stage ``claim_groups``); on PostgreSQL also the claim vectors as
pgvector rows with an HNSW index, for semantic claim search in the database."""


def save_vector_rows(store: Store, stage: str, version: str, output: Any) -> None:
    """The ``claim_vectors`` stage's result: one vector blob per article."""
    store.save_stage_results(stage, version, [(aid, chash, data, ()) for aid, chash, data in output.rows])


def save_claim_groups(store: Store, stage: str, version: str, *, groups: Sequence[ClaimGroup],
                      compared: Sequence[str]) -> None:
    """Replace every claim group (they are recomputed over the whole corpus) and mark ``compared`` done."""
    with store._transaction():
        store.db.execute("DELETE FROM claim_group_articles")
        store.db.execute("DELETE FROM claim_groups")
        for g in groups:
            store.db.execute("INSERT INTO claim_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (g.id, g.label, g.first_seen, g.first_published, len(g.articles), len(g.members),
                             int(g.attribution_conflict), json.dumps(g.to_dict(), ensure_ascii=False)))
            store.db.executemany("INSERT INTO claim_group_articles VALUES (?, ?)",
                                [(g.id, a.article) for a in g.articles])
        store.mark_stage_done(stage, version, compared)


def claim_groups(store: Store, article_id: str | None = None) -> list[ClaimGroup]:
    """Claim groups (all, or those with a claim in ``article_id``), most articles first."""
    sql = "SELECT g.data FROM claim_groups g"
    args: tuple[str, ...] = ()
    if article_id is not None:
        sql += " JOIN claim_group_articles m ON m.group_id = g.id WHERE m.article_id = ?"
        args = (article_id,)
    return [ClaimGroup.from_dict(json.loads(r[0])) for r in store.db.execute(sql + " ORDER BY g.rowid", args)]
