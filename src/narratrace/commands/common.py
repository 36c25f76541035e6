"""What every command module shares with ``narratrace.cli``: the ``--db`` option, error mapping, opening."""

from __future__ import annotations

import functools
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
import contextlib
from collections.abc import Iterator

import click

from narratrace.errors import NarratraceError
from narratrace.store import Store, is_postgres_url
from narratrace.store import open_store as store_at

__all__ = ["Commands", "Progress", "db_option", "library_errors", "open_store", "progress_options", "wait_option",
           "write_output", "writing"]

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option("--db", "db_path", default="narratrace.db", show_default=True, metavar="FILE|URL",
                         help="The corpus: a SQLite database file, or postgresql://USER@HOST/DB.")


wait_option = click.option(
    "--wait", "wait", is_flag=True,
    help="If another process is writing this database (ingest, analyze), wait for it to finish "
         "instead of stopping with an error (NT320).")


@contextlib.contextmanager
def writing(store: Store, command: str, wait: bool, *, shared: bool = False) -> Iterator[None]:
    """Hold the store's writers' lock for a writing command; say on stderr when it waits for another
    writer and when it takes over a lock whose holder was killed."""
    def waiting(holder: Any) -> None:
        click.echo(f"waiting for {holder.describe() if holder else 'another process'} to finish writing "
                   f"{store.path if not is_postgres_url(store.path) else 'the database'}...", err=True)

    def took_over(holder: Any) -> None:
        click.echo(f"note: took over the writers' lock left by {holder.describe()}, which is no longer running",
                   err=True)

    with store.write_lock(command, shared=shared, wait=None if wait else 0, on_wait=waiting, on_takeover=took_over):
        yield


def library_errors(fn: F) -> F:
    """Library errors become one-line ``Error: [NTxxx] ...`` messages with a non-zero exit."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NarratraceError as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper  # type: ignore[return-value]


class Commands(click.Group):
    """The command group: a file a command cannot read or write (``-o`` in a folder that does not
    exist, a folder given as the output file, a full disk) is a one-line ``Error:`` naming the
    file, whatever the command, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnicodeEncodeError as exc:  # an argument with bytes that are not UTF-8 reached a database or file
            if "surrogate" not in str(exc.reason):
                raise
            raise click.ClickException("an argument holds bytes that are not UTF-8 text (this locale could not decode "
                                       f"them): {exc.object[max(0, exc.start - 20):exc.end + 20]!a}") from exc
        except OSError as exc:
            if exc.filename is None or isinstance(exc, (BlockingIOError, InterruptedError)):
                raise
            raise click.ClickException(f"{exc.filename}: {exc.strerror or exc}") from exc


def open_store(db_path: str, *, must_exist: bool = True) -> Store:
    """The store ``--db`` names; a missing SQLite file is an error unless the command creates it."""
    if not db_path.strip():
        raise click.ClickException("--db is empty: give a database file or a postgresql:// URL")
    if is_postgres_url(db_path):
        return store_at(db_path)
    if must_exist and db_path != ":memory:" and not Path(db_path).exists():
        raise click.ClickException(f"no database at {db_path}; run `narratrace ingest PATH --db {db_path}` first")
    if Path(db_path).is_dir():
        raise click.ClickException(f"{db_path} is a directory, not a database file")
    return store_at(db_path)


PROGRESS_MODES = ("auto", "bar", "plain", "none")


def progress_options(fn: F) -> F:
    """``-q/--quiet`` and ``--progress auto|bar|plain|none`` (the command receives ``progress_mode``)."""
    fn = click.option("--progress", "progress_mode", type=click.Choice(PROGRESS_MODES), default="auto",
                      show_default=True,
                      help="bar: progress bars with ETA; plain: a line every 10 s (for logs; "
                           "NARRATRACE_PROGRESS_EVERY sets the seconds); none: nothing; "
                           "auto: bars on a terminal, plain lines otherwise.")(fn)
    return click.option("-q", "--quiet", is_flag=True, help="No progress output (= --progress none).")(fn)


class Progress:
    """Progress of a command's long steps, on stderr: tqdm bars on a terminal, else a plain line
    ("claims: 12,000/50,000 articles, 41 articles/s, ETA 16 min") every ``every`` seconds per step,
    so a run redirected to a log is never silent for long; ``none`` prints nothing."""

    def __init__(self, mode: str = "auto", *, quiet: bool = False, unit: str = "articles",
                 every: float | None = None) -> None:
        if quiet:
            mode = "none"
        if mode == "auto":
            columns = shutil.get_terminal_size(fallback=(0, 0)).columns
            mode = "bar" if sys.stderr.isatty() and columns >= 40 else "plain"
        self.mode = mode
        self.unit = unit
        self.every = float(os.environ.get("NARRATRACE_PROGRESS_EVERY", "10")) if every is None else every
        self._bars: dict[str, Any] = {}
        self._steps: dict[str, tuple[float, float | None]] = {}  # step -> (started, last line; -1 when done)

    def __call__(self, step: str, done: int, total: int) -> None:
        self.update(step, done, total)

    def update(self, step: str, done: int, total: int) -> None:
        if self.mode == "bar":
            from tqdm import tqdm

            bar = self._bars.get(step)
            if bar is None:
                bar = self._bars[step] = tqdm(total=total, desc=step, unit=self.unit.rstrip("s") or "it")
            bar.total = total
            bar.n = done
            bar.refresh()
        elif self.mode == "plain":
            now = time.monotonic()
            started, printed = self._steps.setdefault(step, (now, None))
            if printed == -1.0:
                return  # this step's last line is out
            finished = total > 0 and done >= total
            if finished:
                if printed is None and now - started < self.every:
                    self._steps[step] = (started, -1.0)
                    return  # a short step says nothing
            elif now - (started if printed is None else printed) < self.every:
                return
            self._steps[step] = (started, -1.0 if finished else now)
            click.echo(self.line(step, done, total, now - started), err=True)

    def line(self, step: str, done: int, total: int, seconds: float) -> str:
        rate = done / seconds if seconds > 0 else 0.0
        text = f"{step}: {done:,}/{total:,} {self.unit}"
        if rate > 0:
            text += f", {rate:,.1f} {self.unit}/s"
            if done < total:
                left = (total - done) / rate
                text += f", ETA {left / 60:,.0f} min" if left >= 90 else f", ETA {left:,.0f} s"
            else:
                text += f", done in {seconds / 60:,.1f} min" if seconds >= 90 else f", done in {seconds:,.0f} s"
        return text

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()


def write_output(text: str, output: str, done: str) -> None:
    """``text`` to stdout (``output`` is ``-``) or to the file ``output``, then ``done`` on stderr."""
    if output == "-":
        click.echo(text)
    else:
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(done, err=True)
