"""The library speaks refs where users see them: republication pairs by ref, stories with titles."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.ingest import ingest
from narratrace.pipeline import Pipeline
from narratrace.store import Store

STORY = ("The city council approved a budget of 40 million for road repairs on Tuesday.\n"
         "The mayor said the work on the ring road would start in April and last until the autumn.\n"
         "Shop owners on Quay Street asked for the works to pause during the summer market.\n"
         "The opposition called the plan rushed and said the costs would rise before the summer.")


def test_store_republication_pairs_by_ref(tmp_path: Path) -> None:
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "harbour-daily-budget", "outlet": "Harbour Daily", "text": STORY}) + "\n"
                      + json.dumps({"id": "coast-weekly-repost", "outlet": "Coast Weekly",
                                    "text": "From our partners.\n" + STORY}) + "\n", encoding="utf-8")
    with Store(tmp_path / "c.db") as store:
        ingest(store, [source])
        Pipeline(["fingerprints", "republications"], workers=1).run(store)
        (by_id,) = store.republication_pairs()
        (by_ref,) = store.republication_pairs(refs=True)
        assert (by_ref.original, by_ref.copy) == ("harbour-daily-budget", "coast-weekly-repost")
        refs = store.refs()
        assert (refs[by_id.original], refs[by_id.copy]) == (by_ref.original, by_ref.copy)
        assert by_ref.copy_share == by_id.copy_share


def test_store_stories_command_lists_titles_outlets_and_dates(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples" / "corpus"
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(examples), "--db", db, "-q"]).exit_code == 0
    assert runner.invoke(cli, ["analyze", "--db", db, "-q"]).exit_code == 0
    out = runner.invoke(cli, ["stories", "--db", db])
    assert out.exit_code == 0, out.output
    with Store(db) as store:
        index = {row["ref"]: row for row in store.article_index()}
    listed = [line.split() for line in out.stdout.splitlines() if line.startswith("    ")]
    assert listed
    for words in listed:
        row = index[words[0]]
        line = " ".join(words)
        assert (row["published"] or "undated") in line and (row["outlet"] or "outlet unknown") in line
        assert not row["title"] or " ".join(row["title"].split()) in line
