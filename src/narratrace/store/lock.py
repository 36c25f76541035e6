"""The writers' lock of a store: no two ``analyze`` runs at once, and no ``ingest`` under an ``analyze``.

SQLite and PostgreSQL already serialise each *transaction*; this lock serialises whole
*commands*, so a second ``analyze`` in another terminal does not compute the same stages
again and interleave its writes with the first, and an ``ingest`` does not change the
corpus under a running ``analyze``. ``analyze`` (and the web upload, which analyses) takes
it exclusively; ``ingest`` takes it shared, so several ingests still run at once (their
batches settle refs inside each transaction) but never beside an ``analyze``. It is
advisory: readers (``export``, ``report``, ``search``, the web app's pages) never take it
and are never blocked.

On SQLite it is a POSIX record lock (``fcntl.lockf``, on one byte far past the text) of
``DB.lock`` beside the database file, whose lines say who took it (pid, host, command, start
time; a shared holder adds a line when it releases), so the refused writer's error names the
holder. The operating system drops the lock when its process ends, however it ends
(``kill -9``, a crash), so a stale lock never blocks anyone: the next writer takes it over and
is told whose it was. A record lock belongs to a process, so the forked worker processes of a
run neither hold nor keep it. The file is never removed (removing a lock file races with a
process opening it); it is emptied whenever an exclusive holder takes or releases the lock.
Without ``fcntl`` (Windows) writers are not locked: a warning says so.

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

__all__ = ["LockHolder", "current_holders", "file_lock", "reentrant", "wait_for"]

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
    """One lock this process holds: how to release it, whether shared, and a count."""

    def __init__(self, release: Callable[[], None], shared: bool) -> None:
        self.release = release
        self.shared = shared
        self.count = 0
        self.pid = os.getpid()


_HELD: dict[str, _Held] = {}
_GUARD = threading.Lock()


@contextlib.contextmanager
def reentrant(key: str, acquire: Callable[[], Callable[[], None]], *, shared: bool = False,
              command: str = "") -> Iterator[None]:
    """Hold the lock ``key`` for the block: ``acquire()`` (which raises, or returns how to release)
    runs only when this process does not hold it already. Holding it exclusively covers a shared
    request; a process that holds it shared cannot take it exclusively (:class:`StoreError`)."""
    with _GUARD:
        held = _HELD.get(key)
        if held is None or held.pid != os.getpid():
            held = _HELD[key] = _Held(acquire(), shared)
        elif held.shared and not shared:
            raise StoreError(f"cannot take the writers' lock for {command or 'a writer'}: this process holds it "
                             "shared (an ingest) and a lock is not upgraded")
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
    """``DB.lock`` beside the database file itself (a link to the database shares its lock)."""
    return Path(os.path.realpath(db_path) + ".lock")


#: Where in the lock file the lock itself lies (a byte past any text the file holds: record locks
#: need not cover data).
LOCK_AT = 2 ** 30


def _alive(holder: LockHolder) -> bool:
    """Whether the holder's process still runs (assumed, for a process on another host)."""
    if holder.pid is None or holder.host != socket.gethostname():
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        return True
    return True


def _entries(text: str) -> list[tuple[LockHolder, bool]]:
    """``(holder, shared)`` of each line that took the lock and has not said it released it."""
    taken: dict[tuple[str, int | None], tuple[LockHolder, bool]] = {}
    for line in text.splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue  # a line being written
        if not isinstance(d, dict):
            continue
        key = (str(d.get("host") or ""), d.get("pid"))
        if d.get("released"):
            taken.pop(key, None)
        elif (holder := LockHolder.from_text(line)) is not None:
            taken[key] = (holder, bool(d.get("shared")))
    return list(taken.values())


def _read(fd: int) -> str:
    size = os.fstat(fd).st_size
    return os.pread(fd, size, 0).decode("utf-8", "replace") if size else ""


def current_holders(db_path: str) -> list[LockHolder]:
    """Who holds the writers' lock of the SQLite file ``db_path`` now, as its lock file says (processes
    of this host that ended are left out). Never call it while holding that lock: opening and closing
    the file would drop this process's record lock (POSIX)."""
    try:
        text = lock_path(db_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [h for h, _ in _entries(text) if _alive(h)]


def _line(holder: LockHolder, shared: bool) -> bytes:
    d = json.loads(holder.to_json())
    return (json.dumps({**d, "shared": shared}) + "\n").encode()


@contextlib.contextmanager
def file_lock(db_path: str, command: str, *, shared: bool = False, wait: float | None = 0,
              on_wait: Callable[[LockHolder | None], None] | None = None,
              on_takeover: Callable[[LockHolder], None] | None = None) -> Iterator[None]:
    """Hold the writers' lock of the SQLite file ``db_path`` for the block (see the module's docstring);
    ``shared``: with other shared holders (ingests), never with an exclusive one."""
    path = lock_path(db_path)
    key = "sqlite:" + str(Path(db_path).resolve())

    def acquire() -> Callable[[], None]:
        if fcntl is None:  # pragma: no cover - Windows
            log.warning("no fcntl on this platform: writers of %s are not locked against each other", db_path)
            return lambda: None
        try:  # O_APPEND: lines that shared holders add at once never overwrite each other
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open the writers' lock file {path}: {exc.strerror or exc}") from exc
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX

        def try_once() -> LockHolder | None | bool:
            try:
                fcntl.lockf(fd, mode | fcntl.LOCK_NB, 1, LOCK_AT)
                return True
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):  # EAGAIN/EACCES: someone else holds it
                    raise StoreError(f"cannot lock {path}: {exc.strerror or exc}") from exc
            # read through our own descriptor: closing any other one of the file would drop a lock we held
            holders = [h for h, sh in _entries(_read(fd)) if _alive(h) and (shared is False or not sh)]
            return holders[0] if holders else None

        me = LockHolder.me(command)
        try:
            wait_for(try_once, wait=wait, on_wait=on_wait, what=db_path)
            # what holders that never released it left behind: with the lock exclusive, every line; shared,
            # an exclusive holder's line or a shared one whose process is gone
            left = [h for h, sh in _entries(_read(fd)) if not shared or not sh or not _alive(h)]
            left = [h for h in left if (h.host, h.pid) != (me.host, me.pid)]
            for holder in left:  # said once: by the caller (the CLI's note) or by a warning in the log
                log.log(logging.INFO if on_takeover else logging.WARNING,
                        "took over the writers' lock of %s from %s, which ended without releasing it",
                        db_path, holder.describe())
                if on_takeover is not None:
                    on_takeover(holder)
            if shared:
                os.write(fd, b"".join(_released(h) for h in left) + _line(me, True))
            else:
                os.ftruncate(fd, 0)
                os.write(fd, _line(me, False))
        except BaseException:
            os.close(fd)  # closing drops a record lock this process holds
            raise

        def release() -> None:
            try:  # exclusive: empty, nobody holds it; shared: say so (a killed holder says nothing: "stale")
                if shared:
                    os.write(fd, _released(me))
                else:
                    os.ftruncate(fd, 0)
            finally:
                os.close(fd)
        return release

    with reentrant(key, acquire, shared=shared, command=command):
        yield


def _released(holder: LockHolder) -> bytes:
    return (json.dumps({"pid": holder.pid, "host": holder.host, "released": True}) + "\n").encode()
