"""Boilerplate lines (a site's widget, a newsletter blurb) are found per corpus and left out of the
republication evidence and of claim groups; a republished story's passages are not boilerplate."""

from __future__ import annotations

import json
from pathlib import Path

from narratrace.boilerplate.lines import article_lines, find_boilerplate, line_key, masked
from narratrace.export import export_corpus
from narratrace.ingest import ingest
from narratrace.pipeline import Pipeline, dependent_stages
from narratrace.store import Store

WIDGET = "Take our poll - story continues below"
BLURB = ("Sign up for the Harbour Daily newsletter to get the morning's most important local stories, the "
         "weather for the week ahead, the council's agenda and the best of our weekend reading delivered to "
         "your inbox before seven o'clock every single weekday morning, free of charge.")
STORIES = {
    "budget": "The city council approved a budget of 40 million for road repairs on Tuesday. The mayor said the "
              "work on the ring road would start in April and last until the autumn. Shop owners on Quay Street "
              "asked for the works to pause during the summer market.",
    "ferry": "The ferry to Solen Island was cancelled for the third day running because of high winds. The "
             "operator said passengers would be refunded in full. Islanders complained that deliveries of food "
             "and medicine had been delayed since Friday.",
    "school": "A new primary school opened in the eastern district with places for 300 pupils. The head teacher "
              "said the building was heated by a ground-source heat pump. Parents had campaigned for the school "
              "for more than ten years.",
    "museum": "The maritime museum reopened after a two-year renovation that cost 12 million. Its director said "
              "visitor numbers had doubled in the first week. A restored fishing boat from 1911 is the centre of "
              "the new hall.",
    "match": "Harbour United beat Kessport Rovers 3-1 in front of a record crowd of 9,000. The coach said the "
             "team had finally found its rhythm after a poor start to the season. The club's next game is away "
             "at Arlen on Saturday.",
}


def _paragraphs(body: str) -> str:
    """One sentence a paragraph, as news pages print them."""
    return "\n".join(s.strip() + "." for s in body.split(". ") if s.strip()).replace("..", ".")


def _record(ref: str, body: str, outlet: str = "Harbour Daily") -> dict[str, str]:
    return {"id": ref, "outlet": outlet, "text": f"{_paragraphs(body)}\n{WIDGET}\n{BLURB}"}


def _write(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


STAGES = ["boilerplate", "fingerprints", "republications", "claims", "sentence_vectors", "claim_vectors",
          "claim_groups"]


def test_boilerplate_lines_are_paragraphs_with_keys_that_ignore_case_and_punctuation() -> None:
    text = f"First line of the story here.\n  {WIDGET}  \nok"
    lines = article_lines(text)
    assert [text[ln.start:ln.end] for ln in lines] == ["First line of the story here.", WIDGET]
    assert line_key("TAKE our poll: story continues below!") == line_key(WIDGET)
    assert masked("ab\ncd", [(0, 4)]) == "  \n d"


def test_boilerplate_needs_otherwise_different_articles_of_one_outlet() -> None:
    widget = line_key(WIDGET)
    keys = {f"s{i}": [line_key(f"story {i} paragraph {j} words") for j in range(4)] + [widget] for i in range(3)}
    outlets = {k: "Harbour Daily" for k in keys}
    assert find_boilerplate(keys, outlets) == {("harbour daily", widget): 3}
    # the same three lines in three copies of one story: a republication, not boilerplate
    copies = {f"c{i}": keys["s0"] for i in range(3)}
    assert find_boilerplate(copies, {k: "Harbour Daily" for k in copies}) == {}
    # three different outlets carry it once each: a shared quote, not a site's line
    assert find_boilerplate(keys, {"s0": "A", "s1": "B", "s2": "C"}) == {}
    # outlet unknown: five articles are needed
    assert find_boilerplate(keys, {k: None for k in keys}) == {}
    more = {f"u{i}": [line_key(f"unknown {i} line {j} words") for j in range(4)] + [widget] for i in range(5)}
    assert find_boilerplate(more, {k: None for k in more}) == {("", widget): 5}


def test_boilerplate_stays_out_of_republications_and_claim_groups(tmp_path: Path) -> None:
    records = [_record(ref, body) for ref, body in STORIES.items()]
    records.append({"id": "budget-repost", "outlet": "Coast Weekly", "text": _paragraphs(STORIES["budget"])})
    with Store(tmp_path / "c.db") as store:
        ingest(store, [_write(tmp_path / "a.jsonl", records)])
        Pipeline(STAGES, workers=1).run(store)
        export = export_corpus(store)
        lines = {(b["text"], b["outlet"]): sorted(b["articles"]) for b in export["boilerplate"]}
        assert lines == {(WIDGET, "Harbour Daily"): sorted(STORIES), (BLURB, "Harbour Daily"): sorted(STORIES)}
        pairs = {(p["original"], p["copy"]) for p in export["republications"]}
        assert pairs == {("budget", "budget-repost")}  # the blurb alone no longer pairs the five stories
        for group in export["claim_groups"]:
            assert not any("newsletter" in m["text"] or "poll" in m["text"] for m in group["members"])


def test_boilerplate_found_later_redoes_the_older_articles(tmp_path: Path) -> None:
    refs = list(STORIES)
    with Store(tmp_path / "c.db") as store:
        ingest(store, [_write(tmp_path / "a.jsonl", [_record(r, STORIES[r]) for r in refs[:2]])])
        Pipeline(STAGES, workers=1).run(store)
        # two articles: the blurb is not boilerplate yet, and it makes them look like copies
        assert export_corpus(store)["boilerplate"] == []
        assert len(store.republication_pairs()) == 1
        ingest(store, [_write(tmp_path / "b.jsonl", [_record(r, STORIES[r]) for r in refs[2:]])])
        report = Pipeline(STAGES, workers=1).run(store)
        assert report.done["republications"] == 5  # the first two are compared again, without the blurb
        assert store.republication_pairs() == []
        assert {b["text"] for b in export_corpus(store)["boilerplate"]} == {WIDGET, BLURB}
        assert Pipeline(STAGES, workers=1).run(store).done == {s: 0 for s in STAGES}


def test_boilerplate_readers_are_its_dependents() -> None:
    found = dependent_stages(["article.boilerplate"])
    assert {"republications", "claim_vectors", "claim_groups", "factcheck_matches"} <= set(found)
    assert "claims" not in found and "boilerplate" not in found
