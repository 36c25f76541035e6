"""Request and response schemas of the JSON API (pydantic only at the edge): the corpus's own, and the bases.

The shapes mirror the JSON export contract (``narratrace.export``): articles, republication
pairs and groups name articles by ``ref``. Lists are paginated: ``total`` (``null`` where
counting would be too costly, as for search), ``limit`` and ``offset`` (:class:`PageOut`).
Each analysis's pages declare their own models (``<analysis>/web.py``), on :class:`Out` and
:class:`PageOut`; what its panels add to an article's or an outlet's JSON extends
:class:`ArticleDetail` and :class:`OutletDetail` (:func:`with_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

__all__ = [
    "AdditionOut",
    "ArticleDetail",
    "ArticleOut",
    "ArticlePage",
    "ArticleText",
    "CountOut",
    "ErrorOut",
    "GroupOut",
    "MAX_UPLOAD_ARTICLES",
    "Out",
    "OutletDetail",
    "OutletPage",
    "OverviewOut",
    "PageOut",
    "PassageOut",
    "RepublicationOut",
    "SearchHitOut",
    "SearchPage",
    "SkippedOut",
    "SkippedPage",
    "StatsOut",
    "UploadIn",
    "UploadOut",
    "with_fields",
]

MAX_UPLOAD_ARTICLES = 1000


class Out(BaseModel):
    """A response: no field beyond those declared."""

    model_config = ConfigDict(extra="forbid")


def with_fields(model: type[Out], fields: Mapping[str, tuple[Any, Any]]) -> type[Out]:
    """``model`` with ``fields`` added after its own, under the same name (the OpenAPI schema's name)."""
    if not fields:
        return model
    return create_model(model.__name__, __base__=model, __module__=model.__module__,  # type: ignore[call-overload]
                        **fields)


class ErrorOut(Out):
    ok: bool = False
    error: str = Field(description="what went wrong, in words")
    errors: list[dict[str, Any]] = Field(default_factory=list, description="details (invalid fields)")
    status: int


class ArticleOut(Out):
    id: str
    ref: str
    title: str | None
    outlet: str | None
    published: str | None
    published_how: str | None
    language: str | None
    chars: int
    url: str | None
    author: str | None
    not_analysed: dict[str, str] = Field(default_factory=dict, description="stages that did not analyse the "
                                         "article, with the reason (\"language ru\"); empty when all did")


class ArticleText(ArticleOut):
    text: str
    paragraphs: list[tuple[int, int]]
    sentences: list[tuple[int, int]]


class PassageOut(Out):
    original_start: int
    original_end: int
    copy_start: int
    copy_end: int


class AdditionOut(Out):
    kind: str
    start: int
    end: int
    label: str | None
    data: dict[str, Any] = Field(default_factory=dict)


class RepublicationOut(Out):
    original: str = Field(description="ref of the original")
    copy_: str = Field(alias="copy", serialization_alias="copy", description="ref of the copy")
    similarity: float
    copy_share: float
    original_share: float
    shared_passages: list[PassageOut]
    additions: list[AdditionOut]
    edits: list[PassageOut]
    edited_sentences: list[tuple[int, int]]
    reason: str
    evidence: str = Field(description="credit | date | order")
    original_date: str | None = Field(default=None, description="the original's date (YYYY-MM-DD) as the copy's "
                                                                 "credit line gives it, if it does")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class GroupOut(Out):
    id: int
    original: str = Field(description="ref of the original")
    members: list[str] = Field(description="refs, the original included")
    reason: str


class PageOut(Out):
    """One page of a list."""

    ok: bool = True
    total: int | None
    limit: int
    offset: int


class ArticlePage(PageOut):
    articles: list[ArticleOut]


class SkippedOut(Out):
    path: str
    reason: str
    code: str


class SkippedPage(PageOut):
    skipped: list[SkippedOut]


class SearchHitOut(Out):
    ref: str
    title: str | None
    outlet: str | None
    published: str | None
    snippet: str = Field(description="matched words are between [ and ]")
    score: float


class SearchPage(PageOut):
    query: str
    windowed: bool = Field(description="more matches than the ranking window: the hits are the best of the "
                                       "most recently ingested matches")
    hits: list[SearchHitOut]


class CountOut(Out):
    value: str | None
    count: int


class CoverageOut(Out):
    stage: str
    analysed: int
    not_analysed: int
    reasons: dict[str, int]


class StatsOut(Out):
    articles: int
    republications: int
    republication_groups: int
    skipped: int
    date_from: str | None
    date_to: str | None
    undated: int
    outlets: list[CountOut] = Field(description="articles per outlet, most first (capped)")
    languages: list[CountOut]
    coverage: list[CoverageOut] = Field(default_factory=list, description="per stage, in run order: articles "
                                        "analysed, and not analysed by reason (\"language ru\")")


class OverviewOut(Out):
    ok: bool = True
    stats: StatsOut
    filters: dict[str, str | None]
    articles: ArticlePage
    republication_groups: list[GroupOut] = Field(description="the first groups")


class ArticleDetail(Out):
    ok: bool = True
    article: ArticleText
    republications: list[RepublicationOut] = Field(description="pairs in which it is the copy, then the original")
    republications_not_shown: int = Field(description="pairs beyond the first 1,000")
    republication_group: GroupOut | None
    annotations: list[AdditionOut]


class OutletPage(PageOut):
    outlets: list[CountOut]


class OutletDetail(Out):
    ok: bool = True
    outlet: str
    articles: ArticlePage
    copied_from: list[CountOut] = Field(description="outlets whose articles this one republished")
    copied_by: list[CountOut] = Field(description="outlets that republished this one's articles")


class UploadIn(BaseModel):
    """Articles to ingest; each object uses the JSONL field names (``id``, ``text``, ``title``, ...)."""

    model_config = ConfigDict(extra="forbid")
    articles: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_UPLOAD_ARTICLES)


class UploadOut(Out):
    ok: bool = True
    added: int
    updated: int
    unchanged: int
    refs: list[str] = Field(description="refs of the articles ingested, in upload order")
    skipped: list[SkippedOut]
    analysis: dict[str, int] = Field(description="articles processed per stage")
    failed: list[str]
