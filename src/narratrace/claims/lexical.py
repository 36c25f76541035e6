"""Claims in languages without a parser: reporting-cue lexicons, hedges and shallow names.

No spaCy pipeline for Russian, Bulgarian, Portuguese or Hindi installs offline, so for these the
claims stage reads the surface: a cue from the language's lexicon ("заявил", "по словам",
"според", "segundo", "के अनुसार"), the source phrase on the side the cue's grammar puts it,
hedges ("якобы", "твърди се", "alegadamente", "कथित तौर पर"), capitalised names, numbers and
years. The result follows the same annotation contract as the English path (``docs/stages.md``),
with entity label ``NAME`` (no NER tells a person from a place here) and ``how="lexical"`` in
the stored data. Pronoun sources ("он заявил") take the last named source of the article, or stay
unresolved; they are never the source's name.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from narratrace.claims.attribution import NO_ATTRIBUTION, Attribution, find_quotes
from narratrace.claims.entities import AliasTable, EntityMention, resolve_mentions
from narratrace.model import Article

__all__ = ["LEXICONS", "Lexicon", "extract_lexical"]

_C = "A-ZÀ-ÖØ-ÞА-ЯЁЇІЄҐ"  # capitals of the Latin and Cyrillic scripts
_L = "a-zß-öø-ÿа-яёїієґ"


@dataclass(frozen=True, slots=True)
class Lexicon:
    """What marks an attribution and a hedge in one language (regular expressions, case-insensitive)."""

    source_after: str        # cue, then the source: "по словам X", "segundo X"
    source_before: str       # the source, then the cue: "X के अनुसार", "X ने कहा"
    verbs: str               # reporting verbs: "X заявил, что" or ", заявил X"
    hedges: str
    pronouns: frozenset[str]
    anonymous: str           # unnamed sources: "источники", "fontes"
    government: str
    media: str
    social: str = r"telegram|телеграм|twitter|твиттер|x\.com|facebook|фейсбук|vk|вконтакте|youtube|ютуб|tiktok"
    joiners: frozenset[str] = frozenset()  # lower-case words inside a name ("da" in "Ministério da Defesa")


LEXICONS: dict[str, Lexicon] = {
    "ru": Lexicon(
        source_after=r"по словам|по данным|по информации|согласно|как сообщает|как сообщил[аи]?|как заявил[аи]?|"
                     r"как отмечает|как пишет|по мнению|со ссылкой на",
        source_before=r"(?!)",
        verbs=r"заявил[аи]?|заявляет|заявляют|сообщил[аи]?|сообщает|сообщают|отметил[аи]?|подчеркнул[аи]?|"
              r"утверждает|утверждают|утверждал[аи]?|предупредил[аи]?|предупреждает|рассказал[аи]?|"
              r"объявил[аи]?|считает|считают|уверен[аы]?|признал[аи]?|обвинил[аи]?|пишет|пишут|написал[аи]?|"
              r"добавил[аи]?|указал[аи]?|опроверг(?:ла|ли)?|сказал[аи]?|передает|передают",
        hedges=r"якобы|предположительно|по неподтвержд[её]нным данным|по некоторым данным|вероятно|возможно|"
               r"по всей видимости|по-видимому|так называем(?:ый|ая|ое|ые|ых|ого|ой)|"
               r"как утверждается|как сообщается|сообщается|предполагается|считается",
        pronouns=frozenset({"он", "она", "они", "оно", "мы", "я"}),
        anonymous=r"источник|эксперт|аналитик|наблюдател|очевид|журналист(?:ы|ов)\b|чиновник|официальн",
        government=r"министерств|мид\b|служб|ведомств|правительств|кремл|президент|министр|посольств|армия|армии|"
                   r"вс рф|всу|разведк|свр|фсб|гру|пентагон|госдеп|администрац|парламент|дума|совет|генштаб",
        media=r"газет|агентств|канал|издани|портал|сайт|телеканал|тасс|риа|интерфакс|сми\b|журнал|радио"),
    "bg": Lexicon(
        source_after=r"според|по думите на|по данни на|по информация на|както съобщи|както заяви|както пише|"
                     r"позовавайки се на|цитиран[аи]? от",
        source_before=r"(?!)",
        verbs=r"заяви(?:ха)?|заявява(?:т)?|съобщи(?:ха)?|съобщава(?:т)?|каза(?:ха)?|посочи(?:ха)?|"
              r"подчерта(?:ха)?|твърди(?:ха|ят)?|предупреди(?:ха)?|обяви(?:ха)?|смята(?:т)?|обвини(?:ха)?|"
              r"написа(?:ха)?|пише(?:ат)?|добави(?:ха)?|отбеляза(?:ха)?|отрече(?:ха)?|информира(?:ха)?",
        hedges=r"уж|предполагаемо|предполагаем(?:ия|ият|а|о|и)?|твърди се|смята се|съобщава се|вероятно|"
               r"възможно|така наречен(?:ия|ият|а|о|и|ата|ите)?|по неофициални данни|по непотвърдени данни",
        pronouns=frozenset({"той", "тя", "те", "то", "ние", "аз"}),
        anonymous=r"източни|експерт|анализатор|наблюдател|очевид|служител|официални лица",
        government=r"министерств|мвнр|служб|правителств|кремъл|президент|министър|посолств|армия|армията|"
                   r"разузнаван|пентагон|администрац|парламент|народно събрание|генерален щаб|ведомств",
        media=r"вестник|агенци|канал|издани|портал|сайт|телевизи|бта|бнт|медии|списани|радио"),
    "pt": Lexicon(
        source_after=r"segundo|de acordo com|conforme|para|na opinião de|na visão de|citad[oa]s? por",
        source_before=r"(?!)",
        verbs=r"disse(?:ram)?|diz(?:em)?|afirm(?:ou|aram|a|am)|declar(?:ou|aram|a|am)|inform(?:ou|aram|a|am)|"
              r"anunci(?:ou|aram|a|am)|alert(?:ou|aram|a|am)|garant(?:iu|iram|e|em)|sublinh(?:ou|aram)|"
              r"destac(?:ou|aram)|acus(?:ou|aram|a|am)|negou|negaram|nega|negam|admit(?:iu|iram|e|em)|"
              r"escreveu|escreveram|revel(?:ou|aram)|acrescent(?:ou|aram)|explic(?:ou|aram)|"
              r"report(?:ou|aram)|relat(?:ou|aram)|advert(?:iu|iram)",
        hedges=r"alegadamente|supostamente|provavelmente|possivelmente|aparentemente|presumivelmente|"
               r"suposto|suposta|supostos|supostas|alegado|alegada|alegados|alegadas|teria|teriam|"
               r"estaria|estariam|ter[áa] sido|segundo consta|ao que tudo indica|chamad[oa]s?",
        pronouns=frozenset({"ele", "ela", "eles", "elas", "nós", "eu"}),
        anonymous=r"fontes?\b|especialista|analista|observador|testemunha|funcionári|autoridades",
        government=r"ministério|ministro|ministra|serviço|governo|kremlin|presidente|embaixada|exército|"
                   r"forças armadas|inteligência|pentágono|departamento de estado|administração|parlamento|"
                   r"congresso|planalto|itamaraty",
        media=r"jornal|agência|canal|portal|site|revista|televisão|tv\b|rádio|imprensa|mídia|media",
        joiners=frozenset({"da", "de", "do", "das", "dos", "e"})),
    "hi": Lexicon(
        source_after=r"(?!)",
        source_before=r"के अनुसार|का कहना है|की मानें तो|ने कहा|ने बताया|ने दावा किया|ने आरोप लगाया|"
                      r"ने चेतावनी दी|ने घोषणा की|ने जानकारी दी|ने लिखा|ने स्वीकार किया|ने इनकार किया|"
                      r"ने एक बयान में कहा|ने बयान जारी",
        verbs=r"(?!)",
        hedges=r"कथित तौर पर|कथित|संभवतः|संभवत|शायद|बताया जाता है|माना जा रहा है|कहा जा रहा है|"
               r"सूत्रों के मुताबिक|तथाकथित",
        pronouns=frozenset({"उन्होंने", "उसने", "वह", "वे", "हमने", "मैंने", "उन्हों"}),
        anonymous=r"सूत्रों|सूत्र|विशेषज्ञ|विश्लेषक|अधिकारियों|अधिकारी|जानकारों",
        government=r"मंत्रालय|मंत्री|सरकार|सेना|राष्ट्रपति|प्रधानमंत्री|दूतावास|खुफिया|विभाग|प्रशासन|"
                   r"संसद|क्रेमलिन|पेंटागन",
        media=r"अखबार|एजेंसी|चैनल|पोर्टल|वेबसाइट|पत्रिका|मीडिया|रेडियो|टीवी"),
}

_CLAUSE_END = re.compile(r"[,;:—–()\[\]«»“”\"]|\s-\s|\s(?:что|чтобы|как|че|que|कि)\s", re.I)
_NAME = re.compile(rf"(?:[{_C}][{_L}{_C}'’\-]*\.?|[{_C}]{{2,}})(?:\s+(?:[{_C}][{_L}{_C}'’\-]*|[{_C}]{{2,}}))*")
_NUMBER = re.compile(r"(?<![\w.])\d[\d\s.,]*\d(?![\w])|(?<![\w.])\d(?![\w.])")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_WORDS = re.compile(r"[\w\u0900-\u0dff]+")  # with the vowel signs of the Indic scripts (not \\w)
#: Articles a source phrase does not start with ("O Ministério" is "Ministério").
_ARTICLES = frozenset({"o", "a", "os", "as", "the"})


@dataclass(frozen=True, slots=True)
class LexicalClaim:
    start: int
    end: int
    score: float
    attribution: Attribution
    hedges: tuple[tuple[int, int, str], ...]
    entities: tuple[str, ...]
    numbers: tuple[str, ...]
    dates: tuple[str, ...]


def _compiled(lex: Lexicon) -> dict[str, re.Pattern[str]]:
    found = _PATTERNS.get(id(lex))
    if found is None:
        w = r"(?<![\w])(?:{})(?![\w])"
        found = {
            "after": re.compile(w.format(lex.source_after), re.I),
            "before": re.compile(w.format(lex.source_before), re.I),
            "verbs": re.compile(w.format(lex.verbs), re.I),
            "hedges": re.compile(w.format(lex.hedges), re.I),
            "anonymous": re.compile(lex.anonymous, re.I),
            "government": re.compile(lex.government, re.I),
            "media": re.compile(lex.media, re.I),
            "social": re.compile(lex.social, re.I),
        }
        _PATTERNS[id(lex)] = found
    return found


_PATTERNS: dict[int, dict[str, re.Pattern[str]]] = {}


def _wordchar(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not _wordchar(text[start]):
        start += 1
    while end > start and not (_wordchar(text[end - 1]) or text[end - 1] in ")."):
        end -= 1
    if end > start and text[end - 1] == "." and not re.search(r"\b\w\.$", text[start:end]):
        end -= 1
    first = re.match(r"(\w+)\s+", text[start:end])
    if first and first.group(1).lower() in _ARTICLES and end - start > first.end():
        start += first.end()
    return start, end


def _phrase_after(text: str, start: int, end: int, max_words: int = 8) -> tuple[int, int]:
    """The source phrase from ``start`` to the next clause boundary (at most ``max_words`` words)."""
    stop = _CLAUSE_END.search(text, start, end)
    limit = stop.start() if stop else end
    words = list(_WORDS.finditer(text, start, limit))[:max_words]
    if not words:
        return start, start
    for k in range(1, len(words)):  # "Според руското разузнаване Киев подготвя": a name after a content word
        prev, word = words[k - 1].group(), words[k].group()  # starts the clause, not the source
        if word[0].isupper() and prev[0].islower() and len(prev) > 3:
            words = words[:k]
            break
    return _trim(text, start, words[-1].end() + (1 if text[words[-1].end():words[-1].end() + 1] == ")" else 0))


def _phrase_before(text: str, start: int, end: int, max_words: int = 8) -> tuple[int, int]:
    """The source phrase that ends at ``end``, back to the last clause boundary after ``start``."""
    last = None
    for m in _CLAUSE_END.finditer(text, start, end):
        if m.group() not in "()":
            last = m
    begin = last.end() if last else start
    words = list(_WORDS.finditer(text, begin, end))
    if len(words) > max_words:
        begin = words[-max_words].start()
    return _trim(text, begin, end)


def _kind(source: str, pats: dict[str, re.Pattern[str]]) -> str:
    if pats["social"].search(source):
        return "social_media"
    if pats["anonymous"].search(source) and not _NAME.search(source[1:]):
        return "anonymous"
    if pats["government"].search(source):
        return "government"
    if pats["media"].search(source):
        return "media"
    names = [m.group() for m in _NAME.finditer(source)]
    if names and any(len(n.split()) >= 2 for n in names):
        return "person"
    return "organisation" if names else "anonymous"


def _attribution(text: str, start: int, end: int, lex: Lexicon, pats: dict[str, re.Pattern[str]],
                 last_named: Attribution | None) -> Attribution | None:
    """The attribution of the sentence ``text[start:end]``, or None."""
    found: tuple[int, int, int, int] | None = None  # source start, end, cue start, end
    m = pats["after"].search(text, start, end)
    if m:
        s, e = _phrase_after(text, m.end(), end)
        if e > s:
            found = (s, e, m.start(), m.end())
    if found is None:
        m = pats["before"].search(text, start, end)
        if m:
            s, e = _phrase_before(text, start, m.start(), max_words=6)
            if e > s:
                found = (s, e, m.start(), m.end())
    if found is None:
        for m in pats["verbs"].finditer(text, start, end):
            before = text[start:m.start()].rstrip()
            if before.endswith((",", "—", "–", "-")) or not before:  # inverted: "…, заявил Песков."
                s, e = _phrase_after(text, m.end(), end, max_words=6)
            else:
                s, e = _phrase_before(text, start, m.start())
            if e > s:
                found = (s, e, m.start(), m.end())
                break
    if found is None:
        return None
    s, e, cs, ce = found
    source = text[s:e]
    canonical: str | None = source
    kind = _kind(source, pats)
    if source.lower() in lex.pronouns or source.split()[0].lower() in lex.pronouns:
        if last_named is None:  # a pronoun with no one to stand for: unresolved, never a name
            return Attribution(None, None, None, None, "anonymous", None, text[cs:ce], cs, ce,
                               _quote(text, start, end), False)
        canonical, kind = last_named.source_canonical, last_named.source_kind
    return Attribution(source, s, e, canonical, kind, None, text[cs:ce], cs, ce, _quote(text, start, end), False)


def _quote(text: str, start: int, end: int) -> str:
    for qs, qe in find_quotes(text[start:end]):
        if len(_WORDS.findall(text[start + qs:start + qe])) >= 4:
            return "direct"
    return "indirect"


def _names(text: str, start: int, end: int, lex: Lexicon) -> list[tuple[int, int, str]]:
    """Capitalised word runs (the first word of the sentence only as part of a run or an acronym)."""
    out = []
    for m in _NAME.finditer(text, start, end):
        s, e = _trim(text, m.start(), m.end())
        words = text[s:e].split()
        if not words:
            continue
        if s == start or text[start:s].strip() in ("", "«", "“", "\"", "("):
            if len(words) == 1 and not (words[0].isupper() and len(words[0]) >= 2):
                continue  # a capitalised first word is just the start of the sentence
        out.append((s, e, "NAME"))
    if lex.joiners:  # "Ministério da Defesa": join runs split by a lower-case joiner
        merged: list[tuple[int, int, str]] = []
        for s, e, lab in out:
            if merged and text[merged[-1][1]:s].strip().lower() in lex.joiners and \
                    len(text[merged[-1][1]:s].split()) == 1:
                merged[-1] = (merged[-1][0], e, lab)
            else:
                merged.append((s, e, lab))
        out = merged
    return out


def extract_lexical(article: Article, lexicon: Lexicon, table: AliasTable, *, threshold: float,
                    max_chars: int) -> tuple[list[LexicalClaim], list[EntityMention], int, bool]:
    """Claims and entity mentions of one article: ``(claims, mentions, sentences, truncated)``."""
    text = article.text
    pats = _compiled(lexicon)
    sentences = [(s.start, s.end) for s in article.sentences] or [(0, len(text))]
    truncated = False
    if sentences and sentences[-1][1] > max_chars:
        truncated = True
        sentences = [(s, e) for s, e in sentences if e <= max_chars]
    spans = [n for s, e in sentences for n in _names(text, s, e, lexicon)]
    mentions = resolve_mentions(text, spans, table)
    claims = []
    last_named: Attribution | None = None
    for s, e in sentences:
        sentence = text[s:e]
        words = _WORDS.findall(sentence)
        att = _attribution(text, s, e, lexicon, pats, last_named)
        if att is not None and att.source_kind != "anonymous" and att.source_canonical:
            last_named = att
        hedges = tuple((m.start(), m.end(), " ".join(m.group().split())) for m in pats["hedges"].finditer(text, s, e))
        inside = [m for m in mentions if s <= m.start and m.end <= e]
        names = list(dict.fromkeys(m.canonical for m in inside))
        dates = list(dict.fromkeys(m.group() for m in _YEAR.finditer(sentence)))
        numbers = list(dict.fromkeys(m.group().strip() for m in _NUMBER.finditer(sentence)
                                     if m.group().strip() not in dates))
        logit = (-2.2 + 0.8 * min(len(names), 3) + 0.7 * min(len(numbers), 2) + 0.5 * min(len(dates), 1)
                 + (1.2 if att is not None else 0.0) + (0.4 if hedges else 0.0))
        if len(words) < 6 or sentence.rstrip().endswith("?"):
            logit -= 3.0
        score = 1.0 / (1.0 + math.exp(-logit))
        if att is None and score < threshold:
            continue
        claims.append(LexicalClaim(s, e, score, att or NO_ATTRIBUTION, hedges, tuple(names), tuple(numbers),
                                   tuple(dates)))
    return claims, mentions, len(sentences), truncated


def languages() -> Sequence[str]:
    """The languages this module reads."""
    return tuple(LEXICONS)
