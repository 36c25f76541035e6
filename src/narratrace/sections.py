"""What an analysis shows in the HTML report: one :class:`Section`, drawn by the analysis's own template.

The report (:mod:`narratrace.report`) asks every registered analysis for its section
(``Analysis.section``: ``(store, context) -> Section | None``) and draws them in registry order:
``{% include s.template %}`` with ``s`` the section and ``r`` the report. Each analysis ships its
templates in ``<package>/templates/`` (autoescaped: article text is hostile). ``nav`` links
appear in the report's table of contents.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = ["NavLink", "Section", "SectionBuilder", "SectionContext", "template_dirs"]


@dataclass(frozen=True, slots=True)
class NavLink:
    anchor: str     # id of an element in the section's template
    label: str


@dataclass(frozen=True, slots=True)
class SectionContext:
    """What the report gives every section builder: how to show an article, and the report's limits."""

    row: Callable[[str], Any]        # article id -> narratrace.report.ArticleRow
    limits: Any                      # narratrace.report.Limits


@dataclass(frozen=True, slots=True)
class Section:
    name: str                        # the analysis's name
    template: str                    # a template file in one of :func:`template_dirs`
    view: Any                        # the plain data the template draws (a frozen dataclass)
    nav: tuple[NavLink, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        view = dataclasses.asdict(self.view) if dataclasses.is_dataclass(self.view) else self.view
        return {"name": self.name, "view": view, "nav": [dataclasses.asdict(n) for n in self.nav]}


class SectionBuilder(Protocol):
    def __call__(self, store: Any, context: SectionContext) -> Section | None: ...


def template_dirs() -> list[str]:
    """``templates/`` of every registered analysis package that has one, in registry order."""
    import importlib

    from narratrace.analyses import registered_analyses

    dirs = []
    for analysis in registered_analyses():
        module = (analysis.section or analysis.pages or "").partition(":")[0]
        if not module:
            continue
        package = importlib.import_module(module.rsplit(".", 1)[0] if "." in module else module)
        for base in getattr(package, "__path__", [Path(package.__file__ or "").parent]):
            if (Path(base) / "templates").is_dir() and str(Path(base) / "templates") not in dirs:
                dirs.append(str(Path(base) / "templates"))
    return dirs
