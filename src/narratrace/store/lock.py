"""The writers' lock of a store: one writing command (``ingest``, ``analyze``, ...) per corpus at a time.

SQLite and PostgreSQL already serialise each *transaction*; this lock serialises whole
*commands*, so a second ``analyze`` in another terminal does not compute the same stages
again and interleave its writes with the first, and an ``ingest`` does not change the
corpus under a running ``analyze``. It is advisory: readers (``export``, ``report``,
``search``, the web app's pages) never take it and are never blocked.

On SQLite it is a POSIX record lock (``fcntl.lockf``) on ``DB.lock`` beside the database
file, which holds who took it (pid, host, command, start time) so the second writer's
error can name the holder. The operating system drops the lock when its process ends,
however it ends (``kill -9``, a crash), so a stale lock never blocks anyone: the next
writer takes it over and is told whose it was. A record lock belongs to a process, so
the forked worker processes of a run neither hold nor release it. The file is never
removed (removing a lock file races with a process opening it); an empty file means
nobody holds the lock. Without ``fcntl`` (Windows) writers are not locked: a warning says so.

The lock is re-entrant within one process (the CLI takes it with ``--wait``, then the
library's ``ingest``/``analyze`` take it again), keyed by the database's resolved path.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from narratrace.errors import StoreError, StoreLocked

__all__ = ["LockHolder", "file_lock", "held_here"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: How often a waiting writer tries again (seconds).
POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds (or held) a store's writers' lock."""

    pid: int | None
    host: str
    command: str
    started: str

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "another process"
        if self.host and self.host != socket.gethostname():
            who += f" on {self.host}"
        return f"{who} ({self.command or 'a writer'}, since {self.started or 'an unknown time'})"

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "command": self.command, "started": self.started})

    @classmethod
    def from_text(cls, text: str) -> LockHolder | None:
        try:
            d = json.loads(text)
            return cls(int(d["pid"]) if d.get("pid") is not None else None, str(d.get("host") or ""),
                       str(d.get("command") or ""), str(d.get("started") or ""))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    @classmethod
    def me(cls, command: str) -> LockHolder:
        return cls(os.getpid(), socket.gethostname(), command,
                   datetime.now(timezone.utc).isoformat(timespec="seconds"))


class _Held:
    """One lock this process holds: the open file (SQLite) or connection (PostgreSQL), and a count."""

    def __init__(self, release: Callable[[], None]) -> None:
        self.release = release
        self.count = 0
        self.pid = os.getpid()


_HELD: dict[str, _Held] = {}
_GUARD = threading.Lock()


def held_here(key: str) -> bool:
    """Whether this process holds the lock named ``key`` (a forked child inherits the table, not the lock)."""
    held = _HELD.get(key)
    return held is not None and held.pid == os.getpid()


@contextlib.contextmanager
def reentrant(key: str, acquire: Callable[[], Callable[[], None]]) -> Iterator[None]:
    """Hold the lock ``key`` for the block: ``acquire()`` (which raises, or returns how to release)
    runs only when this process does not hold it already."""
    with _GUARD:
        held = _HELD.get(key)
        if held is None or held.pid != os.getpid():
            held = _HELD[key] = _Held(acquire())
        held.count += 1
    try:
        yield
    finally:
        with _GUARD:
            held.count -= 1
            if held.count == 0:
                del _HELD[key]
                held.release()


def wait_for(try_once: Callable[[], LockHolder | None | bool], *, wait: float | None,
             on_wait: Callable[[LockHolder | None], None] | None, what: str) -> None:
    """Call ``try_once()`` (True: taken; else the holder, or None when unknown) until it takes the lock,
    for at most ``wait`` seconds (0: once; None: for ever); then raise :class:`StoreLocked`."""
    deadline = None if wait is None else time.monotonic() + wait
    told = False
    while True:
        got = try_once()
        if got is True:
            return
        holder = got if isinstance(got, LockHolder) else None
        if deadline is not None and time.monotonic() >= deadline:
            raise StoreLocked(f"{what} is being written by {holder.describe() if holder else 'another process'}; "
                              "wait for it to finish, or run again with --wait", holder=holder)
        if not told and on_wait is not None:
            on_wait(holder)
            told = True
        time.sleep(POLL_SECONDS if deadline is None else max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))


def lock_path(db_path: str) -> Path:
    return Path(db_path + ".lock")


def read_holder(path: Path) -> LockHolder | None:
    """Who the lock file says holds the lock (None: empty, unreadable, or written by something else).
    Never called by the holder: opening and closing the file would drop its lock."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return LockHolder.from_text(text) if text.strip() else None


@contextlib.contextmanager
def file_lock(db_path: str, command: str, *, wait: float | None = 0,
              on_wait: Callable[[LockHolder | None], None] | None = None,
              on_takeover: Callable[[LockHolder], None] | None = None) -> Iterator[None]:
    """Hold the writers' lock of the SQLite file ``db_path`` for the block (see the module's docstring)."""
    path = lock_path(db_path)
    key = "sqlite:" + str(Path(db_path).resolve())

    def acquire() -> Callable[[], None]:
        if fcntl is None:  # pragma: no cover - Windows
            log.warning("no fcntl on this platform: writers of %s are not locked against each other", db_path)
            return lambda: None
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open the writers' lock file {path}: {exc.strerror or exc}") from exc

        def try_once() -> LockHolder | None | bool:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):  # someone else holds it
                    raise StoreError(f"cannot lock {path}: {exc.strerror or exc}") from exc
                return read_holder(path)

        try:
            wait_for(try_once, wait=wait, on_wait=on_wait, what=db_path)
            # what a holder that never released it left behind; read through our own descriptor: closing any
            # other descriptor of the file would drop this process's record lock (POSIX)
            text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            left = LockHolder.from_text(text) if text.strip() else None
            if left is not None and on_takeover is not None:
                on_takeover(left)
            if left is not None:
                log.warning("took over the writers' lock of %s from %s, which ended without releasing it",
                            db_path, left.describe())
            os.ftruncate(fd, 0)
            os.pwrite(fd, LockHolder.me(command).to_json().encode(), 0)
        except BaseException:
            os.close(fd)  # closing drops a record lock this process holds
            raise

        def release() -> None:
            try:
                os.ftruncate(fd, 0)  # empty: nobody holds it (a killed holder leaves its line: "stale")
            finally:
                os.close(fd)
        return release

    with reentrant(key, acquire):
        yield
