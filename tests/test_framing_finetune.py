"""Entity framing by a fine-tuned MiniLM (`train framing --fine-tune`): the marked window without the
network; then one real fine-tuning on the exemplars written for narratrace (seconds): the card, the
reload, `evaluate --model`, `analyze --model framing=DIR`, and that it reads English only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.errors import ConfigError, InputError
from narratrace.evaluation import run_evaluation, run_training
from narratrace.framing.data import read_framing_data
from narratrace.framing.features import contexts, sentences_of
from narratrace.framing.finetuned import FineTunedFramingModel, marked_window

SAMPLE = Path(__file__).parent / "data" / "framing" / "exemplars"


def test_framing_finetune_marked_window_wraps_the_mention_in_whole_words() -> None:
    text = "The mayor of Varosk\r\nthanked the Red Cross for its help after the floods in the north."
    start = text.index("Red Cross")
    assert marked_window(text, start, start + 9) == ("The mayor of Varosk thanked the [[ Red Cross ]] for its help "
                                                     "after the floods in the north.")
    short = marked_window(text, start, start + 9, window_chars=12)
    assert short == "thanked the [[ Red Cross ]] for its"  # cut words dropped at both ends
    assert marked_window("", 0, 0) == "[[ ]]" and marked_window("abc", 5, 9) == "abc [[ ]]"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "framing-fine"
    run_training("framing", SAMPLE, out, split="train", seed=5, fine_tune=True, epochs=1)
    return out


def test_framing_finetune_card_records_data_base_options_decoding_and_history(trained: Path) -> None:
    card = json.loads((trained / "card.json").read_text())
    assert card["kind"] == "fine-tuned" and card["task"] == "framing" and card["seed"] == 5
    n_train = sum(len(d.mentions) for d in read_framing_data(SAMPLE, split="train"))
    n_held = sum(len(d.mentions) for d in read_framing_data(SAMPLE, split="heldout"))
    assert len(card["data"]["sha256"]) == 64 and card["data"]["n"] == n_train and card["data"]["split"] == "train"
    assert card["data"]["train"] + card["data"]["dev"] == n_train and card["data"]["dev"] >= 1
    assert "all-MiniLM-L6-v2" in card["base"] and card["options"]["epochs"] == 1 and card["options"]["seed"] == 5
    assert card["languages"] == ["en"]  # `analyze --model framing=DIR` analyses English articles only
    assert len(card["history"]) == 1 and "dev_loss" in card["history"][0] and card["training_minutes"] > 0
    held = card["measures"]  # scored on the documents it did not learn from, with its speed
    assert held["split"] == "heldout" and held["n"] == n_held > 0 and held["mentions_per_second"] > 0
    assert 0.0 <= held["values"]["main_role_accuracy"] <= 1.0
    spec = json.loads((trained / "model.json").read_text())
    assert spec["kind"] == "fine-tuned" and spec["rule_weight"] in (0.0, 0.3, 0.6)
    assert (trained / "classifier.pt").stat().st_size > 10_000_000  # the whole encoder, float16


def test_framing_finetune_reload_evaluate_and_languages(trained: Path) -> None:
    from narratrace.framing import model as m
    from narratrace.vectors import encoder_languages, space_of

    doc = next(iter(read_framing_data(SAMPLE, limit=1)))
    sentences = sentences_of(doc.text)
    docs = [(doc.text, sentences, contexts(doc.text, [(x.start, x.end) for x in doc.mentions], sentences), None)]
    m._load_cached.cache_clear()
    one, _ = m.load_framing_model(str(trained))
    m._load_cached.cache_clear()
    two, _ = m.load_framing_model(str(trained))
    assert one is not two and isinstance(one, FineTunedFramingModel)
    main_a, fine_a = one.probabilities(one.features_of(docs))
    main_b, fine_b = two.probabilities(two.features_of(docs))
    assert main_a.shape == (len(doc.mentions), 3) and np.allclose(main_a.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(main_a, main_b, atol=1e-5) and np.allclose(fine_a, fine_b, atol=1e-5)
    assert [p.main_role for p in one.predict(docs)] == [p.main_role for p in two.predict(docs)]
    assert encoder_languages(space_of(one.encoder)) == ("en",)  # MiniLM reads English, whatever the run's encoder
    result = run_evaluation("framing", SAMPLE, model=str(trained), split="heldout")
    assert result["model"] == "framing-fine" and 0.0 <= result["measures"]["main_role_accuracy"] <= 1.0


def test_framing_finetune_model_is_used_by_analyze(trained: Path, tmp_path: Path) -> None:
    from narratrace.store import Store

    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Flood relief in Varosk\n\nThe Red Cross sent medics and food to Varosk on Monday. "
                                  "Mayor Lena Dorch thanked the Red Cross and said the Northern Army had shelled "
                                  "the bridge. The Northern Army denied it. Lena Dorch asked for calm.\n",
                                  encoding="utf-8")
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(corpus), "--db", db, "-q"]).exit_code == 0
    out = runner.invoke(cli, ["analyze", "--db", db, "-q", "--model", f"framing={trained}"])
    assert out.exit_code == 0, out.output
    with Store(db) as store:
        stored = [json.loads(data) for _, data in store.stage_data("framing") if data]
    assert len(stored) == 1 and stored[0]["model"] == "framing-fine" and stored[0]["entities"] >= 1


def test_framing_finetune_refuses_reviews_and_a_broken_model(trained: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--data only"):
        run_training("framing", SAMPLE, tmp_path / "m", fine_tune=True, reviews=str(tmp_path / "c.db"))
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("classifier.json", "classifier.pt", "card.json"):
        (broken / name).write_bytes((trained / name).read_bytes())
    with pytest.raises(ConfigError, match="not a fine-tuned framing model"):
        FineTunedFramingModel.load(broken)  # no model.json


def test_framing_finetune_is_reproducible(trained: Path, tmp_path: Path) -> None:
    again = tmp_path / "framing-fine"
    card = run_training("framing", SAMPLE, again, split="train", seed=5, fine_tune=True, epochs=1)
    first = json.loads((trained / "card.json").read_text())
    assert card["history"][0]["dev_loss"] == first["history"][0]["dev_loss"]
    assert (again / "classifier.pt").read_bytes() == (trained / "classifier.pt").read_bytes()  # same weights
    assert json.loads((again / "model.json").read_text()) == json.loads((trained / "model.json").read_text())
