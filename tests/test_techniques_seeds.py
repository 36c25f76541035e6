"""Techniques in the real seed articles, checked by hand against the texts (skipped without ../shared)."""

from __future__ import annotations

import functools
from pathlib import Path

from narratrace.ingest import build_article, read_file
from narratrace.model import Annotation, Article
from narratrace.techniques.stage import DEFAULT_CONFIG, make_techniques

LABELS = {"Loaded_Language", "Name_Calling,Labeling"}


@functools.cache
def _analysed(path: Path) -> tuple[Article, tuple[Annotation, ...]]:
    (record,) = read_file(path)
    art = build_article(record)  # type: ignore[arg-type]
    assert isinstance(art, Article)
    return art, make_techniques(**DEFAULT_CONFIG)(art).annotations


def _seed(seeds_dir: Path, prefix: str) -> tuple[Article, tuple[Annotation, ...]]:
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    return _analysed(path)


def _covering(art: Article, anns: tuple[Annotation, ...], phrase: str, occurrence: int = 0) -> set[str]:
    """Techniques of the annotations that contain the ``occurrence``-th use of ``phrase``."""
    start = -1
    for _ in range(occurrence + 1):
        start = art.text.index(phrase, start + 1)
    end = start + len(phrase)
    return {str(a.label) for a in anns if a.start <= start and a.end >= end}


def test_techniques_seed_000_labels_the_kiev_regime(seeds_dir: Path) -> None:
    art, anns = _seed(seeds_dir, "000")
    assert _covering(art, anns, "Kiev regime", 0) & LABELS
    assert _covering(art, anns, "Kiev regime", 1) & LABELS
    assert _covering(art, anns, "Kiev Nazis") & LABELS
    exact = [a for a in anns if art.text[a.start:a.end] in ("Kiev regime", "Kiev Nazis")]
    assert len(exact) >= 3  # the span is the phrase itself, not its sentence


def test_techniques_seed_001_naziland(seeds_dir: Path) -> None:
    art, anns = _seed(seeds_dir, "001")
    assert _covering(art, anns, "Naziland") & LABELS


def test_techniques_seed_000_closing_warning_is_an_appeal_to_fear(seeds_dir: Path) -> None:
    art, anns = _seed(seeds_dir, "000")
    assert "Appeal_to_fear-prejudice" in _covering(art, anns, "an outbreak of jihad in the EU")


def test_techniques_seed_003_plain_report_has_few_hits(seeds_dir: Path) -> None:
    # The Cradle's report on the SVR statement is mostly attributed reporting: few techniques of its own
    art, anns = _seed(seeds_dir, "003")
    _, anns_000 = _seed(seeds_dir, "000")
    assert len(anns) * 3 < len(anns_000)
