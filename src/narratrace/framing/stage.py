"""Entity framing: which named entities an article casts as protagonist, antagonist or innocent.

A corpus stage after ``claims`` (it reads that stage's ``kind="entity"`` annotations, which an
article stage cannot see, with the parse facts stored on them) and ``sentence_vectors`` (whose
rows are its features: nothing is embedded or parsed again when both ran). Its result is stored
per article, as ``kind="framing"`` annotations: one per entity (by canonical form) that the model
gives a role with enough confidence, with every mention of it. See ``docs/stages.md``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from narratrace.errors import ConfigError
from narratrace.framing.features import MentionContext, contexts, sentences_of
from narratrace.framing.model import DEFAULT_MODEL, MULTILINGUAL_MODEL, load_framing_model, model_for_run
from narratrace.model import Annotation, Article
from narratrace.claims.entities import entity_key, shouting
from narratrace.framing.store import save_framing
from narratrace.framing.syntax import vote
from narratrace.languages import supports
from narratrace.parsing import PARTICIPANT_DEPS
from narratrace.pipeline import CorpusView, stage
from narratrace.vectors import SentenceVectors, encoder_languages, load_sentence_vectors, space_of

__all__ = ["ENTITY_LABELS", "FramingResult", "frame_entities", "make_framing", "repeats", "tagged_mask", "title_case"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

#: Entity kinds that can play a role (people, organisations, countries, groups, places).
ENTITY_LABELS = ("PERSON", "ORG", "GPE", "NORP", "LOC", "NAME")  # NAME: a name found by the cue lexicons (ru, bg, pt, hi)


#: Relations in which a mention is a participant of its clause: it acts, is acted on, or is what
#: the clause is about ("Zelensky wants…", "blame China", "lies about Saddam Hussein's tubes").
_PARTICIPANT_DEPS = PARTICIPANT_DEPS
#: Prepositions of a setting or of a name's parts: "a mosque in Brendale", "the port of Tolvik",
#: "the waters off Skarre" place, they do not cast ("victims of X" still counts: the parse votes).
_SETTING_PREPS = frozenset({"in", "at", "near", "inside", "outside", "across", "throughout", "around", "within",
                            "into", "along", "during", "since", "until", "off", "beyond", "through", "of"})
#: Cues that report without taking a side: their sources are cited, not cast.
_REPORTING_CUES = frozenset("""say says said saying tell tells told telling add adds added adding note notes noted
    noting report reports reported reporting write writes wrote written writing explain explains explained
    state states stated estimate estimates estimated confirm confirms confirmed announce announces announced
    observe observes observed comment comments commented describe describes described recount recounts
    recounted recounting show shows showed shown showing indicate indicates indicated find finds found
    believe believes believed expect expects expected think thinks thought stress stresses stressed
    emphasise emphasises emphasised emphasize emphasizes emphasized highlight highlights highlighted
    remark remarks remarked reply replies replied answer answers answered respond responds responded
    suggest suggests suggested suggesting claim claims claimed claiming argue argues argued arguing caution
    cautions cautioned cautioning""".split()) | {"according to", "pointed out", "points out"}
#: Reporting cues by which a group speaks for itself ("the Kremlin said", "the heads of the IMF and the WTO
#: said in a statement"); not the cues by which an outlet or a study is cited ("Reuters reported",
#: "according to The Namal", "the study found").
_SPEECH_CUES = frozenset("""say says said saying tell tells told telling add adds added adding state states stated
    announce announces announced comment comments commented reply replies replied respond responds responded
    stress stresses stressed emphasise emphasises emphasised emphasize emphasizes emphasized""".split())
#: Lower-case words between an employer and the source it employs ("spokesman", "'s chief of staff").
_ROLE_WORDS = re.compile(r"(?:['’]s)?(?:\s+[a-z][a-z\-]*){1,4}\s+")
_NOT_ROLE_WORDS = frozenset("and or but nor the a an that which who said says told tells according to as by "
                            "with".split())
_LEADING_THE = re.compile(r"^[Tt]he\s+")
#: A capitalised word right after a name: the name is part of a longer one ("Lindholt Herald").
_LONGER_NAME = re.compile(r"[ \t]+[A-Z]")
#: What precedes a byline's name on its line.
_BYLINE = re.compile(r"(?:\bBy|\b(?:[Rr]eporting|[Ww]ritten|[Ee]dited|[Cc]ompiled|[Pp]hotos?|"
                     r"[Pp]ictures?|[Ii]llustrations?|[Ww]ords)\s+by)\s*$")
#: Nouns of actors a nationality adjective stands for ("the Ukrainian government", "British imperialism").
_ACTOR_NOUNS = frozenset("""government governments regime regimes army armies military forces force troops soldiers
    authorities authority officials official leaders leader leadership president ministry ministries state states
    police allies ally elite elites establishment imperialism intelligence navy propaganda propagandists media
    people nationalists nationalist politicians side command commanders junta parliament party parties countries
    nations""".split())
#: Nouns of a people's members a nationality adjective names as a group ("the Vietnamese children abducted",
#: "Palestinian civilians"): the group takes part in the story, not only an adjective of it.
_PEOPLE_NOUNS = frozenset("""children civilians citizens residents refugees families orphans women workers
    farmers migrants prisoners population populations villagers""".split())
#: Verbs whose hyphened participle makes the name before it their agent ("Ankara-backed militants", "a
#: US-led coalition", "the World Economic Forum-aligned government"); "Kyiv-based" places, it does not cast.
_AGENT_PARTICIPLES = frozenset("""back lead align fund sponsor support arm finance control run install bankroll train
    supply direct inspire""".split())
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013")
#: The next word after a mention, on its line.
_NEXT_WORD = re.compile(r"[ \t]*([\w'’\-]+)")
#: The main role a person (or an organisation that speaks) quoted only as a source gets (:func:`_entities`), and the
#: vote's reason.
QUOTED_VOTE = ("Protagonist", "quoted as a source")


#: Entity labels of places: only a place can be the setting of "the port of X"; "of" before a
#: person, organisation or group names who takes part ("the goals of the Forum", "the heads of the IMF").
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
#: Nouns of places: "the port of X", "the harbour of X" make X a setting whatever the tagger calls it.
_PLACE_NOUNS = frozenset("""port ports harbour harbours harbor harbors city cities town towns village villages capital
    region regions province provinces district districts county coast coasts shore shores island islands territory
    territories outskirts suburb suburbs centre center streets area areas border borders waters""".split())


def _participant(text: str, start: int, end: int, facts: Mapping[str, Any] | None, label: str | None = None
                 ) -> bool:
    """Whether the parse shows a name acting, acted on or talked about: not a setting ("in X", "the
    port of X", unless the parse votes: "victims of X"), not a byline ("By Lena Marsk", "Reporting
    by X"), not a lower-case word ("the gulf"), not in a line of capitals ("LEAVE A REPLY").

    ``label``: the entity's label. "of" makes a setting only of a place (a place's label, a place
    noun before it: "the harbour of Sellvik", or no label given); "the goals of the Forum", "the
    heads of the IMF" name an organisation, person or group that takes part.
    """
    name = _LEADING_THE.sub("", text[start:end])
    if not facts or not name[:1].isupper() or shouting(text, start):
        return False
    dep, gov = facts.get("dep"), str(facts.get("gov") or "")
    if dep in ("nmod", "compound", "amod") and gov in _ACTOR_NOUNS:
        return True  # stands for the actors it names ("the Brussels elite": the parse left "elite" an adjective)
    if dep == "npadvmod" and gov in _AGENT_PARTICIPLES and text[end:end + 1] in _HYPHENS:
        return True  # the agent of a hyphened participle: "Ankara-backed militants", "the WEF-aligned government"
    if dep not in _PARTICIPANT_DEPS:
        return False
    if dep == "pobj" and gov == "by":
        return not _BYLINE.search(text[max(0, start - 40):start])
    if dep == "pobj" and gov == "of" and label is not None and label not in _PLACE_LABELS \
            and str(facts.get("gov_head") or "") not in _PLACE_NOUNS:
        return True
    return not (dep == "pobj" and gov in _SETTING_PREPS) or vote(facts) is not None


def _reports(cue: object) -> bool:
    """Whether a claim's cue only reports ("said", "according to"), so its source is cited, not cast;
    a source that accuses, demands, threatens or denies acts in the story ("Opposition leader Anna
    Brekke accused the minister...")."""
    return not cue or " ".join(str(cue).lower().split()) in _REPORTING_CUES


def _speaks(cue: object) -> bool:
    """Whether a claim's cue is its source speaking ("said", "told", "stated"), not an outlet or a
    study being cited ("reported", "according to", "found"): an organisation that speaks is quoted."""
    return bool(cue) and " ".join(str(cue).lower().split()) in _SPEECH_CUES


def _affiliation(text: str, end: int, sources: Sequence[tuple[int, int]]) -> bool:
    """Whether the mention names a cited source's employer: "According to Russian Defense Ministry
    spokesman Igor Konashenkov" cites the spokesman; the ministry is not cast either."""
    for s, _ in sources:
        between = text[end:s] if 0 <= s - end <= 40 else ""
        if _ROLE_WORDS.fullmatch(between) and not set(between.split()) & _NOT_ROLE_WORDS:
            return True
    return False


def _stands_for_actor(facts: Mapping[str, Any] | None) -> bool:
    """Whether a nationality adjective modifies a noun of actors ("the Ukrainian government") or of a
    people's members ("the Vietnamese children", :data:`_PEOPLE_NOUNS`)."""
    return bool(facts) and bool(set(facts.get("words") or ()) & (_ACTOR_NOUNS | _PEOPLE_NOUNS))  # type: ignore[union-attr]


def _names_itself(text: str, end: int, facts: Mapping[str, Any] | None) -> bool:
    """Whether a singular ``NORP`` mention ending at ``end`` is a noun taking part in its clause
    ("Klitschko said", "the Chinese are buying", "hired the Dutch"), not an adjective before a
    noun ("Syrian fighters"): the parse's phrase of an adjective holds the noun it modifies
    (:func:`narratrace.parsing.token_syntax`), so the word after the mention is one of its words.
    Nor one person of that people ("a Syrian from Idlib", "an ethnic Uzbek"): not the group."""
    words = set(facts.get("words") or ()) if facts else set()
    if not facts or facts.get("dep") not in _PARTICIPANT_DEPS or words & {"a", "an"}:
        return False
    after = _NEXT_WORD.match(text, end)
    return not (after and after.group(1).lower() in words)


@dataclass(frozen=True, slots=True)
class FramingResult:
    """Per article ``(article_id, content_hash, data, annotations)``; the runner stores each."""

    rows: tuple[tuple[str, str, dict[str, Any], tuple[Annotation, ...]], ...]


def _entities(article: Article, annotations: Sequence[Annotation], labels: Sequence[str], max_mentions: int,
              min_mentions: int = 2, max_entities: int = 60, once: bool = True
              ) -> dict[str, tuple[str, list[tuple[int, int]], list[tuple[int, int]], bool]]:
    """canonical -> (label, mention spans to classify, every mention span, quoted) of the entities an
    article is about; ``quoted``: a person (or an organisation that speaks) named only as a cited source.

    Kept: entities named at least ``min_mentions`` times, and (``once``) those named fewer times
    whose parse shows them taking part in a clause: subject, object, agent, possessor, object of
    a preposition other than a setting's ("in Brendale"; :func:`_participant`), and a person
    named only as a cited source (``quoted``: the article relays their words; framing votes
    :data:`QUOTED_VOTE` for them), and so is an organisation named only as a cited source that
    speaks itself at least once ("the Kremlin said", "the heads of the IMF and the WTO said";
    not "Reuters reported", "according to the agency": :func:`_speaks`). Not kept: any other
    entity named only as a cited source, that is the source of a claim whose cue just reports ("according to The Namal", "X said": cited,
    not cast; "X accused" acts, :func:`_reports`) or that source's employer ("Russian Defense
    Ministry spokesman Igor Konashenkov"); the article's own outlet (bylines, credit lines); a
    nationality adjective (``NORP`` in the singular, "Syrian fighters"; the plural "Americans" is
    kept) unless it modifies a noun of actors ("the Ukrainian government", "British imperialism",
    "the Democrat party": it stands for the state or the group), of a people's members ("the
    Vietnamese children abducted": the group, :data:`_PEOPLE_NOUNS`) or is itself the noun that takes
    part ("Klitschko said": the tagger's NORP for a person, :func:`_names_itself`). At most
    ``max_entities`` per article, the most mentioned first, and ``max_mentions`` mentions each,
    spread over the article and not cited, are classified; every mention of a kept entity is
    returned too (the role is the entity's, so it is shown, exported and scored at each of them).
    """
    sources = [(int(a.data["source_start"]), int(a.data["source_end"])) for a in annotations
               if a.kind == "claim" and isinstance((a.data or {}).get("source_start"), int)
               and isinstance(a.data.get("source_end"), int) and _reports(a.data.get("cue"))]
    speaking = [(int(a.data["source_start"]), int(a.data["source_end"])) for a in annotations
                if a.kind == "claim" and isinstance((a.data or {}).get("source_start"), int)
                and isinstance(a.data.get("source_end"), int) and _speaks(a.data.get("cue"))]
    spoke: set[str] = set()  # organisations the source of a claim they said themselves ("the Kremlin said")
    found: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    cited: dict[str, int] = {}
    cited_spans: set[tuple[int, int]] = set()
    taking_part: set[str] = set()
    # one sense per article: a name the tagger labels as a person, group or place somewhere and as a product
    # or a work elsewhere ("Ron DeSantis ... the reality of DeSantis/PRODUCT") is the same name there
    framable = {" ".join(article.text[a.start:a.end].split()) for a in annotations
                if a.kind == "entity" and a.label in labels}
    tagged = tagged_mask(article.text, [(a.start, a.end) for a in annotations if a.kind == "entity" and (
        a.label in labels or " ".join(article.text[a.start:a.end].split()) not in framable)])
    named: dict[str, set[tuple[int, int]]] = {}  # canonical -> its mentions under any label ("Restore Wetlands")
    for a in annotations:
        if a.kind == "entity" and a.end > a.start:
            named.setdefault(str((a.data or {}).get("canonical") or "").strip(), set()).add((a.start, a.end))
        if a.kind != "entity" or a.label not in labels or a.end <= a.start:
            continue
        surface = article.text[a.start:a.end]
        facts = (a.data or {}).get("syntax")
        if a.label == "NORP" and not surface.endswith("s") and not _stands_for_actor(facts) \
                and not _names_itself(article.text, a.end, facts):
            continue
        canonical = str((a.data or {}).get("canonical") or surface).strip()
        if not canonical:
            continue
        found.setdefault(canonical, (a.label or "", []))[1].append((a.start, a.end))
        if (any(s <= a.start and a.end <= e for s, e in sources) or _affiliation(article.text, a.end, sources)) \
                and vote(facts) is None:  # a source whose own clause casts it ("X and Y lied when they said") acts
            cited[canonical] = cited.get(canonical, 0) + 1
            cited_spans.add((a.start, a.end))
            if a.label == "ORG" and any(s <= a.start and a.end <= e for s, e in speaking):
                spoke.add(canonical)
        elif _participant(article.text, a.start, a.end, facts, a.label):
            taking_part.add(canonical)
    outlet = entity_key(article.outlet or "")
    quoted = {c for c, v in found.items() if (v[0] == "PERSON" or (v[0] == "ORG" and c in spoke))
              and cited.get(c, 0) >= len(v[1])}
    kept = {c: v for c, v in found.items()
            if entity_key(c) != outlet and (c in quoted or (
                cited.get(c, 0) < len(v[1]) and (len(v[1]) >= min_mentions or (once and c in taking_part))))}
    ranked = sorted(kept, key=lambda c: (-len(kept[c][1]), kept[c][1][0][0]))[:max_entities]
    out = {}
    for canonical in sorted(ranked, key=lambda c: kept[c][1][0][0]):
        label, every = kept[canonical]
        spans = every if canonical in quoted else [sp for sp in every if sp not in cited_spans]
        if len(spans) > max_mentions:
            step = len(spans) / max_mentions
            spans = [spans[int(i * step)] for i in range(max_mentions)]
        mentions = set(every) | named.get(canonical, set())
        out[canonical] = (label, spans, sorted(mentions | repeats(article.text, mentions, tagged)),
                          canonical in quoted)
    return out


def tagged_mask(text: str, spans: Iterable[tuple[int, int]]) -> bytearray:
    """One byte per character of ``text``: 1 inside one of ``spans`` (what the entity tagger found)."""
    mask = bytearray(len(text))
    for s, e in spans:
        s, e = max(0, s), min(len(text), e)
        if e > s:
            mask[s:e] = b"\x01" * (e - s)
    return mask


def repeats(text: str, mentions: Iterable[tuple[int, int]], tagged: bytearray) -> set[tuple[int, int]]:
    """Other places where ``text`` names an entity in the words of one of its ``mentions``, where
    the entity tagger found nothing (``tagged``: :func:`tagged_mask` of every span it found). A
    tagger misses repeats of a name it found once ("the West", "Spiked" a second time); the role
    is the entity's, so they are its mentions too. Only names starting with a capital letter, as
    whole words (``"Russia's"`` counts, ``"Russian"`` does not), not followed by another
    capitalised word (``"Lindholt Herald"`` is another name; except in a headline in title case,
    "Putin Says West Prepared To...", where every word is capitalised: :func:`title_case`) and
    not in a line of capitals."""
    surfaces = {_LEADING_THE.sub("", " ".join(text[s:e].split())) for s, e in mentions}
    surfaces = {x for x in surfaces if len(x) > 1 and x[:1].isupper()}
    if not surfaces:
        return set()
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in x.split())
                            for x in sorted(surfaces, key=len, reverse=True))
    out = set()
    for m in re.finditer(rf"(?<![\w\-])(?:{alternatives})(?![\w\-])", text):
        if any(tagged[m.start():m.end()]) or shouting(text, m.start()) or (
                _LONGER_NAME.match(text, m.end()) and not title_case(text, m.start())):
            continue
        out.add((m.start(), m.end()))
    return out


#: Words a headline in title case may leave in lower case.
_TITLE_SMALL_WORDS = frozenset("a an the of to for in on at by and or nor but vs via with from as per".split())
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")


def title_case(text: str, pos: int) -> bool:
    """Whether the line around ``pos`` is a headline in title case: at least four words, each
    capitalised but for short function words ("Putin Says West Prepared To Scapegoat Zelensky For
    War Failures"). There a capital after a name does not make it part of a longer name."""
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    words = _WORD.findall(text[a:b if b >= 0 else len(text)])
    return len(words) >= 4 and all(w[0].isupper() or w.lower() in _TITLE_SMALL_WORDS for w in words)


def frame_entities(batch: Sequence[tuple[Article, Sequence[Annotation]]], *, model: str | None = None,
                   min_score: float = 0.35, max_mentions: int = 6, min_mentions: int = 2, max_entities: int = 60,
                   once: bool = True, labels: Sequence[str] = ENTITY_LABELS,
                   stored: Mapping[str, SentenceVectors] | None = None
                   ) -> list[tuple[dict[str, Any], tuple[Annotation, ...]]]:
    """``(data, framing annotations)`` per article of ``batch`` (articles with their entity annotations).

    ``stored``: the articles' sentence vectors (``sentence_vectors``), by article id; an article
    without them has its sentences embedded here.

    Each entity's mentions are classified; their probabilities are averaged; the entity gets the
    main role with the highest mean (if at least ``min_score``) and the fine roles of that main
    role. The evidence is the sentence of the mention most typical of that role.
    """
    loaded, _ = load_framing_model(model)
    plan = []
    ctx: list[MentionContext] = []
    docs = []
    facts: list[dict[str, Any] | None] = []
    for article, annotations in batch:
        entities = _entities(article, annotations, labels, max_mentions, min_mentions, max_entities, once)
        spans = [s for _, (_, ss, _, _) in entities.items() for s in ss]
        first = len(ctx)
        sentences = article.sentences or sentences_of(article.text)
        found = contexts(article.text, spans, sentences)
        ctx += found
        docs.append((article.text, sentences, found, (stored or {}).get(article.id)))
        syntax = {(a.start, a.end): (a.data or {}).get("syntax") for a in annotations if a.kind == "entity"}
        facts += [syntax.get(sp) for sp in spans]
        plan.append((article, entities, first, syntax))
    if ctx:
        main_p, fine_p = loaded.probabilities(loaded.features_of(docs))
        votes = loaded.votes(ctx, facts)  # the parse (stored by claims): who does what to whom
    else:
        main_p = fine_p = np.zeros((0, 0), dtype=np.float32)
        votes = []
    out = []
    for article, entities, first, syntax in plan:
        if not entities:
            out.append(({"entities": 0, "framed": 0, "model": loaded.name,
                         "skipped": "no salient named entity (none named at least min_mentions times "
                                    "or taking part in a clause)"}, ()))
            continue
        anns = []
        pos = first
        for canonical, (label, spans, every, quoted) in entities.items():
            rows = slice(pos, pos + len(spans))
            pos += len(spans)
            if quoted:  # named only as a source the article quotes: its voice (a model without votes ignores it)
                votes[rows] = [QUOTED_VOTE] * len(spans)
            prediction = loaded.decide(loaded.combine(main_p[rows], votes[rows]), fine_p[rows].mean(axis=0))
            if prediction.score < min_score:
                continue
            k = loaded.main_classes.index(prediction.main_role)
            # evidence: a mention whose parse votes for the role, else the one the classifier is surest of
            typical = main_p[rows][:, k] + np.array([v is not None and v[0] == prediction.main_role
                                                     for v in votes[rows]], dtype=np.float32)
            best = int(np.argmax(typical))
            evidence = ctx[rows.start + best]
            reasons = sorted({v[1] for v in votes[rows] if v is not None and v[0] == prediction.main_role})
            own = _mention_roles(every, syntax, prediction.main_role) if loaded.rule_weight > 0 and not quoted else []
            anns.append(Annotation("framing", evidence.start, evidence.end, prediction.main_role, {
                "entity": canonical, "entity_label": label, "main_role": prediction.main_role,
                "fine_roles": list(prediction.fine_roles), "score": round(prediction.score, 4),
                "main_scores": prediction.main_scores, "fine_scores": prediction.fine_scores,
                "evidence_start": evidence.sentence.start, "evidence_end": evidence.sentence.end,
                "mentions": len(spans), "spans": [list(sp) for sp in every], "parse": reasons,
                "model": loaded.name, **({"mention_roles": own} if own else {})}))
        anns.sort(key=lambda a: (a.start, a.end))
        out.append(({"entities": len(entities), "framed": len(anns), "model": loaded.name}, tuple(anns)))
    return out


def _mention_roles(spans: Iterable[tuple[int, int]], syntax: Mapping[tuple[int, int], Any], role: str
                   ) -> list[list[Any]]:
    """``[start, end, main role, reason]`` of each mention of ``spans`` whose own parse votes for
    another role than the entity's ``role``: "Russia invaded..." and, later, "the West blames Russia
    for..." cast Russia one way overall and as the one blamed in that sentence. The entity keeps its
    role; the mention's own clause is the stronger evidence for that mention (a model that reads
    votes gives a lone mention its vote's role too, :meth:`FramingModel.blend`)."""
    out = []
    for s, e in spans:
        v = vote(syntax.get((s, e)))
        if v is not None and v[0] != role:
            out.append([s, e, v[0], v[1]])
    return out


def _version() -> str:
    """The stage version, with the shipped default's weights hash: new default weights re-run the stage.

    (A model given as a directory is hashed by the pipeline from its card; one given by name is not.)
    v2: which entities take part and which mentions are theirs changed ("of" before a non-place,
    untagged repeats), so stores framed before re-run the stage. v3: names the tagger missed
    (``NAME`` mentions of the claims stage, claims.rules.v6) are framed. v4: a person named only as
    a cited source is framed (the quoted-source vote), and so is a singular ``NORP`` that is itself
    the noun taking part ("Klitschko said") or modifies "party". v5: a cited source whose own clause
    casts it, a name modifying "elite" or before "-backed"/"-led", a nationality before "countries" are
    framed, and a mention whose own parse votes for another role than its entity's carries that role
    (``mention_roles``); a name tagged a product or work where it is a person's, group's or place's elsewhere
    in the article is that entity's mention. v6: an organisation named only as a cited source that speaks
    itself ("the Kremlin said") is framed as the article's voice (the quoted-source vote), a nationality
    adjective before a noun of a people's members ("the Vietnamese children") is framed, and a headline in
    title case holds its entities' repeats ("Putin Says West Prepared To..."). v7: "communist" casts the name it
    modifies ("mined in Communist China": the parse votes, so a setting named once takes part).
    """
    from narratrace.errors import ConfigError as _ConfigError
    from narratrace.cards import load_card, shipped_models_dir

    hashes = []
    for name in (DEFAULT_MODEL, MULTILINGUAL_MODEL):
        try:
            hashes.append(str(load_card(shipped_models_dir() / "framing" / name).get("weights_sha256") or "")[:8])
        except _ConfigError:
            hashes.append("")
    return "framing.v7." + ".".join(hashes) if any(hashes) else "framing.v7"


@stage("framing", version=_version(), level="corpus", requires=["article.entities", "article.sentences"],
       produces=["article.framing"], save=save_framing, encoder=True, uses=["article.sentence_vectors"],
       default_config={"model": DEFAULT_MODEL, "min_score": 0.35, "max_mentions": 6, "min_mentions": 2,
                       "max_entities": 60, "once": True, "labels": list(ENTITY_LABELS), "claims_stage": "claims",
                       "chunk": 128, "languages": ["*"]})
def make_framing(*, model: str, min_score: float, max_mentions: int, min_mentions: int, max_entities: int,
                 once: bool, labels: Sequence[str], claims_stage: str, chunk: int, languages: Sequence[str] = ("*",)
                 ) -> Callable[..., FramingResult]:
    """Main role (protagonist / antagonist / innocent) and fine roles of each named entity, with evidence.

    ``languages``: the shipped roles model reads English cues and parse facts; the pipeline records
    articles in other languages as not analysed (``pipeline.stage_languages``).
    """
    if not 0.0 <= float(min_score) <= 1.0:
        raise ConfigError(f"framing: min_score must be between 0 and 1, not {min_score!r}")
    if int(max_mentions) < 1:
        raise ConfigError(f"framing: max_mentions must be at least 1, not {max_mentions!r}")
    model = model_for_run(model)  # the shipped default in the run's vector space (e5: every language)
    loaded, _ = load_framing_model(model)  # a missing or broken model fails before any article is read
    readable = encoder_languages(space_of(loaded.encoder))  # its vectors mean something in these only
    allowed = tuple(x for x in readable if supports(languages, x)) if readable is not None else tuple(languages)

    job = _FramingJob(model=model, min_score=float(min_score), max_mentions=int(max_mentions),
                      min_mentions=int(min_mentions), max_entities=int(max_entities), once=bool(once),
                      labels=tuple(labels), claims_stage=claims_stage, allowed=allowed)
    fork_safe = getattr(loaded, "fork_safe", True)

    def frame(corpus: CorpusView, *, new_ids: Sequence[str],
              progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> FramingResult:
        from narratrace.vectors import active_encoder

        parts = [list(new_ids[n:n + chunk]) for n in range(0, len(new_ids), chunk)]
        pool = None
        if (workers > 1 and len(parts) > 1 and getattr(corpus, "shareable", False) and fork_safe
                and getattr(active_encoder(), "fork_safe", False)):
            from narratrace.workers import fork_pool

            pool = fork_pool(workers, _framing_init, (getattr(corpus, "path"), job))
            results: Iterable[list[tuple[str, str, Any, tuple[Annotation, ...]]]] = pool.imap(_framing_run, parts)
        else:
            results = (job.rows(corpus, ids) for ids in parts)
        rows = []
        try:
            for n, part in enumerate(results, start=1):
                rows.extend(part)
                if progress:
                    progress("framing", min(n * chunk, len(new_ids)), len(new_ids))
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
        log.info("framing: %d articles", len(rows))
        return FramingResult(tuple(rows))
    return frame


@dataclass(frozen=True)
class _FramingJob:
    """The stage's settings, for a chunk of articles read and framed here or in a forked worker (the
    articles of a chunk are independent: framing reads each article's own claims, parse facts and vectors)."""

    model: str
    min_score: float
    max_mentions: int
    min_mentions: int
    max_entities: int
    once: bool
    labels: tuple[str, ...]
    claims_stage: str
    allowed: tuple[str, ...]

    def rows(self, corpus: CorpusView, ids: Sequence[str]) -> list[tuple[str, str, Any, tuple[Annotation, ...]]]:
        rows: list[tuple[str, str, Any, tuple[Annotation, ...]]] = []
        batch = []
        for a in corpus.articles(ids):
            if supports(self.allowed, a.language):
                batch.append((a, corpus.annotations(a.id, stage=self.claims_stage)))
            else:  # a model fitted on another encoder's vectors cannot read this language
                rows.append((a.id, a.content_hash, {"not_analysed": f"language {a.language or 'und'}"}, ()))
        stored = load_sentence_vectors(corpus, [a.id for a, _ in batch])
        for (article, _), (data, anns) in zip(batch, frame_entities(
                batch, model=self.model, min_score=self.min_score, max_mentions=self.max_mentions,
                min_mentions=self.min_mentions, max_entities=self.max_entities, once=self.once,
                labels=self.labels, stored=stored)):
            rows.append((article.id, article.content_hash, data, anns))
        return rows


_WORKER: dict[str, Any] = {}


def _framing_init(path: str, job: _FramingJob) -> None:
    from narratrace.store import open_store

    _WORKER["corpus"], _WORKER["job"] = open_store(path, readonly=True), job


def _framing_run(ids: Sequence[str]) -> list[tuple[str, str, Any, tuple[Annotation, ...]]]:
    return _WORKER["job"].rows(_WORKER["corpus"], ids)
