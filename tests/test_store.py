from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from narratrace.errors import MigrationError, NotFound, StoreError
from narratrace.ingest import Record, build_article
from narratrace.store import SCHEMA_VERSION, Store


def _article(ref: str, text: str, **kw: str):
    art = build_article(Record(ref=ref, text=text, source=f"{ref}.txt", kind="jsonl", **kw))
    assert not hasattr(art, "reason"), art
    return art


def test_store_fresh_database_is_migrated_and_in_wal(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    assert store.schema_version == SCHEMA_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r[0] for r in store.db.execute("SELECT name FROM _migrations")]
    assert names[0] == "001_initial" and len(names) == SCHEMA_VERSION
    store.close()
    again = Store(tmp_path / "a.db")  # reopening applies nothing twice
    assert [r[0] for r in again.db.execute("SELECT name FROM _migrations")] == names


def test_store_refuses_database_from_newer_version(tmp_path: Path) -> None:
    Store(tmp_path / "a.db").close()
    db = sqlite3.connect(tmp_path / "a.db")
    db.execute("INSERT INTO _migrations VALUES ('999_future', 'x')")
    db.commit()
    db.close()
    with pytest.raises(MigrationError, match="999_future"):
        Store(tmp_path / "a.db")


def test_store_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        Store(bad)


def test_store_reingesting_same_content_is_a_noop(store: Store) -> None:
    art = _article("a1", "Officials said the port was closed on Monday. " * 5, title="Port closed")
    assert store.write_articles([art]).added == 1
    counts = store.write_articles([art])
    assert (counts.added, counts.updated, counts.unchanged) == (0, 0, 1)
    assert store.count_articles() == 1


def test_store_changed_content_updates_and_drops_analyses(store: Store) -> None:
    art = _article("a1", "Officials said the port was closed on Monday. " * 5)
    store.write_articles([art])
    store.save_stage_results("fingerprints", "v1", [(art.id, art.content_hash, b"x", [])])
    assert store.pending("fingerprints", "v1") == []
    new = _article("a1", "Officials said the port reopened on Tuesday. " * 5)
    assert store.write_articles([new]).updated == 1
    assert store.article("a1").text.startswith("Officials said the port reopened")
    assert store.pending("fingerprints", "v1") == [new.id]
    assert [h.ref for h in store.search("reopened")] == ["a1"]
    assert store.search("closed") == []  # the old text left the full-text index too


def test_store_search_handles_syntax_characters(store: Store) -> None:
    store.write_articles([_article("a1", 'The "SVR" said: NATO AND (allies) * were warned.')])
    assert [h.ref for h in store.search('SVR (allies) AND "')] == ["a1"]
    assert store.search("   ") == []


def test_store_unknown_article_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.article("nope")


def test_store_failed_batch_is_rolled_back(store: Store) -> None:
    good = _article("good", "Some text about ports and ships. " * 4)
    store.write_articles([good])

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with store._transaction():
            store.db.execute("DELETE FROM articles")
            raise Boom()
    assert store.count_articles() == 1


def test_store_search_long_text_snippet_marks_the_first_hit(tmp_path: Path) -> None:
    """SQLite's snippet() scored each of a 1.2 MB text's 40,000 hits of "officials": 6 s per search
    (bench: a corpus with one transcript). A text over LONG_TEXT_CHARS gets the window around its first
    hit instead, in the same form; a shorter one keeps FTS5's own snippet."""
    from narratrace.store.db import LONG_TEXT_CHARS, first_snippet

    text = "Transcript\n\n" + " ".join(f"Officials said {i} boats sank." for i in range(30_000))
    assert len(text) > LONG_TEXT_CHARS
    store = Store(tmp_path / "long.db")  # SQLite's search (PostgreSQL's headline is its own)
    store.write_articles([_article("long", text), _article("short", "Short note: officials met.")])
    by_ref = {h.ref: h.snippet for h in store.search("officials")}
    assert by_ref["long"].startswith("Transcript\n\n[Officials] said 0 boats sank.") and by_ref["long"].endswith("boats sank … ")
    assert by_ref["short"] == "Short note: [officials] met."  # FTS5's own snippet
    assert first_snippet("Ein Café in al-Tanf, dann mehr.", ["cafe", "al-tanf"]) == "Ein [Café] in [al-Tanf], dann mehr."
