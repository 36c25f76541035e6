"""Reviews: analysts confirm, reject or correct what the analyses found, and their corrections are kept.

Each analysis declares what can be reviewed (``Analysis.reviews``: technique spans, narrative
labels, entity roles, claim attributions, fact-check matches, republication pairs, claim-group
memberships; :mod:`narratrace.store.reviews`). A review is stored in
this package's own tables with who made it, when, the stage version and the item's text as it
was; it never changes an analysis's result. Reviews survive re-analysis: when the analysis's
answer for an item changes, the review shows as *needs review again*. The queue (:mod:`.queue`)
puts first the items whose model score is least certain. The web app's review endpoints need its
token (``narratrace serve --token``); ``narratrace reviews`` lists the queue and exports, as JSON or
in the benchmark formats that ``narratrace train`` reads (:mod:`.export`).
"""

from __future__ import annotations

from narratrace.analyses import Analysis
from narratrace.reviews.store import MIGRATIONS

ANALYSIS = Analysis(name="reviews", title="Reviews", migrations=MIGRATIONS,
                    export="narratrace.reviews.export:export_section", pages="narratrace.reviews.web:make_pages",
                    commands=("narratrace.reviews.cli", "narratrace.reviews.simulation_cli"))

__all__ = ["ANALYSIS"]
