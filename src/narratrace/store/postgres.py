"""PostgreSQL store: the same :class:`~narratrace.store.Store` interface over a shared server, for teams.

Every query of the library is written once, in the SQL both databases accept; the few
places where SQLite's dialect leaks (``?`` parameters, ``INSERT OR REPLACE``, NULL order,
``LIMIT -1``, ``json_extract``) are rewritten by :func:`translate`, once per statement.
What really differs is a method here: full-text search is PostgreSQL's own (a generated
``tsvector`` column with a GIN index, ranked by ``ts_rank_cd``), fact-check vectors live in
pgvector columns, and writes take a transaction-level advisory lock, so several writers
(two ``ingest`` processes, a ``serve`` with uploads) queue exactly as they do on one SQLite
file while readers never wait.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from narratrace.errors import MigrationError, StoreError
from narratrace.model import Annotation, Article
from narratrace.store.db import (_ARTICLE_COLUMNS, SearchHit, Store, _article_from_row, _text_article_from_row, _now,
                                 clamp_page)
from narratrace.schema import render
from narratrace.store.lock import LockHolder, reentrant, wait_for
from narratrace.store.migrations import all_migrations

__all__ = ["PostgresStore", "translate"]

#: Key of the advisory lock every write transaction holds: one writer at a time, like SQLite.
WRITE_LOCK = 0x6E747263  # "ntrc"
#: Key of the writers' lock a whole writing command holds (``Store.write_lock``), on a session of its own.
COMMAND_LOCK = 0x6E747277  # "ntrw"
_HOLDER_NAME = re.compile(r"^narratrace (?P<command>.*) pid=(?P<pid>\d+)$")
#: Text indexed for search per article (the text itself is stored whole): a tsvector is at most 1 MB.
#: Claim embeddings in the pgvector table (all-MiniLM-L6-v2); claims of another width stay in their blobs only.
CLAIM_VECTOR_DIM = 384


# -- dialect -----------------------------------------------------------------------------------
_UPSERT = re.compile(r"^\s*INSERT OR (REPLACE|IGNORE) INTO (\w+)\s*(\(([^)]*)\))?", re.I)
_JSON_EXTRACT = re.compile(r"json_extract\(([\w.]+), '\$\.(\w+)'\)")
_LIMIT = re.compile(r"\bLIMIT \?")
#: Columns that may be NULL and are sorted on (only these get a NULLS clause: it would stop an index scan).
_NULLABLE = frozenset({"published", "outlet", "language", "title", "author", "url", "label", "first_published",
                       "claim_date", "start", "end"})
_ORDER_END = re.compile(r"\b(LIMIT|OFFSET)\b", re.I)


@functools.lru_cache(maxsize=2048)
def translate(sql: str, tables: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()) -> str:
    """The statement in PostgreSQL's dialect; ``tables`` gives ``(name, key columns, columns)`` for upserts."""
    suffix = ""
    m = _UPSERT.match(sql)
    if m:
        kind, table = m.group(1).upper(), m.group(2)
        sql = f"INSERT INTO {table}{' (' + m.group(4) + ')' if m.group(3) else ''} " + sql[m.end():]
        if kind == "IGNORE":
            suffix = " ON CONFLICT DO NOTHING"
        else:
            schema = {name: (keys, cols) for name, keys, cols in tables}
            if table not in schema:
                raise StoreError(f"no key known for INSERT OR REPLACE INTO {table}")
            keys, cols = schema[table]
            written = [c.strip().strip('"') for c in m.group(4).split(",")] if m.group(3) else \
                [c for c in cols if c not in ("rowid", "fts")]
            sets = [f'"{c}" = EXCLUDED."{c}"' for c in written if c not in keys]
            if "rowid" in cols and "rowid" not in keys:
                sets.append("rowid = DEFAULT")  # REPLACE moves the row to the end, as SQLite does
            suffix = f" ON CONFLICT ({', '.join(keys)}) DO " + (f"UPDATE SET {', '.join(sets)}" if sets else "NOTHING")
    sql = _JSON_EXTRACT.sub(r"(\1::json ->> '\2')", sql)
    sql = _LIMIT.sub("LIMIT nullif(?::bigint, -1)", sql)  # SQLite's LIMIT -1 is "no limit"
    sql = _null_order(sql)
    return sql.replace("%", "%%").replace("?", "%s") + suffix


def _null_order(sql: str) -> str:
    """SQLite sorts NULL first ascending and last descending; say so to PostgreSQL (its default is the reverse)."""
    out, pos = [], 0
    upper = sql.upper()
    while (i := upper.find("ORDER BY", pos)) >= 0:
        start = i + len("ORDER BY")
        depth, j = 0, start
        while j < len(sql):  # the clause ends at LIMIT/OFFSET, an unmatched ")" or the end
            ch = sql[j]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and _ORDER_END.match(sql, j) and sql[j - 1].isspace():
                break
            j += 1
        items, depth, k = [], 0, start
        for n in range(start, j + 1):
            ch = sql[n] if n < j else ","
            depth += ch == "("
            depth -= ch == ")"
            if ch == "," and depth == 0:
                items.append(sql[k:n].strip())
                k = n + 1
        fixed = []
        for item in items:
            column = item.split()[0].split(".")[-1].strip('"') if item else ""
            if "NULLS" in item.upper() or column not in _NULLABLE:
                fixed.append(item)  # a key that is never NULL keeps its index order
            elif item.upper().endswith(" DESC"):
                fixed.append(item + " NULLS LAST")
            else:
                fixed.append(item + " NULLS FIRST")
        out.append(sql[pos:start] + " " + ", ".join(fixed) + (" " if j < len(sql) else ""))
        pos = j
    out.append(sql[pos:])
    return "".join(out)


class _Cursor:
    """What the library reads from ``store.db.execute(...)``: rows, ``fetchone``, ``fetchall``."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)


class PgConnection:
    """A psycopg connection that takes the library's SQL (see :func:`translate`)."""

    def __init__(self, url: str, *, readonly: bool) -> None:
        import psycopg

        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {_redact(url)}: {str(exc).strip()}") from exc
        if readonly:
            self.conn.execute("SET default_transaction_read_only = on")
        self.tables: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()

    def load_tables(self) -> None:
        """Key and columns of every table (what ``INSERT OR REPLACE`` needs)."""
        cols: dict[str, list[str]] = {}
        for table, column in self.conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"):
            cols.setdefault(table, []).append(column)
        keys: dict[str, list[str]] = {}
        for table, column in self.conn.execute(
                "SELECT tc.table_name, k.column_name FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name "
                "AND k.table_schema = tc.table_schema WHERE tc.constraint_type = 'PRIMARY KEY' "
                "AND tc.table_schema = current_schema() ORDER BY tc.table_name, k.ordinal_position"):
            keys.setdefault(table, []).append(column)
        self.tables = tuple((t, tuple(keys.get(t, ())), tuple(c)) for t, c in sorted(cols.items()))

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> _Cursor:
        query = translate(sql, self.tables) if params else translate(sql, self.tables).replace("%%", "%")
        try:
            cur = self.conn.execute(query, _params(params) if params else None)
            rows = cur.fetchall() if cur.description else []
            return _Cursor(rows, cur.rowcount)
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {str(exc).strip()}") from exc

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> None:
        rows = [_params(r) for r in seq]
        if not rows:
            return
        try:
            with self.conn.cursor() as cur:
                cur.executemany(translate(sql, self.tables), rows)
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {str(exc).strip()}") from exc

    def close(self) -> None:
        self.conn.close()


def _params(values: Sequence[Any]) -> list[Any]:
    """PostgreSQL text cannot hold NUL: it becomes U+FFFD (SQLite keeps it; article texts never have one)."""
    return [v.replace("\x00", "\ufffd") if isinstance(v, str) and "\x00" in v else v for v in values]


def _redact(url: str) -> str:
    from narratrace.store import shown

    return shown(url)


class PostgresStore(Store):
    """A narratrace corpus in a PostgreSQL database (``postgresql://USER@HOST/DB``)."""

    def __init__(self, url: str, *, readonly: bool = False) -> None:  # noqa: super().__init__ opens SQLite
        self.path = url
        self.readonly = readonly
        self.db = PgConnection(url, readonly=readonly)  # type: ignore[assignment]
        try:
            if not readonly:
                self._migrate()
            self.db.load_tables()
            if not any(t == "articles" for t, _, _ in self.db.tables):
                raise StoreError(f"{_redact(url)} is not a narratrace database (no articles table)")
        except BaseException:
            self.db.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({_redact(self.path)!r})"

    def _migrate(self) -> None:
        conn = self.db.conn
        migrations = all_migrations()
        known = [m.name for m in migrations]
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))  # two processes starting at once
                conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
                done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
                if unknown := done - set(known):
                    raise MigrationError(f"database has migrations this narratrace does not know: {sorted(unknown)}; "
                                         "upgrade narratrace")
                for migration in migrations:
                    if migration.name not in done:
                        conn.execute(render(migration, "postgres"))
                        conn.execute("INSERT INTO _migrations VALUES (%s, %s)", (migration.name, _now()))
        except self.db._psycopg.Error as exc:
            raise MigrationError(f"migrating {_redact(self.path)} failed: {str(exc).strip()}") from exc

    def reader(self) -> Store:
        return PostgresStore(self.path, readonly=True)

    def write_lock(self, command: str, *, shared: bool = False, wait: float | None = 0,
                   on_wait: Callable[[LockHolder | None], None] | None = None,
                   on_takeover: Callable[[LockHolder], None] | None = None) -> contextlib.AbstractContextManager[None]:
        """The writers' lock as a session-level advisory lock on a connection of its own, named
        ``narratrace COMMAND pid=N`` (what the second writer's error shows, with the session's start).
        The server drops it when that connection ends, so a killed holder leaves no stale lock
        (``on_takeover`` is never called: nothing is left behind to tell)."""
        if self.readonly:
            return contextlib.nullcontext()
        return reentrant("postgres:" + self.path, lambda: self._take_command_lock(command, shared, wait, on_wait),
                         shared=shared, command=command)

    def _take_command_lock(self, command: str, shared: bool, wait: float | None,
                           on_wait: Callable[[LockHolder | None], None] | None) -> Callable[[], None]:
        psycopg = self.db._psycopg
        name = f"narratrace {command} pid={os.getpid()}"[:63]  # application_name holds 63 bytes
        try:
            conn = psycopg.connect(self.path, autocommit=True, application_name=name)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {_redact(self.path)}: {str(exc).strip()}") from exc

        def try_once() -> LockHolder | None | bool:
            take = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
            if conn.execute(f"SELECT {take}(%s)", (COMMAND_LOCK,)).fetchone()[0]:
                return True
            row = conn.execute(
                "SELECT a.pid, a.application_name, a.backend_start, a.client_hostname, a.client_addr::text "
                "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.granted AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1 "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "ORDER BY l.mode = 'ExclusiveLock' DESC, a.backend_start",  # a shared request waits for that one
                (COMMAND_LOCK,)).fetchone()
            if row is None:
                return None
            m = _HOLDER_NAME.match(row[1] or "")
            started = row[2].isoformat(timespec="seconds") if row[2] is not None else ""
            return LockHolder(int(m["pid"]) if m else None, row[3] or row[4] or "", m["command"] if m else "",
                              started)

        try:
            wait_for(try_once, wait=wait, on_wait=on_wait, what=_redact(self.path))
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"PostgreSQL: {str(exc).strip()}") from exc
        except BaseException:
            conn.close()
            raise
        return conn.close  # the session ends, and its advisory lock with it

    every_table_has_rowid = False

    @property
    def shareable(self) -> bool:
        return True

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM _migrations").fetchone()[0])  # type: ignore[index]

    def optimize(self) -> None:
        """Merge the search index's pending list (GIN's fast-update buffer, which every search scans
        whole until it is merged) and refresh the planner's statistics, as autovacuum would later."""
        if self.readonly:
            return
        for index in ("articles_fts", "factchecks_fts"):
            self.db.execute("SELECT gin_clean_pending_list(?::regclass)", (index,))
        self.db.execute("ANALYZE articles")
        self.db.execute("ANALYZE factchecks")

    def data_version(self) -> tuple[int, ...]:
        return (int(self.db.execute("SELECT changes FROM _data_version").fetchone()[0]),)  # type: ignore[index]

    def _transaction(self) -> _PgTransaction:  # type: ignore[override]
        return _PgTransaction(self.db)

    # full-text search is a generated column: nothing to maintain by hand
    def _fts_insert(self, rowid: int, title: str | None, text: str) -> None:
        pass

    def _fts_delete(self, rowid: int) -> None:
        pass

    def _fts_factcheck(self, rowid: int, claim: str, title: str | None, *, delete: bool = False) -> None:
        pass

    def search_page(self, query: str, *, limit: int, offset: int = 0,
                    window: int | None = None) -> tuple[list[SearchHit], bool]:
        terms = _terms(query)
        limit, offset = clamp_page(limit, offset)
        if not terms or limit <= 0:
            return [], False
        q = " ".join(terms)
        bound = None
        # The planner prices testing a tsvector as cheap, but each test unpacks a TOASTed value:
        # at 100,000 articles it scanned the table (1.2 s) or walked the primary key testing every
        # article on the way (0.8 s for a word in 7 articles of 100) where the GIN index's bitmap
        # takes 0.03-0.15 s. So these two queries may use bitmaps only.
        with self.db.conn.transaction():
            self.db.execute("SET LOCAL enable_seqscan = off")
            self.db.execute("SET LOCAL enable_indexscan = off")
            if window is not None:
                row = self.db.execute("WITH m AS MATERIALIZED (SELECT rowid FROM articles "
                                      "WHERE fts @@ plainto_tsquery('simple', ?)) "
                                      "SELECT rowid FROM m ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                                      (q, window)).fetchone()
                if row is not None:
                    bound = int(row[0]) + 1
            newest = "AND rowid >= ? " if bound is not None else ""
            ranked = self.db.execute(  # ts_rank normalised by log length (1), the nearest PostgreSQL has to BM25
                "SELECT rowid, ts_rank(fts, plainto_tsquery('simple', ?), 1) AS score FROM articles "
                f"WHERE fts @@ plainto_tsquery('simple', ?) {newest}ORDER BY score DESC, rowid LIMIT ? OFFSET ?",
                (q, q, *(() if bound is None else (bound,)), limit, offset)).fetchall()
        if not ranked:
            return [], bound is not None
        found = {r[0]: r[1:] for r in self.db.execute(
            "SELECT rowid, ref, title, outlet, published, text FROM articles WHERE rowid = ANY(?)",
            ([r for r, _ in ranked],))}
        hits = [SearchHit(*found[rowid][:4], _snippet(found[rowid][4], terms), float(score))
                for rowid, score in ranked if rowid in found]
        return hits, bound is not None

    def search(self, query: str, *, limit: int = 20) -> list[SearchHit]:
        return self.search_page(query, limit=limit)[0]

    def factcheck_bm25(self, terms: Iterable[str], *, limit: int = 50) -> list[tuple[int, float]]:
        words = [w for t in terms for w in _terms(t)]
        if not words:
            return []
        q = " or ".join(dict.fromkeys(words))
        return [(int(r), float(s)) for r, s in self.db.execute(
            "SELECT rowid, ts_rank_cd('{0.1, 0.2, 0.5, 1.0}', fts, websearch_to_tsquery('english', ?)) AS score "
            "FROM factchecks WHERE fts @@ websearch_to_tsquery('english', ?) ORDER BY score DESC, rowid LIMIT ?",
            (q, q, limit))]

    # claim embeddings: the claim_vectors stage's blobs, and one pgvector row per claim beside them
    def save_stage_results(self, stage: str, version: str,
                           results: Sequence[tuple[str, str, Any, Sequence[Annotation]]]) -> None:
        with self._transaction():  # nested: one transaction with the rows below
            super().save_stage_results(stage, version, results)
            if stage == "claim_vectors":
                self._index_claim_vectors([(aid, data) for aid, _, data, _ in results])

    def _index_claim_vectors(self, rows: Sequence[tuple[str, bytes | None]]) -> None:
        """Replace the pgvector rows of these articles' claims (the web app's semantic search reads them)."""
        from narratrace.vectors import unpack_vectors

        self.db.executemany("DELETE FROM claim_vectors WHERE article_id = ?", [(aid,) for aid, _ in rows])
        values = []
        for aid, data in rows:
            if not data:
                continue
            found = unpack_vectors(bytes(data))
            if np.asarray(found.matrix).ndim == 2 and np.asarray(found.matrix).shape[1] == CLAIM_VECTOR_DIM:
                values += [(aid, n, cid, text, self.vector_param(v))
                           for n, (cid, text, v) in enumerate(zip(found.ids, found.texts, found.matrix))]
        self.db.executemany("INSERT INTO claim_vectors VALUES (?, ?, ?, ?, ?)", values)

    def _forget_analyses(self, article_id: str) -> None:
        super()._forget_analyses(article_id)
        self.db.execute("DELETE FROM claim_vectors WHERE article_id = ?", (article_id,))

    def rebuild_derived(self) -> None:
        """After a raw table copy (``migrate``): the claim vector rows, from the stored blobs."""
        with self._transaction():
            self.db.execute("DELETE FROM claim_vectors")
            batch: list[tuple[str, bytes | None]] = []
            for row in self.stage_data("claim_vectors"):
                batch.append(row)
                if len(batch) >= 500:
                    self._index_claim_vectors(batch)
                    batch = []
            self._index_claim_vectors(batch)

    def claim_vector_count(self) -> int | None:
        return int(self.db.execute("SELECT count(*) FROM claim_vectors").fetchone()[0])  # type: ignore[index]

    def nearest_claims(self, vector: np.ndarray, k: int) -> list[tuple[str, str, str, float]]:
        """``(ref, claim id, text, dot product)`` of the ``k`` claims nearest ``vector``, by pgvector's HNSW index.

        The index is approximate (HNSW, default ``ef_search`` 40): on a large corpus a true
        neighbour can be missed, where SQLite's in-memory scan is exact."""
        q = self.vector_param(vector)
        return [(ref, cid, text, float(score)) for ref, cid, text, score in self.db.execute(
            "SELECT a.ref, c.claim_id, c.text, -(c.vector <#> ?::vector(384)) AS score FROM claim_vectors c "
            "JOIN articles a ON a.id = c.article_id ORDER BY c.vector <#> ?::vector(384) LIMIT ?", (q, q, k))]

    def vector_param(self, vector: np.ndarray | None) -> str | None:
        if vector is None:
            return None
        # float16 first, exactly as SQLite stores them, so both backends score matches the same
        return "[" + ",".join(map(repr, np.asarray(vector, dtype="<f2").astype(np.float32).tolist())) + "]"

    def vector_value(self, value: Any) -> np.ndarray | None:
        if value is None:
            return None
        return np.asarray(json.loads(value), dtype=np.float32)

    # large scans page by key instead of holding a result set (psycopg reads whole results)
    def articles(self, ids: Iterable[str] | None = None, *, text_only: bool = False) -> Iterator[Article]:
        if ids is not None:
            yield from super().articles(ids, text_only=text_only)
            return
        columns = ("id", "ref", "content_hash", "text") if text_only else _ARTICLE_COLUMNS
        make = _text_article_from_row if text_only else _article_from_row
        last = 0
        while True:
            rows = self.db.execute(f"SELECT rowid, {', '.join(columns)} FROM articles WHERE rowid > ? "
                                   "ORDER BY rowid LIMIT 1000", (last,)).fetchall()
            for row in rows:
                yield make(row[1:])
            if len(rows) < 1000:
                return
            last = rows[-1][0]

    def stage_data(self, stage: str, *, ids: Iterable[str] | None = None) -> Iterator[tuple[str, bytes | None]]:
        if ids is not None:  # a batch of articles: the base class's IN (...) query, chunked
            yield from super().stage_data(stage, ids=ids)
            return
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT a.rowid, r.article_id, r.data FROM stage_results r JOIN articles a ON a.id = r.article_id "
                "WHERE r.stage = ? AND r.skipped IS NULL AND a.rowid > ? ORDER BY a.rowid LIMIT 2000",
                (stage, last)).fetchall()
            for _, aid, data in rows:
                yield aid, data
            if len(rows) < 2000:
                return
            last = rows[-1][0]


class _PgTransaction:
    """One write transaction: the writers' lock, then the change counter the web app's cache watches."""

    def __init__(self, db: PgConnection) -> None:
        self.db = db
        self._tx: Any = None

    def __enter__(self) -> None:
        self._tx = self.db.conn.transaction()
        self._tx.__enter__()
        self.db.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            try:
                self.db.conn.execute("UPDATE _data_version SET changes = changes + 1")
            except BaseException as err:
                self._tx.__exit__(type(err), err, err.__traceback__)
                raise
        self._tx.__exit__(exc_type, exc, tb)


def _snippet(text: str, terms: Sequence[str], words: int = 16) -> str:
    """About ``words`` words around the first match, matches in ``[...]``, as FTS5's ``snippet()`` gives.

    Made here from the text: ``ts_headline`` re-parses the whole article per hit, which cost
    most of a search page's time at 100,000 articles."""
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.IGNORECASE)
    first = pattern.search(text)
    tokens = list(re.finditer(r"\S+", text))
    if not tokens:
        return ""
    at = next((i for i, t in enumerate(tokens) if first and t.end() > first.start()), 0)
    lo = max(0, min(at - words // 4, len(tokens) - words))
    hi = min(len(tokens), lo + words)
    piece = text[tokens[lo].start():tokens[hi - 1].end()]
    marked = pattern.sub(lambda m: f"[{m.group(0)}]", piece)
    return ("… " if lo > 0 else "") + marked + (" …" if hi < len(tokens) else "")


def _terms(query: str) -> list[str]:
    """The words of a query; combining marks stay in their word (Devanagari "नाटो", not "नाट")."""
    kept = "".join(ch if ch.isalnum() or ch == "_" or unicodedata.category(ch).startswith("M") else " "
                   for ch in query)
    return kept.split()
