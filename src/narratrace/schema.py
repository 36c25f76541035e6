"""Tables written once, rendered for SQLite and for PostgreSQL.

Every table of the store (the core's in :mod:`narratrace.store.migrations`, each analysis's in its
package) is a :class:`Table` inside a named :class:`Migration`; both backends render the same
definitions, so they cannot drift apart (``tests/test_store_schema.py`` compares the two live
schemas). What only one engine has — SQLite's FTS5 index tables, PostgreSQL's ``tsvector``
columns, GIN and pgvector indexes — is written as that engine's ``extra`` statements of the
migration, and listed in ``sqlite_only`` / ``postgres_only`` so the comparison knows it.

Rendering rules: ``rowid`` is SQLite's ``INTEGER PRIMARY KEY`` and PostgreSQL's ``BIGSERIAL``;
SQLite keeps insertion order in its implicit rowid, so on PostgreSQL a table that is read back in
insertion order (``ordered=True``) gets a ``rowid BIGSERIAL`` column of its own. ``DESC`` index
columns sort NULLs last on both. Every statement is ``IF NOT EXISTS``, so a migration that moved
between packages re-runs as a no-op on an older database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Column", "Dialect", "Index", "Migration", "Table", "col", "render"]

Dialect = Literal["sqlite", "postgres"]
ColumnType = Literal["rowid", "text", "integer", "bigint", "real", "blob", "vector"]

_TYPES: dict[str, dict[str, str]] = {
    "sqlite": {"rowid": "INTEGER PRIMARY KEY", "text": "TEXT", "integer": "INTEGER", "bigint": "INTEGER",
               "real": "REAL", "blob": "BLOB", "vector": "BLOB"},
    "postgres": {"rowid": "BIGSERIAL PRIMARY KEY", "text": "TEXT", "integer": "INTEGER", "bigint": "BIGINT",
                 "real": "DOUBLE PRECISION", "blob": "BYTEA", "vector": "vector"},
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    not_null: bool = False
    unique: bool = False
    primary_key: bool = False
    default: str | None = None          # an SQL literal, e.g. "'{}'"
    references: str | None = None       # "table(column)", deleted with the row it references

    def render(self, dialect: Dialect) -> str:
        name = '"end"' if self.name == "end" else self.name  # a keyword on both engines
        parts = [name, _TYPES[dialect][self.type]]
        if self.primary_key:
            parts.append("PRIMARY KEY")
        if self.not_null:
            parts.append("NOT NULL")
        if self.unique:
            parts.append("UNIQUE")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.references:
            parts.append(f"REFERENCES {self.references} ON DELETE CASCADE")
        return " ".join(parts)


def col(name: str, type: ColumnType = "text", *, null: bool = True, **options: object) -> Column:
    """A column; ``null=False`` for ``NOT NULL``."""
    return Column(name, type, not_null=not null, **options)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    columns: tuple[str, ...]            # "published DESC" sorts NULLs last on both engines

    def render(self, table: str, dialect: Dialect) -> str:
        cols = ", ".join(c + (" NULLS LAST" if dialect == "postgres" and c.endswith(" DESC") else "")
                         for c in self.columns)
        return f"CREATE INDEX IF NOT EXISTS {self.name} ON {table}({cols})"


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()
    ordered: bool = False               # read back in insertion order: PostgreSQL needs its own rowid

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def render(self, dialect: Dialect) -> list[str]:
        lines = [c.render(dialect) for c in self.columns]
        if dialect == "postgres" and "rowid" not in self.column_names and self.ordered:
            keyed = bool(self.primary_key) or any(c.primary_key for c in self.columns)
            lines.append("rowid BIGSERIAL " + ("UNIQUE" if keyed else "PRIMARY KEY"))
        if self.primary_key:
            lines.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        body = ",\n    ".join(lines)
        return [f"CREATE TABLE IF NOT EXISTS {self.name} (\n    {body}\n)"] + [
            i.render(self.name, dialect) for i in self.indexes]


@dataclass(frozen=True, slots=True)
class Migration:
    """A named step of the schema; it runs in one transaction and is recorded by name.

    Append new migrations, never edit an applied one. ``drop_indexes`` are dropped after the
    tables are made; ``sqlite``/``postgres`` hold what only that engine has, with the tables and
    columns it adds listed in ``sqlite_only``/``postgres_only`` as ``"table"`` or ``"table.column"``.
    """

    name: str
    tables: tuple[Table, ...] = ()
    indexes: tuple[tuple[str, Index], ...] = ()     # (table, index) added to an existing table
    columns: tuple[tuple[str, Column], ...] = ()    # (table, column) added to an existing table
    drop_indexes: tuple[str, ...] = ()
    sqlite: tuple[str, ...] = ()
    postgres: tuple[str, ...] = ()
    sqlite_only: tuple[str, ...] = field(default=())
    postgres_only: tuple[str, ...] = field(default=())
    extensions: tuple[str, ...] = ()                # PostgreSQL extensions the tables need (pgvector)

    def statements(self, dialect: Dialect) -> list[str]:
        out: list[str] = [f"CREATE EXTENSION IF NOT EXISTS {e}" for e in self.extensions] if dialect == "postgres" else []
        for table in self.tables:
            out += table.render(dialect)
        exists = " IF NOT EXISTS" if dialect == "postgres" else ""
        out += [f"ALTER TABLE {table} ADD COLUMN{exists} {column.render(dialect)}" for table, column in self.columns]
        out += [index.render(table, dialect) for table, index in self.indexes]
        out += [f"DROP INDEX IF EXISTS {name}" for name in self.drop_indexes]
        out += list(self.sqlite if dialect == "sqlite" else self.postgres)
        return out


def render(migration: Migration, dialect: Dialect) -> str:
    """The migration as one SQL script for ``dialect``."""
    return "".join(s.rstrip().rstrip(";") + ";\n" for s in migration.statements(dialect))


def all_tables(migrations: Sequence[Migration]) -> dict[str, Table]:
    """Every table the migrations make, by name."""
    return {t.name: t for m in migrations for t in m.tables}
