"""Boilerplate: lines that recur across many otherwise different articles of one outlet.

A site's poll widget ("Take our poll - story continues below"), a newsletter blurb or a footer is
printed under dozens of unrelated stories. Left in, it makes those stories look like copies of
each other, its sentences become "claims", and the widget becomes the corpus's largest claim group.
The ``boilerplate`` corpus stage (:mod:`.stage`) finds such lines per corpus (:mod:`.lines`) and
records their spans; ``republications`` leaves them out of the evidence it aligns and
``claim_vectors`` leaves the claims inside them out (so claim groups and fact-check matches do
too). The export lists every line found, with how many articles of which outlet carry it.
"""

from __future__ import annotations

from narratrace.analyses import Analysis

ANALYSIS = Analysis(name="boilerplate", title="Boilerplate", stages=("narratrace.boilerplate.stage",),
                    default_stages=("boilerplate",), export="narratrace.boilerplate.export:export_section",
                    spark={"boilerplate": "narratrace.boilerplate.spark:run_on_spark"})

__all__ = ["ANALYSIS"]
