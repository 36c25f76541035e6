"""``tools/framing_e2e_losses.py`` on our named set: its end-to-end figure is the evaluation's, and
every lost or gained mention gets exactly one cause."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMED = ROOT / "tests" / "data" / "framing" / "named"


def _tool() -> object:
    spec = importlib.util.spec_from_file_location("framing_e2e_losses", ROOT / "tools" / "framing_e2e_losses.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_framing_losses_tool_agrees_with_the_end_to_end_evaluation(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from narratrace.evaluation import run_evaluation

    listing = tmp_path / "losses.tsv"
    assert _tool().main(["--data", str(NAMED), "--db", str(tmp_path / "n.db"),  # type: ignore[attr-defined]
                         "--list", str(listing)]) == 0
    out = json.loads(capsys.readouterr().out)
    e2e = run_evaluation("framing", NAMED, end_to_end=True)
    gold = run_evaluation("framing", NAMED)
    assert out["mentions"] == e2e["n"] == 29
    assert out["end_to_end_accuracy"] == pytest.approx(e2e["measures"]["main_role_accuracy"], abs=1e-4)
    assert out["gold_inputs_accuracy"] == pytest.approx(gold["measures"]["main_role_accuracy"], abs=1e-4)
    counts = out["breakdown"]
    for side in ("lost", "gained"):
        assert sum(v for k, v in counts.items() if k.startswith(side + ": ")) == counts.get(side, 0)
    # right end to end = right with gold inputs - lost + gained
    assert counts["e2e_right"] == counts["gold_right"] - counts.get("lost", 0) + counts.get("gained", 0)
    rows = listing.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("doc\tmention") and len(rows) - 1 >= counts.get("lost", 0) + counts.get("gained", 0)
    # a second run reuses the store and gives the same figures
    assert _tool().main(["--data", str(NAMED), "--db", str(tmp_path / "n.db")]) == 0  # type: ignore[attr-defined]
    assert json.loads(capsys.readouterr().out)["breakdown"] == counts
