"""Rebuild ``src/narratrace/data/cosine_maps/SPACE.json`` (see ``narratrace.cosines``).

Every sentence of six words or more of the bundled example corpus (``examples/corpus``, read by
the project's own ingest and sentence splitter) is embedded with MiniLM (the reference space) and
with each mapped encoder; the cosines of every pair of sentences are ranked in both spaces and the
knots pair the two at the same quantiles (a dense grid, finer in the upper tail where thresholds
live). A second map, ``passage``, does the same for the normalised means of five consecutive
sentences of one article (what the stories' lead vectors are): means sit closer together than
sentences, so they need their own map. Deterministic: the same corpus and encoders give the same files.

    .venv/bin/python tools/build_cosine_maps.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from narratrace.cosines import MAP_SPACES
from narratrace.ingest import build_article, discover, read_file
from narratrace.model import Article, Skipped
from narratrace.vectors import load_encoder

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "examples" / "corpus"
OUT = ROOT / "src" / "narratrace" / "data" / "cosine_maps"
REFERENCE = "minilm-int8"
QUANTILES = np.concatenate([np.linspace(0.0, 0.9, 91), np.linspace(0.9, 0.99, 19)[1:],
                            np.linspace(0.99, 0.999, 10)[1:], [0.9995, 0.9999, 1.0]])


PASSAGE = 5  # sentences per passage, as narratives.stage.LEAD_SENTENCES
LEVELS = {"sentence": 1, "passage": PASSAGE}


def articles() -> list[list[str]]:
    """Each article's sentences of six words or more, duplicates across articles left out."""
    files, _ = discover([CORPUS])
    seen: set[str] = set()
    found: list[list[str]] = []
    for path in files:
        for record in read_file(path):
            article = None if isinstance(record, Skipped) else build_article(record)
            if not isinstance(article, Article):
                continue
            kept = []
            for span in article.sentences:
                text = " ".join(article.text[span.start:span.end].split())
                if len(text.split()) >= 6 and text not in seen:
                    seen.add(text)
                    kept.append(text)
            found.append(kept)
    return found


def pair_cosines(name: str, docs: list[list[str]], size: int) -> np.ndarray:
    """Cosines of every pair of units: single sentences (``size`` 1) or means of ``size`` consecutive ones."""
    encoder = load_encoder(name)
    units = []
    for sentences in docs:
        if not sentences:
            continue
        vectors = encoder.encode(sentences).astype(np.float64)
        for i in range(max(1, len(sentences) - size + 1)):
            mean = vectors[i:i + size].mean(0)
            units.append(mean / np.linalg.norm(mean))
    m = np.stack(units)
    return (m @ m.T)[np.triu_indices(len(m), 1)]


def knots(values: np.ndarray) -> list[float]:
    q = np.quantile(values, QUANTILES)
    return [round(float(v), 5) for v in [-1.0, *q[1:-1], 1.0]]


def main() -> None:
    docs = articles()
    n = sum(map(len, docs))
    digest = hashlib.sha256("\n\n".join("\n".join(d) for d in docs).encode("utf-8")).hexdigest()
    reference = {level: knots(pair_cosines(REFERENCE, docs, size)) for level, size in LEVELS.items()}
    OUT.mkdir(parents=True, exist_ok=True)
    for space in MAP_SPACES:
        data: dict[str, object] = {}
        for level, size in LEVELS.items():
            mapped = knots(pair_cosines(space, docs, size))
            data[level] = {"space": mapped, "reference": reference[level]}
            print(f"{space} {level}: cosine 0.5 (MiniLM) is {np.interp(0.5, reference[level], mapped):.3f} here")
        data.update({"quantiles": [round(float(q), 5) for q in QUANTILES], "reference_encoder": REFERENCE,
                     "encoder": space, "sentences": n, "passage_sentences": PASSAGE, "corpus": "examples/corpus",
                     "corpus_sha256": digest, "command": "python tools/build_cosine_maps.py"})
        (OUT / f"{space}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
