"""The official measures of SemEval-2025 Task 10 subtask 1, from their published definitions.

* ``emr`` (exact match ratio, the ranking measure): share of mentions whose predicted set of
  fine roles equals the gold set;
* ``main_role_accuracy``: share of mentions with the right main role;
* ``fine.micro`` / ``fine.macro``: precision, recall and F1 over fine roles (micro: pooled over
  all role decisions; macro: mean over the roles present in gold or predictions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = ["framing_measures"]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def framing_measures(gold: Sequence[tuple[str, Sequence[str]]], predicted: Sequence[tuple[str, Sequence[str]]]
                     ) -> dict[str, Any]:
    """``gold`` and ``predicted``: ``(main_role, fine_roles)`` per mention, aligned."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold mentions but {len(predicted)} predictions")
    n = len(gold)
    exact = sum(set(g[1]) == set(p[1]) for g, p in zip(gold, predicted))
    main = sum(g[0] == p[0] for g, p in zip(gold, predicted))
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for (_, gf), (_, pf) in zip(gold, predicted):
        g, p = set(gf), set(pf)
        for role in g & p:
            tp[role] += 1
        for role in p - g:
            fp[role] += 1
        for role in g - p:
            fn[role] += 1
    roles = sorted(set(tp) | set(fp) | set(fn))
    per_role = {r: _prf(tp[r], fp[r], fn[r]) for r in roles}
    macro = {k: round(sum(v[k] for v in per_role.values()) / len(roles), 4) if roles else 0.0
             for k in ("precision", "recall", "f1")}
    return {"emr": round(exact / n, 4) if n else 0.0,
            "main_role_accuracy": round(main / n, 4) if n else 0.0,
            "fine": {"micro": _prf(sum(tp.values()), sum(fp.values()), sum(fn.values())), "macro": macro}}
