"""Shared fixtures: throwaway stores, the example corpus, the real seed articles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from narratrace.store import Store

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "corpora" / "seeds"
EXAMPLES = ROOT / "examples" / "corpus"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "test.db")
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
