"""Fact-check matches: every extracted claim against the imported fact-checks (ClaimReview).

A corpus stage after ``claim_vectors`` (it reuses the stored claim vectors, which embed the claim
without its attribution, so "The ministry said that X" is matched as "X"). Matching is
:class:`narratrace.factchecks.matching.Matcher`: BM25 (FTS5) + MiniLM cosine, fused, re-ranked by a
logistic model, kept when the calibrated score reaches the threshold. Importing fact-checks marks
every article's matches out of date, so the next ``analyze`` matches every claim again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from narratrace.errors import ConfigError
from narratrace.factchecks.store import save_factcheck_matches
from narratrace.pipeline import CorpusView, stage

__all__ = ["WHOLE_TEXT", "ClaimMatch", "FactcheckMatchResult", "make_factcheck_matches", "whole_text_id"]

#: The prefix of the claim id of a match of a short article's whole text (a post, a tweet), not of one
#: of its claims: ``text-<article id>`` (:func:`whole_text_id`).
WHOLE_TEXT = "text"


def whole_text_id(article_id: str) -> str:
    """The claim id under which a short article's whole text is matched.

    Unique per article, as a claim's ``c-<article id[:10]>-<start>`` is: the stored matches are keyed
    by claim id and fact-check, so one shared id made the whole-text matches of two posts that
    repeat the same fact-checked claim overwrite each other (and the report merged them)."""
    return f"{WHOLE_TEXT}-{article_id}"

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """One claim of an article matched to one fact-check."""

    article_id: str
    claim_id: str
    claim_text: str
    factcheck_key: str
    rank: int
    score: float
    factcheck: Mapping[str, Any]      # FactCheck.to_dict() at matching time
    tier: str = "match"               # "match" (score >= threshold) or "possible" (>= possible)

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article_id, "claim": self.claim_id, "claim_text": self.claim_text,
                "factcheck_key": self.factcheck_key, "rank": self.rank, "score": round(self.score, 4),
                "tier": self.tier, "factcheck": dict(self.factcheck)}


@dataclass(frozen=True, slots=True)
class FactcheckMatchResult:
    matches: tuple[ClaimMatch, ...]
    compared: tuple[str, ...]
    claims: int = 0
    factchecks: int = 0


@stage("factcheck_matches", version="factcheck_matches.v4", level="corpus",
       requires=["article.claims", "article.claim_vectors"], produces=["article.factcheck_matches"],
       save=save_factcheck_matches, encoder=True,
       default_config={"model": "hybrid-v1", "threshold": None, "possible": 0.2, "top": 3, "candidates": 50,
                       "whole_text_chars": 600})
def make_factcheck_matches(*, model: str, threshold: float | None, possible: float | None, top: int,
                           candidates: int, whole_text_chars: int = 600) -> Callable[..., FactcheckMatchResult]:
    """Matches of every claim to imported fact-checks (rating, publisher, link, calibrated score).

    An article of at most ``whole_text_chars`` characters (a post, a tweet: often one assertion
    that the claims stage cuts short or does not pick) is also matched as a whole, as claim
    :func:`whole_text_id` (``text-<article id>``); 0 turns that off. Two tiers: *match* (score ≥ the model's threshold, 0.5) and
    *possible* (≥ ``possible``; None keeps matches only). Precision of each on the CheckThat!
    held-out queries is in docs/quality.md."""
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
        found: list[tuple[str, str, str, Any]] = []
        claims = 0
        for aid, data in corpus.stage_data("claim_vectors"):
            if aid not in wanted or not data:
                continue
            vecs = unpack_vectors(data)
            for cid, text, vector in zip(vecs.ids, vecs.texts, vecs.matrix):
                claims += 1
                for cand in matcher.match(text, vector, language=languages.get(aid)):
                    found.append((aid, cid, text, cand))
        short = [row["id"] for row in corpus.article_index()
                 if row["id"] in wanted and 0 < (row.get("chars") or 0) <= int(whole_text_chars)]
        if short:
            from narratrace.factchecks.embedding import embed
            from narratrace.factchecks.matching import clean_query

            arts = list(corpus.articles(short))
            vectors = embed([clean_query(a.text) for a in arts])
            for art, vector in zip(arts, vectors):
                text = " ".join(art.text.split())
                for cand in matcher.match(text, vector, language=languages.get(art.id)):
                    found.append((art.id, whole_text_id(art.id), text, cand))
        checks = factchecks_by_rowid(corpus, (c.rowid for *_, c in found))
        matches = tuple(ClaimMatch(aid, cid, text, c.key, c.rank, c.score, checks[c.rowid].to_dict(),
                                   "match" if c.score >= thr else "possible")
                        for aid, cid, text, c in found if c.rowid in checks)
        if progress:
            progress("factcheck_matches", len(new_ids), len(new_ids))
        log.info("factcheck_matches: %d claims, %d matches (%d possible) against %d fact-checks", claims,
                 sum(m.tier == "match" for m in matches), sum(m.tier == "possible" for m in matches), len(matcher))
        return FactcheckMatchResult(matches, tuple(new_ids), claims, len(matcher))
    return match
