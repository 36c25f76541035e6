"""The evaluation registry, splits, training with model cards, and model selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.errors import ConfigError, InputError
from narratrace.evaluation import flatten_measures, get_task, in_split, run_evaluation, run_training, split_of
from narratrace.cards import installed_models, load_card, resolve_model

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = ROOT / "tests" / "data" / "checkworthiness" / "sentences.tsv"


def test_split_is_stable_and_holds_out_about_a_fifth() -> None:
    keys = [f"doc-{i}" for i in range(5000)]
    held = [k for k in keys if split_of(k) == "heldout"]
    assert 0.17 < len(held) / len(keys) < 0.23
    assert [split_of(k) for k in keys[:50]] == [split_of(k) for k in keys[:50]]
    assert all(in_split(k, "all") for k in keys[:10])
    assert all(in_split(k, "train") != in_split(k, "heldout") for k in keys[:200])
    with pytest.raises(ConfigError):
        in_split("x", "test")


def test_unknown_task_and_missing_data_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown evaluation task"):
        get_task("sentiment")
    with pytest.raises(InputError, match="no evaluation data"):
        run_evaluation("checkworthiness", tmp_path / "nothing.tsv")
    with pytest.raises(ConfigError, match="rule-based"):
        run_training("republication", SENTENCES, tmp_path / "m")


def test_flatten_measures_keeps_numbers_with_dotted_names() -> None:
    assert flatten_measures({"si": {"f1": 0.5, "p": 1}, "note": "x", "ok": True}) == {"si.f1": 0.5, "si.p": 1}


def test_malformed_checkworthiness_data_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\ttext\nx\ty\n", encoding="utf-8")
    with pytest.raises(InputError, match="header"):
        run_evaluation("checkworthiness", bad)
    bad.write_text("Sentence_id\tText\tclass_label\n1\tA sentence.\tMaybe\n", encoding="utf-8")
    with pytest.raises(InputError, match="Yes or No"):
        run_evaluation("checkworthiness", bad)


def test_evaluate_json_has_the_documented_shape() -> None:
    result = CliRunner().invoke(cli, ["evaluate", "checkworthiness", "--data", str(SENTENCES), "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert {"task", "model", "data", "n", "measures", "seconds"} <= set(obj)
    assert obj["task"] == "checkworthiness" and obj["model"] == "rules-v1" and obj["n"] == 60
    assert 0.0 <= obj["measures"]["f1"] <= 1.0


def test_train_writes_weights_and_a_card_and_the_model_is_selectable(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "models"
    out = models / "checkworthiness" / "mine"
    result = CliRunner().invoke(cli, ["train", "checkworthiness", "--data", str(SENTENCES), "--out", str(out),
                                      "--split", "all", "--seed", "3"])
    assert result.exit_code == 0, result.output
    card = load_card(out)
    assert card["task"] == "checkworthiness" and card["kind"] == "trained" and card["seed"] == 3
    assert len(card["data"]["sha256"]) == 64 and card["data"]["n"] == 60
    assert (out / "weights.json").is_file() and (out / "README.md").is_file()
    weights = json.loads((out / "weights.json").read_text())["weights"]
    assert weights["question"] < 0 < weights["number"], "learned weights should point the obvious way"
    trained = run_evaluation("checkworthiness", SENTENCES, model=str(out))
    assert trained["model"] == "mine"
    assert trained["measures"]["f1"] >= 0.8, "a model fitted on these very sentences must fit them"
    # the same training run again gives the same weights (seeded, deterministic)
    again = tmp_path / "again"
    run_training("checkworthiness", SENTENCES, again, split="all", seed=3)
    assert json.loads((again / "weights.json").read_text()) == json.loads((out / "weights.json").read_text())
    # found by name once it sits under $NARRATRACE_MODELS
    monkeypatch.setenv("NARRATRACE_MODELS", str(models))
    assert resolve_model("checkworthiness", "mine") == out
    assert any(m.name == "mine" and not m.shipped for m in installed_models("checkworthiness"))
    listed = CliRunner().invoke(cli, ["models", "--json"])
    rows = json.loads(listed.output)
    assert {"task": "checkworthiness", "name": "rules-v1", "default": True} in [
        {k: r[k] for k in ("task", "name", "default")} for r in rows]
    with pytest.raises(ConfigError, match="not 'attribution'"):
        resolve_model("attribution", str(out))


def test_every_shipped_default_has_a_card_with_own_data() -> None:
    from narratrace.evaluation import task_names

    for name in task_names():
        try:
            task = get_task(name)
        except ConfigError:
            continue  # a task whose component has not landed
        path = resolve_model(name, None, default=task.default_model)
        card = load_card(path)
        assert card["task"] == name and card["measures"], f"{name}: the default's card has no measures"
        licence = str(card["data"].get("licence", "")).lower()
        assert "research" not in licence, f"{name}: a shipped default must not come from research-only data"


def test_analyze_runs_a_stage_with_a_chosen_model(tmp_path: Path) -> None:
    from narratrace.evaluation import stage_config_for_models
    from narratrace.store import Store

    with pytest.raises(ConfigError, match="TASK=NAME_OR_DIR"):
        stage_config_for_models(["checkworthiness"])
    with pytest.raises(ConfigError, match="one built-in model"):
        stage_config_for_models(["republication=x"])
    with pytest.raises(ConfigError, match="no checkworthiness model"):
        stage_config_for_models(["checkworthiness=nowhere"])
    model = tmp_path / "cw"
    run_training("checkworthiness", SENTENCES, model, split="all", seed=1)
    assert stage_config_for_models([f"checkworthiness={model}"]) == {"claims": {"checkworthiness_model": str(model)}}

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Harbour talks\n\nThe ministry said 42 drones were shot down on Tuesday. "
                                  "We must stay calm.\n", encoding="utf-8")
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(corpus), "--db", db, "-q"]).exit_code == 0
    first = runner.invoke(cli, ["analyze", "--db", db, "-q"])
    assert first.exit_code == 0, first.output
    chosen = runner.invoke(cli, ["analyze", "--db", db, "-q", "--model", f"checkworthiness={model}"])
    assert chosen.exit_code == 0, chosen.output
    assert "claims: 1 article(s) processed" in chosen.output, "another model is another stage version: it re-runs"
    with Store(db) as store:
        versions = {v for (v,) in store.db.execute("SELECT version FROM stage_results WHERE stage = 'claims'")}
    assert len(versions) == 1  # the new results replaced the old ones


def test_measures_taken_after_training_land_in_the_card(tmp_path: Path) -> None:
    from narratrace.cards import add_measures

    out = tmp_path / "cw"
    run_training("checkworthiness", SENTENCES, out, split="all", seed=2)
    assert not load_card(out)["measures"], "trained on everything: nothing unseen to report yet"
    result = run_evaluation("checkworthiness", SENTENCES, model=str(out))
    add_measures(out, {"data": "dev", "split": "all", "n": result["n"], "values": result["measures"]})
    card = load_card(out)
    assert card["measures"]["values"]["f1"] == result["measures"]["f1"]
    assert "| f1 |" in (out / "README.md").read_text()


def test_evaluate_takes_one_language_of_a_multilingual_set(tmp_path: Path) -> None:
    """--language XX reads the XX/ folder, and refuses an encoder that cannot read the language."""
    import shutil

    from narratrace.errors import ConfigError, InputError
    from narratrace.vectors import use_encoder

    own = Path(__file__).parent / "data" / "narratives"
    shutil.copytree(own, tmp_path / "set" / "EN")
    english = run_evaluation("narratives", tmp_path / "set", language="en")
    assert english["n"] > 0 and english["language"] == "en" and english["data"].endswith("EN")
    assert english["measures"] == run_evaluation("narratives", own)["measures"]
    with pytest.raises(ConfigError, match="e5-int8"):
        run_evaluation("narratives", tmp_path / "set", language="ru")  # MiniLM reads English only
    with use_encoder("e5-int8"), pytest.raises(InputError, match="no folder for language 'ru'"):
        run_evaluation("narratives", tmp_path / "set", language="ru")


def test_the_per_language_section_is_rendered_and_spliced_into_quality_md() -> None:
    from narratrace.quality import render_languages, splice_languages

    run = {"n": 32, "seconds": 1.0, "command": "narratrace --encoder e5-int8 evaluate narratives ...",
           "measures": {"f1_samples": {"narratives": 0.31, "subnarratives": 0.13}}}
    entry = {"task": "narratives", "benchmark": "SemEval", "encoder": "e5-int8",
             "published": [{"measure": "f1_samples.narratives", "label": "samples-F1 narratives", "value": 0.55,
                            "source": "COGNAC"}],
             "rows": [{"language": "bg", "default": run, "trained": {**run, "command": "train && evaluate"}}]}
    section = render_languages([entry])
    assert "| narratives | bg | 32 | samples-F1 narratives | 0.310 | 0.310 | none found |" in section
    document = "# Quality\n\n| table |\n\n## Commands\n\n- x\n\n## Quality gate: our own labelled sets\n\n| g |\n"
    once = splice_languages(document, section)
    assert once.index("## Per language") < once.index("## Quality gate") and "| g |" in once
    assert splice_languages(once, section) == once  # replaced, not added twice
    assert render_languages([{**entry, "rows": []}]) == []


def test_a_model_trained_on_one_language_makes_analyze_read_that_language(tmp_path: Path) -> None:
    """train --language XX records it in the card; `analyze --model TASK=DIR` then analyses XX."""
    import shutil

    from narratrace.pipeline import registered_stages
    from narratrace.vectors import use_encoder

    shutil.copytree(Path(__file__).parent / "data" / "narratives", tmp_path / "set" / "RU")
    with use_encoder("e5-int8"):
        card = run_training("narratives", tmp_path / "set", tmp_path / "ru", split="all", language="ru")
    assert card["languages"] == ["ru"] == load_card(tmp_path / "ru")["languages"]
    info = registered_stages()["narratives"]
    assert info.own_languages({"model": str(tmp_path / "ru")}) == ("ru",)
    assert info.own_languages({"model": str(tmp_path / "ru"), "languages": ["bg"]}) == ("bg",)  # the config wins
    assert info.own_languages({}) == info.own_languages(None)


def test_end_to_end_scores_what_the_export_gives(tmp_path: Path) -> None:
    """--end-to-end ingests the benchmark's texts, analyses them with the defaults and scores the export."""
    from narratrace.errors import ConfigError

    own = Path(__file__).parent / "data" / "factchecks" / "retrieval"
    gold = run_evaluation("matching", own, cache=None)
    e2e = run_evaluation("matching", own, end_to_end=True, cache=None)
    assert e2e["end_to_end"] is True and "end_to_end" not in gold and e2e["n"] == gold["n"]
    losses = e2e["losses"]
    assert losses["queries"] == e2e["n"] and losses["matched"] + losses["claims_no_match"] <= e2e["n"]
    assert 0 < e2e["measures"]["map_at_5"] <= gold["measures"]["map_at_5"] + 1e-9  # on this set the export scores below the gold-input figure
    with pytest.raises(ConfigError, match="no end-to-end evaluation"):
        run_evaluation("narratives", Path(__file__).parent / "data" / "narratives", end_to_end=True)


def test_the_end_to_end_section_puts_gold_and_export_side_by_side() -> None:
    from narratrace.quality import END_TO_END_HEAD, render_end_to_end, splice_section

    gold = {"n": 9, "seconds": 1.0, "measures": {"map_at_5": 0.9}}
    e2e = {"n": 9, "seconds": 2.0, "command": "narratrace evaluate matching --end-to-end", "measures": {"map_at_5": 0.6},
           "losses": {"no_claim": 2}}
    section = render_end_to_end([{"task": "matching", "benchmark": "CT", "rows": [
        {"model": "shipped default", "gold": gold, "end_to_end": e2e}]}])
    assert section[0] == END_TO_END_HEAD
    assert "| matching | CT | shipped default | 9 | map_at_5 | 0.900 | 0.600 | no claim 2 |" in section
    document = "# Quality\n\n## Commands\n\n- x\n\n## Quality gate: our own labelled sets\n\n| g |\n"
    once = splice_section(document, END_TO_END_HEAD, section)
    assert once.index(END_TO_END_HEAD) < once.index("## Quality gate") and splice_section(once, END_TO_END_HEAD, section) == once


def test_framing_end_to_end_counts_an_uncovered_gold_mention_as_wrong() -> None:
    """Our framing set names each entity once, in descriptions ("Tenants of the block"): the shipped
    stage frames named entities met at least twice, so nothing is covered end to end (issue 19)."""
    own = Path(__file__).parent / "data" / "framing" / "testset"
    gold = run_evaluation("framing", own)
    e2e = run_evaluation("framing", own, end_to_end=True)
    losses = e2e["losses"]
    assert losses["mentions"] == e2e["n"] == gold["n"]
    assert losses["covered"] + losses["no_framing_item"] + losses["mention_not_in_text"] \
        + losses["document_not_ingested"] == losses["mentions"]
    assert e2e["measures"]["coverage"] == round(losses["covered"] / losses["mentions"], 4)
    assert e2e["measures"]["main_role_accuracy"] <= e2e["measures"]["coverage"]  # uncovered is wrong
    assert gold["measures"]["main_role_accuracy"] > e2e["measures"]["main_role_accuracy"]


def test_checkworthiness_end_to_end_counts_a_sentence_with_an_exported_claim() -> None:
    own = Path(__file__).parent / "data" / "checkworthiness" / "sentences.tsv"
    e2e = run_evaluation("checkworthiness", own, end_to_end=True)
    losses = e2e["losses"]
    assert losses["sentences"] == e2e["n"] and losses["not_ingested"] == 0
    recall = e2e["measures"]["r"]
    assert recall == round(1 - losses["positives_without_claim"] / losses["positives"], 4)
    assert e2e["measures"]["f1"] >= 0.7  # what the claims stage exports on our own labelled sentences
