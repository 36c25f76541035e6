"""The ``boilerplate`` corpus stage: finds the corpus's boilerplate lines and records their spans.

It runs before ``republications`` and ``claims`` (it reads only the text). Each article's line
keys are stored with its result, so a later run reads keys, not texts, to count lines over the
whole corpus. A line can become boilerplate only when later articles carry it too: the articles
whose boilerplate changed are stored again, and every stage that reads boilerplate (``uses``),
with the stages downstream of those, analyses them again (:func:`narratrace.pipeline.dependent_stages`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from narratrace.boilerplate.lines import Line, article_lines, find_boilerplate
from narratrace.errors import ConfigError
from narratrace.model import Annotation
from narratrace.pipeline import CorpusView, dependent_stages, stage
from narratrace.store import Store

__all__ = ["BOILERPLATE_STAGE", "BoilerplateResult", "boilerplate_spans", "make_boilerplate"]

BOILERPLATE_STAGE = "boilerplate"

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class BoilerplateResult:
    """Rows ``(article_id, content_hash, data, annotations)`` to store, and the articles whose
    boilerplate is new or changed (their readers' results are out of date)."""

    rows: tuple[tuple[str, str, dict[str, Any], tuple[Annotation, ...]], ...]
    changed: tuple[str, ...]


def save_boilerplate(store: Store, stage_name: str, version: str, output: BoilerplateResult) -> None:
    store.save_stage_results(stage_name, version, list(output.rows))
    if output.changed:
        store.forget_stage_results(dependent_stages(["article.boilerplate"]), output.changed)


def boilerplate_spans(corpus: CorpusView, article_id: str) -> list[tuple[int, int]]:
    """The boilerplate lines of one article (none when the stage has not run)."""
    return [(a.start, a.end) for a in corpus.annotations(article_id, stage=BOILERPLATE_STAGE) if a.kind == "boilerplate"]


def _row(article_id: str, content_hash: str, lines: Sequence[Line], group: str,
         found: dict[tuple[str, int], int]) -> tuple[str, str, dict[str, Any], tuple[Annotation, ...]]:
    marked = [ln for ln in lines if (group, ln.key) in found]
    annotations = tuple(Annotation("boilerplate", ln.start, ln.end, None,
                                   {"key": str(ln.key), "articles": found[(group, ln.key)]}) for ln in marked)
    data = {"lines": [ln.key for ln in lines], "boilerplate": sorted({ln.key for ln in marked})}
    return article_id, content_hash, data, annotations


@stage(BOILERPLATE_STAGE, version="boilerplate.v1", level="corpus", requires=["article.text"],
       produces=["article.boilerplate"], save=save_boilerplate,
       default_config={"min_articles": 3, "min_articles_unknown": 5, "max_overlap": 0.5, "min_words": 3,
                       "max_words": 80})
def make_boilerplate(*, min_articles: int, min_articles_unknown: int, max_overlap: float, min_words: int,
                     max_words: int) -> Callable[..., BoilerplateResult]:
    """Lines carried by ``min_articles`` otherwise different articles of one outlet (``min_articles_unknown``
    when the outlet is not known), found over the whole corpus."""
    if int(min_articles) < 2 or int(min_articles_unknown) < 2:
        raise ConfigError("boilerplate: min_articles and min_articles_unknown must be at least 2")
    if not 0.0 < float(max_overlap) <= 1.0:
        raise ConfigError(f"boilerplate: max_overlap must be in (0, 1], not {max_overlap!r}")

    def find(corpus: CorpusView, *, new_ids: Sequence[str],
             progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> BoilerplateResult:
        index = corpus.article_index()
        outlet = {row["id"]: row["outlet"] for row in index}
        group = {aid: (o or "").strip().lower() for aid, o in outlet.items()}
        new = set(new_ids)
        keys: dict[str, list[int]] = {}
        before: dict[str, list[int]] = {}
        for article_id, data in corpus.stage_data(BOILERPLATE_STAGE):
            if article_id in new or article_id not in outlet or not data:
                continue
            stored = json.loads(data)
            keys[article_id] = [int(k) for k in stored.get("lines", ())]
            before[article_id] = [int(k) for k in stored.get("boilerplate", ())]
        fresh: dict[str, tuple[str, list[Line]]] = {}
        for n, article in enumerate(corpus.articles(new_ids), start=1):
            lines = article_lines(article.text, min_words=int(min_words), max_words=int(max_words))
            fresh[article.id] = (article.content_hash, lines)
            keys[article.id] = [ln.key for ln in lines]
            if progress and n % 1000 == 0:
                progress("boilerplate", n, len(new_ids))
        found = find_boilerplate(keys, outlet, min_articles=int(min_articles),
                                 min_articles_unknown=int(min_articles_unknown), max_overlap=float(max_overlap))
        rows = [_row(aid, chash, lines, group[aid], found) for aid, (chash, lines) in fresh.items()]
        changed = [aid for aid, old in before.items()
                   if sorted({k for k in keys[aid] if (group[aid], k) in found}) != old]
        for article in corpus.articles(changed):
            lines = article_lines(article.text, min_words=int(min_words), max_words=int(max_words))
            rows.append(_row(article.id, article.content_hash, lines, group[article.id], found))
        changed += [row[0] for row in rows[:len(fresh)] if row[3]]
        if progress:
            progress("boilerplate", len(new_ids), len(new_ids))
        log.info("boilerplate: %d line(s) found, %d article(s) carry one", len(found),
                 sum(1 for row in rows if row[3]))
        return BoilerplateResult(tuple(rows), tuple(changed))
    return find
