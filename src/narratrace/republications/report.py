"""The report's republication sections: groups with their original, and copies side by side.

Highlighted text is built by cutting the text at offsets into :class:`Segment` records that the
template escapes one by one; no markup is ever inserted into raw text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from narratrace.model import Article, RepublicationGroup, RepublicationPair
from narratrace.sections import ArticleRow, Limits, NavLink, Section, SectionContext
# text cut at a pair's evidence: shared with the web app's article page, so they live in sections
from narratrace.sections import ADDITION_LABELS, AdditionSummary, Marker, Segment, addition_summary, segment_text  # noqa: F401 (re-exported)
from narratrace.store import Store


@dataclass(frozen=True, slots=True)
class MemberView:
    """One copy in a group, with the evidence of the pair that makes it a copy."""

    article: ArticleRow
    copied_from: ArticleRow | None      # set when the pair's original is not the group's original
    pair: int | None                    # PairView.index when the side-by-side view is in the report
    similarity: float | None
    copy_share: float | None
    additions: tuple[AdditionSummary, ...]
    edits: int
    edited_sentences: int

@dataclass(frozen=True, slots=True)
class GroupView:
    id: int
    original: ArticleRow
    reason: str
    members: tuple[MemberView, ...]      # copies only (the original is ``original``)
    members_not_shown: int

@dataclass(frozen=True, slots=True)
class SideView:
    """One side of a side-by-side view: the text cut into segments."""

    article: ArticleRow
    segments: tuple[Segment, ...]
    chars_not_shown: int                 # text beyond Limits.side_chars

@dataclass(frozen=True, slots=True)
class PairView:
    index: int                           # 1-based; the page anchor is ``pair-<index>``
    original: ArticleRow
    copy: ArticleRow
    similarity: float
    copy_share: float
    original_share: float
    reason: str
    evidence: str
    passages: int
    additions: tuple[AdditionSummary, ...]
    edits: int
    edited_sentences: int
    left: SideView | None                # None when the text is not available
    right: SideView | None

    @property
    def anchor(self) -> str:
        return f"pair-{self.index}"

def _order_pairs(pairs: Sequence[RepublicationPair],
                 groups: Sequence[RepublicationGroup]) -> list[RepublicationPair]:
    """Pairs in group order (the pairs of group 1 first), then pairs outside any group."""
    rank: dict[str, tuple[int, int]] = {}
    for gi, g in enumerate(groups):
        for mi, m in enumerate(g.members):
            rank.setdefault(m, (gi, mi))
    last = (len(groups), 0)
    keyed = sorted(enumerate(pairs), key=lambda ip: (rank.get(ip[1].copy, last), ip[0]))
    return [p for _, p in keyed]

def group_view(group: RepublicationGroup, pairs: Sequence[RepublicationPair], row: Callable[[str], ArticleRow],
                view_of: Mapping[tuple[str, str], int], limits: Limits) -> GroupView:
    by_copy: dict[str, list[RepublicationPair]] = {}
    for p in pairs:
        by_copy.setdefault(p.copy, []).append(p)
    copies = [m for m in dict.fromkeys(group.members) if m != group.original]
    members = []
    for m in copies[:limits.members]:
        candidates = by_copy.get(m, [])
        # the pair with the group's original, else one with another member, else any
        pair = next((p for p in candidates if p.original == group.original), None) \
            or next((p for p in candidates if p.original in group.members), None) \
            or (candidates[0] if candidates else None)
        if pair is None:
            members.append(MemberView(row(m), None, None, None, None, (), 0, 0))
            continue
        members.append(MemberView(
            article=row(m),
            copied_from=row(pair.original) if pair.original != group.original else None,
            pair=view_of.get((pair.original, pair.copy)),
            similarity=pair.similarity, copy_share=pair.copy_share,
            additions=addition_summary(pair), edits=len(pair.edits),
            edited_sentences=len(pair.edited_sentences)))
    return GroupView(id=group.id, original=row(group.original), reason=group.reason,
                     members=tuple(members), members_not_shown=max(0, len(copies) - limits.members))

def pair_view(index: int, pair: RepublicationPair, row: Callable[[str], ArticleRow], texts: Mapping[str, Article],
               limits: Limits) -> PairView:
    orig, copy = texts.get(pair.original), texts.get(pair.copy)
    left = right = None
    if orig is not None:
        ranges = [(p.original_start, p.original_end, "passage", i + 1) for i, p in enumerate(pair.passages)]
        ranges += [(e.original_start, e.original_end, "edit", i + 1) for i, e in enumerate(pair.edits)]
        left = _side(row(orig.id), orig.text, ranges, limits.side_chars)
    if copy is not None:
        ranges = [(p.copy_start, p.copy_end, "passage", i + 1) for i, p in enumerate(pair.passages)]
        ranges += [(a.start, a.end, "addition", a.label or "addition") for a in pair.additions]
        ranges += [(e.copy_start, e.copy_end, "edit", i + 1) for i, e in enumerate(pair.edits)]
        right = _side(row(copy.id), copy.text, ranges, limits.side_chars)
    return PairView(
        index=index, original=row(pair.original), copy=row(pair.copy),
        similarity=pair.similarity, copy_share=pair.copy_share, original_share=pair.original_share,
        reason=pair.reason, evidence=pair.evidence, passages=len(pair.passages),
        additions=addition_summary(pair), edits=len(pair.edits),
        edited_sentences=len(pair.edited_sentences), left=left, right=right)

def _side(article: ArticleRow, text: str, ranges: Iterable[tuple[int, int, str, Any]],
          limit: int) -> SideView:
    n = min(len(text), limit)
    return SideView(article, tuple(segment_text(text[:n], ranges)), len(text) - n)


@dataclass(frozen=True, slots=True)
class RepublicationsSection:
    groups: tuple[GroupView, ...]
    groups_not_shown: int
    pairs: tuple[PairView, ...]
    pairs_not_shown: int


def build_report_section(store: Store, context: SectionContext) -> Section:
    """Groups with their original and members, and the pairs side by side (texts only of those shown)."""
    limits, row = context.limits, context.row
    pairs = store.republication_pairs()
    groups = store.republication_groups()
    ordered = _order_pairs(pairs, groups)
    shown = ordered[:limits.pair_views]
    needed = {i for p in shown for i in (p.original, p.copy)}
    texts = {a.id: a for a in store.articles(needed)} if needed else {}
    pair_views = tuple(pair_view(i + 1, p, row, texts, limits) for i, p in enumerate(shown))
    view_of = {(p.original, p.copy): v.index for p, v in zip(shown, pair_views)}
    group_views = tuple(group_view(g, pairs, row, view_of, limits) for g in groups[:limits.groups])
    view = RepublicationsSection(group_views, max(0, len(groups) - limits.groups), pair_views,
                                 max(0, len(ordered) - len(shown)))
    return Section("republications", "report_republications.html", view,
                   (NavLink("groups", f"Republication groups ({len(groups):,})"),
                    NavLink("pairs", f"Side by side ({len(pairs):,})")))
