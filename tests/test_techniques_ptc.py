"""Reading the PTC format: layouts, offsets (BOM included), label mapping and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratrace.errors import ConfigError, InputError
from narratrace.techniques import TECHNIQUES, map_semeval2023
from narratrace.techniques.labels import semeval2023_mapping
from narratrace.techniques.ptc import read_ptc

DATA = Path(__file__).parent / "data" / "techniques"


def test_techniques_label_files_hold_14_and_23_techniques() -> None:
    assert len(TECHNIQUES) == 14 and "Name_Calling,Labeling" in TECHNIQUES
    mapping = semeval2023_mapping()
    assert len(mapping) == 23
    assert map_semeval2023("False_Dilemma-No_Choice") == "Black-and-White_Fallacy"
    assert map_semeval2023("Conversation_Killer") == "Thought-terminating_Cliches"
    assert map_semeval2023("Appeal_to_Time") is None
    assert map_semeval2023("Doubt") == "Doubt"
    with pytest.raises(ConfigError):
        map_semeval2023("Not_A_Technique")


def test_techniques_reads_the_sample_with_exact_offsets() -> None:
    articles = {a.id: a for a in read_ptc(DATA)}
    assert len(articles) == 8
    a3 = articles["900000003"]
    spans = {(lab.technique, a3.text[lab.start:lab.end]) for lab in a3.labels}
    assert ("Name_Calling,Labeling", "Kessland regime") in spans and ("Slogans", "Hands off the valley!") in spans
    bom = articles["900000008"]
    assert bom.text.startswith("\ufeff")  # kept, so offsets count it as the task's do
    assert {bom.text[lab.start:lab.end] for lab in bom.labels} >= {"travesty"}
    assert articles["900000004"].labels == ()  # an article without techniques is still read


def test_techniques_split_by_article(tmp_path: Path) -> None:
    train = {a.id for a in read_ptc(DATA, split="train")}
    heldout = {a.id for a in read_ptc(DATA, split="heldout")}
    assert train and heldout and not train & heldout and len(train | heldout) == 8


def _folder(tmp_path: Path, labels: str, text: str = "A wicked plan.\n") -> Path:
    (tmp_path / "article1.txt").write_text(text, encoding="utf-8")
    (tmp_path / "article1.task2-TC.labels").write_text(labels, encoding="utf-8")
    return tmp_path


def test_techniques_maps_semeval2023_labels_and_counts_dropped(tmp_path: Path) -> None:
    root = _folder(tmp_path, "1\tCasting_Doubt\t2\t8\n1\tAppeal_to_Time\t0\t6\n")
    (article,) = read_ptc(root)
    assert [lab.technique for lab in article.labels] == ["Doubt"] and article.dropped == 1
    assert article.si == ((2, 8),)  # no SI file: the TC spans


@pytest.mark.parametrize("labels, message", [
    ("1\tDoubt\t2\n", "tab-separated"),
    ("1\tDoubt\tx\t8\n", "not integers"),
    ("1\tDoubt\t2\t99\n", "outside the article"),
    ("1\tNonsense\t2\t8\n", "unknown technique"),
])
def test_techniques_bad_labels_are_clear_errors(tmp_path: Path, labels: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(read_ptc(_folder(tmp_path, labels)))


def test_techniques_not_a_ptc_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no article"):
        list(read_ptc(tmp_path))
    (tmp_path / "article2.txt").write_text("text", encoding="utf-8")
    with pytest.raises(InputError, match="no .*labels"):
        list(read_ptc(tmp_path))
