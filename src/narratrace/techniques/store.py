"""The techniques analysis's table of the web app (every ``technique`` annotation) and what reviewers review.

Spans are stored as annotations by the pipeline's runner; this module only declares how the web
app's table reads them (:mod:`narratrace.store.tables`).
"""

from __future__ import annotations

from narratrace.narratives.store import story_filter
from narratrace.store.reviews import ReviewKind
from narratrace.store.tables import TableColumn, TableFilter, TableSpec, article_columns, article_filters
from narratrace.techniques.corpus import KIND
from narratrace.techniques.labels import TECHNIQUES

__all__ = ["REVIEW", "TECHNIQUES_TABLE"]

_TEXT = 'substr(a.text, n.start + 1, n."end" - n.start)'
_SCORE = "CAST(json_extract(n.data, '$.score') AS REAL)"

TECHNIQUES_TABLE = TableSpec(
    "techniques", "Technique spans", "FROM annotations n JOIN articles a ON a.id = n.article_id",
    where=f"n.kind = '{KIND}'",
    columns=(*article_columns(),
             TableColumn("technique", "n.label", "Technique", link="filter"),
             TableColumn("text", _TEXT, "Text", width=300),
             TableColumn("score", _SCORE, "Score", kind="number"),
             TableColumn("start", "n.start", "Start", kind="number"),
             TableColumn("end", 'n."end"', "End", kind="number")),
    filters=(*article_filters(),
             TableFilter("technique", "n.label", facet=True, description="a technique (SemEval-2020 Task 11 class)"),
             TableFilter("q", _TEXT, "search", "Text", description="words in the span"),
             TableFilter("min_score", _SCORE, "min", "Score at least", description="lowest score"),
             story_filter()),
    sort="-published", key=("a.rowid", "n.start"), row_id="n.rowid",
    description="Every span that uses a persuasion technique, with its article.")
"""Persuasion technique spans with their article, technique, text and score."""

REVIEW = ReviewKind(
    "technique", "Technique spans", KIND, label_name="technique", choices=tuple(TECHNIQUES), label_in_key=True,
    threshold=0.5, benchmark="ptc", benchmark_writer="narratrace.techniques.reviews:write_ptc")
"""A technique span: confirm, reject, pick another technique or move its edges (scores start at 0.5)."""
