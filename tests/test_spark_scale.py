"""A generated corpus of ≥ 5,000 articles through every stage on both engines (outside the default suite).

The corpus is the generator's English mode (short news items over eight beats, made-up places, bodies and
people, so claims, claim groups, stories and framing have work). It runs only with
``NARRATRACE_SPARK_SCALE=1`` (``make spark-scale``; ``NARRATRACE_SPARK_ARTICLES`` sets the size, 5,000
by default): both engines take tens of minutes on 2 cores (docs/scale.md has the measured times).

Every export section must be identical except the two approximate ones, each held to its stated
tolerance: ``claim_groups`` (identical when the claims fit a broadcast and Spark compares every pair in
the local stage's tiles, the default up to about 350,000 claims; else candidate links by
sign-random-projection banding: the pairs of claims
that share a group agree with the local engine's to pair F1 ≥ ``GROUP_PAIR_F1``, recall ≥
``GROUP_PAIR_RECALL``) and ``stories``
(overlapping windows chained by shared articles: the pairs of articles that share a story agree to
pair F1 ≥ ``STORY_PAIR_F1``). The generated corpus spans a year and its events recur all year, so
local stories chain from one month to the next: the case that cutting by windows alone got wrong
(pair recall 0.06 at 60 articles).
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

if os.environ.get("NARRATRACE_SPARK_SCALE") != "1":
    pytest.skip("set NARRATRACE_SPARK_SCALE=1 (make spark-scale): both engines on 5,000 articles take long on 2 cores",
                allow_module_level=True)

from narratrace.claims.spark import GROUP_PAIR_F1, GROUP_PAIR_RECALL  # noqa: E402
from narratrace.export import export_corpus  # noqa: E402
from narratrace.narratives.spark import STORY_PAIR_F1  # noqa: E402
from narratrace.pipeline import Pipeline, default_stages  # noqa: E402
from narratrace.spark.synthetic import write_corpus  # noqa: E402
from test_spark import FACTCHECKS, _local, _spark  # noqa: E402

ARTICLES = int(os.environ.get("NARRATRACE_SPARK_ARTICLES", "5000"))
#: The sections whose Spark answer is approximate, each with its tolerance (pair F1).
APPROXIMATE = {"claim_groups": GROUP_PAIR_F1, "stories": STORY_PAIR_F1}
#: The least recall of those pairs, where one is stated: a missed candidate link can only split a group.
RECALL = {"claim_groups": GROUP_PAIR_RECALL}
#: Sections whose scores, rounded to 4 decimals in the export, may differ by one unit in the last place:
#: the framing model scores a task store's batch of articles, the local engine the whole corpus, and a
#: matrix product over other shapes differs in the last bits (seen once in 606 framing rows at 200
#: articles: 0.4862 against 0.4863). Everything else in them must be identical.
LAST_PLACE = {"framing": 1.5e-4}


def _close(want: Any, got: Any, tolerance: float) -> bool:
    """``got`` equals ``want`` but for floats within ``tolerance``."""
    if isinstance(want, float) and isinstance(got, float):
        return abs(want - got) <= tolerance
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_close(want[k], got[k], tolerance) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(_close(w, g, tolerance) for w, g in zip(want, got))
    return bool(want == got)


def _together(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for members in groups for p in itertools.combinations(sorted(set(members)), 2)}  # type: ignore[misc]


def _agreement(want: set[Any], got: set[Any]) -> tuple[float, float, float]:
    """Recall, precision and F1 of ``got`` against ``want``."""
    if not want and not got:
        return 1.0, 1.0, 1.0
    both = len(want & got)
    recall, precision = both / max(len(want), 1), both / max(len(got), 1)
    return recall, precision, 2 * recall * precision / max(recall + precision, 1e-12)


def _members(section: str, export: dict[str, Any]) -> list[list[Any]]:
    if section == "claim_groups":
        return [[(m["article"], m["claim"]) for m in g["members"]] for g in export[section]]
    return [s["articles"] for s in export[section]]


@pytest.fixture(scope="module")
def spark() -> Any:
    from narratrace.spark.session import spark_session

    session = spark_session("local[2]", partitions=8)
    yield session
    session.stop()


def test_spark_generated_corpus_every_stage_matches_local_engine(spark: Any, tmp_path: Path) -> None:
    import time

    corpus = write_corpus(tmp_path / "in", ARTICLES, files=8, seed=5, english=True)
    stages = list(default_stages())
    started = time.perf_counter()
    local = _local([tmp_path / "in"], tmp_path / "local.db", stages, FACTCHECKS)
    middle = time.perf_counter()
    loaded = _spark(spark, [str(tmp_path / "in")], tmp_path / "out", tmp_path / "spark.db", stages, FACTCHECKS,
                    partitions=8)
    print(f"\n{ARTICLES} articles: local engine {middle - started:.0f} s, Spark + load {time.perf_counter() - middle:.0f} s")
    assert Pipeline(stages, workers=1).run(loaded).done == {s: 0 for s in stages}  # Spark left nothing to do
    assert loaded.count_articles() == local.count_articles() == corpus.articles
    want, got = export_corpus(local), export_corpus(loaded)
    assert list(got) == list(want)
    assert want["claims"] and want["claim_groups"] and want["stories"] and want["framing"], \
        "the generated corpus gives the stages work"
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    print("claim_groups on Spark:", manifest["claim_groups"])
    # every pair compared in tiles (the claims fit the broadcast): the local stage's links, so its groups
    exact = {"claim_groups"} if manifest["claim_groups"].get("method") == "tiles" else set()
    for section in want:
        if section in APPROXIMATE and section not in exact:
            recall, precision, f1 = _agreement(*(_together(_members(section, e)) for e in (want, got)))
            print(f"{section}: pairs sharing a group, recall {recall:.4f} precision {precision:.4f} F1 {f1:.4f}"
                  f" ({'identical' if got[section] == want[section] else 'not identical'})")
            assert f1 >= APPROXIMATE[section], section
            assert recall >= RECALL.get(section, 0.0), section
        elif section in LAST_PLACE:
            assert _close(want[section], got[section], LAST_PLACE[section]), section
        else:
            assert got[section] == want[section], section
