"""What every command module shares with ``narratrace.cli``: the ``--db`` option, error mapping, opening."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from narratrace.errors import NarratraceError
from narratrace.store import Store, is_postgres_url
from narratrace.store import open_store as store_at

__all__ = ["db_option", "library_errors", "open_store", "progress_enabled", "write_output"]

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option("--db", "db_path", default="narratrace.db", show_default=True, metavar="FILE|URL",
                         help="The corpus: a SQLite database file, or postgresql://USER@HOST/DB.")


def library_errors(fn: F) -> F:
    """Library errors become one-line ``Error: [NTxxx] ...`` messages with a non-zero exit."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NarratraceError as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper  # type: ignore[return-value]


def open_store(db_path: str, *, must_exist: bool = True) -> Store:
    """The store ``--db`` names; a missing SQLite file is an error unless the command creates it."""
    if is_postgres_url(db_path):
        return store_at(db_path)
    if must_exist and db_path != ":memory:" and not Path(db_path).exists():
        raise click.ClickException(f"no database at {db_path}; run `narratrace ingest PATH --db {db_path}` first")
    if Path(db_path).is_dir():
        raise click.ClickException(f"{db_path} is a directory, not a database file")
    return store_at(db_path)


def progress_enabled(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def write_output(text: str, output: str, done: str) -> None:
    """``text`` to stdout (``output`` is ``-``) or to the file ``output``, then ``done`` on stderr."""
    if output == "-":
        click.echo(text)
    else:
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(done, err=True)
