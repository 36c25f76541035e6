"""The ``factcheck_matches`` stage on Spark: the fact-check table broadcast, retrieval per partition.

The run's reference store (``narratrace spark analyze --reference STORE``, a store with the
fact-checks imported) is shipped to every executor; each article partition is matched against it
by the local stage's own code (:func:`narratrace.spark.corpus.per_partition`): one article's
matches depend on that article and the fact-checks only, so the answer is the local engine's.
The matches go to the table ``factcheck_matches`` (one row per match: the export's JSON, with the
unrounded score), which :func:`load` puts into a store with the stage's own ``save``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["TABLE", "load", "match_rows", "run_on_spark"]

TABLE = "factcheck_matches"


def match_rows(store: Any, ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """``(table, key, json)`` for every match the task store holds (``key``: article id, claim, rank)."""
    from narratrace.factchecks.store import stored_matches

    return [(TABLE, f"{aid}\t{cid}\t{rank:04d}", json.dumps({"score": score, "match": data}, ensure_ascii=False))
            for aid, cid, rank, score, data in stored_matches(store)]


def run_on_spark(ctx: Any) -> dict[str, Any]:
    from narratrace.spark.corpus import input_stages, per_partition, stage_tables_done, write_stage_rows

    if stage_tables_done(ctx) and ctx.out.exists(TABLE):
        ctx.reused.append(TABLE)
        return {"version": ctx.version}
    ctx.say(f"stage {ctx.name} (fact-checks {'shipped' if ctx.reference else 'none: no --reference store'})")
    rows = per_partition(ctx, input_stages(ctx.name, list(ctx.versions)), extra=__name__ + ":match_rows")
    write_stage_rows(ctx, rows, extra=TABLE)
    return {"version": ctx.version}


def load(root: Path, store: Any, stage: str, version: str) -> int:
    """The matches of a Spark output into ``store`` (the stage's ``save``; articles are marked done by the
    stage's result rows, loaded before)."""
    import pyarrow.dataset as ds

    from narratrace.factchecks.results import ClaimMatch, FactcheckMatchResult
    from narratrace.factchecks.store import save_factcheck_matches

    manifest = json.loads((root / "_manifest.json").read_text(encoding="utf-8"))
    if not manifest.get("reference") and _has_factchecks(store):
        # Spark matched against no fact-checks (no --reference) but this store has some: its "done"
        # rows would say every article was matched and found nothing. Leave them pending instead, so
        # that `narratrace analyze` matches them here.
        import logging

        ids = [aid for aid, _ in store.stage_data(stage)]
        store.forget_stage_results([stage], ids)
        logging.getLogger(__name__).warning(
            "%s: the Spark run had no fact-checks (no --reference) and this store has %d; the %d articles "
            "are left for `narratrace analyze` to match", stage, _has_factchecks(store), len(ids))
        return 0
    if not (root / TABLE).exists():
        return 0
    matches = []
    for row in ds.dataset(root / TABLE, format="parquet").to_table().to_pylist():
        found = json.loads(row["data"])
        m = found["match"]
        matches.append(ClaimMatch(m["article"], m["claim"], m["claim_text"], m["factcheck_key"], int(m["rank"]),
                                  float(found["score"]), m["factcheck"], m["tier"]))
    save_factcheck_matches(store, stage, version, FactcheckMatchResult(tuple(matches), ()))
    return len(matches)


def _has_factchecks(store: Any) -> int:
    from narratrace.factchecks.store import count_factchecks

    return count_factchecks(store)
