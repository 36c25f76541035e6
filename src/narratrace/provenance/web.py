"""The provenance graph as JSON: ``/api/provenance`` (nodes and edges; the sources page counts them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from narratrace.web.pages import PageContext
from narratrace.web.schemas import Out

__all__ = ["ProvenanceOut", "make_pages"]


class ProvenanceOut(Out):
    ok: bool = True
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


def make_pages(context: PageContext) -> APIRouter:
    """``/api/provenance``, over the graph of the whole corpus (built once per change of the database)."""
    router = APIRouter()
    cache = context.cache()

    @router.get("/api/provenance", response_model=ProvenanceOut, tags=["claims"])
    def api_provenance() -> dict[str, Any]:
        """The provenance graph (who publishes, copies, cites and links to whom) as nodes and edges."""
        from narratrace.provenance.graph import build_graph, graph_to_json  # networkx, when first asked

        return {"ok": True, **graph_to_json(cache.get("graph", build_graph))}

    return router
