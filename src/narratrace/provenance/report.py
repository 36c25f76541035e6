"""The provenance analysis's report section: the spread graph over time (:mod:`.spread`).

The largest :data:`REPORT_COMPONENTS` components are embedded as JSON with the drawing code
inlined (``static/spread.js``), so the report stays one self-contained file; the page says how
many components it holds of how many.
"""

from __future__ import annotations

from markupsafe import Markup

from narratrace.provenance.spread import script_source, spread_view
from narratrace.sections import NavLink, Section, SectionContext
from narratrace.store import Store

__all__ = ["REPORT_COMPONENTS", "build_section", "inline_script"]

REPORT_COMPONENTS = 30
"""Components of the spread graph the report holds (the largest first)."""


def inline_script(name: str) -> Markup:
    """The drawing code to put inside the report's ``<script>`` (it holds no ``</script``)."""
    source = script_source()
    if "</script" in source.lower():  # would end the element early
        raise ValueError(f"{name}: the drawing code must not contain '</script'")
    return Markup(source)


def build_section(store: Store, context: SectionContext) -> Section | None:
    """The spread graph's section; None for an empty corpus."""
    view = spread_view(store, limit=REPORT_COMPONENTS)
    if not view.total:
        return None
    return Section("provenance", "report_spread.html", view, (NavLink("spread", "Spread over time"),),
                   filters={"provenance_script": inline_script})
