"""Matching claims to stored fact-checks: hybrid retrieval, fusion, re-ranking, a calibrated score.

For one claim (its text and, when the claims stages stored one, its MiniLM vector):

1. **Retrieval.** BM25 over the fact-checks' claim and title (SQLite FTS5, Porter stemming, any
   content word of the claim) and cosine similarity of the claim's vector to every stored claim
   vector and title vector (a brute-force float32 matrix product; see ``docs/decisions.md``):
   the best ``candidates`` of each, united.
2. **Fusion and features.** Per candidate: cosine to the claim and to the title, the BM25 score
   relative to the query's best, reciprocal-rank fusion of the two rankings (k = 60), the reciprocal
   ranks themselves, and word coverage both ways (content words of one found in the other).
3. **Re-ranking and calibration.** A logistic model over those features gives the score, read as
   the probability that the fact-check checks the same claim. The shipped default
   (``hybrid-v1``) has hand-set weights (no data was fitted); ``narratrace train matching`` fits
   the same features on data in the CheckThat! format. A match is kept when its score reaches
   ``threshold``.

Cosines are read on the MiniLM scale (:mod:`narratrace.cosines`), so the weights mean the same
with another encoder. A claim and a fact-check in two different languages (both known) share no
words, so BM25 and word coverage say nothing about them: such a pair is scored by
:data:`CROSS_LANGUAGE`, a logistic model over the dense features alone (with a multilingual
encoder, an English fact-check then matches its Bulgarian claim).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import date
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.cosines import has_map, to_reference
from narratrace.errors import ConfigError
from narratrace.ingest.heuristics import detect_language
from narratrace.languages import normalize
from narratrace.store import Store
from narratrace.vectors import encoder_languages, encoder_name, space_of
from narratrace.factchecks.store import FactcheckTable, bm25_search, load_table

__all__ = ["CROSS_LANGUAGE", "FEATURES", "Candidate", "MatchOptions", "Matcher", "Reranker", "clean_query", "content_words",
           "load_reranker", "post_date"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

FEATURES = ("cos_claim", "cos_title", "cos_max", "bm25_rel", "rrf", "dense_rr", "bm25_rr", "cover_fc", "cover_q")
DEFAULT_MODEL = "hybrid-v1"

_STOP = frozenset("""a an the and or but if then than so of in on at to for from by with without about into over
under after before during between through against as is are was were be been being am do does did doing have has
had having it its it's this that these those there here what which who whom whose when where why how not no nor
only own same too very can will just should would could may might must shall i me my we our you your he him his
she her they them their rt via amp s t also all any some such more most other each few both up down out off again
further once""".split())
_WORD = re.compile(r"\w+", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_SIGNATURE = re.compile(r"\s[—–-]\s*([^—–\n]{0,80}?)\s*\(@\w+\)\s*(?:\w+\s+\d{1,2},\s*\d{4})?\s*$")
_HANDLE = re.compile(r"(?<!\w)@(\w+)")
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_POST_DATE = re.compile(r"\(@\w+\)\s*(%s)\s+(\d{1,2}),\s*(\d{4})\s*$" % "|".join(_MONTHS), re.IGNORECASE)


def clean_query(text: str) -> str:
    """The claim text as matched: links dropped, a social-media post's trailing "— Name (@handle) date"
    signature cut to the name (who said it is part of the claim: +2.5 points MAP@5 on the CheckThat!
    train split), and the ``#``/``@`` signs dropped (``#AustralianFires`` -> "Australian Fires")."""
    text = _SIGNATURE.sub(lambda m: " " + m.group(1), text)
    text = _URL.sub(" ", text)
    text = _HASHTAG.sub(lambda m: _CAMEL.sub(" ", m.group(1)), text)
    text = _HANDLE.sub(lambda m: m.group(1), text)
    return " ".join(text.split())


def post_date(text: str) -> str | None:
    """The date of a social-media post as its embedded form signs it ("— Name (@handle) August 22, 2018" at
    the end), ISO (``2018-08-22``); None when the text carries no such signature or its date is not a day."""
    m = _POST_DATE.search(text.strip())
    if not m:
        return None
    try:
        return date(int(m.group(3)), _MONTHS.index(m.group(1).casefold()) + 1, int(m.group(2))).isoformat()
    except ValueError:
        return None


def _day(iso: str | None) -> float:
    """Days since year 1 of an ISO date (its first 10 characters); NaN when there is none."""
    try:
        return float(date.fromisoformat(str(iso)[:10]).toordinal()) if iso else float("nan")
    except ValueError:
        return float("nan")


def content_words(text: str) -> list[str]:
    """Lower-case words that are not stop words (the BM25 query, and word coverage)."""
    return [w for w in _WORD.findall(text.casefold()) if w not in _STOP and (len(w) > 1 or w.isdigit())]


@dataclass(frozen=True, slots=True)
class MatchOptions:
    candidates: int = 50      # from each retriever
    top: int = 5              # matches reported per claim
    threshold: float = 0.5    # calibrated score a match needs
    rrf_k: int = 60
    max_terms: int = 32           # BM25 query: at most this many of the claim's rarest words
    common_share: float = 0.10    # ... leaving out words in more than this share of the fact-checks
    common_min: int = 2000        # ... once the collection holds at least this many


@dataclass(frozen=True, slots=True)
class Reranker:
    """A logistic model over :data:`FEATURES`: ``score = sigmoid(intercept + coef · features)``."""

    coef: tuple[float, ...]
    intercept: float
    features: tuple[str, ...] = FEATURES
    name: str = DEFAULT_MODEL
    threshold: float = 0.5
    # A short text's best candidate under the possible tier is still a possible match when it scores
    # at least ``lead`` and ``lead_ratio`` times the second (None: never); set on data, see
    # :func:`narratrace.factchecks.evaluation.choose_lead`.
    lead: float | None = None
    lead_ratio: float = 2.0
    # A short text's best candidate under the possible tier is also a possible match when it is the
    # nearest fact-check (cosine) of one of the text's sentences and scores at least ``agree_ratio``
    # times the second (None: never): the whole text and one of its sentences, ranked apart, agree.
    # Set on data, see :func:`narratrace.factchecks.evaluation.choose_agreement`.
    agree_ratio: float | None = None
    # Date prior: the log-odds of a candidate rise by ``date_weight`` when the fact-check was published from
    # ``date_window[0]`` days before to ``date_window[1]`` days after the text it is matched to (a post's
    # date: :meth:`Matcher.rank`'s ``published``); None: no prior. Set on data like ``lead``.
    date_weight: float | None = None
    date_window: tuple[int, int] = (7, 30)
    # A fine-tuned bi-encoder that scores the best candidates again (``train matching --fine-tune``:
    # :class:`narratrace.factchecks.finetuned.Rescorer`); None: the score above is final.
    rescorer: Any = field(default=None, compare=False, repr=False)

    def score(self, x: np.ndarray) -> np.ndarray:
        z = x @ np.asarray(self.coef, dtype=np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def to_dict(self) -> dict[str, Any]:
        out = {"features": list(self.features), "coef": list(self.coef), "intercept": self.intercept,
               "threshold": self.threshold}
        if self.lead is not None:
            out.update(lead=self.lead, lead_ratio=self.lead_ratio)
        if self.agree_ratio is not None:
            out.update(agree_ratio=self.agree_ratio)
        if self.date_weight is not None:
            out.update(date_weight=self.date_weight, date_window=list(self.date_window))
        return out


def load_reranker(model: str | Path | None = None) -> Reranker:
    """The re-ranker of a model directory (``weights.json``) or name; the shipped ``hybrid-v1`` by default."""
    from narratrace.cards import load_card, resolve_model

    path = resolve_model("matching", model, default=DEFAULT_MODEL)
    try:
        weights = json.loads((path / "weights.json").read_text(encoding="utf-8"))
        features = tuple(weights["features"])
        coef = tuple(float(c) for c in weights["coef"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"matching model {path}: unreadable weights.json ({exc})") from None
    if features != FEATURES or len(coef) != len(FEATURES):
        raise ConfigError(f"matching model {path} uses features {list(features)}; this version computes {list(FEATURES)}")
    lead, agree, dated = weights.get("lead"), weights.get("agree_ratio"), weights.get("date_weight")
    rescorer = None
    from narratrace.factchecks.finetuned import Rescorer, is_fine_tuned

    if is_fine_tuned(path):
        rescorer = Rescorer.load(path)
    try:
        before, after = (int(d) for d in weights.get("date_window", (7, 30)))
        return Reranker(coef, float(weights["intercept"]), features, load_card(path).get("name", path.name),
                        float(weights.get("threshold", 0.5)), None if lead is None else float(lead),
                        float(weights.get("lead_ratio", 2.0)), None if agree is None else float(agree),
                        None if dated is None else float(dated), (before, after), rescorer)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"matching model {path}: unreadable weights.json ({exc})") from None


# Hand-set like hybrid-v1 (no data fitted): a translation at dense rank 1 needs a MiniLM-scale cosine
# of 0.55, at rank 3 of 0.59. Checked on the translation pairs and near misses written for
# tests/test_factchecks_crosslingual.py (docs/decisions.md).
CROSS_LANGUAGE = Reranker(coef=(0.0, 0.0, 14.0, 0.0, 0.0, 0.8, 0.0, 0.0, 0.0), intercept=-8.5,
                          name="cross-language-v1")


_COSINE_FEATURES = ("cos_claim", "cos_title", "cos_max")


def _cosine_floor(reranker: Reranker, min_score: float, rrf_k: int) -> float | None:
    """See :meth:`Matcher.cosine_floor`: cos_claim and cos_title never exceed cos_max, so with
    non-negative weights the cosine terms are at most their summed weight times cos_max."""
    coef = dict(zip(reranker.features, reranker.coef))
    if not 0.0 < min_score < 1.0 or any(coef.get(f, 0.0) < 0 for f in _COSINE_FEATURES):
        return None
    weight = sum(coef.get(f, 0.0) for f in _COSINE_FEATURES)
    if weight <= 0:
        return None
    rest = sum(max(0.0, c) * (2.0 / (rrf_k + 1) if f == "rrf" else 1.0)
               for f, c in coef.items() if f not in _COSINE_FEATURES)
    return (float(np.log(min_score / (1.0 - min_score))) - reranker.intercept - rest) / weight


@dataclass(frozen=True, slots=True)
class Candidate:
    """One fact-check ranked for one claim."""

    rowid: int
    key: str
    rank: int
    score: float                          # calibrated: probability of the same claim
    features: Mapping[str, float] = field(default_factory=dict)


class Matcher:
    """Matches texts against the fact-checks of a store (loaded once: vectors in memory, BM25 in SQLite)."""

    def __init__(self, store: Store, *, reranker: Reranker | None = None, options: MatchOptions | None = None,
                 table: FactcheckTable | None = None) -> None:
        self.store = store
        self.reranker = reranker or load_reranker()
        self.options = options or MatchOptions()
        self.table = table if table is not None else load_table(store)
        self.space = space_of(encoder_name())  # the table and the claim vectors are the run's encoder's
        self.multilingual = encoder_languages() is None
        self._pos = {int(r): i for i, r in enumerate(self.table.rowids.tolist())}
        self._languages: dict[int, str] = {}
        self._texts: dict[int, str] = {}
        self._df: dict[str, int] | None = None
        self._days = np.asarray([_day(p) for p in self.table.published], dtype=np.float64)

    def _doc_freq(self) -> dict[str, int]:
        """How many fact-checks use each content word (counted once, on first use)."""
        if self._df is None:
            df: dict[str, int] = {}
            for claim, title in self.store.db.execute("SELECT claim, title FROM factchecks"):
                for w in set(content_words(f"{claim} {title or ''}")):
                    df[w] = df.get(w, 0) + 1
            self._df = df
        return self._df

    def query_terms(self, text: str) -> list[str]:
        """The BM25 query: the claim's content words, rarest first, without the very common ones.

        Words in more than ``common_share`` of a large collection add little to the ranking but
        make FTS5 score most of the collection (10x the time at 100,000 fact-checks)."""
        words = list(dict.fromkeys(content_words(text)))
        n = len(self.table)
        if n < self.options.common_min and len(words) <= self.options.max_terms:
            return words
        df = self._doc_freq()
        limit = self.options.common_share * n if n >= self.options.common_min else float("inf")
        kept = [w for w in words if df.get(w, 0) <= limit]
        kept.sort(key=lambda w: df.get(w, 0))
        return kept[:self.options.max_terms]

    def __len__(self) -> int:
        return len(self.table)

    def language_of(self, i: int) -> str:
        """Fact-check ``i``'s language: its record's own, else detected from its claim (``und`` when unsure)."""
        if i not in self._languages:
            given = self.table.languages[i] if i < len(self.table.languages) else None
            code = normalize(given)
            if code == "und":
                text = self._claim_texts([int(self.table.rowids[i])])[int(self.table.rowids[i])]
                code = detect_language(text)
            self._languages[i] = code
        return self._languages[i]

    def _cosines(self, matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Cosines of ``q`` to every row, on the MiniLM scale; rows without a vector (no title) stay 0."""
        raw = matrix @ q
        if not has_map(self.space):
            return raw
        mapped = to_reference(raw, self.space).astype(np.float32)
        return np.where(np.any(matrix != 0, axis=1), mapped, np.float32(0.0))

    def best_cosines(self, queries: np.ndarray) -> np.ndarray:
        """Each query row's best cosine (MiniLM scale) to any fact-check's claim or title: one matrix
        product for many queries, no BM25."""
        q = np.asarray(queries, dtype=np.float32).reshape(len(queries), -1)
        if not len(self.table) or not len(q):
            return np.full(len(q), -1.0)
        norms = np.linalg.norm(q, axis=1, keepdims=True)
        q = q / np.where(norms > 0, norms, 1.0)
        best = np.full(len(q), -1.0)
        for matrix in (self.table.vectors, self.table.title_vectors):
            raw = matrix @ q.T                                  # (fact-checks, queries)
            if has_map(self.space):
                raw = np.where(np.any(matrix != 0, axis=1)[:, None], to_reference(raw, self.space), 0.0)
            best = np.maximum(best, raw.max(axis=0))
        return best

    def nearest(self, queries: np.ndarray) -> list[int | None]:
        """Each query row's nearest fact-check (rowid) by the best cosine to its claim or title; None for
        a zero row or an empty collection. One matrix product for many queries, no BM25."""
        q = np.asarray(queries, dtype=np.float32).reshape(len(queries), -1)
        if not len(self.table) or not len(q):
            return [None] * len(q)
        norms = np.linalg.norm(q, axis=1)
        q = q / np.where(norms > 0, norms, 1.0)[:, None]
        best = np.full((len(self.table), len(q)), -np.inf)
        for matrix in (self.table.vectors, self.table.title_vectors):
            raw = matrix @ q.T                                  # (fact-checks, queries)
            if has_map(self.space):
                raw = np.where(np.any(matrix != 0, axis=1)[:, None], to_reference(raw, self.space), 0.0)
            best = np.maximum(best, raw)
        top = best.argmax(axis=0)
        return [int(self.table.rowids[i]) if norms[j] > 0 else None for j, i in enumerate(top.tolist())]

    def cosine_floor(self, min_score: float) -> float | None:
        """The best cosine below which no candidate of a query can score ``min_score``, whatever its other
        features (each at most 1, reciprocal-rank fusion at most 2/(k+1)); None when the model gives
        no such bound (a negative weight on a cosine). Exact: a query under it is not worth ranking.
        With a fine-tuned re-scorer, the bound is the one of the hybrid score it needs (:meth:`Rescorer.base_min`)."""
        if self.reranker.rescorer is not None:
            base = self.reranker.rescorer.base_min(min_score)
            if base is None:
                return None
            min_score = base
        floors = [_cosine_floor(r, min_score, self.options.rrf_k)
                  for r in ((self.reranker, CROSS_LANGUAGE) if self.multilingual else (self.reranker,))]
        return None if any(f is None for f in floors) else min(floors)  # type: ignore[type-var]

    def _claim_texts(self, rowids: Sequence[int]) -> dict[int, str]:
        missing = [r for r in rowids if r not in self._texts]
        for i in range(0, len(missing), 500):
            chunk = missing[i:i + 500]
            for rowid, claim, title in self.store.db.execute(
                    f"SELECT rowid, claim, title FROM factchecks WHERE rowid IN ({','.join('?' * len(chunk))})",
                    chunk):
                self._texts[rowid] = f"{claim} {title or ''}"
        if len(self._texts) > 200_000:
            self._texts.clear()
        return {r: self._texts.get(r, "") for r in rowids}

    def rank(self, text: str, vector: np.ndarray | None = None, *, k: int | None = None,
             language: str | None = None, published: str | None = None) -> list[Candidate]:
        """The best ``k`` (default ``options.top``) fact-checks for ``text``, best first, whatever their score.

        ``language`` is the claim's; with a multilingual encoder, fact-checks in another known
        language are scored by :data:`CROSS_LANGUAGE`. ``published`` (ISO date) is the text's own date:
        with the re-ranker's date prior (``date_weight``), a fact-check published in its window around
        that date scores higher (feature ``date_near``: 1 inside, 0 outside or without a date)."""
        from narratrace.factchecks.embedding import embed

        k = self.options.top if k is None else k
        if not len(self.table) or not text.strip():
            return []
        query = clean_query(text)
        q = embed([query])[0] if vector is None else np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        q = q / norm if norm > 0 else q
        cos_c = self._cosines(self.table.vectors, q)
        cos_t = self._cosines(self.table.title_vectors, q)
        cos_m = np.maximum(cos_c, cos_t)
        n_c = min(self.options.candidates, len(cos_m))
        dense_top = np.argpartition(-cos_m, n_c - 1)[:n_c]
        dense_top = dense_top[np.argsort(-cos_m[dense_top], kind="stable")]
        dense_rank = {int(i): r for r, i in enumerate(dense_top.tolist(), start=1)}
        words = content_words(query)
        bm25 = [(self._pos[r], s) for r, s in bm25_search(self.store, self.query_terms(query),
                                                          limit=self.options.candidates)
                if r in self._pos]
        bm25_rank = {i: r for r, (i, _) in enumerate(bm25, start=1)}
        bm25_score = dict(bm25)
        best_bm25 = max((s for _, s in bm25), default=0.0) or 1.0
        pool = list(dict.fromkeys([*dense_rank, *bm25_rank]))
        rowids = [int(self.table.rowids[i]) for i in pool]
        texts = self._claim_texts(rowids)
        qset = set(words)
        rrf_k = self.options.rrf_k
        x = np.zeros((len(pool), len(FEATURES)), dtype=np.float64)
        for row, (i, rowid) in enumerate(zip(pool, rowids)):
            fset = set(content_words(texts[rowid]))
            shared = len(qset & fset)
            dr, br = dense_rank.get(i), bm25_rank.get(i)
            x[row] = (cos_c[i], cos_t[i], cos_m[i], bm25_score.get(i, 0.0) / best_bm25,
                      (1 / (rrf_k + dr) if dr else 0.0) + (1 / (rrf_k + br) if br else 0.0),
                      1 / dr if dr else 0.0, 1 / br if br else 0.0,
                      shared / len(fset) if fset else 0.0, shared / len(qset) if qset else 0.0)
        scores = self.reranker.score(x)
        if self.reranker.rescorer is not None:
            scores = self.reranker.rescorer.rescore(query, scores, [texts[r] for r in rowids])
        near = np.zeros(len(pool))
        day = _day(published)
        if self.reranker.date_weight and day == day and pool:
            gap = self._days[pool] - day                      # NaN (no date) compares False: no prior
            before, after = self.reranker.date_window
            near = ((gap >= -before) & (gap <= after)).astype(np.float64)
            z = np.log(np.clip(scores, 1e-12, 1 - 1e-12) / np.clip(1 - scores, 1e-12, 1.0))
            scores = 1.0 / (1.0 + np.exp(-np.clip(z + self.reranker.date_weight * near, -40, 40)))
        lang = normalize(language)
        if self.multilingual and lang != "und":
            other = [row for row, i in enumerate(pool) if self.language_of(i) not in ("und", lang)]
            if other:
                scores[other] = CROSS_LANGUAGE.score(x[other])
        order = np.argsort(-scores, kind="stable")[:k]
        return [Candidate(rowids[j], self.table.keys[pool[j]], rank, float(scores[j]),
                          {**{f: round(float(v), 4) for f, v in zip(FEATURES, x[j])}, "date_near": float(near[j])})
                for rank, j in enumerate(order.tolist(), start=1)]

    def match(self, text: str, vector: np.ndarray | None = None, *, language: str | None = None,
              published: str | None = None) -> list[Candidate]:
        """The fact-checks that match ``text`` (score ≥ threshold), best first, at most ``options.top``."""
        return [c for c in self.rank(text, vector, language=language, published=published)
                if c.score >= self.options.threshold]

    def features_for(self, text: str, vector: np.ndarray | None = None) -> list[Candidate]:
        """Every fused candidate with its features (for training), in no particular order."""
        return self.rank(text, vector, k=2 * self.options.candidates)
