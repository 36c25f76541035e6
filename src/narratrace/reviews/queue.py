"""The review queue: every reviewable item with its review status, least certain first.

A review *needs review again* when the analysis's answer for its item changed since (another label,
span, source ...: the item's fingerprint differs), and is *stale* when the item is gone (the
analysis no longer finds it). The queue holds the items never reviewed and those needing review
again, ordered by the model's uncertainty (its score's distance from the kind's threshold), the
active-learning order: a reviewer's minute goes where the model is least sure.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from narratrace.analyses import registered_analyses, resolve
from narratrace.errors import InputError, NotFound
from narratrace.reviews.store import VERDICTS, Review, assign, assignments, latest_reviews
from narratrace.store.reviews import ReviewItem, ReviewKind, review_items

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["QueueEntry", "assign_queue", "check_review", "find_item", "queue", "review_kinds", "review_status", "reviewed_items"]


def review_kinds() -> dict[str, ReviewKind]:
    """Every kind of reviewable item the registered analyses declare, by name."""
    return dict(_kinds(tuple(a.name for a in registered_analyses())))


@functools.lru_cache(maxsize=4)
def _kinds(names: tuple[str, ...]) -> tuple[tuple[str, ReviewKind], ...]:
    found: dict[str, ReviewKind] = {}
    for analysis in registered_analyses():
        for ref in analysis.reviews:
            kind = resolve(ref)
            found[kind.name] = kind
    return tuple(found.items())


def _kind(name: str) -> ReviewKind:
    kinds = review_kinds()
    if name not in kinds:
        raise NotFound(f"unknown review kind {name!r}; known: {', '.join(sorted(kinds))}")
    return kinds[name]


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """An item, its status (``new``, ``needs review again``, ``reviewed``) and its latest review."""

    item: ReviewItem
    status: str
    review: Review | None = None
    assignee: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.item.to_dict(), "uncertainty": round(self.item.uncertainty, 4), "status": self.status,
                "review": self.review.to_dict() if self.review else None, "assignee": self.assignee}


def _status(item: ReviewItem, review: Review | None) -> str:
    if review is None:
        return "new"
    return "reviewed" if review.fingerprint == item.fingerprint else "needs review again"


def _articles_with_narrative(store: Store, narrative: str) -> list[str]:
    rows = store.db.execute("SELECT DISTINCT article_id, label, data FROM annotations WHERE kind = 'narrative'")
    return [aid for aid, label, data in rows if label == narrative or f'"narrative": "{narrative}"' in (data or "")]


def queue(store: Store, *, kind: str | None = None, outlet: str | None = None, narrative: str | None = None,
          assignee: str | None = None, include_reviewed: bool = False, limit: int | None = 50) -> list[QueueEntry]:
    """Items to review, least certain first (see the module docstring); filtered by kind, outlet,
    the articles carrying a narrative, or the reviewer they are assigned to."""
    kinds = [_kind(kind)] if kind else list(review_kinds().values())
    ids = _articles_with_narrative(store, narrative) if narrative else None
    latest = latest_reviews(store)
    assigned = assignments(store)
    entries = []
    for k in kinds:
        for item in review_items(store, k, article_ids=ids, outlet=outlet):
            review = latest.get((item.kind, item.key))
            status = _status(item, review)
            who = assigned.get((item.kind, item.key), (None,))[0]
            if (status == "reviewed" and not include_reviewed) or (assignee is not None and who != assignee):
                continue
            entries.append(QueueEntry(item, status, review, who))
    entries.sort(key=lambda e: (e.item.uncertainty, e.item.kind, e.item.key))
    return entries if limit is None else entries[:limit]


def find_item(store: Store, kind: str, key: str) -> ReviewItem | None:
    """The item ``key`` of ``kind`` as it stands now, or None."""
    spec = _kind(kind)
    parts = key.split(":", 2)
    if len(parts) < 3 or parts[0] != spec.name:
        return None
    return next((i for i in review_items(store, spec, article_ids=[parts[1]]) if i.key == key), None)


def check_review(store: Store, kind: str, key: str, verdict: str, correction: Mapping[str, Any] | None
                 ) -> tuple[ReviewItem, dict[str, Any]]:
    """The item and the cleaned correction, or an :class:`InputError` saying what is wrong."""
    spec = _kind(kind)
    item = find_item(store, kind, key)
    if item is None:
        raise NotFound(f"no {kind} item {key!r} in this corpus (re-analysed since? reload the queue)")
    if verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    correction = dict(correction or {})
    if verdict != "correct":
        if correction:
            raise InputError(f"a {verdict} takes no correction")
        return item, {}
    unknown = set(correction) - {"label", "start", "end", *spec.answer_fields}
    if unknown or not correction:
        raise InputError(f"a correction of a {kind} may set label, start, end"
                         + "".join(f", {f}" for f in spec.answer_fields) + f" (not {sorted(unknown) or 'nothing'})")
    label = correction.get("label")
    choices = tuple(v for v, _ in item.options) or spec.choices  # the item's own options (its candidates) first
    if label is not None and (not isinstance(label, str) or not label.strip()
                              or (choices and label not in choices)):
        raise InputError(f"{spec.label_name} must be one of {', '.join(choices)}" if choices
                         else f"{spec.label_name} must be a non-empty text")
    length = _article_length(store, item.article_id)
    for start_key, end_key in (("start", "end"), *_span_fields(spec.answer_fields)):
        if start_key in correction or end_key in correction:
            if start_key == "start" and not spec.spans_editable:
                raise InputError(f"the span of a {kind} cannot be moved; correct its {spec.label_name}")
            s, e = correction.get(start_key), correction.get(end_key)
            if s is None and e is None and start_key != "start":
                continue  # "no source": the claim is attributed to nobody
            if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= length):
                raise InputError(f"{start_key}/{end_key} must be offsets into the article (0..{length}), start < end")
    return item, correction


def _span_fields(fields: Iterable[str]) -> Sequence[tuple[str, str]]:
    fields = list(fields)
    return [(f, f[:-6] + "_end") for f in fields if f.endswith("_start") and f[:-6] + "_end" in fields]


def _article_length(store: Store, article_id: str) -> int:
    row = store.db.execute("SELECT length(text) FROM articles WHERE id = ?", (article_id,)).fetchone()
    return int(row[0] or 0) if row else 0


def review_status(store: Store) -> list[tuple[Review, str]]:
    """Every latest review with its status now: ``reviewed``, ``needs review again`` or ``stale`` (item gone)."""
    latest = latest_reviews(store)
    kinds = review_kinds()
    now: dict[tuple[str, str], ReviewItem] = {}
    for name in sorted({kind for kind, _ in latest} & set(kinds)):  # each kind's items read once, not per review
        ids = sorted({r.article_id for (kind, _), r in latest.items() if kind == name})
        now.update(((item.kind, item.key), item) for item in review_items(store, kinds[name], article_ids=ids))
    out = []
    for (kind, key), review in latest.items():
        item = now.get((kind, key))
        out.append((review, "stale" if item is None else _status(item, review)))
    return out


def reviewed_items(store: Store, kind: str) -> list[tuple[Review, ReviewItem | None, str]]:
    """The latest review of each reviewed item of ``kind``, with the item as it stands now (None when
    gone) and its status (:func:`review_status`), in key order."""
    spec = _kind(kind)
    latest = {key: r for (k, key), r in latest_reviews(store).items() if k == kind}
    ids = sorted({r.article_id for r in latest.values()})
    now = {item.key: item for item in review_items(store, spec, article_ids=ids)} if ids else {}
    return [(r, now.get(key), "stale" if key not in now else _status(now[key], r)) for key, r in sorted(latest.items())]


def assign_queue(store: Store, *, assignee: str, count: int, by: str | None = None, kind: str | None = None,
                 outlet: str | None = None, narrative: str | None = None, unassigned_only: bool = True) -> list[str]:
    """Assign the first ``count`` items of the filtered queue (least certain first; by default only
    those nobody is assigned yet) to ``assignee``; returns their keys."""
    if not assignee.strip():
        raise InputError("name the reviewer to assign the items to")
    entries = [e for e in queue(store, kind=kind, outlet=outlet, narrative=narrative, limit=None)
               if not (unassigned_only and e.assignee)][:count]
    for e in entries:
        assign(store, e.item.kind, e.item.key, assignee=assignee, by=by)
    return [e.item.key for e in entries]
