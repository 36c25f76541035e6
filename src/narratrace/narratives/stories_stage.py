"""Stories: articles about the same event (see :mod:`narratrace.narratives.stories` and docs/stages.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from narratrace.errors import ConfigError
from narratrace.narratives.stories import StoryInput, StoryOptions, cluster_stories
from narratrace.narratives.store import save_stories
from narratrace.pipeline import CorpusView, stage
from narratrace.narratives.results import StoriesResult, unpack_result

__all__ = ["StoriesResult", "make_stories"]  # StoriesResult lives in narratives.results

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

#: Entity kinds that say which event it is (actors, places, and things such as a ship: "the freighter Solen
#: Crest", a ``PRODUCT`` since claims.rules.v9); dates and numbers are not entities here.
EVENT_ENTITY_KINDS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT"})


@stage("stories", version="stories.v4", level="corpus",
       requires=["article.narrative_vectors", "article.published", "article.entities"],
       produces=["corpus.stories"], save=save_stories, encoder=True,
       default_config={"threshold": 0.62, "entity_bonus": 0.04, "entity_cap": 3, "window_days": 10,
                       "min_articles": 1})
def make_stories(*, threshold: float, entity_bonus: float, entity_cap: int, window_days: int,
                 min_articles: int) -> Callable[..., StoriesResult]:
    """Articles about the same event (actors, place, time window), clustered in arrival order."""
    if not -1.0 <= float(threshold) <= 2.0:
        raise ConfigError(f"stories: threshold must be a cosine (about 0..1), not {threshold!r}")
    if int(window_days) < 0:
        raise ConfigError(f"stories: window_days must be 0 or more, not {window_days!r}")
    from narratrace.vectors import encoder_name, space_of

    opts = StoryOptions(float(threshold), float(entity_bonus), int(entity_cap), int(window_days), int(min_articles),
                        space_of(encoder_name()))

    def run(corpus: CorpusView, *, new_ids: Sequence[str],
            progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> StoriesResult:
        index = {row["id"]: row for row in corpus.article_index()}
        copies: dict[str, list[str]] = {}
        for p in corpus.republication_pairs():
            copies.setdefault(p.copy, []).append(p.original)
        items = []
        for aid, data in corpus.stage_data("narratives"):
            if not data or aid not in index:
                continue
            r = unpack_result(data)
            if r.skipped:
                continue
            entities = frozenset(str((a.data or {}).get("canonical") or "") for a in corpus.annotations(aid, stage="claims")
                                 if a.kind == "entity" and a.label in EVENT_ENTITY_KINDS) - {""}
            row = index[aid]
            items.append(StoryInput(aid, r.lead, row.get("published"), entities,
                                    f"{row.get('title') or ''}. {r.lead_text}", tuple(copies.get(aid, ()))))
        stories = cluster_stories(items, opts)
        if progress:
            progress("stories", len(new_ids), len(new_ids))
        log.info("stories: %d articles, %d stories", len(items), len(stories))
        return StoriesResult(tuple(stories), tuple(new_ids))
    return run
