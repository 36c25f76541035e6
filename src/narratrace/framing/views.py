"""Entity roles as read back from the store: per article, per outlet, and for the JSON export."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from narratrace.errors import NotFound
from narratrace.claims.entities import entity_key
from narratrace.store import Store
from narratrace.framing.store import framing_annotations

__all__ = ["EntityRole", "OutletRole", "entity_roles", "export_framing", "outlet_roles"]


@dataclass(frozen=True, slots=True)
class EntityRole:
    """The role one article gives one entity, with the sentence that shows it."""

    article_id: str
    ref: str
    title: str | None
    outlet: str | None
    entity: str
    entity_label: str
    main_role: str
    fine_roles: tuple[str, ...]
    score: float
    mention_start: int
    mention_end: int
    evidence_start: int
    evidence_end: int
    evidence: str
    mentions: int
    #: mentions whose own clause casts the entity otherwise: ``{"start", "end", "main_role", "parse", "context"}``
    #: (``context``: the words around the mention)
    mention_roles: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["fine_roles"] = list(self.fine_roles)
        d["mention_roles"] = [dict(m) for m in self.mention_roles]
        return d


@dataclass(frozen=True, slots=True)
class OutletRole:
    """How one outlet casts one entity across its articles that name it with a role."""

    outlet: str
    entity: str
    role: str           # the most frequent main role
    count: int          # articles casting it in that role
    articles: int       # articles giving the entity any role
    roles: dict[str, int]
    fine_roles: dict[str, int]

    @property
    def sentence(self) -> str:
        return f"{self.outlet} casts {self.entity} as {self.role.lower()} in {self.count} of {self.articles} " \
               f"article{'s' if self.articles != 1 else ''}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sentence": self.sentence}


def entity_roles(store: Store, *, article: str | None = None, outlet: str | None = None) -> list[EntityRole]:
    """Roles given by the framing stage (all, of one article by ref or id, or of one outlet)."""
    article_id = store.article(article).id if article is not None else None
    rows = framing_annotations(store, article_id=article_id, outlet=outlet)
    if outlet is not None and not rows and not any((r["outlet"] or "").casefold() == outlet.casefold()
                                                   for r in store.article_index()):
        raise NotFound(f"no outlet named {outlet!r}")
    texts: dict[str, str] = {}
    out = []
    for r in rows:
        d = r["data"]
        if r["article_id"] not in texts:
            texts = {r["article_id"]: store.article(r["article_id"]).text}
        text = texts[r["article_id"]]
        es, ee = int(d.get("evidence_start", r["start"])), int(d.get("evidence_end", r["end"]))
        out.append(EntityRole(r["article_id"], r["ref"], r["title"], r["outlet"], str(d.get("entity") or ""),
                              str(d.get("entity_label") or ""), str(d.get("main_role") or r["label"]),
                              tuple(d.get("fine_roles") or ()), float(d.get("score") or 0.0), r["start"], r["end"],
                              es, ee, " ".join(text[es:ee].split()), int(d.get("mentions") or 1),
                              _mention_roles(d, text)))
    return out


def _mention_roles(data: dict[str, Any], text: str, *, around: int = 60) -> tuple[dict[str, Any], ...]:
    """The stored ``mention_roles`` of a framing annotation, each with the words around its mention."""
    out = []
    for x in data.get("mention_roles") or ():
        if not (isinstance(x, list) and len(x) == 4 and all(isinstance(v, int) for v in x[:2])):
            continue
        s, e = max(0, int(x[0])), min(len(text), int(x[1]))
        context = " ".join(text[max(0, s - around):min(len(text), e + around)].split())
        out.append({"start": s, "end": e, "main_role": str(x[2]), "parse": str(x[3]), "context": context})
    return tuple(out)


def outlet_roles(roles: Sequence[EntityRole], *, min_articles: int = 1) -> list[OutletRole]:
    """Per outlet and entity (entities folded by :func:`~narratrace.claims.entities.entity_key`).

    Articles without an outlet are left out.

    Sorted by the number of articles, then the share of the dominant role.
    """
    groups: dict[tuple[str, str], list[EntityRole]] = {}
    names: dict[str, Counter[str]] = {}
    for r in roles:
        if not r.outlet:  # articles of unknown outlets are not pooled under one made-up name
            continue
        key = entity_key(r.entity) or r.entity
        groups.setdefault((r.outlet, key), []).append(r)
        names.setdefault(key, Counter())[r.entity] += 1
    out = []
    for (outlet, key), rs in groups.items():
        by_article: dict[str, EntityRole] = {}
        for r in rs:  # one vote per article: its most confident role for the entity
            if r.article_id not in by_article or r.score > by_article[r.article_id].score:
                by_article[r.article_id] = r
        if len(by_article) < min_articles:
            continue
        roles_n = Counter(r.main_role for r in by_article.values())
        fine_n = Counter(f for r in by_article.values() for f in r.fine_roles)
        role, count = max(roles_n.items(), key=lambda kv: (kv[1], kv[0] == "Antagonist"))
        out.append(OutletRole(outlet, names[key].most_common(1)[0][0], role, count, len(by_article),
                              dict(roles_n.most_common()), dict(fine_n.most_common())))
    out.sort(key=lambda o: (-o.articles, -o.count / o.articles, o.outlet, o.entity))
    return out


def export_framing(store: Store, ref: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The export contract: ``{"article", "entity", "main_role", "fine_roles", "evidence": {"start", "end"},
    "score", "mention": {"start", "end"}, "mentions": [{"start", "end"}, ...]}``: ``mention`` is the
    evidence mention, ``mentions`` every mention of the entity in the article (an annotation
    stored before they were kept has its evidence mention only). A mention whose own clause casts
    the entity in another role than the item's has it too: ``{"start", "end", "main_role", "parse"}``
    (``parse``: the reason, "object of blame")."""
    ref = ref if ref is not None else {row["id"]: row["ref"] for row in store.article_index()}
    out = []
    for r in framing_annotations(store):
        d = r["data"]
        own = {(int(x[0]), int(x[1])): {"main_role": str(x[2]), "parse": str(x[3])}
               for x in d.get("mention_roles") or () if isinstance(x, list) and len(x) == 4}
        out.append({"article": ref.get(r["article_id"], r["ref"]), "entity": d.get("entity"),
                    "main_role": d.get("main_role") or r["label"], "fine_roles": list(d.get("fine_roles") or ()),
                    "evidence": {"start": d.get("evidence_start", r["start"]), "end": d.get("evidence_end", r["end"])},
                    "score": d.get("score"), "mention": {"start": r["start"], "end": r["end"]},
                    "mentions": [{"start": int(a), "end": int(b), **own.get((int(a), int(b)), {})}
                                 for a, b in d.get("spans") or [(r["start"], r["end"])]]})
    return out


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    return {"framing": export_framing(store, ref)}
