"""The JSON export: the stable contract other tools read (extend freely, never break).

``republications`` name articles by ``ref``; offsets index into each article's text
as stored (``articles[].chars`` long).
"""

from __future__ import annotations

from typing import Any

from .store import Store

__all__ = ["EXPORT_VERSION", "export_corpus"]

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
    return {"narratrace_export": EXPORT_VERSION, "articles": articles, "republications": republications,
            "republication_groups": groups, "skipped": [s.to_dict() for s in store.skipped()]}
