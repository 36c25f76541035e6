"""The JSON export: the stable contract other tools read (extend freely, never break).

``republications`` name articles by ``ref``; offsets index into each article's text
as stored (``articles[].chars`` long). ``coverage`` counts, per stage, the articles it analysed
and those it did not, by reason (``"language ru"``); ``articles[].not_analysed`` names them. After the articles, each registered analysis adds its
sections (``Analysis.export``), in registry order.
"""

from __future__ import annotations

from typing import Any

from narratrace.analyses import registered_analyses, resolve
from narratrace.store import Store

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
    skipped = store.not_analysed()
    for item in articles:  # which stages did not analyse it, and why ("language ru")
        item["not_analysed"] = skipped.get(item["id"], {})
    data: dict[str, Any] = {"narratrace_export": EXPORT_VERSION, "articles": articles,
                            "coverage": {stage: {"analysed": analysed, "not_analysed": reasons}
                                         for stage, (analysed, reasons) in store.stage_coverage().items()}}
    for analysis in registered_analyses():
        if analysis.export:
            data.update(resolve(analysis.export)(store, ref))
    return data
