"""Hostile options of the read commands (search, export, report, claims, ...): a usage error or a
one-line ``Error:``, never a traceback. Arguments that are not UTF-8 come from a real shell as bytes
(``narratrace claims --article $'\\xff'``): Python hands them over as lone surrogates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.ingest import ingest
from narratrace.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "corpus"
HUGE = "9" * 25


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("clihostile") / "c.db"
    with Store(path) as store:
        ingest(store, [EXAMPLES / "coastline-post-dockworkers.txt"], workers=1)
    return str(path)


def run(*args: str) -> object:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.mark.parametrize("n", [HUGE, "-1", "0", "-" + HUGE])
def test_cli_hostile_search_limit_out_of_range_is_a_usage_error(db: str, n: str) -> None:
    result = run("search", "dockworkers", "--db", db, "-n", n)
    assert result.exit_code == 2 and "--limit" in result.output  # type: ignore[attr-defined]


def test_cli_hostile_store_search_clamps_limit_and_offset(db: str) -> None:
    with Store(db, readonly=True) as store:
        assert [h.ref for h in store.search("dockworkers", limit=10 ** 30)] == [store.article_index()[0]["ref"]]
        assert store.search_page("dockworkers", limit=5, offset=10 ** 30) == ([], False)
        assert store.search_page("dockworkers", limit=5, offset=-5)[0]  # a negative offset is the first page


@pytest.mark.parametrize("command", [["claims", "--article"], ["narratives", "--article"],
                                     ["techniques", "--article"], ["factchecks", "export", "--article"]])
@pytest.mark.parametrize("ref", ["\udcff", "x\ud800", "\x00"])
def test_cli_hostile_article_ref_not_utf8_is_not_found(db: str, command: list[str], ref: str) -> None:
    result = run(*command, ref, "--db", db)
    assert result.exit_code == 1 and "[NT404]" in result.output, result.output  # type: ignore[attr-defined]


def test_cli_hostile_store_article_with_lone_surrogate_is_not_found(db: str) -> None:
    from narratrace.errors import NotFound

    with Store(db, readonly=True) as store, pytest.raises(NotFound):
        store.article("\udcff")


def test_cli_hostile_argv_bytes_from_a_shell(db: str) -> None:
    """The same through a real process: argv bytes that are not UTF-8."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-m", "narratrace.cli", "claims", "--article", b"\xff\xfe", "--db", db],
                         env=env, capture_output=True, timeout=120)
    assert out.returncode == 1 and b"[NT404]" in out.stderr and b"Traceback" not in out.stderr, out.stderr


@pytest.mark.parametrize("title", ["\udcff\udcfe", "a\ud800b", "<script>alert(1)</script>\x00"])
def test_cli_hostile_report_title_is_written_escaped(db: str, tmp_path: Path, title: str) -> None:
    out = tmp_path / "r.html"
    result = run("report", "--db", db, "--title", title, "-o", str(out))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "\x00" not in html
    if title.startswith("<"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_cli_hostile_empty_db_option_says_so(tmp_path: Path) -> None:
    result = run("export", "--db", "")
    assert result.exit_code == 1 and "--db" in result.output and "empty" in result.output  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", ['"', "*", "NEAR(a b)", 'a" OR "b', "\x00", "a\x00b", "(", "^", "\udcff", "x" * 20000])
def test_cli_hostile_search_syntax_is_plain_words(db: str, query: str) -> None:
    result = run("search", query, "--db", db, "--json")
    assert result.exit_code == 0 and result.output.strip().startswith("[")  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", ["", "  ", '"', "*?!"])
def test_cli_hostile_search_without_a_word_says_so(db: str, query: str) -> None:
    result = run("search", query, "--db", db)
    assert result.exit_code == 0 and "no word to search for" in result.output  # type: ignore[attr-defined]
    assert "no word" not in run("search", "zzzqqq", "--db", db).output  # type: ignore[attr-defined]


@pytest.mark.parametrize("n", ["-1", "0", HUGE])
def test_cli_hostile_match_top_out_of_range_is_a_usage_error(db: str, n: str) -> None:
    result = run("match", "drones", "--db", db, "-n", n)
    assert result.exit_code == 2 and "--top" in result.output  # type: ignore[attr-defined]


def test_cli_hostile_report_to_a_file_name_not_utf8(db: str, tmp_path: Path) -> None:
    out = tmp_path / "r\udcfe.html"
    result = run("report", "--db", db, "-o", str(out))
    assert result.exit_code == 0 and "report written to" in result.output and out.exists()  # type: ignore[attr-defined]


def test_cli_hostile_other_argument_not_utf8_is_one_line_error(db: str) -> None:
    """What no store method checks reaches the command group's guard: a one-line error, not a traceback."""
    result = run("match", "\udcff", "--db", db)
    assert result.exit_code == 1 and "not UTF-8" in result.output  # type: ignore[attr-defined]
