"""The republication pages: the groups, one group with a copy side by side, and their JSON twins.

``make_pages`` (``Analysis.pages``) serves ``/groups``, ``/groups/{id}`` and ``/api/republications``,
``/api/groups``, ``/api/groups/{id}``; the side-by-side view is the report's
(:func:`narratrace.republications.report.pair_view`). The pairs and groups of an article's page, the
overview and an outlet's page are the corpus's own (the store reads them: ``narratrace.web.views``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from narratrace.errors import NotFound
from narratrace.model import RepublicationGroup, RepublicationPair
from narratrace.republications import report as republications_report
from narratrace.republications.report import GroupView, PairView
from narratrace.sections import ArticleRow, Limits
from narratrace.store import Store, browse
from narratrace.web.pages import (GroupItem, NavItem, PageContext, Pager, article_json, article_row,
                                  group_items, group_json, limit_q, offset_q, pager, pair_json, refs_of, twin)
from narratrace.web.schemas import ArticleOut, GroupOut, Out, PageOut, RepublicationOut

__all__ = ["LIMITS", "GroupDetail", "GroupPage", "GroupPageView", "GroupsView", "RepublicationPage",
           "group_detail_json", "group_view", "groups_json", "groups_view", "make_pages", "pairs_json"]

LIMITS = Limits(members=100, side_chars=50_000)
"""Caps of a group page: copies listed, characters per side of the side-by-side view."""
_ID_RANGE = range(-(2 ** 63), 2 ** 63)  # what the databases store as an integer id


@dataclass(frozen=True, slots=True)
class GroupPageView:
    view: GroupView                  # members with their evidence (the report's view)
    size: int
    pair: PairView | None            # the selected copy side by side with what it copies
    selected: str | None             # ref of the copy shown side by side

    @property
    def layers(self) -> tuple[str, ...]:
        """The highlight kinds the side-by-side view has ("passage", "addition", "edit")."""
        segs = [seg for side in ((self.pair.left, self.pair.right) if self.pair else ()) if side
                for seg in side.segments]
        return tuple(k for k, present in (("passage", any(x.passage for x in segs)),
                                          ("addition", any(x.addition for x in segs)),
                                          ("edit", any(x.edit or any(m.kind == "edit-point" for m in x.markers)
                                                       for x in segs))) if present)


def _group_parts(store: Store, group_id: int) -> tuple[RepublicationGroup, list[str], list[RepublicationPair],
                                                       dict[str, dict[str, Any]]]:
    group = browse.group(store, group_id)
    copies = [m for m in dict.fromkeys(group.members) if m != group.original]
    shown = copies[:LIMITS.members]
    pairs = browse.pairs_of_copies(store, shown)
    rows = browse.article_rows(store, {group.original, *shown, *(p.original for p in pairs)})
    return group, copies, pairs, rows


def group_view(store: Store, group_id: int, *, copy_ref: str | None = None) -> GroupPageView:
    group, copies, pairs, rows = _group_parts(store, group_id)

    def row(article_id: str) -> ArticleRow:
        return article_row(rows, article_id)

    view = republications_report.group_view(group, pairs, row, {}, LIMITS)
    selected = view.members[0] if view.members else None
    if copy_ref is not None:
        selected = next((m for m in view.members if m.article.ref == copy_ref), None)
        if selected is None:
            raise NotFound(f"group {group_id} lists no copy {copy_ref!r}")
    side_by_side = None
    if selected is not None:
        candidates = [p for p in pairs if p.copy == selected.article.id]
        chosen = (next((p for p in candidates if p.original == group.original), None)
                  or next((p for p in candidates if p.original in group.members), None)
                  or (candidates[0] if candidates else None))
        if chosen is not None:
            texts = {a.id: a for a in store.articles([chosen.original, chosen.copy])}
            side_by_side = republications_report.pair_view(1, chosen, row, texts, LIMITS)
    return GroupPageView(view=view, size=len(copies) + 1, pair=side_by_side,
                         selected=selected.article.ref if selected else None)


def group_detail_json(store: Store, group_id: int) -> dict[str, Any]:
    group, copies, pairs, rows = _group_parts(store, group_id)
    refs = {i: r["ref"] for i, r in rows.items()}
    refs.update(refs_of(store, [m for m in group.members if m not in refs]))
    members = [group.original, *copies[:LIMITS.members]]
    return {"ok": True, "republication_group": group_json(group, refs),
            "articles": [article_json(rows[m]) for m in members if m in rows],
            "republications": [pair_json(p, refs) for p in pairs],
            "members_not_shown": max(0, len(copies) - LIMITS.members)}


@dataclass(frozen=True, slots=True)
class GroupsView:
    groups: tuple[GroupItem, ...]
    pager: Pager


def groups_view(store: Store, *, limit: int, offset: int) -> GroupsView:
    total, groups = browse.group_page(store, limit=limit, offset=offset)
    return GroupsView(group_items(store, groups),
                      pager("/groups", {}, limit=limit, offset=offset, shown=len(groups), total=total))


def groups_json(store: Store, *, limit: int, offset: int) -> dict[str, Any]:
    total, groups = browse.group_page(store, limit=limit, offset=offset)
    refs = refs_of(store, {i for g in groups for i in (g.original, *g.members)})
    return {"ok": True, "total": total, "limit": limit, "offset": offset,
            "republication_groups": [group_json(g, refs) for g in groups]}


def pairs_json(store: Store, *, limit: int, offset: int) -> dict[str, Any]:
    total, pairs = browse.pair_page(store, limit=limit, offset=offset)
    refs = refs_of(store, {i for p in pairs for i in (p.original, p.copy)})
    return {"ok": True, "total": total, "limit": limit, "offset": offset,
            "republications": [pair_json(p, refs) for p in pairs]}


# -- response models -----------------------------------------------------------------------------

class RepublicationPage(PageOut):
    republications: list[RepublicationOut]


class GroupPage(PageOut):
    republication_groups: list[GroupOut]


class GroupDetail(Out):
    ok: bool = True
    republication_group: GroupOut
    articles: list[ArticleOut]
    republications: list[RepublicationOut] = Field(description="the pairs whose copy is a member")
    members_not_shown: int


# -- the pages -------------------------------------------------------------------------------------

def make_pages(context: PageContext) -> APIRouter:
    """The republication pages and their JSON twins."""
    router = APIRouter()
    context.nav.append(NavItem("/groups", "Republication groups", order=10))

    @router.get("/groups", response_class=HTMLResponse, include_in_schema=False)
    def groups_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = groups_view(context.store(), limit=limit, offset=offset)
        return context.page("groups.html", json_url=twin(request, "/api/groups"), v=view, title="Republication groups")

    def group_id_q(group_id: int) -> int:
        if group_id not in _ID_RANGE:  # SQLite and PostgreSQL ids are 64-bit: no such group
            raise NotFound(f"no republication group {group_id}")
        return group_id

    @router.get("/groups/{group_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def group_page(group_id: int, copy: str | None = None) -> HTMLResponse:
        view = group_view(context.store(), group_id_q(group_id), copy_ref=copy or None)
        return context.page("group.html", json_url=f"/api/groups/{group_id}", v=view,
                            title=f"Republication group {group_id}")

    @router.get("/api/republications", response_model=RepublicationPage, tags=["republication"])
    def api_republications(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Republication pairs in detection order, with passages, additions and edits (offsets in the texts)."""
        return pairs_json(context.store(), limit=limit, offset=offset)

    @router.get("/api/groups", response_model=GroupPage, tags=["republication"])
    def api_groups(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Republication groups: the original, every member, why that one is the original."""
        return groups_json(context.store(), limit=limit, offset=offset)

    @router.get("/api/groups/{group_id}", response_model=GroupDetail, tags=["republication"])
    def api_group(group_id: int) -> dict[str, Any]:
        """One group with its articles and the pairs of its copies (the group page's data)."""
        return group_detail_json(context.store(), group_id_q(group_id))

    return router
