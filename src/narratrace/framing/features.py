"""What a framing model sees of one entity mention: its sentence, the sentences around it, cue words.

A mention's role is said by the words around it ("X shelled civilians", "civilians killed by
X"). The shipped model reads the vector of the mention's sentence and the mean vector of it and
its neighbours (``sentence_vector``, ``context``): the article's sentence vectors, embedded once
for every stage by ``sentence_vectors``. Older models read the mention's sentence with the
mention marked (``[[X]]``) and a character window around it, each embedded for this mention
(``sentence``, ``window``: two encoder calls per mention, 85 % of a run's time before). ``cues`` adds, for every fine role, whether one of its cue words
(``narratrace/data/taxonomies/framing_cues.tsv``, written for narratrace) occurs within a few
words of the mention. Which of these a model uses is recorded in its ``model.json``.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from narratrace.errors import ConfigError
from narratrace.model import Span
from narratrace.text import paragraph_spans, sentence_spans
from narratrace.framing.taxonomy import load_taxonomy
from narratrace.vectors import SentenceVectors, sentence_matrix

__all__ = ["FEATURE_KINDS", "VECTOR_KINDS", "MentionContext", "contexts", "cue_lexicon", "featurize", "sentences_of",
           "vector_features"]

FEATURE_KINDS = ("sentence", "window", "name", "cues", "sentence_vector", "context")
#: Kinds read from the article's sentence vectors (embedded once, by ``sentence_vectors``).
VECTOR_KINDS = ("sentence_vector", "context")
WINDOW_CHARS = 240
CUE_WORDS = 12
_WS = re.compile(r"\s+")
_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True, slots=True)
class MentionContext:
    start: int
    end: int
    mention: str
    sentence: Span
    marked_sentence: str
    window: str
    near: str          # the words within CUE_WORDS of the mention, lower-cased
    raw_sentence: str = ""   # the sentence as in the text (at most 1,000 characters), for parsing
    raw_start: int = 0       # the mention's offsets in ``raw_sentence``
    raw_end: int = 0
    sentence_no: int = -1    # the index of its sentence in the sentence list given to :func:`contexts`


def sentences_of(text: str) -> tuple[Span, ...]:
    """Sentence spans of a raw document (``\\r`` counted as a character, as offsets need)."""
    clean = text.replace("\r", " ")
    return sentence_spans(clean, paragraph_spans(clean))


def _clip(text: str, start: int, end: int) -> tuple[int, int]:
    start, end = max(0, start), min(len(text), end)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > end - 30 else end
    return start, end


def contexts(text: str, mentions: Sequence[tuple[int, int]], sentences: Sequence[Span] | None = None
             ) -> list[MentionContext]:
    """The context of each ``(start, end)`` mention of ``text``."""
    sents = list(sentences) if sentences else list(sentences_of(text))
    starts = [s.start for s in sents]
    out = []
    for start, end in mentions:
        i = bisect.bisect_right(starts, start) - 1
        inside = i >= 0 and sents[i].start <= start < sents[i].end
        sent = sents[i] if inside else Span(*_clip(text, start - 150, end + 150))
        s_end = max(sent.end, end)
        mention = text[start:end]
        marked = text[sent.start:start] + "[[" + mention + "]]" + text[end:s_end]
        w0, w1 = _clip(text, start - WINDOW_CHARS // 2, end + WINDOW_CHARS // 2)
        window = text[w0:start] + "[[" + mention + "]]" + text[end:w1]
        before = _WORD.findall(text[max(0, start - 120):start])[-CUE_WORDS:]
        after = _WORD.findall(text[end:end + 120])[:CUE_WORDS]
        r0, r1 = max(sent.start, start - 500), min(s_end, end + 500)
        out.append(MentionContext(start, end, mention, Span(sent.start, s_end), _WS.sub(" ", marked).strip(),
                                  _WS.sub(" ", window).strip(), " ".join(before + after).lower(),
                                  text[r0:r1].replace("\r", " "), start - r0, end - r0, i if inside else -1))
    return out


@functools.lru_cache(maxsize=2)
def cue_lexicon(path: str | None = None) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """``(fine_role, pattern)`` for every fine role of the taxonomy, from the cue file."""
    file = Path(path) if path else Path(str(resources.files("narratrace") / "data" / "taxonomies" /
                                            "framing_cues.tsv"))
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the framing cue lexicon {file}: {exc}") from None
    words: dict[str, list[str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ConfigError(f"{file}:{number}: expected fine_role<TAB>cue|cue|…")
        words.setdefault(parts[0], []).extend(w.strip().lower() for w in parts[1].split("|") if w.strip())
    taxonomy = load_taxonomy()
    out = []
    for role in taxonomy.fine_roles:
        cues = words.get(role) or []
        alternatives = "|".join(re.escape(c).replace(r"\*", r"\w*") for c in sorted(cues, key=len, reverse=True))
        out.append((role, re.compile(rf"\b(?:{alternatives})\b" if cues else r"(?!x)x")))
    return tuple(out)


def cue_features(ctx: Sequence[MentionContext]) -> np.ndarray:
    lexicon = cue_lexicon()
    rows = np.zeros((len(ctx), len(lexicon)), dtype=np.float32)
    for i, c in enumerate(ctx):
        for j, (_, pattern) in enumerate(lexicon):
            if pattern.search(c.near):
                rows[i, j] = 1.0
    return rows


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def vector_features(docs: Sequence[tuple[str, Sequence[Span], Sequence[MentionContext], SentenceVectors | None]], *,
                    encoder: str | None = None) -> dict[str, np.ndarray]:
    """``sentence_vector`` and ``context`` rows of every mention of ``docs``, in order.

    Each doc is ``(text, sentences, mention contexts made with those sentences, stored vectors)``.
    ``sentence_vector`` is the vector of the mention's sentence, ``context`` the normalised mean
    of that sentence's and its two neighbours' vectors: the article's sentence vectors, read from
    what ``sentence_vectors`` stored when they come from ``encoder``, else embedded here. What
    sets a mention apart from another one in its sentence is left to ``cues`` and the parse votes.
    """
    items, wanted = [], []
    for text, sentences, ctx, stored in docs:
        need = sorted({j for c in ctx if c.sentence_no >= 0 for j in (c.sentence_no - 1, c.sentence_no,
                                                                      c.sentence_no + 1) if 0 <= j < len(sentences)})
        wanted.append(need)
        items.append((text, [sentences[j] for j in need] + [c.sentence for c in ctx if c.sentence_no < 0], stored))
    matrices = sentence_matrix(items, encoder=encoder)
    own: list[np.ndarray] = []
    around: list[np.ndarray] = []
    for (_, _, ctx, _), need, m in zip(docs, wanted, matrices):
        row = {j: m[k] for k, j in enumerate(need)}
        extra = len(need)
        for c in ctx:
            if c.sentence_no < 0:  # no sentence holds the mention: the clipped text around it
                own.append(m[extra])
                around.append(m[extra])
                extra += 1
                continue
            own.append(row[c.sentence_no])
            around.append(_unit(np.mean([row[j] for j in (c.sentence_no - 1, c.sentence_no, c.sentence_no + 1)
                                         if j in row], axis=0)))
    dim = matrices[0].shape[1] if matrices else 0
    stack = (lambda rows: np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), dtype=np.float32))
    return {"sentence_vector": stack(own), "context": stack(around)}


def featurize(ctx: Sequence[MentionContext], kinds: Sequence[str], *, encode: object | None = None,
              vectors: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The feature matrix of ``ctx`` for the given feature ``kinds`` (in that order).

    The :data:`VECTOR_KINDS` come from ``vectors`` (:func:`vector_features`); the others are
    computed here (``sentence``, ``window`` and ``name`` embed their own texts with ``encode``).
    """
    from narratrace.vectors import encode as minilm

    unknown = [k for k in kinds if k not in FEATURE_KINDS]
    if unknown:
        raise ConfigError(f"framing: unknown feature kinds {unknown}; known: {', '.join(FEATURE_KINDS)}")
    embed = encode or minilm
    blocks = []
    for kind in kinds:
        if kind == "sentence":
            blocks.append(embed([c.marked_sentence for c in ctx]))  # type: ignore[operator]
        elif kind == "window":
            blocks.append(embed([c.window for c in ctx]))  # type: ignore[operator]
        elif kind == "name":
            blocks.append(embed([c.mention for c in ctx]))  # type: ignore[operator]
        elif kind in VECTOR_KINDS:
            if vectors is None or kind not in vectors:
                raise ConfigError(f"framing: feature {kind!r} needs the article's sentence vectors (vector_features)")
            blocks.append(vectors[kind])
        else:
            blocks.append(cue_features(ctx))
    if not ctx:
        return np.zeros((0, 0), dtype=np.float32)
    return np.hstack([np.asarray(b, dtype=np.float32) for b in blocks])
