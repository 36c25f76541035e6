"""Claims of one article: one spaCy pass, then entities, attribution, hedges and check-worthiness.

:func:`extract_claims` is what the ``claims`` stage runs; it returns plain records
(:class:`Extraction`) that the stage turns into annotations following the contract in
``docs/stages.md``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narratrace.model import Article, Span
from narratrace.claims.attribution import NO_ATTRIBUTION, Attribution, attribute_units, find_quotes
from narratrace.claims.checkworthiness import WEIGHTS, CheckFeatures, CheckModel, score_features, sentence_features
from narratrace.claims.entities import (NAME_LABELS, AliasTable, EntityMention, clean_name, default_aliases, entity_key,
                                        load_aliases, resolve_mentions, shouting)
from narratrace.claims.hedges import find_hedges
from narratrace.claims.lexical import LEXICONS, extract_lexical
from narratrace.languages import normalize as normalize_language
from narratrace.languages import supports
from narratrace.parsing import PIECE_CHARS, load_english, mention_syntax, ner_spans, parse_units, proper_name_runs

__all__ = ["Claim", "ClaimOptions", "Extraction", "alias_table", "extract_claims", "score_sentences",
           "sentence_checks"]

_NUMBER_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_DATE_LABELS = frozenset({"DATE", "TIME"})


@dataclass(frozen=True, slots=True)
class ClaimOptions:
    """How claims are extracted (the ``claims`` stage's configuration)."""

    threshold: float = 0.5
    aliases: str | None = None
    piece_chars: int = PIECE_CHARS
    max_chars: int = 500_000
    languages: tuple[str, ...] = ("en",)
    model: CheckModel | None = None  # check-worthiness model (None: the hand-set WEIGHTS)


@dataclass(frozen=True, slots=True)
class Claim:
    """One check-worthy (or attributed) sentence with its attribution and what it mentions."""

    start: int
    end: int
    score: float
    attribution: Attribution
    hedges: tuple[tuple[int, int, str], ...]
    entities: tuple[str, ...]
    numbers: tuple[str, ...]
    dates: tuple[str, ...]
    features: CheckFeatures | None = field(default=None, compare=False)

    def data(self, article_id: str) -> dict[str, Any]:
        """The annotation ``data`` of the contract in docs/stages.md (plus ``source_role``)."""
        a = self.attribution
        return {
            "id": f"c-{article_id[:10]}-{self.start}", "score": round(self.score, 4),
            "source": a.source, "source_canonical": a.source_canonical, "source_kind": a.source_kind,
            "source_start": a.source_start, "source_end": a.source_end, "source_role": a.source_role,
            "cue": a.cue, "cue_start": a.cue_start, "cue_end": a.cue_end, "quote": a.quote,
            "hedges": [h for _, _, h in self.hedges], "hedge_spans": [[s, e] for s, e, _ in self.hedges],
            "carried": a.carried, "entities": list(self.entities), "numbers": list(self.numbers),
            "dates": list(self.dates),
        }


@dataclass(frozen=True, slots=True)
class Extraction:
    """What :func:`extract_claims` found in one article; ``skipped`` says why nothing was looked for."""

    claims: tuple[Claim, ...] = ()
    entities: tuple[EntityMention, ...] = ()
    syntax: tuple[dict[str, Any] | None, ...] = ()   # per entity: where it stands in the parse (named ones)
    sentences: int = 0
    truncated: bool = False
    skipped: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


_TABLES: dict[str | None, AliasTable] = {}


def alias_table(path: str | Path | None = None) -> AliasTable:
    """The default alias table, with the user's table at ``path`` merged over it (cached per path)."""
    key = None if path is None else str(path)
    table = _TABLES.get(key)
    if table is None:
        table = default_aliases() if path is None else default_aliases().merged(load_aliases(path))
        _TABLES[key] = table
    return table


#: A line whose words are mostly capitalised: a title-case headline ("Putin Says West Prepared To...").
_MIN_TITLE_WORDS = 4


def _title_case_line(text: str, pos: int) -> bool:
    """Whether the line around ``pos`` is a headline in title case or capitals (at least
    :data:`_MIN_TITLE_WORDS` words, four in five of them capitalised)."""
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    words = re.findall(r"[^\W\d_][\w'’\-]*", text[a:b if b >= 0 else len(text)])
    return len(words) >= _MIN_TITLE_WORDS and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def untyped_names(text: str, units: list[Any], mentions: list[EntityMention]
                  ) -> list[tuple[EntityMention, dict[str, Any]]]:
    """Names the entity tagger missed, as ``NAME`` mentions with their parse facts: runs of
    capitalised words holding a proper noun that are a subject, object, possessor or object of a
    preposition in their clause (:func:`narratrace.parsing.proper_name_runs`: "Doctors Without
    Borders set up a clinic", "has accused the West"), overlapping no mention already found, not
    in a headline (title case or capitals) and not words the article also writes in lower case
    (a common noun that starts a sentence: "Ceasefire agreed after talks"). Its canonical form and
    label are those of the one person the article names with it as last name ("Castel believes"
    after "Erwan Castel" is that ``PERSON``), else of the name the tagger found in the same words
    elsewhere in the article ("the Harbour Courier's report" is the ``ORG`` tagged before), else
    its own with the label ``NAME``, so "the West" twice is one entity."""
    taken = sorted((m.start, m.end) for m in mentions)
    starts = [s for s, _ in taken]
    forms = {entity_key(m.canonical): (m.canonical, m.label) for m in mentions if m.label in NAME_LABELS}
    surnames: dict[str, set[str]] = {}  # a person's last name -> the full names the article gives
    for m in mentions:
        if m.label == "PERSON" and len(m.canonical.split()) > 1:
            surnames.setdefault(entity_key(m.canonical.split()[-1]), set()).add(m.canonical)
    breaks = [m.start() for m in re.finditer("\n", text)]
    headline: dict[int, bool] = {}
    lower = set(re.findall(r"(?<![\w\-'’])[a-z][a-z\-]*", text))
    out = []
    for s, e, facts in proper_name_runs(units):
        if all(w.lower() in lower for w in re.findall(r"[^\W\d_]+", text[s:e])):
            continue  # the article writes these words in lower case too: "Ceasefire agreed" heads a sentence
        i = bisect.bisect_left(starts, e)
        if any(ts < e and te > s for ts, te in taken[max(0, i - 8):i]):
            continue
        line = bisect.bisect_right(breaks, s)  # each line is judged once, however many names it holds
        if line not in headline:
            headline[line] = shouting(text, s) or _title_case_line(text, s)
        if headline[line]:
            continue
        canonical = clean_name(text[s:e])
        if not canonical:
            continue
        full = surnames.get(entity_key(canonical), set())
        if len(full) == 1:
            canonical, label = next(iter(full)), "PERSON"
        else:
            canonical, label = forms.setdefault(entity_key(canonical), (canonical, "NAME"))
        out.append((EntityMention(s, e, label, canonical, None, "parse"), dict(facts)))
    return out


def extract_claims(article: Article, options: ClaimOptions | None = None) -> Extraction:
    """Entities and claims of ``article``: English through its spaCy parse, the languages of
    :data:`~narratrace.claims.lexical.LEXICONS` through their cue lexicons; others are skipped."""
    opts = options or ClaimOptions()
    lang = normalize_language(article.language)
    if not supports(opts.languages, lang) or (lang != "en" and lang not in LEXICONS):
        return Extraction(skipped=f"no model for language {article.language!r}")
    text = article.text
    if not text.strip():
        return Extraction(skipped="empty text")
    table = alias_table(opts.aliases)
    if lang in LEXICONS:
        found, mentions, n_sentences, truncated = extract_lexical(article, LEXICONS[lang], table,
                                                                  threshold=opts.threshold, max_chars=opts.max_chars)
        return Extraction(claims=tuple(Claim(c.start, c.end, c.score, c.attribution, c.hedges, c.entities, c.numbers,
                                             c.dates) for c in found),
                          entities=tuple(mentions), syntax=tuple(None for _ in mentions), sentences=n_sentences,
                          truncated=truncated, stats={"sentences": n_sentences, "how": "lexical"})
    nlp = load_english()
    units, _docs, truncated = parse_units(nlp, text, article.sentences, article.paragraphs,
                                          piece_chars=opts.piece_chars, max_chars=opts.max_chars)
    mentions = resolve_mentions(text, ner_spans(units), table)
    if truncated:
        limit = units[-1].end if units else 0
        mentions = [m for m in mentions if m.end <= limit]
    starts = [m.start for m in mentions]
    quotes = find_quotes(text, [(p.start, p.end) for p in article.paragraphs] or None)
    hedges = [find_hedges(text, u.start, u.end) for u in units]
    attributions = attribute_units(units, text, mentions, table=table, quotes=quotes,
                                   hedged=[bool(h) for h in hedges])
    claims = []
    for u, att, hs in zip(units, attributions, hedges, strict=True):
        i = bisect.bisect_left(starts, u.start)
        inside: list[EntityMention] = []
        while i < len(mentions) and mentions[i].start < u.end:
            if mentions[i].end <= u.end:
                inside.append(mentions[i])
            i += 1
        names = _unique(m.canonical for m in inside if m.label in NAME_LABELS)
        numbers = _unique(text[m.start:m.end] for m in inside if m.label in _NUMBER_LABELS)
        numbers += _unique(t.text for t in u.tokens if t.like_num and t.pos_ == "NUM"
                           and not any(t.text in n for n in numbers) and not _in_any(u.start_of(t), inside))
        dates = _unique(text[m.start:m.end] for m in inside if m.label in _DATE_LABELS)
        sent_text = text[u.start:u.end]
        offset = u.start_of(u.tokens[0]) - u.tokens[0].idx if u.tokens else u.start
        feats = sentence_features(
            sent_text, u.tokens, named=len(names), numbers=len(numbers), dates=len(dates),
            attributed=att is not None, anonymous=att is not None and att.source_kind == "anonymous",
            hedged=bool(hs), quoted=quotes, start_of=lambda t, off=offset: off + t.idx)
        score = opts.model.stage_score(feats, sent_text) if opts.model else score_features(feats, WEIGHTS)
        if att is None and score < opts.threshold:
            continue
        claims.append(Claim(u.start, u.end, score, att or NO_ATTRIBUTION, tuple(hs), tuple(names), tuple(numbers),
                            tuple(dates), feats))
    syntax = mention_syntax(units, [(m.start, m.end) for m in mentions if m.label in NAME_LABELS])
    named = iter(syntax)
    facts = [next(named) if m.label in NAME_LABELS else None for m in mentions]
    untyped = untyped_names(text, units, mentions)
    if untyped:
        both = sorted(zip(mentions + [m for m, _ in untyped], facts + [f for _, f in untyped]),
                      key=lambda x: (x[0].start, x[0].end))
        mentions, facts = [m for m, _ in both], [f for _, f in both]
    return Extraction(claims=tuple(claims), entities=tuple(mentions), syntax=tuple(facts),
                      sentences=len(units), truncated=truncated,
                      stats={"sentences": len(units), "quotes": len(quotes)})


def score_sentences(sentences: list[str], *, aliases: str | None = None,
                    model: CheckModel | None = None) -> list[float]:
    """Check-worthiness of standalone sentences (each read as a one-sentence article)."""
    return [score for score, _ in sentence_checks(sentences, aliases=aliases, model=model)]


def sentence_checks(sentences: list[str], *, aliases: str | None = None,
                    model: CheckModel | None = None) -> list[tuple[float, CheckFeatures | None]]:
    """Score and features of standalone sentences (the best-scoring unit where spaCy splits one)."""
    out: list[tuple[float, CheckFeatures | None]] = []
    options = ClaimOptions(threshold=0.0, aliases=aliases, model=model)
    for text in sentences:
        text = " ".join(text.split())
        if not text:
            out.append((0.0, None))
            continue
        art = Article(id="score", ref="score", text=text, language="en", sentences=(Span(0, len(text)),),
                      paragraphs=(Span(0, len(text)),))
        found = extract_claims(art, options)
        best = max(found.claims, key=lambda c: c.score, default=None)
        out.append((best.score, best.features) if best else (0.0, None))
    return out


def _unique(items: Any) -> list[str]:
    seen: dict[str, None] = {}
    for x in items:
        x = re.sub(r"\s+", " ", x).strip()
        if x:
            seen.setdefault(x, None)
    return list(seen)


def _in_any(pos: int, mentions: list[EntityMention]) -> bool:
    return any(m.start <= pos < m.end for m in mentions)
