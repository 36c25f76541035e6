from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratrace.cli import cli

from textgen import article


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_every_command_has_help() -> None:
    runner = CliRunner()
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        assert runner.invoke(cli, [name, "--help"]).exit_code == 0


def test_cli_missing_database_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["analyze", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0
    assert "no database at" in result.output and "Traceback" not in result.output


def test_cli_ingest_analyze_export_search_report(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "orig.txt").write_text("Port officials warn of drone cargo\ndate 2025-04-02\n\n" + article(1))
    (corpus / "copy.txt").write_text("Drone cargo: a repost\ndate 2025-04-03\n\nOur editors add a note.\n\n" + article(1))
    (corpus / "other.txt").write_text(article(2))
    (corpus / "junk.bin").write_bytes(b"\x00\x01\x02" * 100)
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    out = _run(runner, "ingest", str(corpus), "--db", db)
    assert "3 added" in out and "1 skipped" in out
    out = _run(runner, "analyze", "--db", db)
    assert "1 republication pair(s) in 1 group(s)" in out
    assert "(up to date)" in _run(runner, "analyze", "--db", db)
    exported = json.loads(_run(runner, "export", "--db", db, "--format", "json"))
    assert [(p["original"], p["copy"]) for p in exported["republications"]] == [("orig", "copy")]
    assert exported["skipped"][0]["path"].endswith("junk.bin")
    assert {a["ref"] for a in exported["articles"]} == {"orig", "copy", "other"}
    hits = json.loads(_run(runner, "search", "drone cargo", "--db", db, "--json"))
    assert {h["ref"] for h in hits} >= {"orig", "copy"}
    report = tmp_path / "r.html"
    _run(runner, "report", "--db", db, "-o", str(report))
    assert report.stat().st_size > 1000


def _export(db: Path) -> dict:
    from narratrace import Store, export_corpus

    with Store(db) as store:
        data = export_corpus(store, include_text=True)
    for a in data["articles"]:
        a.pop("id")
    return data


@pytest.mark.slow
def test_cli_killed_ingest_resumes_to_same_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for i in range(3000):
        (corpus / f"a{i:05d}.txt").write_text(f"Title number {i}\n\n" + article(i % 50, paragraphs=3) + f" Unique {i}.")
    exe = [sys.executable, "-m", "narratrace.cli"]
    clean = tmp_path / "clean.db"
    subprocess.run([*exe, "ingest", str(corpus), "--db", str(clean), "-q"], check=True, capture_output=True)
    killed = tmp_path / "killed.db"
    proc = subprocess.Popen([*exe, "ingest", str(corpus), "--db", str(killed), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    count = 0
    deadline = time.time() + 60
    while time.time() < deadline and count < 200:
        time.sleep(0.05)
        try:
            with sqlite3.connect(killed, timeout=1) as db:
                count = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        except sqlite3.OperationalError:
            continue
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(killed) as db:
        at_kill = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 0 < at_kill < 3000, "the kill must land mid-corpus"
    subprocess.run([*exe, "ingest", str(corpus), "--db", str(killed), "-q"], check=True, capture_output=True)
    assert _export(killed) == _export(clean)


def test_cli_evaluate_attribution_on_labelled_set() -> None:
    from conftest import ROOT

    out = _run(CliRunner(), "evaluate", "attribution", "--data", str(ROOT / "tests/data/attribution/examples.jsonl"),
               "--corpus", str(ROOT / "examples/corpus"), "--limit", "2", "--json")
    result = json.loads(out)
    assert result["task"] == "attribution" and result["n"] == 2 and result["gold"] > 5
    assert 0.5 < result["measures"]["exact"]["source"]["f1"] <= 1.0


def test_cli_analyze_exits_non_zero_when_a_stage_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import narratrace.claims.stage as claims_stage

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(claims_stage, "extract_claims", broken)
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Title\n\nThe ministry said 42 drones were shot down on Tuesday.\n", encoding="utf-8")
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(corpus), "--db", db, "-q"]).exit_code == 0
    result = runner.invoke(cli, ["analyze", "--db", db, "-q"])
    assert result.exit_code == 1
    assert "parser exploded" in result.output and "stage(s) failed" in result.output
    assert "fingerprints: 1 article(s) processed" in result.output  # what could run, ran and was kept


def test_cli_unwritable_output_is_one_line_error(tmp_path: Path) -> None:
    """`export -o missing/dir/file` raised FileNotFoundError as a traceback; any command's file
    error is now `Error: FILE: reason` with status 1."""
    runner = CliRunner()
    db = str(tmp_path / "c.db")
    (tmp_path / "a.txt").write_text("Council Approves Budget\n\nThe council approved the budget on Monday.\n")
    assert runner.invoke(cli, ["ingest", str(tmp_path / "a.txt"), "--db", db, "-q"]).exit_code == 0
    target = tmp_path / "missing" / "out.json"
    result = runner.invoke(cli, ["export", "--db", db, "-o", str(target)])
    assert result.exit_code == 1, result.output
    assert f"Error: {target}: No such file or directory" in result.output
    assert not isinstance(result.exception, OSError) and "Traceback" not in result.output
