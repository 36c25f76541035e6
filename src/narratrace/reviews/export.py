"""The reviews' part of the JSON export (every item's latest review, with its status now), and the
reviews in the benchmark formats that ``narratrace train`` reads (each kind's analysis writes its own)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from narratrace.errors import ConfigError
from narratrace.reviews.queue import review_kinds, review_status, reviewed_items
from narratrace.store import Store
from narratrace.store.reviews import load_part

__all__ = ["SUMMARY", "benchmark_formats", "export_benchmark", "export_section"]

#: The file in an exported benchmark folder that says what was written and what was skipped, and why.
SUMMARY = "review-export.json"


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    out = []
    for review, status in review_status(store):
        out.append({**review.to_dict(), "article": ref.get(review.article_id, review.article_id), "status": status})
    out.sort(key=lambda r: (r["kind"], r["key"]))
    return {"reviews": out}


def benchmark_formats() -> dict[str, str]:
    """Benchmark format -> the review kind whose reviews it holds."""
    return {k.benchmark: k.name for k in review_kinds().values() if k.benchmark and k.benchmark_writer}


def export_benchmark(store: Store, fmt: str, out: str | Path) -> dict[str, Any]:
    """Write the latest reviews of the kind that ``fmt`` holds into the folder ``out`` in that format,
    with :data:`SUMMARY` listing what was written and each review skipped with its reason."""
    formats = benchmark_formats()
    if fmt not in formats:
        raise ConfigError(f"unknown benchmark format {fmt!r}; known: {', '.join(sorted(formats)) or 'none'}")
    kind = review_kinds()[formats[fmt]]
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file; a benchmark export writes a folder")
    folder.mkdir(parents=True, exist_ok=True)
    reviewed = reviewed_items(store, kind.name)
    result = load_part(str(kind.benchmark_writer))(store, reviewed, folder)
    ref = store.refs()
    skipped = sorted(result.get("skipped", []), key=lambda s: s["key"])
    for s in skipped:
        aid = s["key"].split(":", 2)[1] if s["key"].count(":") >= 2 else ""
        s["article"] = ref.get(aid, aid)
    summary = {"format": fmt, "kind": kind.name, "reviews": len(reviewed), "written": result.get("written", {}),
               "skipped": skipped}
    (folder / SUMMARY).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary
