"""`factchecks import` reads the CheckThat! verified claims (JSONL, a folder, a tar.gz) like
`evaluate matching` does, and every long command shows progress (plain lines when not a terminal)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.commands.common import Progress
from narratrace.factchecks.readers import read_factchecks

VCLAIMS = [
    {"title": "Arlen bridge toll abolished", "subtitle": "Rumor: the toll ends in May.", "author": "A. Checker",
     "date": "10 March 2025", "vclaim_id": "vclaim-test-arlen-toll",
     "vclaim": "The toll on the Arlen bridge will be abolished from the first of May."},
    {"title": "Kessport ferry", "subtitle": "", "author": "", "date": "", "vclaim_id": "vclaim-test-ferry",
     "vclaim": "The Kessport ferry will be free for pensioners.", "page_url": "https://checkers.example/ferry"},
    {"title": "Solen harbour", "subtitle": "x", "author": "B", "date": "3 Jan 2024",
     "vclaim_id": "vclaim-test-harbour", "vclaim": "Solen harbour was sold to a foreign fund."},
]


def _tar(path: Path, objects: list[dict[str, str]], *, cut: int | None = None) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for obj in objects:
            data = json.dumps(obj, indent=4).encode()
            info = tarfile.TarInfo(f"vclaims/{obj['vclaim_id']}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    path.write_bytes(raw if cut is None else raw[:cut])
    return path


def _summary(records: list) -> list[tuple[str, str, str | None, str | None, str | None]]:
    return sorted((r.key, r.claim, r.title, r.url, r.published) for r in records)


def test_factchecks_import_reads_vclaims_as_jsonl_folder_and_tar(tmp_path: Path) -> None:
    jsonl = tmp_path / "vclaims.jsonl"
    jsonl.write_text("".join(json.dumps(v) + "\n" for v in VCLAIMS), encoding="utf-8")
    folder = tmp_path / "vclaims"
    folder.mkdir()
    for v in VCLAIMS:
        (folder / f"{v['vclaim_id']}.json").write_text(json.dumps(v, indent=4), encoding="utf-8")
    archive = _tar(tmp_path / "vclaims.tar.gz", VCLAIMS)
    results = [read_factchecks(p) for p in (jsonl, folder, archive)]
    assert [r.skipped for r in results] == [[], [], []]
    expected = [("vclaim:vclaim-test-arlen-toll", VCLAIMS[0]["vclaim"], "Arlen bridge toll abolished", None,
                 "2025-03-10"),
                ("vclaim:vclaim-test-ferry", VCLAIMS[1]["vclaim"], "Kessport ferry", "https://checkers.example/ferry",
                 None),
                ("vclaim:vclaim-test-harbour", VCLAIMS[2]["vclaim"], "Solen harbour", None, "2024-01-03")]
    for r in results:
        assert _summary(r.records) == expected
        assert {f.publisher for f in r.records} == {"vclaims"}


def test_factchecks_import_bad_vclaims_are_skipped_with_their_codes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"vclaim_id": "v-empty", "vclaim": "", "title": ""}) + "\n"
                     + json.dumps(VCLAIMS[0]) + "\n", encoding="utf-8")
    r = read_factchecks(empty)
    assert [f.key for f in r.records] == ["vclaim:vclaim-test-arlen-toll"]
    assert [s.code for s in r.skipped] == ["NT230"] and "no claim" in r.skipped[0].reason
    whole = _tar(tmp_path / "whole.tar.gz", VCLAIMS * 40)
    cut = _tar(tmp_path / "cut.tar.gz", VCLAIMS * 40, cut=whole.stat().st_size // 2)
    r = read_factchecks(cut)
    assert r.records, "the members before the damage are kept"
    assert [s.code for s in r.skipped] == ["NT223"] and "truncated" in r.skipped[0].reason
    not_tar = tmp_path / "x.tar.gz"
    not_tar.write_bytes(b"this is not an archive")
    assert [s.code for s in read_factchecks(not_tar).skipped] == ["NT223"]


def test_factchecks_import_cli_stores_vclaims_with_progress_lines(tmp_path: Path, monkeypatch) -> None:
    archive = _tar(tmp_path / "vclaims.tar.gz", VCLAIMS)
    monkeypatch.setenv("NARRATRACE_PROGRESS_EVERY", "0")
    db = str(tmp_path / "c.db")
    result = CliRunner().invoke(cli, ["factchecks", "import", str(archive), "--db", db, "--progress", "plain"])
    assert result.exit_code == 0, result.output
    assert "3 fact-check(s) added" in result.stdout and "3 embedded" in result.stdout
    assert "embedding: 3/3 fact-checks" in result.stderr
    again = CliRunner().invoke(cli, ["factchecks", "import", str(archive), "--db", db, "-q"])
    assert "0 added, 0 updated, 3 unchanged" in again.stdout.replace("fact-check(s) ", "") and again.stderr == ""


def test_progress_plain_lines_say_rate_and_eta_and_stay_quiet_for_short_steps(monkeypatch) -> None:
    lines: list[str] = []
    monkeypatch.setattr("click.echo", lambda text, err=False: lines.append(text))
    clock = iter([0.0, 30.0, 30.0, 60.0, 61.0, 61.5])
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    shown = Progress("plain", every=10)
    shown("claims", 0, 50_000)          # t=0: starts the step, nothing to say yet
    shown("claims", 12_000, 50_000)     # t=30: a line
    shown("claims", 12_001, 50_000)     # t=30: too soon
    shown("claims", 50_000, 50_000)     # t=60: the step's last line
    shown("techniques", 10, 10)         # t=61 -> 61: a short step says nothing
    shown("techniques", 10, 10)
    assert lines == ["claims: 12,000/50,000 articles, 400.0 articles/s, ETA 2 min",
                     "claims: 50,000/50,000 articles, 833.3 articles/s, done in 60 s"]
    assert Progress("auto").mode == "plain"  # stderr is not a terminal here
    assert Progress("bar", quiet=True).mode == "none"


def test_factchecks_spark_load_without_reference_leaves_matching_to_analyze(tmp_path: Path) -> None:
    """A Spark run without --reference matched against no fact-checks; loaded into a store that has
    fact-checks, its "done" rows would say every article was matched and found nothing. They are left
    pending instead (and kept when the run had the fact-checks)."""
    import json as _json

    from narratrace.factchecks import import_factchecks
    from narratrace.factchecks.spark import load
    from narratrace.ingest import ingest
    from narratrace.store import Store

    root = Path(__file__).resolve().parent.parent
    for reference, still_done in ((None, False), ("store:123:456", True)):
        out = tmp_path / f"spark-{bool(reference)}"
        out.mkdir()
        (out / "_manifest.json").write_text(_json.dumps({"stages": {"factcheck_matches": "v"}, "reference": reference}),
                                            encoding="utf-8")
        with Store(tmp_path / f"{bool(reference)}.db") as store:
            ingest(store, [root / "examples" / "corpus" / "coastline-post-dockworkers.txt"], workers=1)
            import_factchecks(store, root / "examples" / "factchecks.jsonld")
            ids = [aid for aid in store.pending("factcheck_matches", "v")]
            store.mark_stage_done("factcheck_matches", "v", ids)  # what the loaded result rows say
            assert ids and store.pending("factcheck_matches", "v") == []
            assert load(out, store, "factcheck_matches", "v") == 0
            assert (store.pending("factcheck_matches", "v") == []) is still_done
