"""Attribution: who a sentence says a claim comes from, by which cue, quoted or not.

The model is PolNeAR's (Newell et al., LREC 2018): an attribution has a **source** (who), a
**cue** (the verb or phrase: "said", "according to", "in ... opinion") and a **content** (what).
Here the content is the claim sentence; for each sentence we find its cues on the dependency
parse and pick the one the sentence as a whole is attributed by:

* a reporting verb with its subject ("The SVR specified that ..."), passive agent ("This was
  reported by The Guardian"), inverted subject ("... , said Mara Kettil") or inherited subject
  ("... , stating that ...");
* "according to X"; "in X's opinion / view / words";
* impersonal passives with no source ("it was reported that", "is said to"): kind ``anonymous``;
* "there were reports that ...".

Cues inside quotation marks belong to the quoted speaker and are ignored; cues in relative
clauses or noun phrases do not attribute the sentence. Of several cues the one with a named
source wins, then the outermost ("According to a Telegram channel, the movement confirmed ..." is
attributed to the channel, which is what the article vouches for).

Sources are resolved within the article: pronouns ("he said") to the speaker before, or to a nearer
person who is the subject of a main clause in the same paragraph,
short forms ("the intelligence service", "the ministry", "the militia") to the nearest earlier
entity whose description contains them, document nouns ("the statement said", "its sources") to
their issuer, capital cities speaking ("Washington has insisted") to their governments.
Attribution then carries across sentences where the text does: a quote running over several
sentences, a quoted paragraph right after its speaker was cited, "This was reported by X" (to
the sentences before), a report "on" a topic followed by its details, a hedged sentence right
after a cited one.

:func:`evaluate` scores predicted source and cue spans against gold spans (exact or overlap).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from narratrace.claims.entities import HONORIFIC as _HONORIFIC, AliasTable, EntityMention, clean_name, entity_key

if TYPE_CHECKING:
    from spacy.tokens import Token

    from narratrace.parsing import Unit

__all__ = ["CAPITAL_METONYMS", "CUE_VERBS", "NO_ATTRIBUTION", "Attribution", "attribute_units", "evaluate",
           "find_quotes", "predictions_from_claims", "quote_kind"]

#: Lemmas of reporting verbs (PolNeAR's cues, plus those frequent in news about conflicts).
CUE_VERBS = frozenset({
    "say", "claim", "report", "warn", "state", "reveal", "specify", "conclude", "believe", "insist", "accuse",
    "tell", "write", "announce", "confirm", "indicate", "add", "note", "explain", "argue", "allege", "assert",
    "suggest", "deny", "acknowledge", "admit", "declare", "point", "estimate", "demand", "assure", "hint",
    "describe", "call", "mention", "detail", "cite", "emphasize", "emphasise", "stress", "predict", "testify",
    "threaten", "urge", "promise", "pledge", "maintain", "contend", "think", "fear", "expect", "tweet",
    "post", "publish", "show", "reiterate", "observe", "recall", "remark", "respond", "reply", "disclose",
    "dismiss", "reject", "complain", "inform", "brief", "quote", "comment", "affirm", "boast", "caution",
    "agree", "charge", "signal", "underline", "highlight", "clarify", "recount", "suspect", "assess",
    "consider", "repeat", "order", "ask", "request", "propose",
})
# believe/think...: an attribution only with a clause ("Castel believes [that] ..."), not "believe this".
_NEED_CLAUSE = frozenset({"believe", "think", "fear", "expect", "suspect", "consider", "assess", "agree", "show",
                          "hope", "order", "ask", "request", "propose", "add", "note", "recall", "observe",
                          "mention", "respond", "reply", "comment", "charge", "quote", "cite", "point"})
_OPINION_NOUNS = frozenset({"opinion", "view", "words", "assessment", "estimation", "estimate", "judgement",
                            "judgment", "understanding", "account", "telling", "version", "analysis"})
_CLAIM_NOUNS = frozenset({"report", "reports", "claim", "claims", "allegation", "allegations", "rumour",
                          "rumours", "rumor", "rumors", "indication", "indications", "suggestion", "suggestions"})
_DOC_NOUNS = frozenset({"statement", "statements", "report", "reports", "communique", "communiqué", "release",
                        "document", "documents", "data", "record", "records", "information", "intelligence",
                        "letter", "memo", "note", "post", "posts", "message", "video", "footage", "analysis",
                        "study", "survey", "assessment", "figures", "evidence", "tweet", "article",
                        "publication", "bulletin", "readout", "transcript", "interview", "address", "briefing",
                        "declaration", "announcement", "notice", "account", "findings", "sources", "source"})
_SOCIAL = frozenset({"telegram", "twitter", "facebook", "vk", "vkontakte", "youtube", "tiktok", "instagram",
                     "whatsapp", "weibo", "wechat", "blog", "blogger", "bloggers", "tweet", "tweets", "x"})
_MEDIA = frozenset({"newspaper", "newspapers", "daily", "weekly", "magazine", "portal", "outlet", "outlets",
                    "website", "site", "broadcaster", "tv", "television", "radio", "news", "media", "press",
                    "journal", "tabloid", "wire", "publication", "gazette", "newswire", "channel", "reporter",
                    "reporters", "journalist", "journalists", "correspondent", "correspondents", "editor",
                    "columnist"})
_GOV = frozenset({"ministry", "minister", "government", "administration", "authorities", "authority",
                  "intelligence", "department", "office", "embassy", "ambassador", "army", "military", "forces",
                  "command", "police", "customs", "parliament", "congress", "senate", "committee", "council",
                  "kremlin", "pentagon", "cabinet", "presidency", "president", "chancellor", "prosecutor",
                  "prosecutors", "court", "commission", "directorate", "navy", "guard", "regime", "state",
                  "services", "service", "agency", "governor", "mayor", "municipality", "ministries"})
_ORG = frozenset({"group", "groups", "movement", "militia", "organisation", "organization", "party", "union",
                  "company", "firm", "corporation", "holdings", "fund", "mission", "association", "foundation",
                  "institute", "charity", "network", "coalition", "alliance", "faction", "battalion", "brigade",
                  "division", "legion", "front", "club", "church", "university", "bank", "ngo", "team",
                  "operator", "federation", "society", "centre", "center", "consultancy", "insurer", "insurers"})
# The last word of a company's or body's name, which the tagger may still take for a person ("Nordhavn Line").
_ORG_NAME_ENDS = frozenset({"line", "lines", "group", "holdings", "ltd", "inc", "corp", "corporation", "company",
                            "bank", "airlines", "airways", "shipping", "logistics", "partners", "llc", "plc", "gmbh",
                            "union", "federation", "association", "foundation", "institute", "council", "agency"})
_ANON_HEADS = frozenset({
    "source", "sources", "official", "officials", "expert", "experts", "analyst", "analysts", "observer",
    "observers", "diplomat", "diplomats", "insider", "insiders", "person", "people", "witness", "witnesses",
    "resident", "residents", "report", "reports", "rumour", "rumours", "rumor", "rumors", "someone", "somebody",
    "critic", "critics", "commentator", "commentators", "activist", "activists", "spokesman", "spokesperson",
    "spokeswoman", "spokespeople", "representative", "representatives", "member", "members", "officer",
    "officers", "deputy", "deputies", "lawmaker", "lawmakers", "worker", "workers", "driver", "drivers",
    "owner", "pilot", "man", "woman", "men", "women", "veteran", "veterans", "commander", "commanders",
    "militant", "militants", "fighter", "fighters", "leader", "leaders", "employee", "employees", "staff",
    "colleague", "colleagues", "informant", "informants", "mps", "mp", "politician", "politicians",
    "investigator", "investigators", "inspector", "inspectors", "chandler", "onlookers", "locals", "users",
    "user", "account", "accounts", "information", "data", "intelligence", "claims", "allegations",
    "statement", "records", "documents", "evidence", "figures", "study", "survey", "analysis", "anyone",
    "nobody", "everyone", "they", "ringleaders", "ringleader", "scientists", "researchers", "doctors", "medics", "specialists",
})
_PERSON_ROLES = frozenset({"spokesman", "spokesperson", "spokeswoman", "minister", "president", "chancellor",
                           "secretary", "director", "chief", "head", "general", "colonel", "officer", "veteran",
                           "expert", "analyst", "adviser", "advisor", "ambassador", "leader", "commander",
                           "deputy", "lawmaker", "senator", "mp", "pastor", "consultant", "agent", "chair",
                           "chairman", "chairwoman", "governor", "mayor", "journalist", "reporter", "editor",
                           "correspondent", "professor", "researcher", "activist", "member", "official",
                           "manager", "captain", "striker", "owner", "driver", "pilot", "citizen", "resident"})
_NP_CUT_PREPS = frozenset({"in", "on", "at", "during", "after", "before", "since", "via", "through", "with",
                           "amid", "over", "under", "following", "last", "earlier", "later", "by", "into",
                           "about", "outside", "inside", "near"})
_PRONOUNS_PERSON = frozenset({"he", "she", "him", "her"})
_PRONOUNS_THING = frozenset({"it", "they", "them"})
_AUTHOR_PRONOUNS = frozenset({"i", "we", "you", "me", "us"})
_RELATIVES = frozenset({"who", "which", "that", "whom"})
# pro-forms that head a source only with what follows them ("those who oppose the deal")
_PRO_FORMS = frozenset({"those", "some", "many", "others", "several", "one", "all", "most"})
_DEMONSTRATIVES = frozenset({"this", "that", "these", "those", "which"})
_NAMED_KINDS = frozenset({"person", "organisation", "government", "media", "social_media"})
_QUOTE_MIN_WORDS = 4

#: Capital cities standing for their governments when they speak ("Washington has insisted ...").
#: Used for attribution sources only: as entities, the cities keep their own canonical form.
CAPITAL_METONYMS: Mapping[str, str] = {
    "washington": "United States", "moscow": "Russia", "kyiv": "Ukraine", "kiev": "Ukraine",
    "damascus": "Syria", "ankara": "Turkey", "beijing": "China", "tehran": "Iran", "london": "United Kingdom",
    "paris": "France", "berlin": "Germany", "brussels": "European Union", "baghdad": "Iraq",
    "riyadh": "Saudi Arabia", "doha": "Qatar", "cairo": "Egypt", "amman": "Jordan", "beirut": "Lebanon",
    "warsaw": "Poland", "budapest": "Hungary", "minsk": "Belarus", "pyongyang": "North Korea",
    "seoul": "South Korea", "tokyo": "Japan", "new delhi": "India", "islamabad": "Pakistan", "kabul": "Afghanistan",
    "rome": "Italy", "madrid": "Spain", "tbilisi": "Georgia", "baku": "Azerbaijan", "yerevan": "Armenia",
    "chisinau": "Moldova", "vilnius": "Lithuania", "riga": "Latvia", "tallinn": "Estonia", "bucharest": "Romania",
    "sofia": "Bulgaria", "belgrade": "Serbia", "pristina": "Kosovo", "tripoli": "Libya", "khartoum": "Sudan",
}


@dataclass(frozen=True, slots=True)
class Attribution:
    """The attribution of one claim (all offsets into the article text)."""

    source: str | None
    source_start: int | None
    source_end: int | None
    source_canonical: str | None
    source_kind: str
    source_role: str | None
    cue: str | None
    cue_start: int | None
    cue_end: int | None
    quote: str = "none"
    carried: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "source_canonical": self.source_canonical, "source_kind": self.source_kind,
                "source_start": self.source_start, "source_end": self.source_end, "source_role": self.source_role,
                "cue": self.cue, "cue_start": self.cue_start, "cue_end": self.cue_end, "quote": self.quote,
                "carried": self.carried}


NO_ATTRIBUTION = Attribution(None, None, None, None, "none", None, None, None, None, "none", False)


# -- quotes --------------------------------------------------------------------------------------
def find_quotes(text: str, paragraphs: Sequence[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Character ranges of quotations (“…”, «…», „…“, "…"), each within one paragraph.

    The range covers the quotation marks. An opening mark left unclosed runs to the end of its
    paragraph (the convention for quotes spanning paragraphs). Single quotes are ignored: they
    are scare quotes or apostrophes far more often than quotations.
    """
    if paragraphs is None:
        paragraphs = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    out = []
    for pa, pb in paragraphs:
        open_at: int | None = None
        closer = ""
        for i in range(pa, pb):
            c = text[i]
            if c not in "“”«»„\"":
                continue
            if open_at is None:
                if c in "“«„":
                    open_at, closer = i, {"“": "”", "«": "»", "„": "“”"}[c]
                elif c == '"' and (i == pa or not text[i - 1].isalnum()) and i + 1 < pb and not text[i + 1].isspace():
                    open_at, closer = i, '"'
            elif c in closer and (c != '"' or i + 1 >= pb or not text[i + 1].isalnum()):
                out.append((open_at, i + 1))
                open_at = None
            elif c in "“«„" and closer != "“”":  # a new quote opens: the last one was never closed
                out.append((open_at, i))
                open_at, closer = i, {"“": "”", "«": "»", "„": "“”"}[c]
        if open_at is not None:
            out.append((open_at, pb))
    return out


def quote_kind(text: str, start: int, end: int, quotes: Sequence[tuple[int, int]]) -> str:
    """"direct" when ``[start, end)`` holds at least four quoted words, else "indirect"."""
    for a, b in quotes:
        lo, hi = max(a, start), min(b, end)
        if hi > lo and len(re.findall(r"\w+", text[lo:hi])) >= _QUOTE_MIN_WORDS:
            return "direct"
    return "indirect"


# -- referents: what short forms and pronouns can point back to -----------------------------------
@dataclass(frozen=True, slots=True)
class _Referent:
    pos: int
    canonical: str
    kind: str
    words: frozenset[str]
    is_source: bool
    named: bool = True
    subject: bool = False  # the subject of its sentence's main clause ("Erik Tolle was gracious in defeat")
    paragraph: int = -1


def _lemma_words(text: str) -> frozenset[str]:
    out = set()
    for w in re.findall(r"[^\W\d_]+", text.lower()):
        out.add(w)
        if len(w) > 3 and w.endswith("s"):
            out.add(w[:-1])
    return frozenset(out)


class _Memory:
    """Entities and sources seen so far in the article, in text order.

    An entity is remembered with the words of its noun phrase ("the Shia militia Ashab
    al-Kahf"), so that a later short form ("the militia") can find it.
    """

    def __init__(self, text: str, mentions: Sequence[EntityMention], units: Sequence[Unit] = ()) -> None:
        self.text = text
        self.items: list[_Referent] = []
        token_at: dict[int, Token] = {}
        for u in units:
            for t in u.tokens:
                token_at[u.end_of(t)] = t
        unit_starts = [u.start for u in units]
        self._units = list(units)
        self._unit_starts = unit_starts
        # one sense per article: a name the tagger labels now PERSON, now GPE keeps its most frequent label
        # ("Veloria announced" tagged PERSON among a dozen GPE "Veloria"s speaks for a government)
        counts = Counter((m.canonical, m.label) for m in mentions)
        self._label_counts = counts
        self._labels: dict[str, tuple[str, int]] = {}
        for (canonical, label), n in counts.items():
            if n > self._labels.get(canonical, ("", 0))[1]:
                self._labels[canonical] = (label, n)
        for m in mentions:
            if m.label not in ("PERSON", "ORG", "GPE", "FAC", "NORP", "PRODUCT"):
                continue
            start = m.start
            head = token_at.get(m.end)
            subject = False
            if head is not None:
                u = units[bisect.bisect_right(unit_starts, m.start) - 1]
                left = head.left_edge
                if left.i < head.i:
                    start = min(start, u.start_of(left))
                subject = head.dep_ in ("nsubj", "nsubjpass") and head.head.dep_ == "ROOT"
            words = _lemma_words(text[start:m.end])
            kind = m.kind or {"PERSON": "person", "GPE": "government", "NORP": "anonymous"}.get(m.label) or (
                "media" if words & _MEDIA else "government" if words & _GOV else "organisation")
            self.items.append(_Referent(m.start, m.canonical, kind, words, False, subject=subject,
                                        paragraph=self.paragraph_of(m.start)))
        self.items.sort(key=lambda r: r.pos)
        self._positions = [r.pos for r in self.items]
        self.gender: dict[str, str] = {}  # person canonical -> "he"/"she", learned from resolved pronouns

    def label_of(self, mention: EntityMention) -> str:
        """The label the article gives ``mention``'s name most often (its own when it is as frequent)."""
        label, n = self._labels.get(mention.canonical, (mention.label, 0))
        return label if n > self._label_counts.get((mention.canonical, mention.label), 0) else mention.label

    def paragraph_of(self, pos: int) -> int:
        """The paragraph of the unit at ``pos`` (-1 before the first unit)."""
        i = bisect.bisect_right(self._unit_starts, pos) - 1
        return self._units[i].paragraph if i >= 0 else -1

    def add_source(self, pos: int, canonical: str, kind: str, description: str, named: bool = True) -> None:
        i = bisect.bisect_right(self._positions, pos)
        self.items.insert(i, _Referent(pos, canonical, kind, _lemma_words(description), True, named))
        self._positions.insert(i, pos)

    def before(self, pos: int) -> Iterable[_Referent]:
        i = bisect.bisect_left(self._positions, pos)
        for j in range(i - 1, -1, -1):
            yield self.items[j]


# -- one sentence ----------------------------------------------------------------------------------
@dataclass(slots=True)
class _Source:
    start: int
    end: int
    text: str
    canonical: str | None
    kind: str
    role: str | None
    description: str  # the whole noun phrase, for later short forms
    named: bool = True  # False for a plain description ("a Velorian diplomat"), not worth remembering


@dataclass(slots=True)
class _Cand:
    cue_start: int
    cue_end: int
    cue: str
    source: _Source | None
    kind: str
    depth: float
    topic_only: bool = False
    backward: bool = False  # "This was reported by X": the content is the sentences before


class _Sentence:
    """Cue finding on one unit, with access to the article's entities, quotes and memory."""

    def __init__(self, unit: Unit, text: str, mentions: Sequence[EntityMention],
                 mention_starts: Sequence[int], quotes: Sequence[tuple[int, int]], memory: _Memory,
                 table: AliasTable) -> None:
        self.u = unit
        self.text = text
        self.mentions = mentions
        self.mention_starts = mention_starts
        self.quotes = [(a, b) for a, b in quotes if a < unit.end and b > unit.start]
        self.memory = memory
        self.table = table

    def _final_clause(self, v: Token) -> bool:
        """Whether ``v`` heads a reporting clause that closes the sentence after a comma or quote."""
        doc = v.doc
        left = v.left_edge.i
        if v.dep_ == "acl" and v.head.i < v.i and not any(c.dep_ == "nsubj" for c in v.children):
            left = v.head.left_edge.i  # "..., the committee's chair announced": parsed as "chair [who] announced"
        elif not any(c.dep_ == "nsubj" for c in v.children):
            return False
        if left == 0:
            return False
        if doc[left - 1].text not in (",", "”", '"', "’"):
            return False
        rest = [t for t in self.u.tokens if t.i > v.right_edge.i]
        return all(t.is_punct for t in rest)

    @property
    def question(self) -> bool:
        return self.text[self.u.start:self.u.end].rstrip(" \"'”’»)").endswith("?")

    def _quote_after(self, v: Token) -> bool:
        p = self.e(v)
        return any(a >= p and len(re.findall(r"\w+", self.text[a:b])) >= _QUOTE_MIN_WORDS for a, b in self.quotes)

    # offsets
    def s(self, t: Token) -> int:
        return self.u.start_of(t)

    def e(self, t: Token) -> int:
        return self.u.end_of(t)

    def in_quote(self, t: Token) -> bool:
        p = self.s(t)
        return any(a < p < b for a, b in self.quotes)

    def mention_at(self, t: Token) -> EntityMention | None:
        p = self.s(t)
        i = bisect.bisect_right(self.mention_starts, p) - 1
        if i >= 0 and self.mentions[i].start <= p < self.mentions[i].end:
            return self.mentions[i]
        return None

    # the cues of the sentence
    def candidates(self) -> list[_Cand]:
        out = []
        toks = self.u.tokens
        for k, t in enumerate(toks):
            if self.in_quote(t) or t.is_punct:
                continue
            low = t.lower_
            if low == "according" and k + 1 < len(toks) and toks[k + 1].lower_ == "to":
                c = self._according(t, toks[k + 1])
            elif low in _OPINION_NOUNS and t.dep_ == "pobj":
                c = self._opinion(t)
            elif low in _CLAIM_NOUNS and t.dep_ == "attr" and any(x.dep_ == "expl" for x in t.head.children):
                c = self._there_were_reports(t)
            elif t.pos_ in ("VERB", "AUX") and t.lemma_.lower() in CUE_VERBS:
                c = self._verb(t)
            elif t.pos_ == "NOUN" and low in _NOMINAL_CUES:
                c = self._nominal(t)
            elif t.dep_ == "ROOT" and t.pos_ in ("NOUN", "PROPN") and low in _SURFACE_CUES:
                c = self._mistagged_root(t)
            else:
                continue
            if c is not None:
                out.append(c)
        return out

    def _according(self, according: Token, to: Token) -> _Cand | None:
        depth = _depth(according)
        if depth is None:  # attached to a noun: "... two per cent of output, according to ..."
            verb = according.head
            while verb.head.i != verb.i and verb.pos_ not in ("VERB", "AUX"):
                verb = verb.head
            depth = _depth(verb) if verb.pos_ in ("VERB", "AUX") or verb.dep_ == "ROOT" else None
            if depth is None:
                return None
        pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
        if pobj is None:  # the parser lost the object: the words up to the comma
            toks = []
            for t in self.u.tokens:
                if t.i <= to.i:
                    continue
                if t.is_punct and t.text != "-" or t.pos_ in ("VERB", "AUX") and t.tag_ != "VBN":
                    break
                toks.append(t)
            nouns = [t for t in toks if t.pos_ in ("NOUN", "PROPN", "PRON")]
            if not nouns:
                return None
            src = self._source_from_tokens(toks, nouns[-1])
        else:
            src = self._source_np(pobj, extra=[c for c in according.children if c.dep_ in ("dep", "appos", "npadvmod")
                                                and c.i > pobj.i])
        if src is None:
            return None
        return _Cand(self.s(according), self.e(to), "according to", src, src.kind, depth - 0.5)

    def _opinion(self, noun: Token) -> _Cand | None:
        prep = noun.head
        if prep.lower_ not in ("in", "by", "to"):
            return None
        owner = next((c for c in noun.children if c.dep_ == "poss"), None)
        if owner is None:
            of = next((c for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"), None)
            owner = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
        if owner is None:
            return None
        depth = _depth(prep)
        src = self._source_np(owner)
        if depth is None or src is None:
            return None
        return _Cand(self.s(noun), self.e(noun), noun.text, src, src.kind, depth - 0.5)

    def _nominal(self, noun: Token) -> _Cand | None:
        """"the Ministry's announcement that it had discovered ...": a noun cue with an owner and a clause."""
        clause = next((c for c in noun.children if c.dep_ in ("acl", "ccomp", "relcl")
                       and any(x.dep_ == "mark" and x.lower_ == "that" for x in c.children)), None)
        owner = next((c for c in noun.children if c.dep_ == "poss"), None)
        if clause is None or owner is None or owner.lower_ in ("its", "their", "his", "her", "my", "our", "your"):
            return None
        src = self._source_np(owner)
        if src is None:
            return None
        return _Cand(self.s(noun), self.e(noun), noun.text, src, src.kind, 2.0)

    def _there_were_reports(self, noun: Token) -> _Cand | None:
        depth = _depth(noun.head)
        if depth is None:
            return None
        return _Cand(self.s(noun), self.e(noun), noun.text, None, "anonymous", depth)

    def _mistagged_root(self, t: Token) -> _Cand | None:
        left = [c for c in t.lefts if c.dep_ in ("compound", "amod", "det", "nmod", "poss", "nsubj")]
        if not left:
            return None
        a = left[0].left_edge
        toks = [x for x in self.u.tokens if a.i <= x.i < t.i]
        src = self._source_from_tokens(toks, toks[-1])
        if src is None:
            return None
        cue_end = self.e(t)
        nxt = t.nbor(1) if t.i + 1 < len(t.doc) else None
        cue = t.text
        if nxt is not None and nxt.lower_ in ("to", "out"):
            cue_end = self.e(nxt)
            cue = f"{t.text} {nxt.text}"
        return _Cand(self.s(t), cue_end, cue, src, src.kind, 0)

    def _verb(self, v: Token) -> _Cand | None:
        lemma = v.lemma_.lower()
        deps = {c.dep_ for c in v.children}
        if "neg" in deps or v.head.lemma_.lower() in _REFUSALS:
            return None  # "did not publish", "declined to say": nothing was said
        if v.tag_ == "VB" and any(c.dep_ == "aux" and c.lower_ == "to" for c in v.children) \
                and v.head.lemma_.lower() not in CUE_VERBS:
            return None  # "will appear ... to explain": an intention, not a statement
        if self.question and any(c.tag_ in ("WP", "WDT", "WRB") for c in v.subtree):
            return None  # "What does Marrenland say?"
        clause = bool(deps & {"ccomp", "xcomp", "parataxis", "advcl"}) or v.dep_ == "parataxis"
        prep_words = {c.lower_ for c in v.children if c.dep_ in ("prep", "prt")}
        if lemma == "point" and not prep_words & {"to", "out"}:
            return None
        if lemma == "call" and not (deps & {"oprd", "ccomp"}) and "for" not in prep_words:
            return None
        has_agent = "agent" in deps
        if lemma in _NEED_CLAUSE and not clause and not has_agent and not (lemma == "point" and prep_words & {"to", "out"}) \
                and not (lemma in ("add", "note", "respond", "reply", "comment") and self.quotes):
            return None
        if lemma in _NEED_CONTENT_CLAUSE and not (deps & {"ccomp", "xcomp", "parataxis", "oprd"}) \
                and not self._quote_after(v):
            return None  # "rejected the accusation", "published photographs": no proposition reported
        if lemma in ("order", "ask", "request", "propose", "urge", "demand") and not (deps & {"ccomp", "xcomp"}):
            if lemma not in ("demand", "urge"):
                return None
        depth = _depth(v)
        root_np = None
        if depth is None and self._final_clause(v):
            depth = 0.5  # "..., the committee's chair announced on Thursday.", however it was parsed
        elif depth is None and v.dep_ == "acl" and v.head.i == v.i - 1:
            root = v
            while root.head.i != root.i:
                root = root.head
            if root.pos_ in ("NOUN", "PROPN") and root.i < v.i:
                depth, root_np = 0.5, root  # "The news channel Solbris reported on ...", parsed as a noun phrase
        if depth is None or (v.dep_ in ("relcl", "acl", "amod", "compound") and depth != 0.5):
            return None
        content = bool(deps & {"ccomp", "xcomp", "parataxis", "dobj", "oprd", "dative", "advcl", "prep", "npadvmod",
                               "attr", "acomp"}) or v.dep_ in ("parataxis", "advcl", "ccomp", "conj") or bool(self.quotes) or any(
            c.dep_ == "nsubjpass" and c.lower_ in _DEMONSTRATIVES for c in v.children)  # "This was reported by X"
        if not content:
            return None
        cue_end = self.e(v)
        cue = v.text
        if lemma == "point":
            p = next(c for c in v.children if c.dep_ in ("prep", "prt") and c.lower_ in ("to", "out"))
            if p.i == v.i + 1:
                cue_end, cue = self.e(p), f"{v.text} {p.text}"
        topic_only = not (deps & {"ccomp", "xcomp", "parataxis", "oprd"}) and bool(prep_words & {"on", "about"}) \
            and lemma in ("report", "write", "publish", "post", "tweet", "comment")
        subj = next((c for c in v.children if c.dep_ == "nsubj"), None)
        if subj is None and root_np is not None:
            subj = root_np
        elif subj is None and depth == 0.5 and v.dep_ == "acl":
            subj = v.head
        subjpass = next((c for c in v.children if c.dep_ == "nsubjpass"), None)
        agent = next((c for c in v.children if c.dep_ == "agent"), None)
        backward = False
        src: _Source | None = None
        kind = "anonymous"
        if agent is not None:
            pobj = next((c for c in agent.children if c.dep_ == "pobj"), None)
            src = self._source_np(pobj, cue_lemma=lemma) if pobj is not None else None
            backward = subjpass is not None and subjpass.lower_ in _DEMONSTRATIVES
        elif subjpass is not None:
            if lemma not in _EVIDENTIAL_PASSIVES:
                return None  # "it may be mentioned", "the suspects were named": nothing reported
            if subjpass.lower_ not in _DEMONSTRATIVES and subjpass.lower_ != "it" and "xcomp" not in deps:
                return None
            src = None  # "it was reported that", "X is said to": no one named
        elif subj is not None:
            if subj.lower_ in _AUTHOR_PRONOUNS:
                return None  # the writer's own voice
            if any(c.lower_ in ("neither", "no", "none") for c in subj.subtree) or subj.lower_ in ("nobody", "none"):
                return None  # "Neither side disclosed ...", "Nobody said ..."
            acl = next((c for c in subj.children if c.dep_ == "acl" and c.lemma_.lower() in CUE_VERBS
                        and any(x.dep_ == "agent" for x in c.children)), None) if subj.lower_ in _DOC_NOUNS else None
            if acl is not None:  # "The information, revealed by Turkish media reports, indicates ..."
                agent = next(x for x in acl.children if x.dep_ == "agent")
                pobj = next((x for x in agent.children if x.dep_ == "pobj"), None)
                src = self._source_np(pobj, cue_lemma=acl.lemma_.lower()) if pobj is not None else None
                if src is not None:
                    return _Cand(self.s(acl), self.e(acl), acl.text, src, src.kind, depth, False, False)
            if subj.lower_ in _DEMONSTRATIVES and subj.dep_ == "nsubj" and lemma in ("show", "confirm", "indicate",
                                                                                    "suggest", "mean"):
                return None  # "this shows that": an argument, not a source
            src = self._source_np(subj, cue_lemma=lemma)
            if src is None:
                return None
        else:
            head = v.head if v.dep_ in ("conj", "xcomp", "advcl", "pcomp") else None
            if (v.dep_ == "conj" and not any(c.dep_ == "cc" for c in v.head.children)) or (
                    v.dep_ == "advcl" and v.tag_ in ("VBD", "VBZ", "VBP")):
                # a finite verb without its subject: a misparse of "..., after an officer reported that ..."
                near = self._noun_before(v)
                if near is not None:
                    src = self._source_np(near, cue_lemma=lemma)
                    head = None
            hops = 0
            while head is not None and hops < 3:
                hs = next((c for c in head.children if c.dep_ == "nsubj"), None)
                if hs is not None:
                    if hs.lower_ in _AUTHOR_PRONOUNS:
                        return None
                    src = self._source_np(hs, cue_lemma=lemma)
                    break
                if head.dep_ == "prep" or head.dep_ in ("conj", "xcomp", "advcl", "pcomp"):
                    head = head.head
                    hops += 1
                else:
                    break
            if src is None:
                return None
        dobj = next((c for c in v.children if c.dep_ == "dobj"), None)
        if dobj is not None and dobj.lower_ in _DEMONSTRATIVES and not deps & {"ccomp"}:
            backward = True
        if src is not None:
            kind = src.kind
        return _Cand(self.s(v), cue_end, cue, src, kind, depth, topic_only, backward)

    def _noun_before(self, v: Token) -> Token | None:
        """Head of the noun phrase right before ``v`` (skipping a parenthesis)."""
        doc = v.doc
        i = v.i - 1
        depth = 0
        while i >= 0:
            t = doc[i]
            if t.text == ")":
                depth += 1
            elif t.text == "(":
                depth -= 1
            elif depth == 0 and not t.is_punct:
                break
            i -= 1
        if i < 0 or doc[i].pos_ not in ("NOUN", "PROPN"):
            return None
        t = doc[i]
        for _ in range(6):
            if t.dep_ == "pobj" and t.head.dep_ == "prep" and t.head.head.pos_ in ("NOUN", "PROPN"):
                t = t.head.head
            elif t.dep_ in ("compound", "appos", "poss", "nmod", "amod"):
                t = t.head
            else:
                break
        return t

    # noun phrases
    def _source_np(self, head: Token, *, extra: Sequence[Token] = (), cue_lemma: str | None = None) -> _Source | None:
        # "Multiple sources, including the Turkish newspaper Aydınlık": the named one
        if head.lower_ in _ANON_HEADS:
            inc = next((c for c in head.children if c.dep_ == "prep" and c.lower_ in ("including", "like")), None)
            if inc is not None:
                named = next((c for c in inc.children if c.dep_ == "pobj"), None)
                if named is not None and any(t.pos_ == "PROPN" for t in named.subtree):
                    return self._source_np(named, cue_lemma=cue_lemma)
        toks = self._np_tokens(head)
        for x in extra:
            if x.left_edge.i == toks[-1].i + 1:
                toks = [t for t in self.u.tokens if toks[0].i <= t.i <= x.right_edge.i]
        return self._source_from_tokens(toks, head, cue_lemma=cue_lemma)

    def _np_tokens(self, head: Token) -> list[Token]:
        drop: set[int] = set()
        for c in head.subtree:
            if c.i == head.i or c.i in drop:
                continue
            cut = c.dep_ in ("relcl", "acl", "advcl", "parataxis", "ccomp")
            if c.head.i == head.i:
                cut = cut or (c.dep_ == "prep" and c.lower_ in _NP_CUT_PREPS and not self._inside_name(c, head))
                after = c.right_edge.i + 1
                swallowed = (after < len(c.doc) and c.doc[after].pos_ in ("VERB", "AUX")) or any(
                    t.dep_ == "acl" and t.tag_ in ("VBD", "VBZ", "VBP") for t in c.subtree)
                if c.dep_ == "appos" and c.i > head.i and swallowed \
                        and c.left_edge.i > 0 and c.doc[c.left_edge.i - 1].text == ",":
                    cut = True  # "Konashenkov, private contractors have poured": the clause's subject
                if c.dep_ == "punct" and c.text in "(" and c.i > head.i:
                    cut = not (c.i + 1 < len(c.doc) and c.doc[c.i + 1].is_upper)
            if cut:
                drop.update(t.i for t in c.subtree)
        keep = {t.i for t in head.subtree} - drop
        first = head.doc[min(keep)]
        m = self.mention_at(first)
        if m is not None and m.start < self.s(first):  # the parser cut a name in two ("Hay’at | Tahrir al-Sham")
            keep.update(t.i for t in self.u.tokens if m.start <= self.s(t) < self.s(first))
        lo = hi = head.i
        while lo - 1 in keep:
            lo -= 1
        while hi + 1 in keep:
            hi += 1
        doc = head.doc
        while lo < hi and (doc[lo].is_punct or doc[lo].dep_ == "cc" and doc[lo].lower_ != "both"):
            lo += 1
        while hi > lo and doc[hi].is_punct and doc[hi].text not in ")":
            hi -= 1
        if doc[hi].text == ")" and "(" not in doc[lo:hi].text:
            hi -= 1
        return [doc[i] for i in range(lo, hi + 1)]

    def _inside_name(self, prep: Token, head: Token) -> bool:
        m = self.mention_at(head)
        return m is not None and m.start <= self.s(prep) and self.e(prep.right_edge) <= m.end

    def _source_from_tokens(self, toks: Sequence[Token], head: Token, *, cue_lemma: str | None = None
                            ) -> _Source | None:
        toks = [t for t in toks if not t.is_space]
        while toks and (toks[-1].tag_ == "POS" or toks[-1].is_punct and toks[-1].text not in ")"):
            toks = toks[:-1]  # "his ministry's allegation": the source is "his ministry"
        if not toks:
            return None
        opened = [i for i, t in enumerate(toks) if t.text == "("]
        if opened and not any(t.text == ")" for t in toks[opened[-1]:]) and opened[-1] > 0:
            toks = toks[:opened[-1]]  # "The World Health Organization (WHO) said": not "... (WHO"
        np_start, np_end = self.s(toks[0]), self.e(toks[-1])
        np_text = self.text[np_start:np_end]
        low = head.lower_
        # a relative word is never the source named: the noun it stands for is ("bloggers, who claimed
        # ..."); the span stays on the word, as PolNeAR marks it (and as pronouns do)
        if len(toks) == 1 and low in _RELATIVES:
            antecedent = head.head.head if head.head.dep_ == "relcl" else self._noun_before(head)
            if antecedent is None or antecedent.i == head.i or antecedent.pos_ not in ("NOUN", "PROPN"):
                return None
            ref = self._source_np(antecedent, cue_lemma=cue_lemma)
            if ref is None:
                return None
            return _Source(np_start, np_end, np_text, ref.canonical or clean_name(ref.text), ref.kind, ref.role,
                           ref.description, ref.named)
        if len(toks) == 1 and low in _PRO_FORMS:
            clause = next((c for c in head.children if c.dep_ == "relcl"), None)
            if clause is None and low in ("those", "one"):
                return None  # a bare "Those" or "One" names no one ("some", "others" stay: anonymous sources)
            if clause is not None:
                end = self.e(clause.right_edge)
                text = self.text[np_start:end]
                return _Source(np_start, end, text, None, "anonymous", None, text)
        # pronouns and the like: resolved against what came before
        if len(toks) == 1 and low in _PRONOUNS_PERSON | _PRONOUNS_THING:
            ref = self._resolve_pronoun(low, np_start)
            if ref is None:
                return _Source(np_start, np_end, np_text, None, "anonymous", None, np_text)
            return _Source(np_start, np_end, np_text, ref.canonical, ref.kind, None, np_text)
        if low in ("latter", "former") and any(t.lower_ == "the" for t in toks):
            names = [r for r in self.memory.before(np_start) if not r.is_source][:3]
            ref = names[0] if low == "latter" and names else names[1] if len(names) > 1 else None
            if ref is not None:
                return _Source(np_start, np_end, np_text, ref.canonical, ref.kind, None, np_text)
        if low in _DOC_NOUNS:
            owner = self._owner(head)
            if owner is not None:
                return _Source(np_start, np_end, np_text, owner.canonical, owner.kind, None, np_text)
        name = self._name_span(toks, head)
        words = {t.lower_ for t in toks}
        if name is not None:
            ns, ne, mention_list = name
            name_text = self.text[ns:ne]
            entry = self.table.lookup(name_text)
            main = mention_list[0] if mention_list else None
            canonical = main.canonical if main else (entry.canonical if entry else clean_name(name_text))
            if main is not None and main.label == "PERSON" and entry is None and canonical == self.text[main.start:main.end] \
                    and name_text != canonical and name_text.endswith(" " + canonical) and len(name_text.split()) <= 4 \
                    and all(w[:1].isupper() for w in name_text.split()) and not _HONORIFIC.match(name_text):
                canonical = clean_name(name_text)  # the tagger kept "Ekholt" of "Sonja Ekholt": the name as written
            role = self._role(toks, ns, ne)
            role_words = {w.lower() for w in re.findall(r"\w+", role or "")}
            titled = _HONORIFIC.match(name_text)
            if titled:  # "Ms Geller": a person, and the Pamela Geller named before when there was one
                surname = name_text[titled.end():]
                person = next((r for r in self.memory.before(ns) if r.kind == "person"
                               and r.canonical.split()[-1] == surname.split()[-1] and " " in r.canonical), None)
                return _Source(ns, ne, name_text, person.canonical if person else clean_name(surname)
                               if " " not in surname and main is None else canonical, "person", role, np_text)
            if (main is None or main.label != "PERSON" or " " not in canonical) and len(name_text.split()) == 1 \
                    and entry is None:  # a surname alone: the person named in full before (also when only a source's
                # words gave the full name: the tagger kept "Ekholt" of "Sonja Ekholt")
                person = next((r for r in self.memory.before(ns) if r.kind == "person"
                               and r.canonical.split()[-1] == name_text and " " in r.canonical), None)
                if person is not None:
                    return _Source(ns, ne, name_text, person.canonical, "person", role, np_text)
            capital = CAPITAL_METONYMS.get(entity_key(self.text[main.start:main.end] if main else name_text))
            known_kind = (main.kind if main else None) or (entry.kind if entry else None)
            role_head = self._role_head(toks, ns, ne)
            label = self.memory.label_of(main) if main is not None else None
            person_name = label == "PERSON" and name_text.split()[-1].lower().strip(".") not in _ORG_NAME_ENDS
            if capital and (main is None or label == "GPE"):
                kind, canonical = "government", capital
            elif known_kind:
                kind = known_kind
            elif role_head in _SOCIAL or (role_words & _SOCIAL and not person_name):
                kind = "social_media"
            elif role_head in _MEDIA and role_head not in _PERSON_ROLES:
                kind = "media"  # "the Turkish newspaper Aydınlık" (whatever NER thought the name was)
            elif role_head in _ORG:
                kind = "organisation"
            elif role_head in _GOV and not person_name:
                kind = "government"
            elif person_name or role_head in _PERSON_ROLES:
                kind = "person"
            elif role_words & _MEDIA:
                kind = "media"
            elif label == "GPE":
                kind = "government"
            elif label == "NORP":
                kind = "anonymous"
            elif words & _GOV:
                kind = "government"
            elif cue_lemma in ("report", "write", "publish", "post"):
                kind = "media"
            else:
                kind = "organisation"
            return _Source(ns, ne, name_text, canonical, kind, role, np_text)
        # no name: a description
        if low in _DOC_NOUNS and any(t.lower_ in ("the", "this", "that", "these") for t in toks[:1]):
            ref = next((r for r in self.memory.before(np_start) if r.is_source), None)
            if ref is not None and ref.pos >= self.u.start - 600:
                return _Source(np_start, np_end, np_text, ref.canonical, ref.kind, None, np_text)
        all_words = {w.lower() for w in re.findall(r"\w+", np_text)}
        if all_words & _SOCIAL or "social media" in np_text.lower():
            kind = "social_media"
        elif all_words & _MEDIA and not (low in _ANON_HEADS and low not in ("reports", "report")):
            kind = "media"
        elif low in _ANON_HEADS:
            kind = "anonymous"
        elif all_words & _GOV:
            kind = "government"
        elif all_words & _ORG:
            kind = "organisation"
        else:
            kind = "anonymous"
        canonical: str | None = clean_name(np_text)
        if low in _PERSON_ROLES and not any(t.pos_ == "PROPN" for t in toks):
            kind = "anonymous"  # an unnamed person ("the committee's chair", "a spokesperson")
            if toks[0].lower_ == "the":  # "the minister": the one named before
                ref = next((r for r in self.memory.before(np_start) if r.kind == "person" and low in r.words
                            and np_start - r.pos < 3000), None)
                if ref is not None:
                    return _Source(np_start, np_end, np_text, ref.canonical, "person", None, np_text)
        if any(t.lower_ == "the" for t in toks[:1]) and (low in _GOV | _ORG | _MEDIA or low in ("channel", "portal")):
            ref = self._resolve_short_form(toks, np_start)
            if ref is not None:
                return _Source(np_start, np_end, np_text, ref.canonical, ref.kind, None, np_text)
        inner = [m for m in self._mentions_in(np_start, np_end) if m.label in ("ORG", "PERSON")]
        if inner:
            canonical = max(inner, key=lambda m: m.end - m.start).canonical
        return _Source(np_start, np_end, np_text, canonical, kind, None, np_text, named=False)

    def _name_span(self, toks: Sequence[Token], head: Token) -> tuple[int, int, list[EntityMention]] | None:
        """The name in a source noun phrase: the one its head is, or an apposition after it.

        A phrase whose head is followed by a known acronym in parentheses is named by it as a
        whole ("the foreign intelligence service of Russia (SVR RF)").
        """
        for k, t in enumerate(toks):
            if t.text == "(" and t.i > head.i and k + 2 < len(toks):
                close = next((x for x in toks[k + 1:] if x.text == ")"), None)
                inner = self._mentions_in(self.s(toks[k + 1]), self.s(close)) if close is not None else []
                if close is not None and inner and inner[0].how in ("alias", "acronym") and \
                        self.mention_at(head) is None and head.lower_ not in _ANON_HEADS | _PERSON_ROLES:
                    first = next(x for x in toks if x.dep_ not in ("det", "punct") and x.lower_ not in ("the", "a"))
                    return self.s(first), self.e(close), [inner[0]]
        def name_at(t: Token) -> tuple[int, int, list[EntityMention]] | None:
            m = self.mention_at(t)
            if m is not None and m.label not in ("DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY",
                                                  "PERCENT"):
                return m.start, m.end, [m]
            if t.pos_ == "PROPN" and t.text[:1].isupper() and (not t.is_upper or len(t.text) > 1):
                i = j = t.i
                doc = t.doc
                ids = {x.i for x in toks}
                while i - 1 in ids and (doc[i - 1].pos_ == "PROPN" or doc[i - 1].text == "-" or
                                        doc[i - 1].lower_ in ("al", "el", "the") and i - 1 > toks[0].i - 1):
                    i -= 1
                while j + 1 in ids and (doc[j + 1].pos_ == "PROPN" or doc[j + 1].text == "-" or (
                        doc[j + 1].lower_ in ("of", "for", "and", "de") and j + 2 in ids and doc[j + 2].pos_ == "PROPN")):
                    j += 1
                while doc[i].lower_ == "the" and i < j:
                    i += 1
                return self.s(doc[i]), self.e(doc[j]), []
            return None

        np_ids = {x.i for x in toks}

        def apposed(t: Token) -> bool:  # t hangs off the head without a preposition in between
            while t.i != head.i and t.head.i != t.i and t.head.i in np_ids:
                if t.dep_ in ("pobj", "prep", "poss"):
                    return False
                t = t.head
            return True

        found = name_at(head)
        if found is None:
            # an apposition or trailing name after a common-noun head ("the Turkish newspaper Aydınlık")
            for t in toks:
                if t.i > head.i and (t.pos_ == "PROPN" or self.mention_at(t) is not None) and apposed(t):
                    found = name_at(t)
                    if found:
                        break
        if found is None:
            return None
        ns, ne, ms = found
        # a country's body: "Veloria's Ministry of Coastal Security", "Russia's Foreign Intelligence Service"
        before = [t for t in toks if self.e(t) <= ns]
        if len(before) >= 2 and before[-1].tag_ == "POS" and not self.text[self.e(before[-1]):ns].strip():
            owner = self.mention_at(before[-2])
            body = {w.lower() for w in re.findall(r"\w+", self.text[ns:ne])} & (_GOV | _ORG)
            if owner is not None and owner.label in ("GPE", "ORG", "NORP") and body and \
                    not (ms and ms[0].label == "PERSON"):
                ns = owner.start
        # the whole mention, with an acronym in parentheses right after and conjoined names
        doc = head.doc
        last = max(toks, key=lambda t: t.i)
        tail = [t for t in toks if self.s(t) >= ne]
        if len(tail) >= 3 and tail[0].text == "(":
            close = next((k for k, x in enumerate(tail) if x.text == ")"), None)
            if close is not None and close <= 4 and all(x.is_upper for x in tail[1:close]):
                ne = self.e(tail[close])
        conj_heads = [c for c in doc[head.i].children if c.dep_ == "conj" and c.i <= last.i and self.s(c) >= ne]
        if conj_heads and found is not None and ns <= self.s(head) < ne:
            c = conj_heads[-1]
            cm = self.mention_at(c)
            ne = max(ne, cm.end if cm else self.e(c))
            starts = [self.s(t) for t in toks if t.dep_ in ("preconj",) or t.lower_ in ("both", "neither")]
            if starts:
                ns = min(ns, starts[0])
        mentions = [m for m in self._mentions_in(ns, ne) if m.label in ("PERSON", "ORG", "GPE", "NORP", "FAC",
                                                                       "PRODUCT", "LOC")]
        mentions.sort(key=lambda m: (m.label != "PERSON", m.start))
        if ms and ms[0] not in mentions:
            mentions.insert(0, ms[0])
        return ns, ne, mentions

    def _role_head(self, toks: Sequence[Token], ns: int, ne: int) -> str | None:
        """The noun a role or descriptor is about: "spokesman" in "Defense Ministry spokesman X",
        "secretary" in "X, the union's regional secretary", "portal" in "the Lebanese portal X"."""
        after = [t for t in toks if self.s(t) >= ne and not t.is_punct]
        appos = [t for t in after if t.dep_ == "appos" and t.pos_ in ("NOUN", "PROPN")]
        if appos:
            return appos[0].lower_
        before = [t for t in toks if self.e(t) <= ns and t.pos_ in ("NOUN", "PROPN") and t.tag_ != "POS"]
        if before:
            return before[-1].lower_
        nouns = [t for t in after if t.pos_ == "NOUN"]
        return nouns[-1].lower_ if nouns else None

    def _role(self, toks: Sequence[Token], ns: int, ne: int) -> str | None:
        before = [t for t in toks if self.e(t) <= ns and t.dep_ not in ("det", "punct", "poss", "case", "preconj")
                  and t.lower_ not in ("the", "a", "an")]
        after = [t for t in toks if self.s(t) >= ne and not t.is_punct and t.dep_ != "case" and t.tag_ != "POS"]
        parts = []
        if before:
            parts.append(self.text[self.s(before[0]):self.e(before[-1])])
        if after:
            parts.append(self.text[self.s(after[0]):self.e(after[-1])])
        role = ", ".join(p.strip(" ,") for p in parts if p.strip(" ,"))
        return role or None

    def _owner(self, head: Token) -> _Referent | None:
        """Who issued a document noun: "the SVR statement", "the statement of SVR", "its sources",
        "the information revealed by Turkish media reports"."""
        for c in head.children:
            if c.dep_ == "poss" or (c.dep_ == "compound" and c.pos_ == "PROPN"):
                if c.lower_ in _PRONOUNS_THING | _PRONOUNS_PERSON | {"its", "their", "his", "her"}:
                    return self._resolve_pronoun({"its": "it", "their": "they", "his": "he", "her": "she"}.get(
                        c.lower_, c.lower_), self.s(c))
                src = self._source_np(c)
                if src is not None and src.canonical:
                    return _Referent(src.start, src.canonical, src.kind, frozenset(), True)
            if c.dep_ == "prep" and c.lower_ == "of":
                pobj = next((x for x in c.children if x.dep_ == "pobj"), None)
                if pobj is not None and (pobj.pos_ == "PROPN" or self.mention_at(pobj)):
                    src = self._source_np(pobj)
                    if src is not None and src.canonical:
                        return _Referent(src.start, src.canonical, src.kind, frozenset(), True)
            if c.dep_ == "acl":
                agent = next((x for x in c.children if x.dep_ == "agent"), None)
                pobj = next((x for x in agent.children if x.dep_ == "pobj"), None) if agent is not None else None
                if pobj is not None:
                    src = self._source_np(pobj, cue_lemma=c.lemma_.lower())
                    if src is not None:
                        return _Referent(src.start, src.canonical or src.text, src.kind, frozenset(), True)
        return None

    def _mentions_in(self, start: int, end: int) -> list[EntityMention]:
        i = bisect.bisect_left(self.mention_starts, start)
        out = []
        while i < len(self.mentions) and self.mentions[i].start < end:
            if self.mentions[i].end <= end:
                out.append(self.mentions[i])
            i += 1
        return out

    def _resolve_pronoun(self, pronoun: str, pos: int) -> _Referent | None:
        person = pronoun in _PRONOUNS_PERSON or pronoun in ("his",)
        gender = {"he": "he", "him": "he", "his": "he", "she": "she", "her": "she"}.get(pronoun)
        best_mention = None
        found = None
        paragraph = self.memory.paragraph_of(pos)
        for r in self.memory.before(pos):
            if pos - r.pos > 3000:
                break
            if person and r.is_source and not r.named and found is None and best_mention is None:
                return None  # a nearer unnamed speaker ("The minister said ... He added"): not the name before it
            if not r.named or (person and r.kind != "person") or (not person and r.kind in ("person", "anonymous")):
                continue
            if gender and self.memory.gender.get(r.canonical, gender) != gender:
                continue  # "she" is not the man "he" was
            if (person and best_mention is None and found is None and r.subject and not r.is_source
                    and r.paragraph == paragraph):
                # the nearest person, the subject of a main clause in this paragraph, comes before any
                # earlier speaker: 'Brenmoor manager Erik Tolle was gracious in defeat. "..." he said'
                found = r
                break
            if gender and self.memory.gender.get(r.canonical) == gender:
                found = r  # the one this pronoun already stood for
                break
            if r.is_source and found is None:
                found = r
                if not gender:
                    break
            if best_mention is None:
                best_mention = r
        ref = found or best_mention
        if ref is not None and gender:
            self.memory.gender.setdefault(ref.canonical, gender)
        return ref

    def _resolve_short_form(self, toks: Sequence[Token], pos: int) -> _Referent | None:
        content = {w for t in toks if t.pos_ in ("NOUN", "PROPN", "ADJ") and not t.ent_type_ == "NORP"
                   and t.lower_ not in ("the",) and not (t.pos_ == "ADJ" and t.text[:1].isupper())
                   for w in [t.lower_]}
        if not content:
            return None
        for r in self.memory.before(pos):
            if pos - r.pos > 6000:
                break
            if content <= r.words and r.kind not in ("anonymous", "person") and r.named:
                return r
        return None

    def pick(self, cands: Sequence[_Cand]) -> _Cand | None:
        if not cands:
            return None

        def rank(c: _Cand) -> tuple[int, float, int]:
            if c.source is None:
                r = 0
            elif c.kind in _NAMED_KINDS:
                r = 2
            else:
                r = 1
            return (r, -c.depth, -c.cue_start)
        return max(cands, key=rank)


_REFUSALS = frozenset({"decline", "refuse", "fail", "avoid", "hesitate"})
# verbs that report a proposition only with a clause or a quote ("X denied that ...", not "X denied it")
_NEED_CONTENT_CLAUSE = frozenset({"deny", "reject", "dismiss", "publish", "post", "tweet", "disclose", "mention",
                                  "describe", "detail", "comment", "respond", "reply", "brief", "inform"})
_NOMINAL_CUES = frozenset({"announcement", "claim", "accusation", "allegation", "statement", "warning", "assertion",
                           "admission", "denial", "assurance", "insistence", "suggestion", "conclusion", "charge",
                           "report", "finding", "belief", "view", "argument", "promise", "pledge"})
_EVIDENTIAL_PASSIVES = frozenset({"report", "say", "believe", "claim", "allege", "rumour", "rumor", "estimate",
                                  "think", "understand", "suspect", "fear", "state", "confirm", "reveal",
                                  "announce", "indicate"})
_SURFACE_CUES = frozenset({"says", "claims", "warns", "points", "reports", "states", "insists", "argues", "believes",
                           "alleges", "adds", "notes", "writes", "confirms", "denies"})
_SPINE = frozenset({"ccomp", "xcomp", "conj", "advcl", "parataxis", "pcomp", "csubj", "dep"})


def _depth(t: Token) -> float | None:
    """Clause depth of a cue below the sentence root, or None when it sits in a noun phrase or
    relative clause (and so does not attribute the sentence)."""
    d = 0.0
    cur = t
    first = True
    while cur.head.i != cur.i:
        dep = cur.dep_
        if dep in _SPINE:
            d += 1
        elif dep == "prep":
            if not first and cur.head.pos_ not in ("VERB", "AUX"):
                return None
        elif dep in ("pobj", "attr") and first:
            pass
        elif dep == "acl" and cur.head.lower_ in _CLAIM_NOUNS:
            d += 1
        elif dep in ("pobj", "attr") and cur.lower_ in _CLAIM_NOUNS:
            pass
        else:
            return None
        first = False
        cur = cur.head
    return d


# -- the article -----------------------------------------------------------------------------------
def attribute_units(units: Sequence[Unit], text: str, mentions: Sequence[EntityMention], *,
                    table: AliasTable, quotes: Sequence[tuple[int, int]] | None = None,
                    hedged: Sequence[bool] | None = None) -> list[Attribution | None]:
    """The attribution of each unit (None where the article cites no one for it).

    ``hedged[i]`` says whether unit ``i`` carries a hedge, which lets attribution carry into it
    from the sentence before.
    """
    quotes = list(quotes if quotes is not None else find_quotes(text))
    mentions = sorted(mentions, key=lambda m: m.start)
    starts = [m.start for m in mentions]
    memory = _Memory(text, mentions, units)
    own: list[Attribution | None] = []
    flags: list[tuple[bool, bool]] = []  # (topic_only, backward)
    for u in units:
        sent = _Sentence(u, text, mentions, starts, quotes, memory, table)
        best = sent.pick(sent.candidates())
        if best is None:
            own.append(None)
            flags.append((False, False))
            continue
        src = best.source
        if src is not None and src.canonical and best.kind in _NAMED_KINDS:
            memory.add_source(src.start, src.canonical, best.kind, src.description + " " + (src.role or ""),
                              src.named)
        elif src is not None and src.canonical and _lemma_words(src.canonical) & _PERSON_ROLES:
            # "The minister said": no name, but the speaker a later "he" or "she" is nearest to
            memory.add_source(src.start, src.canonical, "person", src.description, named=False)
        own.append(Attribution(
            source=src.text if src else None, source_start=src.start if src else None,
            source_end=src.end if src else None, source_canonical=src.canonical if src else None,
            source_kind=best.kind, source_role=src.role if src else None, cue=best.cue,
            cue_start=best.cue_start, cue_end=best.cue_end,
            quote=quote_kind(text, u.start, u.end, quotes), carried=False))
        flags.append((best.topic_only, best.backward))
    return _carry(units, text, own, flags, quotes, hedged or [False] * len(units))


def _carry(units: Sequence[Unit], text: str, own: Sequence[Attribution | None], flags: Sequence[tuple[bool, bool]],
           quotes: Sequence[tuple[int, int]], hedged: Sequence[bool]) -> list[Attribution | None]:
    out = list(own)
    n = len(units)

    def carried(a: Attribution, i: int) -> Attribution:
        q = quote_kind(text, units[i].start, units[i].end, quotes)
        return replace(a, carried=True, quote=q)

    def cue_outside(a: Attribution, qa: int, qb: int) -> bool:
        return a.cue_start is not None and not (qa <= a.cue_start < qb)

    # 1. a quotation running over several sentences, or opening right after its speaker was cited
    starts = [u.start for u in units]
    for qa, qb in quotes:
        if len(re.findall(r"\w+", text[qa:qb])) < _QUOTE_MIN_WORDS:
            continue
        i0 = max(0, bisect.bisect_right(starts, qa) - 1)
        touched = [i for i in range(i0, n) if units[i].start < qb and units[i].end > qa]
        if not touched:
            continue
        donor = next((out[i] for i in reversed(touched) if own[i] is not None and cue_outside(own[i], qa, qb)
                      and own[i].source_kind != "none"), None)  # type: ignore[union-attr]
        if donor is None:
            first = touched[0]
            opens_unit = not text[units[first].start:qa].strip()
            prev = out[first - 1] if first > 0 else None
            if opens_unit and prev is not None and prev.source_kind in _NAMED_KINDS and (
                    units[first - 1].paragraph >= units[first].paragraph - 1):
                donor = prev
        if donor is None:
            continue
        for i in touched:
            if out[i] is None:
                out[i] = carried(donor, i)

    # 2. "This was reported by The Guardian": the sentences before, in the same paragraph
    for i in range(n):
        if own[i] is None or not flags[i][1]:
            continue
        j = i - 1
        while j >= 0 and i - j <= 3 and units[j].paragraph == units[i].paragraph and out[j] is None:
            out[j] = carried(own[i], j)  # type: ignore[arg-type]
            j -= 1

    # 3. "Sabereen reported on attempts to ...": the details that follow, in the same paragraph
    for i in range(n):
        if own[i] is None or not flags[i][0]:
            continue
        for j in range(i + 1, min(n, i + 4)):
            if units[j].paragraph != units[i].paragraph:
                break
            cur = out[j]
            if cur is None or (own[j] is not None and own[j].source is None and not own[j].carried):  # type: ignore[union-attr]
                out[j] = carried(own[i], j)  # type: ignore[arg-type]
            else:
                break

    # 4. a hedged sentence right after a sentence with a named source
    for i in range(1, n):
        prev = own[i - 1]
        if out[i] is None and hedged[i] and prev is not None and prev.source_kind in _NAMED_KINDS \
                and units[i - 1].paragraph >= units[i].paragraph - 1:
            out[i] = carried(prev, i)
    return out


# -- evaluation --------------------------------------------------------------------------------------
def predictions_from_claims(ref: str, claims: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The attributions of one article's claim annotations (their ``data``), in the gold format:
    ``{"ref", "attributions": [{"source_start", "source_end", "cue_start", "cue_end"}]}``.
    Carried attributions point at the same spans and are counted once."""
    seen = set()
    atts = []
    for c in claims:
        key = (c.get("source_start"), c.get("source_end"), c.get("cue_start"), c.get("cue_end"))
        if key in seen or (c.get("cue_start") is None and c.get("source_start") is None):
            continue
        seen.add(key)
        atts.append({"source_start": key[0], "source_end": key[1], "cue_start": key[2], "cue_end": key[3]})
    return {"ref": ref, "attributions": atts}


def evaluate(predicted: Iterable[Mapping[str, Any]], gold: Iterable[Mapping[str, Any]], *,
             match: str = "exact") -> dict[str, dict[str, float]]:
    """Precision, recall and F1 of source spans and cue spans: ``{"source": {"p", "r", "f1"}, "cue": {...}}``.

    Both arguments are per-article records ``{"ref", "attributions": [{"source_start",
    "source_end", "cue_start", "cue_end", ...}]}`` (the format of
    ``tests/data/attribution/examples.jsonl``; :func:`predictions_from_claims` makes one from claim
    annotations). ``match="exact"`` counts a span found when both offsets agree, ``"overlap"``
    when the two spans share a character; each gold span is matched at most once. Articles
    missing from ``predicted`` count as predicting nothing; spans that are null are not counted.
    """
    if match not in ("exact", "overlap"):
        raise ValueError(f"match must be 'exact' or 'overlap', not {match!r}")
    pred = {p["ref"]: p for p in predicted}
    counts = {role: [0, 0, 0] for role in ("source", "cue")}  # tp, predicted, gold
    for g in gold:
        p = pred.get(g["ref"], {"attributions": []})
        for role in ("source", "cue"):
            gs = sorted({(a[f"{role}_start"], a[f"{role}_end"]) for a in g["attributions"]
                         if a.get(f"{role}_start") is not None})
            ps = sorted({(a[f"{role}_start"], a[f"{role}_end"]) for a in p["attributions"]
                         if a.get(f"{role}_start") is not None})
            used: set[int] = set()
            tp = 0
            for a, b in ps:
                for k, (ga, gb) in enumerate(gs):
                    if k in used:
                        continue
                    if (a, b) == (ga, gb) if match == "exact" else (a < gb and ga < b):
                        used.add(k)
                        tp += 1
                        break
            counts[role][0] += tp
            counts[role][1] += len(ps)
            counts[role][2] += len(gs)
    out = {}
    for role, (tp, npred, ngold) in counts.items():
        p = tp / npred if npred else 0.0
        r = tp / ngold if ngold else 0.0
        out[role] = {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}
    return out
