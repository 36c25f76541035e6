"""The claims' part of the JSON export: claims with attribution, entities, claim groups."""

from __future__ import annotations

from typing import Any

from narratrace.claims.store import claim_groups
from narratrace.store import Store

__all__ = ["claims_page", "export_claim_groups", "export_claims", "export_entities", "export_section"]


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    return {"claims": export_claims(store, ref), "entities": export_entities(store, ref),
            "claim_groups": export_claim_groups(store, ref)}


def export_claim_groups(store: Store, ref: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The same claim across articles (export contract: id, label, articles, claims, first_seen)."""
    ref = ref if ref is not None else {row["id"]: row["ref"] for row in store.article_index()}
    out = []
    for group in claim_groups(store):
        d = group.to_export()
        d["members"] = [{**m.to_dict(), "article": ref.get(m.article, m.article)} for m in group.members]
        out.append(d)
    return out


#: ``source_start/end`` and ``cue_start/end`` index into the article's text, as the claim's own span does
_CLAIM_FIELDS = ("score", "source", "source_canonical", "source_kind", "source_start", "source_end", "cue",
                 "cue_start", "cue_end", "quote", "hedges", "carried")


def export_claims(store: Store, ref: dict[str, str] | None = None, *, article_id: str | None = None,
                  source: str | None = None) -> list[dict[str, Any]]:
    """Claims with their attribution (export contract), optionally of one article or one source."""
    return claims_page(store, ref, article_id=article_id, source=source)[1]


def claims_page(store: Store, ref: dict[str, str] | None = None, *, article_id: str | None = None,
                source: str | None = None, limit: int | None = None, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """``(total, claims[offset:offset + limit])`` of :func:`export_claims`: every claim is counted, but
    only the page's claims read their article's text (the cost of a page of a large corpus)."""
    ref = ref if ref is not None else {row["id"]: row["ref"] for row in store.article_index()}
    texts: dict[str, str] = {}
    wanted = source.casefold() if source else None
    end = None if limit is None else offset + max(0, int(limit))
    total, out = 0, []
    for aid, ann in store.annotations_of_kind("claim", article_id=article_id):
        d = ann.data
        if wanted and wanted not in {str(d.get("source") or "").casefold(),
                                     str(d.get("source_canonical") or "").casefold()}:
            continue
        total += 1
        if total <= offset or (end is not None and total > end):
            continue
        if aid not in texts:
            texts = {aid: store.article(aid).text}
        item = {"id": d.get("id"), "article": ref.get(aid, aid), "start": ann.start, "end": ann.end,
                "text": texts[aid][ann.start:ann.end]}
        item.update({k: d.get(k) for k in _CLAIM_FIELDS})
        item["hedges"] = list(d.get("hedges") or [])
        item["quote"] = d.get("quote") or "none"
        out.append(item)
    return total, out


def export_entities(store: Store, ref: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Entities by canonical form, with every mention (export contract)."""
    ref = ref if ref is not None else {row["id"]: row["ref"] for row in store.article_index()}
    texts: dict[str, str] = {}
    by_canonical: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for aid, ann in store.annotations_of_kind("entity"):
        if aid not in texts:
            texts = {aid: store.article(aid).text}
        canonical = str(ann.data.get("canonical") or texts[aid][ann.start:ann.end])
        by_canonical.setdefault((canonical, ann.label or ""), []).append(
            {"article": ref.get(aid, aid), "start": ann.start, "end": ann.end,
             "text": texts[aid][ann.start:ann.end]})
    return [{"canonical": c, "kind": k, "mentions": m} for (c, k), m in sorted(by_canonical.items())]
