"""Reading fact-checks: ClaimReview JSON-LD, Fact Check Tools JSON, CSV, pages; malformed input is skipped with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narratrace.factchecks.readers import FactCheck, rating_score, read_factchecks

DATA = Path(__file__).parent / "data" / "factchecks"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "claimreview-samples" / "claimreviews.jsonl"


def test_factchecks_readers_single_claimreview_fields() -> None:
    r = read_factchecks(DATA / "claimreview_single.jsonld")
    assert r.skipped == []
    (f,) = r.records
    assert f.claim == "The toll on the Arlen bridge will be abolished from the first of May."
    assert f.url == "https://checkers.example/2025/03/10/bridge-toll"
    assert f.publisher == "Arlen Checkers"
    assert f.claimant == "Mayor Ilse Varn"
    assert (f.rating, f.verdict, f.rating_value, f.rating_best, f.rating_worst) == ("Misleading", "misleading", 2.0, 5.0, 1.0)
    assert f.rating_score == 0.25  # the text wins over the numbers (2 on 1..5 would be 0.25 too)
    assert (f.published, f.claim_date, f.language) == ("2025-03-10", "2025-03-08", "en")
    assert f.appearances == ("https://social.example/post/1",)
    assert f.key == "url:https://checkers.example/2025/03/10/bridge-toll"


def test_factchecks_readers_graph_relative_url_and_leading_rating_word() -> None:
    (f,) = read_factchecks(DATA / "claimreview_graph.jsonld").records
    assert f.url == "https://harbour-verify.example/checks/vaccine-microchips"  # resolved against the publisher
    assert f.publisher == "Harbour Verify"  # a person wrote it; the organisation publishes it
    assert f.verdict == "false" and f.rating.startswith("FALSO:")
    assert f.published == "2021-03-02"


def test_factchecks_readers_google_fact_check_tools() -> None:
    r = read_factchecks(DATA / "google_factcheck_tools.json")
    assert [f.publisher for f in r.records] == ["Orrin Facts", "checkers.example", "Orrin Facts"]
    assert [f.verdict for f in r.records] == ["false", "misleading", "mixed"]
    assert r.records[0].claimant == "Viral post" and r.records[0].claim_date == "2022-07-28"
    assert r.records[0].title == "No, Lake Orrin has not dried up"


def test_factchecks_readers_csv_mapping() -> None:
    r = read_factchecks(DATA / "factchecks.csv")
    assert [f.claim[:20] for f in r.records] == ["Drinking hot lemon w", "All state schools wi", "The minimum wage was"]
    assert r.records[1].rating is None and r.records[1].rating_score == 0.75  # 4 on 1..5
    assert r.records[1].published == "2023-08-20"
    assert r.records[2].url is None and r.records[2].key.startswith("claim:")
    assert [s.reason for s in r.skipped] == ["empty claim"]
    custom = read_factchecks(DATA / "factchecks_custom.csv")
    assert custom.records == [] and "no claim column" in custom.skipped[0].reason
    mapped = read_factchecks(DATA / "factchecks_custom.csv",
                             csv_mapping={"claim": "statement", "rating": "verdict", "publisher": "source"})
    (f,) = mapped.records
    assert (f.publisher, f.verdict) == ("Moon Desk", "false")
    wrong = read_factchecks(DATA / "factchecks_custom.csv", csv_mapping={"claim": "nope"})
    assert "not in the header" in wrong.skipped[0].reason


def test_factchecks_readers_wrong_types_keep_the_rest() -> None:
    r = read_factchecks(DATA / "wrong_types.json")
    assert [f.claim for f in r.records] == ["Hundreds of birds fell dead during a 5G test.",
                                            "A shark swam on a flooded highway."]
    birds, shark = r.records
    assert birds.url is None and birds.publisher is None and birds.rating == "False" and birds.published is None
    assert shark.rating == "Altered" and shark.rating_value is None and shark.verdict == "misleading"
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in r.skipped}
    assert reasons["wrong_types.json[0]"] == "claimReviewed is int, not text"
    assert reasons["wrong_types.json[1]"] == "claimReviewed is dict, not text"
    assert "without claimReviewed" in reasons["wrong_types.json[2]"]
    assert "newsarticle" in reasons["wrong_types.json[7]"]
    assert len(r.skipped) == 6


def test_factchecks_readers_html_instead_of_json_is_skipped_with_reason() -> None:
    r = read_factchecks(DATA / "html_instead_of_json.json")
    assert r.records == []
    (s,) = r.skipped
    assert s.reason.startswith("HTML instead of JSON") and s.code == "NT226"


def test_factchecks_readers_page_ld_json_blocks() -> None:
    r = read_factchecks(DATA / "factcheck_page.html")
    assert [f.publisher for f in r.records] == ["Lindholt Verify"]
    assert [s.reason.split(":")[0] for s in r.skipped] == ["malformed JSON-LD"]


def test_factchecks_readers_truncated_list_and_json_lines() -> None:
    r = read_factchecks(DATA / "truncated.json")
    assert [f.url for f in r.records] == ["https://checkers.example/ferry"]
    assert any("cut short" in s.reason for s in r.skipped)
    lines = read_factchecks(DATA / "lines.jsonl")
    assert len(lines.records) == 3  # the third is found inside a wrapper object
    assert [s.path.rsplit("#", 1)[-1] for s in lines.skipped] == ["3"]


def test_factchecks_readers_directory_and_missing_path(tmp_path: Path) -> None:
    r = read_factchecks(DATA)
    assert len(r.records) >= 14
    assert read_factchecks(tmp_path / "nope.json").skipped[0].reason == "no such file or directory"
    (tmp_path / "empty.json").write_text("   ")
    assert read_factchecks(tmp_path / "empty.json").skipped[0].reason == "empty file"
    (tmp_path / "latin1.json").write_bytes('[{"claimReviewed": "caf\xe9"}]'.encode("latin-1"))
    assert "not UTF-8" in read_factchecks(tmp_path / "latin1.json").skipped[0].reason


def _record(n: int) -> dict[str, object]:
    return {"@type": "ClaimReview", "claimReviewed": f"Generated claim number {n} about the Arlen ferry.",
            "url": f"https://gen.example/{n}", "reviewRating": {"alternateName": "False"}}


def test_factchecks_readers_100mb_list_streams_and_skips_the_huge_record(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[" + json.dumps(_record(1)) + ",\n")
        fh.write('{"@type": "ClaimReview", "url": "https://gen.example/huge", "claimReviewed": "')
        block = "x" * (1 << 20)
        for _ in range(100):
            fh.write(block)
        fh.write('\\" still inside"},\n' + json.dumps(_record(2)) + "]")
    assert path.stat().st_size > 100_000_000
    r = read_factchecks(path)
    assert [f.url for f in r.records] == ["https://gen.example/1", "https://gen.example/2"]
    (s,) = r.skipped
    assert s.path.endswith("big.json[1]") and "record limit" in s.reason


def test_factchecks_readers_100mb_single_document_is_refused_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "big-object.json"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"claims": [\n')
        fh.write(",\n".join(json.dumps({"text": "x" * 1000, "claimReview": []}) for _ in range(100_000)))
        fh.write("]}")
    assert path.stat().st_size > 100_000_000
    r = read_factchecks(path)
    assert r.records == []
    (s,) = r.skipped
    assert "over the 64 MB limit" in s.reason and s.code == "NT224"


def test_factchecks_readers_rating_score_lexicon_and_scales() -> None:
    assert rating_score("Falso") == 0.0
    assert rating_score("não_é_bem_assim") == 0.25
    assert rating_score("Incorrect \r") == 0.0
    assert rating_score("Mostly True") == 0.75
    assert rating_score("something new", 5, 6, 1) == 0.8
    assert rating_score("", 1, None, None) == 0.0  # schema.org defaults: 1..5
    assert rating_score("something new") is None
    assert rating_score(None, 9, 5, 1) is None  # out of its scale


def test_factchecks_readers_dict_round_trip() -> None:
    (f,) = read_factchecks(DATA / "claimreview_single.jsonld").records
    assert FactCheck.from_dict(f.to_dict()) == f


@pytest.mark.skipif(not SAMPLES.is_file(), reason="../shared/data/claimreview-samples is not available")
def test_factchecks_readers_real_claimreview_samples() -> None:
    r = read_factchecks(SAMPLES)
    assert r.skipped == []
    assert len(r.records) == 44
    assert all(f.claim and f.publisher and f.rating for f in r.records)
    relative = [f.url for f in r.records if not (f.url or "").startswith("https://")]
    assert len(relative) == 1 and relative[0].startswith("/")  # no site given to resolve it against
    assert any((f.url or "").startswith("https://aosfatos.org/") for f in r.records)  # "aosfatos.org/..." resolved
    assert sum(f.published is not None for f in r.records) >= 40
    assert sum(f.verdict != "unrated" for f in r.records) >= 40
    assert len({f.key for f in r.records}) == 44


@pytest.mark.parametrize("tail", ["[" * 50_000 + "]" * 50_000, '{"claimReviewed": "x", "n": ' + "9" * 5000 + "}"])
def test_factchecks_readers_too_deep_or_too_long_is_a_skip(tmp_path: Path, tail: str) -> None:
    """A record nested 50,000 deep raised RecursionError (and a 5,000-digit number ValueError) out
    of the import, a traceback; now that record is skipped (NT223) and the one before it is kept."""
    good = {"@type": "ClaimReview", "claimReviewed": "The toll on the Arlen bridge will be abolished in May.",
            "url": "https://checkers.example/1", "reviewRating": {"alternateName": "False"}}
    path = tmp_path / "deep.json"
    path.write_text("[" + json.dumps(good) + "," + tail + "]")
    r = read_factchecks(path)
    assert [f.claim for f in r.records] == [good["claimReviewed"]]
    assert [s.code for s in r.skipped] == ["NT223"]
    (tmp_path / "deep.jsonl").write_text(json.dumps(good) + "\n" + tail + "\n")
    r = read_factchecks(tmp_path / "deep.jsonl")
    assert len(r.records) == 1 and [s.code for s in r.skipped] == ["NT223"]


def test_factchecks_readers_csv_quote_that_never_closes(tmp_path: Path) -> None:
    """`"unterminated,false` swallowed the rest of the file into one claim, imported unrated."""
    path = tmp_path / "open.csv"
    path.write_text('claim,verdict\n"The dam burst on Friday.",false\n"unterminated,false\nAnother line,true\n')
    r = read_factchecks(path)
    assert [f.claim for f in r.records] == ["The dam burst on Friday."]
    assert [(s.code, s.path.rsplit("#", 1)[1]) for s in r.skipped] == [("NT223", "3")]
    multi = tmp_path / "multi.csv"  # a quoted claim over two lines, every column there: a fact-check
    multi.write_text('claim,verdict\n"The dam burst\non Friday.",false\n')
    assert [f.claim for f in read_factchecks(multi).records] == ["The dam burst on Friday."]
