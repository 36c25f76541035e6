"""Stories and narratives: taxonomy loading, narrative classification with evidence, story
clustering, discovery of uncovered narratives, and the views (export, CLI, report timelines).

The pipeline stages live in :mod:`narratrace.stages.narratives` and :mod:`narratrace.stages.stories`.
"""

from __future__ import annotations

from .classifier import DEFAULT_MODEL, NarrativeHit, Prediction, load_model
from .stories import Story, StoryOptions, cluster_stories
from .taxonomy import Label, Taxonomy, load_taxonomies, load_taxonomy

__all__ = ["DEFAULT_MODEL", "Label", "NarrativeHit", "Prediction", "Story", "StoryOptions", "Taxonomy",
           "cluster_stories", "load_model", "load_taxonomies", "load_taxonomy"]
