"""The report's entity framing section: roles per article (with evidence) and per outlet."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from narratrace.store import Store
from narratrace.framing.views import EntityRole, OutletRole, entity_roles, outlet_roles
from narratrace.sections import NavLink, Section, SectionContext

__all__ = ["ArticleRoles", "FramingSection", "build_framing_section"]

MAX_ARTICLES = 200
MAX_OUTLET_ROWS = 300


@dataclass(frozen=True, slots=True)
class ArticleRoles:
    article_id: str
    ref: str
    title: str | None
    outlet: str | None
    roles: tuple[EntityRole, ...]
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class FramingSection:
    articles: tuple[ArticleRoles, ...]
    articles_not_shown: int
    outlets: tuple[OutletRole, ...]
    outlets_not_shown: int
    roles: int
    model: str


def build_framing_section(store: Store) -> FramingSection | None:
    """The section's data, or None when the framing stage has not run (or gave no roles)."""
    roles = entity_roles(store)
    if not roles:
        return None
    by_article: dict[str, list[EntityRole]] = {}
    for r in roles:
        by_article.setdefault(r.article_id, []).append(r)
    articles = []
    for rs in list(by_article.values())[:MAX_ARTICLES]:
        rs.sort(key=lambda r: ({"Antagonist": 0, "Protagonist": 1, "Innocent": 2}.get(r.main_role, 3), -r.score))
        articles.append(ArticleRoles(rs[0].article_id, rs[0].ref, rs[0].title, rs[0].outlet, tuple(rs),
                                     dict(Counter(r.main_role for r in rs))))
    outlets = outlet_roles(roles)
    model = next((r for r in store.stage_data("framing")), None)
    name = ""
    if model is not None and model[1]:
        import json

        try:
            name = str(json.loads(model[1]).get("model") or "")
        except ValueError:
            name = ""
    return FramingSection(tuple(articles), max(0, len(by_article) - MAX_ARTICLES), tuple(outlets[:MAX_OUTLET_ROWS]),
                          max(0, len(outlets) - MAX_OUTLET_ROWS), len(roles), name)


def build_report_section(store: Store, context: SectionContext) -> Section | None:
    view = build_framing_section(store)
    return None if view is None else Section("framing", "report_framing.html", view,
                                             (NavLink("framing", f"Entity framing ({view.roles})"),))
