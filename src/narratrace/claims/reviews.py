"""What reviewers review of the claim groups: each claim's membership of its group.

One item per grouped claim (keyed by its article and claim id). A reviewer confirms or rejects that
the claim belongs to its group, or corrects it: moves it to another group (its own group's
article-mates first, then the corpus's largest groups, :data:`MAX_OPTIONS` in all, so that a page of
the queue stays small on a corpus of thousands of groups) or out of every group (``none``). The certainty is the claim's similarity to its group
(as the ``claim_groups`` stage scored it) against the stage's default threshold, 0.78.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from narratrace.store.reviews import ReviewItem, ReviewKind, answer_fingerprint

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["GROUP_REVIEW", "membership_items"]

STAGE = "claim_groups"
THRESHOLD = 0.78  # make_claim_groups's default
NONE = "none"
#: Groups a claim may be moved to, per item (besides ``none``).
MAX_OPTIONS = 50

GROUP_REVIEW = ReviewKind(
    "claim_group", "Claim groups", "", label_name="claim group", label_in_key=False, score_field=None,
    threshold=THRESHOLD, spans_editable=False, items="narratrace.claims.reviews:membership_items")
"""A claim in a claim group: confirm, reject, or move it to another group or out of every group."""


def membership_items(store: Store, kind: ReviewKind, *, article_ids: Sequence[str] | None,
                     outlet: str | None) -> Iterator[ReviewItem]:
    """Every member of every claim group (groups in their stored order), the groups as options."""
    groups = [json.loads(data) for (data,) in store.db.execute("SELECT data FROM claim_groups ORDER BY rowid")]
    if not groups:
        return
    titled = {str(g["id"]): " ".join(str(g.get("label") or g["id"]).split())[:160] for g in groups}
    groups_of: dict[str, list[str]] = {}  # article -> its groups, in stored order (largest first)
    for g in groups:
        for aid in dict.fromkeys(str(m.get("article")) for m in g.get("members") or ()):
            groups_of.setdefault(aid, []).append(str(g["id"]))
    largest = list(titled)[:MAX_OPTIONS]

    def options_of(group: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        near = [str(group["id"])] + [gid for m in group.get("members") or ()
                                     for gid in groups_of.get(str(m.get("article")), ())]
        chosen = list(dict.fromkeys(near + largest))[:MAX_OPTIONS]
        return (*((gid, titled[gid]) for gid in chosen), (NONE, "in no group: the claim repeats none of these"))

    cached: dict[str, tuple[tuple[str, str], ...]] = {}
    wanted = set(article_ids) if article_ids is not None else None
    articles: dict[str, tuple[str, str | None, str | None, str]] = {}
    versions: dict[str, str] = {}
    members = [(g, m) for g in groups for m in g.get("members") or ()
               if (wanted is None or m.get("article") in wanted)]
    ids = list(dict.fromkeys(str(m.get("article")) for _, m in members))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for aid, ref, title, art_outlet, text in store.db.execute(
                f"SELECT id, ref, title, outlet, text FROM articles WHERE id IN ({marks})", tuple(chunk)):
            articles[aid] = (ref, title, art_outlet, text or "")
        for aid, version in store.db.execute(
                f"SELECT article_id, version FROM stage_results WHERE stage = ? AND article_id IN ({marks})",
                (STAGE, *chunk)):
            versions[aid] = str(version or "")
    seen: set[str] = set()
    for group, m in members:
        aid = str(m.get("article"))
        if aid not in articles or (outlet is not None and articles[aid][2] != outlet):
            continue
        key = f"{kind.name}:{aid}:{m.get('claim')}"
        if key in seen:
            continue
        seen.add(key)
        ref, title, art_outlet, text = articles[aid]
        start, end = int(m.get("start") or 0), int(m.get("end") or 0)
        label = str(group["id"])
        answer = {"group_label": group.get("label")}
        if label not in cached:
            cached[label] = options_of(group)
        score = m.get("similarity")
        yield ReviewItem(kind.name, key, aid, ref, title, art_outlet, STAGE, versions.get(aid, ""), start, end, label,
                         text[start:end] or str(m.get("text") or ""),
                         float(score) if isinstance(score, (int, float)) else None, answer,
                         answer_fingerprint(label, start, end, {}), kind.threshold, cached[label])
