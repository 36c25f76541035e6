"""The claims' part of the JSON export: claims with attribution, entities, claim groups."""

from __future__ import annotations

from collections import Counter
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
    """Entities by canonical form and kind, with every mention (export contract).

    spaCy's small model labels one name differently from sentence to sentence ("Marrenland" GPE in one
    sentence, ORG in the next), which listed one country as two entities. A mention's kind is the label its
    article gives the name most often (one sense per article, as the attribution reads it; on a tie the
    mention keeps its own), and a mention the tagger labelled otherwise than its entry says so in ``tagged``. Across articles, a name's
    place and organisation labels are one entity under the corpus's most frequent one ("Marrenland" ORG in
    most articles, GPE in a few); a person of the same name stays apart ("Jordan"). A name in capitals
    ("LINDHOLT", a headline) is listed under its usual spelling."""
    ref = ref if ref is not None else {row["id"]: row["ref"] for row in store.article_index()}
    by_article: dict[str, list[tuple[str, str, int, int]]] = {}
    for aid, ann in store.annotations_of_kind("entity"):
        by_article.setdefault(aid, []).append(
            (str(ann.data.get("canonical") or ""), ann.label or "", ann.start, ann.end))
    spellings: dict[str, Counter[str]] = {}
    entries: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for aid, anns in by_article.items():
        text = store.article(aid).text
        named = [(c or text[s:e], label, s, e) for c, label, s, e in anns]
        counts = Counter((c.casefold(), label) for c, label, _, _ in named)
        best: dict[str, tuple[int, str]] = {}  # per name: its most frequent label in this article
        for (key, label), n in counts.items():
            best[key] = max(best.get(key, (0, "")), (n, label))
        for canonical, label, start, end in named:
            key = canonical.casefold()
            kind = best[key][1] if best[key][0] > counts[key, label] else label
            spellings.setdefault(key, Counter())[canonical] += 1
            mention = {"article": ref.get(aid, aid), "start": start, "end": end, "text": text[start:end],
                       "tagged": label}
            entries.setdefault((key, kind), []).append(mention)
    merged: dict[tuple[str, str], list[tuple[str, list[dict[str, Any]]]]] = {}
    for (key, kind), mentions in entries.items():
        merged.setdefault((key, _FAMILY.get(kind, kind)), []).append((kind, mentions))
    out = []
    for (key, _), kinds in merged.items():
        kind = max(kinds, key=lambda km: (len(km[1]), km[0]))[0]
        mentions = [m for _, ms in kinds for m in ms]
        mentions.sort(key=lambda m: (m["article"], m["start"]))
        for m in mentions:
            if m["tagged"] == kind:
                del m["tagged"]
        out.append({"canonical": _spelling(spellings[key]), "kind": kind, "mentions": mentions})
    return sorted(out, key=lambda e: (e["canonical"], e["kind"]))


#: Labels that the small English model confuses for one place or body: one entity across articles.
_FAMILY = dict.fromkeys(("GPE", "LOC", "ORG", "NORP", "FAC", "NAME"), "place-or-body")


def _spelling(counts: Counter[str]) -> str:
    """The name as most often written, capitals-only forms last ("Lindholt" over "LINDHOLT")."""
    return min(counts, key=lambda s: (s.isupper() and not all(c.isupper() for c in counts), -counts[s], s))
