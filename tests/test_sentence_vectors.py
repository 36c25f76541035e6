"""Embed once, parse once: the sentence_vectors stage, its readers, and the parse facts framing reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narratrace.errors import ConfigError
from narratrace.ingest import Record, build_article, ingest
from narratrace.model import Article
from narratrace.pipeline import Pipeline, registered_stages
from narratrace.store import Store
from narratrace.vectors import (SENTENCE_STAGE, SentenceVectors, active_encoder, embed_sentences, encoder_for,
                                load_sentence_vectors, pack_sentence_vectors, sentence_matrix, space_of,
                                unpack_sentence_vectors)

TEXT = ("The ministry said on Tuesday that 40 drones were found in Kessport.\n\n—\n\n"
        "NATO sends jihadists who threaten Europe. Officials denied the report.")


def _article(text: str = TEXT) -> Article:
    art = build_article(Record(ref="t", text=text, source="t.txt", kind="txt", language="en"))
    assert isinstance(art, Article)
    return art


def test_sentence_vectors_blob_round_trip_and_lookups() -> None:
    art = _article()
    v = embed_sentences(art.text, art.sentences)
    assert len(v) >= 3 and v.matrix.dtype == np.float16 and v.matrix.shape[1] == active_encoder().dim
    back = unpack_sentence_vectors(pack_sentence_vectors(v))
    assert back.spans == v.spans and back.model == v.model and np.array_equal(back.matrix, v.matrix)
    first = v.spans[0]
    assert v.row(first) == 0 and v.row((first.start, first.end + 1)) is None
    assert v.containing(first.start + 4, first.end - 1) == 0 and v.containing(first.start, v.spans[1].end) is None
    with pytest.raises(ValueError, match="not a format-1 NTSV blob"):
        unpack_sentence_vectors(b"NTCV\x01\x00\x00\x00" + b"\x00" * 8)


def test_sentence_vectors_rows_are_the_encoders_own_vectors() -> None:
    art = _article()
    v = embed_sentences(art.text, art.sentences)
    texts = [art.text[s.start:s.end].strip() for s in v.spans]
    direct = active_encoder().encode(texts)
    assert np.allclose(v.vectors(range(len(v))), direct, atol=2e-3)  # float16 storage


def test_sentence_matrix_reads_stored_rows_and_embeds_only_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    art = _article()
    stored = embed_sentences(art.text, art.sentences[:1])  # only the first sentence stored
    encoder = encoder_for(None)
    seen: list[str] = []
    real = type(encoder).encode
    monkeypatch.setattr(type(encoder), "encode", lambda self, texts, **kw: (seen.extend(texts), real(self, texts, **kw))[1])
    spans = list(stored.spans) + [art.sentences[-1]]
    (m,) = sentence_matrix([(art.text, spans, stored)])
    assert seen == [art.text[art.sentences[-1].start:art.sentences[-1].end].strip()]
    assert np.array_equal(m[0], stored.matrix[0].astype(np.float32))
    other = SentenceVectors(stored.spans, stored.matrix, "static-v1:0000000000000000")  # another encoder's rows
    seen.clear()
    sentence_matrix([(art.text, list(stored.spans), other)])
    assert len(seen) == 1  # not read: embedded again by the run's encoder


def test_minilm_and_its_int8_export_share_a_vector_space() -> None:
    assert space_of("minilm") == space_of("minilm-int8") == space_of("all-MiniLM-L6-v2")
    assert space_of(active_encoder().version) == space_of("minilm")
    assert space_of("static") != space_of("minilm")
    assert encoder_for("all-MiniLM-L6-v2").name == active_encoder().name  # served by the run's encoder


def test_a_stage_that_uses_sentence_vectors_must_run_after_them() -> None:
    assert "article.sentence_vectors" in registered_stages()["narratives"].uses
    with pytest.raises(ConfigError, match="run 'sentence_vectors' first"):
        Pipeline(["claims", "claim_vectors", "sentence_vectors"])
    Pipeline(["claims", "claim_vectors"])  # without the stage: the readers embed themselves


def test_readers_embed_nothing_again_after_sentence_vectors(tmp_path: Path, examples_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "e.db")
    ingest(store, [examples_dir])
    Pipeline(["fingerprints", "republications", SENTENCE_STAGE, "claims"]).run(store)
    stored = load_sentence_vectors(store, [a.id for a in store.articles()])
    english = [a.id for a in store.articles() if a.language == "en"]
    assert sorted(stored) == sorted(english) and len(english) < store.count_articles()  # the German one is not
    assert store.stage_coverage()[SENTENCE_STAGE] == (len(english), {"language de": 1})  # embedded, and says so
    encoder = active_encoder()
    texts = [a.text for a in store.articles()]
    seen: list[str] = []
    real = type(encoder).encode
    monkeypatch.setattr(type(encoder), "encode", lambda self, batch, **kw: (seen.extend(batch), real(self, batch, **kw))[1])
    Pipeline(["fingerprints", "republications", SENTENCE_STAGE, "claims", "narratives", "framing"]).run(store)
    from_articles = [t for t in seen if any(t in text for text in texts)]
    assert from_articles == [], from_articles  # narratives and framing read the stored rows (labels' own texts aside)
    seen.clear()
    Pipeline(["fingerprints", "republications", SENTENCE_STAGE, "claims", "claim_vectors"]).run(store)
    claims = sum(1 for a in store.articles() for x in store.annotations(a.id, stage="claims") if x.kind == "claim")
    assert 0 < len(seen) < claims  # only claims that are not their whole sentence are embedded


def test_narratives_are_the_same_with_and_without_stored_sentence_vectors(tmp_path: Path, seeds_dir: Path) -> None:
    def labels(stages: list[str], name: str) -> list[tuple[str, int, int, str | None]]:
        store = Store(tmp_path / name)
        ingest(store, [seeds_dir])
        Pipeline(stages).run(store)
        return sorted((a.ref, x.start, x.end, x.label) for a in store.articles()
                      for x in store.annotations(a.id, stage="narratives"))
    with_rows = labels([SENTENCE_STAGE, "narratives"], "a.db")
    assert with_rows and with_rows == labels(["narratives"], "b.db")


def test_claims_store_each_named_entitys_parse_and_framing_votes_from_it() -> None:
    from narratrace.framing.syntax import role_votes, vote

    info = registered_stages()["claims"]
    art = _article()
    anns = info.factory(**info.default_config)(art).annotations
    ents = {art.text[a.start:a.end]: a for a in anns if a.kind == "entity"}
    assert {"NATO", "Europe"} <= set(ents)
    nato, europe = ents["NATO"].data["syntax"], ents["Europe"].data["syntax"]
    assert (nato["dep"], nato["gov"]) == ("nsubj", "send") and vote(nato) == ("Antagonist", "subject of send")
    assert vote(europe) == ("Innocent", "object of threaten")
    sentence = next(s for s in art.sentences if "NATO" in art.text[s.start:s.end])
    raw = art.text[sentence.start:sentence.end]
    parsed = role_votes([(raw, raw.index("NATO"), raw.index("NATO") + 4),
                         (raw, raw.index("Europe"), raw.index("Europe") + 6)])
    assert parsed == [vote(nato), vote(europe)]  # the stored facts vote as a fresh parse does
    assert all("syntax" not in a.data for a in anns if a.kind == "entity" and a.label in ("DATE", "CARDINAL"))


def test_sentence_vectors_embed_only_the_configured_languages() -> None:
    info = registered_stages()[SENTENCE_STAGE]
    assert info.default_config["languages"] == ["*"]  # the encoder's languages (the pipeline narrows them)
    assert Pipeline([SENTENCE_STAGE]).languages[SENTENCE_STAGE] == ("en",)  # MiniLM: English
    assert Pipeline([SENTENCE_STAGE], encoder="e5-int8").languages[SENTENCE_STAGE] == ("*",)  # multilingual
    embed = info.factory(**{**info.default_config, "languages": ["en"]})
    german = build_article(Record(ref="de", text="Die Drohnen wurden in Kessport gefunden. Das Ministerium schweigt.",
                                  source="de.txt", kind="txt", language="de"))
    assert isinstance(german, Article)
    assert len(unpack_sentence_vectors(embed(german).data)) == 0  # type: ignore[arg-type]
    assert len(unpack_sentence_vectors(embed(_article()).data)) >= 3  # type: ignore[arg-type]
    everything = info.factory(**{**info.default_config, "languages": ["en", "de"]})
    assert len(unpack_sentence_vectors(everything(german).data)) == 2  # type: ignore[arg-type]
