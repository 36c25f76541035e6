"""Republication: near-duplicate and partial copies across outlets, the original, shared passages.

* :mod:`.shingles` and :mod:`.detect` — the ``fingerprints`` and ``republications`` stages;
* :mod:`.store` — its tables; :mod:`.export`, :mod:`.report`, :mod:`.web` — what users see;
* :mod:`.evaluation` — the ``republication`` evaluation task; :mod:`.reviews` — its pairs as review items.
"""

from __future__ import annotations

from narratrace.analyses import Analysis
from narratrace.republications.store import MIGRATIONS

__all__ = ["ANALYSIS"]

ANALYSIS = Analysis(
    name="republications", title="Republications",
    stages=("narratrace.republications.detect",), default_stages=("fingerprints", "republications"),
    migrations=MIGRATIONS, export="narratrace.republications.export:export_section",
    section="narratrace.republications.report:build_report_section", pages="narratrace.republications.web:make_pages",
    tasks={"republication": "narratrace.republications.evaluation"},
    spark={"republications": "narratrace.republications.spark:run_on_spark"},
    reviews=("narratrace.republications.reviews:REVIEW",))
