"""The official measures of SemEval-2020 Task 11, computed from their published definitions.

* **SI** (span identification): spans are sets of character positions. Overlapping gold spans
  of an article are merged, and so are overlapping predicted spans. For every pair of a
  predicted span ``s`` and a gold span ``t`` of the same article, ``|s∩t|/|s|`` is precision
  credit and ``|s∩t|/|t|`` recall credit; P is the precision credit over the number of predicted
  spans, R the recall credit over the number of gold spans, F1 their harmonic mean
  (Da San Martino et al., EMNLP 2019, section 4; SemEval 2020 task paper, section 3).
* **TC** (technique classification given the gold spans): one prediction per gold instance;
  where a span carries several techniques, predictions and gold labels of that span are
  aligned as well as possible (multiset intersection). Micro F1 = accuracy; per-class
  precision, recall and F1 are given as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["merge_spans", "si_scores", "tc_scores"]

Spans = Sequence[tuple[int, int]]


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping ``[start, end)`` spans merged, empty ones dropped, sorted."""
    out: list[list[int]] = []
    for s, e in sorted((int(s), int(e)) for s, e in spans if int(e) > int(s)):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def si_scores(predicted: Mapping[str, Spans], gold: Mapping[str, Spans]) -> dict[str, float | int]:
    """``{"precision", "recall", "f1", "predicted", "gold"}`` over the articles of ``gold``."""
    p_credit = r_credit = 0.0
    n_pred = n_gold = 0
    for doc, gold_spans in gold.items():
        g = merge_spans(gold_spans)
        p = merge_spans(predicted.get(doc, ()))
        n_gold += len(g)
        n_pred += len(p)
        for s in p:
            for t in g:
                inter = _overlap(s, t)
                if inter:
                    p_credit += inter / (s[1] - s[0])
                    r_credit += inter / (t[1] - t[0])
    precision = p_credit / n_pred if n_pred else 0.0
    recall = r_credit / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "predicted": n_pred, "gold": n_gold}


def tc_scores(pairs: Iterable[tuple[Sequence[str], Sequence[str]]], classes: Sequence[str] = ()
              ) -> dict[str, object]:
    """Micro F1 and per-class P/R/F1 from ``(predicted labels, gold labels)`` per distinct span.

    Each pair holds the labels of one distinct gold span (as many predictions as gold labels);
    the best alignment of the two multisets counts as correct.
    """
    tp: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    total = correct = 0
    for pred, gold in pairs:
        if len(pred) != len(gold):
            raise ValueError(f"{len(pred)} predictions for {len(gold)} gold labels of one span")
        hit = Counter(pred) & Counter(gold)
        tp.update(hit)
        n_pred.update(pred)
        n_gold.update(gold)
        correct += sum(hit.values())
        total += len(gold)
    per_class = {}
    for c in sorted(set(classes) | set(n_gold) | set(n_pred)):
        p = tp[c] / n_pred[c] if n_pred[c] else 0.0
        r = tp[c] / n_gold[c] if n_gold[c] else 0.0
        per_class[c] = {"precision": round(p, 4), "recall": round(r, 4),
                        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "gold": n_gold[c]}
    micro = correct / total if total else 0.0
    return {"micro_f1": round(micro, 4), "instances": total, "per_class": per_class}
