"""SQLite and PostgreSQL hold the same tables and columns: both are rendered from one definition.

What only one engine has (SQLite's FTS5 index tables, PostgreSQL's tsvector columns, pgvector
table, change counter) is declared by each migration (``sqlite_only`` / ``postgres_only``), and
PostgreSQL's ``rowid`` columns stand for SQLite's implicit rowid.
"""

from __future__ import annotations

from pathlib import Path

from narratrace.schema import Index, Migration, Table, col, render
from narratrace.store import open_store
from narratrace.store.migrations import all_migrations


def _sqlite_columns(path: str) -> dict[str, set[str]]:
    with open_store(path) as store:
        names = [r[0] for r in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: {r[1] for r in store.db.execute(f'PRAGMA table_info("{n}")')} for n in names}


def _postgres_columns(url: str) -> dict[str, set[str]]:
    with open_store(url) as store:
        rows = store.db.execute("SELECT table_name, column_name FROM information_schema.columns "
                                "WHERE table_schema = 'public'").fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def _without(schema: dict[str, set[str]], only: set[str], fts_shadow: bool) -> dict[str, set[str]]:
    out = {}
    for table, columns in schema.items():
        if table in only or table == "_migrations" or (fts_shadow and any(table.startswith(o + "_") for o in only)):
            continue
        out[table] = {c for c in columns if f"{table}.{c}" not in only and c != "rowid"}
    return out


def test_store_schema_sqlite_and_postgres_have_the_same_tables_and_columns(tmp_path: Path, pg_server: str) -> None:
    from conftest import new_pg_database
    from narratrace.store.embedded import drop_database

    migrations = all_migrations()
    sqlite_only = {x for m in migrations for x in m.sqlite_only}
    postgres_only = {x for m in migrations for x in m.postgres_only}
    name, url = new_pg_database(pg_server)
    try:
        pg = _without(_postgres_columns(url), postgres_only, fts_shadow=False)
    finally:
        drop_database(pg_server, name)
    lite = _without(_sqlite_columns(str(tmp_path / "s.db")), sqlite_only, fts_shadow=True)
    assert pg == lite
    declared = {t.name: set(t.column_names) - {"rowid"} for m in migrations for t in m.tables}
    for m in migrations:  # columns a later migration adds to an earlier table
        for table, column in m.columns:
            declared[table].add(column.name)
    assert lite == declared  # and both are exactly what the definitions say


def test_store_schema_renders_one_definition_for_both_engines() -> None:
    m = Migration("x", tables=(Table("t", (col("id", primary_key=True), col("n", "real", null=False),
                                            col("end", "integer")), ordered=True,
                                     indexes=(Index("t_n", ("n DESC",)),)),))
    lite, pg = render(m, "sqlite"), render(m, "postgres")
    assert "n REAL NOT NULL" in lite and "n DOUBLE PRECISION NOT NULL" in pg
    assert '"end" INTEGER' in lite and "rowid BIGSERIAL UNIQUE" in pg and "rowid" not in lite
    assert "ON t(n DESC)" in lite and "ON t(n DESC NULLS LAST)" in pg
