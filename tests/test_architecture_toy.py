"""A new analysis is one package plus one registry line: a toy analysis, registered at run time, shows in
``analyze``, the JSON export, the HTML report and the web app without a change to any shared file."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

TOY = '''
"""Toy analysis: counts the words of each article (a stage, a table, export, report and web)."""
from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from narratrace.analyses import Analysis
from narratrace.model import Annotation
from narratrace.pipeline import StageOutput, stage
from narratrace.schema import Migration, Table, col
from narratrace.sections import NavLink, Section
from narratrace.web.pages import NavItem


@stage("toy_words", version="toy_words.v1", level="article", requires=["article.text"],
       produces=["article.toy_words"])
def make_toy_words():
    def count(article):
        return StageOutput(annotations=(Annotation("toy", 0, 1, "words", {"n": len(article.text.split())}),))
    return count


def words(store):
    return {ref: ann.data["n"] for ref, ann in
            ((store.article(aid).ref, ann) for aid, ann in store.annotations_of_kind("toy"))}


def export_section(store, ref):
    return {"toy_words": words(store)}


def build_section(store, context):
    found = words(store)
    return Section("toy", "report_toy.html", found, (NavLink("toy", f"Toy ({len(found)})"),)) if found else None


def make_pages(context):
    router = APIRouter()
    context.nav.append(NavItem("/toy", "Toy words"))

    @router.get("/toy", response_class=HTMLResponse, include_in_schema=False)
    def toy_page():
        return context.page("toy.html", json_url="/api/toy", v=words(context.store()), title="Toy")

    @router.get("/api/toy")
    def toy_api():
        return {"toy_words": words(context.store())}

    return router


ANALYSIS = Analysis(name="toy", title="Toy", stages=(__name__,), default_stages=("toy_words",),
                    migrations=(Migration("toy_001", tables=(Table("toy_notes", (col("note"),)),)),),
                    export=__name__ + ":export_section", section=__name__ + ":build_section",
                    pages=__name__ + ":make_pages")
'''


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[object]:
    from narratrace import analyses, pipeline

    package = tmp_path / "toyanalysis"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(TOY), encoding="utf-8")
    (package / "templates" / "report_toy.html").write_text(
        '<section id="toy"><h2>Toy words</h2>{% for ref, n in s.view.items() %}<p class="toy">{{ ref }}: {{ n }}'
        '</p>{% endfor %}</section>\n', encoding="utf-8")
    (package / "templates" / "toy.html").write_text(
        '{% extends "base.html" %}{% block main %}{% for ref, n in v.items() %}<p class="toy">{{ ref }}: {{ n }}'
        '</p>{% endfor %}{% endblock %}\n', encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    module = importlib.import_module("toyanalysis")
    analyses.register(module.ANALYSIS)
    yield module
    analyses.unregister("toy")
    pipeline._REGISTRY.pop("toy_words", None)
    sys.path.remove(str(tmp_path))
    sys.modules.pop("toyanalysis", None)


def test_architecture_toy_analysis_reaches_export_report_and_web(toy: object, tmp_path: Path,
                                                                 examples_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from narratrace import analyze, export_corpus
    from narratrace.ingest import ingest
    from narratrace.report import build_report, render_html
    from narratrace.store import open_store
    from narratrace.web import create_app

    db = str(tmp_path / "toy.db")
    with open_store(db) as store:
        ingest(store, [str(examples_dir / "gulf-wire-marrenland-denial.txt")])
        report = analyze(store, stages=["toy_words"])
        assert report.done == {"toy_words": 1}
        assert store.db.execute("SELECT count(*) FROM toy_notes").fetchone() == (0,)  # its table exists
        data = export_corpus(store)
        html = render_html(build_report(store))
    (ref,) = [a["ref"] for a in data["articles"]]
    assert list(data["toy_words"]) == [ref] and data["toy_words"][ref] > 50
    assert '<section id="toy">' in html and '<a href="#toy">Toy (1)</a>' in html
    client = TestClient(create_app(db))
    page = client.get("/toy")
    assert page.status_code == 200 and f'<p class="toy">{ref}: {data["toy_words"][ref]}</p>' in page.text
    assert '<a href="/toy">Toy words</a>' in client.get("/").text
    assert client.get("/api/toy").json() == {"toy_words": data["toy_words"]}


def test_architecture_toy_stage_is_in_the_default_pipeline(toy: object) -> None:
    from narratrace.pipeline import Pipeline, default_stages

    assert default_stages()[-1] == "toy_words"
    Pipeline()  # checks requires/produces with the toy stage in it
