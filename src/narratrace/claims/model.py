"""The claims analysis's result types: a claim group, its members and how each article carries it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ClaimGroup", "ClaimMember", "GroupArticle"]


@dataclass(frozen=True, slots=True)
class ClaimMember:
    """One appearance of a grouped claim."""

    article: str
    ref: str
    outlet: str | None
    published: str | None
    claim: str
    start: int
    end: int
    text: str
    source: str | None
    source_canonical: str | None
    source_kind: str
    cue: str | None
    quote: str
    hedges: tuple[str, ...]
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article, "ref": self.ref, "outlet": self.outlet, "published": self.published,
                "claim": self.claim, "start": self.start, "end": self.end, "text": self.text,
                "source": self.source, "source_canonical": self.source_canonical,
                "source_kind": self.source_kind, "cue": self.cue, "quote": self.quote,
                "hedges": list(self.hedges), "similarity": round(self.similarity, 4)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClaimMember:
        return cls(d["article"], d["ref"], d.get("outlet"), d.get("published"), d["claim"], int(d["start"]),
                   int(d["end"]), d["text"], d.get("source"), d.get("source_canonical"),
                   d.get("source_kind") or "none", d.get("cue"), d.get("quote") or "none",
                   tuple(d.get("hedges") or ()), float(d.get("similarity", 1.0)))


@dataclass(frozen=True, slots=True)
class GroupArticle:
    """How one article carries a grouped claim: attributed to a source, hedged, or stated as fact."""

    article: str
    ref: str
    outlet: str | None
    published: str | None
    attribution: str
    sources: tuple[str, ...]
    stance: str
    claims: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article, "ref": self.ref, "outlet": self.outlet, "published": self.published,
                "attribution": self.attribution, "sources": list(self.sources), "stance": self.stance,
                "claims": list(self.claims)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroupArticle:
        return cls(d["article"], d["ref"], d.get("outlet"), d.get("published"), d["attribution"],
                   tuple(d.get("sources") or ()), d["stance"], tuple(d.get("claims") or ()))


@dataclass(frozen=True, slots=True)
class ClaimGroup:
    """Paraphrases of one claim in two or more articles.

    ``members`` are in order of appearance (publication date, or for an undated original the
    date its copy's credit line gives it, then ingestion order; an article republishing
    another member never comes first), and ``first_seen_how`` says what decided the first
    one: ``date``, ``republication`` (the others republish it), ``credit`` (the credited
    date, which ``first_published`` then shows) or ``order`` (ingestion);
    ``articles`` say per article which source it named (``attribution``, ``"none"`` if
    none) and its ``stance``: ``attributed``, ``hedged`` (no source, but "reportedly",
    "allegedly"...) or ``fact``. ``attribution_conflict`` is true when one article
    attributes the claim and another states it as fact.
    """

    id: str
    label: str
    first_seen: str
    first_claim: str
    first_published: str | None
    members: tuple[ClaimMember, ...]
    articles: tuple[GroupArticle, ...]
    attribution_conflict: bool
    cohesion: float
    first_seen_how: str = "order"

    @property
    def conflict(self) -> dict[str, list[dict[str, Any]]]:
        """The outlets on each side of an attribution conflict (empty lists when there is none)."""
        if not self.attribution_conflict:
            return {"attributed": [], "as_fact": []}
        return {"attributed": [{"article": a.ref, "outlet": a.outlet, "sources": list(a.sources)}
                               for a in self.articles if a.stance == "attributed"],
                "as_fact": [{"article": a.ref, "outlet": a.outlet} for a in self.articles if a.stance == "fact"]}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "first_seen": self.first_seen,
                "first_claim": self.first_claim, "first_published": self.first_published,
                "first_seen_how": self.first_seen_how,
                "members": [m.to_dict() for m in self.members], "articles": [a.to_dict() for a in self.articles],
                "attribution_conflict": self.attribution_conflict, "conflict": self.conflict,
                "cohesion": round(self.cohesion, 4)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClaimGroup:
        return cls(d["id"], d["label"], d["first_seen"], d["first_claim"], d.get("first_published"),
                   tuple(ClaimMember.from_dict(m) for m in d["members"]),
                   tuple(GroupArticle.from_dict(a) for a in d["articles"]), bool(d["attribution_conflict"]),
                   float(d.get("cohesion", 0.0)), d.get("first_seen_how") or "order")

    def to_export(self) -> dict[str, Any]:
        """The issue's export shape (articles by ref), with the attributions per article."""
        first = next((a.ref for a in self.articles if a.article == self.first_seen), self.first_seen)
        return {"id": self.id, "label": self.label, "articles": [a.ref for a in self.articles],
                "claims": [m.claim for m in self.members], "first_seen": first,
                "first_published": self.first_published, "first_seen_how": self.first_seen_how,
                "attributions": [{"article": a.ref, "outlet": a.outlet, "attribution": a.attribution,
                                  "stance": a.stance} for a in self.articles],
                "attribution_conflict": self.attribution_conflict, "conflict": self.conflict}


