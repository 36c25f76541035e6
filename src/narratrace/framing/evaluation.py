"""Entity framing: main and fine roles of given entity mentions (SemEval-2025 Task 10 subtask 1).

Data: a folder in the task's format (``raw-documents/`` or ``subtask-1-documents/``, and
``subtask-1-annotations.txt``; see :mod:`narratrace.framing.data`). The gold mentions are given,
so the evaluation scores the classification of exactly those mentions with the task's measures
(:mod:`narratrace.framing.measures`): exact-match ratio of the fine-role sets (the official
ranking), main-role accuracy, fine-role micro and macro P/R/F1.

Training (``narratrace train framing --data DIR --out MODEL``) fits the logistic regressions of
:mod:`narratrace.framing.model` on the MiniLM features of the mentions of the chosen split (CPU,
seconds). The card's measures are on the held-out split when training on ``train``; with
``--split all`` they come from a 5-fold cross-validation by document, then the model is refit on
everything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.evaluation import Benchmark, PublishedFigure, Task
from narratrace.evaluation import nearest_occurrence as _nearest
from narratrace.errors import InputError
from narratrace.framing.data import FramingDocument, GoldMention, read_framing_data
from narratrace.framing.features import VECTOR_KINDS, MentionContext, contexts, featurize, sentences_of, vector_features
from narratrace.framing.measures import framing_measures
from narratrace.framing.model import DEFAULT_MODEL, TASK as TASK_NAME, load_framing_model, model_for_run, train_model
from narratrace.cards import data_sha256, write_card

__all__ = ["FEATURES", "evaluate_framing", "evaluate_framing_end_to_end", "reviewed_documents", "train_framing"]

#: What a trained model reads: its sentence's vector, the mean vector of it and its neighbours, the cue
#: words (the sentence vectors are the article's own, embedded once for every stage).
FEATURES: tuple[str, ...] = ("sentence_vector", "context", "cues")


def _mentions(docs: Sequence[FramingDocument]) -> tuple[list[MentionContext], list[str], list[tuple[str, ...]],
                                                         list[str], list[tuple[str, Any, list[MentionContext], None]]]:
    """The gold mentions' contexts, roles and documents, and ``(text, sentences, contexts, None)`` per document."""
    ctx: list[MentionContext] = []
    main: list[str] = []
    fine: list[tuple[str, ...]] = []
    doc_of: list[str] = []
    per_doc: list[tuple[str, Any, list[MentionContext], None]] = []
    for d in docs:
        sentences = sentences_of(d.text)
        found = contexts(d.text, [(m.start, m.end) for m in d.mentions], sentences)
        per_doc.append((d.text, sentences, found, None))
        ctx += found
        main += [m.main_role for m in d.mentions]
        fine += [m.fine_roles for m in d.mentions]
        doc_of += [d.id] * len(d.mentions)
    return ctx, main, fine, doc_of, per_doc


def evaluate_framing(data: Path, *, model: str | None = None, split: str = "all", limit: int | None = None,
                     **_: Any) -> dict[str, Any]:
    """``{"n": mentions, "documents", "measures", "model"}`` on the gold mentions of ``data``."""
    docs = list(read_framing_data(data, split=split, limit=limit))
    ctx, main, fine, _, per_doc = _mentions(docs)
    if not ctx:
        raise InputError(f"no labelled mentions in {data} (split {split})", path=str(data))
    loaded, path = load_framing_model(model_for_run(model))  # what `analyze` runs with this encoder
    predicted = loaded.predict(per_doc)
    measures = framing_measures(list(zip(main, fine)), [(p.main_role, p.fine_roles) for p in predicted])
    majority = max(set(main), key=main.count)
    return {"n": len(ctx), "documents": len(docs), "model": loaded.name, "model_path": str(path),
            "measures": measures, "majority_main_role": {"role": majority,
                                                         "accuracy": round(main.count(majority) / len(main), 4)}}


def evaluate_framing_end_to_end(data: Path, *, model: str | None = None, split: str = "all",
                                limit: int | None = None, **_: Any) -> dict[str, Any]:
    """The measures of :func:`evaluate_framing` on what a user gets: each document ingested and
    analysed with the default stages, each gold mention found again in the ingested text (by its
    string, nearest its offset) and given the role of the exported framing item one of whose
    mentions (``mention`` and ``mentions``: every mention of the entity) overlaps it most, or the
    role that exported mention carries itself (its own clause casts it otherwise; fine roles none,
    counted in ``losses["mention_role"]``). A gold mention no exported item covers counts as wrong (no role)."""
    from narratrace.evaluation import analyze_texts

    docs = list(read_framing_data(data, split=split, limit=limit))
    if not any(d.mentions for d in docs):
        raise InputError(f"no labelled mentions in {data} (split {split})", path=str(data))
    config = {"framing": {"model": model}} if model else {}
    export = analyze_texts([(d.id, d.text) for d in docs], config=config, include_text=True)
    texts = {a["ref"]: a.get("text") or "" for a in export["articles"]}
    items: dict[str, list[dict[str, Any]]] = {}
    for item in export["framing"]:
        items.setdefault(item["article"], []).append(item)
    gold: list[tuple[str, tuple[str, ...]]] = []
    predicted: list[tuple[str, tuple[str, ...]]] = []
    lost = {"mentions": 0, "document_not_ingested": 0, "mention_not_in_text": 0, "no_framing_item": 0, "covered": 0,
            "mention_role": 0}
    for d in docs:
        text = texts.get(d.id)
        for m in d.mentions:
            lost["mentions"] += 1
            gold.append((m.main_role, m.fine_roles))
            if text is None:
                lost["document_not_ingested"] += 1
                predicted.append(("", ()))
                continue
            guess = round(m.start * len(text) / max(len(d.text), 1))
            start = _nearest(text, m.text, guess)
            if start is None:
                lost["mention_not_in_text"] += 1
                predicted.append(("", ()))
                continue
            end = start + len(m.text)
            overlap = [(min(end, sp["end"]) - max(start, sp["start"]), n, sp, it)
                       for n, it in enumerate(items.get(d.id, ()))
                       for sp in (it["mention"], *(it.get("mentions") or ()))]
            overlap = [x for x in overlap if x[0] > 0]
            if not overlap:
                lost["no_framing_item"] += 1
                predicted.append(("", ()))
                continue
            _, _, span, best = max(overlap, key=lambda x: (x[0], -x[1], bool(x[2].get("main_role"))))
            lost["covered"] += 1
            if span.get("main_role"):  # the mention's own clause casts it otherwise (its fine roles: not given)
                lost["mention_role"] += 1
                predicted.append((str(span["main_role"]), ()))
            else:
                predicted.append((str(best["main_role"]), tuple(best.get("fine_roles") or ())))
    measures = framing_measures(gold, predicted)
    measures["coverage"] = round(lost["covered"] / lost["mentions"], 4) if lost["mentions"] else 0.0
    return {"n": len(gold), "documents": len(docs), "model": model_for_run(model), "measures": measures,
            "losses": lost}


def _licence(data: Path) -> str:
    for name in ("LICENCE", "LICENSE", "LICENCE.txt", "LICENSE.txt"):
        file = data / name
        if file.is_file():
            return file.read_text(encoding="utf-8").strip().splitlines()[0]
    if "semeval2025" in str(data.resolve()).lower():
        return "research-only (SemEval-2025 Task 10 data agreement; do not ship weights trained on it)"
    return "unknown: check the data's terms before shipping weights trained on it"


def reviewed_documents(db: str) -> list[FramingDocument]:
    """A corpus's reviewed entity roles as labelled documents: a confirmed role as the analysis gave
    it (with its fine roles), a corrected one with the reviewer's main role (fine roles unknown).
    A rejection says only that the role is wrong, not which is right: it is left out. Every mention
    of the entity in the article carries the role, as in the benchmark's data."""
    from narratrace.reviews.store import latest_reviews
    from narratrace.store import open_store

    wanted: dict[str, list[tuple[str, str, Any]]] = {}
    docs = []
    with open_store(db) as store:
        for (kind, key), review in sorted(latest_reviews(store).items()):
            role = review.label if review.verdict == "confirm" else review.correction.get("label")
            if kind != "role" or review.verdict == "reject" or not role:
                continue
            wanted.setdefault(review.article_id, []).append((key.split(":", 2)[2], str(role), review))
        for article_id, roles in sorted(wanted.items()):
            text = store.article(article_id).text
            framed = {a.data.get("entity"): a for a in store.annotations(article_id, stage="framing")
                      if a.kind == "framing"}
            mentions = []
            for entity, role, review in roles:
                ann = framed.get(entity)
                spans = [tuple(sp) for sp in ann.data.get("spans", ())] if ann is not None else []
                spans = spans or [(review.start, review.end)]
                fine = tuple(ann.data.get("fine_roles", ())) if (
                    ann is not None and review.verdict == "confirm" and ann.label == role) else ()
                mentions += [GoldMention(int(s), int(e), text[int(s):int(e)], role, fine) for s, e in spans]
            docs.append(FramingDocument(f"review:{article_id}", text, tuple(sorted(mentions, key=lambda m: m.start))))
    return docs


def train_framing(data: Path | None, out: Path, *, split: str = "train", seed: int = 13, reviews: str | None = None,
                  fine_tune: bool = False, epochs: int | None = None, max_minutes: float | None = None,
                  on_epoch: Callable[[dict[str, Any]], None] | None = None, **_: Any) -> dict[str, Any]:
    """Fit a framing model on ``data`` (its ``split`` part) and/or the reviewed roles of the corpus
    ``reviews`` into ``out``; returns the card. With reviews, the measures are on the reviewed items:
    a cross-validation by article in which each fold's reviewed articles are held out.
    ``fine_tune``: MiniLM fine-tuned as a mention-marked classifier instead
    (:func:`narratrace.framing.finetuned.train_fine_tuned`; ``data`` only)."""
    if fine_tune:
        from narratrace.framing.finetuned import train_fine_tuned

        if data is None or reviews:
            raise InputError("train framing --fine-tune learns from --data only (not --from-reviews)")
        return train_fine_tuned(list(read_framing_data(data, split=split)), out, data=data, split=split, seed=seed,
                                licence=_licence(data), epochs=epochs, max_minutes=max_minutes, on_epoch=on_epoch,
                                heldout=list(read_framing_data(data, split="heldout")) if split == "train" else ())
    docs = list(read_framing_data(data, split=split)) if data is not None else []
    reviewed = reviewed_documents(reviews) if reviews else []
    ctx, main, fine, doc_of, per_doc = _mentions(docs + reviewed)
    if len(ctx) < 10:
        raise InputError(f"{data or reviews} (split {split}) has {len(ctx)} labelled mentions; training needs at "
                         "least 10", path=str(data or reviews))
    vectors = vector_features(per_doc) if set(FEATURES) & set(VECTOR_KINDS) else None
    x = featurize(ctx, FEATURES, vectors=vectors)
    name = out.name
    measures: dict[str, Any]
    if reviewed:
        measures = _cross_validated(x, ctx, main, fine, doc_of, seed=seed, data=Path(str(reviews)),
                                    split="reviewed items", held=lambda d: d.startswith("review:"))
        model = train_model(x, main, fine, features=FEATURES, name=name, seed=seed)
    elif split == "train":
        held = list(read_framing_data(data, split="heldout"))  # type: ignore[arg-type]
        hctx, hmain, hfine, _, hdocs = _mentions(held)
        model = train_model(x, main, fine, features=FEATURES, name=name, seed=seed)
        values = framing_measures(list(zip(hmain, hfine)),
                                  [(p.main_role, p.fine_roles) for p in model.predict(hdocs)]) if hctx else {}
        measures = {"data": str(data), "split": "heldout", "n": len(hctx), "values": values}
    else:
        measures = _cross_validated(x, ctx, main, fine, doc_of, seed=seed, data=data, split=split)  # type: ignore[arg-type]
        model = train_model(x, main, fine, features=FEATURES, name=name, seed=seed)
    model.save(out)
    command = ("narratrace train framing" + (f" --data {data} --split {split}" if data is not None else "")
               + (f" --from-reviews {reviews}" if reviews else "") + f" --out {out} --seed {seed}")
    described: dict[str, Any] = {"split": split, "n": len(ctx), "documents": len(docs) + len(reviewed)}
    if data is not None:
        described.update({"path": str(data), "sha256": data_sha256(data), "licence": _licence(data)})
    if reviews:
        described["reviews"] = {"store": str(reviews), "articles": len(reviewed),
                                "mentions": sum(len(d.mentions) for d in reviewed)}
    return write_card(out, task=TASK_NAME, name=name, kind="trained", data=described,
                      measures=measures, seed=seed,
                      notes="Logistic regressions (main role; fine roles) over the sentence vectors of the mention's "
                            "sentence and of it with its two neighbours (the run's encoder, embedded once per "
                            "article), plus role cue words, blended with the parse's role votes.",
                      extra={"command": command, "features": list(FEATURES)})


def _cross_validated(x: np.ndarray, ctx: Sequence[MentionContext], main: Sequence[str], fine: Sequence[Sequence[str]], doc_of: Sequence[str], *,
                     seed: int, data: Path, split: str, folds: int = 5,
                     held: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """Measures of a cross-validation by document; ``held(doc)`` picks the documents that are ever held
    out and scored (the others are always trained on); every document when None."""
    docs = sorted({d for d in doc_of if held is None or held(d)})
    folds = max(1, min(folds, len(docs)))
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(len(docs)))
    fold_of = {docs[i]: k % folds for k, i in enumerate(order)}
    predicted: list[tuple[str, tuple[str, ...]] | None] = [None] * len(main)
    for k in range(folds):
        test = [i for i, d in enumerate(doc_of) if fold_of.get(d) == k]
        train = [i for i, d in enumerate(doc_of) if fold_of.get(d) != k]
        if not test or len({main[i] for i in train}) < 2:
            continue
        m = train_model(x[train], [main[i] for i in train], [fine[i] for i in train], features=FEATURES,
                        name="cv", seed=seed)
        main_p, fine_p = m.probabilities(x[test])
        main_p = m.blend(main_p, [ctx[i] for i in test])
        for i, mp, fp in zip(test, main_p, fine_p):
            p = m.decide(mp, fp)
            predicted[i] = (p.main_role, p.fine_roles)
    keep = [i for i, p in enumerate(predicted) if p is not None]
    values = framing_measures([(main[i], tuple(fine[i])) for i in keep], [predicted[i] for i in keep])  # type: ignore[misc]
    return {"data": str(data), "split": f"{split}, {folds}-fold cross-validation by document", "n": len(keep),
            "values": values}


TASK = Task(
    name="framing",
    summary="entity framing: main role (protagonist/antagonist/innocent) and fine roles of entity mentions",
    data_format="SemEval-2025 Task 10 subtask-1 folder: raw-documents/ (or subtask-1-documents/) and "
                "subtask-1-annotations.txt (file_id, mention, start, end inclusive, main_role, fine_role…)",
    evaluate=evaluate_framing,
    end_to_end=evaluate_framing_end_to_end,
    train=train_framing,
    from_reviews=True,
    published=(PublishedFigure("main_role_accuracy", "main-role accuracy", 0.9362,
                               "gowithnlp, SemEval-2025 Task 10 ST1 English test (2nd on that measure)"),
               PublishedFigure("emr", "exact match ratio (fine roles)", None,
                               "top English EMR not found; Fane (2025.semeval-1.251) 0.345, zero-shot")),
    benchmark=Benchmark("SemEval-2025 Task 10 ST1 English: train → dev", "semeval2025-task10/train/EN",
                        eval_split="all", train_split="all", eval_path="semeval2025-task10/dev/EN",
                        languages=("en", "bg", "hi", "pt", "ru")),
    stage="framing",
    default_model=DEFAULT_MODEL,
    fine_tunes=True,
)
