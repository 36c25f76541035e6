"""Each reader on a small hand-written fixture (tests/data/ingest/formats) or a WARC built here."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from narratrace.ingest import build_article, ingest, read_file
from narratrace.ingest.readers import FIELD_MAP, READERS, reader_for
from narratrace.ingest.record import Record
from narratrace.model import Article, Skipped
from narratrace.store import Store

FORMATS = Path(__file__).parent / "data" / "ingest" / "formats"


def records(path: Path) -> list[Record | Skipped]:
    return list(read_file(path))


def only_record(path: Path) -> Record:
    found = records(path)
    assert len(found) == 1 and isinstance(found[0], Record), found
    return found[0]


def article(record: Record | Skipped) -> Article:
    assert isinstance(record, Record), record
    built = build_article(record)
    assert isinstance(built, Article), built
    return built


def write_warc(path: Path, pages: list[tuple[str, str, bytes]], *, gzip: bool = True) -> bytes:
    """A real WARC (warcio) with a warcinfo record, then one response (and request) per page."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzip)
    info = writer.create_warcinfo_record(path.name, {"software": "narratrace-tests"})
    writer.write_record(info)
    for uri, content_type, body in pages:
        request = writer.create_warc_record(uri, "request", payload=io.BytesIO(b""), length=0,
                                            warc_headers_dict={"WARC-Date": "2023-05-01T12:00:00Z"})
        writer.write_record(request)
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        response = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), length=len(body),
                                             http_headers=headers,
                                             warc_headers_dict={"WARC-Date": "2023-05-01T12:00:00Z"})
        writer.write_record(response)
    data = buf.getvalue()
    path.write_bytes(data)
    return data


def page(title: str, paragraphs: int = 4, *, date_meta: str | None = None) -> bytes:
    head = f'<meta property="article:published_time" content="{date_meta}">' if date_meta else ""
    body = "".join(f"<p>Paragraph {i} of the story about {title.lower()} has enough words to be kept as text.</p>"
                   for i in range(paragraphs))
    return (f"<html><head><title>{title}</title>{head}</head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>Contact us</footer></body></html>").encode()


def test_ingest_formats_readers_cover_every_suffix() -> None:
    assert set(READERS) == {".txt", ".html", ".htm", ".jsonl", ".ndjson", ".csv", ".tsv", ".warc", ".warc.gz"}
    assert reader_for(Path("crawl.warc.gz")) is READERS[".warc.gz"]
    assert reader_for(Path("A.HTM")) is READERS[".htm"]
    assert reader_for(Path("notes.md")) is None


def test_ingest_formats_field_map_is_documented_constant() -> None:
    assert FIELD_MAP["ref"] == ("id", "ref", "_id")
    assert FIELD_MAP["text"] == ("text", "content", "body", "maintext")
    assert FIELD_MAP["outlet"] == ("outlet", "source", "site", "site_name", "domain")
    assert FIELD_MAP["published"] == ("published", "date", "date_publish", "published_at", "pubDate")
    assert set(FIELD_MAP) == {"ref", "text", "title", "url", "outlet", "author", "published", "language"}


def test_ingest_formats_txt_header_metadata() -> None:
    art = article(only_record(FORMATS / "harbour-strike.txt"))
    assert art.ref == "harbour-strike"
    assert art.title == "Harbour Workers Strike Over Pay in Port Example"
    assert (art.published, art.published_how) == ("2025-04-03", "text:date-line")
    assert art.author == "Maria Lopez"
    assert art.outlet is None
    assert art.language == "en"
    assert art.meta["encoding"] == "utf-8"
    assert art.meta["inferred"] == {"title": "text:first-line", "published": "text:date-line",
                                    "author": "text:byline"}


def test_ingest_formats_html_main_text_and_metadata() -> None:
    rec = only_record(FORMATS / "ports-reopen.html")
    assert rec.kind == "html"
    assert rec.ref == "ports-reopen"
    assert rec.title == "Ports Reopen After Storm"
    assert rec.outlet == "Example News"
    assert rec.author == "Jane Roe"
    assert rec.url == "https://news.example.org/2023/ports-reopen"
    assert (rec.published, rec.published_how) == ("2023-04-05", "html:meta")
    paragraphs = rec.text.split("\n\n")
    assert paragraphs[0] == "Ports Reopen After Storm"
    assert paragraphs[1].startswith("The harbour authority said on Tuesday")
    assert paragraphs[2] == ("Officials expect the backlog to clear within a week, weather permitting, according "
                             "to a statement published in the morning by the authority.")
    assert paragraphs[3] == "Readers who saw the code in an old comment were told it had been removed."
    assert paragraphs[4].startswith("Fishermen, who lost four days of work") and "emergency aid" in paragraphs[4]
    assert len(paragraphs) == 5  # no navigation, no footer


def test_ingest_formats_html_hostile_markup_never_reaches_text() -> None:
    text = only_record(FORMATS / "ports-reopen.html").text
    for bad in ("<", ">", "script", "alert", "onerror", "onclick", "onload", "cookie", "evil.example", "color: red",
                "Home", "Subscribe"):
        assert bad not in text, bad


def test_ingest_formats_jsonl_field_mapping() -> None:
    found = records(FORMATS / "feed.jsonl")
    assert all(isinstance(r, Record) for r in found)
    first, second, third = found  # type: ignore[misc]
    assert (first.ref, first.title, first.url, first.outlet, first.author, first.published, first.language) == (
        "j-1", "Grain Exports Rise", "https://wire.example.com/grain", "Example Wire", "Ann Lee", "2024-03-29", "en")
    assert first.published_how == "jsonl:published"
    assert first.source == f"{FORMATS / 'feed.jsonl'}#1"
    assert (second.ref, second.title, second.url, second.outlet) == (
        "65f0c0ffee", "Nouveau plan de transport", "https://journal.example.fr/plan", "Journal Exemple")
    assert second.author == "Marie Dupont, Luc Martin"
    assert (second.published, second.published_how, second.language) == ("2024-03-26", "jsonl:date_publish", "fr")
    assert second.text.startswith("Le gouvernement")
    assert (third.ref, third.outlet, third.published, third.published_how) == (
        "j-3", "Rail News", "2024-03-27", "jsonl:pubDate")
    assert third.title is None


def test_ingest_formats_csv_and_tsv() -> None:
    city = records(FORMATS / "city.csv")
    assert [r.ref for r in city if isinstance(r, Record)] == ["c-1", "c-2"]
    c1, c2 = city
    assert isinstance(c1, Record) and isinstance(c2, Record)
    assert c1.kind == "csv" and c1.source == f"{FORMATS / 'city.csv'}#2"
    assert (c1.title, c1.url, c1.outlet, c1.author, c1.published) == (
        "Bridge Closed", "https://city.example.net/bridge", "City Paper", "Tom Bell", "2022-03-06")
    assert "\n\nTraffic will be diverted" in c1.text.replace("\r\n", "\n")
    assert c2.source == f"{FORMATS / 'city.csv'}#5"  # the row starts after c-1's three lines
    assert (c2.url, c2.author, c2.published, c2.published_how) == (None, None, "2022-03-05", "csv:published")
    assert '"free coffee"' in c2.text
    (market,) = records(FORMATS / "market.tsv")
    assert isinstance(market, Record)
    assert (market.ref, market.kind, market.title, market.outlet, market.published, market.published_how) == (
        "t-1", "tsv", "Market Day", "market.example.org", "2023-06-10", "tsv:date")


def test_ingest_formats_warc_html_responses(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_warc(path, [
        ("https://www.news.example.org/2023/05/ports-reopen", "text/html; charset=utf-8",
         page("Ports Reopen", date_meta="2023-04-05T10:00:00Z")),
        ("https://news.example.org/style.css", "text/css", b"body { color: red }"),
        ("https://news.example.org/search?q=storm&page=2", "text/html", page("Storm Search Results")),
    ])
    found = records(path)
    assert [type(r).__name__ for r in found] == ["Record", "Record"]  # the CSS record is ignored, not skipped
    first, second = found
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.ref == "news.example.org-2023-05-ports-reopen"
    assert first.url == "https://www.news.example.org/2023/05/ports-reopen"
    assert first.kind == "warc" and first.source == f"{path}#3"
    assert first.title == "Ports Reopen"
    assert (first.published, first.published_how) == ("2023-04-05", "html:meta")
    assert first.text.split("\n\n")[1].startswith("Paragraph 0 of the story about ports reopen")
    assert second.ref.startswith("warc-") and len(second.ref) == len("warc-") + 12  # query string: hashed
    assert second.ref == records(path)[1].ref  # type: ignore[union-attr]  # stable
    assert (second.published, second.published_how) == ("2023-05-01", "warc:date")


def test_ingest_formats_plain_warc_and_duplicate_uri(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc"
    uri = "https://example.net/a/story"
    write_warc(path, [(uri, "text/html", page("First Fetch")), (uri, "text/html", page("Second Fetch"))],
               gzip=False)
    found = records(path)
    assert isinstance(found[0], Record) and found[0].title == "First Fetch"
    assert isinstance(found[1], Skipped) and found[1].code == "NT215"
    assert found[1].reason == f"record 5: {uri} was already read from record 3"


def test_ingest_formats_whole_directory(tmp_path: Path) -> None:
    data = tmp_path / "in"
    shutil.copytree(FORMATS, data)
    write_warc(data / "crawl.warc.gz", [("https://news.example.org/w", "text/html", page("Warc Story"))])
    store = Store(tmp_path / "x.db")
    report = ingest(store, [data])
    refs = sorted(a.ref for a in store.articles())
    assert refs == ["65f0c0ffee", "c-1", "c-2", "harbour-strike", "j-1", "j-3", "news.example.org-w",
                    "ports-reopen", "t-1"]
    assert report.skipped == [] and store.skipped() == []
    assert report.added == 9
    again = ingest(store, [data])
    assert (again.added, again.files_unchanged) == (0, 6)
    store.close()


def test_ingest_formats_html_keeps_article_links(tmp_path) -> None:
    from narratrace.ingest import read_file

    page = tmp_path / "linked.html"
    body = " ".join(["The ministry statement was published on Tuesday and described the seized cargo."] * 6)
    page.write_text(
        "<html><head><title>Linked</title><link rel='canonical' href='https://news.example/a/1'></head><body>"
        "<nav><a href='https://news.example/menu'>Menu</a></nav>"
        f"<article><h1>Linked</h1><p>{body} <a href='/b/2'>earlier report</a> and "
        "<a href='https://other.example/source'>the source</a> <a href='javascript:alert(1)'>x</a></p></article>"
        "</body></html>", encoding="utf-8")
    records = list(read_file(page))
    links = records[0].meta["links"]
    assert links == [{"url": "https://news.example/b/2", "text": "earlier report"},
                     {"url": "https://other.example/source", "text": "the source"}]
