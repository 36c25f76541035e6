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


def _claims_with_links(n: int = 60) -> tuple:
    from narratrace.claims.groups import ClaimRecord, GroupingOptions, pair_score

    rng = np.random.default_rng(3)
    vocab = ["SVR", "al-Tanf", "Ukraine", "Syria"]
    base = rng.standard_normal(384)
    matrix = (base + rng.normal(0, 0.9, (n, 384)) * rng.uniform(0.3, 1.6, (n, 1))).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    entities = [frozenset(v for v in vocab if rng.random() < 0.35) for _ in range(n)]
    numbers = [frozenset(v for v in ("60", "600") if rng.random() < 0.3) for _ in range(n)]
    nodes = np.arange(n, dtype=np.int64) * 7  # sorted, not 0..n-1
    src, dst = (x.astype(np.int64) for x in np.triu_indices(n, k=1))
    config = {"threshold": 0.78, "entity_bonus": 0.10, "entity_cap": 2, "disjoint_entity_penalty": 0.05,
              "number_penalty": 0.10}
    opts = GroupingOptions()

    def rec(k: int) -> ClaimRecord:
        return ClaimRecord("", "", 0, 0, "", entities=entities[k], numbers=numbers[k])

    cosines = np.einsum("ij,ij->i", matrix[src], matrix[dst])
    want = {(int(nodes[a]), int(nodes[b])) for a, b, c in zip(src, dst, cosines)
            if c >= 0.58 and pair_score(float(c), rec(a), rec(b), opts) >= 0.78}
    assert 10 < len(want) < len(src) // 2  # some links, and some pairs refused
    return nodes, matrix, entities, numbers, src, dst, config, want


def test_verified_pairs_keep_what_pair_score_links_in_both_layouts() -> None:
    import pyarrow as pa

    from narratrace.claims.spark import verified_pairs

    nodes, matrix, entities, numbers, src, dst, config, want = _claims_with_links()

    class Shared:
        value = (nodes, matrix, entities, numbers)

    pairs = pa.RecordBatch.from_pydict({"src": nodes[src], "dst": nodes[dst]})
    broadcast = list(verified_pairs(config, 0.58, Shared())(iter([pairs])))
    rows = pa.RecordBatch.from_pydict({
        "src": nodes[src], "dst": nodes[dst], "va": [matrix[a].tobytes() for a in src],
        "vb": [matrix[b].tobytes() for b in dst], "ea": [sorted(entities[a]) for a in src],
        "na": [sorted(numbers[a]) for a in src], "eb": [sorted(entities[b]) for b in dst],
        "nb": [sorted(numbers[b]) for b in dst]})
    joined = list(verified_pairs(config, 0.58)(iter([rows])))
    for out in (broadcast, joined):
        got = {(s, d) for b in out for s, d in zip(b.column("src").to_pylist(), b.column("dst").to_pylist())}
        assert got == want


def test_tile_pairs_find_every_link_of_every_tile(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from narratrace.claims import spark as cs

    nodes, matrix, entities, numbers, _, _, config, want = _claims_with_links()
    nodes = nodes * 65536 // 7  # a node is seq * 65536 + k: every claim its own article here
    want = {(a * 65536 // 7, b * 65536 // 7) for a, b in want}

    class Shared:
        value = (nodes, matrix, entities, numbers)

    monkeypatch.setattr(cs, "TILE", 16)  # 60 claims: 4 x 4 tiles, 10 of them on or above the diagonal
    starts = range(0, len(nodes), 16)
    tiles = pa.RecordBatch.from_pydict({"r0": [r for r in starts for c in starts if c >= r],
                                        "c0": [c for r in starts for c in starts if c >= r]})
    out = list(cs.tile_pairs(config, 0.58, Shared())(iter([tiles])))
    got = {(s, d) for b in out for s, d in zip(b.column("src").to_pylist(), b.column("dst").to_pylist())}
    assert got == want
    same_article = (nodes // 65536 // 2) * 65536  # two claims an article: their pairs are never links
    out = list(cs.tile_pairs(config, 0.58, type("S", (), {"value": (same_article + np.arange(60) % 2, matrix,
                                                                    entities, numbers)})())(iter([tiles])))
    got = {(s, d) for b in out for s, d in zip(b.column("src").to_pylist(), b.column("dst").to_pylist())}
    assert got and all(s // 65536 != d // 65536 for s, d in got)
