"""narratrace: trace how stories, claims and narratives travel through the news."""

from __future__ import annotations

import logging

from .errors import NarratraceError
from .model import Annotation, Article
from .store import Store

__all__ = ["Annotation", "Article", "NarratraceError", "Store"]
__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
