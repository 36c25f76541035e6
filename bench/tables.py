#!/usr/bin/env python
"""Web tables benchmark: page, facet and export time of /tables/* with many rows (SQLite).

    .venv/bin/python bench/tables.py [--copies N] [--workdir DIR] [--json]

1. Builds (once, cached in the workdir as ``tables-base.db``) a store of examples/corpus with the
   example fact-checks imported, analysed by every stage.
2. Copies it and repeats every claim, entity-role and technique annotation N times (default 1,000:
   198,000 claims on the example corpus), so the tables have many rows while the analyses'
   output stays real. Repeated rows share their article, so text reads are cache-friendly: this
   measures the queries, not the disk.
3. Times, in one process (FastAPI's TestClient, no network), each request once: the first (uncached)
   and second unfiltered claims page, filtered, searched, sorted and deep pages, the sources table,
   and the CSV export of every claim.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = ["/tables/claims", "/tables/claims", "/tables/claims?outlet=Daily+Meridian", "/tables/claims?q=drones",
            "/tables/claims?sort=score", "/tables/claims?offset=190000", "/tables/sources",
            "/tables/sources?outlet=Daily+Meridian", "/tables/framing?role=Innocent",
            "/tables/techniques?technique=Loaded_Language", "/tables/claims.json?outlet=Daily+Meridian",
            "/tables/claims.csv"]


def build_base(path: Path) -> None:
    from narratrace import Store, analyze
    from narratrace.factchecks import import_factchecks
    from narratrace.ingest import ingest

    with Store(path) as store:
        ingest(store, [ROOT / "examples" / "corpus"], workers=1)
        import_factchecks(store, ROOT / "examples" / "factchecks.jsonld")
        analyze(store)


def multiply(path: Path, copies: int) -> int:
    con = sqlite3.connect(path)
    with con:
        con.execute(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {copies - 1}) "
                    'INSERT INTO annotations (article_id, stage, kind, start, "end", label, data) '
                    'SELECT a.article_id, a.stage, a.kind, a.start, a."end", a.label, a.data FROM annotations a, n '
                    "WHERE a.kind IN ('claim', 'framing', 'technique')")
    claims = int(con.execute("SELECT count(*) FROM annotations WHERE kind = 'claim'").fetchone()[0])
    con.close()
    return claims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".cache")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from narratrace.web import create_app

    args.workdir.mkdir(parents=True, exist_ok=True)
    base = args.workdir / "tables-base.db"
    if not base.exists():
        build_base(base)
    db = args.workdir / f"tables-x{args.copies}.db"
    shutil.copy(base, db)
    claims = multiply(db, args.copies) if args.copies > 1 else None
    results = []
    with TestClient(create_app(str(db))) as client:
        for url in REQUESTS:
            t0 = time.perf_counter()
            r = client.get(url)
            ms = (time.perf_counter() - t0) * 1000
            results.append({"url": url, "status": r.status_code, "bytes": len(r.content), "ms": round(ms)})
            print(f"{ms:9.0f} ms  {r.status_code}  {len(r.content):>12,} B  {url}", file=sys.stderr)
    db.unlink()
    if args.json:
        print(json.dumps({"claims": claims, "copies": args.copies, "requests": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
