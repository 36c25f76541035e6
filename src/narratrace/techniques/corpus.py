"""What the stored ``technique`` annotations say about a corpus: the export, and counts per
article, per outlet and per narrative (the last only where the ``narratives`` stage has run)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from narratrace.errors import NotFound
from narratrace.store import Store
from narratrace.techniques.labels import TECHNIQUES, display_name

__all__ = ["ArticleTechniques", "TechniqueCounts", "article_techniques", "export_techniques", "technique_counts"]

KIND = "technique"


def export_techniques(store: Store, ref: dict[str, str] | None = None, *, article_id: str | None = None
                      ) -> list[dict[str, Any]]:
    """``[{"article": REF, "start", "end", "technique", "score", "text"}]`` (export contract)."""
    ref = ref if ref is not None else {row["id"]: row["ref"] for row in store.article_index()}
    texts: dict[str, str] = {}
    out = []
    for aid, ann in store.annotations_of_kind(KIND, article_id=article_id):
        if aid not in texts:
            texts = {aid: store.article(aid).text}
        out.append({"article": ref.get(aid, aid), "start": ann.start, "end": ann.end, "technique": ann.label,
                    "score": ann.data.get("score"), "text": texts[aid][ann.start:ann.end]})
    return out


@dataclass(frozen=True, slots=True)
class ArticleTechniques:
    """One article's technique hits (with their text) and counts per technique."""

    id: str
    ref: str
    title: str | None
    outlet: str | None
    hits: tuple[dict[str, Any], ...]
    counts: dict[str, int]
    analysed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ref": self.ref, "title": self.title, "outlet": self.outlet,
                "analysed": self.analysed, "counts": dict(self.counts), "techniques": list(self.hits)}


def article_techniques(store: Store, key: str | None = None) -> list[ArticleTechniques]:
    """Every article (or the one with id or ref ``key``) with its technique hits."""
    index = store.article_index()
    if key is not None:
        index = [row for row in index if key in (row["id"], row["ref"])]
        if not index:
            raise NotFound(f"no article {key!r} (give its ref or id; `narratrace export` lists them)")
    analysed = {aid for aid, _ in store.stage_data("techniques")}
    out = []
    for row in index:
        hits = tuple(export_techniques(store, {row["id"]: row["ref"]}, article_id=row["id"]))
        counts = dict(sorted(Counter(h["technique"] for h in hits).items()))
        out.append(ArticleTechniques(row["id"], row["ref"], row.get("title"), row.get("outlet"), hits, counts,
                                     row["id"] in analysed))
    return out


@dataclass(frozen=True, slots=True)
class TechniqueCounts:
    """Technique counts per article, per outlet and per narrative (article ids -> labels)."""

    total: dict[str, int] = field(default_factory=dict)
    per_article: dict[str, dict[str, int]] = field(default_factory=dict)
    per_outlet: dict[str, dict[str, int]] = field(default_factory=dict)
    outlet_articles: dict[str, int] = field(default_factory=dict)
    per_narrative: dict[str, dict[str, int]] = field(default_factory=dict)
    narrative_articles: dict[str, int] = field(default_factory=dict)
    analysed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "per_article": self.per_article, "per_outlet": self.per_outlet,
                "outlet_articles": self.outlet_articles, "per_narrative": self.per_narrative,
                "narrative_articles": self.narrative_articles, "analysed": self.analysed,
                "techniques": {t: display_name(t) for t in TECHNIQUES}}


def technique_counts(store: Store) -> TechniqueCounts:
    """Counts of technique hits; outlets count their analysed articles, narratives the articles
    the ``narratives`` stage labelled with them (nothing when that stage has not run)."""
    index = store.article_index()
    outlet_of = {row["id"]: row.get("outlet") or "(no outlet)" for row in index}
    analysed = [aid for aid, _ in store.stage_data("techniques")]
    per_article: dict[str, Counter[str]] = {aid: Counter() for aid in analysed}
    for aid, ann in store.annotations_of_kind(KIND):
        per_article.setdefault(aid, Counter())[str(ann.label)] += 1
    total: Counter[str] = Counter()
    per_outlet: dict[str, Counter[str]] = {}
    outlet_articles: Counter[str] = Counter()
    for aid, counts in per_article.items():
        total.update(counts)
        outlet = outlet_of.get(aid, "(no outlet)")
        per_outlet.setdefault(outlet, Counter()).update(counts)
        outlet_articles[outlet] += 1
    narratives_of: dict[str, set[str]] = {}
    for aid, ann in store.annotations_of_kind("narrative"):
        name = str(ann.data.get("narrative") or ann.label or "")
        if name:
            narratives_of.setdefault(name, set()).add(aid)
    per_narrative = {}
    for name, aids in narratives_of.items():
        c: Counter[str] = Counter()
        for aid in aids:
            c.update(per_article.get(aid, Counter()))
        per_narrative[name] = dict(c)
    return TechniqueCounts(
        total=dict(total), per_article={a: dict(c) for a, c in per_article.items()},
        per_outlet={o: dict(c) for o, c in sorted(per_outlet.items())}, outlet_articles=dict(outlet_articles),
        per_narrative=dict(sorted(per_narrative.items())),
        narrative_articles={n: len(a) for n, a in narratives_of.items()}, analysed=len(analysed))


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    return {"techniques": export_techniques(store, ref)}
