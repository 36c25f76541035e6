"""Check-worthiness: how much a sentence states a verifiable fact, scored 0..1 from features.

A logistic combination of hand-set weights over what makes a statement checkable (named actors,
numbers, dates, an event verb, a cited source) and what makes it not (a question, an opinion in
the first or second person, an order, speculation nobody is cited for, site boilerplate, a
fragment). Rule-based on purpose: the features are visible in the output and the weights are
one table to argue about; see docs/stages.md for the measured behaviour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.tokens import Token

__all__ = ["WEIGHTS", "CheckFeatures", "CheckModel", "feature_values", "hashed_words", "is_boilerplate", "score_features", "sentence_features"]

_BOILERPLATE = re.compile(
    r"please\s+enter\s+your|leave\s+a\s+(?:reply|comment)|all\s+rights\s+reserved|copyright\s|©|"
    r"^\s*\(?c\)\s*\d{4}|subscribe\s+(?:to|now)|sign\s+up\s+for|newsletter|cookies?\b.*(?:accept|policy|consent)|"
    r"click\s+here|read\s+more\b|share\s+(?:this|on)\b|follow\s+us\b|posted\s+on\b.*\bby\b|"
    r"^\s*(?:tags?|related|advertisement|image|photo|video|source|tips?)\s*:|redistribution\s+to|"
    r"the\s+original\s+source\s+of\s+this\s+article|first\s+published\s+(?:by|in|on)|"
    r"https?://\S+\s*$|@\w+\.\w+",
    re.IGNORECASE)
_OPINION = re.compile(
    r"\b(?:it\s+is\s+(?:no\s+secret|understandable|clear|obvious|evident|important|necessary|time)|"
    r"there\s+is\s+no\s+doubt|no\s+doubt|needless\s+to\s+say|in\s+other\s+words|of\s+course|"
    r"clear\s+to\s+everyone|destined\s+to|it\s+may\s+be\s+mentioned|we\s+must|one\s+must|"
    r"(?:shameful|disgraceful|outrageous|ridiculous|absurd|brilliant|wonderful|terrible|awful))\b",
    re.IGNORECASE)
_OPINION_VERBS = frozenset({"think", "believe", "feel", "hope", "guess", "suppose", "wish", "want", "love", "hate",
                            "like", "prefer", "doubt", "wonder"})
_FIRST_SECOND = frozenset({"i", "me", "my", "mine", "we", "us", "our", "ours", "you", "your", "yours"})
_MODALS = frozenset({"could", "might", "may", "would", "should", "must", "ought"})
_DEONTIC = frozenset({"should", "must", "ought"})
_COPULAS = frozenset({"be", "seem", "appear", "become", "remain"})

#: Weight of each feature in the logistic score (``bias`` is the intercept).
WEIGHTS: Mapping[str, float] = {
    "bias": -1.6,
    "named": 0.75,          # first named actor (person, organisation, place...)
    "named_more": 0.25,     # each further one, up to two more
    "number": 0.7,
    "date": 0.6,
    "event_verb": 0.8,      # a finite non-copular verb: something happened or was done
    "attributed": 1.1,      # someone is cited for it
    "anonymous": -0.4,      # ... but not by name
    "hedged": 0.1,
    "question": -2.2,
    "first_second_opinion": -1.4,
    "first_second": -0.5,
    "imperative": -1.6,
    "speculation": -0.9,    # could/might/may/would without anyone cited
    "deontic": -1.0,        # should/must
    "opinion": -1.0,
    "short": -2.2,          # under 5 words
    "shortish": -0.7,       # 5 to 7 words
    "no_verb": -1.2,
}


@dataclass(frozen=True, slots=True)
class CheckFeatures:
    """What the score of one sentence is made of."""

    words: int
    named: int
    numbers: int
    dates: int
    event_verb: bool
    attributed: bool
    anonymous: bool
    hedged: bool
    question: bool
    first_second: bool
    first_second_opinion: bool
    imperative: bool
    speculation: bool
    deontic: bool
    opinion: bool
    boilerplate: bool
    has_verb: bool


def is_boilerplate(text: str) -> bool:
    """Site furniture: comment prompts, copyright and credit lines, share/subscribe links."""
    return bool(_BOILERPLATE.search(text))


def sentence_features(text: str, tokens: Sequence[Token], *, named: int, numbers: int, dates: int,
                      attributed: bool, anonymous: bool, hedged: bool,
                      quoted: Iterable[tuple[int, int]] = (), start_of: Callable[[Token], int] | None = None
                      ) -> CheckFeatures:
    """Features of one sentence; ``quoted`` are character ranges (``start_of`` gives a token's offset
    in the same text) inside quotation marks, where first-person words are the speaker's, not the
    writer's, and modals are not the writer's speculation."""
    quoted = list(quoted)

    def in_quote(t: Token) -> bool:
        if start_of is None:
            return False
        pos = start_of(t)
        return any(a < pos < b for a, b in quoted)

    words = [t for t in tokens if not t.is_punct and not t.is_space]
    verbs = [t for t in tokens if t.pos_ in ("VERB", "AUX")]
    finite = [t for t in verbs if t.tag_ in ("VBD", "VBZ", "VBP", "VBN", "VBG") and t.dep_ not in ("amod", "aux", "auxpass")
              and t.lemma_.lower() not in _COPULAS]
    first_second = [t for t in tokens if t.lower_ in _FIRST_SECOND and not in_quote(t)]
    opinion_verb = any(t.lemma_.lower() in _OPINION_VERBS and any(c.lower_ in _FIRST_SECOND for c in t.children)
                       for t in verbs if not in_quote(t))
    modals = [t for t in tokens if t.tag_ == "MD" and t.lower_ in _MODALS and not in_quote(t)]
    first = next((t for t in tokens if not t.is_punct and not t.is_space), None)
    imperative = bool(first is not None and first.tag_ == "VB" and first.dep_ == "ROOT"
                      and not any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in first.children))
    stripped = text.rstrip(" \"'”’»)")
    return CheckFeatures(
        words=len(words), named=named, numbers=numbers, dates=dates,
        event_verb=bool(finite), attributed=attributed, anonymous=anonymous, hedged=hedged,
        question=stripped.endswith("?"),
        first_second=bool(first_second), first_second_opinion=bool(first_second) and opinion_verb,
        imperative=imperative, speculation=bool(modals) and not attributed,
        deontic=any(t.lower_ in _DEONTIC for t in modals) and not attributed,
        opinion=bool(_OPINION.search(text)) and not attributed,
        boilerplate=is_boilerplate(text), has_verb=bool(verbs),
    )


def feature_values(f: CheckFeatures) -> dict[str, float]:
    """The sentence as the linear score sees it: one value per key of :data:`WEIGHTS` (bar ``bias``)."""
    return {
        "named": float(f.named > 0), "named_more": float(min(2, f.named - 1)) if f.named else 0.0,
        "number": float(f.numbers > 0), "date": float(f.dates > 0), "event_verb": float(f.event_verb),
        "attributed": float(f.attributed), "anonymous": float(f.attributed and f.anonymous),
        "hedged": float(f.hedged), "question": float(f.question), "imperative": float(f.imperative),
        "first_second_opinion": float(f.first_second_opinion),
        "first_second": float(f.first_second and not f.first_second_opinion),
        "speculation": float(f.speculation and not f.deontic), "deontic": float(f.deontic),
        "opinion": float(f.opinion), "short": float(f.words < 5), "shortish": float(5 <= f.words < 8),
        "no_verb": float(not f.has_verb),
    }


def score_features(f: CheckFeatures, weights: Mapping[str, float] = WEIGHTS) -> float:
    """The check-worthiness of a sentence with features ``f``, in 0..1 (0 for boilerplate)."""
    if f.boilerplate or f.words == 0:
        return 0.0
    z = weights["bias"] + sum(weights.get(k, 0.0) * v for k, v in feature_values(f).items())
    return 1.0 / (1.0 + math.exp(-z))


#: Size of the hashed word space of a model that also reads the words (``CheckModel.text_coef``).
HASH_FEATURES = 1 << 16


def hashed_words(texts: Sequence[str], n_features: int = HASH_FEATURES) -> Any:
    """Word unigrams and bigrams of each text, hashed, L2-normalised (a scipy sparse matrix)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=n_features, ngram_range=(1, 2), alternate_sign=False, norm="l2",
                             lowercase=True).transform(list(texts))


@dataclass(frozen=True, slots=True)
class CheckModel:
    """A check-worthiness model: feature weights, optionally a weight per hashed word n-gram."""

    weights: Mapping[str, float]
    threshold: float = 0.5
    text_coef: Any = None  # numpy vector of length HASH_FEATURES, or None (features only)

    def stage_score(self, f: CheckFeatures, text: str) -> float:
        """:meth:`score` rescaled so that this model's tuned ``threshold`` is 0.5, the claims stage's cut-off
        (a trained model's best-F1 threshold is rarely 0.5: cutting it there lost recall end to end)."""
        from narratrace.finetune import rescaled

        p = self.score(f, text)
        return p if self.threshold == 0.5 else float(rescaled(p, self.threshold))

    def score(self, f: CheckFeatures, text: str) -> float:
        if self.text_coef is None or f.boilerplate or f.words == 0:
            return score_features(f, self.weights)
        z = self.weights["bias"] + sum(self.weights.get(k, 0.0) * v for k, v in feature_values(f).items())
        z += float((hashed_words([text], len(self.text_coef)) @ self.text_coef)[0])
        return 1.0 / (1.0 + math.exp(-z))
