"""The claims analysis's tables: claim groups and which articles carry them (replaced whole at each run)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from narratrace.claims.model import ClaimGroup
from narratrace.schema import Index, Migration, Table, col
from narratrace.store import Store
from narratrace.store.reviews import ReviewKind
from narratrace.store.tables import TableColumn, TableFilter, TableSpec, article_columns, article_filters, list_text

__all__ = ["CLAIMS_TABLE", "MIGRATIONS", "REVIEW", "SOURCES_TABLE", "VECTOR_DIM", "claim_groups", "save_claim_groups",
           "save_vector_rows"]

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


# -- the tables of the web app (narratrace.store.tables): every claim, and the cited sources ---------------

_SOURCE = "coalesce(json_extract(n.data, '$.source_canonical'), json_extract(n.data, '$.source'))"
_KIND = "json_extract(n.data, '$.source_kind')"
_CLAIM_TEXT = 'substr(a.text, n.start + 1, n."end" - n.start)'
_FROM = "FROM annotations n JOIN articles a ON a.id = n.article_id"
#: the claims of one claim group: its articles' claims whose id its members list
_IN_GROUP = ("n.article_id IN (SELECT article_id FROM claim_group_articles WHERE group_id = ?) AND EXISTS "
             "(SELECT 1 FROM claim_groups g WHERE g.id = ? AND g.data LIKE '%\"' || json_extract(n.data, '$.id') "
             "|| '\"%')")
_CLAIM_FILTERS = (
    TableFilter("source", _SOURCE, facet=True, description="the cited source (canonical name)"),
    TableFilter("kind", _KIND, "eq", "Source kind", facet=True,
                description="person, organisation, government, media, social_media, anonymous or none"),
    TableFilter("group", _IN_GROUP, "where", "Claim group", description="a claim group's id"),
)

CLAIMS_TABLE = TableSpec(
    "claims", "Claims", _FROM, where="n.kind = 'claim'",
    columns=(*article_columns(),
             TableColumn("claim", _CLAIM_TEXT, "Claim", width=400),
             TableColumn("source", _SOURCE, "Source", link="filter"),
             TableColumn("kind", _KIND, "Source kind", link="filter"),
             TableColumn("cue", "json_extract(n.data, '$.cue')", "Cue"),
             TableColumn("quote", "json_extract(n.data, '$.quote')", "Quote"),
             TableColumn("hedges", list_text("json_extract(n.data, '$.hedges')"), "Hedges"),
             TableColumn("score", "CAST(json_extract(n.data, '$.score') AS REAL)", "Check-worthiness",
                         kind="number"),
             TableColumn("id", "json_extract(n.data, '$.id')", "Claim id", sortable=False)),
    filters=(*article_filters(), TableFilter("q", _CLAIM_TEXT, "search", "Text", description="words in the claim"),
             *_CLAIM_FILTERS,
             TableFilter("hedge", "json_extract(n.data, '$.hedges')", "contains", "Hedge",
                         description="a hedge word of the claim (may, reportedly, ...)"),
             TableFilter("min_score", "CAST(json_extract(n.data, '$.score') AS REAL)", "min", "Score at least",
                         description="lowest check-worthiness score")),
    sort="-published", key=("a.rowid", "n.start"), row_id="n.rowid",
    description="Every claim the claims stage found, with the source it is attributed to.")
"""Every claim (``claim`` annotations) with its article, source, cue and score."""

SOURCES_TABLE = TableSpec(
    "sources", "Cited sources", _FROM, where=f"n.kind = 'claim' AND {_SOURCE} IS NOT NULL", group_by=_SOURCE,
    columns=(TableColumn("source", _SOURCE, "Source", link="/tables/claims?source={}"),
             TableColumn("kind", f"max({_KIND})", "Kind"),
             TableColumn("claims", "count(*)", "Claims", kind="number"),
             TableColumn("articles", "count(DISTINCT n.article_id)", "Articles", kind="number"),
             TableColumn("outlets", "count(DISTINCT a.outlet)", "Outlets", kind="number"),
             TableColumn("first", "min(a.published)", "First", kind="date"),
             TableColumn("last", "max(a.published)", "Last", kind="date")),
    filters=(*article_filters(), TableFilter("q", _SOURCE, "search", "Name", description="words in the source's name"),
             *_CLAIM_FILTERS[1:]),
    sort="-claims",
    description="Who the claims are attributed to, counted over the claims in the selection.")
"""Attributed sources (one row per canonical name) with their claims, articles and outlets."""


REVIEW = ReviewKind(
    "attribution", "Claim attributions", "claim", label_name="source", label_in_key=False, key_field="id",
    label_field="source",
    answer_fields=("source", "source_start", "source_end", "cue", "cue_start", "cue_end"), threshold=0.5)
"""A claim and who it is attributed to: confirm, reject, or correct its source (a span of the
article, or none) and cue; the score is the claim's check-worthiness."""
