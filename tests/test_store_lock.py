"""The writers' lock (``Store.write_lock``, NT320) with real concurrent processes: a second writer gets a
clear error naming the holder or waits (``--wait``), a killed holder's lock is taken over, readers are
never blocked, and the forked workers of a run neither hold nor keep the lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from narratrace.errors import StoreError, StoreLocked
from narratrace.store import open_store
from narratrace.store.lock import current_holders

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "corpus"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}

#: A process that takes the writers' lock of argv[1] as command argv[2] (shared for "ingest"), says so, and
#: holds it for argv[3] seconds; with argv[4] == "fork" it first forks a child that outlives it (as a run's
#: workers may).
HOLDER = r"""
import os, sys, time
from narratrace.store import open_store
store = open_store(sys.argv[1])
with store.write_lock(sys.argv[2], shared=sys.argv[2] == "ingest"):
    if len(sys.argv) > 4 and sys.argv[4] == "fork":
        if os.fork() == 0:
            os.close(1), os.close(2)  # the pipes to the test end with the parent
            time.sleep(20)
            os._exit(0)
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
print("released", flush=True)
"""


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "narratrace.cli", *args], env=ENV, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def hold() -> Iterator[object]:
    """``hold(db, command, seconds, fork=False)``: a holder process, started once it holds the lock."""
    procs: list[subprocess.Popen[str]] = []

    def start(db: str, command: str = "analyze", seconds: float = 60, fork: bool = False) -> subprocess.Popen[str]:
        p = subprocess.Popen([sys.executable, "-c", HOLDER, db, command, str(seconds), "fork" if fork else ""],
                             env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        assert p.stdout is not None and p.stdout.readline().strip() == "locked", p.stderr and p.stderr.read()
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "corpus.db")
    result = cli("ingest", str(EXAMPLES / "coastline-post-dockworkers.txt"), "--db", path, "-q")
    assert result.returncode == 0, result.stderr
    return path


def test_store_lock_second_writer_is_told_who_holds_it(db: str, hold) -> None:  # type: ignore[no-untyped-def]
    holder = hold(db, "analyze")
    for command in (["analyze", "--db", db, "-q"], ["ingest", str(EXAMPLES), "--db", db, "-q"]):
        result = cli(*command)
        assert result.returncode == 1, result.stderr
        assert "[NT320]" in result.stderr and f"pid {holder.pid}" in result.stderr, result.stderr
        assert "(analyze, since 20" in result.stderr and "--wait" in result.stderr
        assert "Traceback" not in result.stderr
    with open_store(db, readonly=True) as store:
        assert store.count_articles() == 1  # the refused ingest wrote nothing
    assert [(h.pid, h.command) for h in current_holders(db)] == [(holder.pid, "analyze")]


def test_store_lock_ingests_share_it_but_not_with_analyze(db: str, hold) -> None:  # type: ignore[no-untyped-def]
    """Several ingests at once are fine (each batch settles its refs in its transaction); an analyze
    under an ingest is refused, naming the ingest."""
    holder = hold(db, "ingest")
    result = cli("ingest", str(EXAMPLES), "--db", db, "-q")
    assert result.returncode == 0, result.stderr
    refused = cli("analyze", "--db", db, "-q")
    assert refused.returncode == 1 and "[NT320]" in refused.stderr and f"pid {holder.pid} (ingest" in refused.stderr
    assert [(h.pid, h.command) for h in current_holders(db)] == [(holder.pid, "ingest")]  # the CLI's ingest ended


def test_store_lock_library_writers_raise_with_the_holder(db: str, hold) -> None:  # type: ignore[no-untyped-def]
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline

    holder = hold(db, "analyze")
    with open_store(db) as store:
        with pytest.raises(StoreLocked) as err:
            ingest(store, [EXAMPLES])
        assert err.value.code == "NT320" and err.value.holder.pid == holder.pid  # type: ignore[attr-defined]
        assert err.value.holder.command == "analyze"  # type: ignore[attr-defined]
        with pytest.raises(StoreLocked):
            Pipeline(["boilerplate"]).run(store)
        with pytest.raises(StoreLocked):  # a deadline: it waits, then gives up
            started = time.monotonic()
            with store.write_lock("x", wait=0.6):
                pass
        assert time.monotonic() - started >= 0.5


def test_store_lock_readers_are_not_blocked(db: str, hold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hold(db, "analyze")
    exported = cli("export", "--db", db)
    assert exported.returncode == 0, exported.stderr
    assert len(json.loads(exported.stdout)["articles"]) == 1
    assert cli("search", "dockworkers", "--db", db).returncode == 0
    report = cli("report", "--db", db, "-o", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr


def test_store_lock_wait_runs_after_the_holder(db: str, hold) -> None:  # type: ignore[no-untyped-def]
    holder = hold(db, "analyze", seconds=2)
    started = time.monotonic()
    result = cli("ingest", str(EXAMPLES), "--db", db, "-q", "--wait")
    assert result.returncode == 0, result.stderr
    assert f"waiting for pid {holder.pid} (analyze" in result.stderr
    out, _ = holder.communicate(timeout=30)
    assert holder.returncode == 0 and out.strip() == "released"
    assert time.monotonic() - started >= 1.0  # it did wait for the holder
    with open_store(db, readonly=True) as store:
        assert store.count_articles() > 1
    assert current_holders(db) == []  # released: nobody holds it


def test_store_lock_killed_holder_is_taken_over(db: str, hold) -> None:  # type: ignore[no-untyped-def]
    holder = hold(db, "analyze")
    holder.kill()
    holder.communicate()
    assert json.loads(Path(db + ".lock").read_text())["pid"] == holder.pid  # what the killed holder left
    result = cli("ingest", str(EXAMPLES), "--db", db, "-q")
    assert result.returncode == 0, result.stderr
    assert f"took over the writers' lock left by pid {holder.pid} (analyze" in result.stderr
    assert result.stderr.count("took over") == 1  # the CLI's note, not a log warning besides
    assert current_holders(db) == []
    again = cli("analyze", "--db", db, "-q")  # told once: the takeover was written down
    assert "took over" not in again.stderr and again.returncode == 0, again.stderr


def test_store_lock_killed_shared_holder_is_taken_over(db: str, hold) -> None:  # type: ignore[no-untyped-def]
    holder = hold(db, "ingest")
    holder.kill()
    holder.communicate()
    result = cli("analyze", "--db", db, "-q")
    assert result.returncode == 0, result.stderr
    assert f"took over the writers' lock left by pid {holder.pid} (ingest" in result.stderr
    assert Path(db + ".lock").read_text() == ""  # an exclusive holder empties it when it is done


def test_store_lock_is_not_kept_by_a_killed_holders_forked_child(db: str, hold) -> None:  # type: ignore[no-untyped-def]
    """A run's forked workers outlive a ``kill -9`` of their parent for a while; they never held the lock
    (a POSIX record lock is per process; ``flock`` would be inherited and block every writer)."""
    holder = hold(db, "analyze", fork=True)
    os.kill(holder.pid, signal.SIGKILL)
    holder.communicate()
    with open_store(db) as store, store.write_lock("ingest", wait=5):
        pass


def test_store_lock_through_a_link_is_the_same_lock(db: str, hold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    link = tmp_path / "link.db"
    link.symlink_to(db)
    holder = hold(str(link), "analyze")
    result = cli("analyze", "--db", db, "-q")
    assert result.returncode == 1 and f"pid {holder.pid}" in result.stderr


def test_store_lock_is_reentrant_in_one_process(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    with open_store(db) as store, open_store(db) as other:
        with store.write_lock("analyze"), other.write_lock("ingest", shared=True), store.write_lock("analyze"):
            assert json.loads(Path(db + ".lock").read_text())["command"] == "analyze"
        assert Path(db + ".lock").read_text() == ""
        with store.write_lock("ingest", shared=True):
            with pytest.raises(StoreError, match="shared"):  # a shared lock is not upgraded
                with other.write_lock("analyze"):
                    pass
        with open_store(":memory:") as memory, memory.write_lock("x"):
            pass


def test_store_lock_web_upload_is_a_409_while_a_command_writes(db: str, hold) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from narratrace.web import create_app

    holder = hold(db, "analyze")
    with TestClient(create_app(db, write_token="tok")) as client:
        r = client.post("/api/articles", json={"articles": [{"id": "u1", "text": "Some words here. " * 20}]},
                        headers={"Authorization": "Bearer tok"})
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["ok"] is False and "NT320" in body["error"] and f"pid {holder.pid}" in body["error"]
        assert client.get("/api/articles").status_code == 200  # reading goes on
        assert "409" in client.app.openapi()["paths"]["/api/articles"]["post"]["responses"]  # type: ignore[attr-defined]
    with open_store(db, readonly=True) as store:
        assert store.count_articles() == 1


def test_store_lock_two_real_analyze_runs(db: str) -> None:
    """Two ``narratrace analyze`` started on one store: the second stops at once naming the first,
    which finishes; nothing is computed twice."""
    first = subprocess.Popen([sys.executable, "-m", "narratrace.cli", "analyze", "--db", db, "-q"], env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while (first.pid not in [h.pid for h in current_holders(db)] and first.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.05)
        assert first.poll() is None, "the first analyze ended before the second could start"
        second = cli("analyze", "--db", db, "-q")
        assert second.returncode == 1 and "[NT320]" in second.stderr and f"pid {first.pid} (analyze" in second.stderr
        out, err = first.communicate(timeout=600)
        assert first.returncode == 0, err
        assert "boilerplate: 1 article(s) processed" in out
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    again = cli("analyze", "--db", db, "-q", timeout=600)
    assert again.returncode == 0 and "boilerplate: 0 article(s) processed (up to date)" in again.stdout


def test_store_lock_postgres_names_the_holder_and_frees_on_kill(pg_server: str) -> None:
    from narratrace.store.embedded import drop_database

    from conftest import new_pg_database

    name, url = new_pg_database(pg_server)
    try:
        open_store(url).close()
        procs = []
        p = subprocess.Popen([sys.executable, "-c", HOLDER, url, "analyze", "60"], env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        assert p.stdout is not None and p.stdout.readline().strip() == "locked"
        with open_store(url) as store:
            with pytest.raises(StoreLocked) as err:
                with store.write_lock("ingest"):
                    pass
            assert f"pid {p.pid} (analyze, since 20" in str(err.value)
            with pytest.raises(StoreLocked):
                with store.write_lock("ingest", shared=True):
                    pass
            p.kill()
            p.communicate()
            with store.write_lock("ingest", wait=10):  # the server ends the killed client's session
                pass
        result = cli("ingest", str(EXAMPLES / "coastline-post-dockworkers.txt"), "--db", url, "-q", "--wait")
        assert result.returncode == 0, result.stderr
    finally:
        for q in procs:
            if q.poll() is None:
                q.kill()
                q.communicate()
        drop_database(pg_server, name)


def test_store_lock_other_writers_take_it(db: str, hold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A fact-check import (shared, as an ingest) and a migrate into the store are refused under an analyze."""
    holder = hold(db, "analyze")
    imported = cli("factchecks", "import", str(ROOT / "examples" / "factchecks.jsonld"), "--db", db, "--no-embed", "-q")
    assert imported.returncode == 1 and "[NT320]" in imported.stderr and f"pid {holder.pid}" in imported.stderr
    target = str(tmp_path / "target.db")
    hold(target, "analyze")
    migrated = cli("migrate", "--from", db, "--to", target, "-q")
    assert migrated.returncode == 1 and "[NT320]" in migrated.stderr, migrated.stderr


def test_store_lock_other_writers_wait_with_the_option(db: str, hold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`factchecks import --wait` and `migrate --wait` wait for the holder, as ingest and analyze do."""
    holder = hold(db, "analyze", seconds=2)
    imported = cli("factchecks", "import", str(ROOT / "examples" / "factchecks.jsonld"), "--db", db, "--no-embed",
                   "-q", "--wait")
    assert imported.returncode == 0, imported.stderr
    assert f"waiting for pid {holder.pid} (analyze" in imported.stderr
    holder.communicate(timeout=30)
    target = str(tmp_path / "target.db")
    holder = hold(target, "analyze", seconds=2)
    migrated = cli("migrate", "--from", db, "--to", target, "-q", "--wait")
    assert migrated.returncode == 0 and "copied" in migrated.stdout, migrated.stderr
    assert f"waiting for pid {holder.pid} (analyze" in migrated.stderr
    assert current_holders(db) == [] and current_holders(target) == []
