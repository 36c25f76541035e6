"""``narratrace load``: the Spark engine's Parquet tables into a store, through the Store API.

Needs pyarrow only. Articles go in ingestion order (``seq``), so store row order and every
"ingested first" decision match the local engine; then skips, each stage's results, and the
republication pairs and groups with every article marked compared, under the versions in the
manifest, so ``narratrace analyze`` afterwards skips what Spark did and runs only the rest.
Each batch is one transaction and every write is an upsert: loading twice adds nothing.

Memory stays that of one batch: the engine writes articles, stage results and annotations
sorted by ``seq`` (Spark's ordered write makes each part file a range), so they are read part
file by part file and a stage's results and annotations are merged side by side.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narratrace.analyses import registered_analyses, resolve
from narratrace.errors import InputError
from narratrace.model import Annotation, RepublicationGroup, RepublicationPair, Skipped
from narratrace.store import Store
from narratrace.spark.rows import article_from_row

__all__ = ["LoadReport", "load_output"]

BATCH_SIZE = 500


@dataclass(slots=True)
class LoadReport:
    articles_added: int = 0
    articles_unchanged: int = 0
    articles_updated: int = 0
    skipped: int = 0
    stage_results: dict[str, int] = dataclasses.field(default_factory=dict)
    pairs: int = 0
    groups: int = 0
    tables: dict[str, int] = dataclasses.field(default_factory=dict)  # rows of each analysis's own table


def _dataset(root: Path, name: str) -> Any:
    import pyarrow.dataset as ds

    return ds.dataset(root / name, format="parquet", partitioning="hive") if (root / name).exists() else None


def _in_seq_order(directory: Path, size: int) -> Iterator[list[dict[str, Any]]]:
    """Rows of a table written in ``seq`` order, ``size`` at a time, reading one part file at a time."""
    import pyarrow.parquet as pq

    files = sorted(directory.rglob("*.parquet"))
    last = -1
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=size):
            rows = batch.to_pylist()
            for row in rows:
                if "seq" not in row or row["seq"] < last:
                    raise InputError(f"{directory} is not in ingestion order (written by an older narratrace?); "
                                     "run `narratrace spark analyze` again", path=str(directory))
                last = row["seq"]
            if rows:
                yield rows


def load_output(directory: str | Path, store: Store, *, batch_size: int = BATCH_SIZE,
                progress: Callable[[str, int, int], None] | None = None) -> LoadReport:
    """Write the tables under ``directory`` into ``store`` (idempotent; see the module docstring), holding
    the store's writers' lock as ``analyze`` does."""
    with store.write_lock("load"):
        return _load_output(directory, store, batch_size=batch_size, progress=progress)


def _load_output(directory: str | Path, store: Store, *, batch_size: int,
                 progress: Callable[[str, int, int], None] | None) -> LoadReport:
    root = Path(directory)
    manifest_path = root / "_manifest.json"
    if not manifest_path.is_file():
        raise InputError(f"{root} is not a finished `narratrace spark analyze` output (no _manifest.json)",
                         path=str(root))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    report = LoadReport()
    seq: dict[str, int] = {}
    for rows in _in_seq_order(root / "articles", batch_size):
        counts = store.write_articles([article_from_row(r) for r in rows])
        seq.update((r["id"], r["seq"]) for r in rows)
        report.articles_added += counts.added
        report.articles_updated += counts.updated
        report.articles_unchanged += counts.unchanged
        if progress:
            progress("load articles", report.articles_added + report.articles_updated + report.articles_unchanged,
                     int((manifest.get("rows") or {}).get("articles") or 0))
    skipped = _dataset(root, "skipped")
    if skipped is not None:
        skips = [Skipped(r["path"], r["reason"], r["code"]) for r in skipped.to_table().to_pylist()]
        store.add_skips(skips)
        report.skipped = len(skips)
    for stage in manifest["stages"]:
        if (root / "stage_results" / f"stage={stage}").exists():
            report.stage_results[stage] = _load_stage(root, stage, store, batch_size)
    pairs_ds = _dataset(root, "republication_pairs")
    if pairs_ds is not None and "republications" in manifest["stages"]:
        pairs = [dataclasses.replace(RepublicationPair.from_dict(json.loads(r["data"])),
                                     similarity=r["similarity"], copy_share=r["copy_share"])
                 for r in pairs_ds.to_table().sort_by([("seq_low", "ascending"), ("seq_high", "ascending")])
                 .to_pylist()]
        groups = [RepublicationGroup(r["id"], r["original"], tuple(json.loads(r["members"])), r["reason"])
                  for r in _dataset(root, "republication_groups").to_table().sort_by("id").to_pylist()]
        ordered = sorted(seq, key=seq.__getitem__)
        store.save_republications("republications", manifest["stages"]["republications"], pairs=pairs,
                                  groups=groups, compared=ordered)
        report.pairs, report.groups = len(pairs), len(groups)
    for analysis in registered_analyses():  # whole-corpus tables (claim groups, stories...): each analysis's loader
        for stage, ref in analysis.spark_load.items():
            if stage in manifest["stages"]:
                report.tables[stage] = resolve(ref)(root, store, stage, manifest["stages"][stage])
    return report


def _load_stage(root: Path, stage: str, store: Store, batch_size: int) -> int:
    """One stage's results with their annotations, merged in ingestion order, ``batch_size`` articles a transaction."""
    ann_dir = root / "annotations" / f"stage={stage}"
    annotations = (row for rows in (_in_seq_order(ann_dir, 10 * batch_size) if ann_dir.exists() else ())
                   for row in rows)
    waiting = next(annotations, None)
    done = 0
    for batch in _in_seq_order(root / "stage_results" / f"stage={stage}", batch_size):
        by_version: dict[str, list[tuple[str, str, Any, list[Annotation]]]] = {}
        not_analysed: dict[str, list[tuple[str, str]]] = {}
        for r in batch:
            if r.get("skipped"):  # the stage did not analyse it (its language): no data, no annotations
                not_analysed.setdefault(r["version"], []).append((r["article_id"], r["skipped"]))
                continue
            own: list[Annotation] = []
            while waiting is not None and waiting["seq"] <= r["seq"]:
                if waiting["seq"] == r["seq"]:  # sorted by (seq, ordinal): the stage's own order
                    own.append(Annotation(waiting["kind"], waiting["start"], waiting["end"], waiting["label"],
                                          json.loads(waiting["data"])))
                waiting = next(annotations, None)
            by_version.setdefault(r["version"], []).append((r["article_id"], r["content_hash"], r["data"], own))
        for version, rows in by_version.items():
            store.save_stage_results(stage, version, rows)
        for version, reasons in not_analysed.items():
            store.save_not_analysed(stage, version, reasons)
        done += len(batch)
    return done
