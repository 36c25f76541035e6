"""End-to-end scoring of span tasks (issue 19): gold spans of a benchmark's text found again in the
text ingestion kept, and the attribution and techniques exports scored against them. The texts are
written here; their gold offsets are those of the raw text, which ingestion moves (a BOM, CRLF,
runs of spaces and no-break spaces are dropped or made plain)."""

from __future__ import annotations

from pathlib import Path

from narratrace.evaluation import SpanFinder, run_evaluation
from narratrace.text import normalize_text, normalized_offsets

RAW = "\ufeffHarbour deal  condemned\r\n\r\n\r\nThe mayor\u00a0 said the  deal was\tdisgraceful.\r\n"


def _span(raw: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = raw.index(needle, start + 1)
    return start, start + len(needle)


def test_normalized_offsets_follow_the_characters_ingestion_keeps() -> None:
    text = normalize_text(RAW)
    assert text != RAW and len(text) < len(RAW)
    offsets = normalized_offsets(RAW, text)
    assert offsets is not None and len(offsets) == len(RAW) + 1
    for needle, kept in (("Harbour", "Harbour"), ("condemned", "condemned"), ("said", "said"),
                         ("disgraceful", "disgraceful"), ("mayor\u00a0 said", "mayor said"), ("the  deal", "the deal")):
        a, b = _span(RAW, needle)
        assert text[offsets[a]:offsets[b]] == kept
    assert normalized_offsets(RAW, text + "!") is None          # text that is not RAW thinned
    assert normalized_offsets("Cafe\u0301 said", "Café said") is None  # NFC joined two characters


def test_span_finder_falls_back_to_the_nearest_occurrence_of_the_string() -> None:
    raw = "Cafe\u0301 owners said no. The mayor\u00a0said yes."
    text = normalize_text(raw)
    finder = SpanFinder(raw, text)
    assert finder.offsets is None  # NFC: no character map, found by string
    a, b = _span(raw, "said", 1)
    start, end = finder.find(a, b)
    assert text[start:end] == "said" and start == text.index("said", text.index("mayor"))
    assert text[slice(*finder.find(*_span(raw, "mayor\u00a0said")))] == "mayor said"
    assert finder.find(*_span(raw, "owners")) == (5, 11)
    assert SpanFinder("a  b", "a b").find(2, 3) is None  # a space ingestion dropped: nothing to find


def _brat(root: Path, doc: str, text: str, spans: list[tuple[str, int, int]]) -> None:
    (root / "text").mkdir(parents=True, exist_ok=True)
    (root / "attributions").mkdir(exist_ok=True)
    (root / "text" / f"{doc}.txt").write_text(text, encoding="utf-8")
    lines, n = [], 0
    for k in range(0, len(spans), 2):
        (sr, ss, se), (cr, cs, ce) = spans[k], spans[k + 1]
        lines += [f"T{n + 1}\t{sr} {ss} {se}\t{text[ss:se]}", f"T{n + 2}\t{cr} {cs} {ce}\t{text[cs:ce]}",
                  f"E{k // 2 + 1}\tAttribution:T{n + 2} Source:T{n + 1} Cue:T{n + 2}"]
        n += 2
    (root / "attributions" / f"{doc}_ab12.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_attribution_end_to_end_scores_the_exported_source_and_cue_spans(tmp_path: Path) -> None:
    """Offsets move (double spaces, a no-break space) before each attribution; the exported claims'
    source and cue spans still match the gold ones exactly, as they do on gold inputs. An article
    without text is not ingested: its gold spans count and match nothing."""
    text = ("Harbour  deal condemned\n\nThe mayor\u00a0 said on Tuesday that the harbour deal would cost the town "
            "4 million euros.\n\nAccording to the  council, the vote on the shipyard will take place on 12 May.\n")
    mayor, said = _span(text, "The mayor"), _span(text, "said")
    council, according = _span(text, "the  council"), _span(text, "According to")
    _brat(tmp_path, "harbour", text, [("Source", *mayor), ("Cue", *said), ("Source", *council), ("Cue", *according)])
    _brat(tmp_path, "empty", "\n", [("Source", 0, 0), ("Cue", 0, 1)])
    gold = run_evaluation("attribution", tmp_path)
    e2e = run_evaluation("attribution", tmp_path, end_to_end=True)
    losses = e2e["losses"]
    assert (losses["documents"], losses["not_ingested"], losses["spans_not_in_text"]) == (2, 1, 0)
    assert losses["gold_cues"] == 3 and losses["gold_sources"] == 3
    assert e2e["measures"]["exact"]["cue"] == gold["measures"]["exact"]["cue"]
    assert e2e["measures"]["exact"]["source"] == gold["measures"]["exact"]["source"]
    # both attributions of the harbour article found exactly; the empty article's one is lost
    assert e2e["measures"]["exact"]["cue"] == {"p": 1.0, "r": 0.6667, "f1": 0.8}


def _ptc(root: Path, doc: str, text: str, labels: list[tuple[str, int, int]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"article{doc}.txt", "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    (root / f"article{doc}.task2-TC.labels").write_text(
        "".join(f"{doc}\t{t}\t{a}\t{b}\n" for t, a, b in labels), encoding="utf-8")


def test_techniques_end_to_end_finds_the_gold_spans_again_after_ingestion(tmp_path: Path) -> None:
    """CRLF, a BOM and runs of spaces move every offset after them; the exported technique spans
    score as the model's spans do on the raw text, and a gold span no exported span overlaps is
    wrong for TC."""
    text = ("\ufeffCouncil  vote condemned\r\n\r\nThe  council's plan is\u00a0disgraceful and  shameful, "
            "residents said on Tuesday.\r\nThe mayor called the developers thugs at the meeting.\r\n")
    labels = [("Loaded_Language", *_span(text, "disgraceful")), ("Loaded_Language", *_span(text, "shameful")),
              ("Name_Calling,Labeling", *_span(text, "thugs")), ("Doubt", *_span(text, "Council  vote condemned"))]
    _ptc(tmp_path, "900000101", text, labels)
    gold = run_evaluation("techniques", tmp_path)
    e2e = run_evaluation("techniques", tmp_path, end_to_end=True)
    assert e2e["measures"]["si"] == gold["measures"]["si"] and e2e["measures"]["si"]["f1"] > 0.5
    losses = e2e["losses"]
    assert (losses["articles"], losses["not_ingested"], losses["spans_not_in_text"]) == (1, 0, 0)
    assert losses["gold_spans"] == 4 and losses["spans_without_hit"] == 1  # nothing flags the title as Doubt
    assert (losses["tc_instances"], losses["tc_instances_without_hit"]) == (4, 1)
    assert e2e["measures"]["tc_exported"] == {"micro_f1": 0.75, "instances": 4}


def test_the_end_to_end_table_writes_counts_as_integers_and_a_measure_gold_inputs_lack_as_a_dash() -> None:
    from narratrace.quality import render_end_to_end

    gold = {"n": 79, "seconds": 1.0, "measures": {"si": {"f1": 0.1636, "predicted": 629}, "tc": {"micro_f1": 0.41}}}
    e2e = {"n": 79, "seconds": 2.0, "command": "narratrace evaluate techniques --end-to-end",
           "measures": {"si": {"f1": 0.1637, "predicted": 628}, "tc_exported": {"micro_f1": 0.0777}}}
    section = render_end_to_end([{"task": "techniques", "benchmark": "PTC", "rows": [
        {"model": "shipped default", "gold": gold, "end_to_end": e2e}]}])
    rows = [line for line in section if line.startswith("| techniques")]
    assert [r.split(" | ")[4:7] for r in rows] == [["si.f1", "0.164", "0.164"], ["si.predicted", "629", "628"],
                                                   ["tc_exported.micro_f1", "–", "0.078"]]
