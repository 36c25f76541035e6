"""Request and response schemas of the JSON API (pydantic only here, at the edge).

The shapes mirror the JSON export contract (``narratrace.export``): articles, republication
pairs and groups name articles by ``ref``. Lists are paginated: ``total`` (``null`` where
counting would be too costly, as for search), ``limit`` and ``offset``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdditionOut",
    "ArticleDetail",
    "ArticleOut",
    "ArticlePage",
    "ArticleText",
    "ClaimGroupDetail",
    "ClaimGroupPage",
    "ClaimPage",
    "CountOut",
    "ErrorOut",
    "FactcheckPage",
    "GroupDetail",
    "GroupOut",
    "GroupPage",
    "NarrativePage",
    "MAX_UPLOAD_ARTICLES",
    "OutletDetail",
    "OutletPage",
    "OverviewOut",
    "PassageOut",
    "ProvenanceOut",
    "RepublicationOut",
    "RepublicationPage",
    "SearchHitOut",
    "SearchPage",
    "SkippedOut",
    "SkippedPage",
    "SourcePage",
    "StatsOut",
    "StoryDetail",
    "StoryPage",
    "TechniquePage",
    "UploadIn",
    "UploadOut",
]

MAX_UPLOAD_ARTICLES = 1000


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(_Out):
    ok: bool = False
    error: str = Field(description="what went wrong, in words")
    errors: list[dict[str, Any]] = Field(default_factory=list, description="details (invalid fields)")
    status: int


class ArticleOut(_Out):
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


class ArticleText(ArticleOut):
    text: str
    paragraphs: list[tuple[int, int]]
    sentences: list[tuple[int, int]]


class PassageOut(_Out):
    original_start: int
    original_end: int
    copy_start: int
    copy_end: int


class AdditionOut(_Out):
    kind: str
    start: int
    end: int
    label: str | None
    data: dict[str, Any] = Field(default_factory=dict)


class RepublicationOut(_Out):
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

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class GroupOut(_Out):
    id: int
    original: str = Field(description="ref of the original")
    members: list[str] = Field(description="refs, the original included")
    reason: str


class _Page(_Out):
    ok: bool = True
    total: int | None
    limit: int
    offset: int


class ArticlePage(_Page):
    articles: list[ArticleOut]


class RepublicationPage(_Page):
    republications: list[RepublicationOut]


class GroupPage(_Page):
    republication_groups: list[GroupOut]


class SkippedOut(_Out):
    path: str
    reason: str
    code: str


class SkippedPage(_Page):
    skipped: list[SkippedOut]


class SearchHitOut(_Out):
    ref: str
    title: str | None
    outlet: str | None
    published: str | None
    snippet: str = Field(description="matched words are between [ and ]")
    score: float


class SearchPage(_Page):
    query: str
    windowed: bool = Field(description="more matches than the ranking window: the hits are the best of the "
                                       "most recently ingested matches")
    hits: list[SearchHitOut]


class CountOut(_Out):
    value: str | None
    count: int


class StatsOut(_Out):
    articles: int
    republications: int
    republication_groups: int
    skipped: int
    date_from: str | None
    date_to: str | None
    undated: int
    outlets: list[CountOut] = Field(description="articles per outlet, most first (capped)")
    languages: list[CountOut]


class OverviewOut(_Out):
    ok: bool = True
    stats: StatsOut
    filters: dict[str, str | None]
    articles: ArticlePage
    republication_groups: list[GroupOut] = Field(description="the first groups")


class ArticleDetail(_Out):
    ok: bool = True
    article: ArticleText
    republications: list[RepublicationOut] = Field(description="pairs in which it is the copy, then the original")
    republications_not_shown: int = Field(description="pairs beyond the first 1,000")
    republication_group: GroupOut | None
    annotations: list[AdditionOut]
    claims: list[dict[str, Any]] = Field(default_factory=list, description="its claims (export contract)")
    claim_groups: list[str] = Field(default_factory=list, description="ids of the claim groups it is in")
    narratives: list[dict[str, Any]] = Field(default_factory=list,
                                             description="narratives with their evidence sentences (offsets)")
    stories: list[dict[str, Any]] = Field(default_factory=list, description="the stories it belongs to")
    techniques: list[dict[str, Any]] = Field(default_factory=list, description="persuasion technique spans")
    technique_counts: dict[str, int] = Field(default_factory=dict, description="spans per technique")
    framing: list[dict[str, Any]] = Field(default_factory=list,
                                          description="entities with main and fine roles and evidence sentence")
    factcheck_matches: list[dict[str, Any]] = Field(default_factory=list,
                                                    description="its claims with their matched fact-checks")


class GroupDetail(_Out):
    ok: bool = True
    republication_group: GroupOut
    articles: list[ArticleOut]
    republications: list[RepublicationOut] = Field(description="the pairs whose copy is a member")
    members_not_shown: int


class OutletPage(_Page):
    outlets: list[CountOut]


class OutletDetail(_Out):
    ok: bool = True
    outlet: str
    articles: ArticlePage
    copied_from: list[CountOut] = Field(description="outlets whose articles this one republished")
    copied_by: list[CountOut] = Field(description="outlets that republished this one's articles")
    framing: list[dict[str, Any]] = Field(default_factory=list,
                                          description="how it casts each entity (main role in N of M articles)")


class NarrativePage(_Page):
    analysed: int = Field(description="articles the narratives stage classified")
    narratives: list[dict[str, Any]]
    topics: list[dict[str, Any]] = Field(description="candidate narratives the taxonomy does not cover")


class StoryPage(_Page):
    stories: list[dict[str, Any]]


class StoryDetail(_Page):
    story: dict[str, Any]
    articles: list[ArticleOut]


class TechniquePage(_Page):
    analysed: int
    spans: int
    techniques: list[dict[str, Any]]
    outlets: list[dict[str, Any]]
    narratives: list[dict[str, Any]]
    articles: list[dict[str, Any]]


class FactcheckPage(_Page):
    factchecks: int = Field(description="fact-checks imported")
    matched_claims: int
    debunked: list[dict[str, Any]] = Field(description="debunked claims, the articles repeating them, and the "
                                                       "outlets repeating them after the debunk date")
    claims: list[dict[str, Any]]


class UploadIn(BaseModel):
    """Articles to ingest; each object uses the JSONL field names (``id``, ``text``, ``title``, ...)."""

    model_config = ConfigDict(extra="forbid")
    articles: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_UPLOAD_ARTICLES)


class UploadOut(_Out):
    ok: bool = True
    added: int
    updated: int
    unchanged: int
    refs: list[str] = Field(description="refs of the articles ingested, in upload order")
    skipped: list[SkippedOut]
    analysis: dict[str, int] = Field(description="articles processed per stage")
    failed: list[str]


# -- claims, claim groups, cited sources, provenance (shown only when the claims analysis ran) ------

class ClaimPage(_Page):
    claims: list[dict[str, Any]] = Field(description="claims in the export contract's shape (article by ref)")


class ClaimGroupPage(_Page):
    claim_groups: list[dict[str, Any]] = Field(description="claim groups in the export contract's shape")


class ClaimGroupDetail(_Out):
    ok: bool = True
    claim_group: dict[str, Any] = Field(description="the group in the export contract's shape, with its members")
    timeline: list[dict[str, Any]] = Field(description="appearances in order: article, outlet, published, "
                                                       "stance, attribution, sources, claims")


class SourcePage(_Page):
    sources: list[dict[str, Any]] = Field(description="cited sources, most cited first: source, kind, names, "
                                                      "claims, articles (refs), outlets")


class ProvenanceOut(_Out):
    ok: bool = True
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
