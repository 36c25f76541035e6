"""The framing task in the evaluation harness: evaluate and train through the CLI, the model card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.evaluation import get_task, run_evaluation
from narratrace.cards import load_card, resolve_model

DATA = Path(__file__).parent / "data" / "framing"


def test_framing_task_is_registered_with_its_benchmark() -> None:
    task = get_task("framing")
    assert task.train is not None and task.stage == "framing" and task.default_model == "exemplars-v2"
    assert task.benchmark is not None and task.benchmark.path == "semeval2025-task10/train/EN"
    assert task.benchmark.eval_path == "semeval2025-task10/dev/EN"
    assert any(p.measure == "main_role_accuracy" and p.value == 0.9362 for p in task.published)


def test_framing_shipped_default_is_reproducible_and_small() -> None:
    path = resolve_model("framing", None, default="exemplars-v2")
    card = load_card(path)
    assert card["data"]["path"] == "tests/data/framing/exemplars" and card["data"]["licence"].startswith("CC0")
    assert card["command"].startswith("narratrace train framing --data tests/data/framing/exemplars")
    assert sum(f.stat().st_size for f in path.iterdir()) < 5_000_000
    assert "cross-validation" in card["measures"]["split"]


def test_framing_evaluate_on_the_handwritten_test_set() -> None:
    result = run_evaluation("framing", DATA / "testset")
    assert result["n"] == 19 and result["documents"] == 8
    m = result["measures"]
    # better than always answering the majority role (Antagonist, 9 of 19 here)
    assert m["main_role_accuracy"] > result["majority_main_role"]["accuracy"]
    assert 0.0 <= m["emr"] <= m["main_role_accuracy"]


def test_framing_train_and_evaluate_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["train", "framing", "--data", str(DATA / "exemplars"), "--out", str(tmp_path / "m")])
    assert out.exit_code == 0, out.output
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["task"] == "framing" and card["data"]["split"] == "train" and card["measures"]["split"] == "heldout"
    assert card["measures"]["n"] > 0 and "main_role_accuracy" in card["measures"]["values"]
    assert len(card["data"]["sha256"]) == 64 and card["seed"] == 13
    out = runner.invoke(cli, ["evaluate", "framing", "--data", str(DATA / "exemplars"), "--split", "heldout",
                              "--model", str(tmp_path / "m"), "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["measures"] == card["measures"]["values"]  # same code, same split: same figures


def test_framing_evaluate_bad_data_is_a_clear_error(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["evaluate", "framing", "--data", str(tmp_path)])
    assert out.exit_code != 0 and "subtask-1-annotations.txt" in out.output


def test_framing_end_to_end_reads_a_mention_s_own_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exported item gives its role to the gold mentions it covers, except at a mention that
    carries its own role (its clause casts it otherwise): there that role is scored, fine roles none."""
    import narratrace.evaluation as evaluation
    from narratrace.framing.evaluation import evaluate_framing_end_to_end

    text = "Kestria invaded Varn. Later Varn blamed Kestria for the cold."
    data = tmp_path / "set"
    (data / "raw-documents").mkdir(parents=True)
    (data / "raw-documents" / "D1.txt").write_text(text, encoding="utf-8")
    k1, k2 = text.index("Kestria"), text.rindex("Kestria")
    (data / "subtask-1-annotations.txt").write_text(
        f"D1.txt\tKestria\t{k1}\t{k1 + 6}\tAntagonist\tInstigator\n"
        f"D1.txt\tKestria\t{k2}\t{k2 + 6}\tInnocent\tVictim\n", encoding="utf-8")

    def export(with_own: bool) -> dict:
        second = {"start": k2, "end": k2 + 7}
        if with_own:
            second.update({"main_role": "Innocent", "parse": "object of blame"})
        return {"articles": [{"ref": "D1", "text": text}],
                "framing": [{"article": "D1", "entity": "Kestria", "main_role": "Antagonist",
                             "fine_roles": ["Instigator"], "mention": {"start": k1, "end": k1 + 7},
                             "mentions": [{"start": k1, "end": k1 + 7}, second]}]}

    for with_own, accuracy in ((False, 0.5), (True, 1.0)):
        monkeypatch.setattr(evaluation, "analyze_texts", lambda *a, _w=with_own, **k: export(_w))
        out = evaluate_framing_end_to_end(data)
        assert out["measures"]["main_role_accuracy"] == accuracy
        assert out["losses"]["covered"] == 2 and out["losses"]["mention_role"] == int(with_own)


def test_framing_end_to_end_on_the_shared_dev_split_stays_within_005_of_gold_inputs(shared_data: Path) -> None:
    """Issue 19's bar, pinned: what a user gets (SemEval-2025 T10 dev/EN ingested as documents,
    analysed with the shipped default, the export scored) stays within 0.05 main-role accuracy of
    the model given the benchmark's own mentions, and covers at least 0.9 of the gold mentions.
    Measured 2026-12-07 (framing.v7): gold inputs 0.795, end to end 0.756, coverage 0.962."""
    dev = shared_data / "semeval2025-task10" / "dev" / "EN"
    gold = run_evaluation("framing", dev, split="all")["measures"]
    e2e = run_evaluation("framing", dev, split="all", end_to_end=True)["measures"]
    one = 1 / 78  # one mention of slack: int8 kernels may round otherwise on another CPU
    assert e2e["coverage"] >= 0.9
    assert e2e["main_role_accuracy"] >= gold["main_role_accuracy"] - 0.05 - one, (gold, e2e)
    assert e2e["main_role_accuracy"] >= 0.75 - one
