"""Entity framing: reading the SemEval-2025 Task 10 subtask-1 format, the taxonomy, the task's measures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narratrace.errors import InputError
from narratrace.framing.data import read_framing_data
from narratrace.framing.measures import framing_measures
from narratrace.framing.model import FramingModel, train_model
from narratrace.framing.taxonomy import MAIN_ROLES, load_taxonomy

DATA = Path(__file__).parent / "data" / "framing"


def _folder(tmp_path: Path, doc: str, rows: list[str], name: str = "D1.txt") -> Path:
    (tmp_path / "raw-documents").mkdir(parents=True, exist_ok=True)
    (tmp_path / "raw-documents" / name).write_bytes(doc.encode("utf-8"))
    (tmp_path / "subtask-1-annotations.txt").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    return tmp_path


def test_framing_taxonomy_has_the_task_roles() -> None:
    t = load_taxonomy()
    assert len(t.fine_roles) == 22
    assert t.main_of("Foreign Adversary") == "Antagonist"
    assert t.main_of("Scapegoat") == "Innocent"
    assert set(t.fine_of("Protagonist")) == {"Guardian", "Martyr", "Peacemaker", "Rebel", "Underdog", "Virtuous"}
    assert all(t.description(r.main, r.fine) for r in t.roles)
    assert {r.main for r in t.roles} == set(MAIN_ROLES)


def test_framing_data_reads_offsets_inclusive_and_crlf(tmp_path: Path) -> None:
    doc = "Title\r\n\r\nThe army of Kestria shelled Varn. People of Varn fled.\r\n"
    start = doc.index("Kestria")
    folder = _folder(tmp_path, doc, [f"D1.txt\tKestria\t{start}\t{start + 6}\tAntagonist\tInstigator",
                                     f"D1.txt\tPeople of Varn\t{doc.index('People')}\t{doc.index('People') + 13}"
                                     "\tInnocent\tVictim\tForgotten"])
    (d,) = read_framing_data(folder)
    assert d.id == "D1" and "\r\n" in d.text
    assert [(m.text, d.text[m.start:m.end], m.main_role, m.fine_roles) for m in d.mentions] == [
        ("Kestria", "Kestria", "Antagonist", ("Instigator",)),
        ("People of Varn", "People of Varn", "Innocent", ("Victim", "Forgotten"))]


def test_framing_data_reanchors_an_offset_that_is_off_by_a_few(tmp_path: Path) -> None:
    doc = "T\n\nWe saw Norvia attack."
    folder = _folder(tmp_path, doc, [f"D1.txt\tNorvia\t{doc.index('Norvia') + 2}\t{doc.index('Norvia') + 7}"
                                     "\tAntagonist\tInstigator"])
    (d,) = read_framing_data(folder)
    assert d.text[d.mentions[0].start:d.mentions[0].end] == "Norvia"


@pytest.mark.parametrize("row, message", [
    ("D1.txt\tNorvia\t0\t5\tVillain\tInstigator", "unknown main role"),
    ("D1.txt\tNorvia\t0\t5\tInnocent\tInstigator", "do not belong"),
    ("D1.txt\tNorvia\t0\t5\tAntagonist", "expected file_id"),
    ("D1.txt\tNorvia\tzero\t5\tAntagonist\tInstigator", "not integers"),
    ("D2.txt\tNorvia\t0\t5\tAntagonist\tInstigator", "not in"),
    ("D1.txt\tAlbion\t3\t8\tAntagonist\tInstigator", "not found"),
])
def test_framing_data_bad_rows_are_clear_errors(tmp_path: Path, row: str, message: str) -> None:
    folder = _folder(tmp_path, "T\n\nWe saw Norvia attack.", [row])
    with pytest.raises(InputError, match=message):
        list(read_framing_data(folder))


def test_framing_data_not_a_folder_of_the_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="subtask-1-annotations"):
        list(read_framing_data(tmp_path))


def test_framing_data_fixtures_and_splits() -> None:
    docs = list(read_framing_data(DATA / "exemplars"))
    assert len(docs) >= 25 and sum(len(d.mentions) for d in docs) >= 90
    train = {d.id for d in read_framing_data(DATA / "exemplars", split="train")}
    held = {d.id for d in read_framing_data(DATA / "exemplars", split="heldout")}
    assert train and held and not train & held and train | held == {d.id for d in docs}
    test_ids = {d.id for d in read_framing_data(DATA / "testset")}
    assert not test_ids & {d.id for d in docs}  # the quality set is not the training set


def test_framing_measures_by_hand() -> None:
    gold = [("Antagonist", ["Instigator"]), ("Antagonist", ["Deceiver", "Corrupt"]), ("Innocent", ["Victim"]),
            ("Protagonist", ["Guardian"])]
    pred = [("Antagonist", ["Instigator"]), ("Antagonist", ["Deceiver"]), ("Antagonist", ["Terrorist"]),
            ("Protagonist", ["Guardian"])]
    m = framing_measures(gold, pred)
    assert m["emr"] == 0.5                      # mentions 1 and 4
    assert m["main_role_accuracy"] == 0.75
    # fine roles: tp = Instigator, Deceiver, Guardian; fp = Terrorist; fn = Corrupt, Victim
    assert m["fine"]["micro"] == {"precision": 0.75, "recall": 0.6, "f1": 0.6667}
    # macro over 6 roles: P = (1+1+1+0+0+0)/6, R = (1+1+1+0+0+0)/6
    assert m["fine"]["macro"]["precision"] == 0.5 and m["fine"]["macro"]["recall"] == 0.5
    with pytest.raises(ValueError):
        framing_measures(gold, pred[:2])


def test_framing_model_learns_separable_roles_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    centres = {"Antagonist": 0, "Protagonist": 1, "Innocent": 2}
    fine = {"Antagonist": ("Terrorist",), "Protagonist": ("Guardian",), "Innocent": ("Victim",)}
    labels = [r for r in centres for _ in range(30)]
    x = rng.normal(size=(90, 8)).astype(np.float32)
    for i, r in enumerate(labels):
        x[i, centres[r]] += 4.0
    model = train_model(x, labels, [fine[r] for r in labels], features=("cues",), name="toy", c_main=1.0,
                        c_fine=1.0)
    preds = model.predict_matrix(x)
    assert sum(p.main_role == r for p, r in zip(preds, labels)) >= 85
    assert all(set(p.fine_roles) <= set(load_taxonomy().fine_of(p.main_role)) for p in preds)
    model.save(tmp_path / "m")
    again = FramingModel.load(tmp_path / "m")
    assert [p.main_role for p in again.predict_matrix(x)] == [p.main_role for p in preds]
    assert (tmp_path / "m" / "weights.npz").stat().st_size < 50_000


def test_framing_model_broken_dir_is_a_config_error(tmp_path: Path) -> None:
    from narratrace.errors import ConfigError

    (tmp_path / "model.json").write_text("{}")
    with pytest.raises(ConfigError):
        FramingModel.load(tmp_path)
