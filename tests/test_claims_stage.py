"""The claims stage in the pipeline: the annotation contract, languages, bad input, configuration."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from narratrace.errors import ConfigError
from narratrace.ingest import Record, build_article, ingest
from narratrace.model import Article
from narratrace.pipeline import DEFAULT_STAGES, Pipeline, StageOutput, registered_stages
from narratrace.claims.stage import make_claims
from narratrace.store import Store

CLAIM_KEYS = {"id", "score", "source", "source_canonical", "source_kind", "source_start", "source_end",
              "source_role", "cue", "cue_start", "cue_end", "quote", "hedges", "hedge_spans", "carried",
              "entities", "numbers", "dates"}
KINDS = {"person", "organisation", "government", "media", "social_media", "anonymous", "none"}


def _stage(**config: object):  # type: ignore[no-untyped-def]
    info = registered_stages()["claims"]
    return info.factory(**{**info.default_config, **config})


def _article(text: str, language: str | None = "en") -> Article:
    art = build_article(Record(ref="t", text=text, source="t.txt", kind="txt", language=language))
    assert isinstance(art, Article)
    return art


def test_claims_stage_is_registered_after_republications_and_sentence_vectors() -> None:
    info = registered_stages()["claims"]
    assert info.level == "article"
    assert set(info.requires) == {"article.text", "article.sentences", "article.language"}
    assert set(info.produces) == {"article.entities", "article.claims"}
    assert DEFAULT_STAGES.index("claims") == DEFAULT_STAGES.index("republications") + 2
    assert DEFAULT_STAGES.index("sentence_vectors") == DEFAULT_STAGES.index("republications") + 1
    assert info.factory is make_claims


def test_claims_stage_annotations_follow_the_contract(tmp_path: Path, examples_dir: Path) -> None:
    store = Store(tmp_path / "c.db")
    ingest(store, [examples_dir])
    report = Pipeline(("fingerprints", "republications", "claims")).run(store)
    assert report.failed == []
    n_claims = 0
    for art in store.articles():
        anns = store.annotations(art.id, stage="claims")
        for a in anns:
            assert a.kind in ("entity", "claim")
            assert 0 <= a.start < a.end <= len(art.text)
            if a.kind == "entity":
                assert a.label and set(a.data) <= {"canonical", "syntax"} and a.data["canonical"]
                if "syntax" in a.data:  # named entities: where they stand in the parse (framing reads it)
                    assert set(a.data["syntax"]) == {"words", "dep", "gov", "gov_pos", "gov_dep", "gov_head"}
                continue
            n_claims += 1
            d = a.data
            assert set(d) == CLAIM_KEYS
            assert d["id"] == f"c-{art.id[:10]}-{a.start}"
            assert 0.0 <= d["score"] <= 1.0 and d["source_kind"] in KINDS and d["quote"] in ("direct", "indirect", "none")
            assert isinstance(d["carried"], bool)
            if d["source"] is not None:
                assert art.text[d["source_start"]:d["source_end"]] == d["source"]
            if d["cue"] is not None:
                assert " ".join(art.text[d["cue_start"]:d["cue_end"]].lower().split()) == d["cue"].lower()
            else:
                assert d["source_kind"] == "none" and d["quote"] == "none"
            assert [art.text[s:e] for s, e in d["hedge_spans"]] == d["hedges"]
        if art.language == "de":
            assert anns == []
    assert n_claims > 100
    # reruns do nothing
    assert Pipeline(("fingerprints", "republications", "claims")).run(store).done["claims"] == 0
    store.close()


def test_claims_stage_other_languages_are_skipped_with_a_reason() -> None:
    out = _stage()(_article("Das Ministerium sagte, dass 40 Drohnen gefunden wurden.", language="de"))
    assert isinstance(out, StageOutput) and out.annotations == ()
    assert out.data == {"skipped": "no model for language 'de'", "language": "de"}


def test_claims_stage_threshold_keeps_attributed_statements() -> None:
    text = ("Please enter your comment!\n\nThe weather was nice.\n\n"
            "Nobody knows, the ministry said.\n\nThe navy seized 3 ships off Kessport on 4 May 2025.")
    anns = _stage(threshold=0.99)(_article(text)).annotations
    claims = [a for a in anns if a.kind == "claim"]
    assert [a.data["source"] for a in claims] == ["the ministry"]
    all_claims = [a for a in _stage(threshold=0.5)(_article(text)).annotations if a.kind == "claim"]
    texts = [text[a.start:a.end] for a in all_claims]
    assert "The navy seized 3 ships off Kessport on 4 May 2025." in texts
    assert not any("Please enter" in t for t in texts)


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["one sentence", "no punctuation"])
def test_claims_stage_bad_input_takes_bounded_time(shape: str) -> None:
    words = ("the ministry said that officials in Kessport reported drones were found according to sources "
             "and the agency claimed ships").split()
    body = " ".join(words[i % len(words)] for i in range(20_000))
    text = body + "." if shape == "one sentence" else re.sub(r"(( \S+){150}) ", r"\1\n", body)
    art = _article(text)
    stage = _stage()
    stage(_article("Warm-up: the model loads once."))
    t0 = time.perf_counter()
    out = stage(art)
    elapsed = time.perf_counter() - t0
    assert elapsed < 60, f"{elapsed:.1f} s for 20,000 words"
    claims = [a for a in out.annotations if a.kind == "claim"]
    assert claims and all(a.end - a.start <= 1000 for a in claims)
    assert all(0 <= a.start < a.end <= len(art.text) for a in out.annotations)


def test_claims_stage_max_chars_cuts_long_articles_short() -> None:
    text = "\n\n".join(f"The navy said that {i} ships were seized off Kessport on 4 May." for i in range(200))
    out = _stage(max_chars=1000)(_article(text))
    assert out.data["truncated"] is True  # type: ignore[index]
    assert max(a.end for a in out.annotations) <= 1100


@pytest.mark.parametrize("config, message", [
    ({"threshold": 1.5}, "threshold"),
    ({"piece_chars": 10}, "piece_chars"),
    ({"aliases": "/no/such/file.tsv"}, "does not exist"),
])
def test_claims_stage_bad_config_is_refused_before_running(config: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _stage(**config)


def test_claims_stage_user_aliases_reach_the_annotations(tmp_path: Path) -> None:
    path = tmp_path / "aliases.tsv"
    path.write_text("Ministry of Coastal Security\tMCS|the coastal ministry\tORG\tgovernment\n", encoding="utf-8")
    anns = _stage(aliases=str(path))(_article("MCS said on Tuesday that 40 drones were found in Kessport.")).annotations
    entity = next(a for a in anns if a.kind == "entity" and a.start == 0)
    claim = next(a for a in anns if a.kind == "claim")
    assert entity.data["canonical"] == "Ministry of Coastal Security"
    assert entity.data["syntax"]["dep"] == "nsubj" and entity.data["syntax"]["gov"] == "say"
    assert (claim.data["source_canonical"], claim.data["source_kind"]) == ("Ministry of Coastal Security", "government")
    assert "Ministry of Coastal Security" in claim.data["entities"] and claim.data["numbers"] == ["40"]
    assert claim.data["dates"] == ["Tuesday"]
