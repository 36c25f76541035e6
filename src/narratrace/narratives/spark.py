"""``narratives``, ``stories`` and ``narrative_discovery`` on Spark, by the local stages' own code.

* ``narratives`` classifies each article on its own: per partition
  (:func:`narratrace.spark.corpus.per_article_step`), identical to the local engine.
* ``stories`` is single-pass clustering in arrival order with a ``window_days`` date window: it
  runs once per time window of :data:`WINDOW_DAYS` days (``applyInArrow`` over the window of each
  article's publication date; undated articles form one more group), each on a task store holding
  that window's articles, their narratives and entities, and the republication pairs among them.
  Tolerance, stated: a story whose articles straddle a window boundary is cut in two there, an
  undated article joins only other undated articles, and key terms (c-TF-IDF) are weighed against
  the stories of the same window. Identical wherever a corpus lies within one window and has all
  or none of its articles dated (the example corpus; ``tests/test_spark_corpus.py``).
* ``narrative_discovery`` clusters at most ``max_claims`` uncovered claims (HDBSCAN): it runs as one
  group, exactly the local stage. Its task reads every article's narratives and claim vectors, so
  its input grows with the corpus (docs/scale.md: a distributed equivalent is not done).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["WINDOW_DAYS", "load_discovery", "load_stories", "run_discovery", "run_stories", "story_rows",
           "topic_rows"]

#: The time window of one ``stories`` task, in days (a story longer than this is cut at a boundary).
WINDOW_DAYS = 366
STORIES = "stories"
TOPICS = "narrative_topics"


def story_rows(store: Any) -> list[tuple[str, str, str]]:
    from narratrace.narratives.store import stories

    return [(STORIES, s.id, json.dumps(s.to_dict(), ensure_ascii=False)) for s in stories(store)]


def topic_rows(store: Any) -> list[tuple[str, str, str]]:
    from narratrace.narratives.store import narrative_topics

    return [(TOPICS, f"{n:08d}", json.dumps(t.to_dict(), ensure_ascii=False))
            for n, t in enumerate(narrative_topics(store))]


def _done(ctx: Any, table: str) -> bool:
    from narratrace.spark.corpus import stage_tables_done

    if stage_tables_done(ctx) and ctx.out.exists(table):
        ctx.reused.append(table)
        return True
    return False


def run_stories(ctx: Any) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from narratrace.spark.corpus import (done_rows, input_stages, run_groups, with_inputs, with_originals,
                                         write_groups, write_stage_rows)

    if _done(ctx, STORIES):
        return {"version": ctx.version}
    ctx.say(f"stage stories (one task per {WINDOW_DAYS}-day window)")
    needs = input_stages(ctx.name, list(ctx.versions))
    articles = with_originals(ctx, with_inputs(ctx, ctx.spark.read.parquet(ctx.out.path("articles")), needs))
    day = F.to_date(F.substring("published", 1, 10))
    grouped = articles.withColumn("group", F.when(day.isNull(), F.lit(-1)).otherwise(
        F.floor(F.datediff(day, F.lit("1970-01-01")) / WINDOW_DAYS)).cast("long"))
    found = run_groups(ctx, grouped, needs, __name__ + ":story_rows", prepare="narratrace.spark.corpus:save_pairs")
    n = F.json_array_length(F.get_json_object("data", "$.articles"))
    start = F.coalesce(F.get_json_object("data", "$.start"), F.lit("9999"))
    count = write_groups(ctx, STORIES, found, [n.desc(), start, "key"])  # cluster_stories' own order
    write_stage_rows(ctx, done_rows(ctx))
    return {"version": ctx.version, "stories": count, "window_days": WINDOW_DAYS}


def run_discovery(ctx: Any) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from narratrace.spark.corpus import done_rows, input_stages, run_groups, with_inputs, write_groups, write_stage_rows

    if _done(ctx, TOPICS):
        return {"version": ctx.version}
    ctx.say("stage narrative_discovery (one task)")
    needs = input_stages(ctx.name, list(ctx.versions))
    articles = with_inputs(ctx, ctx.spark.read.parquet(ctx.out.path("articles")), needs)
    found = run_groups(ctx, articles.withColumn("group", F.lit(0).cast("long")), needs, __name__ + ":topic_rows")
    count = write_groups(ctx, TOPICS, found, ["key"])
    write_stage_rows(ctx, done_rows(ctx))
    return {"version": ctx.version, "topics": count}


def _rows(root: Path, table: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for path in sorted((root / table).rglob("*.parquet")):  # one part file, written in order
        rows.extend(json.loads(r["data"]) for r in pq.read_table(path, columns=["data"]).to_pylist())
    return rows


def load_stories(root: Path, store: Any, stage: str, version: str) -> int:
    from narratrace.narratives.stories import Story
    from narratrace.narratives.stories_stage import StoriesResult
    from narratrace.narratives.store import save_stories

    if not (root / STORIES).exists():
        return 0
    result = StoriesResult(tuple(Story.from_dict(d) for d in _rows(root, STORIES)), ())
    save_stories(store, stage, version, result)
    return len(result.stories)


def load_discovery(root: Path, store: Any, stage: str, version: str) -> int:
    from narratrace.narratives.discovery import Topic
    from narratrace.narratives.stage import DiscoveryResult
    from narratrace.narratives.store import save_discovery

    if not (root / TOPICS).exists():
        return 0
    topics = tuple(Topic.from_dict(d) for d in _rows(root, TOPICS))
    save_discovery(store, stage, version, DiscoveryResult(topics, ()))
    return len(topics)
