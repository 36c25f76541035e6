"""Stories and narratives: taxonomy loading, narrative classification with evidence, story
clustering, discovery of uncovered narratives, and the views (export, CLI, report timelines).

The pipeline stages live in :mod:`narratrace.narratives.stage` and :mod:`narratrace.narratives.stories_stage`.
"""

from __future__ import annotations

from narratrace.narratives.classifier import DEFAULT_MODEL, NarrativeHit, Prediction, load_model
from narratrace.narratives.stories import Story, StoryOptions, cluster_stories
from narratrace.narratives.taxonomy import Label, Taxonomy, load_taxonomies, load_taxonomy

from narratrace.analyses import Analysis
from narratrace.narratives.store import MIGRATIONS

ANALYSIS = Analysis(
    name="narratives", title="Stories and narratives",
    stages=("narratrace.narratives.stage", "narratrace.narratives.stories_stage"),
    default_stages=("narratives", "stories", "narrative_discovery"),
    migrations=MIGRATIONS, export="narratrace.narratives.views:export_section",
    section="narratrace.narratives.views:build_report_section", pages="narratrace.narratives.web:make_pages",
    tasks={"narratives": "narratrace.narratives.evaluation"}, commands=("narratrace.narratives.cli",),
    spark={"narratives": "narratrace.spark.corpus:per_article_step", "stories": "narratrace.narratives.spark:run_stories",
           "narrative_discovery": "narratrace.narratives.spark:run_discovery"},
    spark_load={"stories": "narratrace.narratives.spark:load_stories",
                "narrative_discovery": "narratrace.narratives.spark:load_discovery"},
    reviews=("narratrace.narratives.store:REVIEW",))

__all__ = ["ANALYSIS", "DEFAULT_MODEL", "Label", "NarrativeHit", "Prediction", "Story", "StoryOptions", "Taxonomy",
           "cluster_stories", "load_model", "load_taxonomies", "load_taxonomy"]
