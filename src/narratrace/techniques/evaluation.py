"""Persuasion techniques: SemEval-2020 Task 11's two official measures on PTC-format data.

* ``si``: span identification — the model's spans (any technique) against the gold spans,
  precision/recall/F1 with partial credit for partial overlap (:func:`~narratrace.techniques.scoring.si_scores`);
* ``tc``: technique classification given the gold spans — micro F1 over the instances, with
  per-class figures (:func:`~narratrace.techniques.scoring.tc_scores`).

Articles are assigned to ``train``/``heldout`` by a hash of their id (``in_split``), so a model
trained with ``--split train`` is scored with ``--split heldout`` on articles it never saw.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from narratrace.evaluation import Benchmark, PublishedFigure, Task
from narratrace.errors import ConfigError, InputError

__all__ = ["TASK", "evaluate_techniques", "evaluate_techniques_end_to_end", "predict_tc", "train_techniques"]


def predict_tc(model: Any, text: str, labels: Any) -> list[tuple[list[str], list[str]]]:
    """``(predicted, gold)`` label lists per distinct gold span: the model's best distinct labels."""
    by_span: dict[tuple[int, int], list[str]] = defaultdict(list)
    for lab in labels:
        by_span[(lab.start, lab.end)].append(lab.technique)
    spans = sorted(by_span)
    ranked = model.classify(text, spans) if spans else []
    return [([t for t, _ in ranking[:len(by_span[span])]], by_span[span]) for span, ranking in zip(spans, ranked)]


def evaluate_techniques(data: str | Path, *, model: str | None = None, split: str = "all",
                        limit: int | None = None, min_score: float | None = None, **_: Any) -> dict[str, Any]:
    """``{"n", "measures": {"si": {...}, "tc": {...}}, "model", "gold_spans", "instances"}``."""
    from narratrace.techniques import load_model
    from narratrace.techniques.ptc import read_ptc
    from narratrace.techniques.scoring import si_scores, tc_scores
    from narratrace.techniques.labels import TECHNIQUES

    tm = load_model(model)
    threshold = tm.min_score if min_score is None else float(min_score)
    predicted: dict[str, list[tuple[int, int]]] = {}
    gold: dict[str, list[tuple[int, int]]] = {}
    tc_pairs: list[tuple[list[str], list[str]]] = []
    n = dropped = 0
    for article in read_ptc(data, split=split, limit=limit):
        n += 1
        dropped += article.dropped
        gold[article.id] = list(article.si)
        predicted[article.id] = [(h.start, h.end) for h in tm.detect(article.text) if h.score >= threshold]
        tc_pairs += predict_tc(tm, article.text, article.labels)
    if n == 0:
        raise InputError(f"no PTC articles in split {split!r} of {data}", path=str(data))
    tc = tc_scores(tc_pairs, TECHNIQUES)
    return {"n": n, "model": tm.name,
            "measures": {"si": si_scores(predicted, gold),
                         "tc": {"micro_f1": tc["micro_f1"], "instances": tc["instances"],
                                "per_class": {k: v["f1"] for k, v in tc["per_class"].items()}}},
            "labels_without_2020_class": dropped}


def evaluate_techniques_end_to_end(data: str | Path, *, model: str | None = None, split: str = "all",
                                   limit: int | None = None, min_score: float | None = None, **_: Any
                                   ) -> dict[str, Any]:
    """The measures on what a user gets: each article's file text ingested as one document, analysed
    with the default stages (``--model`` for the techniques stage) and exported; the gold spans are
    found again in the ingested text (:class:`~narratrace.evaluation.SpanFinder`).

    * ``si``: the exported technique spans against the gold SI spans, as :func:`evaluate_techniques`
      scores them (a gold span not found in the text counts and matches nothing);
    * ``tc_exported``: each gold instance given the techniques of the exported spans that overlap its
      span most (as many as it has gold labels); a gold span no exported span overlaps gets none, so
      it is wrong. Not the gold-input ``tc`` (there the model is told where the spans are, so it
      is named apart): this is the share of the gold instances a reader of the export sees with the
      right technique on them.

    ``losses`` counts articles not ingested or not analysed, gold spans not found in the text, and
    gold spans no exported span overlaps (SI spans; TC instances).
    """
    from narratrace.evaluation import SpanFinder, analyze_texts
    from narratrace.techniques.labels import TECHNIQUES
    from narratrace.techniques.ptc import read_ptc
    from narratrace.techniques.scoring import si_scores, tc_scores

    articles = list(read_ptc(data, split=split, limit=limit))
    if not articles:
        raise InputError(f"no PTC articles in split {split!r} of {data}", path=str(data))
    stage = {k: v for k, v in (("model", model), ("min_score", min_score)) if v is not None}
    export = analyze_texts([(a.id, a.text) for a in articles], config={"techniques": stage} if stage else None,
                           include_text=True)
    exported = {a["ref"]: a for a in export["articles"]}
    hits: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for h in export["techniques"]:
        hits[h["article"]].append(h)
    losses = {"articles": len(articles), "not_ingested": 0, "not_analysed": 0, "gold_spans": 0,
              "spans_not_in_text": 0, "spans_without_hit": 0, "tc_instances": 0, "tc_instances_without_hit": 0}
    predicted: dict[str, list[tuple[int, int]]] = {}
    gold: dict[str, list[tuple[int, int]]] = {}
    tc_pairs: list[tuple[list[str], list[str]]] = []
    unmatchable = 0
    for article in articles:
        item = exported.get(article.id)
        losses["gold_spans"] += len(article.si)
        mine = hits.get(article.id, [])
        predicted[article.id] = [(h["start"], h["end"]) for h in mine]
        if item is None:
            losses["not_ingested"] += 1
        elif "techniques" in (item.get("not_analysed") or {}):
            losses["not_analysed"] += 1
        finder = SpanFinder(article.text, (item or {}).get("text") or "") if item is not None else None
        spans = []
        for start, end in article.si:
            span = finder.find(start, end) if finder is not None else None
            if span is None:
                losses["spans_not_in_text"] += int(item is not None)
                unmatchable += 2
                span = (-unmatchable, -unmatchable + 1)  # counted as gold, overlaps no exported span
            elif not any(h["start"] < span[1] and span[0] < h["end"] for h in mine):
                losses["spans_without_hit"] += 1
            spans.append(span)
        gold[article.id] = spans
        by_span: dict[tuple[int, int], list[str]] = defaultdict(list)
        for lab in article.labels:
            by_span[(lab.start, lab.end)].append(lab.technique)
        for (start, end), wanted in sorted(by_span.items()):
            losses["tc_instances"] += len(wanted)
            span = finder.find(start, end) if finder is not None else None
            ranked: list[str] = []
            if span is not None:
                overlapping = sorted(((min(span[1], h["end"]) - max(span[0], h["start"]), h["technique"]) for h in mine),
                                     reverse=True)
                for overlap, technique in overlapping:
                    if overlap > 0 and technique not in ranked:
                        ranked.append(technique)
            if not ranked:
                losses["tc_instances_without_hit"] += len(wanted)
            guess = ranked[:len(wanted)]
            tc_pairs.append((guess + [""] * (len(wanted) - len(guess)), wanted))
    tc = tc_scores(tc_pairs, TECHNIQUES)
    return {"n": len(articles), "model": model or TASK.default_model,
            "measures": {"si": si_scores(predicted, gold),
                         "tc_exported": {"micro_f1": tc["micro_f1"], "instances": tc["instances"]}},
            "tc_per_class": {k: v["f1"] for k, v in tc["per_class"].items() if k}, "losses": losses}


def train_techniques(data: str | Path | None, out: str | Path, *, split: str = "train", seed: int = 13,
                     fine_tune: bool = False, **options: Any) -> dict[str, Any]:
    """The frozen-feature tagger and classifier (:mod:`~narratrace.techniques.learned`, fast); with
    ``fine_tune``, MiniLM fine-tuned as a BIO token tagger (:mod:`~narratrace.techniques.finetuned`)."""
    if fine_tune:
        from narratrace.techniques.finetuned import train_fine_tuned

        if data is None or options.get("reviews"):
            raise ConfigError("techniques: --fine-tune learns from a PTC folder (--data) only, not from reviews")
        return train_fine_tuned(Path(data), Path(out), split=split, seed=seed, **options)
    from narratrace.techniques.learned import train_model

    return train_model(Path(data) if data is not None else None, Path(out), split=split, seed=seed, **options)


def simulate_techniques(data: Path, **options: Any) -> Any:
    """The review simulation on a PTC folder (:mod:`narratrace.techniques.simulation`)."""
    from narratrace.techniques.simulation import make_simulation

    return make_simulation(data, **options)


TASK = Task(
    name="techniques",
    summary="persuasion technique spans and classes (SemEval-2020 Task 11: SI span F1, TC micro-F1)",
    data_format="PTC folder: article<ID>.txt with <ID>\\t<technique>\\t<start>\\t<end> labels "
                "(*.task2-TC.labels; *.task1-SI.labels optional); SemEval-2023 labels are mapped",
    evaluate=evaluate_techniques,
    end_to_end=evaluate_techniques_end_to_end,
    train=train_techniques,
    from_reviews=True,
    fine_tunes=True,
    simulate=simulate_techniques,
    published=(PublishedFigure("si.f1", "span identification F1 (partial overlap)", 0.5155,
                               "Hitachi (Morio et al., SemEval 2020), PTC test set"),
               PublishedFigure("tc.micro_f1", "technique classification micro-F1 (gold spans)", 0.6207,
                               "ApplicaAI (Jurkiewicz et al., SemEval 2020), PTC test set")),
    benchmark=Benchmark("PTC (SemEval-2020 Task 11), train part, articles held out by hash",
                        "ptc-semeval2020-task11/datasets", eval_split="heldout"),
    stage="techniques",
    default_model="rules-v1",
)
