"""Build ``examples.jsonl``: hand-labelled attributions in the example corpus (examples/corpus).

Each attribution is written below as a context string that occurs exactly once in the article's
ingested text, with the source in ``[...]`` and the cue in ``{...}``; offsets are computed here,
never typed by hand. Run from the repository root after changing a label or the corpus:

    .venv/bin/python tests/data/attribution/build_examples.py

Labelling conventions (PolNeAR's source/cue model, adapted):

* Every attribution outside quotation marks is labelled, also where the cue is a noun ("the
  Ministry's announcement that ...") or sits in a relative clause. Demands are attributions
  whatever their form ("urged restraint", "called for a hearing", "demanded that ..."); denials
  or mentions of a plain noun phrase ("rejected the accusation", "It denies everything", "has
  described some of the parts", "hinted at economic consequences") are not: they report no
  proposition.
* Source span: a named source is its name: a role or descriptor before or after a person's or an
  outlet's name is left out ("the union's regional secretary" in "Henrik Asmo, the union's
  regional secretary, said"), a leading "the" too unless it belongs to the name; a possessive
  country that is part of a body's designation stays ("Veloria's Ministry of Coastal Security").
  An unnamed source is its noun phrase as written, determiner included, without relative
  clauses, participles and phrases of time or place ("A café owner", not "A café owner on Quay
  Street"); a pronoun is the pronoun. Impersonal passives have no source.
* A second cue of the same source ("... called the claims X and said Y") is a second attribution
  with the same source span (written with a leading ``^`` below).
* Cue span: the reporting verb ("said", "told", "accused"), "according to", or the noun
  ("announcement").
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))

from narratrace.ingest import build_article, read_file  # noqa: E402

LABELS: dict[str, list[str]] = {
    "harbour-courier-drones": [
        "[Veloria] {accuses} Marrenland of smuggling drones",
        "[Veloria's Ministry of Coastal Security] on Tuesday {accused} neighbouring Marrenland",
        "Tuesday evening, [the ministry] {said} customs officers",
        "civilian ports,\" [the statement] {said}.",
        "a spokesperson, [Tomas Reyvik], {told} the Harbour Courier",
        "[He] {said} investigators were still",
        "Its spokesperson, [Dalia Orsenne], {called} the claims",
        "^difficulties\" and {said} her government had no knowledge",
        "[She] {added} that Marrenland would welcome",
        "[Dock workers] {said} inspections had been",
        "[Opposition lawmakers] in Veloria {called} for an urgent",
        "[A Velorian diplomat], speaking on condition of anonymity, {said} the talks",
        "an explanation,\" {said} [Mara Kettil], who chairs",
        "[Ministry of Coastal Security] {said} it would present its findings",
    ],
    "velorian-observer-hearing": [
        "drones into Veloria, [the committee's chair] {announced} on Thursday",
        "the basis for [his ministry]'s {allegation} that Marrenland",
        "[Mara Kettil], the opposition deputy who leads the committee, {said} members",
        "duty to test it,\" [she] {told} reporters",
        "[Piet Lunder], the ruling Civic Alliance's chief whip, {accused} the opposition",
        "^work for it\" and {said} the ministry had acted",
        "What else would they say?\" [he] {said}.",
        "[One senior deputy] {said} cabinet colleagues",
        "[The ministry's statement], released on Tuesday night, {said} customs",
        "civilian ports,\" [it] {said}.",
        "[Constitutional lawyers] {note} that the committee",
        "asking nicely,\" [she] {said}.",
    ],
    "gulf-wire-marrenland-denial": [
        "[Marrenland] summons Velorian envoy, {calls} drone allegations",
        "what [its foreign minister] {called} a",
        "Foreign Minister [Casimir Welde] {told} a news conference",
        "^belonging to Marrenland aboard the freighter at the centre of the dispute, and {demanded} that Veloria",
        "in front of neutral experts, today,\" [he] {said}.",
        "though [a Velorian embassy official] {said} afterwards",
        "and [the minister] {said} his officials",
        "[Ingrid Saal], a prominent opposition figure, {called} the Velorian accusation",
        "^\"an insult\" but {urged} both capitals",
        "[A ministry spokesperson] in Stravenna {said} only",
    ],
    "coastline-post-dockworkers": [
        "forty minutes,\" {said} [Arvid Holm]",
        "The slowdown followed the [Ministry of Coastal Security]'s {announcement} that",
        "than usual, {according to} the [Kessport Dockers' Union]",
        "[Henrik Asmo], the union's regional secretary, {said} his members",
        "refrigerated container,\" [he] {said}.",
        "The terminal operator, [Kessport Gateway Holdings], {told} customers",
        "but [ship-tracking data] reviewed by the Coastline Post {showed} at least",
        "[A café owner] on Quay Street {said} lunchtime",
        "[A ship chandler] {said} orders",
        "[The ministry] has {said} the stricter inspections",
    ],
    "seaboard-monitor-maritime-council": [
        "The council's secretary-general, [Emil Farrow], {said} on Saturday",
        "claims with facts,\" [he] {said} in a statement",
        "[Marrenland] accepted almost immediately, {saying} it would",
        "[A spokesperson for the Ministry of Coastal Security] {said} the government",
        "^carefully\" but {stressed} that the investigation",
        "[Diplomats] in Port Amsel {said} the offer",
        "The row erupted when [Veloria] {announced} it had found",
        "^Solen Crest, and {accused} Marrenland of deliberately",
        "[Marrenland] {says} the accusation is invented",
        "[Other council members] have quietly {urged} restraint",
        "[A diplomat from one coastal state] {said} governments",
        "all of us lose,\" [the diplomat] {said}.",
    ],
    "the-lantern-drones-explainer": [
        "[Veloria] {says} it caught Marrenland",
        "[Marrenland] {says} the story is invented",
        "On Tuesday night the [Ministry of Coastal Security] {said} customs officers",
        "[The paperwork] {described} the contents as irrigation equipment",
        "reporting a seizure: [it] {said} the shipment",
        "[The foreign ministry] in Lindholt has {called} the claim a fabrication",
        "[Specialists] {say} the distinction",
    ],
    "arlen-business-review-freight": [
        "[Nordhavn Line], which runs a weekly feeder service",
        "[Brokers] {said} underwriters",
        "{said} [Oskar Berge], a partner",
        "The [Marrenish Chamber of Industry] {estimates} that",
        "Its director general, [Sonja Ekholt], {said} several",
        "[Two Velorian distributors] {said} customs",
        "\"We understand why,\" [one of them] {said}.",
        "[Economists] {expect} the hit",
        "{according to} [central bank figures]",
        "{said} [Berge]. \"Once",
    ],
}
# attributions whose cue lies far from the source: (ref, source context, cue context)
SPLIT = {
    ("arlen-business-review-freight", 0): "gulf, {told} customers on Friday",
}


def _parse(marked: str) -> tuple[str, tuple[int, int] | None, tuple[int, int] | None]:
    plain = ""
    spans: dict[str, list[int]] = {}
    for piece in re.split(r"([\[\]{}])", marked):
        if piece in ("[", "{"):
            spans[piece] = [len(plain)]
        elif piece in ("]", "}"):
            spans["[" if piece == "]" else "{"].append(len(plain))
        else:
            plain += piece
    src = tuple(spans["["]) if "[" in spans else None
    cue = tuple(spans["{"]) if "{" in spans else None
    return plain, src, cue  # type: ignore[return-value]


def _locate(text: str, context: str, ref: str) -> int:
    hits = [m.start() for m in re.finditer(re.escape(context), text)]
    if len(hits) != 1:
        raise SystemExit(f"{ref}: context {context!r} found {len(hits)} times, need exactly once")
    return hits[0]


def build() -> list[dict[str, object]]:
    articles = {}
    for path in sorted((ROOT / "examples" / "corpus").iterdir()):
        for rec in read_file(path):
            a = build_article(rec)
            articles[getattr(a, "ref", None)] = a
    out = []
    for ref, items in LABELS.items():
        text = articles[ref].text
        atts = []
        for k, marked in enumerate(items):
            same_source = marked.startswith("^")  # the source of the item before, e.g. "... and said ..."
            plain, src, cue = _parse(marked.lstrip("^"))
            base = _locate(text, plain, ref)
            att: dict[str, object] = {"source": None, "source_start": None, "source_end": None}
            if src is not None:
                att.update(source=text[base + src[0]:base + src[1]], source_start=base + src[0],
                           source_end=base + src[1])
            elif same_source:
                att.update({key: atts[-1][key] for key in ("source", "source_start", "source_end")})
            if cue is None and (ref, k) in SPLIT:
                cplain, _, cue2 = _parse(SPLIT[(ref, k)])
                cbase = _locate(text, cplain, ref)
                cue, base = cue2, cbase
            assert cue is not None, marked
            att.update(cue=text[base + cue[0]:base + cue[1]], cue_start=base + cue[0], cue_end=base + cue[1])
            atts.append(att)
        atts.sort(key=lambda a: a["cue_start"])  # type: ignore[arg-type, return-value]
        out.append({"ref": ref, "text_sha256": hashlib.sha256(text.encode()).hexdigest(), "attributions": atts})
    return out


if __name__ == "__main__":
    records = build()
    dest = Path(__file__).with_name("examples.jsonl")
    with dest.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{dest}: {sum(len(r['attributions']) for r in records)} attributions in {len(records)} articles")
