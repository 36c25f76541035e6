"""Reviews: the queue (least certain first), reviews kept apart from results, needs-review-again, the token.

Runs on the example corpus, analysed once (SQLite; the review tables are portable SQL and the
endpoints run through the web app's one write path).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from narratrace import analyze
from narratrace.ingest import ingest
from narratrace.reviews.queue import check_review, find_item, queue, review_kinds, review_status
from narratrace.reviews.store import add_review, latest_reviews, reviews
from narratrace.store import Store
from narratrace.web import create_app

TOKEN = "review-token-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory, examples_dir_module: Path) -> Path:
    path = tmp_path_factory.mktemp("reviews") / "examples.db"
    with Store(path) as store:
        ingest(store, [examples_dir_module], workers=1)
        analyze(store)
    return path


@pytest.fixture(scope="module")
def examples_dir_module() -> Path:
    return Path(__file__).resolve().parent.parent / "examples" / "corpus"


@pytest.fixture
def db(analysed: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "reviews.db"
    shutil.copy(analysed, copy)
    return copy


def _results(store: Store) -> list[tuple]:
    return list(store.db.execute('SELECT article_id, stage, kind, start, "end", label, data FROM annotations '
                                 "ORDER BY article_id, stage, start, rowid"))


def test_reviews_every_analysis_declares_its_kinds() -> None:
    assert set(review_kinds()) == {"technique", "narrative", "role", "attribution", "factcheck", "republication",
                                   "claim_group"}


def test_reviews_queue_puts_the_least_certain_first_and_filters(db: Path) -> None:
    with Store(db) as store:
        entries = queue(store, limit=None)
        assert entries and all(e.status == "new" for e in entries)
        doubts = [e.item.uncertainty for e in entries]
        assert doubts == sorted(doubts)
        kinds = {e.item.kind for e in entries}
        assert {"technique", "role", "attribution"} <= kinds
        roles = queue(store, kind="role", limit=None)
        assert roles and {e.item.kind for e in roles} == {"role"}
        assert all(e.item.label in ("Protagonist", "Antagonist", "Innocent") for e in roles)
        outlet = next(e.item.outlet for e in entries if e.item.outlet)
        assert {e.item.outlet for e in queue(store, outlet=outlet, limit=None)} == {outlet}
        assert queue(store, limit=3) == entries[:3]


def test_reviews_are_stored_apart_and_change_no_result(db: Path) -> None:
    with Store(db) as store:
        before = _results(store)
        span = queue(store, kind="technique", limit=1)[0].item
        role = queue(store, kind="role", limit=1)[0].item
        item, _ = check_review(store, "technique", span.key, "reject", None)
        add_review(store, item, verdict="reject", reviewer="ana")
        other = next(r for r in ("Protagonist", "Antagonist", "Innocent") if r != role.label)
        item, correction = check_review(store, "role", role.key, "correct", {"label": other})
        add_review(store, item, verdict="correct", reviewer="ben", correction=correction)
        assert _results(store) == before
        stored = {(r.kind, r.verdict, r.reviewer): r for r in reviews(store)}
        assert stored[("technique", "reject", "ana")].text == span.text
        assert stored[("role", "correct", "ben")].correction == {"label": other}
        assert stored[("role", "correct", "ben")].stage_version  # which stage version was reviewed
        left = {e.item.key for e in queue(store, limit=None)}
        assert span.key not in left and role.key not in left  # reviewed items leave the queue
        assert {s for _, s in review_status(store)} == {"reviewed"}


def test_reviews_a_changed_result_needs_review_again(db: Path) -> None:
    with Store(db) as store:
        role = queue(store, kind="role", limit=1)[0].item
        item, _ = check_review(store, "role", role.key, "confirm", None)
        add_review(store, item, verdict="confirm", reviewer="ana")
        # the analysis's answer changes (a re-run with another model): the review is of the old answer
        other = next(r for r in ("Protagonist", "Antagonist", "Innocent") if r != role.label)
        with store._transaction():
            store.db.execute("UPDATE annotations SET label = ? WHERE kind = 'framing' AND article_id = ? AND "
                             "start = ? AND label = ?", (other, role.article_id, role.start, role.label))
        again = {e.item.key: e for e in queue(store, kind="role", limit=None)}
        assert again[role.key].status == "needs review again"
        assert again[role.key].review is not None and again[role.key].review.label == role.label
        assert find_item(store, "role", role.key).label == other
        assert dict((r.item_key, s) for r, s in review_status(store))[role.key] == "needs review again"


def test_reviews_bad_reviews_are_refused(db: Path) -> None:
    from narratrace.errors import InputError, NotFound

    with Store(db) as store:
        span = queue(store, kind="technique", limit=1)[0].item
        role = queue(store, kind="role", limit=1)[0].item
        for kind, key in (("technique", "technique:nope:1-2:X"), ("planet", "planet:x:y")):
            with pytest.raises(NotFound):
                check_review(store, kind, key, "confirm", None)
        for kind, key, verdict, correction in (
                ("technique", span.key, "maybe", None),                      # no such verdict
                ("technique", span.key, "reject", {"label": "Doubt"}),       # a rejection corrects nothing
                ("technique", span.key, "correct", {"label": "Not a technique"}),
                ("technique", span.key, "correct", {"start": 5, "end": 2}),
                ("technique", span.key, "correct", {"start": 0, "end": 10 ** 9}),
                ("role", role.key, "correct", {"start": 0, "end": 4}),       # a role's span does not move
                ("role", role.key, "correct", {"colour": "red"})):
            with pytest.raises(InputError):
                check_review(store, kind, key, verdict, correction)
        item, correction = check_review(store, "technique", span.key, "correct",
                                        {"start": span.start, "end": span.end + 1, "label": "Doubt"})
        assert correction == {"start": span.start, "end": span.end + 1, "label": "Doubt"}


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(db), write_token=TOKEN)) as c:
        yield c


def test_reviews_endpoints_need_the_token(client: TestClient, db: Path) -> None:
    body = {"kind": "technique", "key": "technique:x:1-2:Doubt", "verdict": "confirm", "reviewer": "ana"}
    for method, url, payload in (("get", "/api/reviews/queue", None), ("get", "/api/reviews", None),
                                 ("post", "/api/reviews", body), ("post", "/api/reviews/assign",
                                                                  {"kind": "role", "key": "k", "assignee": "x"})):
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = getattr(client, method)(url, headers=headers, **({"json": payload} if payload else {}))
            assert r.status_code == 401, (url, headers, r.status_code)
    with TestClient(create_app(str(db))) as no_token:
        assert no_token.get("/api/reviews/queue", headers=AUTH).status_code == 403


def test_reviews_through_the_api_reject_correct_assign_and_export(client: TestClient, db: Path) -> None:
    items = client.get("/api/reviews/queue", params={"limit": 500}, headers=AUTH).json()["items"]
    span = next(i for i in items if i["kind"] == "technique")
    role = next(i for i in items if i["kind"] == "role")
    other = next(r for r in ("Protagonist", "Antagonist", "Innocent") if r != role["label"])
    r = client.post("/api/reviews", headers=AUTH, json={"kind": "technique", "key": span["key"], "verdict": "reject",
                                                         "reviewer": "ana"})
    assert r.status_code == 200 and r.json()["ok"]
    r = client.post("/api/reviews", headers=AUTH, json={"kind": "role", "key": role["key"], "verdict": "correct",
                                                         "correction": {"label": other}, "reviewer": "ben"})
    assert r.status_code == 200
    bad = client.post("/api/reviews", headers=AUTH, json={"kind": "role", "key": role["key"], "verdict": "correct",
                                                           "correction": {"label": "<script>x</script>"},
                                                           "reviewer": "ben"})
    assert bad.status_code == 400
    assert client.post("/api/reviews/assign", headers=AUTH, json={"kind": "role", "key": "role:none:x",
                                                                   "assignee": "cy"}).status_code == 404
    nxt = next(i for i in items if i["key"] not in (span["key"], role["key"]))
    assert client.post("/api/reviews/assign", headers=AUTH, json={"kind": nxt["kind"], "key": nxt["key"],
                                                                   "assignee": "cy", "assigned_by": "ana"}).status_code == 200
    mine = client.get("/api/reviews/queue", params={"assignee": "cy"}, headers=AUTH).json()["items"]
    assert [i["key"] for i in mine] == [nxt["key"]] and mine[0]["assignee"] == "cy"
    left = {i["key"] for i in client.get("/api/reviews/queue", params={"limit": 500}, headers=AUTH).json()["items"]}
    assert span["key"] not in left and role["key"] not in left
    done = client.get("/api/reviews", headers=AUTH).json()["reviews"]
    assert {(d["kind"], d["verdict"], d["reviewer"], d["status"]) for d in done} == {
        ("technique", "reject", "ana", "reviewed"), ("role", "correct", "ben", "reviewed")}
    assert all(d["article"] and not d["article"].isdigit() for d in done)  # refs, as the export names articles
    # the export carries them too
    from narratrace.export import export_corpus

    with Store(db) as store:
        exported = export_corpus(store)
        assert len(latest_reviews(store)) == 2
    assert {(d["kind"], d["verdict"]) for d in exported["reviews"]} == {("technique", "reject"), ("role", "correct")}
    json.dumps(exported)


def _review_roles(db: Path, *, correct_first: bool) -> tuple[object, str]:
    """Confirm the first dozen roles of the queue but the first, which is corrected (or confirmed), and
    reject one more; returns the first item and the role it was corrected to."""
    with Store(db) as store:
        roles = [e.item for e in queue(store, kind="role", limit=None)]
        target = roles[0]
        other = next(r for r in ("Protagonist", "Antagonist", "Innocent") if r != target.label)
        for n, role in enumerate(roles[:14]):
            verdict = "correct" if n == 0 and correct_first else "reject" if n == 13 else "confirm"
            item, correction = check_review(store, "role", role.key, verdict,
                                            {"label": other} if verdict == "correct" else None)
            add_review(store, item, verdict=verdict, reviewer="ana", correction=correction)
    return target, other


def test_reviews_train_framing_from_reviews_learns_the_corrected_role(db: Path, tmp_path: Path) -> None:
    """A corrected role is a training example of the reviewer's role: the model trained on reviews with
    the correction gives that role more probability on the entity's mentions than the same reviews with
    the role confirmed instead; a rejection teaches nothing."""
    from narratrace.evaluation import run_training
    from narratrace.framing.evaluation import _mentions, reviewed_documents
    from narratrace.framing.features import featurize, vector_features
    from narratrace.framing.model import load_framing_model

    confirmed_db = tmp_path / "confirmed.db"
    shutil.copy(db, confirmed_db)
    target, other = _review_roles(db, correct_first=True)
    _review_roles(confirmed_db, correct_first=False)
    docs = reviewed_documents(str(db))
    labels = {(d.id.removeprefix("review:"), m.main_role) for d in docs for m in d.mentions}
    assert (target.article_id, other) in labels
    with Store(db) as store:
        rejected = [r for r in reviews(store) if r.verdict == "reject"]
    assert len(rejected) == 1  # a rejection says what is wrong, not what is right: no training example
    assert not any(d.id == f"review:{rejected[0].article_id}" and (m.start, m.end) == (rejected[0].start, rejected[0].end)
                   for d in docs for m in d.mentions)

    card = run_training("framing", None, tmp_path / "with", reviews=str(db))
    run_training("framing", None, tmp_path / "without", reviews=str(confirmed_db))
    assert card["data"]["reviews"]["articles"] >= 1 and card["data"]["reviews"]["mentions"] >= 10
    assert card["measures"]["split"].startswith("reviewed items") and card["measures"]["n"] >= 10
    assert "--from-reviews" in card["command"] and "--data" not in card["command"]

    corrected = [d for d in docs if d.id == f"review:{target.article_id}"]
    ctx, _, _, _, per_doc = _mentions(corrected)
    x = featurize(ctx, ("sentence_vector", "context", "cues"), vectors=vector_features(per_doc))
    picked = [i for i, c in enumerate(ctx) if (c.start, c.end) in
              {(m.start, m.end) for m in corrected[0].mentions if m.main_role == other}]
    assert picked
    gained = []
    for folder in ("without", "with"):
        model, _ = load_framing_model(str(tmp_path / folder))
        main_p, _ = model.probabilities(x[picked])
        gained.append(float(main_p[:, list(model.main_classes).index(other)].mean()))
    assert gained[1] > gained[0]


def test_reviews_several_reviewers_at_once_on_postgresql_lose_nothing(analysed: Path, pg_server: str) -> None:
    """Four reviewers, each with their own connection, review the same items at the same time: every
    review is kept (reviews are appended, never updated), the latest one counts, and assignments of
    one item by several people at once leave exactly one."""
    import threading

    from test_web_api import _into_postgres

    from narratrace.reviews.store import assign, assignments
    from narratrace.store import open_store

    url = _into_postgres(pg_server, analysed)
    with open_store(url) as store:
        items = [e.item for e in queue(store, limit=10)]
    assert len(items) == 10
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def reviewer(name: str) -> None:
        try:
            with open_store(url) as store:
                start.wait()
                for item in items:
                    add_review(store, item, verdict="confirm", reviewer=name)
                    assign(store, item.kind, item.key, assignee=name, by=name)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reviewer, args=(f"r{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with open_store(url) as store:
        stored = list(reviews(store))
        latest = latest_reviews(store)
        assigned = assignments(store)
    assert len(stored) == 40 and {r.reviewer for r in stored} == {"r0", "r1", "r2", "r3"}
    assert len(latest) == 10 and all(latest[(i.kind, i.key)].id == max(r.id for r in stored if r.item_key == i.key)
                                     for i in items)
    assert len(assigned) == 10 and {a[0] for a in assigned.values()} <= {"r0", "r1", "r2", "r3"}


def test_reviews_cli_lists_the_queue_and_exports(db: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from narratrace.cli import cli

    runner = CliRunner()
    shown = runner.invoke(cli, ["reviews", "queue", "--db", str(db), "--kind", "role", "--json", "--limit", "3"],
                          catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    items = json.loads(shown.output)
    assert len(items) == 3 and {i["kind"] for i in items} == {"role"} and items[0]["status"] == "new"
    with Store(db) as store:
        item, _ = check_review(store, "role", items[0]["key"], "reject", None)
        add_review(store, item, verdict="reject", reviewer="ana")
    out = tmp_path / "reviews.json"
    done = runner.invoke(cli, ["reviews", "export", "--db", str(db), "-o", str(out)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    exported = json.loads(out.read_text(encoding="utf-8"))["reviews"]
    assert [(r["key"], r["verdict"], r["status"]) for r in exported] == [(items[0]["key"], "reject", "reviewed")]
    after = json.loads(runner.invoke(cli, ["reviews", "queue", "--db", str(db), "--kind", "role", "--json",
                                           "--limit", "3"], catch_exceptions=False).output)
    assert [i["key"] for i in after][:2] == [i["key"] for i in items[1:3]]  # the reviewed item left the queue
    text = runner.invoke(cli, ["reviews", "queue", "--db", str(db), "--kind", "role", "--limit", "2"],
                         catch_exceptions=False).output.strip().splitlines()
    assert len(text) == 2 and text[0].split()[0] == "role" and after[0]["article"] in text[0]


def test_reviews_train_techniques_from_a_rejected_span(db: Path, tmp_path: Path) -> None:
    """A rejected span teaches the tagger that its words hold no technique: trained with our PTC-format
    sample plus the reviews, the tagger gives the rejected span's tokens less probability than the same
    training with the other reviews only; a confirmed span is an example of its technique."""
    from narratrace.evaluation import run_training
    from narratrace.techniques import load_model
    from narratrace.techniques.learned import reviewed_spans

    sample = Path(__file__).resolve().parent / "data" / "techniques"
    confirmed_only = tmp_path / "confirmed-only.db"
    with Store(db) as store:
        spans = [e.item for e in queue(store, kind="technique", limit=None)]
        rejected, confirmed = spans[0], spans[1]
        checked, _ = check_review(store, "technique", confirmed.key, "confirm", None)
        add_review(store, checked, verdict="confirm", reviewer="ana")
        text = store.article(rejected.article_id).text
    shutil.copy(db, confirmed_only)
    with Store(db) as store:
        checked, _ = check_review(store, "technique", rejected.key, "reject", None)
        add_review(store, checked, verdict="reject", reviewer="ana")
    found = {aid: (pos, neg) for aid, _, pos, neg in reviewed_spans(str(db))}
    assert (rejected.start, rejected.end) in found[rejected.article_id][1]
    assert (confirmed.start, confirmed.end, confirmed.label) in found[confirmed.article_id][0]

    run_training("techniques", sample, tmp_path / "without", split="train", seed=3, reviews=str(confirmed_only))
    card = run_training("techniques", sample, tmp_path / "with", split="train", seed=3, reviews=str(db))
    assert card["data"]["reviews"]["negatives"] == 1 and card["data"]["reviews"]["positives"] == 1
    assert "--from-reviews" in card["data"]["command"]
    # measured on reviewed spans it did not learn from (one of the two reviewed articles held out)
    held = card["measures"]
    assert held["data"] == str(db) and held["split"].startswith("reviewed items") and held["n"] == 1, held
    assert set(held["values"]) == {"agreement", "confirmed_found", "rejected_avoided"}
    assert card["benchmark_measures"]["split"] == "heldout"

    def span_prob(folder: str) -> float:
        model = load_model(tmp_path / folder)
        doc = model._doc(text)
        probs = model.token_probs(doc)
        inside = [i for i, (a, b) in enumerate(doc.toks) if a < rejected.end and b > rejected.start]
        return float(probs[inside].mean())

    assert span_prob("with") < span_prob("without")


def test_a_review_while_another_process_writes_is_a_clear_409(client: TestClient, db: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A review posted while another process holds a write transaction longer than SQLite waits
    (an analysis saving a stage) is refused with NT320 and a message to try again, not a 500;
    once the writer is done the same review is saved."""
    import subprocess
    import sys

    from narratrace.store import db as store_db

    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 300)
    item = client.get("/api/reviews/queue", params={"limit": 1}, headers=AUTH).json()["items"][0]
    body = {"kind": item["kind"], "key": item["key"], "verdict": "confirm", "reviewer": "ana"}
    script = ("import sqlite3, sys\n"
              f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
              "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True)\n"
              "sys.stdin.readline(); c.execute('COMMIT')\n")
    with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "held"
            r = client.post("/api/reviews", headers=AUTH, json=body)
            assert r.status_code == 409, r.text
            assert "another process is writing the corpus" in r.json()["error"] and "try again" in r.json()["error"]
        finally:
            holder.stdin.write("\n")
            holder.stdin.flush()
            holder.wait(timeout=30)
    r = client.post("/api/reviews", headers=AUTH, json=body)
    assert r.status_code == 200 and r.json()["ok"]
