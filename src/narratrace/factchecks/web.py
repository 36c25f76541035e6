"""The fact-checks page, and the fact-checks matching an article's claims on its page.

``make_pages`` (``Analysis.pages``) serves ``/factchecks`` and ``/api/factchecks`` (already-debunked
claims, the outlets repeating them, the claims with matching fact-checks: the report's section with
every matched claim), links it from every page's navigation once some claim matches an imported
fact-check, and lists an article's matched claims on its page (:func:`article_factchecks`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from narratrace.errors import NotFound
from narratrace.factchecks.report import FactcheckSection, MatchView, build_factcheck_section, safe_link
from narratrace.factchecks.store import MATCHES_TABLE, factcheck_matches
from narratrace.model import Article
from narratrace.store import Store
from narratrace.web.pages import (MAX_OFFSET, NavItem, PageContext, Pager, Panel, TableItem, limit_q, offset_q, pager,
                                  twin)
from narratrace.web.schemas import PageOut

__all__ = ["ClaimMatches", "FactcheckPage", "FactchecksPage", "article_factchecks", "article_factchecks_json",
           "factchecks_json", "factchecks_page", "has_factcheck_matches", "make_pages"]


@dataclass(frozen=True, slots=True)
class ClaimMatches:
    claim_id: str
    text: str
    matches: tuple[MatchView, ...]


def _claim_matches(rows: Sequence[Mapping[str, Any]]) -> tuple[ClaimMatches, ...]:
    """Stored matches grouped by claim, best first, as the report's :class:`MatchView` (links http(s) only)."""
    by_claim: dict[str, list[Mapping[str, Any]]] = {}
    for m in rows:
        by_claim.setdefault(str(m["claim"]), []).append(m)
    out = []
    for cid, ms in by_claim.items():
        views = []
        for m in sorted(ms, key=lambda m: -float(m["score"])):
            f = m.get("factcheck") or {}
            views.append(MatchView(f.get("claim") or "", f.get("rating"), f.get("verdict") or "unrated",
                                   f.get("publisher"), f.get("url"), safe_link(f.get("url")), f.get("published"),
                                   float(m["score"]), m.get("tier", "match")))
        out.append(ClaimMatches(cid, str(ms[0].get("claim_text") or ""), tuple(views)))
    return tuple(out)


def article_factchecks(store: Store, article: Article) -> tuple[ClaimMatches, ...]:
    """The article's claims that match imported fact-checks, each with its matches (best first)."""
    return _claim_matches(factcheck_matches(store, article.id))


def _match_json(m: MatchView) -> dict[str, Any]:
    return {"claim": m.claim, "rating": m.rating, "verdict": m.verdict, "publisher": m.publisher, "url": m.url,
            "published": m.published, "score": round(m.score, 4), "tier": m.tier}


def article_factchecks_json(store: Store, article: Article) -> dict[str, Any]:
    """The fact-check key of an article's JSON."""
    return {"factcheck_matches": [{"claim": c.claim_id, "text": c.text, "matches": [_match_json(m) for m in c.matches]}
                                  for c in article_factchecks(store, article)]}


ARTICLE_FIELDS: dict[str, tuple[Any, Any]] = {
    "factcheck_matches": (list[dict[str, Any]], Field(default_factory=list,
                                                      description="its claims with their matched fact-checks")),
}


@dataclass(frozen=True, slots=True)
class FactchecksPage:
    section: FactcheckSection
    claims: tuple[Any, ...]               # MatchedClaimView records of this page
    pager: Pager


def factchecks_page(section: FactcheckSection | None, *, limit: int, offset: int) -> FactchecksPage:
    """``section`` is :func:`narratrace.factchecks.report.build_factcheck_section` (cached by the caller)."""
    if section is None:
        raise NotFound("no fact-checks in this corpus (run `narratrace factchecks import FILE`, then `analyze`)")
    page = section.claims[offset:offset + limit]
    return FactchecksPage(section, page, pager("/factchecks", {}, limit=limit, offset=offset, shown=len(page),
                                               total=len(section.claims)))


def factchecks_json(p: FactchecksPage) -> dict[str, Any]:
    s = p.section
    from narratrace.factchecks.tiers import TIERS

    return {"ok": True, "factchecks": s.factchecks, "matched_claims": s.matched_claims, "tiers": list(TIERS),
            "debunked": [{"claim": d.claim, "rating": d.rating, "verdict": d.verdict, "publisher": d.publisher,
                          "url": d.url, "debunked_on": d.debunked_on, "outlets_after": list(d.outlets_after),
                          "repeats": [{"article": r.article_ref, "outlet": r.outlet, "published": r.published,
                                       "after_debunk": r.after_debunk, "claim_text": r.claim_text,
                                       "score": r.score} for r in d.repeats]} for d in s.debunked],
            "total": p.pager.total, "limit": p.pager.limit, "offset": p.pager.offset,
            "claims": [{"article": c.article_ref, "outlet": c.outlet, "published": c.published, "claim": c.claim_id,
                        "text": c.text, "matches": [_match_json(m) for m in c.matches]} for c in p.claims]}


# -- what the store holds (the page and its link appear only then) -----------------------------------

def has_factcheck_matches(store: Store) -> bool:
    """Whether some claim matches an imported fact-check."""
    return bool(store.db.execute("SELECT EXISTS(SELECT 1 FROM factcheck_matches)").fetchone()[0])


# -- response models -----------------------------------------------------------------------------

class FactcheckPage(PageOut):
    factchecks: int = Field(description="fact-checks imported")
    matched_claims: int
    tiers: list[dict[str, Any]] = Field(description="each tier (match, possible): the scores it takes and its "
                                                    "measured precision, with the data it was measured on")
    debunked: list[dict[str, Any]] = Field(description="debunked claims, the articles repeating them, and the "
                                                       "outlets repeating them after the debunk date")
    claims: list[dict[str, Any]]


# -- the pages -------------------------------------------------------------------------------------

def make_pages(context: PageContext) -> APIRouter:
    """The fact-checks page and its JSON twin, its link, and an article's matched claims."""
    router = APIRouter()
    cache = context.cache()
    context.nav.append(NavItem("/factchecks", "Fact-checks", available=has_factcheck_matches, order=60))
    context.article_panels.append(Panel(view=article_factchecks, template="article_factchecks.html",
                                        json=article_factchecks_json, fields=ARTICLE_FIELDS, order=50))
    context.tables.append(TableItem(MATCHES_TABLE, has_factcheck_matches, order=50))

    def section() -> Any:
        """The report's fact-check section, every matched claim included."""
        return cache.get("factchecks", lambda s: build_factcheck_section(s, limit=MAX_OFFSET))

    @router.get("/factchecks", response_class=HTMLResponse, include_in_schema=False)
    def factchecks_html(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = factchecks_page(section(), limit=limit, offset=offset)
        return context.page("factchecks.html", json_url=twin(request, "/api/factchecks"), v=view,
                            title="Fact-checks")

    @router.get("/api/factchecks", response_model=FactcheckPage, tags=["factchecks"])
    def api_factchecks(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Already-debunked claims and the outlets repeating them, and claims with matching fact-checks (paged)."""
        return factchecks_json(factchecks_page(section(), limit=limit, offset=offset))

    return router
