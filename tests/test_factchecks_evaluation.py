"""``narratrace evaluate/train matching``: CheckThat! measures, the reader of its format, training a re-ranker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.errors import InputError
from narratrace.evaluation import get_task, run_evaluation, run_training
from narratrace.factchecks.evaluation import average_precision, read_claim_retrieval
from narratrace.factchecks.matching import load_reranker

DATA = Path(__file__).parent / "data" / "factchecks" / "retrieval"


def test_factchecks_evaluation_average_precision_as_the_checkthat_scorer() -> None:
    assert average_precision(["a", "b", "c"], {"a"}, 5) == 1.0
    assert average_precision(["x", "a", "c"], {"a"}, 5) == 0.5
    assert average_precision(["x", "a", "b"], {"a", "b"}, 5) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert average_precision(["x", "y", "a"], {"a"}, 2) == 0.0
    assert average_precision(["a", "x"], {"a", "b"}, 1) == 0.5  # divided by the number relevant


def test_factchecks_evaluation_reads_the_format_and_splits() -> None:
    data = read_claim_retrieval(DATA)
    assert len(data.queries) == 24 and len(data.vclaims) == 26
    train, heldout = read_claim_retrieval(DATA, split="train"), read_claim_retrieval(DATA, split="heldout")
    assert set(train.queries) | set(heldout.queries) == set(data.queries)
    assert not set(train.queries) & set(heldout.queries)


def test_factchecks_evaluation_bad_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="queries file"):
        read_claim_retrieval(tmp_path)
    (tmp_path / "q_Queries.tsv").write_text("tweet-1\tsome text\n")
    (tmp_path / "q_QRELs.tsv").write_text("tweet-1\t0\tvclaim-missing\t1\n")
    (tmp_path / "vclaims.jsonl").write_text(json.dumps({"vclaim_id": "vclaim-other", "vclaim": "x", "title": "y"}) + "\n")
    with pytest.raises(InputError, match="not in the collection"):
        read_claim_retrieval(tmp_path)


def test_factchecks_evaluation_default_model_on_our_set() -> None:
    result = run_evaluation("matching", DATA, cache=None)
    assert result["n"] == 24 and result["model"] == "hybrid-v1"
    m = result["measures"]
    assert set(m) == {"map_at_1", "map_at_5", "map_at_10", "recall_at_10", "mrr"}
    assert m["map_at_5"] >= 0.9 and m["recall_at_10"] >= 0.95
    assert result["at_threshold"]["precision"] >= 0.9
    assert set(result["calibration_top5"]) == {"brier", "ece"}
    assert set(result["baselines"]) == {"bm25", "minilm"}
    assert get_task("matching").benchmark.path == "checkthat-claim-retrieval-en"


def test_factchecks_evaluation_train_writes_a_usable_model(tmp_path: Path) -> None:
    out = tmp_path / "my-matcher"
    card = run_training("matching", DATA, out, split="train", cache=None)
    assert card["kind"] == "trained" and card["data"]["split"] == "train" and card["data"]["sha256"]
    assert card["measures"]["split"] == "heldout" and "map_at_5" in card["measures"]["values"]
    reranker = load_reranker(str(out))
    assert reranker.name == "my-matcher" and len(reranker.coef) == 9
    runner = CliRunner()
    res = runner.invoke(cli, ["evaluate", "matching", "--data", str(DATA), "--model", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["model"] == "my-matcher"


def test_factchecks_evaluation_negatives_are_queries_judged_to_repeat_nothing(tmp_path: Path) -> None:
    # A qrels row with relevance 0 judges its query: one whose rows all say 0 is a negative (no MAP; end
    # to end, whatever is listed for it is wrong). CheckThat!'s own qrels only hold 1s, so nothing changes there.
    (tmp_path / "q_Queries.tsv").write_text("doc-a\tthe toll is scrapped\ndoc-b\tthe match ended 2-1\ndoc-c\tunjudged\n")
    (tmp_path / "q_QRELs.tsv").write_text("doc-a\t0\tvclaim-toll\t1\ndoc-b\t0\tnone\t0\n")
    (tmp_path / "vclaims.jsonl").write_text(json.dumps({"vclaim_id": "vclaim-toll", "vclaim": "The toll is scrapped.",
                                                        "title": "Toll"}) + "\n")
    data = read_claim_retrieval(tmp_path)
    assert data.queries == {"doc-a": "the toll is scrapped"} and data.qrels == {"doc-a": {"vclaim-toll"}}
    assert data.negatives == {"doc-b": "the match ended 2-1"}  # doc-c has no qrels row: not judged, left out
    assert run_evaluation("matching", tmp_path, cache=None)["n"] == 1


def test_factchecks_evaluation_choose_lead_takes_the_widest_band_that_is_precise_enough() -> None:
    from narratrace.factchecks.evaluation import _Scored, choose_lead

    # 30 queries whose best candidate scores 0.12, four times the second: 24 right (0.8); 30 whose best
    # scores 0.06, also four times the second: 12 right (0.4); 30 at 0.3 (in the possible tier already).
    ranked, qrels = {}, {}
    for n in range(90):
        best, right = (0.12, n % 5 != 0) if n < 30 else ((0.06, n % 5 < 2) if n < 60 else (0.3, True))
        ranked[f"q{n}"] = [_Scored("right" if right else "wrong", best), _Scored("other", best / 4)]
        qrels[f"q{n}"] = {"right"}
    chosen = choose_lead(ranked, qrels)
    # both bands together (60 queries, 0.6) are under 0.7: only the upper one is listed
    assert chosen is not None and (chosen["n"], chosen["right"]) == (30, 24) and 0.06 < chosen["lead"] <= 0.12
    assert choose_lead(ranked, qrels, target=0.9) is None
    assert choose_lead(ranked, qrels, min_queries=31) is None


@pytest.mark.parametrize("name", ["news", "retrieval"])
def test_factchecks_evaluation_stated_tier_precision_is_what_our_sets_measure(name: str) -> None:
    # The report, the web page and the export state each tier's precision (narratrace.factchecks.tiers);
    # on our own sets it must be what the end-to-end evaluation measures now.
    from narratrace.factchecks.tiers import TIERS

    measured = run_evaluation("matching", DATA.parent / name, end_to_end=True, cache=None)["tiers"]
    for tier in TIERS:
        stated = next(m for m in tier["measured"] if m["data"].startswith(f"tests/data/factchecks/{name}:"))
        assert (stated["right"], stated["listed"]) == (measured[tier["tier"]]["right"],
                                                       measured[tier["tier"]]["listed"]), tier["tier"]
