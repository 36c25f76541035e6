"""Schema-driven fuzzing of the JSON API from its own OpenAPI document (schemathesis, in-process).

Every operation in ``/openapi.json`` gets requests that schemathesis generates from its
parameters and body schema, valid and invalid; each answer must not be a 500 and must fit
the schema (status documented, body valid, content type as declared). The budget is
small here (``make test``); ``make fuzz`` runs the same tests with ``NARRATRACE_FUZZ=1``
and many more examples.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narratrace.store import Store
from narratrace.web import create_app

from test_web_api import TOKEN, build_web_store

LONG = os.environ.get("NARRATRACE_FUZZ") == "1"
EXAMPLES = 400 if LONG else 25
UPLOADS = 100 if LONG else 8


@pytest.fixture(scope="module")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_web_store(tmp_path_factory.mktemp("fuzz") / "web.db")


def _openapi() -> dict:
    """The app's OpenAPI document (it depends on the code only: read from an app over an empty store)."""
    home = Path(tempfile.mkdtemp(prefix="narratrace-openapi-"))
    try:
        Store(home / "empty.db").close()
        return create_app(str(home / "empty.db")).openapi()
    finally:
        shutil.rmtree(home, ignore_errors=True)


SCHEMA = schemathesis.openapi.from_dict(_openapi())
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def read_app(web_db: Path) -> Iterator[Any]:
    with TestClient(create_app(str(web_db))) as client:  # runs the app's lifespan around the module
        yield client.app


@pytest.fixture(scope="module")
def write_app(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    copy = tmp_path_factory.mktemp("fuzz-write") / "web.db"
    shutil.copy(web_db, copy)
    with TestClient(create_app(str(copy), write_token=TOKEN)) as client:
        yield client.app


@SCHEMA.include(method="GET").parametrize()
@FUZZ
def test_web_fuzz_every_read_operation_answers_by_its_schema(case: schemathesis.Case, read_app: Any) -> None:
    case.call_and_validate(app=read_app)


@SCHEMA.include(method="POST").parametrize()
@settings(FUZZ, max_examples=UPLOADS)
def test_web_fuzz_upload_answers_by_its_schema(case: schemathesis.Case, write_app: Any) -> None:
    case.call_and_validate(app=write_app, headers={"Authorization": f"Bearer {TOKEN}"})


@SCHEMA.include(method="GET", tag="reviews").parametrize()
@FUZZ
def test_web_fuzz_review_reads_with_the_token_answer_by_their_schema(case: schemathesis.Case, write_app: Any) -> None:
    """The review endpoints past the token check (the read app, without a token, answers them 403)."""
    case.call_and_validate(app=write_app, headers={"Authorization": f"Bearer {TOKEN}"})


# -- the HTML pages (not in the OpenAPI document): any path segment or parameter, never a 500 ----------

PAGES = ["/", "/articles/{}", "/groups", "/groups/{}", "/search", "/search/claims", "/outlets", "/outlets/{}",
         "/skipped", "/claim-groups", "/claim-groups/{}", "/sources", "/narratives", "/stories", "/stories/{}",
         "/techniques", "/factchecks", "/provenance", "/stories/map", "/tables", "/tables/claims", "/tables/sources",
         "/tables/techniques", "/tables/framing", "/tables/factcheck-matches", "/reviews"]
PARAMS = ["q", "limit", "offset", "outlet", "language", "date_from", "date_to", "copy", "with",
          "sort", "source", "kind", "group", "story", "technique", "role", "entity", "fine_role", "verdict", "tier",
          "publisher", "min_score", "article"]
values = st.text(max_size=40) | st.integers(-(2 ** 70), 2 ** 70).map(str) | st.sampled_from(["", "0", "-1", "%00"])


@pytest.fixture(scope="module")
def page_client(web_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(web_db))) as client:
        yield client


@settings(FUZZ, max_examples=EXAMPLES * 4)
@given(page=st.sampled_from(PAGES), segment=values, params=st.dictionaries(st.sampled_from(PARAMS), values, max_size=4))
def test_web_fuzz_pages_never_answer_500(page_client: TestClient, page: str, segment: str,
                                         params: dict[str, str]) -> None:
    url = page.format(quote(segment, safe="") or "x")
    r = page_client.get(url, params=params)
    assert r.status_code < 500, (url, params, r.text[:500])
    assert r.headers["content-type"].startswith("text/html"), (url, params)
