"""Training a technique model on PTC-format data (our sample), loading it, and scoring it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narratrace.errors import ConfigError, InputError
from narratrace.evaluation import get_task, run_evaluation, run_training
from narratrace.cards import resolve_model
from narratrace.techniques import load_model

DATA = Path(__file__).parent / "data" / "techniques"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("models") / "tq-sample"
    card = run_training("techniques", DATA, out, split="train", seed=3)
    return out, card


def test_techniques_train_writes_weights_and_card(trained: tuple[Path, dict]) -> None:
    out, card = trained
    assert {p.name for p in out.iterdir()} >= {"card.json", "README.md", "weights.npz", "features.json", "lexicon.tsv"}
    assert card["kind"] == "trained" and card["task"] == "techniques"
    assert card["data"]["split"] == "train" and len(card["data"]["sha256"]) == 64
    assert card["measures"]["split"] == "heldout"  # scored on articles it did not learn from
    assert set(card["measures"]["values"]) == {"si", "tc"}
    assert sum(p.stat().st_size for p in out.iterdir()) < 5_000_000
    meta = json.loads((out / "features.json").read_text())
    assert 0 < meta["threshold"] < 1 and meta["classes"]


def test_techniques_trained_model_detects_and_classifies(trained: tuple[Path, dict]) -> None:
    out, _ = trained
    model = load_model(out)
    text = (DATA / "articles" / "article900000001.txt").read_text(encoding="utf-8")
    hits = model.detect(text)
    assert all(0 <= h.start < h.end <= len(text) and 0 <= h.score <= 1 for h in hits)
    ranked = model.classify(text, [(0, 10)])
    assert len(ranked) == 1 and abs(sum(p for _, p in ranked[0]) - 1) < 1e-3


def test_techniques_evaluate_trained_model_on_heldout(trained: tuple[Path, dict]) -> None:
    out, card = trained
    result = run_evaluation("techniques", DATA, model=str(out), split="heldout")
    assert result["n"] == card["measures"]["n"] and result["measures"] == card["measures"]["values"]
    assert result["model"] == "tq-sample"


def test_techniques_training_refuses_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        run_training("techniques", tmp_path, tmp_path / "out")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not a model directory"):
        run_training("techniques", DATA, busy)


def test_techniques_task_declares_official_measures() -> None:
    task = get_task("techniques")
    assert {p.measure for p in task.published} == {"si.f1", "tc.micro_f1"}
    assert task.default_model == "rules-v1" and resolve_model("techniques", None, default=task.default_model)


def test_techniques_default_meets_its_floor_on_our_sample() -> None:
    result = run_evaluation("techniques", DATA)
    assert result["measures"]["si"]["f1"] >= 0.5 and result["measures"]["tc"]["micro_f1"] >= 0.55
