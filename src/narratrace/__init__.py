"""narratrace: trace how stories, claims and narratives travel through the news.

``narratrace.ingest.ingest`` reads files into a :class:`Store`, :func:`analyze` runs the
stages, :func:`export_corpus` returns the JSON export.
"""

from __future__ import annotations

import logging

from narratrace.errors import NarratraceError
from narratrace.export import export_corpus
from narratrace.model import Annotation, Article, RepublicationGroup, RepublicationPair
from narratrace.pipeline import Pipeline, analyze
from narratrace.store import Store

__all__ = ["Annotation", "Article", "NarratraceError", "Pipeline", "RepublicationGroup",
           "RepublicationPair", "Store", "analyze", "export_corpus"]
__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
