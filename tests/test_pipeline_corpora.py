"""The whole pipeline on the real seed articles and on the bundled example corpus, on both store backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from narratrace import Store, analyze, export_corpus
from narratrace.ingest import ingest
from narratrace.store import open_store


_OPENED: list[Store] = []


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().close()


def _run(db_target: str, corpus: Path) -> tuple[Store, dict]:
    store = open_store(db_target)
    _OPENED.append(store)
    report = ingest(store, [corpus])
    assert report.skipped == [], report.skipped
    analyze(store)
    return store, export_corpus(store)


def test_pipeline_seeds_find_exactly_the_cradle_repost(db_target: str, seeds_dir: Path) -> None:
    store, data = _run(db_target, seeds_dir)
    assert len(data["articles"]) == 5
    pairs = data["republications"]
    assert [(p["original"][:3], p["copy"][:3]) for p in pairs] == [("003", "004")]
    pair = pairs[0]
    assert pair["original_share"] > 0.8  # the shared passages cover most of 003
    assert pair["evidence"] == "credit" and "The Cradle" in pair["reason"]
    copy = store.article(pair["copy"])
    added = {a["label"]: copy.text[a["start"]:a["end"]] for a in pair["additions"]}
    assert "Global Research condemns Russia" in added["preamble"]
    assert "The original source of this article is The Cradle" in added["footer"]
    original = store.article(pair["original"])
    for p in pair["shared_passages"]:  # offsets point at the same words in both texts
        a = original.text[p["original_start"]:p["original_end"]].lower().split()
        b = copy.text[p["copy_start"]:p["copy_end"]].lower().split()
        assert a[:3] == b[:3] and a[-2:] == b[-2:]
    covered = sum(p["copy_end"] - p["copy_start"] for p in pair["shared_passages"])
    assert abs(covered / len(copy.text) - pair["copy_share"]) < 0.01
    assert [g["original"][:3] for g in data["republication_groups"]] == ["003"]


def test_pipeline_seeds_metadata_from_text(db_target: str, seeds_dir: Path) -> None:
    store, data = _run(db_target, seeds_dir)
    meta = {a["ref"][:3]: a for a in data["articles"]}
    assert meta["004"]["published"] == "2022-03-06"
    assert meta["003"]["outlet"] == "The Cradle"
    assert meta["003"]["title"] == "Russia Warns Washington is Sending ISIS Fighters to Ukraine"
    assert all(a["language"] == "en" for a in data["articles"])


def test_pipeline_examples_match_expected_groups(db_target: str, examples_dir: Path) -> None:
    store, data = _run(db_target, examples_dir)
    groups = data["republication_groups"]
    assert len(groups) == 1
    group = groups[0]
    assert group["original"] == "harbour-courier-drones"
    assert sorted(group["members"]) == sorted(["harbour-courier-drones", "northern-ledger-repost",
                                                "veloria-today-drones-repost", "daily-meridian-analysis"])
    direct = {p["copy"]: p for p in data["republications"] if p["original"] == "harbour-courier-drones"}
    assert set(direct) == {"northern-ledger-repost", "veloria-today-drones-repost", "daily-meridian-analysis"}
    labels = {ref: sorted({a["label"] for a in p["additions"]}) for ref, p in direct.items()}
    assert "preamble" in labels["northern-ledger-repost"] and "footer" in labels["northern-ledger-repost"]
    assert "insertion" in labels["veloria-today-drones-repost"]
    assert "preamble" in labels["daily-meridian-analysis"]
    assert direct["daily-meridian-analysis"]["original_share"] < 0.7  # a partial copy
    assert len(direct["northern-ledger-repost"]["edited_sentences"]) >= 5
    languages = {a["ref"]: a["language"] for a in data["articles"]}
    assert languages["kuestenbote-drohnen"] == "de"
