"""The report's fact-check section: each claim with its matched fact-checks, and the debunked claims
that outlets of the corpus repeat (after the debunk date, when dates allow saying so).

Plain data for ``templates/report_factchecks.html`` (autoescaped; a URL becomes a link only when it
is http(s)).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from narratrace.store import Store
from narratrace.sections import NavLink, Section, SectionContext

__all__ = ["safe_link", "DebunkedView", "FactcheckSection", "MatchedClaimView", "MatchView", "RepeatView",
           "build_factcheck_section"]

_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
DEBUNKED = ("false", "misleading")


def safe_link(url: Any) -> str | None:
    return url if isinstance(url, str) and _SAFE_URL.match(url) else None


@dataclass(frozen=True, slots=True)
class MatchView:
    claim: str              # the fact-checked claim
    rating: str | None
    verdict: str
    publisher: str | None
    url: str | None
    link: str | None
    published: str | None
    score: float
    tier: str = "match"     # or "possible": below the match threshold


@dataclass(frozen=True, slots=True)
class MatchedClaimView:
    article_ref: str
    article_title: str | None
    outlet: str | None
    published: str | None
    claim_id: str
    text: str
    matches: tuple[MatchView, ...]


@dataclass(frozen=True, slots=True)
class RepeatView:
    article_ref: str
    outlet: str | None
    published: str | None
    after_debunk: bool | None   # None: a date is missing
    claim_text: str
    score: float


@dataclass(frozen=True, slots=True)
class DebunkedView:
    key: str
    claim: str
    rating: str | None
    verdict: str
    publisher: str | None
    link: str | None
    url: str | None
    debunked_on: str | None
    repeats: tuple[RepeatView, ...]
    outlets_after: tuple[str, ...]   # outlets repeating it after the debunk date


@dataclass(frozen=True, slots=True)
class FactcheckSection:
    factchecks: int
    matched_claims: int
    claims: tuple[MatchedClaimView, ...]
    claims_not_shown: int
    debunked: tuple[DebunkedView, ...]
    tiers_note: str = ""     # each tier's measured precision (narratrace.factchecks.tiers)


def build_factcheck_section(store: Store, *, limit: int = 300) -> FactcheckSection | None:
    """None when no fact-check is imported."""
    from narratrace.factchecks.store import count_factchecks, factcheck_matches

    total = count_factchecks(store)
    if not total:
        return None
    index: dict[str, Mapping[str, Any]] = {row["id"]: row for row in store.article_index()}
    by_claim: dict[str, list[dict[str, Any]]] = {}
    for m in factcheck_matches(store):
        by_claim.setdefault(m["claim"], []).append(m)
    claims = []
    debunked: dict[str, dict[str, Any]] = {}
    for cid, ms in by_claim.items():
        row = index.get(ms[0]["article"], {})
        views = []
        for m in sorted(ms, key=lambda m: -m["score"]):
            f = m["factcheck"]
            views.append(MatchView(f.get("claim") or "", f.get("rating"), f.get("verdict") or "unrated",
                                   f.get("publisher"), f.get("url"), safe_link(f.get("url")), f.get("published"),
                                   float(m["score"]), m.get("tier", "match")))
            if (f.get("verdict") or "") in DEBUNKED and m.get("tier", "match") == "match":
                entry = debunked.setdefault(m["factcheck_key"], {"f": f, "repeats": {}})
                aid = m["article"]
                prev = entry["repeats"].get(aid)
                if prev is None or m["score"] > prev[1]:
                    entry["repeats"][aid] = (m["claim_text"], float(m["score"]))
        claims.append(MatchedClaimView(str(row.get("ref") or ms[0]["article"]), row.get("title"), row.get("outlet"),
                                       row.get("published"), cid, ms[0]["claim_text"], tuple(views)))
    out_debunked = []
    for key, entry in debunked.items():
        f = entry["f"]
        when = (f.get("published") or "")[:10] or None
        repeats = []
        for aid, (text, score) in entry["repeats"].items():
            row = index.get(aid, {})
            day = str(row.get("published") or "")[:10] or None
            after = None if not (when and day) else day > when
            repeats.append(RepeatView(str(row.get("ref") or aid), row.get("outlet"), row.get("published"), after,
                                      text, score))
        repeats.sort(key=lambda r: (str(r.published or "9999"), r.article_ref))
        outlets_after = tuple(dict.fromkeys(r.outlet or r.article_ref for r in repeats if r.after_debunk))
        out_debunked.append(DebunkedView(key, f.get("claim") or "", f.get("rating"), f.get("verdict") or "unrated",
                                         f.get("publisher"), safe_link(f.get("url")), f.get("url"), when,
                                         tuple(repeats), outlets_after))
    out_debunked.sort(key=lambda d: (-len(d.outlets_after), -len(d.repeats), d.claim))
    from narratrace.factchecks.tiers import tiers_note

    return FactcheckSection(total, len(claims), tuple(claims[:limit]), max(0, len(claims) - limit),
                            tuple(out_debunked), tiers_note())


def build_report_section(store: Store, context: SectionContext) -> Section | None:
    view = build_factcheck_section(store)
    return None if view is None else Section(
        "factchecks", "report_factchecks.html", view,
        (NavLink("factchecks", f"Fact-checks ({view.matched_claims:,} claims matched)"),))
