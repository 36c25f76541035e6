"""Republication: which articles copy (part of) which, what they share, added and changed.

Two stages:

* ``fingerprints`` (per article) stores a content-defined sample of 5-word shingle
  hashes, so a new article is compared with the corpus without re-reading old texts.
* ``republications`` (corpus) finds candidate pairs that share enough fingerprints
  (containment, so a 50 % excerpt or a repost with a long preamble is still found),
  verifies each by aligning the two texts word by word into shared passages, decides
  which is the original from evidence (a credit line, dates, then ingestion order) and
  groups connected copies.
"""

from __future__ import annotations

import bisect
import functools
import logging
from narratrace.workers import fork_pool
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from narratrace.boilerplate.lines import masked
from narratrace.boilerplate.stage import boilerplate_spans
from narratrace.model import (Annotation, Article, Edit, Passage, RepublicationGroup, RepublicationPair, Span)
from narratrace.pipeline import CorpusView, StageOutput, stage
from narratrace.republications.shingles import Tokens, fingerprints, shingle_hashes, word_hashes

__all__ = ["Alignment", "RepublicationResult", "align", "candidate_pairs", "choose_original",
           "compare", "group_pairs", "make_fingerprints", "make_republications"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

FINGERPRINT_K = 5
FINGERPRINT_SAMPLE = 8
#: Below this many candidate pairs verification runs in-process.
PARALLEL_MIN_PAIRS = 400
#: Fewest fingerprints two articles must share to become a candidate pair (any engine).
CANDIDATE_MIN_SHARED = 3
#: The ``republications`` config keys that :func:`compare` takes (the Spark engine builds the same options).
VERIFY_OPTIONS = ("k", "max_gap", "min_passage_words", "min_shared_words", "min_share")


# -- per-article stage ---------------------------------------------------------------------
@stage("fingerprints", version="fingerprints.v1", level="article", requires=["article.text"],
       produces=["article.fingerprints"], default_config={"k": FINGERPRINT_K, "sample": FINGERPRINT_SAMPLE})
def make_fingerprints(*, k: int, sample: int) -> Callable[[Article], StageOutput]:
    """Sampled word-shingle hashes of each article, stored to find candidate copies."""
    def fingerprint(article: Article) -> StageOutput:
        fps = fingerprints(word_hashes(article.text), k=k, sample=sample)
        return StageOutput(data=fps.astype("<u8").tobytes())
    return fingerprint


# -- candidates ----------------------------------------------------------------------------
def candidate_pairs(fps: Sequence[np.ndarray], is_new: np.ndarray, *, max_df: int = 200,
                    min_shared: int = CANDIDATE_MIN_SHARED, min_share: float = 0.2) -> list[tuple[int, int, int]]:
    """Index pairs ``(i, j, shared)`` with ``i < j``, at least one new, sharing enough fingerprints.

    Fingerprints held by more than ``max_df`` articles (site boilerplate, stock phrases)
    are ignored; ``min_share`` is relative to the article with fewer fingerprints, so a
    short excerpt of a long article qualifies.
    """
    n = len(fps)
    if n < 2:
        return []
    lens = np.fromiter((len(f) for f in fps), dtype=np.int64, count=n)
    if lens.sum() == 0:
        return []
    hashes = np.concatenate([np.asarray(f, dtype=np.uint64) for f in fps])
    docs = np.repeat(np.arange(n, dtype=np.int64), lens)
    order = np.argsort(hashes, kind="stable")
    hashes, docs = hashes[order], docs[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    sizes = np.diff(np.r_[starts, len(hashes)])
    keep = (sizes >= 2) & (sizes <= max_df)
    keys = []
    for g in np.unique(sizes[keep]):
        group_starts = starts[keep & (sizes == g)]
        iu, ju = np.triu_indices(int(g), 1)
        a = docs[group_starts[:, None] + iu[None, :]].ravel()
        b = docs[group_starts[:, None] + ju[None, :]].ravel()
        wanted = is_new[a] | is_new[b]
        keys.append(a[wanted] * n + b[wanted])
    if not keys:
        return []
    uniq, counts = np.unique(np.concatenate(keys), return_counts=True)
    a, b = uniq // n, uniq % n
    smaller = np.minimum(lens[a], lens[b])
    ok = (counts >= min_shared) & (counts >= min_share * smaller)
    return list(zip(a[ok].tolist(), b[ok].tolist(), counts[ok].tolist()))


# -- alignment -----------------------------------------------------------------------------
@dataclass(slots=True)
class _Block:
    i0: int
    i1: int
    j0: int
    j1: int
    gaps: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Alignment:
    """Shared passages of text ``a`` and text ``b`` (character offsets), and the edits inside them.

    Passages and edits are stored as ``(a_start, a_end, b_start, b_end)``.
    """

    passages: tuple[tuple[int, int, int, int], ...]
    edits: tuple[tuple[int, int, int, int], ...]
    shared_words: int
    a_covered: int
    b_covered: int

    def swapped(self) -> Alignment:
        def sw(t: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
            return (t[2], t[3], t[0], t[1])
        return Alignment(tuple(sorted(map(sw, self.passages))), tuple(sorted(map(sw, self.edits))),
                         self.shared_words, self.b_covered, self.a_covered)


def align(a: Tokens, b: Tokens, *, k: int = FINGERPRINT_K, max_gap: int = 8,
          min_words: int = 10) -> Alignment:
    """Align two texts on exact runs of ``k``-word shingles, merging runs across small edits.

    Runs whose gaps are at most ``max_gap`` words on both sides join into one passage
    and the gap becomes an edit (substitution, insertion or deletion); a longer gap
    splits passages, so an inserted paragraph shows as an addition, not as an edit.
    """
    runs = _exact_runs(shingle_hashes(a.hashes, k), shingle_hashes(b.hashes, k))
    blocks: list[_Block] = []
    for i0, i1, j0, j1 in runs:
        if blocks:
            blk = blocks[-1]
            gap_b = i0 - (blk.i1 + k)
            gap_a = j0 - (blk.j1 + k)
            if _joinable(gap_a, gap_b, k, max_gap):
                if gap_b > 0 or gap_a > 0:
                    blk.gaps.append((blk.j1 + k, max(j0, blk.j1 + k), blk.i1 + k, max(i0, blk.i1 + k)))
                blk.i1, blk.j1 = i1, j1
                continue
        blocks.append(_Block(i0, i1, j0, j1))
    passages = []
    edits = []
    shared_words = 0
    for blk in blocks:
        words = blk.i1 + k - blk.i0
        if words < min_words:
            continue
        shared_words += words - sum(g[3] - g[2] for g in blk.gaps)
        passages.append((a.starts[blk.j0], a.ends[blk.j1 + k - 1], b.starts[blk.i0], b.ends[blk.i1 + k - 1]))
        for ja, jb, ia, ib in blk.gaps:
            edits.append((_char_range(a, ja, jb), _char_range(b, ia, ib)))
    edit_tuples = tuple((ea[0], ea[1], eb[0], eb[1]) for ea, eb in edits)
    return Alignment(tuple(passages), edit_tuples, shared_words,
                     _union_length([(p[0], p[1]) for p in passages]),
                     _union_length([(p[2], p[3]) for p in passages]))


def _exact_runs(sa: np.ndarray, sb: np.ndarray) -> list[list[int]]:
    """Maximal diagonal runs ``[i0, i1, j0, j1]`` of equal shingles (``sb[i] == sa[j]``), in ``b`` order.

    Vectorised when every shingle of ``a`` is distinct (the usual case); a text that
    repeats itself goes through the sequential matcher, which keeps runs monotonic.
    """
    if len(sa) == 0 or len(sb) == 0:
        return []
    order = np.argsort(sa, kind="stable")
    sorted_a = sa[order]
    if len(sorted_a) > 1 and bool((sorted_a[1:] == sorted_a[:-1]).any()):
        return _exact_runs_sequential(sa.tolist(), sb.tolist())
    pos = np.minimum(np.searchsorted(sorted_a, sb), len(sa) - 1)
    matched = sorted_a[pos] == sb
    j = np.where(matched, order[pos], -2)
    cont = np.zeros(len(sb), dtype=bool)
    cont[1:] = matched[1:] & matched[:-1] & (j[1:] == j[:-1] + 1)
    starts = np.flatnonzero(matched & ~cont)
    if len(starts) == 0:
        return []
    # a run ends just before the next position that does not continue it
    breaks = np.append(np.flatnonzero(~cont), len(sb))
    ends = breaks[np.searchsorted(breaks, starts, side="right")] - 1
    js = j[starts]
    return [[int(i0), int(i1), int(j0), int(j0 + (i1 - i0))] for i0, i1, j0 in zip(starts, ends, js)]


def _exact_runs_sequential(sa: list[int], sb: list[int]) -> list[list[int]]:
    index: dict[int, list[int]] = {}
    for j, h in enumerate(sa):
        index.setdefault(h, []).append(j)
    runs: list[list[int]] = []
    cur: list[int] | None = None
    last_j = -1
    len_a = len(sa)
    for i, h in enumerate(sb):
        if cur is not None and cur[1] == i - 1 and cur[3] + 1 < len_a and sa[cur[3] + 1] == h:
            cur[1] = i
            cur[3] += 1
            last_j = cur[3]
            continue
        js = index.get(h)
        if js is None:
            continue
        pos = bisect.bisect_right(js, last_j)
        j = js[pos] if pos < len(js) else js[0]
        cur = [i, i, j, j]
        runs.append(cur)
        last_j = j
    return runs


def _joinable(gap_a: int, gap_b: int, k: int, max_gap: int) -> bool:
    """Whether a gap between two runs is an edit (join) or an insertion/deletion (split).

    Small gaps always join; a longer stretch joins only when both sides changed about as
    many words (a reworded phrase), never when one side simply has more text.
    """
    if gap_a <= -k or gap_b <= -k:
        return False
    largest = max(gap_a, gap_b)
    if largest <= max_gap:
        return True
    return largest <= 3 * max_gap and abs(gap_a - gap_b) <= max(2, largest // 4)


def _char_range(t: Tokens, w0: int, w1: int) -> tuple[int, int]:
    """Characters of words ``[w0, w1)``; an empty word range maps to the point before word w0."""
    if w1 > w0:
        return t.starts[w0], t.ends[w1 - 1]
    point = t.starts[w0] if w0 < len(t.starts) else (t.ends[-1] if t.ends else 0)
    return point, point


def _union_length(ranges: list[tuple[int, int]]) -> int:
    total = 0
    end = -1
    for s, e in sorted(ranges):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


# -- which is the original -----------------------------------------------------------------
_SQUASH = re.compile(r"[^0-9a-z]+")


def _squash(name: str | None) -> str:
    s = _SQUASH.sub("", (name or "").lower())
    return s[3:] if s.startswith("the") and len(s) > 6 else s


def _domain(url: str | None) -> str:
    m = re.match(r"^[a-z]+://([^/]+)", (url or "").lower())
    return _squash(m.group(1)) if m else ""


def _is_named(article: Article, name: str) -> bool:
    """Whether ``name`` (from a credit line) designates ``article``'s outlet."""
    key = _squash(name)
    if len(key) < 3:
        return False
    if article.outlet:
        return _squash(article.outlet) == key
    if key in _domain(article.url):
        return True
    return False


def _credits(article: Article) -> tuple[Any, ...]:
    return _credits_in(article.text)


@functools.lru_cache(maxsize=8192)
def _credits_in(text: str) -> tuple[Any, ...]:
    """Credit lines of a text, cached: one article takes part in many pairs."""
    from narratrace.ingest.heuristics import find_credits

    return tuple(find_credits(text))


_CUE_STRENGTH = {"original-source": 0, "first-published": 1, "republished": 2, "courtesy": 3, "source": 4,
                 "byline": 5, "via": 6, "copyright": 7}


def _credited(by: Article, other: Article) -> Any | None:
    """The strongest credit line in ``by`` that names ``other`` (and not ``by`` itself), if any."""
    for credit in sorted(_credits(by), key=lambda c: (_CUE_STRENGTH.get(c.cue, 9), c.start)):
        if _is_named(by, credit.name):
            continue
        if _is_named(other, credit.name) or (not other.outlet and _names_in_header(other, credit.name)):
            return credit
    return None


def _names_in_header(article: Article, name: str) -> bool:
    """Unknown outlet: the credited name standing alone on one of the article's first lines."""
    key = _squash(name)
    for line in article.text[:400].split("\n")[:6]:
        if _squash(line) == key:
            return True
    return False


def _original_date(copy: Article, original: Article) -> str | None:
    """The first date that a credit line of ``copy`` naming ``original`` gives it (the strongest credit,
    "The original source of this article is X" at the foot, often has none; the byline above does)."""
    from narratrace.ingest.heuristics import credited_date

    for credit in sorted(_credits(copy), key=lambda c: c.start):
        if _is_named(copy, credit.name) or not (
                _is_named(original, credit.name) or (not original.outlet and _names_in_header(original, credit.name))):
            continue
        found = credited_date(copy.text, credit)
        if found is not None:
            return found
    return None


def _label(a: Article) -> str:
    return f"{a.ref}" + (f" ({a.outlet})" if a.outlet else "")


def choose_original(a: Article, b: Article, *, a_seq: int, b_seq: int) -> tuple[Article, Article, str, str]:
    """``(original, copy, reason, evidence)`` for two articles that share text.

    Evidence, strongest first: an explicit credit in one naming the other; the earlier
    publication date; the order of ingestion (stated as an assumption).
    """
    original, copy, reason, evidence, _ = _choose(a, b, a_seq=a_seq, b_seq=b_seq)
    return original, copy, reason, evidence


def _choose(a: Article, b: Article, *, a_seq: int, b_seq: int) -> tuple[Article, Article, str, str, str | None]:
    """:func:`choose_original`, and the original's date as the copy's credit gives it (credit evidence only)."""
    for copy, original in ((b, a), (a, b)):
        credit = _credited(copy, original)
        if credit is not None and _credited(original, copy) is None:
            line_start = copy.text.rfind("\n", 0, credit.start) + 1
            line_end = copy.text.find("\n", credit.end)
            quote = copy.text[line_start:line_end if line_end >= 0 else len(copy.text)].strip()
            if len(quote) > 160:
                quote = copy.text[max(line_start, credit.start - 80):credit.end].strip()
            return (original, copy, f"{_label(copy)} credits {credit.name} (“{quote}”), "
                    f"which is {_label(original)}", "credit", _original_date(copy, original))
    shared = _shared_credit(a, b)
    both = (f"both credit {shared}, so each may copy it rather than the other; " if shared else "")
    if a.published and b.published and a.published[:10] != b.published[:10]:
        original, copy = (a, b) if a.published < b.published else (b, a)
        return (original, copy, f"{both}{_label(original)} was published {original.published[:10]}, before "
                f"{_label(copy)} ({copy.published[:10]})", "date", None)
    original, copy = (a, b) if a_seq <= b_seq else (b, a)
    why = ("both have the same date" if a.published and b.published and a.published[:10] == b.published[:10]
           else "no credit line and no pair of dates to compare")
    return (original, copy, f"{both}{why}; {_label(original)} was ingested first and is assumed to be the original",
            "order", None)


def _shared_credit(a: Article, b: Article) -> str | None:
    """A name both articles credit and neither is ("By Harbour Courier" in one, "first published by
    Harbour Courier" in the other): two copies of a third text, so the order told between them is
    only which came first, not who copied whom."""
    theirs = {_squash(c.name) for c in _credits(b) if not _is_named(a, c.name) and not _is_named(b, c.name)}
    for credit in sorted(_credits(a), key=lambda c: (_CUE_STRENGTH.get(c.cue, 9), c.start)):
        key = _squash(credit.name)
        if len(key) >= 3 and key in theirs and not _is_named(a, credit.name) and not _is_named(b, credit.name):
            return credit.name
    return None


# -- one pair ------------------------------------------------------------------------------
def compare(a: Article, b: Article, ta: Tokens, tb: Tokens, *, a_seq: int = 0, b_seq: int = 1,
            k: int = FINGERPRINT_K, max_gap: int = 8, min_passage_words: int = 10,
            min_shared_words: int = 40, min_share: float = 0.3) -> RepublicationPair | None:
    """The republication evidence for two articles, or None if they do not share enough text."""
    al = align(ta, tb, k=k, max_gap=max_gap, min_words=min_passage_words)
    if al.shared_words < min_shared_words:
        return None
    share_a = al.a_covered / max(len(a.text), 1)
    share_b = al.b_covered / max(len(b.text), 1)
    if max(share_a, share_b) < min_share:
        return None
    original, copy, reason, evidence, original_date = _choose(a, b, a_seq=a_seq, b_seq=b_seq)
    if original is b:
        al = al.swapped()
        share_a, share_b = share_b, share_a
    passages = tuple(Passage(*p) for p in sorted(al.passages, key=lambda p: p[2]))
    edits = tuple(Edit(*e) for e in sorted(al.edits, key=lambda e: e[2]))
    similarity = (al.a_covered + al.b_covered) / max(len(a.text) + len(b.text), 1)
    return RepublicationPair(
        original=original.id, copy=copy.id, similarity=similarity, copy_share=share_b,
        original_share=share_a, passages=passages, additions=_additions(copy.text, passages),
        edits=edits, edited_sentences=_edited_sentences(copy, edits), reason=reason, evidence=evidence,
        original_date=original_date)


_HAS_WORD = re.compile(r"\w")


def _additions(text: str, passages: Sequence[Passage]) -> tuple[Annotation, ...]:
    """The copy's own text outside shared passages: preamble, insertions, footer."""
    spans = sorted((p.copy_start, p.copy_end) for p in passages)
    out = []
    pos = 0
    for idx, (s, e) in enumerate(spans + [(len(text), len(text))]):
        if s > pos and _HAS_WORD.search(text, pos, s):
            start, end = pos, s
            while start < end and not text[start].isalnum() and text[start] not in "“\"'‘(«[":
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            label = "preamble" if idx == 0 else ("footer" if idx == len(spans) else "insertion")
            out.append(Annotation("republication.added", start, end, label))
        pos = max(pos, e)
    return tuple(out)


def _edited_sentences(copy: Article, edits: Sequence[Edit]) -> tuple[Span, ...]:
    out: list[Span] = []
    for sent in copy.sentences:
        for e in edits:
            inside = (e.copy_start < sent.end and e.copy_end > sent.start) or (
                e.copy_start == e.copy_end and sent.start <= e.copy_start < sent.end)
            if inside:
                out.append(sent)
                break
    return tuple(out)


# -- groups --------------------------------------------------------------------------------
def group_pairs(pairs: Sequence[RepublicationPair], seq: dict[str, int],
                published: dict[str, str | None]) -> tuple[RepublicationGroup, ...]:
    """Connected articles, each group with the member that is original in its pairs."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[find(p.original)] = find(p.copy)
    members: dict[str, list[str]] = {}
    for x in list(parent):
        members.setdefault(find(x), []).append(x)
    pairs_of: dict[str, list[RepublicationPair]] = {}
    for p in pairs:
        pairs_of.setdefault(find(p.original), []).append(p)
    groups = []
    for root, ids in members.items():
        ids.sort(key=lambda i: seq.get(i, 0))
        inside = pairs_of[root]
        copies = {p.copy for p in inside}
        roots = [i for i in ids if i not in copies] or ids
        roots.sort(key=lambda i: (published.get(i) or "9999", seq.get(i, 0)))
        original = roots[0]
        direct = [p for p in inside if p.original == original]
        reason = direct[0].reason if direct else "original of the group's pairs"
        groups.append((seq.get(original, 0), original, tuple(ids), reason))
    groups.sort()
    return tuple(RepublicationGroup(n, o, m, r) for n, (_, o, m, r) in enumerate(groups, start=1))


# -- corpus stage --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RepublicationResult:
    pairs: tuple[RepublicationPair, ...]
    groups: tuple[RepublicationGroup, ...]
    compared: tuple[str, ...]


class _Verifier:
    """Loads articles (with an LRU cache of their tokens) and compares candidate pairs."""

    def __init__(self, corpus: CorpusView, options: Mapping[str, Any], cache: int) -> None:
        self.corpus = corpus
        self.options = options
        self.cache = cache
        self.loaded: OrderedDict[str, tuple[Article, Tokens]] = OrderedDict()

    def get(self, article_id: str) -> tuple[Article, Tokens]:
        if article_id in self.loaded:
            self.loaded.move_to_end(article_id)
            return self.loaded[article_id]
        art = next(iter(self.corpus.articles([article_id])))
        spans = boilerplate_spans(self.corpus, article_id)  # a widget shared by unrelated stories is no evidence
        self.loaded[article_id] = (art, Tokens(masked(art.text, spans) if spans else art.text))
        if len(self.loaded) > self.cache:
            self.loaded.popitem(last=False)
        return self.loaded[article_id]

    def verify(self, tasks: Sequence[tuple[str, str, int, int]]) -> list[RepublicationPair]:
        found = []
        for id_a, id_b, seq_a, seq_b in tasks:
            (a, ta), (b, tb) = self.get(id_a), self.get(id_b)
            pair = compare(a, b, ta, tb, a_seq=seq_a, b_seq=seq_b, **self.options)
            if pair is not None:
                found.append(pair)
        return found


_WORKER: dict[str, _Verifier] = {}


def _verifier_init(path: str, options: Mapping[str, Any], cache: int) -> None:
    from narratrace.store import open_store

    _WORKER["verifier"] = _Verifier(open_store(path, readonly=True), options, cache)


def _verifier_run(tasks: Sequence[tuple[str, str, int, int]]) -> list[RepublicationPair]:
    return _WORKER["verifier"].verify(tasks)


@stage("republications", version="republications.v2", level="corpus",
       requires=["article.text", "article.sentences", "article.fingerprints", "article.published",
                 "article.outlet"],
       produces=["corpus.republications"], uses=["article.boilerplate"],
       save=lambda store, stage, version, out: store.save_republications(
           stage, version, pairs=out.pairs, groups=out.groups, compared=out.compared),
       default_config={"k": FINGERPRINT_K, "max_gap": 8, "min_passage_words": 10, "min_shared_words": 40,
                       "min_share": 0.3, "candidate_share": 0.2, "max_df": 200, "cache": 4096})
def make_republications(*, k: int, max_gap: int, min_passage_words: int, min_shared_words: int,
                        min_share: float, candidate_share: float, max_df: int, cache: int
                        ) -> Callable[..., RepublicationResult]:
    """Near-duplicate and partial copies across the corpus, with passages, additions and originals."""
    options = {"k": k, "max_gap": max_gap, "min_passage_words": min_passage_words,
               "min_shared_words": min_shared_words, "min_share": min_share}

    def detect(corpus: CorpusView, *, new_ids: Sequence[str],
               progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> RepublicationResult:
        index = corpus.article_index()
        position = {row["id"]: n for n, row in enumerate(index)}
        seq = {row["id"]: int(row["seq"]) for row in index}
        published = {row["id"]: row["published"] for row in index}
        fps: list[np.ndarray] = [np.empty(0, dtype=np.uint64)] * len(index)
        for article_id, data in corpus.stage_data("fingerprints"):
            if article_id in position and data:
                fps[position[article_id]] = np.frombuffer(data, dtype="<u8")
        is_new = np.zeros(len(index), dtype=bool)
        is_new[[position[i] for i in new_ids if i in position]] = True
        candidates = candidate_pairs(fps, is_new, max_df=max_df, min_share=candidate_share)
        tasks = [(index[i]["id"], index[j]["id"], seq[index[i]["id"]], seq[index[j]["id"]])
                 for i, j, _ in candidates]
        chunks = [tasks[n:n + 100] for n in range(0, len(tasks), 100)]
        found: list[RepublicationPair] = []
        pool = None
        if workers > 1 and getattr(corpus, "shareable", False) and len(tasks) >= PARALLEL_MIN_PAIRS:
            pool = fork_pool(workers, _verifier_init, (getattr(corpus, "path"), options, cache))
            results = pool.imap(_verifier_run, chunks)
        else:
            verifier = _Verifier(corpus, options, cache)
            results = (verifier.verify(chunk) for chunk in chunks)
        try:
            for n, pairs in enumerate(results, start=1):
                found.extend(pairs)
                if progress:
                    progress("republications", min(n * 100, len(tasks)), len(tasks))
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
        new = set(new_ids)
        kept = [p for p in corpus.republication_pairs() if p.original not in new and p.copy not in new]
        groups = group_pairs(kept + found, seq, published)
        log.info("republications: %d candidates, %d pairs, %d groups", len(candidates), len(found), len(groups))
        return RepublicationResult(tuple(found), groups, tuple(new_ids))
    return detect
