"""Fact-check matches: every extracted claim against the imported fact-checks (ClaimReview).

A corpus stage after ``claim_vectors`` (it reuses the stored claim vectors, which embed the claim
without its attribution, so "The ministry said that X" is matched as "X"). Matching is
:class:`narratrace.factchecks.matching.Matcher`: BM25 (FTS5) + MiniLM cosine, fused, re-ranked by a
logistic model, kept when the calibrated score reaches the threshold. Importing fact-checks marks
every article's matches out of date, so the next ``analyze`` matches every claim again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from narratrace.errors import ConfigError
from narratrace.factchecks.results import ClaimMatch, FactcheckMatchResult
from narratrace.factchecks.store import save_factcheck_matches
from narratrace.pipeline import CorpusView, stage

__all__ = ["AGREE_WORDS", "SENTENCE_THRESHOLD", "SENTENCE_WORDS", "WHOLE_TEXT", "ClaimMatch", "FactcheckMatchResult",
           "agrees", "assertion_sentence", "is_lead", "make_factcheck_matches", "whole_text_id"]

#: The prefix of the claim id of a match of a short article's whole text (a post, a tweet), not of one
#: of its claims: ``text-<article id>`` (:func:`whole_text_id`).
WHOLE_TEXT = "text"


def whole_text_id(article_id: str) -> str:
    """The claim id under which a short article's whole text is matched.

    Unique per article, as a claim's ``c-<article id[:10]>-<start>`` is: the stored matches are keyed
    by claim id and fact-check, so one shared id made the whole-text matches of two posts that
    repeat the same fact-checked claim overwrite each other (and the report merged them)."""
    return f"{WHOLE_TEXT}-{article_id}"

#: A sentence that is not a claim is matched when it has at least this many content words.
SENTENCE_WORDS = 5
#: A sentence that no claim covers is listed from this score on (a match, never a possible one): on our
#: news set (tests/data/factchecks/news) the best-scoring sentence that repeats no fact-checked claim
#: scores 0.67 ("The current minimum wage was set two years ago" against "... froze the minimum wage for
#: three years"), the one that repeats one 0.97.
SENTENCE_THRESHOLD = 0.8
#: A short text's sentence is ranked on its own (sentence agreement, :func:`agrees`) when it has at least
#: this many content words.
AGREE_WORDS = 3

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())


#: The lowest score of a *possible* match (the stage's default ``possible``; ``narratrace match`` uses it too).
POSSIBLE = 0.2

@stage("factcheck_matches", version="factcheck_matches.v5", level="corpus",
       requires=["article.claims", "article.claim_vectors"], produces=["article.factcheck_matches"],
       uses=["article.sentence_vectors"], save=save_factcheck_matches, encoder=True,
       default_config={"model": "hybrid-v1", "threshold": None, "possible": POSSIBLE, "top": 3, "candidates": 50,
                       "whole_text_chars": 600, "sentences": True, "sentence_words": SENTENCE_WORDS,
                       "sentence_threshold": SENTENCE_THRESHOLD,
                       "lead": None, "lead_ratio": None, "agree_ratio": None})
def make_factcheck_matches(*, model: str, threshold: float | None, possible: float | None, top: int,
                           candidates: int, whole_text_chars: int = 600, sentences: bool = True,
                           sentence_words: int = SENTENCE_WORDS, sentence_threshold: float | None = SENTENCE_THRESHOLD,
                           lead: float | None = None, lead_ratio: float | None = None,
                           agree_ratio: float | None = None) -> Callable[..., FactcheckMatchResult]:
    """Matches of every claim to imported fact-checks (rating, publisher, link, calibrated score).

    Queries: every claim; with ``sentences``, every other sentence of a text longer than
    ``whole_text_chars`` that carries an assertion (:func:`assertion_sentence`: at least
    ``sentence_words`` content words, not a question, not site boilerplate), read from the stored
    sentence vectors (claim id ``s-<article id[:10]>-<start>``), listed only from
    ``sentence_threshold`` (0.8; None: the match threshold), so by default never as a *possible*
    match: on news text
    a sentence that no claim covers rarely repeats a fact-checked claim, and its candidates under
    that are mostly the same topic, not the same claim (docs/stages.md); and an article of at most
    ``whole_text_chars`` characters (a post, a tweet: often one assertion that the claims stage
    cuts short or does not pick) as a whole, as claim :func:`whole_text_id`
    (``text-<article id>``); 0 turns that off. Two tiers: *match* (score ≥ the model's threshold,
    0.5) and *possible* (≥ ``possible``; None keeps matches only). A short text's best candidate is
    also a *possible* match when it scores at least ``lead`` and ``lead_ratio`` times the second
    (None: the model's, set on data: hybrid-v1's on the CheckThat! train split's tweets, a trained
    model's on its training queries; ``lead`` equal to ``possible`` turns it off). It is also a
    *possible* match when the text's sentences agree (:func:`agrees`): it is the nearest fact-check of one
    of the text's sentences (of at least :data:`AGREE_WORDS` content words, ranked apart by cosine) and
    scores at least ``agree_ratio`` times the second (None: the model's, set like ``lead``; 0 turns it
    off). Precision of each tier is in docs/stages.md."""
    from narratrace.factchecks.matching import MatchOptions, load_reranker

    reranker = load_reranker(model)
    thr = reranker.threshold if threshold is None else float(threshold)
    if not 0.0 <= thr <= 1.0:
        raise ConfigError(f"factcheck_matches: threshold must be between 0 and 1, not {threshold!r}")
    if int(top) < 1 or int(candidates) < 1:
        raise ConfigError("factcheck_matches: top and candidates must be at least 1")
    low = thr if possible is None else float(possible)
    if not 0.0 <= low <= thr:
        raise ConfigError(f"factcheck_matches: possible must be between 0 and the threshold {thr}, not {possible!r}")
    lead = reranker.lead if lead is None else float(lead)
    lead_ratio = reranker.lead_ratio if lead_ratio is None else float(lead_ratio)
    if lead is not None and not (0.0 <= lead <= low and lead_ratio >= 1.0):
        raise ConfigError(f"factcheck_matches: lead must be between 0 and possible ({low}) and lead_ratio at "
                          f"least 1, not {lead!r} and {lead_ratio!r}")
    agree_ratio = reranker.agree_ratio if agree_ratio is None else (float(agree_ratio) or None)
    if agree_ratio is not None and not agree_ratio >= 1.0:
        raise ConfigError(f"factcheck_matches: agree_ratio must be at least 1 (0 turns it off), not {agree_ratio!r}")
    sentence_min = thr if sentence_threshold is None else float(sentence_threshold)
    if not low <= sentence_min <= 1.0:
        raise ConfigError(f"factcheck_matches: sentence_threshold must be between possible ({low}) and 1, "
                          f"not {sentence_threshold!r}")
    options = MatchOptions(candidates=int(candidates), top=int(top), threshold=low)

    def match(corpus: CorpusView, *, new_ids: Sequence[str],
              progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> FactcheckMatchResult:
        from narratrace.factchecks.matching import Matcher
        from narratrace.vectors import unpack_vectors
        from narratrace.store import Store
        from narratrace.factchecks.store import count_factchecks, factchecks_by_rowid

        if not isinstance(corpus, Store):
            raise ConfigError("factcheck_matches reads the fact-checks of a Store")
        if not count_factchecks(corpus):
            log.info("factcheck_matches: no fact-checks imported; nothing to match")
            return FactcheckMatchResult((), tuple(new_ids))
        from narratrace.factchecks.store import embedded_table, missing_vectors, vectors_encoder
        from narratrace.vectors import active_encoder, stored_name

        if unembedded := len(missing_vectors(corpus)):
            log.warning("factcheck_matches: %d fact-checks have no vectors (imported with --no-embed) and are "
                        "not matched; import again without --no-embed", unembedded)
        table = None
        if vectors_encoder(corpus) != stored_name(active_encoder()):  # imported with another encoder
            log.warning("factcheck_matches: the fact-checks were embedded with %s, this run uses %s: embedding "
                        "them again in memory (run `narratrace factchecks import` with this encoder to store them)",
                        vectors_encoder(corpus), stored_name(active_encoder()))
            table = embedded_table(corpus)
        matcher = Matcher(corpus, reranker=reranker, options=options, table=table)
        wanted = set(new_ids)
        languages = corpus.article_languages()
        found: list[tuple[str, str, str, Any, str]] = []
        claims = 0
        claim_spans: dict[str, list[tuple[int, int]]] = {}

        def tier(score: float) -> str:
            return "match" if score >= thr else "possible"

        index = [row for row in corpus.article_index() if row["id"] in wanted]
        short = {row["id"] for row in index if 0 < (row.get("chars") or 0) <= int(whole_text_chars)}
        # a short text's own date (a post: its published date, else its signature's), for the date prior of
        # its whole text and its claims; a longer text's claims and sentences are ranked without one
        dated = _post_dates(corpus, index, short) if matcher.reranker.date_weight else {}
        for aid, data in corpus.stage_data("claim_vectors"):
            if aid not in wanted or not data:
                continue
            vecs = unpack_vectors(data)
            claim_spans[aid] = [(sp.start, sp.end) for sp in vecs.spans]
            for cid, text, vector in zip(vecs.ids, vecs.texts, vecs.matrix):
                claims += 1
                for cand in matcher.match(text, vector, language=languages.get(aid), published=dated.get(aid)):
                    found.append((aid, cid, text, cand, tier(cand.score)))
        sentence_queries = sentences_ranked = 0
        if sentences:
            longer = [row["id"] for row in index if row["id"] not in short]  # a short text is matched whole
            sentence_queries, sentences_ranked = _match_sentences(
                corpus, longer, claim_spans, matcher, found, tier, languages, int(sentence_words), sentence_min)
        if short:
            from narratrace.factchecks.embedding import embed
            from narratrace.factchecks.matching import clean_query

            arts = list(corpus.articles([row["id"] for row in index if row["id"] in short]))
            vectors = embed([clean_query(a.text) for a in arts])
            nearest = _sentence_nearest(corpus, arts, matcher) if agree_ratio is not None else {}
            for art, vector in zip(arts, vectors):
                text = " ".join(art.text.split())
                ranked = matcher.rank(text, vector, k=max(int(top), 2), language=languages.get(art.id),
                                      published=dated.get(art.id))
                for n, cand in enumerate(ranked[:int(top)]):
                    if cand.score >= low:
                        found.append((art.id, whole_text_id(art.id), text, cand, tier(cand.score)))
                    elif n == 0 and (is_lead(ranked, lead, lead_ratio)
                                     or agrees(ranked, nearest.get(art.id, ()), agree_ratio)):
                        found.append((art.id, whole_text_id(art.id), text, cand, "possible"))
        checks = factchecks_by_rowid(corpus, (f[3].rowid for f in found))
        matches = tuple(ClaimMatch(aid, cid, text, c.key, c.rank, c.score, checks[c.rowid].to_dict(), t)
                        for aid, cid, text, c, t in found if c.rowid in checks)
        if progress:
            progress("factcheck_matches", len(new_ids), len(new_ids))
        log.info("factcheck_matches: %d claims, %d other sentences (%d ranked, the rest too far from every "
                 "fact-check), %d short texts; %d matches (%d possible) against %d fact-checks", claims,
                 sentence_queries, sentences_ranked, len(short),
                 sum(m.tier == "match" for m in matches), sum(m.tier == "possible" for m in matches), len(matcher))
        return FactcheckMatchResult(matches, tuple(new_ids), claims, len(matcher))
    return match


def is_lead(ranked: Sequence[Any], lead: float | None, ratio: float) -> bool:
    """Whether the best of ``ranked`` (candidates, best first) stands out: it scores at least ``lead``
    and at least ``ratio`` times the second (a lone candidate: against 0)."""
    if lead is None or not ranked:
        return False
    second = ranked[1].score if len(ranked) > 1 else 0.0
    return ranked[0].score >= lead and ranked[0].score >= ratio * second


def agrees(ranked: Sequence[Any], nearest: Collection[int], ratio: float | None) -> bool:
    """Whether the best of ``ranked`` (candidates with ``.rowid`` and ``.score``, best first) is also the
    nearest fact-check of one of the text's sentences (``nearest``: their rowids) and scores at least
    ``ratio`` times the second (a lone candidate: against 0). Two rankings made apart (the whole text
    by the re-ranker, each sentence alone by cosine) that agree on a fact-check."""
    if ratio is None or not ranked or ranked[0].rowid not in nearest:
        return False
    second = ranked[1].score if len(ranked) > 1 else 0.0
    return ranked[0].score > 0 and ranked[0].score >= ratio * second


def _post_dates(corpus: Any, index: Sequence[Mapping[str, Any]], short: Collection[str]) -> dict[str, str]:
    """The date of each short text of ``index``: its published date, else the date its signature gives
    (:func:`narratrace.factchecks.matching.post_date`); texts without either are left out."""
    from narratrace.factchecks.matching import post_date

    out = {row["id"]: str(row["published"]) for row in index if row["id"] in short and row.get("published")}
    undated = [row["id"] for row in index if row["id"] in short and row["id"] not in out]
    for i in range(0, len(undated), 500):
        for art in corpus.articles(undated[i:i + 500]):
            if day := post_date(art.text):
                out[art.id] = day
    return out


def _sentence_nearest(corpus: Any, arts: Sequence[Any], matcher: Any, min_words: int = AGREE_WORDS
                      ) -> dict[str, set[int]]:
    """For each short text of ``arts``: the nearest fact-check (rowid) of each of its sentences of at least
    ``min_words`` content words, read from the stored sentence vectors (else embedded here, as the
    ``sentence_vectors`` stage would)."""
    import numpy as np

    from narratrace.factchecks.matching import clean_query, content_words
    from narratrace.vectors import load_sentence_vectors, sentence_matrix, sentence_text

    out: dict[str, set[int]] = {}
    for i in range(0, len(arts), 200):
        part = arts[i:i + 200]
        stored = load_sentence_vectors(corpus, [a.id for a in part])
        chosen = [(art, [sp for sp in art.sentences
                         if len(content_words(clean_query(sentence_text(art.text, sp)))) >= min_words])
                  for art in part]
        chosen = [(art, spans) for art, spans in chosen if spans]
        if not chosen:
            continue
        matrices = sentence_matrix([(art.text, spans, stored.get(art.id)) for art, spans in chosen])
        rows = iter(matcher.nearest(np.concatenate(matrices)))  # one matrix product for the whole chunk
        for (art, _), matrix in zip(chosen, matrices):
            out[art.id] = {r for r in (next(rows) for _ in range(len(matrix))) if r is not None}
    return out


def assertion_sentence(text: str, min_words: int = SENTENCE_WORDS) -> bool:
    """Whether a sentence that is not a claim is still matched: it carries an assertion someone could
    have fact-checked. At least ``min_words`` content words (the matcher's own, stop words left
    out), not a question, not site boilerplate (:func:`narratrace.claims.checkworthiness.is_boilerplate`).
    Cheap on purpose: no parse, so every sentence of a large corpus can be looked at."""
    from narratrace.claims.checkworthiness import is_boilerplate
    from narratrace.factchecks.matching import clean_query, content_words

    stripped = text.strip().rstrip("\"”’'»)]").rstrip()
    if not stripped or stripped.endswith("?") or is_boilerplate(text):
        return False
    return len(content_words(clean_query(text))) >= min_words


def _match_sentences(corpus: Any, ids: Sequence[str], claim_spans: Mapping[str, list[tuple[int, int]]],
                     matcher: Any, found: list[tuple[str, str, str, Any, str]], tier: Callable[[float], str],
                     languages: Mapping[str, str], min_words: int, min_score: float,
                     chunk: int = 200) -> tuple[int, int]:
    """Match the assertion sentences of ``ids`` that no claim covers; returns how many were queries, and how
    many of them were ranked (the others' best cosine cannot reach ``min_score``: :meth:`Matcher.cosine_floor`).

    Their vectors are the stored sentence vectors (``sentence_vectors``: every sentence embedded once);
    a sentence without a stored row (the stage did not run, past ``max_sentences``, another encoder)
    is embedded here with exactly what that stage would have embedded (:func:`narratrace.vectors.sentence_matrix`)."""
    import numpy as np

    from narratrace.vectors import load_sentence_vectors, sentence_matrix, sentence_text

    queried = ranked = 0
    for i in range(0, len(ids), chunk):
        part = list(ids[i:i + chunk])
        stored = load_sentence_vectors(corpus, part)
        chosen: list[tuple[Any, list[Any]]] = []
        for art in corpus.articles(part):
            covered = claim_spans.get(art.id, ())
            spans = [sp for sp in art.sentences
                     if not any(a < sp.end and sp.start < b for a, b in covered)  # its claim is a query already
                     and assertion_sentence(sentence_text(art.text, sp), min_words)]
            if spans:
                chosen.append((art, spans))
        if not chosen:
            continue
        matrices = sentence_matrix([(art.text, spans, stored.get(art.id)) for art, spans in chosen])
        floor = matcher.cosine_floor(min_score)
        for (art, spans), matrix in zip(chosen, matrices):
            # one matrix product per article: a sentence whose best cosine cannot reach min_score is not
            # ranked (no BM25, no features); the bound is exact, so this only saves time
            reachable = (matcher.best_cosines(matrix) >= floor - 1e-6 if floor is not None and len(matrix)
                         else np.ones(len(spans), dtype=bool))
            for span, vector, keep in zip(spans, matrix, reachable):
                queried += 1
                if not keep:
                    continue
                ranked += 1
                text = " ".join(sentence_text(art.text, span).split())
                cid = f"s-{art.id[:10]}-{span.start}"
                for cand in matcher.match(text, vector, language=languages.get(art.id)):
                    if cand.score >= min_score:
                        found.append((art.id, cid, text, cand, tier(cand.score)))
    return queried, ranked
