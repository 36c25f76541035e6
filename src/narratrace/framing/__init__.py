"""Entity framing: which entities a text casts as protagonist, antagonist or innocent (SemEval-2025 T10 ST1).

* :mod:`.taxonomy` — the 3 main and 22 fine roles (``data/taxonomies/framing_roles.tsv``);
* :mod:`.data` — labelled data in the task's subtask-1 format;
* :mod:`.features` and :mod:`.model` — mention contexts, MiniLM features, the logistic regressions;
* :mod:`.measures` — the task's measures (exact-match ratio, main-role accuracy, fine-role F1);
* :mod:`.views` and :mod:`.report` — roles read back from the store for the CLI, export and report.

The pipeline stage is ``narratrace.stages.framing``; the evaluation task ``narratrace.evaluation.framing``.
"""

from __future__ import annotations

from .measures import framing_measures
from .model import DEFAULT_MODEL, FramingModel, Prediction, load_framing_model
from .taxonomy import MAIN_ROLES, load_taxonomy

__all__ = ["DEFAULT_MODEL", "MAIN_ROLES", "FramingModel", "Prediction", "framing_measures", "load_framing_model",
           "load_taxonomy"]
