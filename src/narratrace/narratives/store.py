"""SQL of the stories and narratives area: stories, discovered narrative topics, per-article narratives.

Functions take the :class:`~narratrace.store.Store`; every write is one transaction.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from narratrace.narratives.discovery import Topic
    from narratrace.narratives.stories import Story
    from narratrace.narratives.results import ArticleNarratives, DiscoveryResult, NarrativesResult, StoriesResult
    from narratrace.store.db import Store

from narratrace.schema import Index, Migration, Table, col  # noqa: E402
from narratrace.store.reviews import ReviewKind  # noqa: E402
from narratrace.store.tables import TableFilter  # noqa: E402

MIGRATIONS = (Migration("005_stories_narratives", tables=(
    Table("stories", (col("id", primary_key=True), col("label", null=False), col("start"), col("end"),
                      col("articles", "integer", null=False), col("data", null=False)), ordered=True),
    Table("story_articles", (col("story_id", null=False, references="stories(id)"), col("article_id", null=False)),
          primary_key=("story_id", "article_id"), indexes=(Index("story_articles_article", ("article_id",)),)),
    Table("narrative_topics", (col("id", primary_key=True), col("label", null=False),
                               col("articles", "integer", null=False), col("claims", "integer", null=False),
                               col("data", null=False)), ordered=True))),)
"""Stories (stage ``stories``) and discovered narrative topics (``narrative_discovery``), replaced whole."""

__all__ = ["MIGRATIONS", "REVIEW", "article_narratives", "story_filter", "narrative_topics", "save_discovery", "save_narratives", "save_stories", "stories"]


def _mark_done(store: Store, stage: str, version: str, ids: Any) -> None:
    store.mark_stage_done(stage, version, ids)


def save_narratives(store: Store, stage: str, version: str, result: NarrativesResult) -> None:
    store.save_stage_results(stage, version, list(result.rows))


def save_stories(store: Store, stage: str, version: str, result: StoriesResult) -> None:
    """Replace every story (they are recomputed over the corpus in arrival order) and mark ``compared`` done."""
    with store._transaction():
        store.db.execute("DELETE FROM story_articles")
        store.db.execute("DELETE FROM stories")
        for s in result.stories:
            store.db.execute("INSERT INTO stories VALUES (?, ?, ?, ?, ?, ?)",
                             (s.id, s.label, s.start, s.end, len(s.articles), json.dumps(s.to_dict(), ensure_ascii=False)))
            store.db.executemany("INSERT OR IGNORE INTO story_articles VALUES (?, ?)", [(s.id, a) for a in s.articles])
        _mark_done(store, stage, version, result.compared)


def stories(store: Store, article_id: str | None = None) -> list[Story]:
    """Stories (all, or the one holding ``article_id``), most articles first."""
    from narratrace.narratives.stories import Story

    sql = "SELECT s.data FROM stories s"
    args: tuple[str, ...] = ()
    if article_id is not None:
        sql += " JOIN story_articles m ON m.story_id = s.id WHERE m.article_id = ?"
        args = (article_id,)
    return [Story.from_dict(json.loads(r[0])) for r in store.db.execute(sql + " ORDER BY s.rowid", args)]


def save_discovery(store: Store, stage: str, version: str, result: DiscoveryResult) -> None:
    with store._transaction():
        store.db.execute("DELETE FROM narrative_topics")
        for t in result.topics:
            store.db.execute("INSERT INTO narrative_topics VALUES (?, ?, ?, ?, ?)",
                             (t.id, t.label, len(t.articles), len(t.claims), json.dumps(t.to_dict(), ensure_ascii=False)))
        _mark_done(store, stage, version, result.compared)


def narrative_topics(store: Store) -> list[Topic]:
    from narratrace.narratives.discovery import Topic

    return [Topic.from_dict(json.loads(r[0])) for r in store.db.execute("SELECT data FROM narrative_topics ORDER BY rowid")]


def article_narratives(store: Store) -> list[tuple[str, ArticleNarratives]]:
    """``(article_id, stored result)`` of the ``narratives`` stage, in ingestion order."""
    from narratrace.narratives.results import unpack_result

    return [(aid, unpack_result(data)) for aid, data in store.stage_data("narratives") if data]


def story_filter(article_id: str = "n.article_id") -> TableFilter:
    """The ``story`` filter of another analysis's table: rows of the articles of one story (its id)."""
    return TableFilter("story", f"{article_id} IN (SELECT article_id FROM story_articles WHERE story_id = ?)",
                       "where", "Story", description="a story's id (articles about the same event)")


REVIEW = ReviewKind(
    "narrative", "Narrative labels", "narrative", label_name="narrative", label_in_key=True, key_field="narrative",
    threshold=0.5, spans_editable=False, benchmark="semeval-narratives",
    benchmark_writer="narratrace.narratives.reviews:write_semeval_narratives")
"""A narrative (or subnarrative) label of one article, shown with its first evidence sentence:
confirm, reject or name another label of the taxonomy."""
