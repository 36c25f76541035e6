"""Key terms of groups of texts: class-based TF-IDF (BERTopic's c-TF-IDF).

Each group's texts are joined into one document; a term's weight in a group is its frequency
there times ``log(1 + A / f)``, with ``A`` the average number of words per group and ``f`` the
term's frequency over all groups, so terms frequent in one group and rare elsewhere come first.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

__all__ = ["key_terms"]

_TOKEN = re.compile(r"[^\W\d_][\w’'-]*[^\W_]|[^\W\d_]", re.UNICODE)
STOPWORDS = frozenset("""
a about above after again against all also although am an and any are as at be because been before being
below between both but by can could did do does doing down during each even ever few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just least less like made
make many may me might more most much must my myself never new no nor not now of off on once one only or other
our ours ourselves out over own per said same say says she should since so some still such than that the their
theirs them themselves then there these they this those though through thus to too under until up upon us very
was we were what when where whether which while who whom whose why will with within without would yet you your
yours yourself also according told week year years day days time people two three first last including
mr ms s t re ve ll d news article read more reported report reports told
""".split())


def _tokens(text: str) -> list[str]:
    words = [w.lower().strip("’'-") for w in _TOKEN.findall(text)]
    words = [w for w in words if len(w) > 2 and w not in STOPWORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def key_terms(groups: Sequence[Sequence[str]], *, top: int = 5) -> list[list[str]]:
    """The ``top`` key terms of every group of texts (bigrams included; a bigram hides its words)."""
    counts = [Counter(t for text in g for t in _tokens(text)) for g in groups]
    if not counts:
        return []
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    avg = sum(sum(c.values()) for c in counts) / max(1, len(counts))
    out = []
    for c in counts:
        weights = {t: n * math.log(1 + avg / total[t]) for t, n in c.items() if n > 1 or len(counts) == 1 or " " not in t}
        chosen: list[str] = []
        for t in sorted(weights, key=lambda t: (-weights[t], t)):
            if any(t in other or other in t for other in chosen):
                continue
            chosen.append(t)
            if len(chosen) >= top:
                break
        out.append(chosen)
    return out
