"""What an analysis gives the web app: an ``APIRouter`` with its HTML pages and their JSON twins.

``Analysis.pages`` names ``make_pages(context: PageContext) -> fastapi.APIRouter``. The app includes
every registered analysis's router after its own routes, adds the analysis's ``templates/`` to its
template path, and shows ``context.nav`` links in every page's navigation. A page handler only
parses, calls the analysis's library code on ``context.store()`` and renders with ``context.page``;
every HTML page has its JSON twin under ``/api``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from narratrace.store import Store

__all__ = ["NavItem", "PageContext"]


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str


@dataclass(slots=True)
class PageContext:
    """Handed to each ``make_pages``: the corpus's reader and the app's page renderer."""

    store: Callable[[], Store]                       # the read-only store of this request's thread
    page: Callable[..., Any]                         # page(template, json_url=..., title=..., **context)
    nav: list[NavItem] = field(default_factory=list)  # appended to by make_pages
