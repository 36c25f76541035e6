"""The JSON export of the example and seed corpora, byte for byte, as the CLI writes it.

The golden files were written by ``narratrace ingest; factchecks import; analyze; export``
before the analyses were moved into one package each (issue 16), and checked by hand against
``examples/EXPECTED.md``. A change in any analysis's results shows here as a diff to review:
rewrite them with ``pytest tests/test_export_golden.py --update-golden`` only when the change is
meant. The seeds' export holds the texts of real articles, so only its SHA-256 is kept.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from narratrace import analyze, export_corpus
from narratrace.factchecks import import_factchecks
from narratrace.ingest import ingest
from narratrace.store import open_store

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "export"
FACTCHECKS = ROOT / "examples" / "factchecks.jsonld"


def _export_text(tmp_path: Path, corpus: Path) -> str:
    db = tmp_path / f"{corpus.name}.db"
    with open_store(str(db)) as store:
        ingest(store, [str(corpus)])
        import_factchecks(store, FACTCHECKS)
        analyze(store)
        data = export_corpus(store)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"  # what `narratrace export -o FILE` writes


def test_export_golden_examples_byte_identical(tmp_path: Path, examples_dir: Path,
                                               request: pytest.FixtureRequest) -> None:
    text = _export_text(tmp_path, examples_dir)
    golden = GOLDEN / "examples.json"
    if request.config.getoption("--update-golden"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_export_golden_seeds_byte_identical(tmp_path: Path, seeds_dir: Path, request: pytest.FixtureRequest) -> None:
    digest = hashlib.sha256(_export_text(tmp_path, seeds_dir).encode("utf-8")).hexdigest()
    golden = GOLDEN / "seeds.sha256"
    if request.config.getoption("--update-golden"):
        golden.write_text(digest + "\n", encoding="utf-8")
    assert digest == golden.read_text(encoding="utf-8").strip()
