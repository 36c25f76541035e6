"""Attribution: does the claims stage find who said what (PolNeAR's source and cue spans)?

``evaluate_attribution`` scores the claims stage's attribution (source spans and cue
spans, precision / recall / F1, exact and overlap match) on either

* a labelled set in our JSONL format (``tests/data/attribution/examples.jsonl``: one
  article ref per line with its attributions), whose texts come from a corpus directory
  (``examples/corpus`` by default), or
* a PolNeAR split (brat standoff: ``<split>/text/*.txt`` and
  ``<split>/attributions/<doc>_<annotator>.ann``; the first annotator in sorted order is gold).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from narratrace.evaluation import Benchmark, PublishedFigure, Task, in_split
from narratrace.errors import InputError
from narratrace.ingest import build_article, read_file
from narratrace.model import Article, article_id_for
from narratrace.text import paragraph_spans, sentence_spans

__all__ = ["evaluate_attribution", "evaluate_attribution_end_to_end", "read_brat_attributions"]


def evaluate_attribution(data: str | Path, *, corpus: str | Path | None = None, limit: int | None = None,
                         split: str = "all", model: str | None = None) -> dict[str, Any]:
    """``{"task", "data", "n", "gold", "measures": {"exact": ..., "overlap": ...}, "seconds"}``."""
    from narratrace.claims import evaluate, extract_claims, predictions_from_claims

    started = time.perf_counter()
    path = Path(data)
    pairs = _pairs(path, corpus, limit=limit, split=split)
    gold = [g for _, g in pairs]
    predicted = []
    for article, _ in pairs:
        claims = extract_claims(article).claims
        predicted.append(predictions_from_claims(article.ref, [c.data(article.id) for c in claims]))
    return {"task": "attribution", "model": "rules-v1", "data": str(path), "n": len(pairs),
            "gold": sum(len(g["attributions"]) for g in gold),
            "measures": {"exact": evaluate(predicted, gold), "overlap": evaluate(predicted, gold, match="overlap")},
            "seconds": round(time.perf_counter() - started, 2)}


def _pairs(path: Path, corpus: str | Path | None, *, limit: int | None, split: str
           ) -> list[tuple[Article, dict[str, Any]]]:
    if path.is_dir():
        return list(read_brat_attributions(path, limit=limit, part=split))
    if path.is_file():
        return list(_labelled_set(path, Path(corpus or "examples/corpus"), limit=limit, split=split))
    raise InputError(f"no evaluation data at {path}", path=str(path))


_ROLES = ("source", "cue")


def evaluate_attribution_end_to_end(data: str | Path, *, corpus: str | Path | None = None, limit: int | None = None,
                                    split: str = "all", model: str | None = None, **_: Any) -> dict[str, Any]:
    """The measures of :func:`evaluate_attribution` on what a user gets: the texts ingested (a PolNeAR
    article's file text as one document; our JSONL set's corpus folder as it is), analysed with the
    default stages and exported; the exported claims' ``source_start/end`` and ``cue_start/end``
    scored against the gold spans found again in the ingested text (:class:`SpanFinder`). A gold
    span not found there stays in the gold count and matches nothing. ``losses`` counts where the
    gold spans went: documents not ingested or not analysed by the claims stage, spans not found
    in the text, spans no exported claim reaches (neither its sentence nor its source or cue
    overlaps them), and spans inside a claim whose attribution missed them."""
    from narratrace.claims import evaluate, predictions_from_claims
    from narratrace.evaluation import SpanFinder, analyze_files, analyze_texts

    path = Path(data)
    pairs = _pairs(path, corpus, limit=limit, split=split)
    if path.is_dir():
        export = analyze_texts([(article.ref, article.text) for article, _ in pairs], include_text=True)
    else:
        export = analyze_files([Path(corpus or "examples/corpus")], include_text=True)
    articles = {a["ref"]: a for a in export["articles"]}
    claims: dict[str, list[dict[str, Any]]] = {}
    for c in export["claims"]:
        claims.setdefault(c["article"], []).append(c)
    losses = {"documents": len(pairs), "not_ingested": 0, "not_analysed": 0, "gold_sources": 0, "gold_cues": 0,
              "spans_not_in_text": 0, **{f"{r}s_in_no_claim": 0 for r in _ROLES},
              **{f"{r}s_missed_in_claim": 0 for r in _ROLES}}
    gold, predicted = [], []
    unmatchable = 0
    for article, labelled in pairs:
        exported = articles.get(article.ref)
        atts = labelled["attributions"]
        losses["gold_sources"] += sum(a.get("source_start") is not None for a in atts)
        losses["gold_cues"] += sum(a.get("cue_start") is not None for a in atts)
        if exported is None:
            losses["not_ingested"] += 1
            gold.append(labelled)
            continue
        if "claims" in (exported.get("not_analysed") or {}):
            losses["not_analysed"] += 1
        mine = claims.get(article.ref, [])
        found = SpanFinder(article.text, exported.get("text") or "")
        mapped = []
        for a in atts:
            m: dict[str, Any] = {}
            for role in _ROLES:
                start, end = a.get(f"{role}_start"), a.get(f"{role}_end")
                span = None if start is None else found.find(start, end)
                if start is not None and span is None:
                    losses["spans_not_in_text"] += 1
                    unmatchable += 1
                    span = (-unmatchable, -unmatchable + 1)  # counted as gold, overlaps no exported span
                elif span is not None:
                    reached = [c for c in mine if _overlaps(span, (c["start"], c["end"]))
                               or any(_overlaps(span, (c.get(f"{r}_start"), c.get(f"{r}_end"))) for r in _ROLES)]
                    if not reached:
                        losses[f"{role}s_in_no_claim"] += 1
                    elif not any(_overlaps(span, (c.get(f"{role}_start"), c.get(f"{role}_end"))) for c in mine):
                        losses[f"{role}s_missed_in_claim"] += 1
                m[f"{role}_start"], m[f"{role}_end"] = span if span is not None else (None, None)
            mapped.append(m)
        gold.append({"ref": article.ref, "attributions": mapped})
        predicted.append(predictions_from_claims(article.ref, mine))
    return {"n": len(pairs), "model": "rules-v1", "gold": sum(len(g["attributions"]) for g in gold),
            "measures": {"exact": evaluate(predicted, gold), "overlap": evaluate(predicted, gold, match="overlap")},
            "losses": losses}


def _overlaps(a: tuple[int, int], b: tuple[Any, Any]) -> bool:
    return b[0] is not None and b[1] is not None and a[0] < b[1] and b[0] < a[1]


def _labelled_set(path: Path, corpus: Path, *, limit: int | None, split: str = "all"
                  ) -> Iterator[tuple[Article, dict[str, Any]]]:
    gold = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = [g for g in gold if in_split(g["ref"], split)]
    articles: dict[str, Article] = {}
    for file in sorted(corpus.rglob("*")):
        if file.is_file():
            for item in read_file(file):
                art = build_article(item) if not hasattr(item, "reason") else item
                if isinstance(art, Article):
                    articles[art.ref] = art
    for g in gold[:limit]:
        if g["ref"] not in articles:
            raise InputError(f"labelled article {g['ref']!r} is not in the corpus {corpus}", path=str(path))
        yield articles[g["ref"]], g


_T_LINE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t")


def read_brat_attributions(split: Path, *, limit: int | None = None, part: str = "all"
                           ) -> Iterator[tuple[Article, dict[str, Any]]]:
    """Articles (text exactly as in the file, so offsets hold) and their gold attributions."""
    texts = [t for t in sorted((split / "text").glob("*.txt")) if in_split(t.stem, part)]
    if not texts:
        raise InputError(f"{split} has no text/*.txt: not a brat split", path=str(split))
    for text_path in texts[:limit]:
        doc = text_path.stem
        anns = sorted((split / "attributions").glob(f"{doc}_*.ann"))
        if not anns:
            continue
        text = text_path.read_text(encoding="utf-8")
        spans: dict[str, tuple[int, int]] = {}
        attributions = []
        lines = anns[0].read_text(encoding="utf-8").splitlines()
        for line in lines:
            m = _T_LINE.match(line)
            if m:
                offsets = [int(x) for x in re.split(r"[ ;]", m.group(3).strip())]
                spans[m.group(1)] = (offsets[0], offsets[-1])
        for line in lines:
            if not line.startswith("E"):
                continue
            roles = dict(part.split(":", 1) for part in line.split("\t")[1].split() if ":" in part)
            cue = spans.get(roles.get("Cue", ""))
            source = spans.get(roles.get("Source", ""))
            if cue is None:
                continue
            attributions.append({"source_start": source[0] if source else None,
                                 "source_end": source[1] if source else None,
                                 "cue_start": cue[0], "cue_end": cue[1]})
        paragraphs = paragraph_spans(text)
        article = Article(id=article_id_for(doc), ref=doc, text=text, language="en",
                          paragraphs=paragraphs, sentences=sentence_spans(text, paragraphs))
        yield article, {"ref": doc, "attributions": attributions}


TASK = Task(
    name="attribution",
    summary="who a claim is attributed to: source and cue spans (claims stage, rules)",
    data_format="PolNeAR split folder (text/*.txt, attributions/*.ann brat standoff; first annotator is gold), "
                "or our JSONL set with --corpus",
    evaluate=evaluate_attribution,
    end_to_end=evaluate_attribution_end_to_end,
    published=(PublishedFigure("overlap.source.f1", "source span F1 (overlap)", None,
                               "no published model score on PolNeAR (Newell et al., LREC 2018: corpus only)"),
               PublishedFigure("exact.source.f1", "source span F1 (exact)", None, "none published"),
               PublishedFigure("overlap.cue.f1", "cue span F1 (overlap)", None, "none published")),
    benchmark=Benchmark("PolNeAR dev (84 articles)", "polnear/dev", eval_split="all"),
    stage="claims",
    default_model="rules-v1",
    config_key=None,
)
