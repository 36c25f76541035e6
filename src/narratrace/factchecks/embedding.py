"""Sentence embeddings for fact-check matching, with an optional disk cache.

The encoder is the run's (:func:`narratrace.vectors.active_encoder`), the one the claim vectors
come from, so claims and fact-checks share one space; nothing is downloaded. The cache (used by
the evaluation and the benchmark, never by the pipeline) keys a ``.npy`` file by the encoder's
version and the texts, so another encoder or a changed text set is embedded again.
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


def embed(texts: Sequence[str], *, batch_size: int = 64, workers: int = 1) -> np.ndarray:
    """Unit-length float32 vectors ``(len(texts), 384)``; an empty text gets a zero vector.

    ``workers``: processes to spread many texts over when the encoder is single-threaded
    (:func:`narratrace.vectors.encode_parallel`; the rows are the same)."""
    from narratrace.vectors import active_encoder, encode_parallel

    encoder = active_encoder()
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    keep = [i for i, t in enumerate(texts) if t and t.strip()]
    if keep and workers > 1:
        out[keep] = encode_parallel([texts[i] for i in keep], workers=workers, min_texts=1000)
    elif keep:
        out[keep] = encoder.encode([texts[i] for i in keep], batch_size=batch_size)
    return out


def embed_cached(texts: Sequence[str], cache: str | Path | None, *, label: str = "texts") -> np.ndarray:
    """:func:`embed`, read from / written to ``cache/<label>-<sha>.npy`` when ``cache`` is given."""
    if cache is None:
        return embed(texts)
    from narratrace.vectors import active_encoder

    h = hashlib.sha256(active_encoder().version.encode())
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
