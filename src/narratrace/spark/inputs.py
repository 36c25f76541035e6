"""Input files for the Spark engine, parsed by the local ingestion code (one parser, two runners).

Local paths are expanded by :func:`narratrace.ingest.discover` (same order, same NT201 skips as
``narratrace ingest``); a URI with a scheme (``hdfs://``, ``s3a://``, ``file://``) is listed and
read by Spark's ``binaryFile`` source, so any file system Hadoop reads works. Each file is then
parsed on an executor by :func:`parse_file`: ``read_file`` + ``build_article``, exactly what local
ingest runs, plus Parquet files whose rows carry the JSONL fields. A file that cannot be read
becomes a ``Skipped`` row with its reason and code; it never fails the job.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa

from narratrace.ingest import build_article, discover, read_file
from narratrace.ingest.readers import map_fields
from narratrace.ingest.record import Record
from narratrace.model import Article, Skipped
from narratrace.spark.rows import ARTICLE_SCHEMA, article_row, seq_of

__all__ = ["PARSED_SCHEMA", "InputFile", "describe", "is_uri", "local_inputs", "parse_batches", "parse_file",
           "read_parquet_records"]

#: What parsing yields: an article row, or a skip (``skip_*`` set, article columns null).
PARSED_SCHEMA = pa.schema([("file_index", pa.int64()), *ARTICLE_SCHEMA,
                           ("skip_path", pa.string()), ("skip_reason", pa.string()), ("skip_code", pa.string())])


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file: its place in ingestion order, and whether Spark must read it (a URI)."""

    index: int
    path: str
    remote: bool = False


def is_uri(raw: str) -> bool:
    """A Hadoop file-system URI (read through Spark) rather than a local path."""
    return "://" in raw


def local_inputs(paths: list[str]) -> tuple[list[InputFile], list[Skipped]]:
    """Local files in the order ``narratrace ingest`` reads them, and the missing inputs."""
    files, skips = discover(paths)
    return [InputFile(n, str(p)) for n, p in enumerate(files)], skips


def read_parquet_records(path: Path) -> Iterator[Record | Skipped]:
    """Rows of a Parquet file with the JSONL fields (:data:`narratrace.ingest.readers.FIELD_MAP`)."""
    import pyarrow.parquet as pq

    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=1000)
        row = 0
        for batch in batches:
            for obj in batch.to_pylist():
                row += 1
                where = f"{path}#{row}"
                found = map_fields(obj, ref=f"{path.stem}-{row}", source=where, kind="parquet")
                yield Skipped(where, f"row {row}: {found}", "NT207") if isinstance(found, str) else found
    except (OSError, pa.ArrowException) as exc:
        yield Skipped(str(path), f"cannot read Parquet: {type(exc).__name__}: {exc}", "NT203")


def _items(path: Path) -> Iterator[Record | Skipped]:
    if path.name.lower().endswith(".parquet"):
        return read_parquet_records(path)
    return read_file(path)


def parse_file(path: Path) -> Iterator[Article | Skipped]:
    """Articles and skips of one file, as ``narratrace ingest`` builds them; never raises."""
    try:
        for item in _items(path):
            yield build_article(item) if isinstance(item, Record) else item
    except Exception as exc:  # one bad file must never fail the job: it becomes a skip
        yield Skipped(str(path), f"cannot read: {type(exc).__name__}: {exc}", "NT203")


def _parse_remote(uri: str, content: bytes) -> Iterator[Article | Skipped]:
    """A file read by Spark: parsed from a local copy, then named by its URI again."""
    with tempfile.TemporaryDirectory(prefix="narratrace-") as tmp:
        local = Path(tmp) / uri.rstrip("/").rsplit("/", 1)[-1]
        local.write_bytes(content)
        for item in parse_file(local):
            if isinstance(item, Skipped):
                yield replace(item, path=item.path.replace(str(local), uri))
            else:
                yield replace(item, source=(item.source or "").replace(str(local), uri))


def parse_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body: rows ``(file_index, path, content)`` in, :data:`PARSED_SCHEMA` rows out."""
    for batch in batches:
        for task in batch.to_pylist():
            rows = []
            items = (parse_file(Path(task["path"])) if task.get("content") is None
                     else _parse_remote(task["path"], task["content"]))
            for n, item in enumerate(items):
                if isinstance(item, Skipped):
                    rows.append({"file_index": task["file_index"], "skip_path": item.path,
                                 "skip_reason": item.reason, "skip_code": item.code})
                else:
                    rows.append({"file_index": task["file_index"], **article_row(item, seq_of(task["file_index"], n))})
                if len(rows) >= 200:
                    yield pa.RecordBatch.from_pylist(rows, schema=PARSED_SCHEMA)
                    rows = []
            if rows:
                yield pa.RecordBatch.from_pylist(rows, schema=PARSED_SCHEMA)


def describe(files: list[InputFile]) -> list[dict[str, object]]:
    """Inputs for the manifest and the run key: path, size and mtime of local files."""
    out: list[dict[str, object]] = []
    for f in files:
        p = Path(f.path)
        st = p.stat() if not f.remote and p.exists() else None
        out.append({"path": f.path, "size": st.st_size if st else None, "mtime_ns": st.st_mtime_ns if st else None})
    return out


