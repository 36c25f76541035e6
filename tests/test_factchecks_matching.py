"""Fact-checks in the store, matching, the factcheck_matches stage, export, report and CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from claimkit import add, article, claim
from narratrace import pipeline
from narratrace.cli import cli
from narratrace.factchecks import claimreview_skeletons, import_factchecks, match_text
from narratrace.factchecks.matching import clean_query, content_words, load_reranker
from narratrace.claims import groups as cg
from narratrace.store import Store
from narratrace.factchecks.store import count_factchecks, factcheck_matches

DATA = Path(__file__).parent / "data" / "factchecks"


@pytest.fixture(scope="module", autouse=True)
def model() -> object:
    return cg.load_encoder()


def _import_samples(store: Store) -> tuple[int, int, int, int]:
    """The ClaimReview samples of DATA (not its retrieval/ collection): (added, updated, unchanged, embedded)."""
    reports = [import_factchecks(store, f) for f in sorted(DATA.iterdir()) if f.is_file() and f.suffix != ".md"]
    return tuple(sum(getattr(r, k) for r in reports) for k in ("added", "updated", "unchanged", "embedded"))  # type: ignore[return-value]


@pytest.fixture
def checked(tmp_path: Path) -> Store:
    store = Store(tmp_path / "fc.db")
    added, _, _, embedded = _import_samples(store)
    assert added >= 14 and embedded == added
    return store


def test_factchecks_matching_reimport_updates_never_duplicates(checked: Store, tmp_path: Path) -> None:
    n = count_factchecks(checked)
    added, updated, unchanged, embedded = _import_samples(checked)
    assert (added, updated, embedded) == (0, 0, 0) and unchanged == n
    changed = json.loads((DATA / "claimreview_single.jsonld").read_text())
    changed["reviewRating"]["alternateName"] = "False"
    changed["claimReviewed"] = "The Arlen bridge toll will be scrapped on 1 May."
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    third = import_factchecks(checked, tmp_path / "changed.json")
    assert (third.added, third.updated, third.embedded) == (0, 1, 1)
    assert count_factchecks(checked) == n
    (hit, *_) = match_text(checked, "Toll on the Arlen bridge scrapped from May 1")
    assert hit.factcheck.claim == "The Arlen bridge toll will be scrapped on 1 May." and hit.factcheck.verdict == "false"


def test_factchecks_matching_finds_the_checked_claim_and_rejects_unrelated(checked: Store) -> None:
    hits = match_text(checked, "They put tracking microchips into the flu jab so the state can follow you")
    assert hits[0].matched and hits[0].factcheck.publisher == "Harbour Verify"
    assert hits[0].score > 0.7
    assert all(not h.matched for h in hits[1:])
    unrelated = match_text(checked, "The football club won the league after a late goal on Sunday.")
    assert unrelated and not any(h.matched for h in unrelated)
    assert all(h.score < 0.2 for h in unrelated)
    assert match_text(checked, "   ") == []
    # the stage's tiers: a match, and candidates under the possible tier that are not matches at all
    assert hits[0].tier == "match" and hits[0].to_dict()["tier"] == "match"
    assert [h.tier for h in unrelated] == [None] * len(unrelated)


def test_factchecks_matching_query_cleaning() -> None:
    tweet = ("Shark on the highway!! #HurricaneHarvey @storm_desk https://t.co/x pic.twitter.com/abc "
             "— Some Person (@someone) August 28, 2017")
    assert clean_query(tweet) == "Shark on the highway!! Hurricane Harvey storm_desk Some Person"
    assert content_words("The toll WILL be scrapped on 1 June") == ["toll", "scrapped", "1", "june"]


def test_factchecks_matching_fts_input_is_never_syntax(checked: Store) -> None:
    for text in ['"unbalanced quote', "NEAR(a b) OR *", "col:value AND -x", "^caret ( )"]:
        match_text(checked, text)  # no sqlite3.OperationalError


def test_factchecks_matching_default_model_is_hand_set() -> None:
    r = load_reranker(None)
    assert r.name == "hybrid-v1" and r.threshold == 0.5
    from narratrace.cards import resolve_model, load_card

    card = load_card(resolve_model("matching", None, default="hybrid-v1"))
    assert card["kind"] == "rules" and card["data"]["path"].startswith("none")


def _corpus(store: Store) -> tuple[str, str]:
    a = article("herald", "Sources close to the investigation say the drones were intended for attacks on power "
                          "stations. The football club won the league on Sunday after a late goal.",
                outlet="Harbour Herald", published="2025-04-06")
    b = article("gazette", "Readers keep sending us posts claiming that flu vaccines contain microchips for "
                           "tracking people. The weather stayed mild all week.",
                outlet="Gazette <b>&</b>", published="2020-01-01")
    add(store, a, [claim(a, "Sources close", to="power stations.", source="Sources close to the investigation",
                         kind="anonymous", cue="say"),
                   claim(a, "The football club won the league on Sunday after a late goal.")])
    add(store, b, [claim(b, "flu vaccines contain microchips for tracking people.")])
    return a.id, b.id


def _run(store: Store, monkeypatch: pytest.MonkeyPatch) -> pipeline.RunReport:
    monkeypatch.setattr(pipeline, "ARTICLE_FIELDS", pipeline.ARTICLE_FIELDS + ("article.claims", "article.entities"))
    return pipeline.Pipeline(("claim_vectors", "factcheck_matches"), workers=1).run(store)


def test_factchecks_matching_stage_matches_every_claim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "c.db")
    a_id, b_id = _corpus(store)
    report = _run(store, monkeypatch)
    assert report.done["factcheck_matches"] == 2 and factcheck_matches(store) == []  # nothing imported yet
    (tmp_path / "fc.json").write_text(json.dumps([
        {"@type": "ClaimReview", "claimReviewed": "The Kessport drones were meant for attacks on power plants.",
         "url": "https://factdesk.example/drones", "datePublished": "2025-04-03",
         "author": {"name": "Coastal Fact Desk"}, "reviewRating": {"alternateName": "False"}},
        {"@type": "ClaimReview", "claimReviewed": "Flu vaccines contain microchips <script>alert(1)</script>.",
         "url": "javascript:alert(1)", "datePublished": "2021-03-02",
         "author": {"name": "Harbour <i>Verify</i>"}, "reviewRating": {"alternateName": "False"}}]))
    import_factchecks(store, tmp_path / "fc.json")
    assert _run(store, monkeypatch).done["factcheck_matches"] == 2  # an import re-matches every article
    assert _run(store, monkeypatch).done["factcheck_matches"] == 0  # then it is up to date
    matches = factcheck_matches(store)
    assert {(m["article"], m["factcheck"]["publisher"]) for m in matches} == {
        (a_id, "Coastal Fact Desk"), (b_id, "Harbour <i>Verify</i>")}
    sure = [m for m in matches if m["tier"] == "match"]
    assert {m["article"] for m in sure} == {a_id, b_id} and all(m["score"] >= 0.5 and m["rank"] == 1 for m in sure)
    assert all(0.2 <= m["score"] < 0.5 for m in matches if m["tier"] == "possible")
    assert {m["tier"] for m in matches} <= {"match", "possible"}

    from narratrace.export import export_corpus

    exported = export_corpus(store)["factcheck_matches"]
    assert {e["article"] for e in exported} == {"herald", "gazette"}
    for e in exported:
        assert set(e) >= {"claim", "factcheck", "score"}
        assert set(e["factcheck"]) >= {"url", "publisher", "rating", "claim"}
        assert e["claim"].startswith(("c-", "text-"))  # "text-<article id>": a short article matched as a whole

    from narratrace.report import build_report, render_html

    page = render_html(build_report(store))
    assert '<section id="factchecks">' in page

    from narratrace.factchecks.tiers import TIERS, tiers_note

    # each tier's measured precision is stated where matches are shown, and in the export
    from markupsafe import escape

    assert str(escape(tiers_note())) in page and "150 of 155 right on CheckThat! tweets" in tiers_note()
    assert export_corpus(store)["factcheck_tiers"] == list(TIERS)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'href="javascript:' not in page
    assert "Harbour &lt;i&gt;Verify&lt;/i&gt;" in page
    section = page[page.index('<section id="factchecks">'):]
    section = section[:section.index("</section>")]
    assert "Already-debunked claims" in section
    # the herald (2025-04-06) repeats the drone claim after its debunk (2025-04-03); the gazette
    # (2020-01-01) carried the vaccine claim before it was checked (2021-03-02)
    assert '<span class="after">Harbour Herald</span>' in section
    assert "none after 2021-03-02" in section

    skeletons = claimreview_skeletons(store, article="herald")
    assert [s["@type"] for s in skeletons] == ["ClaimReview", "ClaimReview"]
    first = skeletons[0]
    assert first["claimReviewed"].startswith("Sources close") and first["reviewRating"]["alternateName"] == ""
    assert first["itemReviewed"]["author"]["name"] == "Sources close to the investigation"
    assert first["narratrace:relatedFactChecks"][0]["publisher"] == "Coastal Fact Desk"
    assert [s["claimReviewed"][:8] for s in claimreview_skeletons(store, unmatched=True)] == ["The foot"]


def test_factchecks_matching_two_posts_repeating_one_factcheck_keep_both_matches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Written for this test: two short posts, no claim annotations, the same fact-checked claim. The
    # whole-text match of each is stored under its own id (one shared id made the second overwrite the first).
    store = Store(tmp_path / "c.db")
    posts = [article("post-a", "Customs at Kessport found military drone parts hidden in containers declared as "
                               "irrigation equipment!!"),
             article("post-b", "so customs in kessport found drone parts in the irrigation equipment containers?? "
                               "unbelievable")]
    for a in posts:
        add(store, a, [])
    (tmp_path / "fc.json").write_text(json.dumps([
        {"@type": "ClaimReview", "claimReviewed": "Customs officers at Kessport found military drone parts in "
                                                  "containers declared as irrigation equipment.",
         "url": "https://factdesk.example/kessport-parts", "author": {"name": "Coastal Fact Desk"},
         "reviewRating": {"alternateName": "True"}}]))
    import_factchecks(store, tmp_path / "fc.json")
    _run(store, monkeypatch)
    matches = factcheck_matches(store)
    assert {m["article"] for m in matches} == {a.id for a in posts}
    assert {m["claim"] for m in matches} == {f"text-{a.id}" for a in posts}

    from narratrace.factchecks.report import build_factcheck_section

    section = build_factcheck_section(store)
    assert section is not None and section.matched_claims == 2
    assert {c.article_ref for c in section.claims} == {"post-a", "post-b"}


def test_factchecks_matching_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    out = runner.invoke(cli, ["factchecks", "import", str(DATA / "wrong_types.json"), "--db", db])
    assert out.exit_code == 0, out.output
    assert "2 fact-check(s) added" in out.output and "claimReviewed is int, not text" in out.output
    out = runner.invoke(cli, ["factchecks", "import", str(DATA / "google_factcheck_tools.json"), "--db", db, "--json"])
    assert json.loads(out.output)["added"] == 3
    out = runner.invoke(cli, ["match", "Lake Orrin has dried up completely", "--db", db, "--json", "-n", "2"])
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    assert len(hits) == 2 and hits[0]["matched"] and "Lake Orrin" in hits[0]["factcheck"]["claim"]
    out = runner.invoke(cli, ["match", "Lake Orrin has dried up completely", "--db", db])
    assert out.output.startswith("MATCH")
    out = runner.invoke(cli, ["factchecks", "import", str(DATA / "factchecks_custom.csv"), "--db", db,
                              "--map", "claim=statement", "--map", "rating=verdict"])
    assert "1 fact-check(s) added" in out.output
    out = runner.invoke(cli, ["factchecks", "import", str(DATA / "factchecks_custom.csv"), "--db", db, "--map", "x"])
    assert out.exit_code != 0 and "FIELD=COLUMN" in out.output
    out = runner.invoke(cli, ["factchecks", "export", "--db", db])
    assert out.exit_code == 0 and json.loads(out.output) == []  # no articles, no claims
    out = runner.invoke(cli, ["match", "x", "--db", str(tmp_path / "missing.db")])
    assert out.exit_code != 0 and "no database" in out.output


def test_factchecks_matching_bm25_query_leaves_out_common_words(checked: Store) -> None:
    from narratrace.factchecks.matching import Matcher, MatchOptions

    small = Matcher(checked)
    assert small.query_terms("Flu vaccines contain tracking microchips") == ["flu", "vaccines", "contain",
                                                                             "tracking", "microchips"]
    strict = Matcher(checked, options=MatchOptions(common_min=1, common_share=0.1, max_terms=2))
    terms = strict.query_terms("The Arlen bridge toll will be abolished in Kessport")
    assert len(terms) <= 2 and "arlen" not in terms  # "Arlen" is in more than 10 % of the fact-checks
    assert strict.match("Flu vaccines contain microchips that let the government track people")


def test_factchecks_matching_no_embed_then_embed(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "ne.db")
    out = runner.invoke(cli, ["factchecks", "import", str(DATA / "lines.jsonl"), "--db", db, "--no-embed"])
    assert "3 fact-check(s) added" in out.output and "0 embedded" in out.output
    out = runner.invoke(cli, ["match", "Marrenland expelled the ambassador", "--db", db])
    assert "3 fact-check(s) are not embedded" in out.output
    out = runner.invoke(cli, ["factchecks", "import", str(DATA / "lines.jsonl"), "--db", db])
    assert "3 unchanged, 3 embedded" in out.output
    out = runner.invoke(cli, ["match", "Marrenland expelled the ambassador", "--db", db, "--json"])
    assert json.loads(out.output)[0]["matched"]


_VACCINE_CHECK = {"@type": "ClaimReview", "claimReviewed": "Flu vaccines contain microchips that let the government "
                                                           "track people.",
                  "url": "https://harbour-verify.example/microchips", "author": {"name": "Harbour Verify"},
                  "reviewRating": {"alternateName": "False"}}


def _long_articles() -> list:
    # Written for this test; each over 600 characters, so no article is matched as a whole.
    filler = ("Clinics in the northern districts open at eight. The regional health office publishes weekly "
              "figures on admissions. Nurses visit care homes in November. Pharmacies in larger towns give the "
              "injection without an appointment. Appointments can be booked by telephone or at the front desk of each "
              "clinic. Parking near the clinics is free on weekdays, and buses stop at every entrance. The waiting "
              "rooms were repainted over the summer and have new chairs. Staff at the reception speak four languages "
              "and can help visitors fill in the forms. The clinics close at six in the evening, and on Saturdays at "
              "noon. ")
    assert len(filler) > 600
    return [
        article("clinic", filler + "The flu season started early this year. The rumour doctors hear most is that "
                "flu vaccines contain microchips which let the government track people."),
        article("question", filler + "Do flu vaccines really contain microchips which let the government track "
                "people? Readers keep asking us. The answer is in our explainer."),
        article("campaign", filler + "The flu vaccine campaign starts at every pharmacy in the region in October "
                "and lasts until the end of December."),
    ]


def _sentence_run(store: Store, monkeypatch: pytest.MonkeyPatch, stages: tuple[str, ...],
                  config: dict | None = None) -> pipeline.RunReport:
    monkeypatch.setattr(pipeline, "ARTICLE_FIELDS", pipeline.ARTICLE_FIELDS + ("article.claims", "article.entities"))
    return pipeline.Pipeline(stages, workers=1, config=config or {}).run(store)


def test_factchecks_matching_sentences_no_claim_covers_are_queries(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "c.db")
    arts = _long_articles()
    for a in arts:
        add(store, a, [claim(a, "The regional health office publishes weekly figures on admissions.")])
    (tmp_path / "fc.json").write_text(json.dumps([_VACCINE_CHECK]))
    import_factchecks(store, tmp_path / "fc.json")
    _sentence_run(store, monkeypatch, ("sentence_vectors", "claim_vectors"))

    from narratrace import vectors

    calls: list[int] = []
    encoder = vectors.encoder_for(None)
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts, **kw: (calls.append(list(texts)), real(texts, **kw))[1])
    _sentence_run(store, monkeypatch, ("sentence_vectors", "claim_vectors", "factcheck_matches"))
    assert calls == []  # every sentence's vector is the stored one: nothing embedded twice

    matches = factcheck_matches(store)
    clinic = arts[0]
    start = clinic.text.index("The rumour doctors hear most")
    # the non-claim sentence that repeats the fact-checked claim is matched; the question and the sentence
    # on the same topic (not the same claim) are not listed
    assert [(m["article"], m["claim"], m["tier"]) for m in matches] == [(clinic.id, f"s-{clinic.id[:10]}-{start}",
                                                                         "match")]
    assert matches[0]["score"] >= 0.8

    # the cosine bound only spares ranking sentences that cannot reach 0.8: without it, the same matches
    from narratrace.factchecks.matching import Matcher

    monkeypatch.setattr(encoder, "encode", real)
    monkeypatch.setattr(Matcher, "cosine_floor", lambda self, min_score: None)
    store.db.execute("DELETE FROM stage_results WHERE stage = 'factcheck_matches'")
    _sentence_run(store, monkeypatch, ("claim_vectors", "factcheck_matches"))
    assert factcheck_matches(store) == matches
    monkeypatch.undo()

    _sentence_run(store, monkeypatch, ("claim_vectors", "factcheck_matches"),
                  {"factcheck_matches": {"sentences": False}})
    assert factcheck_matches(store) == []  # claims alone miss it


def test_factchecks_matching_assertion_sentences() -> None:
    from narratrace.factchecks.stage import assertion_sentence

    assert assertion_sentence("Flu vaccines contain microchips that let the government track people.")
    assert not assertion_sentence("Do flu vaccines contain microchips that let the government track people?")
    assert not assertion_sentence("Do they really contain microchips, as the posts say?”")  # a quoted question
    assert not assertion_sentence("Readers keep asking us.")  # too few content words
    assert not assertion_sentence("Subscribe to our newsletter for the latest news on vaccines and health policy.")


def test_factchecks_matching_short_text_lead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from narratrace.factchecks.stage import is_lead
    from narratrace.factchecks.matching import Candidate

    def ranked(*scores: float) -> list[Candidate]:
        return [Candidate(i, f"k{i}", i + 1, s) for i, s in enumerate(scores)]

    assert is_lead(ranked(0.12, 0.05), 0.05, 2.0) and is_lead(ranked(0.06), 0.05, 2.0)
    assert not is_lead(ranked(0.12, 0.07), 0.05, 2.0)  # the second is too close
    assert not is_lead(ranked(0.04, 0.01), 0.05, 2.0) and not is_lead(ranked(0.12, 0.01), None, 2.0)
    assert load_reranker(None).lead == 0.02 and load_reranker(None).lead_ratio == 2.0

    # Through the stage: a post's best candidate under the possible tier is listed, as possible, only when
    # it stands out. The thresholds are raised so that the example's clear match falls under `possible`.
    store = Store(tmp_path / "c.db")
    post = article("post", "They put tracking microchips into the flu jab so the state can follow you")
    add(store, post, [])
    _import_samples(store)
    raised = {"threshold": 0.995, "possible": 0.99, "sentence_threshold": 0.995, "agree_ratio": 0}  # lead rule alone
    for lead, ratio, listed in ((0.5, 2.0, True), (0.5, 1000.0, False), (0.99, 2.0, False)):
        store.db.execute("DELETE FROM stage_results WHERE stage = 'factcheck_matches'")
        _sentence_run(store, monkeypatch, ("claim_vectors", "factcheck_matches"),
                      {"factcheck_matches": {**raised, "lead": lead, "lead_ratio": ratio}})
        found = factcheck_matches(store)
        assert [(m["tier"], m["factcheck"]["publisher"]) for m in found] == (
            [("possible", "Harbour Verify")] if listed else []), (lead, ratio)


def test_factchecks_matching_cosine_floor_is_exact() -> None:
    import numpy as np

    from narratrace.factchecks.matching import CROSS_LANGUAGE, FEATURES, Reranker, _cosine_floor

    for reranker in (load_reranker(None), CROSS_LANGUAGE):
        floor = _cosine_floor(reranker, 0.8, 60)
        assert floor is not None
        best = {f: (floor if f.startswith("cos_") else 2 / 61 if f == "rrf" else 1.0) for f in FEATURES}
        assert reranker.score(np.asarray([[best[f] for f in FEATURES]]))[0] == pytest.approx(0.8)
        below = {**best, "cos_max": floor - 0.01, "cos_claim": floor - 0.01, "cos_title": floor - 0.01}
        assert reranker.score(np.asarray([[below[f] for f in FEATURES]]))[0] < 0.8
    negative = Reranker((0.0, -1.0, 9.0, 1.0, 0.0, 0.8, 0.8, 2.0, 1.0), -9.3)
    assert _cosine_floor(negative, 0.8, 60) is None  # no bound: every sentence is ranked


def test_factchecks_matching_short_text_sentence_agreement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from narratrace.factchecks.matching import Candidate, Matcher
    from narratrace.factchecks.stage import agrees

    def ranked(*scores: float) -> list[Candidate]:
        return [Candidate(i, f"k{i}", i + 1, s) for i, s in enumerate(scores)]

    assert agrees(ranked(0.12, 0.1), {0}, 1.2) and agrees(ranked(0.06), {0}, 3.0)
    assert not agrees(ranked(0.12, 0.11), {0}, 1.2)  # the second is too close
    assert not agrees(ranked(0.12, 0.01), {1}, 1.2)  # the sentences' nearest is another fact-check
    assert not agrees(ranked(0.12, 0.01), {0}, None) and not agrees([], {0}, 1.0)
    assert load_reranker(None).agree_ratio is None  # no band qualified on the CheckThat! train split

    # Through the stage: with the lead rule off and the thresholds raised over the post's clear match, the
    # best candidate is listed as possible only when the post's sentence, ranked alone, agrees.
    store = Store(tmp_path / "c.db")
    post = article("post", "They put tracking microchips into the flu jab so the state can follow you")
    add(store, post, [])
    _import_samples(store)
    raised = {"threshold": 0.995, "possible": 0.99, "sentence_threshold": 0.995, "lead": 0.99}
    for ratio, listed in ((1.0, True), (1000.0, False), (0, False)):
        store.db.execute("DELETE FROM stage_results WHERE stage = 'factcheck_matches'")
        _sentence_run(store, monkeypatch, ("claim_vectors", "factcheck_matches"),
                      {"factcheck_matches": {**raised, "agree_ratio": ratio}})
        found = factcheck_matches(store)
        assert [(m["tier"], m["factcheck"]["publisher"]) for m in found] == (
            [("possible", "Harbour Verify")] if listed else []), ratio
    matcher = Matcher(store)
    from narratrace.factchecks.embedding import embed

    vector = embed([clean_query(post.text)])
    best = matcher.rank(post.text, vector[0], k=1)[0]
    assert matcher.nearest(vector) == [best.rowid]
    assert matcher.nearest(vector * 0) == [None]


def test_factchecks_matching_post_date() -> None:
    from narratrace.factchecks.matching import post_date

    assert post_date("Lake Orvin is being drained — Orvin Valley News (@orvinvalley) May 2, 2024") == "2024-05-02"
    assert post_date("No ferry today — Orvin Commuters (@orvincommuters) november 4, 2023  ") == "2023-11-04"
    assert post_date("The ferry was suspended on May 2, 2024 after a storm") is None  # not a post's signature
    assert post_date("A post — Someone (@someone) February 30, 2024") is None  # not a day
    assert post_date("") is None


def test_factchecks_matching_date_prior_puts_the_fact_check_of_the_posts_time_first() -> None:
    # tests/data/factchecks/dated: 8 posts, each repeating a claim that was fact-checked twice, in two
    # different years; the right fact-check is the one published just after the post (its signature's date).
    from narratrace.factchecks.evaluation import _store_for
    from narratrace.factchecks.evaluation import read_claim_retrieval
    from narratrace.factchecks.matching import Matcher, post_date

    data = read_claim_retrieval(DATA / "dated")
    matcher = Matcher(_store_for(data, None))
    assert load_reranker(None).date_weight == 1.0 and load_reranker(None).date_window == (7, 30)
    undated_right = 0
    for q, text in data.queries.items():
        day = post_date(text)
        assert day is not None
        dated = matcher.rank(text, k=2, published=day)
        assert dated[0].key.removeprefix("vclaim:") in data.qrels[q], text
        assert (dated[0].features["date_near"], dated[1].features["date_near"]) == (1.0, 0.0)
        undated = matcher.rank(text, k=2)
        assert all(c.features["date_near"] == 0.0 for c in undated)
        undated_right += undated[0].key.removeprefix("vclaim:") in data.qrels[q]
        # the prior adds the same log-odds to the fact-check in its window, nothing to the other
        same = {c.key: c.score for c in undated}
        logit = lambda p: math.log(p / (1 - p))  # noqa: E731
        assert logit(dated[0].score) - logit(same[dated[0].key]) == pytest.approx(1.0, abs=1e-6)
        assert dated[1].score == pytest.approx(same[dated[1].key])
    assert undated_right < len(data.queries)  # without the dates the two years are close to a coin toss
    # `narratrace match` ranks a pasted post with its signature's date too
    store = matcher.store
    for q, text in data.queries.items():
        assert match_text(store, text, top=2)[0].factcheck.key.removeprefix("vclaim:") in data.qrels[q]
