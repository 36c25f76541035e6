"""Languages: one normal form for codes, scripts of a text, and which languages a stage analyses.

Every stage that depends on a language says which ones it analyses (its ``languages`` config,
or those of the stages it reads). An article in any other language, or in a language nobody
could determine (``und``), is recorded as *not analysed* with the reason, never analysed as
English by default: an English parser over Russian text makes "claims" that are noise.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

__all__ = ["ANY", "UNDETERMINED", "describe_reasons", "dominant_script", "normalize", "not_analysed_reason",
           "supports"]

#: ISO 639-2 "undetermined": the code of an article whose language nobody could tell.
UNDETERMINED = "und"

#: In a ``languages`` list: every determined language (``und`` is never analysed by a stage that
#: depends on the language).
ANY = "*"

_NOT_LANGUAGES = {"", "un", "xx", "zxx", "mul", "unknown", "none", "null"}


def normalize(code: str | None) -> str:
    """The primary subtag in lower case (``"en-GB"`` -> ``"en"``); ``und`` for none or unknown."""
    if not code:
        return UNDETERMINED
    primary = str(code).strip().replace("_", "-").split("-")[0].lower()
    if primary in _NOT_LANGUAGES or not primary.isalpha() or not 2 <= len(primary) <= 3:
        return UNDETERMINED
    return primary


def supports(languages: Iterable[str] | None, code: str | None) -> bool:
    """Whether a stage that analyses ``languages`` (None: any) analyses an article in ``code``."""
    if languages is None:
        return True
    wanted = {normalize(x) if x != ANY else ANY for x in languages}
    code = normalize(code)
    return code != UNDETERMINED and (ANY in wanted or code in wanted)


def not_analysed_reason(code: str | None) -> str:
    """What a stage records for an article it does not analyse because of its language."""
    return f"language {normalize(code)}"


#: Scripts that name one language among those a news corpus meets (Cyrillic or Latin do not).
SCRIPT_LANGUAGE = {"DEVANAGARI": "hi", "GREEK": "el", "HEBREW": "he", "THAI": "th", "HANGUL": "ko",
                   "HIRAGANA": "ja", "KATAKANA": "ja", "GEORGIAN": "ka", "ARMENIAN": "hy", "BENGALI": "bn",
                   "TAMIL": "ta", "TELUGU": "te", "GUJARATI": "gu", "GURMUKHI": "pa", "KANNADA": "kn",
                   "MALAYALAM": "ml", "SINHALA": "si", "KHMER": "km", "LAO": "lo", "ETHIOPIC": "am"}


def dominant_script(text: str, *, sample: int = 2000) -> tuple[str | None, float]:
    """The script of most letters in the first ``sample`` characters and its share of them.

    The script is the first word of the letter's Unicode name (``LATIN``, ``CYRILLIC``,
    ``DEVANAGARI``, ``CJK`` ...); combining marks of Indic scripts count with their letters.
    """
    counts: Counter[str] = Counter()
    for ch in text[:sample]:
        if not (ch.isalpha() or unicodedata.category(ch) in ("Mn", "Mc")):
            continue
        name = unicodedata.name(ch, "")
        if name:
            counts[name.split(" ")[0]] += 1
    total = sum(counts.values())
    if not total:
        return None, 0.0
    script, n = counts.most_common(1)[0]
    return script, n / total


def describe_reasons(reasons: dict[str, int]) -> str:
    """``{"language bg": 401, "language und": 8}`` as ``"language: bg 401, und 8"``, most first."""
    languages = sorted(((r.removeprefix("language "), n) for r, n in reasons.items() if r.startswith("language ")),
                       key=lambda x: (-x[1], x[0]))
    parts = ["language: " + ", ".join(f"{code} {n:,}" for code, n in languages)] if languages else []
    parts += [f"{r}: {n:,}" for r, n in sorted(reasons.items(), key=lambda x: -x[1]) if not r.startswith("language ")]
    return "; ".join(parts)
