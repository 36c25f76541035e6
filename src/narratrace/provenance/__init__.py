"""The provenance graph: outlets, articles, cited sources and URLs, and who copies and cites whom.

Built on demand from what the other analyses stored (:mod:`.graph`); it has no stage of its own.
:mod:`.spread` cuts it into components drawn over time (the report's "Spread over time" section,
:mod:`.report`, and the web's ``/provenance`` page, :mod:`.web`).
"""

from __future__ import annotations

from narratrace.analyses import Analysis

__all__ = ["ANALYSIS"]

ANALYSIS = Analysis(name="provenance", title="Provenance graph", export="narratrace.provenance.graph:export_section",
                    section="narratrace.provenance.report:build_section",
                    pages="narratrace.provenance.web:make_pages", commands=("narratrace.provenance.cli",))
