"""The Spark engine gives the local engine's answers (one implementation, two runners).

One ``local[2]`` SparkSession serves the module. The example corpus with the seed articles goes
through every default stage on both engines (fact-checks from examples/factchecks.jsonld); every
section of the JSON export, stage data and annotations must be identical, and ``analyze`` after
``load`` must find nothing to do. A generated corpus with planted copies goes through the
republication stages. Also: bad input becomes skips as in local ingest, loading twice adds
nothing, and a SIGKILLed CLI run resumes to the same output. The generated corpus through every
stage is ``tests/test_spark_scale.py`` (outside the default suite: ``make spark-scale``).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

from conftest import SEEDS  # noqa: E402
from narratrace.export import export_corpus  # noqa: E402
from narratrace.narratives.spark import STORY_PAIR_F1  # noqa: E402
from narratrace.factchecks import import_factchecks  # noqa: E402
from narratrace.ingest import ingest  # noqa: E402
from narratrace.pipeline import Pipeline, default_stages  # noqa: E402
from narratrace.spark.engine import run_spark_analyze  # noqa: E402
from narratrace.spark.load import load_output  # noqa: E402
from narratrace.spark.synthetic import write_corpus  # noqa: E402
from narratrace.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "corpus"
FACTCHECKS = ROOT / "examples" / "factchecks.jsonld"
#: Every stage of a plain ``analyze``, article and corpus stages alike.
EXAMPLE_STAGES = list(default_stages())
REPUBLICATION_STAGES = ["fingerprints", "republications"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from narratrace.spark.session import spark_session

    session = spark_session("local[2]", partitions=4)
    yield session
    session.stop()


def _local(inputs: list[Path], db: Path, stages: list[str], factchecks: Path | None = None) -> Store:
    store = Store(db)
    if factchecks:
        import_factchecks(store, factchecks)
    ingest(store, inputs, workers=1)
    Pipeline(stages, workers=1).run(store)
    return store


def _spark(spark: Any, inputs: list[str], out: Path, db: Path, stages: list[str], factchecks: Path | None = None,
           partitions: int = 4) -> Store:
    reference = None
    if factchecks:  # the fact-checks every executor matches against, and those the loaded store shows
        reference = out.parent / f"{out.name}-reference.db"
        with Store(reference) as ref:
            import_factchecks(ref, factchecks)
    run_spark_analyze(inputs, str(out), stages=stages, spark=spark, partitions=partitions,
                      reference=str(reference) if reference else None)
    store = Store(db)
    if factchecks:
        import_factchecks(store, factchecks)
    load_output(out, store)
    return store


def _stage_view(store: Store, stages: list[str]) -> dict[str, Any]:
    ids = [row["id"] for row in store.article_index()]
    return {"data": {s: list(store.stage_data(s)) for s in stages},
            "annotations": {i: {s: store.annotations(i, stage=s) for s in stages} for i in ids},
            "coverage": store.stage_coverage(),
            "pairs": [(p.original, p.copy, p.similarity, p.copy_share) for p in store.republication_pairs()]}


#: Four otherwise different articles of one outlet with the same footer: boilerplate to find.
_FOOTER = "Subscribe to the Tidewater Tribune newsletter for the harbour news every morning."
_TRIBUNE = [
    ("The Kessport ferry timetable changes on Monday, the port authority said. Two evening crossings are dropped "
     "for the winter months.", "Passengers with season tickets will be refunded for the dropped crossings."),
    ("The town council approved a new footbridge over the Marl canal after a long debate. Construction is due to "
     "start in June.", "Residents of the east bank had asked for the bridge for a decade."),
    ("A storm flooded the lower market square on Tuesday night. Stall holders moved their goods to the church hall.",
     "The drainage works promised last year have not begun, traders complained."),
    ("The Kessport rowing club won the regional regatta for the third year. Its youth crew set a course record.",
     "The club is raising money for a new boathouse near the lighthouse."),
]


def _tribune(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tidewater-tribune.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for n, (lead, more) in enumerate(_TRIBUNE):
            fh.write(json.dumps({"id": f"tidewater-{n}", "title": lead.split(".")[0], "outlet": "Tidewater Tribune",
                                 "published": f"2025-04-0{n + 2}", "text": f"{lead}\n\n{more}\n\n{_FOOTER}"}) + "\n")
    return directory


def _example_inputs(tmp: Path) -> list[Path]:
    return [EXAMPLES, _tribune(tmp / "tribune"), *([SEEDS] if SEEDS.is_dir() else [])]


@pytest.fixture(scope="module")
def example_engines(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Store, Path]:
    tmp = tmp_path_factory.mktemp("examples")
    inputs = _example_inputs(tmp)
    local = _local(inputs, tmp / "local.db", EXAMPLE_STAGES, FACTCHECKS)
    loaded = _spark(spark, [str(p) for p in inputs], tmp / "out", tmp / "spark.db", EXAMPLE_STAGES, FACTCHECKS,
                    partitions=2)
    return local, loaded, tmp / "out"


#: Stories run per overlapping time window on Spark, chained by shared articles; an undated article joins
#: only undated ones there (locally it may join a story of any date: the undated seed articles' story
#: takes in the one dated seed). The tolerance is the Spark step's own (narratrace.narratives.spark).


def _story_pairs(stories: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(a, b) for s in stories for a in s["articles"] for b in s["articles"] if a < b}


def test_spark_example_corpus_matches_local_engine(example_engines: tuple[Store, Store, Path]) -> None:
    """Every export section identical but ``stories``, which is within its stated tolerance: the same
    stories (their key terms aside, weighed per window) wherever no undated article is involved, and
    the article pairs that share a story agree to STORY_PAIR_F1. The claim groups' banding loses no
    link here: identical groups."""
    local, loaded, _ = example_engines
    want, got = export_corpus(local, include_text=True), export_corpus(loaded, include_text=True)
    assert list(got) == list(want)
    assert [s for s in want if got[s] != want[s]] in ([], ["stories"])
    undated = {a["ref"] for a in want["articles"] if not a["published"]}
    touched = set(undated)  # undated articles and those that share a story with one on either engine
    for stories in (want["stories"], got["stories"]):
        touched.update(a for s in stories if undated & set(s["articles"]) for a in s["articles"])

    def untouched(stories: list[dict[str, Any]]) -> list[dict[str, Any]]:  # key terms are weighed per window
        return [{k: v for k, v in s.items() if k not in ("label", "terms")} for s in stories
                if not touched & set(s["articles"])]

    assert untouched(got["stories"]) == untouched(want["stories"]) and untouched(want["stories"])
    pairs = [_story_pairs(want["stories"]), _story_pairs(got["stories"])]
    recall, precision = len(pairs[0] & pairs[1]) / len(pairs[0]), len(pairs[0] & pairs[1]) / len(pairs[1])
    assert 2 * recall * precision / (recall + precision) >= STORY_PAIR_F1, (recall, precision)
    assert _stage_view(loaded, EXAMPLE_STAGES) == _stage_view(local, EXAMPLE_STAGES)
    assert loaded.republication_groups() == local.republication_groups()
    for section in ("republications", "claim_groups", "stories", "narratives", "factcheck_matches", "framing",
                    "techniques", "claims", "boilerplate"):
        assert want[section], f"the example corpus has {section}: the comparison is not empty"


def test_spark_loaded_results_are_not_redone_by_analyze(example_engines: tuple[Store, Store, Path]) -> None:
    _, loaded, _ = example_engines
    assert Pipeline(EXAMPLE_STAGES, workers=1).run(loaded).done == {s: 0 for s in EXAMPLE_STAGES}


def test_spark_seeds_leave_nothing_for_analyze(example_engines: tuple[Store, Store, Path], seeds_dir: Path) -> None:
    """The seed articles through `spark analyze` and `load`: every stage has a result or a not-analysed
    record for each of them, and `analyze` reports 0 articles processed for every stage."""
    _, loaded, out = example_engines
    seeds = {p.stem for p in seeds_dir.iterdir() if p.is_file()}
    refs = {row["ref"] for row in loaded.article_index()}
    assert seeds and seeds <= {r.rsplit("/", 1)[-1].rsplit(".", 1)[0] for r in refs}, "the seeds were loaded"
    coverage = loaded.stage_coverage()
    for stage in EXAMPLE_STAGES:
        if stage == "republications":  # its results are its pairs; every article is marked compared
            continue
        analysed, skipped = coverage[stage]
        assert analysed + sum(skipped.values()) == loaded.count_articles(), stage
    report = Pipeline(workers=1).run(loaded)
    assert report.done == {s: 0 for s in default_stages()}
    assert not report.failed
    manifest = json.loads((out / "_manifest.json").read_text())
    assert list(manifest["stages"]) == EXAMPLE_STAGES


def test_spark_load_twice_adds_nothing(example_engines: tuple[Store, Store, Path]) -> None:
    _, loaded, out = example_engines
    before = (export_corpus(loaded, include_text=True), _stage_view(loaded, EXAMPLE_STAGES))
    report = load_output(out, loaded)
    assert report.articles_added == 0 and report.articles_updated == 0
    assert (export_corpus(loaded, include_text=True), _stage_view(loaded, EXAMPLE_STAGES)) == before


def test_spark_output_loads_into_postgres(example_engines: tuple[Store, Store, Path], pg_server: str) -> None:
    """`narratrace load` into the team backend gives the same corpus as into SQLite (which the test above
    compares with the local engine), and nothing for `analyze` to do."""
    from conftest import new_pg_database

    from narratrace.store import open_store

    local, loaded, out = example_engines
    _, url = new_pg_database(pg_server)
    with open_store(url) as team:
        import_factchecks(team, FACTCHECKS)
        load_output(out, team)
        assert export_corpus(team, include_text=True) == export_corpus(loaded, include_text=True)
        want = export_corpus(local, include_text=True)
        assert {k: v for k, v in export_corpus(team, include_text=True).items() if k != "stories"} == \
            {k: v for k, v in want.items() if k != "stories"}
        assert _stage_view(team, EXAMPLE_STAGES) == _stage_view(local, EXAMPLE_STAGES)
        assert Pipeline(EXAMPLE_STAGES, workers=1).run(team).done == {s: 0 for s in EXAMPLE_STAGES}


def test_spark_generated_corpus_matches_local_engine(spark: Any, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "in", 5000, files=4, seed=9)
    assert corpus.copies >= 500
    local = _local([tmp_path / "in"], tmp_path / "local.db", REPUBLICATION_STAGES)
    loaded = _spark(spark, [str(tmp_path / "in")], tmp_path / "out", tmp_path / "spark.db", REPUBLICATION_STAGES)
    assert loaded.count_articles() == local.count_articles() == 5000
    local_view, spark_view = _stage_view(local, REPUBLICATION_STAGES), _stage_view(loaded, REPUBLICATION_STAGES)
    assert spark_view["data"] == local_view["data"]  # fingerprints, byte for byte
    assert spark_view["pairs"] == local_view["pairs"]  # same order, same similarity values (exact floats)
    assert len(local_view["pairs"]) >= corpus.copies
    assert [p.to_dict() for p in loaded.republication_pairs()] == [p.to_dict() for p in local.republication_pairs()]
    assert loaded.republication_groups() == local.republication_groups()
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["republications"]["candidates"] > manifest["republications"]["pairs"]  # "quoted" rejected


def _bad_inputs(root: Path) -> None:
    root.mkdir()
    (root / "good.txt").write_text("Harbour officials said the cargo was inspected on Monday.\n\n" * 3)
    (root / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (root / "empty.html").write_bytes(b"")
    (root / "notes.xyz").write_text("unsupported")
    (root / "lines.jsonl").write_text('{"id": "ok-1", "text": "A readable record about the port."}\n'
                                      "{not json\n[1, 2]\n" '{"id": "no-text", "title": "nothing"}\n')
    (root / "latin.csv").write_bytes("id,text\nc1,Caf\xe9 owners met the minister in the harbour.\n"
                                     .encode("cp1252") + b"c2,\xff\xfe\x00bad\x00\n")
    warc = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://x.example/a\r\n"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: 400\r\n\r\nHTTP/1.1 200 OK\r\n")
    (root / "cut.warc.gz").write_bytes(gzip.compress(warc * 4)[:90])
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["pq-1", "pq-2"], "text": ["A Parquet row about the harbour council.", None],
                             "outlet": ["Esker Post", "Esker Post"]}), root / "rows.parquet")
    (root / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    (root / "remote").mkdir()
    (root / "remote" / "via-uri.jsonl").write_text('{"id": "uri-1", "text": "Read through a Hadoop URI."}\n')


def test_spark_bad_input_is_skipped_like_local_ingest(spark: Any, tmp_path: Path) -> None:
    _bad_inputs(tmp_path / "in")
    plain = [str(tmp_path / "in" / "*.*"), str(tmp_path / "missing.jsonl")]
    local = Store(tmp_path / "local.db")
    ingest(local, plain, workers=1)
    uri = f"file://{tmp_path / 'in' / 'remote'}/*.jsonl"
    run = run_spark_analyze([*plain, uri], str(tmp_path / "out"), stages=["fingerprints"], spark=spark, partitions=4)
    loaded = Store(tmp_path / "spark.db")
    load_output(tmp_path / "out", loaded)

    def not_parquet(skips: list[Any]) -> set[tuple[str, str, str]]:
        return {(s.path, s.reason, s.code) for s in skips if ".parquet" not in s.path}

    assert not_parquet(loaded.skipped()) == not_parquet(local.skipped())
    assert {s.code for s in local.skipped()} >= {"NT201", "NT202", "NT206", "NT207", "NT209", "NT211"}
    by_ref = {a.ref: a for a in loaded.articles()}
    for article in local.articles():  # every readable record, as local ingest builds it
        assert by_ref[article.ref] == article
    assert by_ref["pq-1"].outlet == "Esker Post" and by_ref["uri-1"].source.startswith("file:")
    parquet_skips = {(s.path.rsplit("/", 1)[-1], s.code) for s in loaded.skipped() if ".parquet" in s.path}
    assert parquet_skips == {("rows.parquet#2", "NT207"), ("broken.parquet", "NT203")}
    assert run.manifest["rows"]["articles"] == len(by_ref)


def _tables(out: Path) -> dict[str, list[Any]]:
    import pyarrow.dataset as ds

    found = {}
    for table in ("articles", "skipped", "stage_results", "annotations", "republication_pairs",
                  "republication_groups"):
        rows = ds.dataset(out / table, format="parquet", partitioning="hive").to_table().to_pylist()
        found[table] = sorted(json.dumps(r, sort_keys=True, default=repr) for r in rows)
    return found


def test_spark_killed_run_resumes_to_same_output(spark: Any, tmp_path: Path) -> None:
    reference = tmp_path / "uninterrupted"
    run_spark_analyze([str(EXAMPLES)], str(reference), stages=REPUBLICATION_STAGES, spark=spark, partitions=4)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "narratrace.cli", "spark", "analyze", str(EXAMPLES), "-o", str(out),
           "--stages", ",".join(REPUBLICATION_STAGES), "--partitions", "4"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out / "articles").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its JVM, mid-run
    proc.wait()
    assert not (out / "_manifest.json").exists(), "killed before the end"
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "reused complete tables: articles" in done.stderr
    assert _tables(out) == _tables(reference)
