"""The review endpoints of the web app: the queue, reviews and assignments, behind the app's token.

Every endpoint needs ``Authorization: Bearer TOKEN`` (the token ``narratrace serve`` was started
with): a corpus's reviews are its team's work, and the queue shows what they have not seen yet.
A review writes only the review tables (:mod:`.store`), through the app's one write path.
"""

from __future__ import annotations

from typing import Any, Literal

from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from narratrace.errors import ConfigError, NotFound
from narratrace.web.pages import NavItem, PageContext, limit_q, offset_q
from narratrace.web.schemas import ErrorOut

__all__ = ["AssignIn", "AssignQueueIn", "ReviewIn", "make_pages"]

#: What every review endpoint may answer besides its result: no or a wrong token (401), no token
#: configured (403), no such item (404), a review the item refuses (400).
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "a review the item refuses (verdict, label, span)"},
    404: {"model": ErrorOut, "description": "no such item or kind (re-analysed since? reload the queue)"},
    401: {"model": ErrorOut, "description": "no token, or a wrong one (send Authorization: Bearer TOKEN)"},
    403: {"model": ErrorOut, "description": "the server was started without a token"},
    409: {"model": ErrorOut, "description": "another process is writing the corpus (NT320): nothing was saved, "
                                            "try again when it is done"}}


class ReviewIn(BaseModel):
    """One review: confirm or reject an item, or correct it (``correction``: label, span edges, source)."""

    kind: str = Field(max_length=40, description="technique, narrative, role, attribution, factcheck, republication "
                                                 "or claim_group (GET /api/reviews/kinds)")
    key: str = Field(max_length=2000, description="the item's key, as the queue gives it")
    verdict: Literal["confirm", "reject", "correct"]
    correction: dict[str, Any] = Field(default_factory=dict, description="label, start, end, or the kind's fields")
    reviewer: str = Field(min_length=1, max_length=200)

    model_config = ConfigDict(extra="forbid")


class AssignIn(BaseModel):
    """Ask a reviewer to review an item."""

    kind: str = Field(max_length=40)
    key: str = Field(max_length=2000)
    assignee: str = Field(min_length=1, max_length=200)
    assigned_by: str | None = Field(default=None, max_length=200)

    model_config = ConfigDict(extra="forbid")


class AssignQueueIn(BaseModel):
    """Ask a reviewer to review the first ``count`` items of the queue as filtered (least certain first)."""

    assignee: str = Field(min_length=1, max_length=200)
    count: int = Field(ge=1, le=500, description="how many of the queue's first items")
    kind: str | None = Field(default=None, max_length=40)
    outlet: str | None = Field(default=None, max_length=500)
    narrative: str | None = Field(default=None, max_length=500)
    unassigned_only: StrictBool = Field(default=True, description="skip items already assigned to someone")
    assigned_by: str | None = Field(default=None, max_length=200)

    model_config = ConfigDict(extra="forbid")


SCRIPT = Path(__file__).resolve().parent / "static" / "reviews.js"


def _kinds_data() -> list[dict[str, Any]]:
    from narratrace.reviews.queue import review_kinds

    return [{"name": k.name, "title": k.title, "label_name": k.label_name, "choices": list(k.choices),
             "spans_editable": k.spans_editable, "benchmark": k.benchmark} for k in sorted(review_kinds().values(), key=lambda k: k.title)]


def make_pages(context: PageContext) -> APIRouter:
    router = APIRouter()
    if context.authorize is None or context.write is None:
        raise ConfigError("the review endpoints need the app's write path (PageContext.authorize and .write)")
    authorize, write = context.authorize, context.write
    context.nav.append(NavItem("/reviews", "Review", order=800))

    @router.get("/reviews", response_class=HTMLResponse, include_in_schema=False)
    def reviews_page(request: Request) -> HTMLResponse:
        """The review queue (its data comes from /api/reviews/queue, with the token the reviewer types)."""
        kinds = _kinds_data()
        return context.page("reviews.html", json_url=None, title="Review", kinds=kinds, kinds_data=kinds)

    @router.get("/static/reviews/reviews.js", include_in_schema=False)
    def reviews_script() -> Response:
        return Response(SCRIPT.read_text(encoding="utf-8"), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/api/reviews/kinds", tags=["reviews"], responses=AUTH_ERRORS)
    def api_kinds(request: Request) -> dict[str, Any]:
        """What can be reviewed: each kind with its label's name and the labels a correction may pick."""
        authorize(request)
        return {"kinds": _kinds_data()}

    @router.get("/api/reviews/queue", tags=["reviews"], responses=AUTH_ERRORS)
    def api_queue(request: Request, kind: str | None = Query(None, max_length=40),
                  outlet: str | None = Query(None, max_length=500), narrative: str | None = Query(None, max_length=500),
                  assignee: str | None = Query(None, max_length=200), limit: int = limit_q(50)) -> dict[str, Any]:
        """Items to review, least certain first: never reviewed, or reviewed before the analysis's answer changed."""
        from narratrace.reviews.queue import queue

        authorize(request)
        entries = queue(context.store(), kind=kind, outlet=outlet, narrative=narrative, assignee=assignee,
                        limit=limit)
        return {"items": [e.to_dict() for e in entries]}

    @router.get("/api/reviews", tags=["reviews"], responses=AUTH_ERRORS)
    def api_reviews(request: Request) -> dict[str, Any]:
        """Every item's latest review with its status now (reviewed, needs review again, stale)."""
        from narratrace.reviews.export import export_section

        authorize(request)
        store = context.store()
        return export_section(store, store.refs())

    @router.post("/api/reviews", tags=["reviews"], responses=AUTH_ERRORS)
    def api_review(request: Request, body: ReviewIn) -> dict[str, Any]:
        """Store a review; the analysis's own result is not changed."""
        from narratrace.reviews.queue import check_review
        from narratrace.reviews.store import add_review

        authorize(request)

        def store_review(store: Any) -> int:
            item, correction = check_review(store, body.kind, body.key, body.verdict, body.correction)
            return add_review(store, item, verdict=body.verdict, reviewer=body.reviewer, correction=correction)

        return {"ok": True, "id": write(store_review)}

    @router.post("/api/reviews/assign", tags=["reviews"], responses=AUTH_ERRORS)
    def api_assign(request: Request, body: AssignIn) -> dict[str, Any]:
        """Ask a reviewer to review an item (replaces an earlier assignment of it)."""
        from narratrace.reviews.queue import find_item
        from narratrace.reviews.store import assign

        authorize(request)

        def store_assignment(store: Any) -> None:
            if find_item(store, body.kind, body.key) is None:
                raise NotFound(f"no {body.kind} item {body.key!r} in this corpus")
            assign(store, body.kind, body.key, assignee=body.assignee, by=body.assigned_by)

        write(store_assignment)
        return {"ok": True}

    @router.post("/api/reviews/assign-queue", tags=["reviews"], responses=AUTH_ERRORS)
    def api_assign_queue(request: Request, body: AssignQueueIn) -> dict[str, Any]:
        """Ask a reviewer to review the first ``count`` items of the filtered queue; answers their keys."""
        from narratrace.reviews.queue import assign_queue

        authorize(request)

        def store_assignments(store: Any) -> list[str]:
            return assign_queue(store, assignee=body.assignee, count=body.count, by=body.assigned_by, kind=body.kind,
                                outlet=body.outlet, narrative=body.narrative, unassigned_only=body.unassigned_only)

        return {"ok": True, "assigned": write(store_assignments)}

    @router.get("/api/reviews/log", tags=["reviews"], responses=AUTH_ERRORS)
    def api_log(request: Request, reviewer: str | None = Query(None, max_length=200),
                kind: str | None = Query(None, max_length=40), limit: int = limit_q(100),
                offset: int = offset_q) -> dict[str, Any]:
        """Who reviewed what and when: every review, newest first (also those a later review replaced),
        and who is assigned which item."""
        from narratrace.reviews.store import assignments, review_log

        authorize(request)
        store = context.store()
        ref = store.refs()
        rows, total = review_log(store, reviewer=reviewer, kind=kind, limit=limit, offset=offset)
        assigned = [{"kind": k, "key": key, "assignee": who, "assigned_by": by, "assigned_at": when}
                    for (k, key), (who, by, when) in sorted(assignments(store).items(), key=lambda x: x[1][2],
                                                            reverse=True)
                    if (kind is None or k == kind) and (reviewer is None or who == reviewer)][:limit]
        return {"total": total, "limit": limit, "offset": offset,
                "reviews": [{**r.to_dict(), "article": ref.get(r.article_id, r.article_id)} for r in rows],
                "assignments": assigned}

    return router
