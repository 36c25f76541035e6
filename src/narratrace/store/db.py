"""SQLite store: the one place narratrace reads and writes a corpus.

One file, WAL journal, named migrations, FTS5 over titles and texts. Every write
method is one transaction, so a crash loses at most the batch being written and a
re-run picks up where the last commit ended. Only one connection writes (the
process that owns the Store); stages never see it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import NotFound, StoreError
from narratrace.model import (Annotation, Article, RepublicationGroup, RepublicationPair, Skipped, Span)
from narratrace.store.lock import LockHolder, file_lock
from narratrace.store.migrations import apply_migrations


__all__ = ["ArticleState", "SearchHit", "Store", "WriteCounts"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

BUSY_TIMEOUT_MS = 10_000
"""How long a connection waits for another process's write transaction before SQLite says "locked"."""
_ARTICLE_COLUMNS = ("id", "ref", "content_hash", "title", "url", "outlet", "author", "published",
                    "published_how", "language", "source", "text", "paragraphs", "sentences", "meta")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ArticleState:
    id: str
    ref: str
    content_hash: str
    source: str | None


@dataclass(slots=True)
class WriteCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class SearchHit:
    ref: str
    title: str | None
    outlet: str | None
    published: str | None
    snippet: str
    score: float


class Store:
    """A narratrace corpus in one SQLite file (``":memory:"`` for throwaway stores)."""

    def __init__(self, path: str | Path = "narratrace.db", *, readonly: bool = False) -> None:
        self.path = str(path)
        self.readonly = readonly
        try:
            if self.path != ":memory:":
                parent = Path(self.path).parent
                if not parent.exists():
                    raise StoreError(f"directory of database does not exist: {parent}")
            if readonly:
                if self.path == ":memory:" or not Path(self.path).exists():
                    raise StoreError(f"cannot open {self.path} read-only: no such database file")
                uri = f"file:{Path(self.path).resolve()}?mode=ro"
                self.db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
            self.db.execute("PRAGMA cache_size = -262144")  # 256 MiB: random-key indexes and FTS5 at scale
            if not readonly:
                if self.path != ":memory:":
                    self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                apply_migrations(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc

    def reader(self) -> Store:
        """Another, read-only connection to the same file (for worker processes)."""
        return type(self)(self.path, readonly=True)

    #: SQLite keeps a rowid in every table (insertion order); PostgreSQL only where a schema declares one.
    every_table_has_rowid = True

    @property
    def shareable(self) -> bool:
        """Whether worker processes can open this store themselves (a file, not ``:memory:``)."""
        return self.path != ":memory:"

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def write_lock(self, command: str, *, shared: bool = False, wait: float | None = 0,
                   on_wait: Callable[[LockHolder | None], None] | None = None,
                   on_takeover: Callable[[LockHolder], None] | None = None) -> contextlib.AbstractContextManager[None]:
        """Hold the writers' lock of this store for a whole command: exclusively (``analyze``), or
        ``shared`` with other shared holders (``ingest``). :class:`~narratrace.errors.StoreLocked`
        (NT320, naming the holder) when another process holds it so after ``wait`` seconds (0: at once, None: wait for ever; ``on_wait(holder)`` is called once
        when it starts waiting). Re-entrant within a process; a lock left by a killed process is taken
        over (``on_takeover(holder)``). Readers never take it (:mod:`narratrace.store.lock`)."""
        if self.readonly or self.path == ":memory:":  # nobody else can write this connection's data
            return contextlib.nullcontext()
        return file_lock(self.path, command, shared=shared, wait=wait, on_wait=on_wait, on_takeover=on_takeover)

    # -- ingestion ---------------------------------------------------------------------
    def article_states(self, refs: Iterable[str]) -> dict[str, ArticleState]:
        """Current id/hash of the given refs, to decide what an ingest batch changes."""
        out: dict[str, ArticleState] = {}
        refs = list(refs)
        for i in range(0, len(refs), 500):
            chunk = refs[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                    f"SELECT id, ref, content_hash, source FROM articles WHERE ref IN ({marks})", chunk):
                out[row[1]] = ArticleState(*row)
        return out

    def write_articles(self, articles: Sequence[Article], *, source: str | None = None,
                       source_signature: str | None = None, records: int = 0,
                       skips: Sequence[Skipped] = (),
                       settle: Callable[[Article, ArticleState | None], Article] | None = None) -> WriteCounts:
        """Insert or update a batch of articles (and optionally mark a source finished), atomically.

        An article whose content hash is unchanged is left alone; a changed one replaces
        the old version and drops every analysis result of it, so ``analyze`` redoes it.
        ``settle(article, stored state)`` may give an article another ref, decided under the
        write lock (so two writers never both take one ref).
        """
        counts = WriteCounts()
        with self._transaction():  # states read under the write lock: a concurrent writer cannot slip in
            states = self.article_states(a.ref for a in articles)
            if settle is not None:
                articles = [settle(a, states.get(a.ref)) for a in articles]
                states.update(self.article_states(a.ref for a in articles if a.ref not in states))
            for art in articles:
                old = states.get(art.ref)
                if old is not None and old.content_hash == art.content_hash:
                    counts.unchanged += 1
                    continue
                values = self._article_values(art)
                if old is not None:
                    rowid = self.db.execute("SELECT rowid FROM articles WHERE id = ?", (old.id,)).fetchone()[0]
                    self._fts_delete(rowid)
                    self._forget_analyses(old.id)
                    sets = ", ".join(f"{c} = ?" for c in _ARTICLE_COLUMNS)
                    self.db.execute(f"UPDATE articles SET {sets}, chars = ?, ingested_at = ? WHERE rowid = ?",
                                    (*values, len(art.text), _now(), rowid))
                    counts.updated += 1
                else:
                    cols = ", ".join(_ARTICLE_COLUMNS)
                    rowid = self.db.execute(
                        f"INSERT INTO articles ({cols}, chars, ingested_at) VALUES "
                        f"({', '.join('?' * len(_ARTICLE_COLUMNS))}, ?, ?) RETURNING rowid",
                        (*values, len(art.text), _now())).fetchone()[0]
                    counts.added += 1
                self._fts_insert(rowid, art.title, art.text)
            self._write_skips(skips)
            if source is not None and source_signature is not None:
                self.db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                                (source, source_signature, records, _now()))
        return counts

    def _article_values(self, art: Article) -> tuple[Any, ...]:
        return (art.id, art.ref, art.content_hash, art.title, art.url, art.outlet, art.author,
                art.published, art.published_how, art.language, art.source, art.text,
                json.dumps(art.paragraphs, separators=(",", ":")),
                json.dumps(art.sentences, separators=(",", ":")),
                json.dumps(dict(art.meta), ensure_ascii=False, default=str))

    # -- what differs between databases (PostgresStore overrides these) ----------------
    def _fts_insert(self, rowid: int, title: str | None, text: str) -> None:
        self.db.execute("INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)", (rowid, title or "", text))

    def _fts_delete(self, rowid: int) -> None:
        row = self.db.execute("SELECT title, text FROM articles WHERE rowid = ?", (rowid,)).fetchone()
        self.db.execute("INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', ?, ?, ?)",
                        (rowid, row[0] or "", row[1]))

    def _fts_factcheck(self, rowid: int, claim: str, title: str | None, *, delete: bool = False) -> None:
        """Add a fact-check's claim and title to its full-text index (or take the given old ones out)."""
        if delete:
            self.db.execute("INSERT INTO factchecks_fts (factchecks_fts, rowid, claim, title) "
                            "VALUES ('delete', ?, ?, ?)", (rowid, claim, title or ""))
        else:
            self.db.execute("INSERT INTO factchecks_fts (rowid, claim, title) VALUES (?, ?, ?)",
                            (rowid, claim, title or ""))

    def factcheck_bm25(self, terms: Iterable[str], *, limit: int = 50) -> list[tuple[int, float]]:
        """``(rowid, score)`` best first: FTS5 BM25 over claim and title (weights 1 and 0.5), any term (OR).

        Terms are quoted, so user text is never FTS5 syntax; higher score = better (FTS5's bm25 negated).
        """
        quoted = [f'"{t}"' for t in dict.fromkeys(terms) if t and '"' not in t]
        if not quoted:
            return []
        sql = ("SELECT rowid, -bm25(factchecks_fts, 1.0, 0.5) FROM factchecks_fts WHERE factchecks_fts MATCH ? "
               "ORDER BY bm25(factchecks_fts, 1.0, 0.5) LIMIT ?")
        return [(int(r), float(s)) for r, s in self.db.execute(sql, (" OR ".join(quoted), limit))]

    def vector_param(self, vector: np.ndarray | None) -> bytes | None:
        """A vector as this database stores it (SQLite: little-endian float16 bytes)."""
        return None if vector is None else np.asarray(vector, dtype="<f2").tobytes()

    def vector_value(self, value: Any) -> np.ndarray | None:
        return None if value is None else np.frombuffer(value, dtype="<f2").astype(np.float32)

    def claim_vector_count(self) -> int | None:
        """Claims whose embeddings the database itself can search (None: it cannot; search them in memory)."""
        return None

    def nearest_claims(self, vector: np.ndarray, k: int) -> list[tuple[str, str, str, float]]:
        raise NotImplementedError("this store keeps no vector index; see claim_vector_count()")

    def rebuild_derived(self) -> None:
        """Rebuild what is derived from stored rows (nothing on SQLite; see ``PostgresStore``)."""

    def optimize(self) -> None:
        """After a bulk write: let the query planner catch up (SQLite: ``PRAGMA optimize``)."""
        if self.readonly:
            return
        try:
            with self._transaction():  # the write lock first: a read upgraded to a write would not wait
                self.db.execute("PRAGMA optimize")
        except sqlite3.OperationalError as exc:  # only statistics: never worth failing an ingest for
            log.warning("PRAGMA optimize skipped: %s", exc)

    def data_version(self) -> tuple[int, ...]:
        """Changes whenever any connection commits a write (the web app's caches watch it)."""
        sig: list[int] = []
        for suffix in ("", "-wal"):
            try:
                st = os.stat(self.path + suffix)
                sig += [st.st_mtime_ns, st.st_size]
            except OSError:
                sig += [0, 0]
        return tuple(sig)

    def _forget_analyses(self, article_id: str) -> None:
        for table in ("stage_results", "annotations"):
            self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM republication_pairs WHERE original = ? OR copy = ?", (article_id, article_id))

    def source_signature(self, path: str) -> str | None:
        """Signature recorded when ``path`` was last ingested to the end (None if never)."""
        row = self.db.execute("SELECT signature FROM sources WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def clear_skips(self, source: str) -> None:
        """Forget the skips recorded for ``source`` (and its records), before reading it again."""
        with self._transaction():
            self.db.execute("DELETE FROM skipped WHERE path = ? OR path LIKE ? ESCAPE '\\'",
                            (source, source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "#%"))

    def add_skips(self, skips: Sequence[Skipped]) -> None:
        with self._transaction():
            self._write_skips(skips)

    def _write_skips(self, skips: Sequence[Skipped]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO skipped VALUES (?, ?, ?, ?)",
                            [(s.path, s.reason, s.code, _now()) for s in skips])

    def skipped(self) -> list[Skipped]:
        return [Skipped(p, r, c) for p, r, c in
                self.db.execute("SELECT path, reason, code FROM skipped ORDER BY path, reason")]

    # -- reading articles --------------------------------------------------------------
    def count_articles(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def article(self, key: str) -> Article:
        """An article by ref or by id (:class:`NotFound` for a key no article can have, e.g. bytes that
        are not UTF-8 from a shell's argument)."""
        if not _storable(key):
            raise NotFound(f"no article with ref or id {key!r}")
        row = self.db.execute(f"SELECT {', '.join(_ARTICLE_COLUMNS)} FROM articles WHERE ref = ? OR id = ?",
                              (key, key)).fetchone()
        if row is None:
            raise NotFound(f"no article with ref or id {key!r}")
        return _article_from_row(row)

    def articles(self, ids: Iterable[str] | None = None, *, text_only: bool = False) -> Iterator[Article]:
        """Articles in ingestion order (all, or the given ids).

        ``text_only`` loads just id, ref, text and content hash (no metadata or segments),
        for stages that need nothing else: it is several times cheaper.
        """
        columns = ("id", "ref", "content_hash", "text") if text_only else _ARTICLE_COLUMNS
        make = _text_article_from_row if text_only else _article_from_row
        cols = ", ".join(columns)
        if ids is None:
            for row in self.db.execute(f"SELECT {cols} FROM articles ORDER BY rowid"):
                yield make(row)
            return
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = self.db.execute(f"SELECT {cols} FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
                                   " ORDER BY rowid", chunk).fetchall()
            for row in rows:
                yield make(row)

    def article_index(self) -> list[dict[str, Any]]:
        """Light metadata of every article (no text), in ingestion order."""
        rows = self.db.execute("SELECT id, ref, title, outlet, published, published_how, language, chars, url, "
                               "author, rowid FROM articles ORDER BY rowid")
        keys = ("id", "ref", "title", "outlet", "published", "published_how", "language", "chars", "url",
                "author", "seq")
        return [dict(zip(keys, row)) for row in rows]

    def article_languages(self) -> dict[str, str | None]:
        """Language of every article by id (what the pipeline needs to tell which stages analyse it)."""
        return {aid: lang for aid, lang in self.db.execute("SELECT id, language FROM articles")}

    def search(self, query: str, *, limit: int = 20) -> list[SearchHit]:
        """Full-text search (FTS5, BM25); plain words are matched as words, not as syntax."""
        return self.search_page(query, limit=limit)[0]

    def search_page(self, query: str, *, limit: int, offset: int = 0,
                    window: int | None = None) -> tuple[list[SearchHit], bool]:
        """One page of :meth:`Store.search`'s results (same matching, same order); and whether ``window`` cut it.

        BM25 is computed over the full-text index alone, and metadata and snippets are read only
        for the page's hits. SQLite would otherwise build every match's snippet before sorting,
        which is 2-3 times slower on a common word. With ``window``, a query that matches more
        articles than that is ranked among the ``window`` most recently ingested matches only.
        BM25 has to score every match it ranks, so this bounds the work of a query like "the".
        """
        terms = _fts_terms(query)
        limit, offset = clamp_page(limit, offset)
        if not terms or limit <= 0:
            return [], False
        fts_query = " ".join(f'"{t}"' for t in terms)
        bound = None
        if window is not None:
            row = self.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid DESC "
                                   "LIMIT 1 OFFSET ?", (fts_query, window)).fetchone()
            if row is not None:  # more than ``window`` matches: rank the newest ``window`` of them
                bound = int(row[0]) + 1
        ranked = self.db.execute(
            "SELECT rowid, bm25(articles_fts) FROM articles_fts WHERE articles_fts MATCH ? AND rowid >= ? "
            "ORDER BY bm25(articles_fts) LIMIT ? OFFSET ?", (fts_query, bound or 0, limit, offset)).fetchall()
        hits = []
        for rowid, score in ranked:
            length = self.db.execute("SELECT length(text) FROM articles WHERE rowid = ?", (rowid,)).fetchone()
            if length is not None and length[0] > LONG_TEXT_CHARS:  # FTS5's snippet() reads every hit: seconds
                row = self.db.execute("SELECT ref, title, outlet, published, substr(text, 1, ?) FROM articles "
                                      "WHERE rowid = ?", (SNIPPET_SCAN_CHARS, rowid)).fetchone()
                row = (*row[:4], first_snippet(row[4], terms, more=length[0] > SNIPPET_SCAN_CHARS))
            else:
                row = self.db.execute(
                    "SELECT a.ref, a.title, a.outlet, a.published, snippet(articles_fts, 1, '[', ']', ' … ', 16) "
                    "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
                    "WHERE articles_fts MATCH ? AND articles_fts.rowid = ?", (fts_query, rowid)).fetchone()
            if row is not None:
                hits.append(SearchHit(row[0], row[1], row[2], row[3], row[4], -float(score)))
        return hits, bound is not None

    # -- per-article stage results -----------------------------------------------------
    def pending(self, stage: str, version: str) -> list[str]:
        """Ids of articles without an up-to-date result of ``stage`` (in ingestion order)."""
        rows = self.db.execute(
            "SELECT a.id FROM articles a LEFT JOIN stage_results r ON r.article_id = a.id AND r.stage = ? "
            "WHERE r.article_id IS NULL OR r.version != ? OR r.content_hash != a.content_hash "
            "ORDER BY a.rowid", (stage, version))
        return [r[0] for r in rows]

    def save_stage_results(self, stage: str, version: str,
                           results: Sequence[tuple[str, str, Any, Sequence[Annotation]]]) -> None:
        """Persist ``(article_id, content_hash, data, annotations)`` of one stage, atomically."""
        with self._transaction():
            for article_id, chash, data, annotations in results:
                self.db.execute("DELETE FROM annotations WHERE article_id = ? AND stage = ?", (article_id, stage))
                blob = data if isinstance(data, (bytes, type(None))) else json.dumps(data).encode()
                self.db.execute("INSERT OR REPLACE INTO stage_results (article_id, stage, version, content_hash, "
                                "data, skipped) VALUES (?, ?, ?, ?, ?, NULL)", (article_id, stage, version, chash, blob))
                self.db.executemany(
                    'INSERT INTO annotations (article_id, stage, kind, start, "end", label, data) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(article_id, stage, a.kind, a.start, a.end, a.label, json.dumps(dict(a.data)))
                     for a in annotations])

    def mark_stage_done(self, stage: str, version: str, ids: Iterable[str]) -> None:
        """Record that a corpus stage has seen these articles (its results live in its own tables)."""
        self.db.executemany("INSERT OR REPLACE INTO stage_results (article_id, stage, version, content_hash, data, "
                            "skipped) SELECT id, ?, ?, content_hash, NULL, NULL FROM articles WHERE id = ?",
                            [(stage, version, aid) for aid in ids])

    def forget_stage_results(self, stages: Iterable[str], ids: Iterable[str]) -> None:
        """Drop the results of ``stages`` for ``ids``: those articles are pending for them again (an input
        they read changed, e.g. a line of theirs became boilerplate)."""
        pairs = [(stage, aid) for stage in stages for aid in ids]
        if not pairs:
            return
        with self._transaction():
            self.db.executemany("DELETE FROM annotations WHERE stage = ? AND article_id = ?", pairs)
            self.db.executemany("DELETE FROM stage_results WHERE stage = ? AND article_id = ?", pairs)

    def save_not_analysed(self, stage: str, version: str, reasons: Sequence[tuple[str, str]]) -> None:
        """Record ``(article_id, reason)``: the stage is done with these articles without analysing them
        (``"language ru"``); they are not pending, and they are counted apart from the analysed ones."""
        with self._transaction():
            self.db.executemany("DELETE FROM annotations WHERE article_id = ? AND stage = ?",
                                [(aid, stage) for aid, _ in reasons])
            self.db.executemany("INSERT OR REPLACE INTO stage_results (article_id, stage, version, content_hash, "
                                "data, skipped) SELECT id, ?, ?, content_hash, NULL, ? FROM articles WHERE id = ?",
                                [(stage, version, reason, aid) for aid, reason in reasons])

    def stage_coverage(self) -> dict[str, tuple[int, dict[str, int]]]:
        """Per stage: how many articles it analysed, and how many it did not, by reason."""
        out: dict[str, tuple[int, dict[str, int]]] = {}
        for stage, reason, n in self.db.execute(
                "SELECT stage, skipped, COUNT(*) FROM stage_results GROUP BY stage, skipped ORDER BY stage, skipped"):
            analysed, skipped = out.get(stage, (0, {}))
            if reason is None:
                analysed += int(n)
            else:
                skipped[reason] = int(n)
            out[stage] = (analysed, skipped)
        return out

    def not_analysed(self) -> dict[str, dict[str, str]]:
        """``{article_id: {stage: reason}}`` for every article a stage did not analyse."""
        out: dict[str, dict[str, str]] = {}
        for aid, stage, reason in self.db.execute(
                "SELECT article_id, stage, skipped FROM stage_results WHERE skipped IS NOT NULL ORDER BY stage"):
            out.setdefault(aid, {})[stage] = reason
        return out

    def stage_data(self, stage: str, *, ids: Iterable[str] | None = None) -> Iterator[tuple[str, bytes | None]]:
        """``(article_id, data)`` of every stored result of ``stage`` (or of those of ``ids``), in ingestion
        order; articles the stage did not analyse (:meth:`save_not_analysed`) are left out."""
        sql = ("SELECT r.article_id, r.data FROM stage_results r JOIN articles a ON a.id = r.article_id "
               "WHERE r.stage = ? AND r.skipped IS NULL")
        if ids is None:
            yield from self.db.execute(sql + " ORDER BY a.rowid", (stage,))
            return
        wanted = list(dict.fromkeys(ids))
        for n in range(0, len(wanted), 500):
            part = wanted[n:n + 500]
            yield from self.db.execute(sql + f" AND r.article_id IN ({', '.join('?' * len(part))}) ORDER BY a.rowid",
                                       (stage, *part))

    def annotations(self, article_id: str, *, stage: str | None = None) -> list[Annotation]:
        sql = 'SELECT kind, start, "end", label, data FROM annotations WHERE article_id = ?'
        args: tuple[Any, ...] = (article_id,)
        if stage is not None:
            sql += " AND stage = ?"
            args += (stage,)
        return [Annotation(k, s, e, lab, json.loads(d)) for k, s, e, lab, d in self.db.execute(sql + " ORDER BY start, rowid", args)]

    def annotations_of_kind(self, kind: str, *, article_id: str | None = None
                            ) -> Iterator[tuple[str, Annotation]]:
        """``(article_id, annotation)`` of one kind across the corpus, in ingestion order."""
        sql = ('SELECT n.article_id, n.kind, n.start, n."end", n.label, n.data FROM annotations n '
               "JOIN articles a ON a.id = n.article_id WHERE n.kind = ?")
        args: tuple[Any, ...] = (kind,)
        if article_id is not None:
            sql += " AND n.article_id = ?"
            args += (article_id,)
        for aid, k, s, e, lab, d in self.db.execute(sql + " ORDER BY a.rowid, n.start, n.rowid", args):
            yield aid, Annotation(k, s, e, lab, json.loads(d))

    # -- republication ------------------------------------------------------------------
    def save_republications(self, stage: str, version: str, *, pairs: Sequence[RepublicationPair],
                            groups: Sequence[RepublicationGroup], compared: Sequence[str]) -> None:
        """Replace the pairs of the newly compared articles (compared again: their old pairs go) with
        those found, and replace the groups, atomically."""
        with self._transaction():
            self.db.executemany("DELETE FROM republication_pairs WHERE original = ? OR copy = ?",
                                [(aid, aid) for aid in compared])
            for pair in pairs:
                self.db.execute("DELETE FROM republication_pairs WHERE original = ? AND copy = ?",
                                (pair.copy, pair.original))
                self.db.execute("INSERT OR REPLACE INTO republication_pairs VALUES (?, ?, ?, ?, ?)",
                                (pair.original, pair.copy, pair.similarity, pair.copy_share,
                                 json.dumps(pair.to_dict())))
            self.db.execute("DELETE FROM republication_groups")
            self.db.executemany("INSERT INTO republication_groups VALUES (?, ?, ?, ?)",
                                [(g.id, g.original, json.dumps(list(g.members)), g.reason) for g in groups])
            self.mark_stage_done(stage, version, compared)

    def refs(self) -> dict[str, str]:
        """Every article's ref (the name users give it: file name, record id) by its internal id."""
        return {aid: ref for aid, ref in self.db.execute("SELECT id, ref FROM articles")}

    def republication_pairs(self, article_id: str | None = None, *, refs: bool = False) -> list[RepublicationPair]:
        """Copy pairs (all, or those of ``article_id``); ``refs=True`` names the articles by their refs,
        as the export does, instead of internal ids."""
        sql = "SELECT data FROM republication_pairs"
        args: tuple[str, ...] = ()
        if article_id is not None:
            sql += " WHERE original = ? OR copy = ?"
            args = (article_id, article_id)
        pairs = [RepublicationPair.from_dict(json.loads(r[0])) for r in self.db.execute(sql + " ORDER BY rowid", args)]
        if not refs:
            return pairs
        names = self.refs()
        return [replace(p, original=names.get(p.original, p.original), copy=names.get(p.copy, p.copy)) for p in pairs]

    def republication_groups(self) -> list[RepublicationGroup]:
        return [RepublicationGroup(i, o, tuple(json.loads(m)), r)
                for i, o, m, r in self.db.execute("SELECT id, original, members, reason FROM republication_groups ORDER BY id")]

class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")


_NOT_FTS = re.compile(r'["\x00-\x1f\x7f\ud800-\udfff]')


#: A text longer than this gets its search snippet from :func:`first_snippet`: SQLite's ``snippet()``
#: scores every hit of the document (6 s for a 1.2 MB text with 40,000 hits of "officials").
LONG_TEXT_CHARS = 100_000
#: How much of a long text :func:`first_snippet` reads for its first hit.
SNIPPET_SCAN_CHARS = 200_000
_TOKEN = re.compile(r"[^\W_]+")


def _fold(word: str) -> str:
    """A token as FTS5's unicode61 tokenizer compares it: case and diacritics folded."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c))


def first_snippet(text: str, terms: Sequence[str], *, tokens: int = 16, more: bool = False) -> str:
    """A snippet in the form of FTS5's ``snippet(..., '[', ']', ' … ', 16)`` around the first hit of a
    query term in ``text``: up to ``tokens`` words, hits in brackets, ``' … '`` where the text goes on
    (``more``: the text goes on after ``text``, a prefix of it)."""
    words = list(_TOKEN.finditer(text))
    folded = [_fold(w.group()) for w in words]
    phrases = [[_fold(t) for t in _TOKEN.findall(term)] for term in terms]
    phrases = [p for p in phrases if p]
    hits: list[tuple[int, int]] = []  # (first word, past the last word) of each phrase hit
    for i in range(len(words)):
        for p in phrases:
            if folded[i:i + len(p)] == p:
                hits.append((i, i + len(p)))
    if not words:
        return ""
    first = hits[0][0] if hits else 0
    start = max(0, min(first - tokens // 4, len(words) - tokens))
    end = min(len(words), start + tokens)
    marks = {a: b for a, b in hits if start <= a < end}
    out = [" … "] if start > 0 else []
    pos = words[start].start()
    i = start
    while i < end:
        a = words[i].start()
        out.append(text[pos:a])
        b = min(marks.get(i, i + 1), end)
        piece = text[a:words[b - 1].end()]
        out.append(f"[{piece}]" if i in marks else piece)
        pos = words[b - 1].end()
        i = b
    if end < len(words) or more:
        out.append(" … ")
    else:
        out.append(text[pos:].rstrip())  # the text's last words: what follows them too (".")
    return "".join(out)


#: The largest LIMIT/OFFSET either database takes (a signed 64-bit integer); more is as good as all.
_MAX_ROWS = 2 ** 62


def clamp_page(limit: int, offset: int) -> tuple[int, int]:
    """``limit`` and ``offset`` as a database takes them: no past 64 bits (an ``OverflowError``
    in the driver), a negative offset is the first page."""
    return min(int(limit), _MAX_ROWS), max(0, min(int(offset), _MAX_ROWS))


def _storable(text: str) -> bool:
    """Whether ``text`` can be stored at all (UTF-8): a lone surrogate cannot, so nothing stored equals it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fts_terms(query: str) -> list[str]:
    """The words of a search query, each to be quoted as one FTS5 string.

    Quotes, control characters and lone surrogates are dropped: FTS5 reads its query as a C
    string, so a NUL ends it inside a quoted term ("unterminated string").
    """
    return _NOT_FTS.sub(" ", query).split()


def _text_article_from_row(row: Sequence[Any]) -> Article:
    return Article(id=row[0], ref=row[1], content_hash=row[2], text=row[3])


def _article_from_row(row: Sequence[Any]) -> Article:
    d = dict(zip(_ARTICLE_COLUMNS, row))
    d["paragraphs"] = tuple(map(Span._make, json.loads(d["paragraphs"])))
    d["sentences"] = tuple(map(Span._make, json.loads(d["sentences"])))
    d["meta"] = json.loads(d["meta"] or "{}")
    return Article(**d)
