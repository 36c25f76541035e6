"""Reviews train models: ``train narratives --from-reviews`` on the example corpus, and the review
simulation's loop (gold labels replayed as reviews) on our own samples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from narratrace.ingest import ingest
from narratrace.reviews.store import add_review
from narratrace.store import Store
from narratrace.store.reviews import ReviewItem

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "corpus"
#: English articles of the example corpus (the default encoder reads English only)
ENGLISH = ("coastline-post-dockworkers", "gulf-wire-marrenland-denial", "arlen-valley-gazette-football",
           "velorian-observer-hearing")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("narrative-reviews") / "examples.db"
    with Store(path) as store:
        ingest(store, [EXAMPLES], workers=1)
    return path


def _article_ids(db: Path) -> list[str]:
    with Store(db) as store:
        by_ref = {a.ref: a.id for a in store.articles()}
    ids = [by_ref[name] for name in ENGLISH]
    assert len(set(ids)) == 4
    return ids


def _narrative() -> str:
    from narratrace.narratives.taxonomy import load_taxonomies

    return load_taxonomies().narratives[0].label


def _review(store: Store, article_id: str, label: str, verdict: str, correction: dict | None = None) -> None:
    """The row the review page writes for a narrative label of an article (its first sentence as evidence)."""
    a = store.article(article_id)
    end = a.sentences[0].end if a.sentences else min(len(a.text), 80)
    item = ReviewItem("narrative", f"narrative:{article_id}:{label}:{label}", article_id, a.ref, a.title, a.outlet,
                      "narratives", "test", 0, end, label, a.text[:end], 0.5, {}, f"fp-{label}", 0.5)
    add_review(store, item, verdict=verdict, reviewer="ana", correction=correction)


def _probability(model_dir: Path, db: Path, article_id: str, label: str) -> float:
    from narratrace.narratives.classifier import load_model
    from narratrace.narratives.evaluation import Document, document_vectors
    from narratrace.text import paragraph_spans, sentence_spans

    with Store(db) as store:
        text = store.article(article_id).text
    model = load_model(str(model_dir))
    units, vectors = document_vectors([Document(article_id, text, tuple(sentence_spans(text, paragraph_spans(text))),
                                                (), ())])[0]
    return float(model.probabilities(vectors)[model.labels.index(label)])  # type: ignore[attr-defined]


def test_reviews_train_narratives_learns_the_reviewed_way(ingested: Path, tmp_path: Path) -> None:
    """Confirmed labels become positives and rejected ones negatives: trained from the reviews (no benchmark), the
    model gives a confirmed article's label more probability than the same reviews flipped do, and
    ``analyze --model narratives=DIR`` then labels the confirmed articles and not the rejected ones."""
    from narratrace.evaluation import run_training, stage_config_for_models
    from narratrace.narratives.evaluation import reviewed_labels
    from narratrace.narratives.taxonomy import load_taxonomies
    from narratrace.pipeline import Pipeline

    label = _narrative()
    a, b, c, d = _article_ids(ingested)
    reviewed, flipped = tmp_path / "reviewed.db", tmp_path / "flipped.db"
    shutil.copy(ingested, reviewed)
    shutil.copy(ingested, flipped)
    for db, yes, no in ((reviewed, (a, c), (b, d)), (flipped, (b, d), (a, c))):
        with Store(db) as store:
            for aid in yes:
                _review(store, aid, label, "confirm")
            for aid in no:
                _review(store, aid, label, "reject")
    found = {aid: t for aid, _, t in reviewed_labels(str(reviewed), load_taxonomies())}
    assert found[a] == {label: 1} and found[b][label] == 0

    card = run_training("narratives", None, tmp_path / "from-reviews", seed=3, reviews=str(reviewed))
    run_training("narratives", None, tmp_path / "from-flipped", seed=3, reviews=str(flipped))
    subs = len(load_taxonomies().subnarratives(label))  # a rejected narrative: its subnarratives are not there either
    assert card["data"]["reviews"] == {"store": str(reviewed), "articles": 4, "positives": 2,
                                       "negatives": 2 * (1 + subs), "default_labelled": 14}  # the English ones
    assert "--from-reviews" in card["command"] and card["measures"]["values"]["reviewed"]["labels"] == 2 + 2 * (1 + subs)

    p_a = _probability(tmp_path / "from-reviews", reviewed, a, label)
    p_b = _probability(tmp_path / "from-reviews", reviewed, b, label)
    assert p_a > 0.5 > p_b
    assert p_a > _probability(tmp_path / "from-flipped", reviewed, a, label)

    fresh = tmp_path / "analysed.db"
    shutil.copy(ingested, fresh)
    with Store(fresh) as store:
        Pipeline(["narratives"], config=stage_config_for_models([f"narratives={tmp_path / 'from-reviews'}"])).run(store)
        labelled = {aid for aid, data in store.db.execute(
            "SELECT article_id, data FROM annotations WHERE kind = 'narrative'")
            if json.loads(data)["narrative"] == label}
    assert a in labelled and c in labelled and b not in labelled and d not in labelled


def test_reviews_train_narratives_correction_teaches_the_new_label(ingested: Path, tmp_path: Path) -> None:
    """A correction is a negative of the old label and a positive of the reviewer's label (with its narrative)."""
    from narratrace.narratives.evaluation import reviewed_labels
    from narratrace.narratives.taxonomy import load_taxonomies

    taxonomy = load_taxonomies()
    old = taxonomy.narratives[0].label
    sub = taxonomy.subnarratives(taxonomy.narratives[1].label)[0]
    a = _article_ids(ingested)[0]
    db = tmp_path / "corrected.db"
    shutil.copy(ingested, db)
    with Store(db) as store:
        _review(store, a, old, "correct", {"label": sub.label})
    (aid, _, targets), = reviewed_labels(str(db), taxonomy)
    assert aid == a and targets == {old: 0, sub.label: 1, str(sub.parent): 1}


def test_reviews_train_narratives_needs_reviews_or_data(ingested: Path, tmp_path: Path) -> None:
    from narratrace.errors import ConfigError, InputError
    from narratrace.evaluation import run_training

    with pytest.raises(ConfigError):
        run_training("narratives", None, tmp_path / "none")
    with pytest.raises(InputError, match="no reviewed narrative labels"):
        run_training("narratives", None, tmp_path / "empty", reviews=str(ingested))


def test_reviews_simulation_gold_review_of_a_technique_span() -> None:
    from narratrace.techniques.simulation import gold_review

    gold = [(10, 20, "Loaded_Language"), (15, 40, "Doubt")]
    assert gold_review(10, 20, "Loaded_Language", gold) == ("confirm", {})
    assert gold_review(12, 20, "Loaded_Language", gold) == ("correct", {"start": 10, "end": 20})
    assert gold_review(21, 39, "Name_Calling,Labeling", gold) == ("correct", {"label": "Doubt", "start": 15,
                                                                              "end": 40})
    assert gold_review(50, 60, "Doubt", gold) == ("reject", {})


def test_reviews_simulation_replays_gold_as_reviews(tmp_path: Path) -> None:
    """The loop on our own PTC-format sample: the shipped default first, then models retrained from the
    reviews written in the simulation's store, in queue and random order; the table and plot render."""
    from narratrace.reviews.simulation import render_markdown, render_svg, simulate_reviews
    from narratrace.reviews.store import reviews
    from narratrace.techniques.simulation import TechniquesSimulation

    sample = ROOT / "tests" / "data" / "techniques"
    result = simulate_reviews("techniques", sample, steps=[0, 2, 4], seed=5, base=sample, work=tmp_path)
    queue_points, random_points = result["curves"]["queue"], result["curves"]["random"]
    assert [p["reviews"] for p in queue_points] == [0, 2, 4] == [p["reviews"] for p in random_points]
    assert queue_points[0]["model"] == "shipped default" and result["base"]["reviews"] == 0
    assert sum(queue_points[-1]["verdicts"].values()) == 4
    with Store(tmp_path / "queue" / "reviews.db") as store:
        written = list(reviews(store, kind="technique"))
    assert len(written) == 4 and {r.reviewer for r in written} == {"simulation"}
    card = json.loads((tmp_path / "queue" / "model-4" / "card.json").read_text())
    assert card["data"]["reviews"]["positives"] + card["data"]["reviews"]["negatives"] == 4

    sim = TechniquesSimulation(sample, base=sample)
    first = sim.candidates(None)
    sim.close()
    queued = sorted(first, key=lambda c: (c.item.uncertainty, c.item.key))
    assert {c.item.key for c in queued[:2]} == {r.item_key for r in written[:2]}  # least certain first

    table = render_markdown(result, command="narratrace simulate-reviews techniques")
    assert "| 0 (shipped default) |" in table and "| 4 |" in table and "(queue)" in table and "(random)" in table
    svg = render_svg(result)
    assert svg.startswith("<svg") and svg.count("<polyline") == 2


def test_reviews_simulation_splices_its_section(tmp_path: Path) -> None:
    from narratrace.reviews.simulation_cli import HEAD, splice_task

    doc = "# Quality\n\n## Table\n\nrows\n\n## Quality gate\n\nfloors\n"
    once = splice_task(doc, "techniques", "### techniques\n\nFIRSTBODY\n")
    twice = splice_task(splice_task(once, "narratives", "### narratives\n\nn\n"), "techniques",
                        "### techniques\n\nsecond\n")
    assert twice.index(HEAD) < twice.index("## Quality gate") and "FIRSTBODY" not in twice
    assert twice.count("### techniques") == 1 and "second" in twice and "### narratives" in twice
    assert "rows" in twice and "floors" in twice


def test_reviews_simulation_unknown_task_or_order() -> None:
    from narratrace.errors import ConfigError
    from narratrace.reviews.simulation import simulate_reviews

    with pytest.raises(ConfigError, match="no review simulation"):
        simulate_reviews("matching", ROOT, steps=[0])
    with pytest.raises(ConfigError, match="orders"):
        simulate_reviews("techniques", ROOT, steps=[0], orders=["sideways"])



def test_reviews_simulation_section_survives_make_quality() -> None:
    """``make quality`` rewrites docs/quality.md from its runs: the simulation's section is carried over."""
    from narratrace.quality import REVIEWS_HEAD, keep_section

    old = f"# Quality\n\n## Table\n\nold rows\n\n{REVIEWS_HEAD}\n\n### techniques\n\ncurve\n\n## Quality gate\n\nx\n"
    new = "# Quality\n\n## Table\n\nnew rows\n\n## Quality gate\n\ny\n"
    kept = keep_section(old, new, REVIEWS_HEAD)
    assert "new rows" in kept and "old rows" not in kept and "curve" in kept
    assert kept.index(REVIEWS_HEAD) < kept.index("## Quality gate") and kept.endswith("y\n")
    assert keep_section(new, new, REVIEWS_HEAD) == new


def test_reviews_simulation_narratives_on_our_sample(tmp_path: Path) -> None:
    """Narratives: the zero-shot default first, then models trained from the replayed reviews (no benchmark);
    each review is a confirm when gold has the label and a reject otherwise."""
    from narratrace.narratives.evaluation import read_semeval
    from narratrace.narratives.simulation import NarrativesSimulation
    from narratrace.reviews.simulation import simulate_reviews
    from narratrace.reviews.store import reviews

    sample = ROOT / "tests" / "data" / "narratives"
    result = simulate_reviews("narratives", sample, steps=[0, 3], orders=["queue"], seed=2, work=tmp_path)
    points = result["curves"]["queue"]
    assert [p["reviews"] for p in points] == [0, 3] and points[0]["model"] == "shipped default"
    assert set(points[1]["measures"]) == {"f1_samples.narratives", "f1_samples.subnarratives"}
    assert result["base"]["reviews"] == 0  # the default's labels learned with no review: the copy's own row
    card = json.loads((tmp_path / "base" / "model-0" / "card.json").read_text())
    assert card["data"]["reviews"]["articles"] == 0 and card["data"]["reviews"]["default_labelled"] == len(
        read_semeval(sample, split="train"))
    gold = {d.id: {*d.narratives, *d.subnarratives} for d in read_semeval(sample, split="train")}
    with Store(tmp_path / "queue" / "reviews.db") as store:
        written = list(reviews(store, kind="narrative"))
        refs = {r.article_id: store.article(r.article_id).ref for r in written}
    assert len(written) == 3
    assert all((r.verdict == "confirm") == (r.label in gold[refs[r.article_id]]) for r in written)
    sim = NarrativesSimulation(sample)
    try:
        assert sim.describe()["pool"] == len(gold) and all(c.item.kind == "narrative" for c in sim.candidates(None))
    finally:
        sim.close()


def test_reviews_simulate_command_writes_table_plot_and_section(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from narratrace.cli import cli

    sample = ROOT / "tests" / "data" / "techniques"
    doc = tmp_path / "quality.md"
    doc.write_text("# Quality\n\n## Quality gate\n\nfloors\n", encoding="utf-8")
    svg = tmp_path / "reviews-techniques.svg"
    args = ["simulate-reviews", "techniques", "--data", str(sample), "--base", str(sample), "--steps", "0,2",
            "--order", "random", "--svg", str(svg), "--doc", str(doc)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "| 2 |" in result.stdout and "(random)" in result.stdout and "(queue)" not in result.stdout
    text = doc.read_text(encoding="utf-8")
    assert "## How many reviews move each measure" in text and "### techniques" in text
    assert "![techniques: measure against reviews](reviews-techniques.svg)" in text and text.endswith("floors\n")
    assert svg.read_text(encoding="utf-8").startswith("<svg")

    bad = CliRunner().invoke(cli, ["simulate-reviews", "techniques", "--data", str(sample), "--steps", "0,x"])
    assert bad.exit_code != 0 and "--steps" in bad.output and "Traceback" not in bad.output
    nobase = CliRunner().invoke(cli, ["simulate-reviews", "techniques", "--data", str(sample), "--steps", "0"])
    assert nobase.exit_code != 0 and "--base" in nobase.output
