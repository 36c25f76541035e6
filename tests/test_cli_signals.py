"""SIGTERM and Ctrl-C stop a command within a second and keep what it committed (issue 17).

Each test starts the real CLI in a subprocess (its own session, like a terminal's job),
waits until it has committed some work, signals it and times the exit.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textgen import article

EXE = [sys.executable, "-m", "narratrace.cli"]
FILES = 1500


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("signals") / "in"
    d.mkdir()
    for i in range(FILES):
        (d / f"a{i:05d}.txt").write_text(f"Title number {i}\n\n" + article(i % 50, paragraphs=3) + f" Unique {i}.")
    return d


def _count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as c:
            return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _signal_when(db: Path, args: list[str], table: str, at_least: int, sig: signal.Signals,
                 *, group: bool = False) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``narratrace ARGS``; once ``table`` has ``at_least`` rows, send ``sig``; the result and the seconds
    it took to exit after the signal."""
    # -X faulthandler: a command that hangs after the signal is made to print every thread's stack (SIGABRT)
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", *EXE[1:], *args, "--db", str(db), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _count(db, table) < at_least and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the command ended before the signal"
    sent = time.monotonic()
    if group:
        os.killpg(proc.pid, sig)  # Ctrl-C in a terminal reaches every process of the job
    else:
        proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler prints where each thread of the command is stuck
        time.sleep(2)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the command and its workers: a hang fails this test only
        except ProcessLookupError:
            pass
        out, err = proc.communicate()  # and closes the pipes (else another test's setup reports them unclosed)
        pytest.fail(f"narratrace {args[0]} still ran 30 s after {sig.name}; its threads then:\n{err[-6000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), time.monotonic() - sent


#: How long a stopped command may take to exit. Unloaded, ingest and analyze stop in ~0.1 s and serve in
#: ~0.3 s (the closing note has the figures); the bound leaves room for a loaded CI machine and still
#: fails a command that keeps working until its input is done (many seconds here).
STOP_S = 5.0


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as c:
        return str(c.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.slow
@pytest.mark.parametrize("sig, group", [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["sigterm", "ctrl-c"])
def test_cli_signals_stop_ingest_promptly(corpus: Path, tmp_path: Path, sig: signal.Signals,
                                                 group: bool) -> None:
    db = tmp_path / "c.db"
    result, seconds = _signal_when(db, ["ingest", str(corpus)], "articles", 100, sig, group=group)
    assert seconds < STOP_S, seconds
    assert result.returncode == 1 and "Aborted!" in result.stderr, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr  # neither the command nor its workers
    kept = _count(db, "articles")
    assert 100 <= kept < FILES and _integrity(db) == "ok"
    again = subprocess.run([*EXE, "ingest", str(corpus), "--db", str(db), "-q"], capture_output=True, text=True,
                           check=True)
    assert f"{FILES - kept} added" in again.stdout and f"({FILES} files, {kept} unchanged)" in again.stdout


@pytest.mark.slow
def test_cli_signals_sigterm_stops_analyze_promptly(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    subprocess.run([*EXE, "ingest", str(corpus), "--db", str(db), "-q"], capture_output=True, check=True)
    result, seconds = _signal_when(db, ["analyze"], "stage_results", 200, signal.SIGTERM)
    assert seconds < STOP_S, seconds
    # Status 1 ("Aborted!"). -2 (death by SIGINT after "Aborted!") was seen in earlier fresh-clone runs, as
    # Python ends when a second KeyboardInterrupt is left unhandled at exit. Its likely cause, the exit
    # waiting on pool workers whose Python SIGTERM handler never ran (narratrace.workers._start_worker),
    # is fixed, but -2 was never reproduced on purpose, so it is still accepted here.
    assert result.returncode in (1, -signal.SIGINT), (result.returncode, result.stderr[-2000:])
    assert "Aborted!" in result.stderr and "Traceback" not in result.stderr
    assert _count(db, "stage_results") >= 200 and _integrity(db) == "ok"


@pytest.mark.slow
def test_cli_signals_sigterm_stops_serve_promptly(tmp_path: Path) -> None:
    import socket

    (tmp_path / "a.txt").write_text("Title\n\n" + article(1))
    db = tmp_path / "c.db"
    subprocess.run([*EXE, "ingest", str(tmp_path / "a.txt"), "--db", str(db), "-q"], capture_output=True, check=True)
    proc = subprocess.Popen([*EXE, "serve", "--db", str(db), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stderr.readline() if proc.stderr else ""
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        held = socket.create_connection(("127.0.0.1", port), timeout=10)
        held.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # a request half sent does not hold the stop up
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        assert time.monotonic() - sent < STOP_S
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
        held.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


@pytest.mark.slow
def test_cli_signals_serve_with_workers_answers_and_stops_them_all(tmp_path: Path) -> None:
    import urllib.request

    (tmp_path / "a.txt").write_text("Title\n\n" + article(1))
    db = tmp_path / "c.db"
    subprocess.run([*EXE, "ingest", str(tmp_path / "a.txt"), "--db", str(db), "-q"], capture_output=True, check=True)
    proc = subprocess.Popen([*EXE, "serve", "--db", str(db), "--port", "0", "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stderr.readline() if proc.stderr else ""
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        deadline = time.monotonic() + 30
        while True:  # the workers start after the port is bound
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/overview", timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2, workers
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        assert time.monotonic() - sent < STOP_S
        for pid in workers:  # no worker outlives the command
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
