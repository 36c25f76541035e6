from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narratrace.ingest import Record, build_article, ingest
from narratrace.model import Article
from narratrace.pipeline import Pipeline
from narratrace.republications.detect import align, candidate_pairs, compare
from narratrace.republications.shingles import Tokens, fingerprints
from narratrace.store import Store

from textgen import article, edit_words, paragraph


def _art(ref: str, text: str, published: str | None = None, outlet: str | None = None) -> Article:
    art = build_article(Record(ref=ref, text=text, source=f"{ref}.jsonl#1", kind="jsonl",
                               published=published, outlet=outlet))
    assert isinstance(art, Article)
    return art


def _compare(a: Article, b: Article):
    return compare(a, b, Tokens(a.text), Tokens(b.text))


def test_republications_exact_copy_is_fully_shared() -> None:
    text = article(1)
    pair = _compare(_art("o", text, "2025-01-01"), _art("c", text, "2025-01-02"))
    assert pair is not None
    assert pair.copy_share == pytest.approx(1.0, abs=0.01)
    assert pair.additions == () and pair.edits == ()


def test_republications_five_percent_edits_and_preamble_are_found() -> None:
    import random
    text = article(2)
    preamble = paragraph(random.Random(99), 3)
    copy_text = preamble + "\n\n" + edit_words(text, 0.05, seed=3)
    o, c = _art("o", text, "2025-01-01"), _art("c", copy_text, "2025-01-03")
    pair = _compare(o, c)
    assert pair is not None and pair.original == o.id and pair.copy == c.id
    assert pair.original_share > 0.9
    assert pair.evidence == "date"
    labels = [a.label for a in pair.additions]
    assert labels[0] == "preamble"
    pre = pair.additions[0]
    assert c.text[pre.start:pre.end].strip() == preamble.strip()
    assert len(pair.edits) > 5 and pair.edited_sentences
    for e in pair.edits:  # every edit shows changed words, never identical text
        assert o.text[e.original_start:e.original_end].lower() != c.text[e.copy_start:e.copy_end].lower()


def test_republications_half_copy_with_own_opening_is_found() -> None:
    import random
    paras = article(4, paragraphs=10).split("\n\n")
    own = paragraph(random.Random(5), 3)
    copy_text = own + "\n\n" + "\n\n".join(paras[:5])
    pair = _compare(_art("o", "\n\n".join(paras), "2025-02-01"), _art("c", copy_text, "2025-02-02"))
    assert pair is not None
    assert 0.4 < pair.original_share < 0.6
    assert pair.copy_share > 0.6


def test_republications_unrelated_same_vocabulary_texts_are_not_paired() -> None:
    # Same small vocabulary, so words and even short phrases coincide, but no passage is shared.
    assert _compare(_art("a", article(10)), _art("b", article(11))) is None


def test_republications_one_shared_quote_is_not_a_republication() -> None:
    import random
    quote = " ".join(f"quoted{i}" for i in range(25)) + "."
    a = article(20) + "\n\n" + quote
    b = paragraph(random.Random(21), 2) + " " + quote + "\n\n" + article(22)
    assert _compare(_art("a", a), _art("b", b)) is None


def test_republications_alignment_offsets_point_at_identical_text() -> None:
    text = article(30)
    copy_text = "Intro words here for the reader. " * 3 + "\n\n" + edit_words(text, 0.03, 31)
    al = align(Tokens(text), Tokens(copy_text))
    assert al.passages
    for a0, a1, b0, b1 in al.passages:
        assert text[a0:a0 + 20].lower()[:5] == copy_text[b0:b0 + 20].lower()[:5]
        assert text[a1 - 5:a1].lower() == copy_text[b1 - 5:b1].lower()


def test_republications_candidates_need_a_new_article_and_skip_boilerplate() -> None:
    rng_texts = [article(s) for s in range(40, 46)]
    boiler = " Subscribe to our newsletter for the latest news from the coast every single morning today."
    texts = [t + boiler for t in rng_texts] + [rng_texts[0]]  # last one copies the first
    fps = [fingerprints(Tokens(t).hashes, k=5, sample=8) for t in texts]
    new = np.zeros(len(texts), dtype=bool)
    new[-1] = True
    pairs = candidate_pairs(fps, new, max_df=3)
    assert [(a, b) for a, b, _ in pairs] == [(0, 6)]
    assert candidate_pairs(fps, np.zeros(len(texts), dtype=bool), max_df=3) == []


def test_republications_credit_line_beats_dates(store: Store) -> None:
    text = article(50)
    original = _art("orig", text, "2025-03-05", outlet="Harbour Courier")
    copy = _art("copy", "By Harbour Courier\n\n" + text + "\n\nThe original source of this article is Harbour Courier",
                "2025-03-01", outlet="Other Post")
    pair = _compare(copy, original)  # argument order must not matter
    assert pair is not None
    assert (pair.original, pair.copy, pair.evidence) == (original.id, copy.id, "credit")
    assert "Harbour Courier" in pair.reason


def test_republications_two_copies_of_a_third_text_are_not_told_as_copying_each_other() -> None:
    """Both credit Harbour Courier and neither is it: the pair between them keeps its order by date,
    and its reason says they may both copy the credited text rather than each other."""
    text = article(52)
    first = _art("first", "By Harbour Courier\n\n" + text, "2025-03-03", outlet="Northern Ledger")
    second = _art("second", text + "\n\nThis article was first published by Harbour Courier.", "2025-03-04",
                  outlet="Veloria Today")
    pair = _compare(second, first)
    assert pair is not None
    assert (pair.original, pair.copy, pair.evidence) == (first.id, second.id, "date")
    assert pair.reason.startswith("both credit Harbour Courier, so each may copy it rather than the other; ")
    alone = _compare(_art("plain", text, "2025-03-04", outlet="Veloria Today"), first)
    assert alone is not None and "both credit" not in alone.reason      # one credit: no shared origin
    named = _compare(_art("hc", text, "2025-03-02", outlet="Harbour Courier"), first)
    assert named is not None and named.evidence == "credit"             # the credited outlet itself


def test_republications_pipeline_is_incremental(store: Store, tmp_path: Path) -> None:
    base = article(60)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(base)
    (tmp_path / "in" / "b.txt").write_text(article(61))
    ingest(store, [tmp_path / "in"])
    first = Pipeline(("fingerprints", "republications")).run(store)
    assert first.done == {"fingerprints": 2, "republications": 2}
    assert store.republication_pairs() == []
    assert Pipeline(("fingerprints", "republications")).run(store).done == {"fingerprints": 0, "republications": 0}
    (tmp_path / "in" / "c.txt").write_text("A short note first.\n\n" + base)
    ingest(store, [tmp_path / "in"])
    third = Pipeline(("fingerprints", "republications")).run(store)
    assert third.done == {"fingerprints": 1, "republications": 1}
    pairs = store.republication_pairs()
    assert [(store.article(p.original).ref, store.article(p.copy).ref) for p in pairs] == [("a", "c")]
    groups = store.republication_groups()
    assert len(groups) == 1 and store.article(groups[0].original).ref == "a"


def test_republications_parallel_run_equals_serial_run(tmp_path: Path, monkeypatch) -> None:
    import random

    import narratrace.pipeline as pipeline_module
    import narratrace.republications.detect as rep_module
    from narratrace.export import export_corpus

    corpus = tmp_path / "in"
    corpus.mkdir()
    for n in range(12):
        (corpus / f"orig{n}.txt").write_text(article(100 + n))
        copy = paragraph(random.Random(n), 2) + "\n\n" + edit_words(article(100 + n), 0.05, n)
        (corpus / f"copy{n}.txt").write_text(copy)
        (corpus / f"copy{n}b.txt").write_text(article(100 + n)[:1500])
    exports = []
    for workers, threshold in ((1, 10**9), (2, 1)):
        monkeypatch.setattr(pipeline_module, "PARALLEL_MIN_ARTICLES", threshold)
        monkeypatch.setattr(rep_module, "PARALLEL_MIN_PAIRS", threshold)
        store = Store(tmp_path / f"w{workers}.db")
        ingest(store, [corpus], workers=workers)
        Pipeline(workers=workers).run(store)
        exports.append(export_corpus(store))
        store.close()
    assert exports[0]["republications"] == exports[1]["republications"]
    assert len(exports[0]["republications"]) == 36  # 12 originals x (2 copies + the copies' pair)


def test_pipeline_stage_version_follows_config_file_content(tmp_path: Path) -> None:
    from narratrace.pipeline import registered_stages

    info = registered_stages()["claims"]
    table = tmp_path / "aliases.tsv"
    table.write_text("SVR\tForeign Intelligence Service\n")
    first = info.key({"aliases": str(table)})
    assert info.key({"aliases": str(table)}) == first
    table.write_text("SVR\tForeign Intelligence Service|SVR RF\n")
    assert info.key({"aliases": str(table)}) != first
