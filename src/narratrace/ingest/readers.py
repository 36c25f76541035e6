"""One reader per file format: ``read_<format>(path) -> Iterator[Record | Skipped]``.

A reader raises :class:`~narratrace.errors.InputError` when the whole file is
unreadable and yields :class:`Skipped` for single bad records, so one bad line never
costs the rest of the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import InputError
from ..model import Skipped
from .record import Record

__all__ = ["READERS", "reader_for", "read_jsonl", "read_txt"]

MAX_FILE_BYTES = 20_000_000


def _decode(data: bytes, path: Path) -> str:
    if b"\x00" in data[:8192]:
        raise InputError("binary file (NUL bytes), not text", path=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid UTF-8 at byte {exc.start}", path=str(path)) from exc


def read_txt(path: Path) -> Iterator[Record | Skipped]:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"text file of {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for one article",
                         path=str(path))
    yield Record(ref=path.stem, text=_decode(path.read_bytes(), path), source=str(path), kind="txt")


def read_jsonl(path: Path) -> Iterator[Record | Skipped]:
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}#{lineno}"
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield Skipped(where, f"line {lineno} is not valid JSON: {exc}", "NT206")
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                yield Skipped(where, f"line {lineno} has no string field 'text'", "NT207")
                continue
            ref = str(obj.get("id") or f"{path.stem}-{lineno}")
            yield Record(ref=ref, text=obj["text"], source=where, kind="jsonl", title=obj.get("title"),
                         url=obj.get("url"), outlet=obj.get("outlet"), author=obj.get("author"),
                         published=obj.get("published"),
                         published_how="jsonl:published" if obj.get("published") else None)


READERS: dict[str, Callable[[Path], Iterator[Record | Skipped]]] = {
    ".txt": read_txt,
    ".jsonl": read_jsonl,
}


def reader_for(path: Path) -> Callable[[Path], Iterator[Record | Skipped]] | None:
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None
