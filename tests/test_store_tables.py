"""narratrace.store.tables on both backends: filters, facets, grouped counts, sorting, batches."""

from __future__ import annotations

import dataclasses

import pytest

from narratrace.errors import ConfigError
from narratrace.ingest import Record, build_article
from narratrace.store import Store
from narratrace.store.tables import (Selection, TableColumn, TableFilter, TableSpec, article_columns, article_filters,
                                     facet_counts, iter_rows, row_count, table_page)

ARTICLES = [  # ref, outlet, published, language, title
    ("a1", "Harbour Courier", "2025-04-01", "en", "Port closed 50% of berths"),
    ("a2", "Harbour Courier", "2025-04-02T09:30:00", "en", "Drones found at the port"),
    ("a3", "Daily Meridian", "2025-04-02", "en", "Ministry: drones came from abroad"),
    ("a4", None, None, "ru", "Москва отвечает"),
    ("a5", "Daily Meridian", "2025-04-05", "en", "A_b title with underscore"),
]

ARTICLE_TABLE = TableSpec(
    "toy", "Toy", "FROM articles a",
    columns=(*article_columns(), TableColumn("title", "a.title"), TableColumn("chars", "a.chars", kind="number")),
    filters=(*article_filters(), TableFilter("q", "a.title", "search"), TableFilter("min_chars", "a.chars", "min")),
    sort="-published", key=("a.rowid",))

OUTLETS = TableSpec(  # one row per outlet
    "toy-outlets", "Toy outlets", "FROM articles a", where="a.outlet IS NOT NULL", group_by="a.outlet",
    columns=(TableColumn("outlet", "a.outlet"), TableColumn("articles", "count(*)", kind="number"),
             TableColumn("last", "max(a.published)")),
    filters=(TableFilter("language", "a.language", facet=True), TableFilter("title", "a.title", facet=True)),
    sort="-articles")


@pytest.fixture
def filled(store: Store) -> Store:
    arts = []
    for ref, outlet, published, language, title in ARTICLES:
        kw = {k: v for k, v in (("outlet", outlet), ("published", published), ("language", language)) if v}
        arts.append(build_article(Record(ref=ref, text=f"{title}. " + "Officials said the port was closed. " * 4,
                                         source=f"{ref}.txt", kind="jsonl", title=title, **kw)))
    store.write_articles(arts)
    return store


def _refs(store: Store, spec: TableSpec, **filters: str) -> list[str]:
    return [r["article"] for r in table_page(store, spec, Selection(filters), limit=100, offset=0)]


def test_store_tables_filters(filled: Store) -> None:
    assert _refs(filled, ARTICLE_TABLE, outlet="Harbour Courier") == ["a2", "a1"]
    assert _refs(filled, ARTICLE_TABLE, date_from="2025-04-02", date_to="2025-04-02") == ["a2", "a3"]  # inclusive
    assert _refs(filled, ARTICLE_TABLE, q="DRONES") == ["a2", "a3"]  # case-insensitive
    assert _refs(filled, ARTICLE_TABLE, q="50%") == ["a1"] and _refs(filled, ARTICLE_TABLE, q="%") == ["a1"]
    assert _refs(filled, ARTICLE_TABLE, q="a_b") == ["a5"] and _refs(filled, ARTICLE_TABLE, q="_") == ["a5"]
    assert _refs(filled, ARTICLE_TABLE, q="Москва") == ["a4"]  # non-ASCII, same case, on both backends
    assert _refs(filled, ARTICLE_TABLE, language="ru", outlet="Daily Meridian") == []
    assert row_count(filled, ARTICLE_TABLE, Selection({"outlet": "Daily Meridian"})) == 2
    longest = max(r["chars"] for r in table_page(filled, ARTICLE_TABLE, Selection(), limit=10, offset=0))
    assert len(_refs(filled, ARTICLE_TABLE, min_chars=str(longest))) >= 1
    with pytest.raises(ConfigError):
        table_page(filled, ARTICLE_TABLE, Selection({"min_chars": "many"}), limit=1, offset=0)
    with pytest.raises(ConfigError):
        table_page(filled, ARTICLE_TABLE, Selection({"nope": "x"}), limit=1, offset=0)


def test_store_tables_sort_puts_null_last_both_ways(filled: Store) -> None:
    for sort in ("published", "-published", "outlet", "-outlet"):
        rows = table_page(filled, ARTICLE_TABLE, Selection(sort=sort), limit=10, offset=0)
        values = [r[sort.lstrip("-")] for r in rows]
        assert values[-1] is None and None not in values[:-1], sort
        assert values[:-1] == sorted(values[:-1], reverse=sort.startswith("-")), sort
    assert _refs(filled, ARTICLE_TABLE) == ["a5", "a2", "a3", "a1", "a4"]  # default: newest first, ties by rowid
    with pytest.raises(ConfigError):
        table_page(filled, ARTICLE_TABLE, Selection(sort="nope"), limit=1, offset=0)


def test_store_tables_facets_count_rows_and_grouped_rows(filled: Store) -> None:
    assert facet_counts(filled, ARTICLE_TABLE, Selection(), "outlet") == [
        ("Daily Meridian", 2), ("Harbour Courier", 2), (None, 1)]
    assert facet_counts(filled, ARTICLE_TABLE, Selection({"q": "drones"}), "outlet") == [
        ("Daily Meridian", 1), ("Harbour Courier", 1)]
    # grouped: the number of outlets (rows) per language, as a filter would leave them
    assert row_count(filled, OUTLETS, Selection()) == 2
    assert facet_counts(filled, OUTLETS, Selection(), "language") == [("en", 2)]
    rows = table_page(filled, OUTLETS, Selection(), limit=10, offset=0)
    assert [(r["outlet"], r["articles"]) for r in rows] == [("Daily Meridian", 2), ("Harbour Courier", 2)]
    title = "Drones found at the port"
    assert facet_counts(filled, OUTLETS, Selection(), "title", limit=10).count((title, 1)) == 1
    assert [r["outlet"] for r in table_page(filled, OUTLETS, Selection({"title": title}), limit=10, offset=0)] == [
        "Harbour Courier"]


def test_store_tables_batches_read_every_row_once(filled: Store) -> None:
    whole = table_page(filled, ARTICLE_TABLE, Selection(sort="title"), limit=100, offset=0)
    assert list(iter_rows(filled, ARTICLE_TABLE, Selection(sort="title"), batch=2)) == whole
    assert list(iter_rows(lambda: filled, ARTICLE_TABLE, Selection(sort="title"), batch=3, limit=4)) == whole[:4]


def test_store_tables_spec_is_checked() -> None:
    with pytest.raises(ConfigError):
        TableSpec("x", "X", "FROM articles a", columns=(TableColumn("bad name", "a.ref"),))
    with pytest.raises(ConfigError):
        TableSpec("x", "X", "FROM articles a", columns=(TableColumn("a", "a.ref"),), sort="b")
    with pytest.raises(ConfigError):
        TableSpec("x", "X", "FROM articles a", columns=(TableColumn("a", "a.ref"),),
                  filters=(TableFilter("q", "a.ref", "search", facet=True),))


def test_store_tables_row_id_reads_the_same_rows(filled: Store) -> None:
    """With a row_id, pages are a deferred join and exports read by key: the same rows in the same order."""
    keyed = dataclasses.replace(ARTICLE_TABLE, row_id="a.rowid")
    for selection in (Selection(), Selection(sort="title"), Selection({"language": "en"}, "-chars"),
                      Selection({"q": "port"}, "outlet")):
        for offset in (0, 1, 3):
            assert table_page(filled, keyed, selection, limit=2, offset=offset) == table_page(
                filled, ARTICLE_TABLE, selection, limit=2, offset=offset)
        whole = list(iter_rows(filled, ARTICLE_TABLE, selection, batch=2))
        assert list(iter_rows(filled, keyed, selection, batch=2)) == whole
        assert list(iter_rows(lambda: filled, keyed, selection, batch=2, limit=3)) == whole[:3]
    with pytest.raises(ConfigError):
        dataclasses.replace(OUTLETS, row_id="a.rowid")
