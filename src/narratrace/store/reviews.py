"""What analysts can review: each analysis declares its reviewable items, read here from the store.

An analysis lists :class:`ReviewKind` objects in its ``Analysis.reviews``; the ``reviews``
package (queue, review tables, pages, export) loops over them and never imports an analysis. A
reviewable item is one annotation of the analysis's ``annotation_kind`` (a technique span, a
narrative label, an entity's role, a claim's attribution), read with its article and the stage
version that produced it. Its ``key`` names it across re-analyses (the same span, label or entity
again); its ``fingerprint`` changes when the analysis's answer changes (not when only the stage
version does), so that a review of the old answer shows as *needs review again*.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["BenchmarkWriter", "ItemReader", "ReviewItem", "ReviewKind", "answer_fingerprint", "review_items",
           "unreviewed_items"]


@dataclass(frozen=True, slots=True)
class ReviewKind:
    """One kind of reviewable item, declared by the analysis that produces it."""

    name: str                           # "technique", "narrative", "role", "attribution"
    title: str
    annotation_kind: str                # annotations.kind that holds the items
    label_name: str = "label"           # what the label is to a reviewer ("technique", "main role")
    choices: tuple[str, ...] = ()       # the labels a correction may pick; () for any text
    label_in_key: bool = True           # several labels per span (techniques): the label is part of the key
    key_field: str | None = None        # a data field naming the item instead of its span (an entity)
    label_field: str | None = None      # a data field that is the item's label (a claim's source)
    answer_fields: tuple[str, ...] = ()  # data fields that are part of the answer (a claim's source and cue)
    score_field: str | None = "score"   # the model's score in the annotation's data
    threshold: float = 0.5              # the score at which the model is least sure
    spans_editable: bool = True         # a correction may move the span's edges
    items: str | None = None            # "module:function" reading the items (ItemReader); None: the annotations
    benchmark: str | None = None        # the benchmark format its reviews export to ("ptc", ...)
    benchmark_writer: str | None = None  # "module:function" writing that format (BenchmarkWriter)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One reviewable answer of an analysis, as it stands in the store now."""

    kind: str
    key: str
    article_id: str
    ref: str
    title: str | None
    outlet: str | None
    stage: str
    stage_version: str
    start: int
    end: int
    label: str | None
    text: str
    score: float | None
    answer: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""              # changes when the answer changes (label, span, answer fields)
    threshold: float = 0.5
    options: tuple[tuple[str, str], ...] = ()  # (value, title) a correction's label may pick; () the kind's choices

    @property
    def uncertainty(self) -> float:
        """Distance of the score from the kind's threshold (0: the model is unsure); no score counts as unsure."""
        return 0.0 if self.score is None else abs(self.score - self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "article": self.ref, "title": self.title, "outlet": self.outlet,
                "stage": self.stage, "stage_version": self.stage_version, "start": self.start, "end": self.end,
                "label": self.label, "text": self.text, "score": self.score, "answer": self.answer,
                "fingerprint": self.fingerprint, "options": [{"value": v, "title": t} for v, t in self.options]}


class ItemReader(Protocol):
    """An analysis's reader of its own reviewable items (:attr:`ReviewKind.items`): those of some
    articles (an item belongs to an article when either of its articles is one of them) or of one
    outlet, in a stable order, each key once."""

    def __call__(self, store: Store, kind: ReviewKind, *, article_ids: Sequence[str] | None,
                 outlet: str | None) -> Iterable[ReviewItem]: ...


class BenchmarkWriter(Protocol):
    """Writes the latest reviews of one kind into ``out`` in a benchmark's format
    (:attr:`ReviewKind.benchmark`). ``reviewed`` holds ``(review, item now or None, status)`` per
    reviewed item. Returns ``{"written": {...counts}, "skipped": [{"key", "reason"}...]}``: what the
    format cannot say (a label the reviews do not carry) is skipped with its reason, never invented."""

    def __call__(self, store: Store, reviewed: Sequence[tuple[Any, ReviewItem | None, str]],
                 out: Path) -> dict[str, Any]: ...


def answer_fingerprint(label: str | None, start: int, end: int, answer: Any) -> str:
    """What changes when an item's answer changes: its label, span and answer fields."""
    return hashlib.sha256(json.dumps((label, start, end, answer), sort_keys=True, default=str).encode()
                          ).hexdigest()[:16]


def load_part(ref: str) -> Any:
    """The object a ``"module:attribute"`` of a review kind names."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def review_items(store: Store, kind: ReviewKind, *, article_ids: Sequence[str] | None = None,
                 outlet: str | None = None) -> Iterator[ReviewItem]:
    """The items of ``kind`` in the store (in ingestion order), optionally of some articles or one outlet."""
    if kind.items is not None:
        if article_ids is not None and not list(article_ids):
            return
        reader: ItemReader = load_part(kind.items)
        yield from reader(store, kind, article_ids=list(article_ids) if article_ids is not None else None,
                          outlet=outlet)
        return
    sql = ('SELECT n.article_id, n.stage, n.start, n."end", n.label, n.data, a.ref, a.title, a.outlet, a.text, '
           "r.version FROM annotations n JOIN articles a ON a.id = n.article_id "
           "LEFT JOIN stage_results r ON r.article_id = n.article_id AND r.stage = n.stage WHERE n.kind = ?")
    args: list[Any] = [kind.annotation_kind]
    if outlet is not None:
        sql += " AND a.outlet = ?"
        args.append(outlet)
    if article_ids is not None:
        ids = list(article_ids)
        if not ids:
            return
        sql += f" AND n.article_id IN ({','.join('?' * len(ids))})"
        args += ids
    seen: set[str] = set()
    for aid, stage, start, end, label, data, ref, title, art_outlet, text, version in store.db.execute(
            sql + " ORDER BY a.rowid, n.start, n.rowid", tuple(args)):
        facts = json.loads(data) if data else {}
        named = str(facts.get(kind.key_field)) if kind.key_field and facts.get(kind.key_field) else None
        where = named if named is not None else f"{start}-{end}"
        key = f"{kind.name}:{aid}:{where}" + (f":{label}" if kind.label_in_key else "")
        if key in seen:  # one label with several evidence sentences is one item, shown at its first
            continue
        seen.add(key)
        if kind.label_field:
            label = facts.get(kind.label_field)
        answer = {f: facts.get(f) for f in kind.answer_fields}
        score = facts.get(kind.score_field) if kind.score_field else None
        score = float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None
        version = str(version or "")
        yield ReviewItem(kind.name, key, aid, ref, title, art_outlet, stage, version, int(start), int(end), label,
                         (text or "")[start:end], score, answer,
                         answer_fingerprint(label, start, end, answer), kind.threshold)


def unreviewed_items(store: Store, kind: ReviewKind, reviewed: Iterable[tuple[Any, Any, str]]
                     ) -> dict[str, list[ReviewItem]]:
    """Per article with a review of ``kind``: its items of that kind that have no review (a benchmark
    whose unlabelled text means "nothing here" can take only the articles where this is empty)."""
    keys = {r.item_key for r, _, _ in reviewed}
    ids = sorted({r.article_id for r, _, _ in reviewed})
    out: dict[str, list[ReviewItem]] = {aid: [] for aid in ids}
    for item in review_items(store, kind, article_ids=ids):
        if item.key not in keys:
            out[item.article_id].append(item)
    return out
