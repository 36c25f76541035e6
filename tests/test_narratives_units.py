"""Narratives without the embedding model: taxonomy files, the official measures, stories, discovery,
timelines, storage and the escaped report section."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from narratrace.errors import ConfigError, InputError
from narratrace.narratives.evaluation import read_semeval, score
from narratrace.model import Article, Span, article_id_for, content_hash
from narratrace.narratives.classifier import NarrativeHit, Prediction
from narratrace.narratives.discovery import TopicClaim, discover
from narratrace.narratives.stories import StoryInput, StoryOptions, cluster_stories
from narratrace.narratives.taxonomy import load_taxonomies, load_taxonomy, other_of
from narratrace.narratives.terms import key_terms
from narratrace.narratives.views import build_view, export_narratives, export_stories, timeline
from narratrace.report import build_report, render_html
from narratrace.narratives.stage import ArticleNarratives, NarrativesResult, annotations_of, pack_result, unpack_result
from narratrace.narratives.stories_stage import StoriesResult
from narratrace.store import Store
from narratrace.narratives.store import save_narratives, save_stories

SAMPLE = Path(__file__).parent / "data" / "narratives"
HOSTILE = "<script>alert(1)</script>"


# -- taxonomy ----------------------------------------------------------------------------------------
def test_narratives_taxonomy_ships_the_semeval_label_sets() -> None:
    tax = load_taxonomies()
    coarse, fine = tax.official_classes()
    assert len(coarse) == 22 and "Other" in coarse  # 21 narratives + Other, as the task's class file
    assert len(fine) == 91                          # the task's 91 fine classes (incl. Other and "X: Other")
    assert "URW: Discrediting Ukraine: Ukraine is a hub for criminal activities" in fine
    assert "URW: Discrediting Ukraine: Rewriting Ukraine’s history" in fine
    assert all(lab.texts for lab in tax.labels)
    unscored = [lab.label for lab in tax.labels if not lab.scored]
    assert "CC: Downplaying climate change: Sea levels are not rising" in unscored


@pytest.mark.parametrize("content, message", [
    ("not json", "unreadable"),
    ('{"narratives": []}', "domain"),
    ('{"domain": "X", "narratives": [{"label": "X: a"}]}', "description or examples"),
    ('{"domain": "X", "narratives": [{"label": "X: a", "description": "d", "examples": "not a list"}]}', "list"),
])
def test_narratives_taxonomy_rejects_malformed_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_taxonomy(path)


def test_narratives_taxonomy_refuses_duplicate_labels(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"domain": "URW", "narratives": [
        {"label": "URW: Discrediting Ukraine", "description": "d"}]}))
    with pytest.raises(ConfigError, match="twice"):
        load_taxonomies([*map(str, load_taxonomies().sources), str(path)])


# -- official measures -------------------------------------------------------------------------------
def test_narratives_score_follows_the_scorer_definition() -> None:
    classes = ["Other", "A", "B", "C"]
    gold = [["A", "B"], ["Other"], ["C"], ["A"]]
    pred = [["A"], ["Other"], ["A"], ["A", "Z"]]   # Z is not a class: ignored, as the scorer does
    s = score(gold, pred, classes)
    # per document: 2·1/(2+1), 1, 0, 1  -> mean 0.6667
    assert s["f1"] == pytest.approx((2 / 3 + 1 + 0 + 1) / 4, abs=1e-4)
    # per class over documents: A 2·2/(2+3)=0.8, B 0, C 0, Other 1 -> macro 0.45
    assert s["macro_f1"] == pytest.approx(0.45, abs=1e-4)


def test_narratives_prediction_writes_the_semeval_labels() -> None:
    p = Prediction((NarrativeHit("URW: A", "URW: A: x", 0.7), NarrativeHit("URW: B", None, 0.6)))
    assert p.narratives == ["URW: A", "URW: B"]
    assert p.subnarratives == ["URW: A: x", "URW: B: Other"]
    assert Prediction(()).narratives == ["Other"] and Prediction(()).subnarratives == ["Other"]


def test_narratives_read_semeval_sample() -> None:
    docs = read_semeval(SAMPLE)
    assert len(docs) == 12
    first = docs[0]
    assert first.id == "EN_UA_900001.txt" and first.text.startswith("Intelligence report")
    assert first.subnarratives == ("URW: Discrediting Ukraine: Ukraine is a hub for criminal activities",)
    assert all(first.text[s.start:s.end].strip() for s in first.sentences)
    assert {d.id for d in read_semeval(SAMPLE, split="heldout")} | {d.id for d in read_semeval(SAMPLE, split="train")} \
        == {d.id for d in docs}


def test_narratives_read_semeval_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="subtask-2-annotations"):
        read_semeval(tmp_path)
    (tmp_path / "subtask-2-annotations.txt").write_text("a.txt\tOther\tOther\n")
    with pytest.raises(InputError, match="document folders"):
        read_semeval(tmp_path)
    (tmp_path / "raw-documents").mkdir()
    with pytest.raises(InputError, match="not in"):
        read_semeval(tmp_path)
    (tmp_path / "subtask-2-annotations.txt").write_text("a.txt\tOther\n")
    with pytest.raises(InputError, match="3 tab-separated"):
        read_semeval(tmp_path)


# -- stories -----------------------------------------------------------------------------------------
def _unit(*xs: float) -> np.ndarray:
    v = np.zeros(384, dtype=np.float32)
    v[:len(xs)] = xs
    return v / np.linalg.norm(v)


def test_stories_join_close_leads_and_keep_apart_far_ones() -> None:
    items = [StoryInput("a", _unit(1, 0.1), "2024-03-01", frozenset({"Kyiv"}), "Drone strike on Kyiv port"),
             StoryInput("b", _unit(1, 0.2), "2024-03-02", frozenset({"Kyiv"}), "Kyiv port hit by drones"),
             StoryInput("c", _unit(0, 1), "2024-03-02", frozenset(), "Football final tonight")]
    stories = cluster_stories(items)
    assert [s.articles for s in stories] == [("a", "b"), ("c",)]
    assert stories[0].start == "2024-03-01" and stories[0].end == "2024-03-02"
    assert "kyiv" in stories[0].terms or "port" in stories[0].terms


def test_stories_time_window_and_republication() -> None:
    far = [StoryInput("a", _unit(1, 0.1), "2024-01-01"), StoryInput("b", _unit(1, 0.1), "2024-03-01")]
    assert len(cluster_stories(far, StoryOptions(window_days=10))) == 2
    assert len(cluster_stories(far, StoryOptions(window_days=100))) == 1
    copy = [StoryInput("a", _unit(1, 0)), StoryInput("b", _unit(0, 1), copy_of=("a",))]
    assert [s.articles for s in cluster_stories(copy)] == [("a", "b")]


def test_stories_entities_tip_the_balance() -> None:
    near = [StoryInput("a", _unit(1, 0.75), entities=frozenset({"Kyiv", "SVR", "NATO"})),
            StoryInput("b", _unit(1, -0.75), entities=frozenset({"Kyiv", "SVR", "NATO"}))]
    cos = float(near[0].vector @ near[1].vector)
    opts = StoryOptions(threshold=cos + 0.05, entity_bonus=0.04)
    assert len(cluster_stories(near, opts)) == 1
    plain = [StoryInput(i.article, i.vector) for i in near]
    assert len(cluster_stories(plain, opts)) == 2


def test_stories_are_incremental() -> None:
    rng = np.random.default_rng(3)
    items = [StoryInput(f"a{i}", _unit(*rng.normal(size=4))) for i in range(30)]
    before = {s.articles for s in cluster_stories(items[:20], StoryOptions(threshold=0.5))}
    after = {s.articles for s in cluster_stories(items, StoryOptions(threshold=0.5))}
    for story in before:  # later articles only add members to earlier stories
        assert any(set(story) <= set(a) and a[:len(story)] == story for a in after)


def test_narratives_key_terms_prefer_distinctive_words() -> None:
    terms = key_terms([["drone strike on the port", "drones hit the port again"], ["the football final", "final whistle"]])
    assert terms[0][0] in {"port", "drones", "drone"} and terms[1][0] == "final"


# -- discovery ---------------------------------------------------------------------------------------
def test_narratives_discovery_finds_dense_groups_across_articles() -> None:
    rng = np.random.default_rng(0)
    claims, vecs = [], []
    for k, (centre, words) in enumerate([((1, 0, 0), "grain ships blocked port"), ((0, 1, 0), "vaccine chips hidden")]):
        for i in range(6):
            claims.append(TopicClaim(f"art{i % 3}", f"c-{k}-{i}", 0, 10, f"{words} claim {i}", 0.0))
            vecs.append(_unit(*(np.array(centre) + rng.normal(scale=0.05, size=3))))
    claims.append(TopicClaim("art9", "c-lone", 0, 5, "lonely claim", 0.0))
    vecs.append(_unit(0, 0, 1))
    topics = discover(claims, np.stack(vecs), np.zeros((len(claims), 0)), [])
    assert len(topics) == 2
    assert {frozenset(c.claim.split("-")[1] for c in t.claims) for t in topics} == {frozenset("0"), frozenset("1")}
    assert all(len(t.articles) == 3 and len(t.representatives) == 3 for t in topics)


# -- timelines ---------------------------------------------------------------------------------------
def test_narratives_timeline_counts_per_day_by_outlet() -> None:
    rows = [{"published": "2024-03-01", "outlet": "A"}, {"published": "2024-03-01", "outlet": "B"},
            {"published": "2024-03-03", "outlet": "A"}, {"published": None, "outlet": "A"}]
    tl = timeline(rows)
    assert tl is not None and tl.unit == "day" and tl.undated == 1 and tl.max_count == 2
    assert sorted(b.title for b in tl.bars) == ["2024-03-01: 1 article(s) from A", "2024-03-01: 1 article(s) from B",
                                               "2024-03-03: 1 article(s) from A"]
    weekly = timeline([{"published": "2024-01-01", "outlet": "A"}, {"published": "2024-06-01", "outlet": "A"}])
    assert weekly is not None and weekly.unit == "week"


# -- storage, export and report (stage results written directly) ------------------------------------
def _article(ref: str, text: str, **meta: str) -> Article:
    return Article(id=article_id_for(ref), ref=ref, text=text, content_hash=content_hash(text, **meta), **meta)


def test_narratives_blob_roundtrip_and_escaped_report(tmp_path: Path) -> None:
    text = f"Kyiv sends {HOSTILE} fighters abroad. The weather was fine."
    art = _article("hostile", text, title="T", outlet=f"Outlet {HOSTILE}", published="2024-03-05")
    other = _article("plain", "Kyiv sends fighters abroad again.", title="P", outlet="Plain", published="2024-03-06")
    store = Store(tmp_path / "t.db")
    store.write_articles([art, other])
    hit = NarrativeHit("URW: Discrediting Ukraine", "URW: Discrediting Ukraine: Ukraine is a hub for criminal activities",
                       0.71, (Span(0, text.index(".") + 1),))
    packed = pack_result(ArticleNarratives("zero-shot-v1", "URW", (hit,), _unit(1), _unit(1), "lead"))
    back = unpack_result(packed)
    assert back.hits == (hit,) and back.domain == "URW" and back.vector.shape == (384,)
    with pytest.raises(ValueError):
        unpack_result(b"XXXX" + packed[4:])
    plain = pack_result(ArticleNarratives("zero-shot-v1", None, (), _unit(1), _unit(1), "lead"))
    save_narratives(store, "narratives", "v", NarrativesResult((
        (art.id, art.content_hash, packed, annotations_of((hit,))), (other.id, other.content_hash, plain, ()))))
    save_stories(store, "stories", "v", StoriesResult(tuple(cluster_stories(
        [StoryInput(art.id, _unit(1), art.published), StoryInput(other.id, _unit(1), other.published)])),
        (art.id, other.id)))
    assert export_narratives(store) == [{"article": "hostile", **hit.to_dict(), "model": "zero-shot-v1"}]
    assert export_stories(store)[0]["articles"] == ["hostile", "plain"]
    assert {"id", "label", "articles", "start", "end"} <= set(export_stories(store)[0])
    assert [a.label for a in store.annotations(art.id, stage="narratives")] == [hit.subnarrative]
    view = build_view(store)
    assert view is not None and view.narratives[0].evidence[0].sentences == (text[:text.index(".") + 1],)
    html = render_html(build_report(store))
    assert HOSTILE not in html
    assert '<mark class="nev">Kyiv sends &lt;script&gt;alert(1)&lt;/script&gt; fighters abroad.</mark>' in html
    assert 'id="stories"' in html and "<svg class=\"tl\"" in html
    store.close()


def test_narratives_stage_rejects_bad_configuration(tmp_path: Path) -> None:
    from narratrace.pipeline import Pipeline

    with pytest.raises(ConfigError, match="taxonomy file"):
        Pipeline(("narratives",), config={"narratives": {"taxonomies": [str(tmp_path / "missing.json")]}}).run(
            Store(tmp_path / "x.db"))
    with pytest.raises(ConfigError, match="no narratives model"):
        Pipeline(("narratives",), config={"narratives": {"model": "no-such-model"}}).run(Store(tmp_path / "y.db"))


# -- linear model decoding (synthetic weights: each label's probability set through its bias) --------
def _linear(probs: dict[str, float], **kwargs: object):
    from narratrace.narratives.classifier import LinearModel

    tax = load_taxonomies()
    labels = [lab.label for lab in tax.labels]
    p = np.array([probs.get(lab, 0.01) for lab in labels])
    bias = np.log(p / (1 - p)).astype(np.float32)
    return LinearModel(tax, labels, np.zeros((len(labels), 384), dtype=np.float32), bias, **kwargs)


NARR = "URW: Discrediting Ukraine"
SUB = "URW: Discrediting Ukraine: Ukraine is a hub for criminal activities"
NARR2 = "URW: Blaming the war on others rather than the invader"
SUB2 = "URW: Blaming the war on others rather than the invader: Ukraine is the aggressor"


def test_narratives_linear_hierarchical_keeps_subnarratives_under_predicted_narratives() -> None:
    tax = load_taxonomies()
    assert tax.get(SUB).parent == NARR and tax.get(SUB2).parent == NARR2
    vec, spans = np.stack([_unit(1), _unit(0, 1)]), [Span(0, 5), Span(6, 12)]
    probs = {NARR: 0.8, SUB: 0.6, SUB2: 0.9, NARR2: 0.6}
    hier = _linear(probs, threshold=0.725, sub_threshold=0.5, hierarchical=True).predict(vec, spans)
    # SUB (0.6) passes its own threshold under a predicted narrative; SUB2 does not bring NARR2 (0.6)
    assert hier.narratives == [NARR] and hier.subnarratives == [SUB]
    assert all(h.evidence for h in hier.hits)
    flat = _linear(probs, threshold=0.725).predict(vec, spans)
    # flat (models written before hierarchical decoding): one threshold, a subnarrative brings its narrative
    assert flat.narratives == [NARR, NARR2] and flat.subnarratives == [other_of(NARR), SUB2]
    # no narrative at the threshold: the document is Other, whatever its subnarratives score
    none = _linear({NARR: 0.7, SUB: 0.95}, threshold=0.725, sub_threshold=0.5, hierarchical=True).predict(vec, spans)
    assert none.narratives == ["Other"] and none.subnarratives == ["Other"] and none.hits == ()


def test_narratives_linear_decoding_survives_save_and_load(tmp_path: Path) -> None:
    from narratrace.cards import write_card
    from narratrace.narratives.classifier import LinearModel, load_model

    probs = {NARR: 0.8, SUB: 0.6, SUB2: 0.9}
    _linear(probs, threshold=0.725, sub_threshold=0.5, hierarchical=True).save(tmp_path / "hier")
    write_card(tmp_path / "hier", task="narratives", name="hier", kind="trained", data={})
    model = load_model(tmp_path / "hier")
    assert isinstance(model, LinearModel) and model.hierarchical and model.sub_threshold == 0.5
    vec = np.stack([_unit(1)])
    assert model.predict(vec, [Span(0, 5)]).subnarratives == [SUB]
    legacy = tmp_path / "legacy"   # a model.json written before sub_threshold / hierarchical existed
    _linear(probs, threshold=0.725).save(legacy)
    write_card(legacy, task="narratives", name="legacy", kind="trained", data={})
    spec = json.loads((legacy / "model.json").read_text())
    del spec["sub_threshold"], spec["hierarchical"]
    (legacy / "model.json").write_text(json.dumps(spec))
    old = load_model(legacy)
    assert isinstance(old, LinearModel) and not old.hierarchical and old.sub_threshold == 0.725
    assert old.predict(vec, [Span(0, 5)]).subnarratives == [other_of(NARR), SUB2]


def test_discovery_past_its_exact_limit_clusters_on_principal_components_and_finds_planted_topics() -> None:
    import numpy as np

    from narratrace.narratives.discovery import DiscoveryOptions, TopicClaim, _space, discover

    rng = np.random.default_rng(3)
    noise = rng.normal(size=(2400, 384))
    centres = rng.normal(size=(3, 384)) * 4
    planted = np.concatenate([c + rng.normal(scale=0.3, size=(6, 384)) for c in centres])
    vectors = np.concatenate([noise, planted])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    opts = DiscoveryOptions(exact_limit=2000, reduced_dims=24)
    assert _space(vectors, opts).shape == (len(vectors), 24)
    assert _space(vectors[:100], opts).shape == (100, 384)  # small corpora: the encoder's own space
    claims = [TopicClaim(f"a{i % 7}", f"c-{i}", 0, 1, f"noise {i}", 0.0) for i in range(2400)]
    claims += [TopicClaim(f"p{k}-{j % 3}", f"c-p{k}-{j}", 0, 1, f"planted topic {k} claim", 0.0) for k in range(3) for j in range(6)]
    topics = discover(claims, vectors, np.zeros((len(claims), 0)), [], opts)
    found = [{c.claim for c in t.claims} for t in topics]
    for k in range(3):
        assert {f"c-p{k}-{j}" for j in range(6)} in found


def test_discovery_stage_clusters_at_most_max_claims_evenly_spread() -> None:
    from narratrace.errors import ConfigError
    from narratrace.pipeline import registered_stages

    info = registered_stages()["narrative_discovery"]
    assert info.default_config["max_claims"] == 20000
    with pytest.raises(ConfigError, match="max_claims must be at least 2"):
        info.factory(**{**info.default_config, "max_claims": 1})


def test_discovery_stage_past_max_claims_clusters_a_spread_sample(tmp_path, examples_dir) -> None:  # type: ignore[no-untyped-def]
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline, registered_stages
    from narratrace.store import Store

    store = Store(tmp_path / "d.db")
    ingest(store, [examples_dir])
    Pipeline(["sentence_vectors", "claims", "claim_vectors", "narratives"]).run(store)
    info = registered_stages()["narrative_discovery"]
    ids = [a.id for a in store.articles()]
    full = info.factory(**info.default_config)(store, new_ids=ids)
    capped = info.factory(**{**info.default_config, "max_claims": 2})(store, new_ids=ids)
    assert full.uncovered == capped.uncovered > 2  # the count says how many were uncovered
    assert capped.topics == ()  # two claims make no cluster of three


def test_a_story_states_its_date_span_only_when_half_its_articles_are_dated() -> None:
    v = np.zeros(8, dtype=np.float32)
    v[0] = 1.0
    one_dated = [StoryInput(f"a{i}", v.copy(), "2025-04-0%d" % (i + 1) if i == 0 else None) for i in range(4)]
    (story,) = cluster_stories(one_dated)
    assert len(story.articles) == 4 and story.dated == 1
    assert (story.start, story.end) == (None, None)  # one dated article of four says when it ran, not the story
    half = [StoryInput(f"b{i}", v.copy(), f"2025-04-0{i + 1}" if i < 2 else None) for i in range(4)]
    (story,) = cluster_stories(half)
    assert (story.start, story.end, story.dated) == ("2025-04-01", "2025-04-02", 2)
    assert story.to_dict()["dated"] == 2 and type(story).from_dict(story.to_dict()) == story
