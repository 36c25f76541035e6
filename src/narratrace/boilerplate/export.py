"""The boilerplate part of the JSON export: each line found, its outlet and the articles that carry it."""

from __future__ import annotations

from typing import Any

from narratrace.store import Store

__all__ = ["export_section"]


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    """``{"boilerplate": [{"text", "outlet", "articles": [refs]}]}``, most carried first."""
    outlets = {row["id"]: row["outlet"] for row in store.article_index()}
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for article_id, a in store.annotations_of_kind("boilerplate"):
        outlet = outlets.get(article_id) or ""
        key = (outlet.strip().lower(), str(a.data.get("key")))
        line = lines.get(key)
        if line is None:
            text = store.article(article_id).text[a.start:a.end]
            line = lines[key] = {"text": text, "outlet": outlet or None, "articles": []}
        if ref[article_id] not in line["articles"]:
            line["articles"].append(ref[article_id])
    found = sorted(lines.values(), key=lambda d: (-len(d["articles"]), d["outlet"] or "", d["text"]))
    return {"boilerplate": found}
