"""The quality gate: every component keeps its measures on our own labelled sets above pinned floors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from narratrace.evaluation import flatten_measures, run_evaluation

ROOT = Path(__file__).resolve().parent.parent
FLOORS_FILE = ROOT / "tests" / "quality_floors.json"
FLOORS = json.loads(FLOORS_FILE.read_text(encoding="utf-8"))


def _gate_id(gate: dict[str, Any]) -> str:
    end_to_end = ":end-to-end" if (gate.get("options") or {}).get("end_to_end") else ""
    return f"{gate['task']}:{Path(gate['data']).stem}{end_to_end}"


@pytest.mark.parametrize("gate", FLOORS["gates"], ids=_gate_id)
def test_measures_stay_above_their_floors(gate: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    if gate.get("requires") and not Path(gate["requires"]).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{gate['requires']} is missing on CI")
        pytest.skip(f"needs {gate['requires']}")
    result = run_evaluation(gate["task"], gate["data"], **gate.get("options", {}))
    measured = flatten_measures(result["measures"])
    below = {name: (measured.get(name), floor) for name, floor in gate["floors"].items()
             if name not in measured or measured[name] < floor}
    assert not below, f"{_gate_id(gate)} fell below its floors (measured, floor): {below}"


def test_every_gate_names_a_known_task_and_existing_data() -> None:
    from narratrace.evaluation import task_names

    for gate in FLOORS["gates"]:
        assert gate["task"] in task_names()
        assert gate["data"].startswith("tests/data/"), "gates run on our own labelled sets only"
        assert (ROOT / gate["data"]).exists(), gate["data"]
        assert gate["floors"] and all(0 <= v <= 1 for v in gate["floors"].values())


def _committed_floors() -> dict[str, Any] | None:
    try:
        shown = subprocess.run(["git", "show", "HEAD:tests/quality_floors.json"], cwd=ROOT, capture_output=True,
                               text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return json.loads(shown.stdout)


def test_a_lowered_floor_carries_a_written_reason() -> None:
    committed = _committed_floors()
    if committed is None:
        pytest.skip("no git history to compare with")
    before = {(_gate_id(g), m): v for g in committed["gates"] for m, v in g["floors"].items()}
    reasons = {(r["task"], r["measure"], r["to"]) for r in FLOORS["lowered"] if str(r.get("reason", "")).strip()}
    for gate in FLOORS["gates"]:
        for measure, floor in gate["floors"].items():
            old = before.get((_gate_id(gate), measure))
            if old is not None and floor < old:
                assert (gate["task"], measure, floor) in reasons, (
                    f"{_gate_id(gate)} {measure} lowered from {old} to {floor} without a reason in `lowered`")
