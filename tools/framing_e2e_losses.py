#!/usr/bin/env python
"""Where entity framing end to end loses against gold inputs, mention by mention.

    PYTHONPATH=src .venv/bin/python tools/framing_e2e_losses.py --data ../shared/data/semeval2025-task10/train/EN \
        [--split all] [--model NAME_OR_DIR] [--db out/diag/train.db] [--list out/diag/losses.tsv]

The documents are ingested into ``--db`` and analysed with the default stages (kept: a rerun
with the same ``--db`` reuses the stored stages and only frames again, with the code as it is
now). Each gold mention is then given two roles: the gold-input one (``evaluate framing``: the
model on the benchmark's own text and mention) and the end-to-end one (the exported item that
overlaps it most, as ``evaluate framing --end-to-end`` scores). A mention is *lost* when the
gold-input role is right and the end-to-end one is not, *gained* the other way round. Each lost
mention gets one cause:

- no item: ``not detected`` (no entity annotation overlaps the mention), ``label not framed``
  (only entities of a label framing skips), ``span`` (the entity found is longer or shorter
  than the mention and has no item: "Biden administration" for "Biden"), ``not salient``
  (filtered by :func:`narratrace.framing.stage._entities`: named once, not taking part, cited,
  singular NORP), ``low score`` (framed, below ``min_score``);
- item with another role: ``the mention's own parse vote`` (the item keeps the entity's role, this
  mention carries its own clause's, :func:`narratrace.framing.stage._mention_roles`),
  ``quoted-source vote`` (a person, or an organisation that speaks, named only as a cited source, framed as the
  article's voice), ``aggregation`` (this mention, classified alone in the ingested text, gets the gold-input
  role: the entity's other mentions moved it), ``context`` (classified alone in the ingested
  text it already differs: other sentence split or vectors).
Prints the breakdown as JSON; ``--list`` writes one row per lost or gained mention.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    from narratrace.evaluation import nearest_occurrence
    from narratrace.framing.data import read_framing_data
    from narratrace.framing.features import contexts, sentences_of
    from narratrace.framing.model import load_framing_model, model_for_run
    from narratrace.framing.stage import ENTITY_LABELS, QUOTED_VOTE, _entities, frame_entities
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline, default_stages
    from narratrace.store import Store
    from narratrace.vectors import SENTENCE_STAGE, unpack_sentence_vectors

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="all")
    ap.add_argument("--model", default=None)
    ap.add_argument("--db", default="out/diag/framing-e2e.db")
    ap.add_argument("--list", default=None)
    args = ap.parse_args(argv)

    docs = list(read_framing_data(args.data, split=args.split))
    model = model_for_run(args.model)
    loaded, _ = load_framing_model(model)
    db = Path(args.db)
    fresh = not db.exists()
    db.parent.mkdir(parents=True, exist_ok=True)
    with Store(db) as store:
        if fresh:
            src = db.with_suffix(".jsonl")
            with src.open("w", encoding="utf-8") as fh:
                for d in docs:
                    fh.write(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n")
            ingest(store, [src])
            Pipeline(default_stages(), config={"framing": {"model": model}}).run(store)
        by_ref = {row["ref"]: row["id"] for row in store.article_index()}
        articles = {a.id: a for a in store.articles()}
        batch = [(articles[by_ref[d.id]], store.annotations(by_ref[d.id], stage="claims"))
                 for d in docs if d.id in by_ref]
        stored = {}
        for aid, blob in store.stage_data(SENTENCE_STAGE, ids=[a.id for a, _ in batch]):
            if blob:
                stored[aid] = unpack_sentence_vectors(blob)
        framed = frame_entities(batch, model=model, stored=stored)  # the stage as the code is now

    # gold inputs, per mention
    per_doc, gold_ctx = [], []
    for d in docs:
        sents = sentences_of(d.text)
        found = contexts(d.text, [(m.start, m.end) for m in d.mentions], sents)
        per_doc.append((d.text, sents, found, None))
    gold_pred = iter(loaded.predict(per_doc))

    counts: Counter[str] = Counter()
    rows: list[list[Any]] = []
    solo_wanted: list[tuple[int, Any, int, int]] = []  # (row, article, start, end): classify alone in the ingested text
    items_of = {a.id: anns for (a, _), (_, anns) in zip(batch, framed)}
    anns_of = {a.id: anns for a, anns in batch}
    art_of = {a.id: a for a, _ in batch}
    for d in docs:
        aid = by_ref.get(d.id)
        for m in d.mentions:
            g = next(gold_pred)
            gold_ok = g.main_role == m.main_role
            counts["mentions"] += 1
            counts["gold_right"] += gold_ok
            if aid is None:
                cause, e2e_role = "not ingested", ""
            else:
                article = art_of[aid]
                text = article.text
                start = nearest_occurrence(text, m.text, round(m.start * len(text) / max(len(d.text), 1)))
                if start is None:
                    cause, e2e_role = "mention not in text", ""
                else:
                    end = start + len(m.text)
                    best, best_o, own = None, 0, None
                    for it in items_of[aid]:
                        roles = {(int(x[0]), int(x[1])): str(x[2]) for x in it.data.get("mention_roles") or ()}
                        for a, s in [(it.start, it.end), *[tuple(sp) for sp in it.data.get("spans", ())]]:
                            o = min(end, s) - max(start, a)
                            if o > best_o or (o == best_o and best is it and (a, s) in roles):
                                best, best_o, own = it, o, roles.get((a, s))
                    e2e_role = (own or best.label) if best is not None else ""
                    if best is None:
                        cause = "no item: " + _why_no_item(article, anns_of[aid], start, end, loaded, ENTITY_LABELS,
                                                           _entities, items_of[aid])
                    else:
                        cause = ("item: mention's own vote" if own else
                                 "item: quoted" if QUOTED_VOTE[1] in (best.data.get("parse") or ()) else "item")
                        solo_wanted.append((len(rows), article, start, end))
            e2e_ok = e2e_role == m.main_role
            counts["e2e_right"] += e2e_ok
            rows.append([d.id, m.text, m.start, m.main_role, g.main_role, e2e_role, gold_ok, e2e_ok, cause, ""])
    # each covered mention classified alone in the ingested text (its own sentence, stored vectors)
    if solo_wanted:
        solo_docs = []
        for _, article, s, e in solo_wanted:
            sents = article.sentences or sentences_of(article.text)
            solo_docs.append((article.text, sents, contexts(article.text, [(s, e)], sents), stored.get(article.id)))
        for (r, article, s, e), p in zip(solo_wanted, loaded.predict(solo_docs)):
            rows[r][9] = p.main_role
    for row in rows:
        _, _, _, gold, g, e2e, gold_ok, e2e_ok, cause, solo = row
        if cause == "item: quoted" and e2e != g:
            row[8] = "role differs: quoted-source vote (a person or a speaking organisation named only as a cited source)"
        elif cause == "item" and e2e != g:
            row[8] = ("role differs: aggregation (alone it gets the gold-input role)" if solo == g
                      else "role differs: context (alone in the ingested text it differs)")
        elif cause == "item: mention's own vote" and e2e != g:
            row[8] = "role differs: the mention's own parse vote (kept at that mention)"
        elif cause.startswith("item"):
            row[8] = "same role"
        key = row[8].split(" [")[0]
        if gold_ok and not e2e_ok:
            counts["lost"] += 1
            counts["lost: " + key] += 1
        elif e2e_ok and not gold_ok:
            counts["gained"] += 1
            counts["gained: " + key] += 1
        if not e2e:
            counts["no item (any)"] += 1
            counts["no item (any): " + key] += 1
    out = {"data": args.data, "model": model, "mentions": counts["mentions"],
           "gold_inputs_accuracy": round(counts["gold_right"] / max(counts["mentions"], 1), 4),
           "end_to_end_accuracy": round(counts["e2e_right"] / max(counts["mentions"], 1), 4),
           "breakdown": dict(sorted(counts.items()))}
    print(json.dumps(out, indent=2))
    if args.list:
        with open(args.list, "w", encoding="utf-8") as fh:
            fh.write("doc\tmention\tstart\tgold\tgold_input\tend_to_end\tgold_ok\te2e_ok\tcause\talone\n")
            for row in rows:
                if row[6] != row[7] or not row[5]:
                    fh.write("\t".join(str(x).replace("\t", " ").replace("\n", " ") for x in row) + "\n")
    return 0


def _why_no_item(article: Any, annotations: Any, start: int, end: int, loaded: Any, labels: Any, entities_fn: Any,
                 items: Any) -> str:
    """Why no framing item covers ``[start, end)`` of ``article``."""
    ents = [a for a in annotations if a.kind == "entity" and a.start < end and start < a.end]
    if not ents:
        return "not detected"
    framable = [a for a in ents if a.label in labels]
    found = "|".join(f"{article.text[a.start:a.end]}/{a.label}/{(a.data or {}).get('canonical')}" for a in ents)
    if not framable:
        return f"label not framed [{found}]"
    kept = entities_fn(article, annotations, labels, 6, 2, 60, True)
    covering = [c for c, (_, _, every, *_) in kept.items() if any(s < end and start < e for s, e in every)]
    if not covering:
        from narratrace.framing.stage import _affiliation, _participant, _reports, _stands_for_actor

        canon = {(a.data or {}).get("canonical") for a in framable}
        same = [a for a in annotations if a.kind == "entity" and (a.data or {}).get("canonical") in canon]
        sources = [(int(c.data["source_start"]), int(c.data["source_end"])) for c in annotations
                   if c.kind == "claim" and isinstance((c.data or {}).get("source_start"), int)
                   and isinstance(c.data.get("source_end"), int) and _reports(c.data.get("cue"))]
        text = article.text
        cited = [a for a in same if any(s <= a.start and a.end <= e for s, e in sources)
                 or _affiliation(text, a.end, sources)]
        if all(a.label == "NORP" and not text[a.start:a.end].endswith("s")
               and not _stands_for_actor((a.data or {}).get("syntax")) for a in framable):
            why = "nationality adjective"
        elif len(cited) == len(same):
            why = "cited only"
        else:
            why = "named once, not taking part"
        deps = ",".join(f"{((a.data or {}).get('syntax') or {}).get('dep')}/{((a.data or {}).get('syntax') or {}).get('gov')}"
                        for a in same)
        return f"not salient: {why} [{found}; named {len(same)}x; {deps}]"
    return f"low score [{found}]"


if __name__ == "__main__":
    sys.exit(main())
