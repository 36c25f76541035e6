"""The story map: the projection, which articles it places, its legend, and its timelines' undated counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import numpy as np
import pytest

from claimkit import article
from narratrace.model import Span
from narratrace.narratives.map import LEGEND_GROUPS, NONE, OTHER, _groups, build_map, project
from narratrace.narratives.stories import Story
from narratrace.narratives.stories_stage import StoriesResult
from narratrace.narratives.store import save_stories
from narratrace.narratives.views import timeline
from narratrace.report import build_report, render_html
from narratrace.store import Store
from narratrace.vectors import SENTENCE_STAGE, SentenceVectors, pack_sentence_vectors

from scripts_check import check_scripts


def test_narratives_map_projection_is_deterministic_and_fills_the_square() -> None:
    rng = np.random.default_rng(7)
    m = rng.normal(size=(40, 16)).astype(np.float32)
    a, ex = project(m)
    b, _ = project(m.copy())
    assert np.array_equal(a, b)
    assert a.shape == (40, 2) and np.isclose(np.abs(a).max(), 1.0) and a.min() >= -1.0
    assert 0 < ex[1] <= ex[0] < 1
    # the first axis is the direction of most variance: points on a line keep their order on it
    line = np.outer(np.arange(5, dtype=np.float32), np.ones(16, dtype=np.float32))
    coords, ex = project(line)
    assert list(np.argsort(coords[:, 0])) == [0, 1, 2, 3, 4] and np.allclose(coords[:, 1], 0) and ex[0] == pytest.approx(1)
    # the same points with the signs of every dimension flipped give the same picture, mirrored at most
    flipped, _ = project(-line)
    assert np.allclose(np.abs(flipped), np.abs(coords))


@pytest.mark.parametrize("n", [0, 1, 2])
def test_narratives_map_projection_of_few_points(n: int) -> None:
    coords, _ = project(np.ones((n, 8), dtype=np.float32) * np.arange(n, dtype=np.float32)[:, None])
    assert coords.shape == (n, 2) and np.isfinite(coords).all()


def test_narratives_map_legend_keeps_the_largest_groups() -> None:
    keys = [f"s{i}" for i in range(LEGEND_GROUPS + 2) for _ in range(LEGEND_GROUPS + 2 - i)] + [NONE, NONE]
    assigned, legend = _groups(keys, {"s0": "the largest"}, "other stories", "no story")
    assert [g.key for g in legend[:2]] == ["s0", "s1"] and legend[0].label == "the largest"
    assert [g.key for g in legend[-2:]] == [OTHER, NONE] and len(legend) == LEGEND_GROUPS + 2
    assert sum(g.count for g in legend) == len(keys) and assigned.count(OTHER) == 2 + 1


def _vectors(store: Store, art: object, rows: list[list[float]], model: str = "minilm-int8-v1") -> None:
    spans = tuple(Span(i * 10, i * 10 + 5) for i in range(len(rows)))
    blob = pack_sentence_vectors(SentenceVectors(spans, np.asarray(rows, dtype=np.float16), model))
    store.save_stage_results(SENTENCE_STAGE, "test", [(art.id, art.content_hash, blob, [])])  # type: ignore[attr-defined]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "map.db")
    arts = [article(f"a{i}", f"Article number {i} says something quite different from the others.",
                    outlet="Wire", published=f"2025-04-0{i + 1}" if i != 2 else None) for i in range(6)]
    s.write_articles(arts)
    _vectors(s, arts[0], [[1, 0.1, 0, 0], [1, -0.1, 0, 0]])
    _vectors(s, arts[1], [[1, 0, 0.1, 0]])
    _vectors(s, arts[2], [[0, 0, 1, 0.1], [0, 0, 1, -0.1]])
    _vectors(s, arts[3], [[0, 0.1, 1, 0]])
    _vectors(s, arts[4], [[1, 0, 0, 0, 0, 0]], model="another-encoder")   # another space: not placed
    # a5: no vectors at all: not placed
    save_stories(s, "stories", "test", StoriesResult((
        Story("st-one", "first story", (), (arts[0].id, arts[1].id), "2025-04-01", "2025-04-02", dated=2),
        Story("st-two", "second <b>story</b>", (), (arts[2].id, arts[3].id), "2025-04-04", "2025-04-04", dated=1),
        Story("st-solo", "alone", (), (arts[5].id,), None, None)), ()))
    yield s
    s.close()


def test_narratives_map_places_articles_with_vectors_by_what_they_say(store: Store) -> None:
    m = build_map(store, href=lambda row: "/articles/" + row["ref"])
    assert m is not None
    assert (m.articles, m.placed, m.not_placed, m.not_shown) == (6, 4, 2, 0)
    points = {p.ref: p for p in m.points}
    assert set(points) == {"a0", "a1", "a2", "a3"}
    assert {p.story for p in points.values()} == {"st-one", "st-two"}
    assert points["a2"].date is None and points["a0"].date == "2025-04-01"
    assert points["a0"].href == "/articles/a0" and points["a2"].story_label == "second <b>story</b>"

    def gap(a: str, b: str) -> float:
        return float(np.hypot(points[a].x - points[b].x, points[a].y - points[b].y))
    # articles of one story (close vectors) sit together, apart from the other story's
    assert max(gap("a0", "a1"), gap("a2", "a3")) < min(gap(a, b) for a in ("a0", "a1") for b in ("a2", "a3"))
    assert [(g.key, g.count) for g in m.stories] == [("st-one", 2), ("st-two", 2)]
    assert [(g.key, g.count) for g in m.narratives] == [(NONE, 4)]
    assert build_map(store) == build_map(store)   # deterministic
    limited = build_map(store, limit=2)
    assert limited is not None and len(limited.points) == 2 and limited.not_shown == 2


def test_narratives_map_none_without_vectors(tmp_path: Path) -> None:
    with Store(tmp_path / "none.db") as s:
        s.write_articles([article("x", "Some words here.")])
        assert build_map(s) is None


def test_narratives_timeline_counts_undated_of_all() -> None:
    rows = [{"published": "2025-04-01", "outlet": "A"}, {"published": None, "outlet": "B"},
            {"published": "not a date", "outlet": "B"}]
    tl = timeline(rows)
    assert tl is not None and (tl.undated, tl.articles) == (2, 3)
    none_dated = timeline([{"published": None}])
    assert none_dated is not None and none_dated.bars == () and (none_dated.undated, none_dated.articles) == (1, 1)


def test_narratives_map_report_section_is_self_contained(store: Store) -> None:
    html = render_html(build_report(store))
    doc = lxml.html.fromstring(html)
    (section,) = doc.xpath('//section[@id="story-map"]')
    assert doc.xpath('//nav/a[@href="#story-map"]')
    assert "2 of 6 articles have no sentence vectors" in " ".join(section.text_content().split())
    blocks = {b.get("id"): json.loads(b.text) for b in check_scripts(html)}
    data = blocks["nt-map-report-data"]
    assert {p["ref"] for p in data["points"]} == {"a0", "a1", "a2", "a3"} and data["not_placed"] == 2
    assert all(p["href"] is None for p in data["points"])  # the test articles have no URL: no link
    assert not doc.xpath("//script[@src]") and "second <b>story</b>" not in html
    # the story timelines say how many of their articles are undated
    assert "1 of 2 articles undated" in " ".join(doc.xpath('string(//section[@id="stories"])').split())
