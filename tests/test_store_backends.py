"""Both store backends: PostgreSQL's own behaviour, several writers at once, and `migrate` between them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, new_pg_database
from textgen import article

from narratrace.cli import cli
from narratrace.errors import MigrationError, StoreError
from narratrace.export import export_corpus
from narratrace.factchecks import import_factchecks
from narratrace.ingest import ingest
from narratrace.pipeline import analyze
from narratrace.store import SCHEMA_VERSION, Store, open_store
from narratrace.store.postgres import PostgresStore, translate

FACTCHECKS = EXAMPLES.parent / "factchecks.jsonld"


def test_postgres_fresh_database_is_migrated_once(pg_server: str) -> None:
    _, url = new_pg_database(pg_server)
    with open_store(url) as store:
        assert isinstance(store, PostgresStore)
        assert store.schema_version == SCHEMA_VERSION
        names = [r[0] for r in store.db.execute("SELECT name FROM _migrations ORDER BY name")]
    with open_store(url) as again:  # reopening applies nothing twice
        assert [r[0] for r in again.db.execute("SELECT name FROM _migrations ORDER BY name")] == names
        assert again.db.execute("SELECT extname FROM pg_extension WHERE extname = 'vector'").fetchone()


def test_postgres_refuses_database_from_newer_version(pg_server: str) -> None:
    _, url = new_pg_database(pg_server)
    with open_store(url) as store:
        with store._transaction():
            store.db.execute("INSERT INTO _migrations VALUES ('999_future', 'x')")
    with pytest.raises(MigrationError, match="999_future"):
        open_store(url)


def test_postgres_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot connect"):
        open_store(f"postgresql://nobody:secret@/narratrace?host={tmp_path}")
    result = CliRunner().invoke(cli, ["analyze", "--db", f"postgresql://nobody:secret@/x?host={tmp_path}"])
    assert result.exit_code == 1 and "cannot connect" in result.output and "secret" not in result.output


def test_postgres_dialect_translation_keeps_sqlite_semantics() -> None:
    tables = (("pairs", ("original", "copy"), ("original", "copy", "similarity", "rowid")),)
    assert translate("INSERT OR REPLACE INTO pairs VALUES (?, ?, ?)", tables) == (
        'INSERT INTO pairs VALUES (%s, %s, %s) ON CONFLICT (original, copy) DO UPDATE SET '
        '"similarity" = EXCLUDED."similarity", rowid = DEFAULT')
    assert translate("INSERT OR IGNORE INTO x VALUES (?)") == "INSERT INTO x VALUES (%s) ON CONFLICT DO NOTHING"
    # NULLs sort first ascending and last descending, as in SQLite; keys that are never NULL keep index order
    assert translate("SELECT a FROM t ORDER BY published DESC, rowid DESC LIMIT ?") == (
        "SELECT a FROM t ORDER BY published DESC NULLS LAST, rowid DESC LIMIT nullif(%s::bigint, -1)")
    assert translate("SELECT outlet, count(*) AS n FROM t GROUP BY outlet ORDER BY n DESC, outlet") == (
        "SELECT outlet, count(*) AS n FROM t GROUP BY outlet ORDER BY n DESC, outlet NULLS FIRST")
    assert translate("SELECT json_extract(p.data, '$.reason') FROM p WHERE x LIKE ?") == (
        "SELECT (p.data::json ->> 'reason') FROM p WHERE x LIKE %s")


def test_postgres_search_and_vectors(pg_server: str) -> None:
    _, url = new_pg_database(pg_server)
    with open_store(url) as store:
        ingest(store, [EXAMPLES], workers=1)
        import_factchecks(store, FACTCHECKS)
        hits = store.search("drones port")
        assert hits and all("[" in h.snippet for h in hits)
        assert store.search("zzzqqq") == [] and store.search('" ') == []
        dims = {r[0] for r in store.db.execute("SELECT vector_dims(vector) FROM factchecks")}
        assert dims == {384}  # fact-check embeddings are pgvector values
        assert store.factcheck_bm25(["fisheries", "talks"])


def _jsonl(path: Path, refs: range) -> Path:
    lines = [json.dumps({"id": f"art-{i}", "title": f"Article {i}", "outlet": f"outlet{i % 7}",
                         "published": f"2025-03-{1 + i % 28:02d}", "text": article(i, paragraphs=3)})
             for i in refs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_store_two_ingest_processes_and_a_reader_lose_and_duplicate_nothing(db_target: str, tmp_path: Path) -> None:
    """Two `ingest` processes on overlapping inputs while the web app reads: every record once.

    The files share 450 refs; as when run one after the other, whichever file stores a ref
    first keeps it and the other file's record gets a suffixed ref (never overwritten, never lost).
    """
    from fastapi.testclient import TestClient

    from narratrace.web import create_app

    first = _jsonl(tmp_path / "first.jsonl", range(0, 900))
    second = _jsonl(tmp_path / "second.jsonl", range(450, 1350))
    open_store(db_target).close()
    exe = [sys.executable, "-m", "narratrace.cli"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    seen: list[int] = []
    errors: list[str] = []
    with TestClient(create_app(db_target)) as client:
        procs = [subprocess.Popen([*exe, "ingest", str(src), "--db", db_target, "-q"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
                 for src in (first, second)]

        def read() -> None:
            while any(p.poll() is None for p in procs):
                response = client.get("/api/overview")
                if response.status_code != 200:
                    errors.append(response.text)
                else:
                    seen.append(response.json()["stats"]["articles"])
                time.sleep(0.05)
        reader = threading.Thread(target=read)
        reader.start()
        outs = [p.communicate(timeout=300) for p in procs]
        reader.join()
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-2000:] for o in outs]
    assert not errors and seen == sorted(seen)  # the reader never failed and never saw rows vanish
    with open_store(db_target) as store:
        refs = [row["ref"] for row in store.article_index()]
        per_file: dict[str, int] = {}
        for art in store.articles():
            per_file[Path(art.source.split("#")[0]).name] = per_file.get(Path(art.source.split("#")[0]).name, 0) + 1
    assert len(refs) == len(set(refs)) == 1800
    assert per_file == {"first.jsonl": 900, "second.jsonl": 900}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/corpus with the example fact-checks, fully analysed, in SQLite (tests only read it)."""
    path = tmp_path_factory.mktemp("analysed") / "source.db"
    with Store(path) as store:
        ingest(store, [EXAMPLES], workers=1)
        import_factchecks(store, FACTCHECKS)
        analyze(store)
    return path


def test_migrate_round_trip_sqlite_postgres_sqlite_is_lossless(pg_server: str, analysed: Path, tmp_path: Path) -> None:
    source = analysed
    _, url = new_pg_database(pg_server)
    back = tmp_path / "back.db"
    runner = CliRunner()
    for src, dst in ((str(source), url), (url, str(back))):
        result = runner.invoke(cli, ["migrate", "--from", src, "--to", dst, "-q"])
        assert result.exit_code == 0, result.output
        assert "copied 15 article(s)" in result.output
    exports = []
    for target in (str(source), url, str(back)):
        with open_store(target, readonly=True) as store:
            exports.append(export_corpus(store, include_text=True))
            assert store.search("drones port")  # the destination's own full-text index was built
    assert exports[0]["claims"] and exports[0]["republications"] and exports[0]["factcheck_matches"]
    assert exports[0] == exports[1] == exports[2]
    refused = runner.invoke(cli, ["migrate", "--from", str(source), "--to", url])
    assert refused.exit_code == 1 and "empty store" in refused.output
    with Store(back) as store:  # nothing left to do: every analysis came along with its version
        assert all(n == 0 for n in analyze(store).done.values())


def test_postgres_claim_vectors_are_pgvector_rows_searched_like_sqlite(pg_server: str, analysed: Path) -> None:
    """The claim_vectors stage's embeddings become pgvector rows (HNSW); semantic search agrees with SQLite's."""
    from narratrace.claims.groups import unpack_vectors
    from narratrace.store.transfer import copy_corpus
    from narratrace.claims.web import StoredClaimIndex, claim_index, semantic_claim_search

    _, url = new_pg_database(pg_server)
    with Store(analysed, readonly=True) as lite, open_store(url) as team:
        copy_corpus(lite, team)  # raw rows, then the derived pgvector rows (rebuild_derived)
        claims = sum(len(unpack_vectors(d)) for _, d in lite.stage_data("claim_vectors") if d)
        assert claims > 20 and team.claim_vector_count() == claims
        assert lite.claim_vector_count() is None
        query = "drones were smuggled through the port of Kessport"
        in_memory = semantic_claim_search(claim_index(lite), query, limit=5)
        indexed = claim_index(team)
        assert isinstance(indexed, StoredClaimIndex)
        from_db = semantic_claim_search(indexed, query, limit=5, store=team)
        # copies carry the same claim (same vector, same score): ties may come in another order
        assert [h.text for h in from_db] == [h.text for h in in_memory]
        assert [h.score for h in from_db] == pytest.approx([h.score for h in in_memory], abs=2e-4)
        article = next(aid for aid, d in team.stage_data("claim_vectors") if d and len(unpack_vectors(d)))
        team.save_stage_results("claim_vectors", "v-test", [(article, "x", None, ())])  # re-run: rows replaced
        assert team.claim_vector_count() < claims


def test_store_same_ref_from_another_file_in_a_later_run_is_kept_apart(store: Store, tmp_path: Path) -> None:
    """A ref another file stored in an earlier run keeps its article; this file's record gets ``ref~hash``."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _jsonl(tmp_path / "a" / "same.jsonl", range(0, 3))
    second = _jsonl(tmp_path / "b" / "same.jsonl", range(2, 5))
    ingest(store, [first], workers=1)
    ingest(store, [second], workers=1)
    again = ingest(store, [second], workers=1)  # nothing new the second time
    refs = sorted(row["ref"] for row in store.article_index())
    assert [r for r in refs if "~" not in r] == ["art-0", "art-1", "art-2", "art-3", "art-4"]
    moved = [r for r in refs if "~" in r]
    assert len(moved) == 1 and moved[0].startswith("art-2~") and again.added == 0
    assert store.article("art-2").source.startswith(str(first))
    assert store.article(moved[0]).source.startswith(str(second))
