"""Read-only, paginated queries for browsing a corpus (the web app and its JSON API).

:class:`~narratrace.store.Store` answers whole-corpus questions (``article_index()``,
``republication_pairs()``); a page of a 100,000-article corpus must not load all of it.
These functions read one page, one count or one facet with indexed SQL and return
plain rows (the keys of ``Store.article_index()``) or model objects. They never write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from narratrace.errors import NotFound
from narratrace.model import RepublicationGroup, RepublicationPair
from narratrace.store.db import SearchHit, Store

__all__ = [
    "ArticleFilter",
    "CorpusStats",
    "PairRow",
    "article_page",
    "article_rows",
    "corpus_stats",
    "group",
    "group_of",
    "group_page",
    "outlet_article_count",
    "outlet_links",
    "outlet_page",
    "pair",
    "pair_counts",
    "pair_page",
    "pairs_of",
    "pairs_of_copies",
    "search_page",
    "skipped_page",
]

_INDEX_KEYS = ("id", "ref", "title", "outlet", "published", "published_how", "language", "chars", "url",
               "author", "seq")
_INDEX_COLS = "id, ref, title, outlet, published, published_how, language, chars, url, author, rowid"


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles a page lists; ``None`` means no condition. Dates are ``YYYY-MM-DD``, inclusive."""

    outlet: str | None = None
    language: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        args: list[Any] = []
        if self.outlet is not None:
            parts.append("outlet = ?")
            args.append(self.outlet)
        if self.language is not None:
            parts.append("language = ?")
            args.append(self.language)
        if self.date_from is not None:
            parts.append("published >= ?")
            args.append(self.date_from)
        if self.date_to is not None:
            parts.append("published < ?")  # "2024-03-07T09:00" still counts as 2024-03-07
            args.append(self.date_to + "~")
        return (" WHERE " + " AND ".join(parts) if parts else ""), args


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """Counts and facets of the whole corpus (what the overview's filters offer)."""

    articles: int
    pairs: int
    groups: int
    skipped: int
    date_from: str | None
    date_to: str | None
    undated: int
    outlets: tuple[tuple[str | None, int], ...]      # most articles first
    languages: tuple[tuple[str | None, int], ...]    # most articles first
    #: per stage: articles analysed and not analysed by reason (Store.stage_coverage)
    coverage: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)

    @property
    def not_analysed(self) -> int:
        """Articles that some stage did not analyse (the largest count of any one stage)."""
        return max((sum(r.values()) for _, r in self.coverage.values()), default=0)

    @property
    def outlet_count(self) -> int:
        """Known outlets (articles without one are not an outlet)."""
        return sum(1 for o, _ in self.outlets if o is not None)

    @property
    def language_count(self) -> int:
        return sum(1 for lang, _ in self.languages if lang is not None)


@dataclass(frozen=True, slots=True)
class PairRow:
    """One republication pair without its passages (for lists)."""

    original: str
    copy: str
    similarity: float
    copy_share: float
    reason: str
    evidence: str


def _rows(cursor: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(_INDEX_KEYS, row)) for row in cursor]


def corpus_stats(store: Store) -> CorpusStats:
    db = store.db
    articles = int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    lo, hi = db.execute("SELECT min(published), max(published) FROM articles").fetchone()
    undated = int(db.execute("SELECT count(*) FROM articles WHERE published IS NULL").fetchone()[0])
    outlets = tuple((o, int(n)) for o, n in db.execute(
        "SELECT outlet, count(*) AS n FROM articles GROUP BY outlet ORDER BY n DESC, outlet"))
    languages = tuple((lang, int(n)) for lang, n in db.execute(
        "SELECT language, count(*) AS n FROM articles GROUP BY language ORDER BY n DESC, language"))
    return CorpusStats(
        articles=articles,
        pairs=int(db.execute("SELECT count(*) FROM republication_pairs").fetchone()[0]),
        groups=int(db.execute("SELECT count(*) FROM republication_groups").fetchone()[0]),
        skipped=int(db.execute("SELECT count(*) FROM skipped").fetchone()[0]),
        date_from=lo[:10] if lo else None, date_to=hi[:10] if hi else None, undated=undated,
        outlets=outlets, languages=languages, coverage=store.stage_coverage())


def article_page(store: Store, flt: ArticleFilter, *, limit: int, offset: int,
                 count: bool = True) -> tuple[int | None, list[dict[str, Any]]]:
    """``(matching articles, one page of them)``, newest first (undated last), no texts."""
    where, args = flt.where()
    total = int(store.db.execute(f"SELECT count(*) FROM articles{where}", args).fetchone()[0]) if count else None
    rows = store.db.execute(f"SELECT {_INDEX_COLS} FROM articles{where} "
                            "ORDER BY published DESC, rowid DESC LIMIT ? OFFSET ?", [*args, limit, offset])
    return total, with_not_analysed(store, _rows(rows))


def with_not_analysed(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with ``not_analysed``: the stages that did not analyse each article, and why."""
    for row in rows:
        row["not_analysed"] = {}
    by_id = {row["id"]: row for row in rows}
    ids = list(by_id)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for aid, stage, reason in store.db.execute(
                f"SELECT article_id, stage, skipped FROM stage_results WHERE skipped IS NOT NULL AND article_id IN "
                f"({','.join('?' * len(chunk))}) ORDER BY stage", chunk):
            by_id[aid]["not_analysed"][stage] = reason
    return rows


def article_rows(store: Store, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Index rows (no text) of the given article ids, by id; unknown ids are left out."""
    out: dict[str, dict[str, Any]] = {}
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows = store.db.execute(f"SELECT {_INDEX_COLS} FROM articles WHERE id IN ({','.join('?' * len(chunk))})",
                                chunk)
        out.update((r["id"], r) for r in with_not_analysed(store, _rows(rows)))
    return out


def pairs_of(store: Store, article_id: str, *, limit: int = -1) -> list[RepublicationPair]:
    """Pairs in which the article is the copy, then those in which it is the original (at most ``limit``)."""
    as_copy = store.db.execute("SELECT data FROM republication_pairs WHERE copy = ? ORDER BY rowid LIMIT ?",
                               (article_id, limit))
    pairs = [RepublicationPair.from_dict(json.loads(r[0])) for r in as_copy]
    if limit >= 0 and len(pairs) >= limit:
        return pairs
    as_original = store.db.execute("SELECT data FROM republication_pairs WHERE original = ? ORDER BY rowid LIMIT ?",
                                   (article_id, limit - len(pairs) if limit >= 0 else -1))
    return pairs + [RepublicationPair.from_dict(json.loads(r[0])) for r in as_original]


def pairs_of_copies(store: Store, copy_ids: Iterable[str]) -> list[RepublicationPair]:
    """Every pair whose copy is one of ``copy_ids`` (a group's members), in detection order."""
    ids = list(dict.fromkeys(copy_ids))
    found: list[tuple[int, RepublicationPair]] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows = store.db.execute("SELECT rowid, data FROM republication_pairs "
                                f"WHERE copy IN ({','.join('?' * len(chunk))})", chunk)
        found.extend((r[0], RepublicationPair.from_dict(json.loads(r[1]))) for r in rows)
    return [p for _, p in sorted(found, key=lambda rp: rp[0])]


def pair_counts(store: Store, ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """``id -> (pairs in which it is the copy, pairs in which it is the original)`` for the given ids."""
    out: dict[str, list[int]] = {}
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for slot, col in enumerate(("copy", "original")):
            for aid, n in store.db.execute(f"SELECT {col}, count(*) FROM republication_pairs "
                                           f"WHERE {col} IN ({marks}) GROUP BY {col}", chunk):
                out.setdefault(aid, [0, 0])[slot] = int(n)
    return {k: (v[0], v[1]) for k, v in out.items()}


def pair(store: Store, original: str, copy: str) -> RepublicationPair:
    row = store.db.execute("SELECT data FROM republication_pairs WHERE original = ? AND copy = ?",
                           (original, copy)).fetchone()
    if row is None:
        raise NotFound(f"no republication pair {original!r} -> {copy!r}")
    return RepublicationPair.from_dict(json.loads(row[0]))


def pair_page(store: Store, *, limit: int, offset: int) -> tuple[int, list[RepublicationPair]]:
    total = int(store.db.execute("SELECT count(*) FROM republication_pairs").fetchone()[0])
    rows = store.db.execute("SELECT data FROM republication_pairs ORDER BY rowid LIMIT ? OFFSET ?", (limit, offset))
    return total, [RepublicationPair.from_dict(json.loads(r[0])) for r in rows]


def _group(row: Sequence[Any]) -> RepublicationGroup:
    return RepublicationGroup(int(row[0]), row[1], tuple(json.loads(row[2])), row[3])


def group(store: Store, group_id: int) -> RepublicationGroup:
    row = store.db.execute("SELECT id, original, members, reason FROM republication_groups WHERE id = ?",
                           (group_id,)).fetchone()
    if row is None:
        raise NotFound(f"no republication group {group_id}")
    return _group(row)


def group_of(store: Store, article_id: str) -> RepublicationGroup | None:
    """The group the article belongs to, if any (members are stored as a JSON list of ids)."""
    pattern = '%"' + article_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
    for row in store.db.execute("SELECT id, original, members, reason FROM republication_groups "
                                "WHERE original = ? OR members LIKE ? ESCAPE '\\' ORDER BY id",
                                (article_id, pattern)):
        g = _group(row)
        if article_id == g.original or article_id in g.members:
            return g
    return None


def group_page(store: Store, *, limit: int, offset: int) -> tuple[int, list[RepublicationGroup]]:
    total = int(store.db.execute("SELECT count(*) FROM republication_groups").fetchone()[0])
    rows = store.db.execute("SELECT id, original, members, reason FROM republication_groups ORDER BY id "
                            "LIMIT ? OFFSET ?", (limit, offset))
    return total, [_group(r) for r in rows]


def outlet_article_count(store: Store, outlet: str) -> int:
    return int(store.db.execute("SELECT count(*) FROM articles WHERE outlet = ?", (outlet,)).fetchone()[0])


def outlet_links(store: Store) -> list[tuple[str | None, str | None, int]]:
    """``(outlet of the copy, outlet of the original, pairs)`` over the whole corpus, most pairs first.

    One pass over the pairs; callers cache it (it changes only when ``analyze`` runs).
    """
    return [(c, o, int(n)) for c, o, n in store.db.execute(
        "SELECT c.outlet, o.outlet, count(*) AS n FROM republication_pairs p JOIN articles c ON c.id = p.copy "
        "JOIN articles o ON o.id = p.original GROUP BY c.outlet, o.outlet ORDER BY n DESC, c.outlet, o.outlet")]


def outlet_page(store: Store, outlet: str, role: str, *, limit: int) -> list[PairRow]:
    """The latest pairs in which an article of ``outlet`` is the ``role`` (``"copy"`` or ``"original"``).

    Newest articles of the outlet first; the outlet's index is walked backwards and stops
    after ``limit`` pairs, so a large outlet costs no more than a small one.
    """
    if role not in ("copy", "original"):
        raise ValueError(f"role must be 'copy' or 'original', not {role!r}")
    rows = store.db.execute(
        "SELECT p.original, p.copy, p.similarity, p.copy_share, json_extract(p.data, '$.reason'), "
        f"json_extract(p.data, '$.evidence') FROM articles a JOIN republication_pairs p ON p.{role} = a.id "
        "WHERE a.outlet = ? ORDER BY a.published DESC, a.rowid DESC LIMIT ?", (outlet, limit))
    return [PairRow(o, c, float(s), float(cs), r or "", e or "order") for o, c, s, cs, r, e in rows]


def skipped_page(store: Store, *, limit: int, offset: int) -> tuple[int, list[tuple[str, str, str]]]:
    total = int(store.db.execute("SELECT count(*) FROM skipped").fetchone()[0])
    rows = store.db.execute("SELECT path, reason, code FROM skipped ORDER BY path, reason LIMIT ? OFFSET ?",
                            (limit, offset))
    return total, [(p, r, c) for p, r, c in rows]


def search_page(store: Store, query: str, *, limit: int, offset: int = 0,
                window: int | None = None) -> tuple[list[SearchHit], bool]:
    """One page of :meth:`Store.search`'s results; and whether ``window`` cut it (see ``Store.search_page``)."""
    return store.search_page(query, limit=limit, offset=offset, window=window)
