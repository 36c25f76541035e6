"""Cosines of one vector space read on the reference (MiniLM) scale.

Thresholds and hand-set weights in this project (fact-check matching's ``hybrid-v1``, the stories'
cosine) were set on MiniLM cosines, where unrelated sentences score about 0.1. multilingual-e5
puts the same pairs near 0.79, so a MiniLM threshold means something else there (with e5 and no
mapping, ``hybrid-v1`` kept matches at precision 0.44 on the CheckThat! held-out queries).
A space's map is quantile matching: a cosine of that space is read as the MiniLM cosine of the
same rank among every pair of sentences of the bundled example corpus (``examples/corpus``,
written for this project), interpolated between knots. The maps are monotone, so rankings do not
change; only scores and thresholds move. Two levels: ``sentence`` (one sentence against another)
and ``passage`` (normalised means of five sentences, such as the stories' lead vectors; means sit
closer together, e5 puts unrelated leads at 0.88–0.93). ``tools/build_cosine_maps.py`` rebuilds
them (``data/cosine_maps/SPACE.json``); a space without a map is the reference itself.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["MAP_SPACES", "from_reference", "has_map", "to_reference"]

MAP_SPACES = ("e5-int8", "static")


LEVELS = ("sentence", "passage")


@lru_cache(maxsize=None)
def _knots(space: str, level: str = "sentence") -> tuple[np.ndarray, np.ndarray] | None:
    """``(space cosines, reference cosines)`` at matching quantiles, or None for the reference."""
    if level not in LEVELS:
        raise ValueError(f"cosine map level must be one of {LEVELS}, not {level!r}")
    try:
        raw = resources.files("narratrace").joinpath(f"data/cosine_maps/{space}.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    data = json.loads(raw)[level]
    return np.asarray(data["space"], dtype=np.float64), np.asarray(data["reference"], dtype=np.float64)


def has_map(space: str) -> bool:
    """Whether ``space`` has a map (False for MiniLM, the reference, and for unknown spaces)."""
    return _knots(space) is not None


def to_reference(cosines: np.ndarray | float, space: str, level: str = "sentence") -> np.ndarray:
    """``cosines`` of ``space`` on the MiniLM scale (unchanged for MiniLM and unmapped spaces)."""
    knots = _knots(space, level)
    values = np.asarray(cosines, dtype=np.float64)
    if knots is None:
        return values
    return np.interp(values, *knots)


def from_reference(cosine: float, space: str, level: str = "sentence") -> float:
    """The cosine of ``space`` that :func:`to_reference` reads as the MiniLM ``cosine`` (a threshold)."""
    knots = _knots(space, level)
    if knots is None:
        return float(cosine)
    return float(np.interp(cosine, knots[1], knots[0]))
