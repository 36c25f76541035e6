"""Write the cards (and the check-worthiness weight table) of the rule-based shipped defaults.

Rule-based components have no weights to train, but they are models all the same: each gets a
card in ``src/narratrace/data/models/<task>/<name>/`` saying what it is built from and what it
scores on our own labelled sets (never on research-only data). Run after changing the rules:

    .venv/bin/python tools/build_rule_models.py
"""

from __future__ import annotations

import json
from pathlib import Path

from narratrace.evaluation import run_evaluation
from narratrace.cards import data_sha256, shipped_models_dir, write_card
from narratrace.claims.checkworthiness import WEIGHTS

ROOT = Path(__file__).resolve().parent.parent
OWN = "written and labelled in this project (Apache-2.0, like the code)"

RULE_MODELS = [
    {"task": "attribution", "name": "rules-v1", "eval": "tests/data/attribution/examples.jsonl", "options": {},
     "built_from": "src/narratrace/nlp/attribution.py (cue verbs, patterns on the spaCy parse), "
                   "src/narratrace/data/aliases.tsv"},
    {"task": "checkworthiness", "name": "rules-v1", "eval": "tests/data/checkworthiness/sentences.tsv",
     "options": {}, "built_from": "hand-set weights of src/narratrace/nlp/checkworthiness.py (WEIGHTS)"},
    {"task": "republication", "name": "shingles-v1", "eval": "tests/data/republication/examples.jsonl",
     "options": {"corpus": "examples/corpus"},
     "built_from": "src/narratrace/stages/shingles.py and republications.py (word-shingle fingerprints, "
                   "exact-run alignment, original by credit > date > order)"},
]


def main() -> None:
    for spec in RULE_MODELS:
        out = shipped_models_dir() / spec["task"] / spec["name"]
        out.mkdir(parents=True, exist_ok=True)
        if spec["task"] == "checkworthiness":
            (out / "weights.json").write_text(json.dumps({"weights": dict(WEIGHTS), "threshold": 0.5}, indent=2)
                                              + "\n", encoding="utf-8")
        card = dict(task=spec["task"], name=spec["name"], kind="rules",
                    data={"path": spec["built_from"], "licence": OWN, "split": "-", "n": "-"},
                    notes="Rule-based: nothing is learned from data. Measures are on our own labelled set.")
        write_card(out, **card)  # resolvable before it is scored
        result = run_evaluation(spec["task"], ROOT / spec["eval"], model=str(out), **spec["options"])
        write_card(out, **card, measures={"data": spec["eval"], "split": "all", "n": result["n"],
                                          "values": result["measures"],
                                          "data_sha256": data_sha256(ROOT / spec["eval"])})
        print(f"{spec['task']}/{spec['name']}: {out}")


if __name__ == "__main__":
    main()
