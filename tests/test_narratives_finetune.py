"""Narratives by a fine-tuned MiniLM (`train narratives --fine-tune`): chunking, pooling and hierarchical
decoding without the network; then one real fine-tuning on the 12-document sample written for narratrace
(seconds): the card, the reload, `evaluate --model` and `analyze --model narratives=DIR`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.errors import ConfigError
from narratrace.evaluation import run_evaluation, run_training
from narratrace.model import Span
from narratrace.narratives.finetuned import FineTunedNarrativeModel, chunk_texts, chunks, pool
from narratrace.narratives.taxonomy import load_taxonomies

SAMPLE = Path(__file__).parent / "data" / "narratives"
NARR = "URW: Discrediting Ukraine"
SUB = "URW: Discrediting Ukraine: Ukraine is a hub for criminal activities"
NARR2 = "URW: Blaming the war on others rather than the invader"
SUB2 = "URW: Blaming the war on others rather than the invader: Ukraine is the aggressor"


def _spans(text: str) -> list[Span]:
    out, start = [], 0
    for part in text.split(". "):
        end = start + len(part) + (1 if start + len(part) < len(text) else 0)
        out.append(Span(start, end))
        start = end + 1
    return out


def test_narratives_finetune_chunks_keep_sentences_whole_and_in_order() -> None:
    text = "one two three four. five six seven eight. nine ten eleven twelve. thirteen fourteen fifteen sixteen"
    spans = _spans(text)
    groups = chunks(text, spans, chunk_words=8)
    assert groups == [spans[:2], spans[2:]]
    assert chunk_texts(text, groups)[0] == "one two three four. five six seven eight."
    assert chunks(text, spans, chunk_words=3) == [[s] for s in spans]  # a long sentence is a chunk of its own
    assert chunks(text, [], chunk_words=8) == []


def test_narratives_finetune_pooling() -> None:
    p = np.array([[0.9, 0.1], [0.5, 0.3], [0.1, 0.2]], dtype=np.float32)
    assert np.allclose(pool(p, "max"), [0.9, 0.3]) and np.allclose(pool(p, "top2"), [0.7, 0.25])
    with pytest.raises(ConfigError, match="pooling"):
        pool(p, "median")


class _Fixed:
    """A stand-in classifier: each chunk's probabilities are given."""

    def __init__(self, labels: list[str], rows: list[dict[str, float]]) -> None:
        self.labels, self.rows = labels, rows

    def probabilities(self, texts: list[str]) -> np.ndarray:
        assert len(texts) == len(self.rows)
        return np.array([[r.get(lab, 0.01) for lab in self.labels] for r in self.rows], dtype=np.float32)


def test_narratives_finetune_decodes_hierarchically_with_evidence_from_the_best_chunk() -> None:
    tax = load_taxonomies()
    labels = [lab.label for lab in tax.labels]
    text = ("Kyiv is a hub of crime, they say again. Another line about the war today. "
            "Kyiv gangs sell weapons abroad, the report says. The West started it all, a minister says")
    spans = _spans(text)
    rows = [{NARR: 0.6, SUB: 0.4, SUB2: 0.9}, {NARR: 0.8, SUB: 0.7, NARR2: 0.5}]
    model = FineTunedNarrativeModel(tax, _Fixed(labels, rows), threshold=0.7, sub_threshold=0.5, pooling="max",
                                    chunk_words=16)
    pred = model.predict_text(text, spans)
    # SUB (0.7 in chunk 2) under NARR (0.8); SUB2 (0.9) does not bring NARR2 (0.5): hierarchical
    assert pred.narratives == [NARR] and pred.subnarratives == [SUB]
    assert pred.hits[0].evidence == tuple(spans[2:4])  # the sentences of the chunk that scored SUB best
    assert pred.domain == "URW" and pred.scores[SUB2] == pytest.approx(0.9)
    # mean of the two best chunks: NARR 0.7 passes 0.7, SUB 0.55 passes 0.5
    assert model.decode(*model.chunk_probabilities([(text, spans)])[0], pooling="top2").subnarratives == [SUB]
    none = model.decode(*model.chunk_probabilities([(text, spans)])[0], threshold=0.95)
    assert none.narratives == ["Other"] and none.subnarratives == ["Other"] and none.hits == ()
    assert model.predict_texts([(text, [])]) == [model.decode([], np.zeros((0, len(labels))))]
    with pytest.raises(ConfigError, match="reads the article's text"):
        model.predict(np.zeros((1, 384), dtype=np.float32), spans[:1])


def test_narratives_finetune_reads_english_only_whatever_the_run_encoder() -> None:
    from narratrace.narratives.stage import readable_languages

    tax = load_taxonomies()
    model = FineTunedNarrativeModel(tax, _Fixed([lab.label for lab in tax.labels], []))
    model.encoder = "e5-int8"  # a multilingual run: its vectors read ~100 languages, the fine-tuned MiniLM English
    assert readable_languages(model, ["*"]) == ["en"] and readable_languages(model, ["ru", "en"]) == ["en"]
    assert readable_languages(model, ["ru"]) == []

    class Linear:  # a model over the run's vectors reads what its encoder reads
        encoder = "e5-int8"
    assert readable_languages(Linear(), ["*"]) == ["*"]
    Linear.encoder = "minilm"
    assert readable_languages(Linear(), ["*"]) == ["en"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "narr-fine"
    run_training("narratives", SAMPLE, out, split="train", seed=5, fine_tune=True, epochs=1)
    return out


def test_narratives_finetune_card_records_data_base_options_thresholds_and_history(trained: Path) -> None:
    card = json.loads((trained / "card.json").read_text())
    assert card["kind"] == "fine-tuned" and card["task"] == "narratives" and card["seed"] == 5
    assert len(card["data"]["sha256"]) == 64 and card["data"]["n"] == 8 and card["data"]["split"] == "train"
    assert card["data"]["train"] + card["data"]["dev"] == 8 and card["data"]["dev"] >= 1
    assert card["data"]["chunks"] >= card["data"]["train"]
    assert "all-MiniLM-L6-v2" in card["base"] and card["options"]["epochs"] == 1 and card["options"]["seed"] == 5
    assert len(card["history"]) == 1 and "dev_loss" in card["history"][0] and card["training_minutes"] > 0
    assert card["languages"] == ["en"]  # `analyze --model narratives=DIR` analyses English articles only
    assert card["pooling"] in ("max", "top2") and 0 < card["threshold"] < 1 and 0 < card["sub_threshold"] < 1
    held = card["measures"]  # scored on the 4 documents it did not learn from, with its speed
    assert held["split"] == "heldout" and held["n"] == 4 and held["articles_per_second"] > 0
    assert 0.0 <= held["values"]["f1_samples"]["subnarratives"] <= 1.0
    spec = json.loads((trained / "model.json").read_text())
    assert spec["kind"] == "fine-tuned" and spec["threshold"] == card["threshold"]
    assert (trained / "classifier.pt").stat().st_size > 10_000_000  # the whole encoder, float16


def test_narratives_finetune_reload_and_evaluate(trained: Path) -> None:
    from narratrace.narratives import classifier as c
    from narratrace.narratives.evaluation import read_semeval

    doc = read_semeval(SAMPLE, limit=2)[1]
    units = c.document_units(doc.text, doc.sentences)
    c._load.cache_clear()
    one = c.load_model(str(trained))
    c._load.cache_clear()
    two = c.load_model(str(trained))
    assert one is not two and c.reads_text(one) and not c.reads_text(c.load_model(None))
    a, b = one.predict_text(doc.text, units), two.predict_text(doc.text, units)  # type: ignore[attr-defined]
    assert a.scores == pytest.approx(b.scores, abs=1e-5) and a.subnarratives == b.subnarratives
    result = run_evaluation("narratives", SAMPLE, model=str(trained), split="all")
    assert result["n"] == 12 and result["model"] == "narr-fine"
    assert 0.0 <= result["measures"]["f1_samples"]["narratives"] <= 1.0


def test_narratives_finetune_model_is_used_by_analyze(trained: Path, tmp_path: Path) -> None:
    from narratrace.narratives.stage import unpack_result
    from narratrace.store import Store

    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text(next((SAMPLE / "raw-documents").glob("*.txt")).read_text(), encoding="utf-8")
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(corpus), "--db", db, "-q"]).exit_code == 0
    out = runner.invoke(cli, ["analyze", "--db", db, "-q", "--model", f"narratives={trained}"])
    assert out.exit_code == 0, out.output
    with Store(db) as store:
        stored = [unpack_result(data) for _, data in store.stage_data("narratives") if data]
    assert len(stored) == 1 and stored[0].model == "narr-fine" and stored[0].skipped is None
    assert all(h.evidence for h in stored[0].hits)


def test_narratives_finetune_is_reproducible(trained: Path, tmp_path: Path) -> None:
    again = tmp_path / "narr-fine"
    card: dict[str, Any] = run_training("narratives", SAMPLE, again, split="train", seed=5, fine_tune=True, epochs=1)
    first = json.loads((trained / "card.json").read_text())
    assert card["history"][0]["dev_loss"] == first["history"][0]["dev_loss"]
    assert (again / "classifier.pt").read_bytes() == (trained / "classifier.pt").read_bytes()  # same weights
    assert json.loads((again / "model.json").read_text()) == json.loads((trained / "model.json").read_text())
