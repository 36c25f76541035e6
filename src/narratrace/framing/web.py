"""Entity framing on the web app's pages: the roles an article gives its entities, how an outlet casts them.

Framing has no page of its own: ``make_pages`` (``Analysis.pages``) adds a panel to each article's page
(its entities with their main and fine roles and the evidence sentence) and to each outlet's page (the
main role each entity gets most often across the outlet's articles), with their keys of those pages'
JSON. Read back by :mod:`narratrace.framing.views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from narratrace.framing.store import FRAMING_TABLE, framing_annotations_exist
from narratrace.framing.views import EntityRole, OutletRole, entity_roles, outlet_roles
from narratrace.model import Article
from narratrace.store import Store
from narratrace.web.pages import PageContext, Panel, TableItem

__all__ = ["OUTLET_ROLES_LIMIT", "OutletFraming", "article_framing", "article_framing_json", "make_pages",
           "outlet_framing", "outlet_framing_json", "outlet_panel_json"]

OUTLET_ROLES_LIMIT = 200
"""Outlet–entity rows on an outlet's page."""


def article_framing(store: Store, article: Article) -> tuple[EntityRole, ...]:
    """The role the article gives each entity it names."""
    return tuple(entity_roles(store, article=article.id))


def _role_json(r: EntityRole) -> dict[str, Any]:
    return {"entity": r.entity, "entity_label": r.entity_label, "main_role": r.main_role,
            "fine_roles": list(r.fine_roles), "score": r.score, "mention": {"start": r.mention_start,
                                                                              "end": r.mention_end},
            "evidence": {"start": r.evidence_start, "end": r.evidence_end, "text": r.evidence},
            "mentions": r.mentions, "mention_roles": [dict(m) for m in r.mention_roles]}


def article_framing_json(store: Store, article: Article) -> dict[str, Any]:
    """The framing key of an article's JSON."""
    return {"framing": [_role_json(r) for r in article_framing(store, article)]}


@dataclass(frozen=True, slots=True)
class OutletFraming:
    roles: tuple[OutletRole, ...]
    not_shown: int


def outlet_framing(store: Store, outlet: str, *, limit: int = OUTLET_ROLES_LIMIT) -> OutletFraming | None:
    """How the outlet casts each entity across its articles (None: no entity role in them)."""
    roles = outlet_roles(entity_roles(store, outlet=outlet))
    if not roles:
        return None
    return OutletFraming(tuple(roles[:limit]), max(0, len(roles) - limit))


def outlet_framing_json(f: OutletFraming | None) -> list[dict[str, Any]]:
    return [r.to_dict() for r in f.roles] if f else []


def outlet_panel_json(store: Store, outlet: str) -> dict[str, Any]:
    """The framing key of an outlet's JSON."""
    return {"framing": outlet_framing_json(outlet_framing(store, outlet))}


ARTICLE_FIELDS: dict[str, tuple[Any, Any]] = {
    "framing": (list[dict[str, Any]], Field(default_factory=list,
                                            description="entities with main and fine roles and evidence sentence")),
}
OUTLET_FIELDS: dict[str, tuple[Any, Any]] = {
    "framing": (list[dict[str, Any]], Field(default_factory=list,
                                            description="how it casts each entity (main role in N of M articles)")),
}


def make_pages(context: PageContext) -> APIRouter:
    """No page of its own: the framing panels of an article's and an outlet's pages, and the table of entity roles."""
    cache = context.cache()

    def any_roles(store: Store) -> bool:  # without framing results an outlet page need not scan every article
        return bool(cache.get("any", lambda s: bool(framing_annotations_exist(s))))

    def outlet_view(store: Store, outlet: str) -> OutletFraming | None:
        return outlet_framing(store, outlet) if any_roles(store) else None

    def outlet_json(store: Store, outlet: str) -> dict[str, Any]:
        return {"framing": outlet_framing_json(outlet_view(store, outlet))}

    context.article_panels.append(Panel(view=article_framing, template="article_framing.html",
                                        json=article_framing_json, fields=ARTICLE_FIELDS, kinds=("framing",),
                                        order=40))
    context.outlet_panels.append(Panel(view=outlet_view, template="outlet_framing.html", json=outlet_json,
                                       fields=OUTLET_FIELDS, order=40))
    context.tables.append(TableItem(FRAMING_TABLE, framing_annotations_exist, order=40))
    return APIRouter()
