"""Narratives: SemEval-2025 Task 10 subtask 2 (narratives and subnarratives of news articles).

Data format (the task's): a folder with the documents (``raw-documents/`` in the training
release, ``subtask-2-documents/`` in the dev release; ``<id>.txt``, title on line 1) and
``subtask-2-annotations.txt`` (``id<TAB>narratives<TAB>subnarratives``, each ``;``-joined;
``Other<TAB>Other`` for none). ``tests/data/narratives`` is a small sample written for narratrace.

Measures, as the organisers' scorer defines them: per document, the F1 of the binary indicator
vectors over the official class list (``Other`` and ``<narrative>: Other`` are classes; labels
outside the list are ignored; a document with nothing in common scores 0), averaged over
documents: ``f1_samples.narratives`` (F1@coarse) and ``f1_samples.subnarratives`` (F1@fine),
with their standard deviations. ``macro_f1.narratives`` is the unweighted mean over coarse classes
(present in gold or predictions) of each class's F1 over documents — a secondary measure.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.evaluation import Benchmark, PublishedFigure, Task, in_split
from narratrace.errors import ConfigError, InputError
from narratrace.model import Span

__all__ = ["Document", "evaluate_narratives", "read_semeval", "score", "train_fine_tuned", "train_narratives"]

ANNOTATIONS = "subtask-2-annotations.txt"
DOC_FOLDERS = ("raw-documents", "subtask-2-documents", "documents")


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    text: str
    sentences: tuple[Span, ...]
    narratives: tuple[str, ...]
    subnarratives: tuple[str, ...]


def read_semeval(path: str | Path, *, split: str = "all", limit: int | None = None) -> list[Document]:
    """Documents with their gold labels from a SemEval-2025 Task 10 language folder."""
    from narratrace.text import paragraph_spans, sentence_spans

    root = Path(path)
    ann = root / ANNOTATIONS
    if not ann.is_file():
        raise InputError(f"{root} has no {ANNOTATIONS}: not a SemEval-2025 Task 10 folder", path=str(root))
    folder = next((root / f for f in DOC_FOLDERS if (root / f).is_dir()), None)
    if folder is None:
        raise InputError(f"{root} has none of the document folders {', '.join(DOC_FOLDERS)}", path=str(root))
    docs = []
    for n, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) < 3:
            raise InputError(f"{ann}:{n}: expected 3 tab-separated columns, got {len(cols)}", path=str(ann))
        doc_id = cols[0].strip()
        if not in_split(doc_id, split):
            continue
        file = folder / doc_id
        if not file.is_file():
            raise InputError(f"{ann}:{n}: document {doc_id} is not in {folder}", path=str(ann))
        with open(file, encoding="utf-8", newline="") as fh:
            text = fh.read()
        paragraphs = paragraph_spans(text)
        docs.append(Document(doc_id, text, tuple(sentence_spans(text, paragraphs)),
                             tuple(x.strip() for x in cols[1].split(";") if x.strip()),
                             tuple(x.strip() for x in cols[2].split(";") if x.strip())))
        if limit is not None and len(docs) >= limit:
            break
    if not docs:
        raise InputError(f"{ann} has no documents in split {split!r}", path=str(ann))
    return docs


def _sample_f1(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> float:
    known = set(classes)
    g = {x for x in gold if x in known}
    p = {x for x in pred if x in known}
    tp = len(g & p)
    return 0.0 if tp == 0 else 2 * tp / (len(g) + len(p))


def score(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], classes: Sequence[str]) -> dict[str, float]:
    """Samples-F1 (mean and std over documents) and macro-F1 over classes, the scorer's way."""
    per_doc = np.array([_sample_f1(g, p, classes) for g, p in zip(gold, pred)]) if gold else np.zeros(1)
    f1s = []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, pred) if c in g and c in p)
        ng = sum(1 for g in gold if c in g)
        np_ = sum(1 for p in pred if c in p)
        if ng or np_:
            f1s.append(2 * tp / (ng + np_))
    return {"f1": round(float(per_doc.mean()), 4), "std": round(float(per_doc.std()), 4),
            "macro_f1": round(float(np.mean(f1s)) if f1s else 0.0, 4)}


def _cache_dir() -> Path | None:
    root = os.environ.get("NARRATRACE_CACHE")
    return Path(root) / "narratives" if root else None


def document_vectors(docs: Sequence[Document], *, max_sentences: int = 64) -> list[tuple[list[Span], np.ndarray]]:
    """Sentence spans and embeddings per document (cached under ``$NARRATRACE_CACHE/narratives``)."""
    from narratrace.narratives.classifier import document_units, embed

    from narratrace.vectors import active_encoder

    cache = _cache_dir()
    encoder_key = [] if active_encoder().name == "minilm" else [active_encoder().version]  # MiniLM: the old keys
    out: list[tuple[list[Span], np.ndarray] | None] = []
    todo: list[tuple[int, list[Span], Path | None]] = []
    for i, d in enumerate(docs):
        units = document_units(d.text, d.sentences, max_sentences=max_sentences)
        file = None
        if cache is not None:
            key = hashlib.sha256(json.dumps([d.text, [tuple(u) for u in units]] + encoder_key).encode()
                                 ).hexdigest()[:24]
            file = cache / f"{key}.npy"
            if file.is_file():
                out.append((units, np.load(file).astype(np.float32)))
                continue
        out.append(None)
        todo.append((i, units, file))
    texts = [docs[i].text[u.start:u.end] for i, units, _ in todo for u in units]
    vectors = embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)
    pos = 0
    for i, units, file in todo:
        v = vectors[pos:pos + len(units)]
        pos += len(units)
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            np.save(file, v.astype(np.float16))
        out[i] = (units, v)
    return [o for o in out if o is not None]


def evaluate_narratives(data: str | Path, *, model: str | None = None, split: str = "all",
                        limit: int | None = None, taxonomies: Sequence[str] | None = None,
                        **_: Any) -> dict[str, Any]:
    """``{"n", "measures": {"f1_samples": {...}, "macro_f1": {...}}, "model"}`` on a SemEval folder."""
    from narratrace.narratives.classifier import document_units, load_model, reads_text

    docs = read_semeval(data, split=split, limit=limit)
    clf = load_model(model, taxonomies=taxonomies)
    coarse, fine = clf.taxonomy.official_classes()
    if reads_text(clf):  # the fine-tuned model reads the text (chunks of sentences), not vectors
        preds = clf.predict_texts([(d.text, document_units(d.text, d.sentences)) for d in docs])  # type: ignore[attr-defined]
    else:
        preds = [clf.predict(v, units) for units, v in document_vectors(docs)]
    c = score([d.narratives for d in docs], [p.narratives for p in preds], coarse)
    f = score([d.subnarratives for d in docs], [p.subnarratives for p in preds], fine)
    return {"n": len(docs), "model": clf.name,
            "measures": {"f1_samples": {"narratives": c["f1"], "subnarratives": f["f1"]},
                         "f1_samples_std": {"narratives": c["std"], "subnarratives": f["std"]},
                         "macro_f1": {"narratives": c["macro_f1"], "subnarratives": f["macro_f1"]}}}


def _fit_heads(X: np.ndarray, docs: Sequence[Document], labels: Sequence[str], *, c: float,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One balanced logistic regression per label: ``(weights, biases)``."""
    return _fit_partial(X, [_full_targets(d, labels) for d in docs], labels, c=c, seed=seed)


def _full_targets(doc: Document, labels: Sequence[str]) -> dict[str, int]:
    return {lab: int(lab in doc.narratives or lab in doc.subnarratives) for lab in labels}


def _fit_partial(X: np.ndarray, targets: Sequence[dict[str, int]], labels: Sequence[str], *, c: float,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One balanced logistic regression per label over the documents whose answer for it is known
    (``targets[i][label]`` 1 or 0; a label missing from a document's targets is unknown there)."""
    from sklearn.linear_model import LogisticRegression

    W = np.zeros((len(labels), X.shape[1]), dtype=np.float32)
    b = np.full(len(labels), -6.0, dtype=np.float32)   # a label never seen stays off
    for i, lab in enumerate(labels):
        rows = [k for k, t in enumerate(targets) if lab in t]
        y = np.array([targets[k][lab] for k in rows], dtype=int)
        if y.sum() == 0 or y.sum() == len(y):
            continue
        lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed).fit(X[rows], y)
        W[i], b[i] = lr.coef_[0], lr.intercept_[0]
    return W, b


def reviewed_labels(db: str, taxonomy: Any) -> list[tuple[str, str, dict[str, int]]]:
    """A corpus's reviewed narrative labels, per article: ``(article id, text, {label: 1 or 0})``.

    A confirmed label is a positive (a subnarrative's narrative too), a corrected one a negative and
    the reviewer's label a positive (with its narrative); a rejected one a negative (a rejected
    narrative makes its subnarratives negatives too). Labels nobody reviewed are unknown, not
    negatives: only reviewed labels teach their heads. Later reviews win over earlier ones.
    """
    from narratrace.reviews.store import latest_reviews
    from narratrace.store import open_store

    parent = {lab.label: lab.parent for lab in taxonomy.labels}
    children: dict[str, list[str]] = {}
    for lab in taxonomy.labels:
        if lab.parent:
            children.setdefault(lab.parent, []).append(lab.label)
    targets: dict[str, dict[str, int]] = {}
    with open_store(db) as store:
        latest = sorted((r for (kind, _), r in latest_reviews(store).items() if kind == "narrative"),
                        key=lambda r: r.id)
        for review in latest:
            t = targets.setdefault(review.article_id, {})
            label = review.label or ""
            fix = review.correction if review.verdict == "correct" else {}
            if review.verdict == "confirm" and label in parent:
                t[label] = 1
                if parent[label]:
                    t[str(parent[label])] = 1
            elif review.verdict in ("reject", "correct") and label in parent:
                t[label] = 0
                if review.verdict == "reject":
                    for sub in children.get(label, []):
                        t[sub] = 0
            wanted = fix.get("label")
            if isinstance(wanted, str) and wanted in parent:
                t[wanted] = 1
                if parent[wanted]:
                    t[str(parent[wanted])] = 1
        return [(aid, store.article(aid).text, t) for aid, t in sorted(targets.items()) if t]


def _reviewed_documents(found: Sequence[tuple[str, str, dict[str, int]]]) -> list[Document]:
    from narratrace.text import paragraph_spans, sentence_spans

    return [Document(aid, text, tuple(sentence_spans(text, paragraph_spans(text))), (), ())
            for aid, text, _ in found]


def _reviewed_measures(X: np.ndarray, targets: Sequence[dict[str, int]], checks: dict[int, dict[str, int]],
                       labels: Sequence[str], *, c: float, seed: int, threshold: float, sub_threshold: float,
                       parent: dict[str, str | None], folds: int = 3) -> dict[str, Any]:
    """Each reviewed label (``checks``: document index -> its reviewed labels) predicted by heads fitted
    without its article (``folds`` folds of the reviewed articles; the other documents always in):
    agreement with the reviews."""
    fold_of = {k: int(hashlib.sha256(str(k).encode()).hexdigest(), 16) % folds for k in checks}
    column = {lab: i for i, lab in enumerate(labels)}
    tp = fp = fn = right = n = 0
    for f in range(folds):
        held = {k for k in checks if fold_of[k] == f}
        if not held:
            continue
        train = [k for k in range(len(targets)) if k not in held]
        W, b = _fit_partial(X[train], [targets[k] for k in train], labels, c=c, seed=seed)
        for k in sorted(held):
            probs = 1.0 / (1.0 + np.exp(-(W @ X[k] + b)))
            for lab, want in checks[k].items():
                if lab not in column:
                    continue
                said = int(probs[column[lab]] >= (sub_threshold if parent.get(lab) else threshold))
                n += 1
                right += int(said == want)
                tp += int(said and want)
                fp += int(said and not want)
                fn += int(want and not said)
    return {"labels": n, "accuracy": round(right / n, 4) if n else 0.0,
            "f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0}


#: At most this many articles of a corpus are labelled by the shipped default when a model learns
#: from that corpus's reviews alone (:func:`_default_labelled`).
WEAK_ARTICLES = 5000


def _default_labelled(db: str, taxonomy: Any, labels: Sequence[str], *, limit: int = WEAK_ARTICLES
                      ) -> list[tuple[Document, dict[str, int]]]:
    """The corpus's articles (the first ``limit``, in a language the encoder reads) with the labels the
    shipped default gives them, as complete targets: what the reviews then correct."""
    from narratrace.narratives.classifier import load_model
    from narratrace.store import open_store
    from narratrace.text import paragraph_spans, sentence_spans
    from narratrace.vectors import encoder_languages

    readable = encoder_languages()
    docs = []
    with open_store(db) as store:
        for a in store.articles():
            if a.text and (readable is None or a.language is None or a.language in readable):
                docs.append(Document(a.id, a.text, tuple(sentence_spans(a.text, paragraph_spans(a.text))), (), ()))
            if len(docs) >= limit:
                break
    teacher = load_model(None)
    out = []
    for d, (units, vectors) in zip(docs, document_vectors(docs)):
        said = teacher.predict(vectors, units)
        given = {*said.narratives, *(h.subnarrative for h in said.hits if h.subnarrative)}
        out.append((d, {lab: int(lab in given) for lab in labels}))
    return out


#: Decision thresholds tried by :func:`_cv_thresholds` (narratives, subnarratives).
THRESHOLDS = tuple(round(0.3 + 0.05 * k, 2) for k in range(13))
SUB_THRESHOLDS = (0.3, 0.4, 0.5, 0.6)


def _cv_thresholds(X: np.ndarray, docs: Sequence[Document], vectors: Sequence[tuple[Any, np.ndarray]],
                   labels: Sequence[str], taxonomy: Any, *, c: float, seed: int, folds: int = 3) -> tuple[float, float]:
    """The thresholds with the best mean of coarse and fine samples-F1 over ``folds`` folds of the
    training documents: the probabilities of a head depend on the encoder's features, so 0.725 for
    MiniLM (English) left e5 models predicting nothing."""
    from narratrace.narratives.classifier import LinearModel

    coarse, fine = taxonomy.official_classes()
    fold_of = [int(hashlib.sha256(d.id.encode()).hexdigest(), 16) % folds for d in docs]
    totals = {(t, u): 0.0 for t in THRESHOLDS for u in SUB_THRESHOLDS}
    for f in range(folds):
        train = [i for i, k in enumerate(fold_of) if k != f]
        held = [i for i, k in enumerate(fold_of) if k == f]
        if not train or not held:
            continue
        W, b = _fit_heads(X[train], [docs[i] for i in train], labels, c=c, seed=seed)
        for t, u in totals:
            clf = LinearModel(taxonomy, labels, W, b, threshold=t, sub_threshold=u, hierarchical=True)
            preds = [clf.predict(vectors[i][1], vectors[i][0]) for i in held]
            gold = [docs[i] for i in held]
            totals[(t, u)] += (score([d.narratives for d in gold], [p.narratives for p in preds], coarse)["f1"]
                               + score([d.subnarratives for d in gold], [p.subnarratives for p in preds], fine)["f1"])
    return max(totals, key=lambda k: (totals[k], -abs(k[0] - 0.725)))


def train_narratives(data: str | Path | None, out: str | Path, *, split: str = "train", seed: int = 13,
                     c: float = 1.0, threshold: float | None = None, sub_threshold: float | None = None,
                     fine_tune: bool = False, epochs: int | None = None, max_minutes: float | None = None,
                     on_epoch: Callable[[dict[str, Any]], None] | None = None, reviews: str | None = None,
                     default_only: bool = False, **_: Any) -> dict[str, Any]:
    """A :class:`~narratrace.narratives.classifier.LinearModel` trained on ``split``; card with held-out measures.
    ``fine_tune``: MiniLM fine-tuned on chunks of the articles instead (:func:`train_fine_tuned`).

    The model decodes hierarchically: narratives with probability at or above ``threshold`` (none:
    ``Other``), then their subnarratives at or above ``sub_threshold``. C 1 was chosen by 5-fold
    cross-validation on SemEval train/EN (docs/decisions.md); the thresholds, unless given, by
    3-fold cross-validation on the training documents themselves (they depend on the encoder).

    ``reviews`` (a corpus's store): its reviewed labels (:func:`reviewed_labels`) join the benchmark's
    documents as partial labels (a label nobody reviewed on an article is unknown there). Without
    ``data``, the corpus's articles (at most :data:`WEAK_ARTICLES`) are labelled by the shipped
    default and the reviews correct those labels (:func:`_default_labelled`): the model learns what
    the default says except where analysts said otherwise. Then the thresholds are 0.5 (balanced
    heads) unless given, and the card's measures are the reviewed labels predicted by heads fitted
    without their article (3 folds of the reviewed articles). ``default_only``: a store with no review
    yet trains too (the default's labels alone; the review simulation's starting point).
    """
    from narratrace.cards import data_sha256, write_card
    from narratrace.narratives.classifier import LinearModel, pooled
    from narratrace.narratives.taxonomy import load_taxonomies

    path, out = (Path(data) if data is not None else None), Path(out)
    if fine_tune:
        if path is None or reviews:
            raise ConfigError("narratives: fine-tuning learns from a benchmark (--data) only, not from reviews")
        return train_fine_tuned(path, out, split=split, seed=seed, epochs=epochs, max_minutes=max_minutes,
                                on_epoch=on_epoch)
    if path is None and not reviews:
        raise ConfigError("narratives: training needs --data, --from-reviews, or both")
    docs = read_semeval(path, split=split) if path is not None else []
    taxonomy = load_taxonomies()
    known = {lab.label for lab in taxonomy.labels}
    labels = [lab.label for lab in taxonomy.labels]
    found = reviewed_labels(reviews, taxonomy) if reviews else []
    if reviews and not found and not docs and not default_only:
        raise InputError(f"{reviews} has no reviewed narrative labels to learn from", path=str(reviews))
    by_id = {aid: t for aid, _, t in found}
    # reviews alone: the corpus's articles as the shipped default labels them, corrected by the reviews
    weak = (_default_labelled(str(reviews), taxonomy, labels)
            if reviews and path is None and (found or default_only) else [])
    weak_ids = {d.id for d, _ in weak}
    extra = [d for d in _reviewed_documents(found) if d.id not in weak_ids]  # reviewed, not default-labelled
    every = [*docs, *(d for d, _ in weak), *extra]
    targets = ([_full_targets(d, labels) for d in docs] + [{**t, **by_id.get(d.id, {})} for d, t in weak]
               + [by_id[d.id] for d in extra])
    checks = {k: by_id[d.id] for k, d in enumerate(every) if k >= len(docs) and d.id in by_id}
    vectors = document_vectors(every)
    X = np.stack([pooled(v) for _, v in vectors])
    if docs and (threshold is None or sub_threshold is None):
        cv_t, cv_u = _cv_thresholds(X[:len(docs)], docs, vectors[:len(docs)], labels, taxonomy, c=c, seed=seed)
        threshold = cv_t if threshold is None else threshold
        sub_threshold = cv_u if sub_threshold is None else sub_threshold
    threshold = 0.5 if threshold is None else threshold
    sub_threshold = 0.5 if sub_threshold is None else sub_threshold
    W, b = _fit_partial(X, targets, labels, c=c, seed=seed)
    ignored = sorted({x for d in docs for x in (*d.narratives, *d.subnarratives)} - known - {"Other"}
                     - {x for x in (x for d in docs for x in d.subnarratives) if x.endswith(": Other")})
    from narratrace.vectors import active_encoder, stored_name

    LinearModel(taxonomy, labels, W, b, threshold=threshold, sub_threshold=sub_threshold, hierarchical=True,
                name=out.name, encoder=stored_name(active_encoder())).save(out, taxonomies=["urw.json", "cc.json"], c=c, ignored_labels=ignored)
    heldout = "heldout" if split == "train" and path is not None else None
    measures: dict[str, Any] = {}
    write_card(out, task="narratives", name=out.name, kind="trained", data={})  # provisional: found as a model
    if heldout and path is not None:
        from narratrace.narratives import classifier as _c

        _c._load.cache_clear()
        try:
            result = evaluate_narratives(path, model=str(out), split=heldout)
            measures = {"data": str(path), "split": heldout, "n": result["n"], "values": result["measures"]}
        except InputError:
            measures = {}
    elif checks:
        parent = {lab.label: lab.parent for lab in taxonomy.labels}
        values = _reviewed_measures(X, targets, checks, labels, c=c, seed=seed, threshold=threshold,
                                    sub_threshold=sub_threshold, parent=parent)
        measures = {"data": str(reviews), "split": "reviewed labels, 3 folds of the reviewed articles",
                    "n": len(found), "values": {"reviewed": values}}
    described: dict[str, Any] = (
        {"path": str(path), "sha256": data_sha256(path), "licence": _licence(path), "split": split, "n": len(docs)}
        if path is not None else {"path": None, "licence": "the corpus's own reviews", "split": "none", "n": 0})
    if reviews:
        described["reviews"] = {"store": str(reviews), "articles": len(found),
                                "positives": sum(v for _, _, t in found for v in t.values()),
                                "negatives": sum(1 - v for _, _, t in found for v in t.values()),
                                "default_labelled": len(weak)}
    command = ("narratrace train narratives" + (f" --data {path}" if path is not None else "")
               + (f" --from-reviews {reviews}" if reviews else "") + f" --out {out} --split {split}")
    card = write_card(out, task="narratives", name=out.name, kind="trained", data=described,
                      measures=measures, seed=seed,
                      notes="One logistic regression per label on the mean MiniLM sentence embedding; "
                            "subnarratives only under predicted narratives."
                            + (" Reviewed labels correct the shipped default's labels of the corpus's articles."
                               if weak else " Reviewed labels are partial examples: only the labels reviewed on "
                               "an article teach their heads there." if reviews else ""),
                      extra={"command": command, "threshold": threshold, "sub_threshold": sub_threshold})
    from narratrace.narratives import classifier as _c

    _c._load.cache_clear()
    return card


#: Fine-tuning options for narratives (set before any held-out figure was seen): longer inputs than a
#: sentence (chunks of ~160 tokens), more epochs and a higher rate than check-worthiness since the
#: ~100 label outputs start from nothing and a few hundred documents make few steps per epoch.
FINE_TUNE = {"max_length": 192, "epochs": 8, "learning_rate": 8e-5, "batch_size": 16, "accumulate": 1,
             "patience": 2}


def _licence(path: Path) -> str:
    return ("research only (SemEval-2025 Task 10 data agreement)" if "semeval" in str(path.resolve()).lower()
            else "see the data's own README")


def train_fine_tuned(path: Path, out: Path, *, split: str = "train", seed: int = 13, epochs: int | None = None,
                     max_minutes: float | None = None, chunk_words: int | None = None,
                     on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """MiniLM fine-tuned on chunks of the ``split`` documents (each chunk carrying its document's
    labels); a tenth of the documents (:func:`~narratrace.finetune.dev_split`, by id) picks the
    epoch, the chunk pooling and the two thresholds. The card records the data's sha256, the base
    model and its version, the options, the history, the training minutes and the held-out measures
    (with articles per second) when trained on ``train``."""
    import time
    from dataclasses import asdict

    from narratrace.cards import data_sha256, write_card
    from narratrace.finetune import FineTuneOptions, base_version, dev_split, fine_tune
    from narratrace.narratives import classifier as _c
    from narratrace.narratives.classifier import document_units
    from narratrace.narratives.finetuned import CHUNK_WORDS, POOLINGS, FineTunedNarrativeModel, chunk_texts, chunks
    from narratrace.narratives.taxonomy import load_taxonomies

    docs = read_semeval(path, split=split)
    taxonomy = load_taxonomies()
    labels = [lab.label for lab in taxonomy.labels]
    index = {lab: i for i, lab in enumerate(labels)}
    words = int(chunk_words or CHUNK_WORDS)
    parts = dev_split([d.id for d in docs])
    groups = [chunks(d.text, document_units(d.text, d.sentences), chunk_words=words) for d in docs]
    texts = [chunk_texts(d.text, g) for d, g in zip(docs, groups)]
    y = np.zeros((len(docs), len(labels)), dtype=np.float32)
    for i, d in enumerate(docs):
        for lab in (*d.narratives, *d.subnarratives):
            if lab in index:
                y[i, index[lab]] = 1.0

    def rows(ids: Sequence[int]) -> tuple[list[str], np.ndarray]:
        xs = [t for i in ids for t in texts[i]]
        ys = np.asarray([y[i] for i in ids for _ in texts[i]], dtype=np.float32).reshape(len(xs), len(labels))
        return xs, ys

    options = FineTuneOptions(**{**FINE_TUNE, "seed": seed, "max_minutes": max_minutes,
                                 **({"epochs": epochs} if epochs else {})})
    train_x, train_y = rows(parts.train)
    dev_x, dev_y = rows(parts.dev)
    started = time.monotonic()
    classifier = fine_tune(train_x, train_y, labels, dev=(dev_x, dev_y), options=options, on_epoch=on_epoch)
    minutes = round((time.monotonic() - started) / 60, 2)
    model = FineTunedNarrativeModel(taxonomy, classifier, chunk_words=words, name=out.name)
    coarse, fine = taxonomy.official_classes()
    dev_docs = [docs[i] for i in parts.dev]
    dev_probs = model.chunk_probabilities([(d.text, [s for g in groups[i] for s in g])
                                           for i, d in zip(parts.dev, dev_docs)])
    totals: dict[tuple[str, float, float], float] = {}
    for how in POOLINGS:
        for t in THRESHOLDS:
            for u in SUB_THRESHOLDS:
                preds = [model.decode(g, p, threshold=t, sub_threshold=u, pooling=how) for g, p in dev_probs]
                totals[(how, t, u)] = (
                    score([d.narratives for d in dev_docs], [p.narratives for p in preds], coarse)["f1"]
                    + score([d.subnarratives for d in dev_docs], [p.subnarratives for p in preds], fine)["f1"])
    pooling, threshold, sub_threshold = max(totals, key=lambda k: (totals[k], k[0] == "max", -abs(k[1] - 0.5)))
    model.pooling, model.threshold, model.sub_threshold = pooling, threshold, sub_threshold
    known = set(labels)
    ignored = sorted({x for d in docs for x in (*d.narratives, *d.subnarratives)} - known - {"Other"}
                     - {x for d in docs for x in d.subnarratives if x.endswith(": Other")})
    out.mkdir(parents=True, exist_ok=True)
    model.save(out, taxonomies=["urw.json", "cc.json"], ignored_labels=ignored)
    card = {"task": "narratives", "name": out.name, "kind": "fine-tuned", "seed": seed,
            "data": {"path": str(path), "sha256": data_sha256(path), "licence": _licence(path), "split": split,
                     "n": len(docs), "train": len(parts.train), "dev": len(parts.dev), "chunks": len(train_x),
                     "dev_chunks": len(dev_x)},
            "notes": f"{base_version()} fine-tuned on chunks of about {words} words (each with its document's "
                     f"labels), {len(classifier.history)} epoch(s) in {minutes} min; document score = {pooling} "
                     f"of the chunks'; narratives at {threshold:.2f}, then their subnarratives at "
                     f"{sub_threshold:.2f} (best coarse + fine samples-F1 on the development tenth, "
                     f"{totals[(pooling, threshold, sub_threshold)] / 2:.3f}).",
            "extra": {"base": base_version(), "options": asdict(classifier.options), "history": classifier.history,
                      "training_minutes": minutes, "threshold": threshold, "sub_threshold": sub_threshold,
                      "pooling": pooling, "chunk_words": words, "languages": list(model.languages),
                      "command": f"narratrace train narratives --data {path} --out {out} --split {split} --fine-tune"}}
    write_card(out, **card)  # resolvable, so it can be scored on what it did not see
    _c._load.cache_clear()
    measures: dict[str, Any] = {}
    if split == "train":
        begun = time.monotonic()
        try:
            result = evaluate_narratives(path, model=str(out), split="heldout")
        except InputError:
            result = None
        seconds = time.monotonic() - begun
        if result is not None:
            measures = {"data": str(path), "split": "heldout", "n": result["n"], "values": result["measures"],
                        "articles_per_second": round(result["n"] / seconds, 2) if seconds > 0 else None}
    card = write_card(out, **card, measures=measures)
    _c._load.cache_clear()
    return card


def simulate_narratives(data: Path, **options: Any) -> Any:
    """The review simulation on SemEval folders (:mod:`narratrace.narratives.simulation`)."""
    from narratrace.narratives.simulation import make_simulation

    return make_simulation(data, **options)


TASK = Task(
    name="narratives",
    summary="narratives and subnarratives of articles (SemEval-2025 Task 10 subtask 2), with evidence sentences",
    data_format="SemEval-2025 Task 10 folder: raw-documents/ (or subtask-2-documents/) + subtask-2-annotations.txt",
    evaluate=evaluate_narratives,
    train=train_narratives,
    published=(PublishedFigure("f1_samples.narratives", "samples-F1 narratives (F1@coarse)", 0.55,
                               "COGNAC, SemEval-2025 (aclanthology 2025.semeval-1.190), test leaderboard"),
               PublishedFigure("f1_samples.subnarratives", "samples-F1 subnarratives (F1@fine)", 0.43,
                               "COGNAC, SemEval-2025 (aclanthology 2025.semeval-1.190), test leaderboard")),
    benchmark=Benchmark("SemEval-2025 Task 10 EN (train; scored on dev)", "semeval2025-task10/train/EN",
                        eval_split="all", train_split="all", eval_path="semeval2025-task10/dev/EN",
                        languages=("en", "bg", "hi", "pt", "ru")),
    stage="narratives",
    default_model="zero-shot-v1",
    fine_tunes=True,
    from_reviews=True,
    simulate=simulate_narratives,
)
