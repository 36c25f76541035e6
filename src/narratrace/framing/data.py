"""Reading labelled entity framing data in the SemEval-2025 Task 10 subtask-1 format.

A data folder holds the documents (``raw-documents/<id>.txt`` or ``subtask-1-documents/<id>.txt``;
line 1 the title, then a blank line and the body) and ``subtask-1-annotations.txt``: tab-separated
``file_id, mention, start, end, main_role, fine_role[, fine_role…]`` with ``end`` inclusive
(``text[start:end+1] == mention``). Documents are read byte for byte (``newline=""``) because the
offsets count ``\\r`` characters. A mention whose offsets do not match its string (a few in the
task's data are off by 1–4 characters) is re-anchored to the nearest occurrence of the string.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from narratrace.errors import InputError
from narratrace.evaluation import in_split
from narratrace.framing.taxonomy import MAIN_ROLES, load_taxonomy

__all__ = ["FramingDocument", "GoldMention", "read_framing_data"]

ANNOTATIONS = "subtask-1-annotations.txt"
DOC_DIRS = ("raw-documents", "subtask-1-documents", "documents")


@dataclass(frozen=True, slots=True)
class GoldMention:
    start: int   # half-open, into the document text
    end: int
    text: str
    main_role: str
    fine_roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FramingDocument:
    id: str
    text: str
    mentions: tuple[GoldMention, ...]


def _anchor(text: str, mention: str, start: int) -> int | None:
    if text[start:start + len(mention)] == mention:
        return start
    best = None
    pos = text.find(mention)
    while pos != -1:
        if best is None or abs(pos - start) < abs(best - start):
            best = pos
        pos = text.find(mention, pos + 1)
    return best if best is not None and abs(best - start) <= 10 else None


def read_framing_data(folder: str | Path, *, split: str = "all", limit: int | None = None
                      ) -> Iterator[FramingDocument]:
    """Documents of ``folder`` in ``split`` (by document id) with their gold mentions, sorted by id."""
    root = Path(folder)
    ann_path = root / ANNOTATIONS
    if not ann_path.is_file():
        raise InputError(f"{root} has no {ANNOTATIONS}: not a SemEval-2025 Task 10 subtask-1 folder",
                         path=str(root))
    doc_dir = next((root / d for d in DOC_DIRS if (root / d).is_dir()), None)
    if doc_dir is None:
        raise InputError(f"{root} has none of the document folders {', '.join(DOC_DIRS)}", path=str(root))
    taxonomy = load_taxonomy()
    fine_known = set(taxonomy.fine_roles)
    rows: dict[str, list[tuple[str, int, int, str, tuple[str, ...]]]] = {}
    for number, raw in enumerate(ann_path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        parts = line.split("\t")
        where = f"{ann_path}:{number}"
        if len(parts) < 6:
            raise InputError(f"{where}: expected file_id, mention, start, end, main_role, fine_role…; "
                             f"got {len(parts)} fields", path=str(ann_path))
        file_id, mention, start, end, main, *fines = (p.strip() if i != 1 else p for i, p in enumerate(parts))
        fines = [f for f in fines if f]
        if main not in MAIN_ROLES:
            raise InputError(f"{where}: unknown main role {main!r}", path=str(ann_path))
        bad = [f for f in fines if f not in fine_known or taxonomy.main_of(f) != main]
        if bad or not fines:
            raise InputError(f"{where}: fine roles {fines} do not belong to main role {main}", path=str(ann_path))
        try:
            s, e = int(start), int(end)
        except ValueError:
            raise InputError(f"{where}: start/end are not integers", path=str(ann_path)) from None
        rows.setdefault(file_id, []).append((mention, s, e, main, tuple(fines)))
    docs = sorted(f for f in rows if in_split(Path(f).stem, split))
    for file_id in docs[:limit]:
        path = doc_dir / file_id
        if not path.is_file():
            raise InputError(f"{ANNOTATIONS} names {file_id}, which is not in {doc_dir}", path=str(path))
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
        mentions = []
        for mention, s, _e, main, fines in rows[file_id]:
            at = _anchor(text, mention, s)
            if at is None:
                raise InputError(f"{file_id}: mention {mention!r} not found near offset {s}", path=str(path))
            mentions.append(GoldMention(at, at + len(mention), mention, main, fines))
        yield FramingDocument(Path(file_id).stem, text, tuple(mentions))
