"""Write the card of the shipped techniques default, ``rules-v1`` (lexicon + patterns).

The lexicon (``src/narratrace/data/models/techniques/rules-v1/lexicon.tsv``) is written by hand
for this project; nothing is learned from data. The card records its hash and what it scores on
our own labelled PTC-format sample (``tests/data/techniques``, built by its ``build.py``), never
on research-only data. Run after changing the lexicon or the rules:

    .venv/bin/python tools/build_techniques_rules.py
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from narratrace.evaluation import run_evaluation
from narratrace.cards import data_sha256, shipped_models_dir, write_card

ROOT = Path(__file__).resolve().parent.parent
EVAL = "tests/data/techniques"


def main() -> None:
    out = shipped_models_dir() / "techniques" / "rules-v1"
    lexicons = sorted(out.glob("lexicon*.tsv"))  # English, then lexicon.XX.tsv of the other languages
    digest = hashlib.sha256()
    for path in lexicons:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    card = dict(task="techniques", name="rules-v1", kind="rules",
                data={"path": "src/narratrace/data/models/techniques/rules-v1/lexicon.tsv (English), "
                              f"{', '.join(p.name for p in lexicons if p.name != 'lexicon.tsv')} (other languages) "
                              "and src/narratrace/techniques/rules.py (clause scope, repetition, span priors)",
                      "sha256": data_sha256(out / "lexicon.tsv") if len(lexicons) == 1 else digest.hexdigest(),
                      "languages": ["en", *(p.name.split(".")[1] for p in lexicons if p.name != "lexicon.tsv")],
                      "licence": "written in this project (Apache-2.0, like the code)", "split": "-", "n": "-",
                      "command": "python tools/build_techniques_rules.py"},
                notes="Rule-based: a hand-written lexicon of patterns for the 14 SemEval-2020 Task 11 "
                      "techniques; nothing is learned from data. Measures are on our own labelled sample, "
                      "written by the lexicon's author (optimistic; see docs/decisions.md for PTC figures).")
    write_card(out, **card)  # resolvable before it is scored
    result = run_evaluation("techniques", ROOT / EVAL, model=str(out))
    write_card(out, **card, measures={"data": EVAL, "split": "all", "n": result["n"], "values": result["measures"],
                                      "data_sha256": data_sha256(ROOT / EVAL)})
    print(f"techniques/rules-v1: {out}")


if __name__ == "__main__":
    main()
