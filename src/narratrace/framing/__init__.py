"""Entity framing: which entities a text casts as protagonist, antagonist or innocent (SemEval-2025 T10 ST1).

* :mod:`.taxonomy` — the 3 main and 22 fine roles (``data/taxonomies/framing_roles.tsv``);
* :mod:`.data` — labelled data in the task's subtask-1 format;
* :mod:`.features` and :mod:`.model` — mention contexts, MiniLM features, the logistic regressions;
* :mod:`.measures` — the task's measures (exact-match ratio, main-role accuracy, fine-role F1);
* :mod:`.views` and :mod:`.report` — roles read back from the store for the CLI, export and report.

The pipeline stage is ``narratrace.framing.stage``; the evaluation task ``narratrace.framing.evaluation``.
"""

from __future__ import annotations

from narratrace.framing.measures import framing_measures
from narratrace.framing.model import DEFAULT_MODEL, FramingModel, Prediction, load_framing_model
from narratrace.framing.taxonomy import MAIN_ROLES, load_taxonomy

from narratrace.analyses import Analysis

ANALYSIS = Analysis(
    name="framing", title="Entity framing",
    stages=("narratrace.framing.stage",), default_stages=("framing",),
    export="narratrace.framing.views:export_section", section="narratrace.framing.report:build_report_section",
    pages="narratrace.framing.web:make_pages",
    tasks={"framing": "narratrace.framing.evaluation"}, commands=("narratrace.framing.cli",),
    spark={"framing": "narratrace.spark.corpus:per_article_step"},
    reviews=("narratrace.framing.store:REVIEW",))

__all__ = ["ANALYSIS", "DEFAULT_MODEL", "MAIN_ROLES", "FramingModel", "Prediction", "framing_measures", "load_framing_model",
           "load_taxonomy"]
