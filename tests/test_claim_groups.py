"""claim_vectors and claim_groups on synthetic articles with hand-made claim annotations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import claimkit
from claimkit import add, article, claim, entity
from narratrace.model import Annotation, Span
from narratrace.pipeline import registered_stages
from narratrace.claims import groups as cg
from narratrace.store import Store
from narratrace.claims.store import claim_groups


@pytest.fixture(scope="module", autouse=True)
def model() -> object:
    """Load all-MiniLM-L6-v2 once (it is cached per process, so other modules reuse it)."""
    return cg.load_encoder()


GAZETTE = ("Russia's Foreign Intelligence Service (SVR) claimed that US forces train militants at al-Tanf for "
           "Ukraine. The football club won the league on Sunday after a late goal.")
COURIER = ("Fighters are trained at the Al Tanf base before being sent to Ukraine. "
           "A storm closed the port of Kessport on Monday and ferries were cancelled.")
WIRE = ("According to the SVR, American instructors at al-Tanf are preparing jihadists who will then fight in "
        "Ukraine. The ministry said the harvest rose by 12 percent this year.")


def _gazette(published: str = "2024-05-10") -> tuple:
    art = article("gazette", GAZETTE, outlet="Levant Gazette", published=published)
    return art, [claim(art, "Russia's Foreign", to="for Ukraine.",
                       source="Russia's Foreign Intelligence Service (SVR)", canonical="SVR", kind="government",
                       cue="claimed", entities=["United States", "al-Tanf", "Ukraine"]),
                 claim(art, "The football club won the league on Sunday after a late goal.", entities=[])]


def _courier(published: str = "2024-05-11", hedge: bool = False) -> tuple:
    text = COURIER.replace("Fighters are", "Fighters are reportedly") if hedge else COURIER
    art = article("courier", text, outlet="Daily Courier", published=published)
    first = "Fighters are reportedly" if hedge else "Fighters are"
    return art, [claim(art, first, to="sent to Ukraine.", hedges=["reportedly"] if hedge else [],
                       entities=["al-Tanf", "Ukraine"]),
                 claim(art, "A storm closed the port", to="cancelled.", entities=["Kessport"])]


def _wire(published: str = "2024-05-12") -> tuple:
    art = article("wire", WIRE, outlet="Wire Service", published=published)
    return art, [claim(art, "According to the SVR", to="fight in Ukraine.", source="the SVR", canonical="SVR",
                       kind="government", cue="According to", entities=["United States", "al-Tanf", "Ukraine"]),
                 claim(art, "The ministry said the harvest", to="this year.", source="The ministry",
                       kind="government", cue="said", numbers=["12"])]


def _store_with(tmp_path: Path, *parts: tuple) -> Store:
    store = Store(tmp_path / "claims.db")
    for art, anns in parts:
        add(store, art, anns)
    return store


def test_claim_groups_paraphrases_across_three_articles_form_one_group(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with(tmp_path, _gazette(), _courier(), _wire())
    report = claimkit.run(store, monkeypatch)
    assert report.done == {"claim_vectors": 3, "claim_groups": 3}
    groups = claim_groups(store)
    assert len(groups) == 1, [g.label for g in groups]
    group = groups[0]
    assert [a.ref for a in group.articles] == ["gazette", "courier", "wire"]
    texts = [m.text for m in group.members]
    assert len(texts) == 3
    assert not any(word in " ".join(texts) for word in ("football", "storm", "harvest"))
    assert group.label.startswith("Russia's Foreign Intelligence Service (SVR) claimed that US forces train")
    assert group.first_seen == store.article("gazette").id
    assert group.first_claim == group.members[0].claim
    assert group.id == "cg-" + group.first_claim.removeprefix("c-")
    assert 0.5 < group.cohesion <= 1.0
    assert claim_groups(store, store.article("wire").id) == groups
    exported = group.to_export()
    assert exported["articles"] == ["gazette", "courier", "wire"] and exported["first_seen"] == "gazette"


def test_claim_groups_first_seen_follows_dates_then_ingestion_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the wire is ingested last but published first
    store = _store_with(tmp_path, _gazette("2024-05-10"), _courier("2024-05-11"), _wire("2024-05-02"))
    claimkit.run(store, monkeypatch)
    (group,) = claim_groups(store)
    assert group.first_seen == store.article("wire").id
    assert [m.ref for m in group.members] == ["wire", "gazette", "courier"]
    assert group.first_published == "2024-05-02" and group.first_seen_how == "date"
    assert group.label.startswith("According to the SVR")
    # same day: ingestion order decides
    store2 = Store(tmp_path / "same-day.db")
    for art, anns in (_courier("2024-05-10"), _gazette("2024-05-10"), _wire("2024-05-10")):
        add(store2, art, anns)
    claimkit.run(store2, monkeypatch)
    (group2,) = claim_groups(store2)
    assert [m.ref for m in group2.members] == ["courier", "gazette", "wire"]
    assert group2.first_seen_how == "order"


def test_claim_groups_flag_attribution_conflict_with_outlets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with(tmp_path, _gazette(), _courier(), _wire())
    claimkit.run(store, monkeypatch)
    (group,) = claim_groups(store)
    stances = {a.ref: (a.stance, a.attribution) for a in group.articles}
    assert stances == {"gazette": ("attributed", "SVR"), "courier": ("fact", "none"),
                       "wire": ("attributed", "SVR")}
    assert group.attribution_conflict is True
    assert group.conflict == {
        "attributed": [{"article": "gazette", "outlet": "Levant Gazette", "sources": ["SVR"]},
                       {"article": "wire", "outlet": "Wire Service", "sources": ["SVR"]}],
        "as_fact": [{"article": "courier", "outlet": "Daily Courier"}]}
    assert group.to_dict()["attribution_conflict"] is True


def test_claim_groups_hedged_claim_is_not_a_conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with(tmp_path, _gazette(), _courier(hedge=True))
    claimkit.run(store, monkeypatch)
    (group,) = claim_groups(store)
    assert {a.ref: a.stance for a in group.articles} == {"gazette": "attributed", "courier": "hedged"}
    assert group.attribution_conflict is False
    assert group.conflict == {"attributed": [], "as_fact": []}
    assert group.members[1].hedges == ("reportedly",)


def test_claim_groups_unrelated_and_same_source_claims_stay_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = article("a", "The SVR claimed that Washington is recruiting fighters in Syria. Prices of bread rose in May.",
                outlet="A", published="2024-01-01")
    b = article("b", "The SVR claimed that the harvest in Ukraine failed because of the drought. "
                     "The national football team lost again.", outlet="B", published="2024-01-02")
    store = _store_with(
        tmp_path,
        (a, [claim(a, "The SVR claimed that Washington", to="in Syria.", source="The SVR", canonical="SVR",
                   kind="government", cue="claimed", entities=["United States", "Syria"]),
             claim(a, "Prices of bread rose in May.")]),
        (b, [claim(b, "The SVR claimed that the harvest", to="drought.", source="The SVR", canonical="SVR",
                   kind="government", cue="claimed", entities=["Ukraine"]),
             claim(b, "The national football team lost again.")]))
    claimkit.run(store, monkeypatch)
    assert claim_groups(store) == []


def test_claim_groups_pair_score_entities_and_numbers() -> None:
    def rec(entities: set[str], numbers: set[str]) -> cg.ClaimRecord:
        return cg.ClaimRecord("a", "c", 0, 1, "x", entities=frozenset(entities), numbers=frozenset(numbers))

    opts = cg.GroupingOptions()
    base = rec(set(), set())
    assert cg.pair_score(0.7, base, base, opts) == pytest.approx(0.7)
    shared = cg.pair_score(0.7, rec({"SVR", "al-Tanf", "Ukraine", "Syria"}, set()),
                           rec({"SVR", "al-Tanf", "Ukraine", "Syria"}, set()), opts)
    assert shared == pytest.approx(0.7 + opts.entity_cap * opts.entity_bonus)  # capped at entity_cap
    assert cg.pair_score(0.7, rec({"Poland"}, set()), rec({"Mali"}, set()), opts) == pytest.approx(0.65)
    assert cg.pair_score(0.9, rec(set(), {"60"}), rec(set(), {"600"}), opts) == pytest.approx(0.8)
    assert cg.pair_score(0.9, rec(set(), {"60", "2"}), rec(set(), {"60"}), opts) == pytest.approx(0.9)
    assert cg.pair_score(0.9, rec(set(), {"60"}), rec(set(), set()), opts) == pytest.approx(0.9)


def test_claim_groups_pair_scores_are_pair_score_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    vocab, digits = ["SVR", "al-Tanf", "Ukraine", "Syria", "Mali"], ["60", "600", "2", "1200000"]

    def some(values: list[str]) -> frozenset[str]:
        return frozenset(v for v in values if rng.random() < 0.3)

    claims = [cg.ClaimRecord(f"a{k}", f"c{k}", 0, 1, "x", entities=some(vocab), numbers=some(digits))
              for k in range(80)]
    features = cg.ClaimFeatures(claims)
    ents, nums = features.shared(slice(0, 80), slice(0, 80))
    i, j = np.triu_indices(80, k=1)
    cosines = rng.uniform(0.4, 1.0, len(i)).astype(np.float32)
    for opts in (cg.GroupingOptions(), cg.GroupingOptions(entity_bonus=0.13, entity_cap=1, number_penalty=0.07)):
        got = cg.pair_scores(cosines, i, j, features, ents[i, j], nums[i, j], opts)
        want = [cg.pair_score(float(c), claims[a], claims[b], opts) for c, a, b in zip(cosines, i, j)]
        assert got.tolist() == want  # exact: the grouping's order of links rests on it
    assert len(set(np.round(got - cosines, 6).tolist())) >= 4  # bonuses, penalties and none all occur
    empty = cg.ClaimFeatures([])
    assert empty.entities.shape[0] == 0 and not len(empty.has_numbers)


def test_claim_records_numbers_compare_by_value() -> None:
    art = article("n", "Kessport handles roughly 1.2 million containers a year. It handles about 1,200,000 "
                       "containers a year. Some 3 men and 60 militants came.")
    starts = [art.text.index(x) for x in ("Kessport handles", "It handles", "Some 3 men")]
    ends = [starts[1] - 1, starts[2] - 1, len(art.text)]
    anns = [Annotation("claim", a, b, None, {"id": f"c{n}"}) for n, (a, b) in enumerate(zip(starts, ends))]
    million, digits, men = cg.claim_records(art.id, art.text, anns)
    assert million.numbers == digits.numbers == {"1200000"}
    assert men.numbers == {"3", "60"}


def test_claim_groups_average_and_complete_linkage_stop_chains() -> None:
    # a chain: neighbours at cosine 0.82 / 0.83 / 0.80, two apart at 0.36 / 0.33, the ends at -0.28
    angles = np.radians([0, 35, 69, 106])
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    claims = [cg.ClaimRecord(f"a{i}", f"c{i}", 0, 1, "x") for i in range(4)]
    articles = np.arange(4)
    chained = cg.cluster(vectors, articles, claims, cg.GroupingOptions(average_cosine=-1.0, least_cosine=-1.0))
    assert sorted(map(sorted, chained)) == [[0, 1, 2, 3]]
    # average linkage alone: {1, 2} takes 0 (mean 0.59), then 3 is too far from the group (mean 0.28)
    average = cg.cluster(vectors, articles, claims, cg.GroupingOptions(least_cosine=-1.0))
    assert sorted(map(sorted, average)) == [[0, 1, 2]]
    # complete linkage too: claims two apart (cosine 0.36) never share a group
    guarded = cg.cluster(vectors, articles, claims, cg.GroupingOptions())
    assert sorted(map(sorted, guarded)) == [[1, 2]]


def _cluster_testing_every_link(vectors: np.ndarray, article_of: np.ndarray, claims: list,
                                opts: "cg.GroupingOptions") -> list[list[int]]:
    """cluster() as it was before it remembered refused pairs: every guard tested on every link."""
    parent, size = list(range(len(claims))), [1] * len(claims)
    members: dict[int, list[int]] = {i: [i] for i in range(len(claims))}

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for _, i, j in cg._candidate_edges(vectors, article_of, claims, opts):
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        cross = vectors[members[ri]] @ vectors[members[rj]].T
        if size[ri] + size[rj] > opts.max_cluster or float(cross.mean()) < opts.average_cosine \
                or float(cross.min()) < opts.least_cosine:
            continue
        if size[ri] < size[rj]:
            ri, rj = rj, ri
        parent[rj] = ri
        size[ri] += size[rj]
        members[ri] += members.pop(rj)
    return sorted(sorted(m) for m in members.values() if len(m) > 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_claim_groups_cluster_remembering_refusals_changes_no_group(seed: int) -> None:
    # near claims around a few centres, so that groups meet along many links and are refused again and again
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((4, 24))
    vectors = np.concatenate([c + rng.normal(0, 0.55, (60, 24)) for c in centres]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    claims = [cg.ClaimRecord(f"a{i}", f"c{i}", 0, 1, "x") for i in range(len(vectors))]
    articles = np.arange(len(vectors)) // 2
    for opts in (cg.GroupingOptions(threshold=0.6, min_cosine=0.6, least_cosine=0.3, average_cosine=0.45),
                 cg.GroupingOptions(threshold=0.6, min_cosine=0.6, least_cosine=-1.0, max_cluster=12)):
        want = _cluster_testing_every_link(vectors, articles, claims, opts)
        got = sorted(sorted(m) for m in cg.cluster(vectors, articles, claims, opts))
        assert got == want
        assert 2 < len(got) < len(vectors) // 2  # groups formed, and guards refused merges


def test_claim_groups_incremental_embeds_only_new_articles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with(tmp_path, _gazette(), _courier())
    claimkit.run(store, monkeypatch)
    assert [len(g.articles) for g in claim_groups(store)] == [2]
    embedded: list[str] = []
    real = cg.encode_parallel

    def spy(texts, **kw):  # type: ignore[no-untyped-def]
        embedded.extend(texts)
        return real(texts, **kw)

    monkeypatch.setattr(cg, "encode_parallel", spy)
    art, anns = _wire()
    add(store, art, anns)
    report = claimkit.run(store, monkeypatch)
    assert report.done == {"claim_vectors": 1, "claim_groups": 1}
    assert len(embedded) == 2 and embedded[0].startswith("American instructors at al-Tanf")
    assert [len(g.articles) for g in claim_groups(store)] == [3]
    assert claimkit.run(store, monkeypatch).done == {"claim_vectors": 0, "claim_groups": 0}


def test_claim_vectors_stores_float16_rows_and_empty_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = article("quiet", "Nothing here is a claim, just a short note.", outlet="Q", published="2024-05-01")
    store = _store_with(tmp_path, _gazette(), (quiet, []))
    claimkit.run(store, monkeypatch)
    stored = dict(store.stage_data("claim_vectors"))
    assert set(stored) == {store.article("gazette").id, quiet.id}
    empty = cg.unpack_vectors(stored[quiet.id])
    assert len(empty) == 0 and empty.matrix.shape == (0, 384)
    vecs = cg.unpack_vectors(stored[store.article("gazette").id])
    assert vecs.matrix.dtype == np.float16 and vecs.matrix.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vecs.matrix.astype(np.float32), axis=1), 1.0, atol=2e-3)
    art = store.article("gazette")
    assert [art.text[s.start:s.end] for s in vecs.spans] == list(vecs.texts)
    assert vecs.ids == tuple(a.data["id"] for a in store.annotations(art.id, stage="claims") if a.kind == "claim")


def test_claim_vectors_pack_round_trip_and_bad_blobs() -> None:
    m = np.random.default_rng(1).standard_normal((3, 8)).astype(np.float16)
    v = cg.ClaimVectors(("c-1", "c-2", "c-3"), (Span(0, 4), Span(5, 9), Span(10, 12)), ("abcd", "é fg", "hi"), m)
    back = cg.unpack_vectors(cg.pack_vectors(v))
    assert back.ids == v.ids and back.spans == v.spans and back.texts == v.texts
    assert np.array_equal(back.matrix, m)
    with pytest.raises(ValueError, match="NTCV"):
        cg.unpack_vectors(b"NOPE" + bytes(20))
    with pytest.raises(ValueError, match="values for 3 claims"):
        cg.unpack_vectors(cg.pack_vectors(v)[:-2])
    with pytest.raises(ValueError, match="2 claim ids but 3 vectors"):
        cg.pack_vectors(cg.ClaimVectors(("a", "b"), (Span(0, 1), Span(1, 2)), ("a", "b"), m))


def test_claim_groups_ignore_vectors_of_claims_that_no_longer_exist(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with(tmp_path, _gazette(), _courier())
    claimkit.run(store, monkeypatch)
    courier = store.article("courier")
    # the claims stage re-ran (new version) with different claim ids; claim_vectors did not
    renamed = [Annotation(a.kind, a.start, a.end, a.label, {**a.data, "id": a.data["id"] + "-v2"})
               for a in store.annotations(courier.id, stage="claims")]
    store.save_stage_results("claims", "test2", [(courier.id, courier.content_hash, None, renamed)])
    info = registered_stages()["claim_groups"]
    result = info.factory(**info.default_config)(store, new_ids=[courier.id])
    assert result.stale == 2 and result.groups == ()


def test_claim_records_take_entities_from_annotations_without_the_source() -> None:
    art = article("e", "The SVR said that ISIS fighters trained at Al Tanf in 2022, 1,500 of them.")
    c = Annotation("claim", 0, len(art.text), None,
                   {"id": "c-x", "source": "The SVR", "source_canonical": "SVR", "source_kind": "government",
                    "source_start": 0, "source_end": 7, "cue": "said", "cue_start": 8, "cue_end": 12,
                    "dates": ["2022"]})
    ents = [entity(art, "SVR", "ORG", "SVR"), entity(art, "ISIS", "ORG", "Islamic State"),
            entity(art, "Al Tanf", "FAC", "al-Tanf"), entity(art, "2022", "DATE", "2022")]
    (rec,) = cg.claim_records(art.id, art.text, [c, *ents])
    assert rec.entities == {"Islamic State", "al-Tanf"}
    assert rec.numbers == {"1500"}
    assert rec.attributed and rec.source_name == "SVR"
    assert cg.embedding_text(art, c) == "ISIS fighters trained at Al Tanf in 2022, 1,500 of them."
    assert cg.embedding_text(art, c, strip_attribution=False) == art.text


def test_claim_groups_unknown_model_is_a_config_error() -> None:
    from narratrace.errors import ConfigError

    info = registered_stages()["claim_vectors"]
    with pytest.raises(ConfigError, match="unknown encoder"):
        info.factory(**{**info.default_config, "model": "bert-base"})
