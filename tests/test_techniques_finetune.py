"""Technique spans by a fine-tuned MiniLM (`train techniques --fine-tune`): BIO tags, windows and span
decoding without training; then one real fine-tuning (1 epoch, seconds) on six short articles written
for this test in the PTC layout: the card, the reload, `evaluate --model` and `analyze --model
techniques=DIR` through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.errors import ConfigError
from narratrace.evaluation import run_training
from narratrace.finetune import bio_tags
from narratrace.techniques.finetuned import decode_spans, windows
from narratrace.techniques.labels import TECHNIQUES

CODES = {"LL": "Loaded_Language", "NC": "Name_Calling,Labeling", "DO": "Doubt", "AF": "Appeal_to_fear-prejudice",
         "SL": "Slogans"}
# written for this test; ids chosen so that 910000009 falls in the held-out split (by hash), the rest in train
ARTICLES = {
    "910000001": "Mill Closure Shocks Valley\n\nThe [LL|greedy] owners shut the paper mill on Friday.\n"
                 "[AF|If nobody stops them, every family in the valley will lose its home].\n"
                 "The mill employed ninety people.\n",
    "910000002": "Bridge Vote Delayed\n\nThe council delayed the vote on the new bridge until March.\n"
                 "[DO|Can anyone believe a word the planning office says?]\n"
                 "Engineers said the old bridge is safe for now.\n",
    "910000003": "Mayor Under Fire\n\nThe [NC|puppet mayor] signed the contract without a debate.\n"
                 "Critics called the deal a [LL|disgraceful] betrayal of the town.\n[SL|Our town, our say!]\n",
    "910000004": "Ferry Prices Rise\n\nFerry tickets will cost two euros more from June.\n"
                 "The [LL|outrageous] rise hits commuters hardest, the union said.\n"
                 "The operator blamed fuel costs.\n",
    "910000005": "School Plan Criticised\n\nThe [NC|so-called experts] at the ministry want to merge three schools.\n"
                 "[AF|Our children will be crammed into classrooms of fifty].\nParents will meet on Monday.\n",
    "910000009": "Harbour Deal Signed\n\nThe [LL|shameful] harbour deal was signed last night.\n"
                 "[DO|Why was the press kept out of the room?]\nThe port authority declined to comment.\n",
}
_MARK = re.compile(r"\[([A-Z]{2})\|([^\]]*)\]")


def write_ptc(root: Path) -> Path:
    """ARTICLES in the PTC layout: ``article<ID>.txt`` and ``article<ID>.task2-TC.labels`` side by side."""
    root.mkdir(parents=True, exist_ok=True)
    for doc, marked in ARTICLES.items():
        text, labels, pos = "", [], 0
        for m in _MARK.finditer(marked):
            text += marked[pos:m.start()]
            labels.append(f"{doc}\t{CODES[m.group(1)]}\t{len(text)}\t{len(text) + len(m.group(2))}")
            text += m.group(2)
            pos = m.end()
        text += marked[pos:]
        (root / f"article{doc}.txt").write_text(text, encoding="utf-8")
        (root / f"article{doc}.task2-TC.labels").write_text("\n".join(labels) + "\n", encoding="utf-8")
    return root


class _Offsets:
    """Word pieces as whitespace-separated words (a stand-in tokenizer for :func:`windows`)."""

    def __call__(self, texts: list[str], **_: object) -> dict[str, list[list[tuple[int, int]]]]:
        return {"offset_mapping": [[m.span() for m in re.finditer(r"\S+", t)] for t in texts]}


def test_techniques_finetune_bio_tags_mark_begin_inside_and_nested_spans() -> None:
    offsets = np.array([(0, 0), (0, 3), (4, 9), (10, 14), (15, 20), (21, 25), (0, 0)])  # [CLS] w w w w w [SEP]
    # label 2 over tokens 2-5, label 0 nested on token 3 (the shorter span wins there)
    tags = bio_tags(offsets, [(4, 25, 2), (10, 14, 0)], n_labels=3)
    o, b, i = 0, lambda k: 1 + k, lambda k: 4 + k
    assert tags == [-100, o, b(2), b(0), b(2), i(2), -100]


def test_techniques_finetune_decodes_perfect_tags_back_to_the_spans() -> None:
    text = "They are cowards. Fear them, the man said; fear them all."
    gold = [(9, 16, 9), (18, 27, 3)]  # "cowards" (label 9), "Fear them" (label 3)
    offsets = np.array([m.span() for m in re.finditer(r"\w+|[^\w\s]", text)])
    n = len(TECHNIQUES)
    tags = bio_tags(offsets, gold, n)
    probs = np.eye(1 + 2 * n)[tags]
    assert [(a, b, k) for a, b, k, _ in decode_spans(text, offsets, probs, 0.5, n)] == gold
    # two techniques side by side: a B- tag starts a new span even with no gap
    side = [(18, 22, 3), (23, 27, 5)]
    assert [(a, b, k) for a, b, k, _ in decode_spans(text, offsets, np.eye(1 + 2 * n)[bio_tags(offsets, side, n)],
                                                     0.5, n)] == side
    dot = bio_tags(offsets, [(16, 17, 1)], n)  # a span of "." alone is trimmed away
    assert decode_spans(text, offsets, np.eye(1 + 2 * n)[dot], 0.5, n) == []
    assert decode_spans(text, offsets, np.eye(1 + 2 * n)[[0] * len(offsets)], 0.5, n) == []
    assert decode_spans(text, offsets[:0], np.zeros((0, 1 + 2 * n)), 0.5, n) == []


def test_techniques_finetune_windows_group_sentences_within_the_budget() -> None:
    text = "one two three. four five six. seven eight nine ten eleven twelve thirteen. end"
    sentences = [(0, 14), (15, 29), (30, 74), (75, 78)]
    got = windows(text, sentences, _Offsets(), max_tokens=6)
    assert got[0] == (0, 29)  # two sentences of 3 words fit in 6
    assert got[1:] == [(30, 64), (65, 74), (75, 78)]  # the 7-word sentence cut into 6 + 1 words; "end" alone
    assert all(text[a:b] == text[a:b].strip() for a, b in got)
    assert windows("", [], _Offsets(), max_tokens=6) == [] and windows("  ", [(0, 2)], _Offsets(), 6) == []


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ptc(tmp_path_factory.mktemp("ptc") / "sample")


@pytest.fixture(scope="module")
def trained(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "tech-fine"
    run_training("techniques", sample, out, split="train", seed=5, fine_tune=True, epochs=1, max_minutes=2)
    return out


def test_techniques_finetune_card_records_data_base_options_and_heldout_measures(trained: Path) -> None:
    card = json.loads((trained / "card.json").read_text())
    assert card["kind"] == "fine-tuned" and card["task"] == "techniques" and card["seed"] == 5
    assert len(card["data"]["sha256"]) == 64 and card["data"]["n"] == 5 and card["data"]["split"] == "train"
    assert card["data"]["train"] + card["data"]["dev"] == 5 and card["data"]["dev"] >= 1
    assert card["data"]["windows"] >= card["data"]["train"] and card["data"]["instances"] == 9
    assert "all-MiniLM-L6-v2" in card["base"] and card["options"]["epochs"] == 1 and card["options"]["seed"] == 5
    assert card["options"]["max_minutes"] == 2 and card["options"]["max_length"] == 256
    assert len(card["history"]) == 1 and "dev_loss" in card["history"][0] and card["training_minutes"] > 0
    assert card["languages"] == ["en"]  # `analyze --model techniques=DIR` analyses English articles only
    assert 0.1 <= card["threshold"] <= 0.7 and "--fine-tune" in card["command"]
    held = card["measures"]  # the one held-out article, never seen in training, with the speed
    assert held["split"] == "heldout" and held["n"] == 1 and held["articles_per_second"] > 0
    assert 0.0 <= held["values"]["si"]["f1"] <= 1.0 and held["values"]["tc"]["instances"] == 2
    spec = json.loads((trained / "model.json").read_text())
    assert spec["kind"] == "fine-tuned" and spec["threshold"] == card["threshold"]
    assert json.loads((trained / "classifier.json").read_text())["head"] == "tokens"
    assert (trained / "classifier.pt").stat().st_size > 10_000_000  # the whole encoder, float16


def test_techniques_finetune_reload_gives_the_same_spans(trained: Path, sample: Path) -> None:
    from narratrace.techniques import _load, load_model

    text = (sample / "article910000009.txt").read_text(encoding="utf-8")
    _load.cache_clear()
    one = load_model(str(trained))
    _load.cache_clear()
    two = load_model(str(trained))
    assert one is not two and one.name == "tech-fine" and getattr(one, "languages") == ("en",)
    hits = one.detect(text)
    assert [(h.start, h.end, h.technique) for h in hits] == [(h.start, h.end, h.technique) for h in two.detect(text)]
    for h in hits:  # offsets on the article's own text, trimmed as PTC's
        assert 0 <= h.start < h.end <= len(text) and text[h.start:h.end] == text[h.start:h.end].strip(" .,:;\n")
        assert h.technique in TECHNIQUES and 0.0 <= h.score <= 1.0
    (ranking,) = one.classify(text, [(4, 12)])
    assert sorted(t for t, _ in ranking) == sorted(TECHNIQUES) and sum(p for _, p in ranking) == pytest.approx(1.0)
    assert one.detect("") == [] and one.classify(text, []) == []


def test_techniques_finetune_evaluate_and_analyze_through_the_cli(trained: Path, sample: Path, tmp_path: Path) -> None:
    from narratrace.store import Store

    runner = CliRunner()
    out = runner.invoke(cli, ["evaluate", "techniques", "--data", str(sample), "--model", str(trained), "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["n"] == 6 and result["model"] == "tech-fine" and result["measures"]["tc"]["instances"] == 11
    corpus = tmp_path / "in"
    corpus.mkdir()
    text = (sample / "article910000009.txt").read_text(encoding="utf-8")
    (corpus / "harbour.txt").write_text(text, encoding="utf-8")
    db = str(tmp_path / "c.db")
    assert runner.invoke(cli, ["ingest", str(corpus), "--db", db, "-q"]).exit_code == 0
    out = runner.invoke(cli, ["analyze", "--db", db, "-q", "--model", f"techniques={trained}"])
    assert out.exit_code == 0, out.output
    with Store(db) as store:
        stored = [json.loads(data) for _, data in store.stage_data("techniques") if data]
        (article,) = [store.article(aid) for aid, _ in store.stage_data("techniques")]
    assert len(stored) == 1 and stored[0]["model"] == "tech-fine"
    listed = runner.invoke(cli, ["techniques", "--db", db, "--json"])
    assert listed.exit_code == 0, listed.output
    (found,) = json.loads(listed.output)
    assert found["analysed"] and sum(found["counts"].values()) == len(found["techniques"])
    for h in found["techniques"]:  # character offsets on the stored article's text
        assert article.text[h["start"]:h["end"]] == h["text"] and h["technique"] in TECHNIQUES


def test_techniques_finetune_model_reads_english_only(trained: Path) -> None:
    from narratrace.model import Article
    from narratrace.techniques.stage import make_techniques

    run = make_techniques(model=str(trained), min_score=None, max_chars=500_000, languages=["en", "ru"])
    text = "The shameful deal was signed last night. Why was the press kept out?"
    assert run(Article(id="r", ref="r", text=text, language="ru")).not_analysed
    english = run(Article(id="e", ref="e", text=text, language="en"))
    assert not english.not_analysed and english.data["model"] == "tech-fine"


def test_techniques_finetune_refuses_reviews_and_bad_folders(sample: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PTC folder"):
        run_training("techniques", sample, tmp_path / "m", fine_tune=True, reviews=str(tmp_path / "c.db"))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a model directory"):
        run_training("techniques", sample, busy, fine_tune=True, epochs=1)
