"""The candidate pairs of ``claim_groups`` on Spark: sign-random-projection banding (no Spark needed).

``band_keys`` must make a pair a candidate as often as :func:`collision_probability` says (the recall
the Spark step's tolerance rests on, and the bound on its candidates), and the same on every executor.
"""

from __future__ import annotations

import numpy as np
import pytest

from narratrace.claims.spark import BANDS, BITS, band_keys, collision_probability, cosine_floor


def _pairs_at(cosine: float, n: int, dim: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    z = rng.standard_normal((n, dim))
    z -= (z * x).sum(1, keepdims=True) * x  # orthogonal to x
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    return x, cosine * x + np.sqrt(1 - cosine ** 2) * z


def test_collision_probability_keeps_links_and_drops_unrelated_pairs() -> None:
    assert collision_probability(0.78) >= 0.98      # the stage's threshold without entities
    assert collision_probability(0.68) >= 0.75      # one shared entity
    assert collision_probability(0.3) <= 0.06       # unrelated claims of one beat
    assert collision_probability(0.1) <= 0.01       # unrelated claims: what bounds the candidates
    assert collision_probability(1.0) == 1.0
    values = [collision_probability(c / 20) for c in range(-20, 21)]
    assert values == sorted(values)


@pytest.mark.parametrize("cosine", [0.1, 0.58, 0.78, 0.9])
def test_band_keys_collide_as_often_as_the_formula_says(cosine: float) -> None:
    a, b = _pairs_at(cosine, 600, seed=int(cosine * 100))
    shared = (band_keys(a) == band_keys(b)).any(axis=1).mean()
    assert abs(shared - collision_probability(cosine)) <= 0.05, (shared, collision_probability(cosine))


def test_band_keys_are_the_same_everywhere_and_take_float16_rows() -> None:
    a, _ = _pairs_at(0.5, 20)
    keys = band_keys(a.astype(np.float32))
    assert keys.shape == (20, BANDS) and keys.dtype == np.int64
    assert keys.max() < 2 ** BITS and keys.min() >= 0
    assert (band_keys(a.astype(np.float32)) == keys).all()
    assert (band_keys(a.astype(np.float16)) != keys).mean() < 0.01  # stored vectors are float16
    assert band_keys(np.zeros((0, 384), dtype=np.float32)).shape == (0, BANDS)


def test_cosine_floor_is_the_stage_s_least_linkable_cosine() -> None:
    config = {"min_cosine": 0.55, "threshold": 0.78, "entity_bonus": 0.10, "entity_cap": 2}
    assert cosine_floor(config, None) == pytest.approx(0.58)
