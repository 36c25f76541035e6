"""The JSON export: the stable contract other tools read (extend freely, never break).

``republications`` name articles by ``ref``; offsets index into each article's text
as stored (``articles[].chars`` long).
"""

from __future__ import annotations

from typing import Any

from .store import Store

__all__ = ["EXPORT_VERSION", "export_claim_groups", "export_claims", "export_corpus", "export_entities"]

EXPORT_VERSION = 1


def export_corpus(store: Store, *, include_text: bool = False) -> dict[str, Any]:
    """Everything narratrace knows about the corpus, as plain JSON-ready data."""
    index = store.article_index()
    ref = {row["id"]: row["ref"] for row in index}
    articles = []
    for row in index:
        item = {"id": row["id"], "ref": row["ref"], "title": row["title"], "outlet": row["outlet"],
                "published": row["published"], "published_how": row["published_how"],
                "language": row["language"], "chars": row["chars"], "url": row["url"], "author": row["author"]}
        articles.append(item)
    if include_text:
        texts = {a.id: a.text for a in store.articles()}
        for item in articles:
            item["text"] = texts[item["id"]]
    republications = []
    for pair in store.republication_pairs():
        d = pair.to_dict()
        d["original"], d["copy"] = ref[pair.original], ref[pair.copy]
        republications.append(d)
    groups = []
    for g in store.republication_groups():
        groups.append({"id": g.id, "original": ref[g.original], "members": [ref[m] for m in g.members],
                       "reason": g.reason})
    data: dict[str, Any] = {
        "narratrace_export": EXPORT_VERSION, "articles": articles, "republications": republications,
        "republication_groups": groups, "skipped": [s.to_dict() for s in store.skipped()]}
    data["claims"] = export_claims(store, ref)
    data["entities"] = export_entities(store, ref)
    data["claim_groups"] = export_claim_groups(store, ref)
    from .narratives.views import export_narratives, export_stories

    data["stories"] = export_stories(store, ref)
    data["narratives"] = export_narratives(store, ref)
    from .factchecks.export import export_factcheck_matches

    data["factcheck_matches"] = export_factcheck_matches(store)
    from .techniques.corpus import export_techniques

    data["techniques"] = export_techniques(store, ref)
    from .framing.views import export_framing

    data["framing"] = export_framing(store, ref)
    from .provenance import build_graph, graph_to_json

    data["provenance"] = graph_to_json(build_graph(store))
    return data


def export_claim_groups(store: Store, ref: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The same claim across articles (export contract: id, label, articles, claims, first_seen)."""
    ref = ref if ref is not None else {row["id"]: row["ref"] for row in store.article_index()}
    out = []
    for group in store.claim_groups():
        d = group.to_export()
        d["members"] = [{**m.to_dict(), "article": ref.get(m.article, m.article)} for m in group.members]
        out.append(d)
    return out


_CLAIM_FIELDS = ("score", "source", "source_canonical", "source_kind", "cue", "quote", "hedges", "carried")


def export_claims(store: Store, ref: dict[str, str] | None = None, *, article_id: str | None = None,
                  source: str | None = None) -> list[dict[str, Any]]:
    """Claims with their attribution (export contract), optionally of one article or one source."""
    ref = ref if ref is not None else {row["id"]: row["ref"] for row in store.article_index()}
    texts: dict[str, str] = {}
    wanted = source.casefold() if source else None
    out = []
    for aid, ann in store.annotations_of_kind("claim", article_id=article_id):
        d = ann.data
        if wanted and wanted not in {str(d.get("source") or "").casefold(),
                                     str(d.get("source_canonical") or "").casefold()}:
            continue
        if aid not in texts:
            texts = {aid: store.article(aid).text}
        item = {"id": d.get("id"), "article": ref.get(aid, aid), "start": ann.start, "end": ann.end,
                "text": texts[aid][ann.start:ann.end]}
        item.update({k: d.get(k) for k in _CLAIM_FIELDS})
        item["hedges"] = list(d.get("hedges") or [])
        item["quote"] = d.get("quote") or "none"
        out.append(item)
    return out


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
