"""The reviews' tables: one row per review (append-only), and who is asked to review which item."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from narratrace.schema import Index, Migration, Table, col

if TYPE_CHECKING:
    from narratrace.store import Store
    from narratrace.store.reviews import ReviewItem

__all__ = ["MIGRATIONS", "Review", "add_review", "assign", "assignments", "latest_reviews", "review_log", "reviews"]

MIGRATIONS = (Migration("reviews_001", tables=(
    Table("reviews", (
        col("id", "rowid"), col("kind", null=False), col("item_key", null=False),
        col("article_id", null=False, references="articles(id)"), col("stage", null=False),
        col("stage_version", null=False), col("fingerprint", null=False), col("label"), col("item_start", "integer"),
        col("item_end", "integer"), col("item_text", null=False), col("verdict", null=False),
        col("correction", null=False, default="'{}'"), col("reviewer", null=False), col("created_at", null=False)),
        indexes=(Index("reviews_item", ("kind", "item_key")),)),
    Table("review_assignments", (
        col("kind", null=False), col("item_key", null=False), col("assignee", null=False), col("assigned_by"),
        col("created_at", null=False)), primary_key=("kind", "item_key")))),)
"""Reviews are never updated in place: a new review of an item is a new row, the latest one counts,
so two reviewers writing at once lose nothing."""

VERDICTS = ("confirm", "reject", "correct")


@dataclass(frozen=True, slots=True)
class Review:
    """One review of one item, as stored."""

    id: int
    kind: str
    item_key: str
    article_id: str
    stage: str
    stage_version: str
    fingerprint: str
    label: str | None
    start: int | None
    end: int | None
    text: str
    verdict: str
    reviewer: str
    created_at: str
    correction: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "key": self.item_key, "stage": self.stage,
                "stage_version": self.stage_version, "label": self.label, "start": self.start, "end": self.end,
                "text": self.text, "verdict": self.verdict, "correction": dict(self.correction),
                "reviewer": self.reviewer, "created_at": self.created_at}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def add_review(store: Store, item: ReviewItem, *, verdict: str, reviewer: str,
               correction: Mapping[str, Any] | None = None) -> int:
    """Store a review of ``item`` as it stands now; returns its id."""
    with store._transaction():
        cur = store.db.execute(
            "INSERT INTO reviews (kind, item_key, article_id, stage, stage_version, fingerprint, label, item_start, "
            "item_end, item_text, verdict, correction, reviewer, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (item.kind, item.key, item.article_id, item.stage, item.stage_version, item.fingerprint, item.label,
             item.start, item.end, item.text, verdict, json.dumps(dict(correction or {}), ensure_ascii=False),
             reviewer, _now()))
        return int(cur.fetchone()[0])


_COLUMNS = ("id, kind, item_key, article_id, stage, stage_version, fingerprint, label, item_start, item_end, "
            "item_text, verdict, reviewer, created_at, correction")


def reviews(store: Store, *, kind: str | None = None) -> Iterator[Review]:
    """Every review, oldest first."""
    sql = f"SELECT {_COLUMNS} FROM reviews"
    args: tuple[Any, ...] = ()
    if kind is not None:
        sql += " WHERE kind = ?"
        args = (kind,)
    for row in store.db.execute(sql + " ORDER BY id", args):
        yield Review(*row[:14], correction=json.loads(row[14] or "{}"))


def latest_reviews(store: Store) -> dict[tuple[str, str], Review]:
    """The latest review of each reviewed item, by ``(kind, key)``."""
    return {(r.kind, r.item_key): r for r in reviews(store)}


def assign(store: Store, kind: str, key: str, *, assignee: str, by: str | None = None) -> None:
    """Ask ``assignee`` to review an item (replaces an earlier assignment of it)."""
    with store._transaction():  # one statement: two reviewers assigning at once cannot collide on the key
        store.db.execute("INSERT INTO review_assignments VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, item_key) DO UPDATE "
                         "SET assignee = excluded.assignee, assigned_by = excluded.assigned_by, "
                         "created_at = excluded.created_at", (kind, key, assignee, by, _now()))


def assignments(store: Store) -> dict[tuple[str, str], tuple[str, str | None, str]]:
    """``(kind, key) -> (assignee, assigned_by, when)``."""
    return {(k, key): (who, by, when) for k, key, who, by, when in store.db.execute(
        "SELECT kind, item_key, assignee, assigned_by, created_at FROM review_assignments")}


def review_log(store: Store, *, reviewer: str | None = None, kind: str | None = None, limit: int = 100,
               offset: int = 0) -> tuple[list[Review], int]:
    """Who reviewed what and when: reviews newest first (one reviewer's, one kind's), and how many there are."""
    where, args = [], []
    if reviewer is not None:
        where.append("reviewer = ?")
        args.append(reviewer)
    if kind is not None:
        where.append("kind = ?")
        args.append(kind)
    cond = f" WHERE {' AND '.join(where)}" if where else ""
    total = int(store.db.execute(f"SELECT count(*) FROM reviews{cond}", tuple(args)).fetchone()[0])
    rows = store.db.execute(f"SELECT {_COLUMNS} FROM reviews{cond} ORDER BY id DESC LIMIT ? OFFSET ?",
                            (*args, limit, offset))
    return [Review(*row[:14], correction=json.loads(row[14] or "{}")) for row in rows], total
