"""Fine-tuning MiniLM (`train checkworthiness --fine-tune`) on a tiny labelled sample we wrote: the card,
the reload, `evaluate --model` and `analyze --model` work; other tasks refuse --fine-tune plainly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.evaluation import run_evaluation, run_training
from narratrace.errors import ConfigError
from narratrace.finetune import FineTuneOptions, TextClassifier, dev_split, fine_tune, rescaled

DATA = Path(__file__).parent / "data" / "checkworthiness" / "sentences.tsv"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "cw-fine"
    run_training("checkworthiness", DATA, out, split="all", seed=7, fine_tune=True, epochs=2)
    return out


def test_finetune_card_records_data_base_options_and_history(trained: Path) -> None:
    card = json.loads((trained / "card.json").read_text())
    assert card["kind"] == "fine-tuned" and card["task"] == "checkworthiness" and card["seed"] == 7
    assert len(card["data"]["sha256"]) == 64 and card["data"]["n"] == 60
    assert card["data"]["train"] + card["data"]["dev"] == 60 and card["data"]["dev"] >= 1
    assert "all-MiniLM-L6-v2" in card["base"] and card["options"]["epochs"] == 2 and card["options"]["seed"] == 7
    assert 1 <= len(card["history"]) <= 2 and all("dev_loss" in h for h in card["history"])
    assert (trained / "classifier.pt").stat().st_size > 10_000_000  # the whole encoder, float16


def test_finetune_reload_gives_the_same_probabilities(trained: Path) -> None:
    texts = ["The ministry said 42 drones were shot down on Tuesday.", "What a lovely morning it is."]
    one = TextClassifier.load(trained).probabilities(texts)
    two = TextClassifier.load(trained).probabilities(list(reversed(texts)))[::-1]
    assert one.shape == (2, 1) and np.allclose(one, two, atol=1e-5)


def test_finetune_model_is_evaluated_and_used_by_analyze(trained: Path, tmp_path: Path) -> None:
    result = run_evaluation("checkworthiness", DATA, model=str(trained), split="all")
    assert result["n"] == 60 and 0.0 <= result["measures"]["f1"] <= 1.0
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Harbour news\n\nThe ministry said 42 drones were shot down over the harbour on "
                                  "Tuesday night. Unemployment rose to 7.4 percent in March.\n", encoding="utf-8")
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(corpus), "--db", db, "-q"]).exit_code == 0
    out = runner.invoke(cli, ["analyze", "--db", db, "-q", "--model", f"checkworthiness={trained}"])
    assert out.exit_code == 0, out.output
    assert "claims: 1 article(s) processed" in out.output


def test_finetune_every_trainable_task_fine_tunes_and_others_are_refused(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from narratrace import evaluation

    trainable = [n for n in evaluation.task_names() if evaluation.get_task(n).train is not None]
    assert trainable and all(evaluation.get_task(n).fine_tunes for n in trainable)  # issue 20: every task
    real = evaluation.get_task
    monkeypatch.setattr(evaluation, "get_task", lambda name: dataclasses.replace(real(name), fine_tunes=False)
                        if name == "techniques" else real(name))
    with pytest.raises(ConfigError, match="no fine-tuned model yet"):
        run_training("techniques", tmp_path, tmp_path / "m", fine_tune=True)


def test_finetune_multi_label_learns_a_separable_toy_task() -> None:
    texts = [f"the harbour ferry {w} today" for w in ("sails", "docks", "waits", "leaves")] * 3 + \
            [f"the football club {w} today" for w in ("wins", "loses", "plays", "trains")] * 3
    y = np.array([[1, 0]] * 12 + [[0, 1]] * 12, dtype=np.float32)
    model = fine_tune(texts, y, ["ferry", "football"], dev=(texts[::5], y[::5]),
                      options=FineTuneOptions(epochs=3, batch_size=8, accumulate=1, learning_rate=1e-4, seed=3))
    p = model.probabilities(["the harbour ferry sails today", "the football club wins today"])
    assert p[0, 0] > p[0, 1] and p[1, 1] > p[1, 0]


def test_finetune_helpers_split_and_rescale() -> None:
    split = dev_split([str(i) for i in range(1000)])
    assert 60 < len(split.dev) < 140 and sorted(split.train + split.dev) == list(range(1000))
    assert dev_split([str(i) for i in range(1000)]) == split
    assert np.allclose(rescaled(np.array([0.0, 0.3, 1.0, 0.65]), 0.3), [0.0, 0.5, 1.0, 0.75])


def test_finetune_cli_says_each_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from narratrace import evaluation

    out = CliRunner().invoke(cli, ["train", "checkworthiness", "--data", str(DATA), "--split", "all", "--out",
                                   str(tmp_path / "m"), "--fine-tune", "--epochs", "1"])
    assert out.exit_code == 0, out.output
    assert "epoch 1: train loss" in out.stderr and "checkworthiness model written to" in out.stdout
    real = evaluation.get_task
    monkeypatch.setattr(evaluation, "get_task", lambda name: dataclasses.replace(real(name), fine_tunes=False))
    refused = CliRunner().invoke(cli, ["train", "techniques", "--data", str(DATA), "--out", str(tmp_path / "t"),
                                       "--fine-tune"])
    assert refused.exit_code != 0 and "no fine-tuned model yet" in refused.output
