"""Regenerate ``docs/screenshots/*.png``: the pictures of the web app and the report (``make screenshots``).

Builds the demo corpus as ``make demo`` does (``examples/corpus`` with ``examples/factchecks.jsonld``,
ingested and analysed into a throwaway store, plus one undated repost written here so the pictures
show the undated lane; or ``--db`` an existing one), serves the web app on
loopback with uvicorn, and photographs its pages and the report's sections in headless Chromium
(``/usr/bin/chromium`` driven by playwright, as ``tests/test_web_browser.py`` does). Nothing is
fetched from the network; only our own example articles appear in the pictures.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--db FILE]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
MAX_BYTES = 300_000


#: An undated repost of one example article, written here, so that the pictures show how undated
#: articles are drawn (the example corpus has a date on every article).
UNDATED_REPOST = {"id": "kessport-mirror-undated-repost", "outlet": "Kessport Mirror",
                  "title": "Veloria accuses Marrenland of smuggling drones (republished)",
                  "preamble": "This article was first published by the Harbour Courier "
                              "and is republished with permission."}
ORIGINAL = "harbour-courier-drones"


def build_demo(path: Path) -> Path:
    import json

    from narratrace import analyze
    from narratrace.factchecks import import_factchecks
    from narratrace.ingest import ingest
    from narratrace.store import Store

    with Store(path) as store:
        ingest(store, [ROOT / "examples" / "corpus"], workers=1)
        original = next(a for a in store.articles() if a.ref == ORIGINAL)
        repost = path.parent / "undated-repost.jsonl"
        repost.write_text(json.dumps({"id": UNDATED_REPOST["id"], "outlet": UNDATED_REPOST["outlet"],
                                      "title": UNDATED_REPOST["title"],
                                      "text": UNDATED_REPOST["preamble"] + "\n\n" + original.text}) + "\n",
                          encoding="utf-8")
        ingest(store, [repost], workers=1)
        import_factchecks(store, ROOT / "examples" / "factchecks.jsonld")
        analyze(store)
    return path


def shoot(page: Any, selector: str, out: Path) -> None:
    page.locator(selector).first.scroll_into_view_if_needed()
    page.locator(selector).first.screenshot(path=str(out))
    size = out.stat().st_size
    print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {size:,} bytes")
    if size > MAX_BYTES:
        raise SystemExit(f"{out} is {size:,} bytes, over {MAX_BYTES:,}: make the picture smaller")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--db", type=Path, help="an analysed store (default: the demo corpus, built now)")
    args = parser.parse_args()
    from playwright import sync_api

    from narratrace.report import build_report, render_html
    from narratrace.store import open_store
    from narratrace.web import create_app
    from narratrace.web.server import served_in_thread

    work = Path(tempfile.mkdtemp(prefix="narratrace-shots-"))
    try:
        db = args.db or build_demo(work / "demo.db")
        with open_store(str(db), readonly=True) as store:
            (work / "report.html").write_text(render_html(build_report(store, title="narratrace demo")),
                                              encoding="utf-8")
        args.out.mkdir(parents=True, exist_ok=True)
        problems: list[str] = []
        with served_in_thread(create_app(str(db))) as base:
            with sync_api.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                        if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.goto(base + "/provenance")
                shoot(page, "main", args.out / "spread.png")
                page.locator(".nt-kind-cites").first.uncheck()  # the copy links alone
                shoot(page, ".nt-spread", args.out / "spread-copies-only.png")
                page.goto(base + "/stories/map")
                page.locator(".nt-point").first.hover()
                shoot(page, "main", args.out / "story-map.png")
                page.goto(base + "/stories")
                story = page.locator("table.stories a[href^='/stories/st-']").first.get_attribute("href")
                page.goto(base + str(story))
                shoot(page, "main", args.out / "story-timeline.png")
                page.goto((work / "report.html").as_uri())
                shoot(page, "#spread", args.out / "report-spread.png")
                shoot(page, "#story-map", args.out / "report-story-map.png")
                browser.close()
        if problems:
            raise SystemExit("the pages reported problems:\n" + "\n".join(problems))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
