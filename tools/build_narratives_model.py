"""Build the shipped zero-shot narratives model: ``python tools/build_narratives_model.py``.

The model holds no learned weights: the label descriptions and example sentences of the shipped
taxonomies (``narratrace/data/taxonomies``, written for narratrace) and the thresholds below. Its
card records the measures on ``tests/data/narratives`` (a sample written for narratrace in the
SemEval-2025 Task 10 format), computed by the same evaluation as ``narratrace evaluate narratives``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from narratrace.evaluation import run_evaluation  # noqa: E402
from narratrace.cards import data_sha256, shipped_models_dir, write_card  # noqa: E402
from narratrace.narratives.classifier import ZeroShotOptions  # noqa: E402
from narratrace.narratives.taxonomy import default_taxonomy_paths  # noqa: E402

NAME = "zero-shot-v1"
SAMPLE = ROOT / "tests" / "data" / "narratives"


def main() -> None:
    out = shipped_models_dir() / "narratives" / NAME
    out.mkdir(parents=True, exist_ok=True)
    options = {k: getattr(ZeroShotOptions(), k) for k in ZeroShotOptions.__dataclass_fields__}
    (out / "model.json").write_text(json.dumps({"kind": "zero-shot", "taxonomies": ["urw.json", "cc.json"],
                                                "options": options}, indent=1) + "\n", encoding="utf-8")
    taxonomies = default_taxonomy_paths()
    # a provisional card so that the evaluation below can resolve the model by its directory
    write_card(out, task="narratives", name=NAME, kind="zero-shot", data={})
    result = run_evaluation("narratives", SAMPLE, model=str(out))
    tax_dir = taxonomies[0].parent
    write_card(out, task="narratives", name=NAME, kind="zero-shot",
               data={"path": "narratrace/data/taxonomies (urw.json, cc.json)", "sha256": data_sha256(tax_dir),
                     "licence": "written for narratrace (label names: SemEval-2025 Task 10)", "split": "none",
                     "n": 0},
               measures={"data": "tests/data/narratives", "split": "all", "n": result["n"],
                         "values": result["measures"]},
               notes="Zero-shot: cosine of MiniLM sentence embeddings to label descriptions and example "
                     "sentences written for narratrace; nothing learned from research-only data. "
                     "Rebuild: python tools/build_narratives_model.py",
               extra={"command": "python tools/build_narratives_model.py"})
    print(json.dumps(result["measures"], indent=1))


if __name__ == "__main__":
    main()
