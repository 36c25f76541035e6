"""The review kinds that are not annotations (fact-check matches, republication pairs, claim groups),
assignment and the review log, and the export of reviews in the benchmark formats ``train`` reads.

Each kind is declared by its own analysis (``Analysis.reviews``); runs on the web tests' store
(the example corpus and fact-checks plus hostile articles), analysed once (SQLite).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from narratrace.errors import InputError
from narratrace.reviews.queue import check_review, find_item, queue, review_status
from narratrace.reviews.store import add_review
from narratrace.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web tests' store: the example corpus and fact-checks, hostile articles (one a copy of
    another) and an article the narratives stage labels."""
    from test_web_api import build_web_store

    return build_web_store(tmp_path_factory.mktemp("review-kinds") / "web.db")


@pytest.fixture
def db(analysed: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "kinds.db"
    shutil.copy(analysed, copy)
    return copy


def _review(store: Store, kind: str, key: str, verdict: str, correction: dict | None = None) -> None:
    item, fixed = check_review(store, kind, key, verdict, correction)
    add_review(store, item, verdict=verdict, reviewer="ana", correction=fixed)


def test_reviews_kinds_each_new_kind_is_queued_least_certain_first(db: Path) -> None:
    with Store(db) as store:
        for kind, threshold in (("factcheck", 0.5), ("republication", 0.3), ("claim_group", 0.78)):
            entries = queue(store, kind=kind, limit=None)
            assert entries, kind
            assert {e.item.kind for e in entries} == {kind}
            assert all(e.item.score is not None and e.item.threshold == threshold for e in entries)
            doubts = [e.item.uncertainty for e in entries]
            assert doubts == sorted(doubts)
            assert doubts[0] == pytest.approx(abs(entries[0].item.score - threshold))
            assert len({e.item.key for e in entries}) == len(entries)
            assert find_item(store, kind, entries[-1].item.key) == entries[-1].item
        pairs = {e.item.key for e in queue(store, kind="republication", limit=None)}
        assert len(pairs) == store.db.execute("SELECT count(*) FROM republication_pairs").fetchone()[0]
        matched = store.db.execute("SELECT count(DISTINCT claim_id) FROM factcheck_matches").fetchone()[0]
        assert len(queue(store, kind="factcheck", limit=None)) == matched


def test_reviews_kinds_a_factcheck_match_is_corrected_to_another_candidate_or_none(db: Path) -> None:
    with Store(db) as store:
        items = [e.item for e in queue(store, kind="factcheck", limit=None)]
        item = next(i for i in items if len(i.options) >= 3)  # two candidates of its article and "none"
        values = [v for v, _ in item.options]
        assert item.label in values and values[-1] == "none"
        other = next(v for v in values if v not in (item.label, "none"))
        for correction in ({"label": "url:https://elsewhere.example/x"}, {"start": 0, "end": 3}):
            with pytest.raises(InputError):  # only the article's candidates, and the claim's span stays
                check_review(store, "factcheck", item.key, "correct", correction)
        _review(store, "factcheck", item.key, "correct", {"label": other})
        second = next(i for i in items if i.key != item.key)
        _review(store, "factcheck", second.key, "correct", {"label": "none"})
        assert {r.item_key: s for r, s in review_status(store)} == {item.key: "reviewed", second.key: "reviewed"}
        # re-analysis ranks another fact-check first for the claim: the review is of the old answer
        claim = item.key.split(":", 2)[2]
        with store._transaction():
            store.db.execute("UPDATE factcheck_matches SET rank = rank + 10 WHERE claim_id = ? AND factcheck_key = ?",
                             (claim, item.label))
            store.db.execute("UPDATE factcheck_matches SET factcheck_key = ?, rank = 1 WHERE claim_id = ? AND "
                             "rank = 11", (other, claim))
        again = {e.item.key: e.status for e in queue(store, kind="factcheck", limit=None)}
        assert again[item.key] == "needs review again" and second.key not in again


def test_reviews_kinds_a_republication_pair_is_reversed_or_independent(db: Path) -> None:
    with Store(db) as store:
        pairs = [e.item for e in queue(store, kind="republication", limit=None)]
        first, second = pairs[0], pairs[1]
        assert first.label == "copies" and first.answer["copy"] == first.ref
        with pytest.raises(InputError):
            check_review(store, "republication", first.key, "correct", {"label": "copies twice"})
        _review(store, "republication", first.key, "correct", {"label": "reversed"})
        _review(store, "republication", second.key, "correct", {"label": "independent"})
        # re-analysis flips the first pair's direction: the same item (keyed by both articles), changed
        a, b = first.key.split(":")[1:]
        original = b if first.article_id == a else a
        with store._transaction():
            store.db.execute("UPDATE republication_pairs SET original = copy, copy = original WHERE original = ? "
                             "AND copy = ?", (original, first.article_id))
        flipped = find_item(store, "republication", first.key)
        assert flipped is not None and flipped.answer["original"] == first.ref
        status = {r.item_key: s for r, s in review_status(store)}
        assert status == {first.key: "needs review again", second.key: "reviewed"}
        # the pair is no longer found: its review is stale
        with store._transaction():
            store.db.execute("DELETE FROM republication_pairs WHERE ? IN (original, copy) AND ? IN (original, copy)",
                             tuple(first.key.split(":")[1:]))
        assert {r.item_key: s for r, s in review_status(store)}[first.key] == "stale"


def test_reviews_kinds_a_claim_group_item_offers_its_own_group_first_and_at_most_max_options(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A queue page stays small on a corpus of thousands of groups: each item offers its own group, then
    its articles' other groups, then the largest ones, MAX_OPTIONS in all (plus "none")."""
    import narratrace.claims.reviews as claim_reviews

    with Store(db) as store:
        every = [v for v, _ in queue(store, kind="claim_group", limit=1)[0].item.options]
        assert len(every) - 1 >= 3  # the fixture has enough groups for the cap to bite
        monkeypatch.setattr(claim_reviews, "MAX_OPTIONS", 2)
        for entry in queue(store, kind="claim_group", limit=None):
            values = [v for v, _ in entry.item.options]
            assert values[0] == entry.item.label and values[-1] == "none" and len(values) == 3, values


def test_reviews_kinds_a_claim_is_moved_to_another_group_or_out(db: Path) -> None:
    with Store(db) as store:
        members = [e.item for e in queue(store, kind="claim_group", limit=None)]
        first = members[0]
        groups = [v for v, _ in first.options]
        assert first.label in groups and groups[-1] == "none" and len(groups) >= 3
        target = next(g for g in groups if g not in (first.label, "none"))
        with pytest.raises(InputError):
            check_review(store, "claim_group", first.key, "correct", {"label": "cg-nowhere"})
        _review(store, "claim_group", first.key, "correct", {"label": target})
        out = next(m for m in members if m.label != first.label)
        _review(store, "claim_group", out.key, "correct", {"label": "none"})
        _review(store, "claim_group", members[2].key, "confirm")
        # re-analysis puts the first claim in the group the reviewer named: its answer changed
        data = {gid: json.loads(d) for gid, d in store.db.execute("SELECT id, data FROM claim_groups")}
        claim = first.key.split(":", 2)[2]
        member = next(m for m in data[first.label]["members"] if m["claim"] == claim and m["article"] == first.article_id)
        data[first.label]["members"].remove(member)
        data[target]["members"].append(member)
        with store._transaction():
            for gid in (first.label, target):
                store.db.execute("UPDATE claim_groups SET data = ? WHERE id = ?", (json.dumps(data[gid]), gid))
        moved = find_item(store, "claim_group", first.key)
        assert moved is not None and moved.label == target
        assert {r.item_key: s for r, s in review_status(store)}[first.key] == "needs review again"


# -- assignment and the review log, through the API ---------------------------------------------------------

TOKEN = "kinds-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(db: Path):
    from fastapi.testclient import TestClient

    from narratrace.web import create_app

    with TestClient(create_app(str(db), write_token=TOKEN)) as c:
        yield c


def test_reviews_assign_new_endpoints_need_the_token(client, db: Path) -> None:
    from fastapi.testclient import TestClient

    from narratrace.web import create_app

    for method, url, payload in (("get", "/api/reviews/log", None),
                                 ("post", "/api/reviews/assign-queue", {"assignee": "cy", "count": 2})):
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = getattr(client, method)(url, headers=headers, **({"json": payload} if payload else {}))
            assert r.status_code == 401, (url, r.status_code)
    with TestClient(create_app(str(db))) as no_token:
        assert no_token.get("/api/reviews/log", headers=AUTH).status_code == 403
    assert client.post("/api/reviews/assign-queue", headers=AUTH, json={"assignee": "cy", "count": 0}).status_code == 422
    assert client.post("/api/reviews/assign-queue", headers=AUTH,
                       json={"assignee": "cy", "count": 2, "kind": "planet"}).status_code == 404


def test_reviews_assign_the_first_n_of_the_filtered_queue_and_see_who_reviewed_what(client) -> None:
    roles = client.get("/api/reviews/queue", params={"kind": "role", "limit": 10}, headers=AUTH).json()["items"]
    r = client.post("/api/reviews/assign-queue", headers=AUTH,
                    json={"assignee": "cy <b>", "count": 3, "kind": "role", "assigned_by": "ana"})
    assert r.status_code == 200 and r.json()["assigned"] == [i["key"] for i in roles[:3]]
    # the next call skips what is assigned already: the following three
    again = client.post("/api/reviews/assign-queue", headers=AUTH, json={"assignee": "dee", "count": 3, "kind": "role"})
    assert again.json()["assigned"] == [i["key"] for i in roles[3:6]]
    mine = client.get("/api/reviews/queue", params={"assignee": "cy <b>", "limit": 50}, headers=AUTH).json()["items"]
    assert [i["key"] for i in mine] == [i["key"] for i in roles[:3]] and {i["assignee"] for i in mine} == {"cy <b>"}

    pair = client.get("/api/reviews/queue", params={"kind": "republication", "limit": 1}, headers=AUTH).json()["items"][0]
    for who, verdict, item, correction in (("cy <b>", "confirm", mine[0], None),
                                           ("ana", "correct", pair, {"label": "independent"}),
                                           ("cy <b>", "reject", mine[0], None)):
        body = {"kind": item["kind"], "key": item["key"], "verdict": verdict, "reviewer": who}
        if correction:
            body["correction"] = correction
        assert client.post("/api/reviews", headers=AUTH, json=body).status_code == 200
    log = client.get("/api/reviews/log", headers=AUTH).json()
    assert log["total"] == 3
    assert [(r["reviewer"], r["verdict"]) for r in log["reviews"]] == [("cy <b>", "reject"), ("ana", "correct"),
                                                                        ("cy <b>", "confirm")]  # newest first
    assert log["reviews"][1]["correction"] == {"label": "independent"} and log["reviews"][1]["article"] == pair["article"]
    assert all(r["created_at"] and r["stage_version"] for r in log["reviews"])
    assert {a["assignee"] for a in log["assignments"]} == {"cy <b>", "dee"} and len(log["assignments"]) == 6
    cy = client.get("/api/reviews/log", params={"reviewer": "cy <b>"}, headers=AUTH).json()
    assert cy["total"] == 2 and {a["assignee"] for a in cy["assignments"]} == {"cy <b>"}
    page = client.get("/api/reviews/log", params={"limit": 1, "offset": 1}, headers=AUTH).json()
    assert [r["reviewer"] for r in page["reviews"]] == ["ana"]
    assert client.get("/api/reviews/log", params={"kind": "republication"}, headers=AUTH).json()["total"] == 1


# -- export in the benchmark formats that `narratrace train` reads --------------------------------------------

def _export(db: Path, fmt: str, out: Path) -> dict:
    from click.testing import CliRunner

    from narratrace.cli import cli

    done = CliRunner().invoke(cli, ["reviews", "export", "--db", str(db), "--format", fmt, "-o", str(out)],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert f"-> {out}" in done.output
    return json.loads((out / "review-export.json").read_text(encoding="utf-8"))


def _train(task: str, data: Path, out: Path) -> None:
    """``narratrace train TASK --data DIR --split all`` accepts the export (every article: the export's
    ids fall in both halves of the held-out split)."""
    from click.testing import CliRunner

    from narratrace.cli import cli

    done = CliRunner().invoke(cli, ["train", task, "--data", str(data), "--split", "all", "--out", str(out)],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    assert card["data"]["path"] == str(data) or str(data) in json.dumps(card)


def test_reviews_export_ptc_holds_fully_reviewed_articles_and_train_reads_them(db: Path, tmp_path: Path) -> None:
    from narratrace.techniques.ptc import read_ptc

    with Store(db) as store:
        spans = [e.item for e in queue(store, kind="technique", limit=None)]
        by_article: dict[str, list] = {}
        for s in spans:
            by_article.setdefault(s.article_id, []).append(s)
        full = max(by_article.values(), key=len)
        assert len(full) >= 4
        other = next(t for t in ("Doubt", "Loaded_Language") if t != full[1].label)
        _review(store, "technique", full[0].key, "confirm")
        _review(store, "technique", full[1].key, "correct", {"label": other, "start": full[1].start,
                                                                "end": full[1].end + 1})
        for s in full[2:]:
            _review(store, "technique", s.key, "reject")
    summary = _export(db, "ptc", tmp_path / "ptc")
    assert summary["written"] == {"articles": 1, "labels": 2} and summary["skipped"] == []
    articles = list(read_ptc(tmp_path / "ptc", split="all"))
    assert [a.id for a in articles] == [full[0].article_id]
    got = {(lab.technique, lab.start, lab.end) for lab in articles[0].labels}
    assert got == {(full[0].label, full[0].start, full[0].end), (other, full[1].start, full[1].end + 1)}
    _train("techniques", tmp_path / "ptc", tmp_path / "model")
    with Store(db) as store:
        assert articles[0].text == store.article(full[0].article_id).text
        # re-analysis finds a span in the article that nobody reviewed: the article is left out, with the reason
        with store._transaction():
            store.db.execute("INSERT INTO annotations SELECT article_id, stage, kind, start + 1, \"end\", label, data "
                             "FROM annotations WHERE kind = 'technique' AND article_id = ? AND start = ?",
                             (full[0].article_id, full[0].start))
    summary = _export(db, "ptc", tmp_path / "ptc2")
    assert summary["written"]["articles"] == 0
    assert len(summary["skipped"]) == len(full) and all("not reviewed" in s["reason"] for s in summary["skipped"])


def test_reviews_export_semeval_framing_keeps_confirmed_roles_and_says_why_others_are_not(db: Path, tmp_path: Path) -> None:
    from narratrace.framing.data import read_framing_data

    with Store(db) as store:
        roles = [e.item for e in queue(store, kind="role", limit=None)]
        confirmed = [r for r in roles if r.answer.get("fine_roles")][:3]
        corrected, rejected = [r for r in roles if r not in confirmed][:2]
        for r in confirmed:
            _review(store, "role", r.key, "confirm")
        _review(store, "role", corrected.key, "correct",
                {"label": next(x for x in ("Protagonist", "Antagonist", "Innocent") if x != corrected.label)})
        _review(store, "role", rejected.key, "reject")
    summary = _export(db, "semeval-framing", tmp_path / "framing")
    reasons = {s["key"]: s["reason"] for s in summary["skipped"]}
    assert "fine roles" in reasons[corrected.key] and "rejected" in reasons[rejected.key] and len(reasons) == 2
    docs = list(read_framing_data(tmp_path / "framing", split="all"))
    assert {d.id for d in docs} == {r.article_id for r in confirmed}
    got = {(d.id, m.main_role, m.fine_roles) for d in docs for m in d.mentions}
    assert got == {(r.article_id, r.label, tuple(r.answer["fine_roles"])) for r in confirmed}
    assert all(d.text[m.start:m.end] == m.text for d in docs for m in d.mentions)


def test_reviews_export_semeval_narratives_writes_the_reviewed_labels(db: Path, tmp_path: Path) -> None:
    from narratrace.narratives.evaluation import read_semeval

    with Store(db) as store:
        label = queue(store, kind="narrative", limit=None)[0].item
        _review(store, "narrative", label.key, "confirm")
    summary = _export(db, "semeval-narratives", tmp_path / "n1")
    assert summary["written"] == {"documents": 1} and summary["skipped"] == []
    [doc] = read_semeval(tmp_path / "n1", split="all")
    assert doc.id == f"{label.article_id}.txt" and doc.subnarratives == (label.label,)
    assert label.label.startswith(doc.narratives[0] + ": ")
    with Store(db) as store:  # corrected to a narrative: written with its "<narrative>: Other"
        _review(store, "narrative", label.key, "correct", {"label": "URW: Discrediting Ukraine"})
    _export(db, "semeval-narratives", tmp_path / "n2")
    [doc] = read_semeval(tmp_path / "n2", split="all")
    assert doc.narratives == ("URW: Discrediting Ukraine",) and doc.subnarratives == ("URW: Discrediting Ukraine: Other",)
    with Store(db) as store:  # outside the taxonomy, or rejected: nothing to write, and why
        _review(store, "narrative", label.key, "correct", {"label": "Aliens built the harbour"})
    summary = _export(db, "semeval-narratives", tmp_path / "n3")
    assert summary["written"] == {"documents": 0} and "taxonomy" in summary["skipped"][0]["reason"]
    with Store(db) as store:
        _review(store, "narrative", label.key, "reject")
    assert "rejected" in _export(db, "semeval-narratives", tmp_path / "n4")["skipped"][-1]["reason"]


def test_reviews_export_checkthat_matching_relevant_corrected_and_none(db: Path, tmp_path: Path) -> None:
    from narratrace.factchecks.evaluation import read_claim_retrieval

    with Store(db) as store:
        items = [e.item for e in queue(store, kind="factcheck", limit=None)]
        moved = next(i for i in items if len(i.options) >= 3)
        kept, nothing, rejected = [i for i in items if i.key != moved.key][:3]
        other = next(v for v, _ in moved.options if v not in (moved.label, "none"))
        _review(store, "factcheck", kept.key, "confirm")
        _review(store, "factcheck", moved.key, "correct", {"label": other})
        _review(store, "factcheck", nothing.key, "correct", {"label": "none"})
        _review(store, "factcheck", rejected.key, "reject")
    summary = _export(db, "checkthat-matching", tmp_path / "checkthat")
    assert [s["key"] for s in summary["skipped"]] == [rejected.key]
    data = read_claim_retrieval(tmp_path / "checkthat", split="all")
    qid = lambda item: item.key.split(":", 2)[2]  # noqa: E731
    assert data.qrels == {qid(kept): {kept.label}, qid(moved): {other}}
    assert set(data.negatives) == {qid(nothing)} and data.queries[qid(kept)] == " ".join(kept.text.split())
    assert {v["vclaim_id"] for v in data.vclaims} >= {kept.label, other}
    _train("matching", tmp_path / "checkthat", tmp_path / "model")


def test_reviews_export_an_unknown_format_or_no_folder_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from narratrace.cli import cli

    runner = CliRunner()
    bad = runner.invoke(cli, ["reviews", "export", "--db", str(db), "--format", "conll", "-o", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "checkthat-matching" in bad.output and "Traceback" not in bad.output
    none = runner.invoke(cli, ["reviews", "export", "--db", str(db), "--format", "ptc"])
    assert none.exit_code == 2 and "-o/--out" in none.output
    (tmp_path / "file").write_text("x")
    onfile = runner.invoke(cli, ["reviews", "export", "--db", str(db), "--format", "ptc", "-o", str(tmp_path / "file")])
    assert onfile.exit_code != 0 and "is a file" in onfile.output


def test_reviews_kinds_on_postgresql_read_the_same_items_assign_and_log(analysed: Path, pg_server: str,
                                                                        tmp_path: Path) -> None:
    from test_web_api import _into_postgres

    from narratrace.reviews.queue import assign_queue
    from narratrace.reviews.store import review_log
    from narratrace.store import open_store

    kinds = ("factcheck", "republication", "claim_group")
    with Store(analysed) as store:
        expected = {k: [(e.item.key, e.item.fingerprint, e.item.options) for e in queue(store, kind=k, limit=None)]
                    for k in kinds}
    url = _into_postgres(pg_server, analysed)
    with open_store(url) as store:
        for k in kinds:
            got = [(e.item.key, e.item.fingerprint, e.item.options) for e in queue(store, kind=k, limit=None)]
            assert got == expected[k], k
        keys = assign_queue(store, assignee="cy", count=2, kind="claim_group")
        assert keys == [key for key, _, _ in expected["claim_group"][:2]]
        _review(store, "republication", expected["republication"][0][0], "correct", {"label": "reversed"})
        rows, total = review_log(store, reviewer="ana")
        assert total == 1 and rows[0].correction == {"label": "reversed"}
        assert {r.item_key: s for r, s in review_status(store)} == {expected["republication"][0][0]: "reviewed"}
