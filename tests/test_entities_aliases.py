"""The alias table, its normalisation, in-article acronyms, and users' own tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratrace.errors import ConfigError
from narratrace.ingest import Record, build_article
from narratrace.model import Article
from narratrace.claims import AliasTable, default_aliases, entity_key, extract_claims, load_aliases
from narratrace.claims.extract import ClaimOptions, alias_table
from narratrace.claims.entities import resolve_mentions


def _article(text: str) -> Article:
    art = build_article(Record(ref="t", text=text, source="t.txt", kind="txt", language="en"))
    assert isinstance(art, Article)
    return art


@pytest.mark.parametrize("spelling, canonical", [
    ("SVR", "SVR"), ("the SVR's", "SVR"), ("SVR RF", "SVR"), ("Foreign Intelligence Service of Russia", "SVR"),
    ("Russia’s Foreign Intelligence Service", "SVR"), ("Russia's Foreign Intelligence Service", "SVR"),
    ("ISIS", "Islamic State"), ("ISIL", "Islamic State"), ("Daesh", "Islamic State"), ("IS", "Islamic State"),
    ("al-Tanf", "al-Tanf"), ("Al Tanf", "al-Tanf"), ("Al-Tanf", "al-Tanf"),
    ("HTS", "Hay'at Tahrir al-Sham"), ("Hay’at Tahrir al-Sham", "Hay'at Tahrir al-Sham"),
    ("Jebhat al-Nusra", "Jabhat al-Nusra"), ("al-Nusra", "Jabhat al-Nusra"),
    ("U.S.", "United States"), ("US", "United States"), ("NATO", "NATO"), ("Nato", "NATO"),
    ("Aydinlik", "Aydınlık"), ("Erdogan", "Recep Tayyip Erdoğan"), ("Kiev", "Kyiv"), ("Guardian", "The Guardian"),
])
def test_entities_aliases_default_table_spellings(spelling: str, canonical: str) -> None:
    entry = default_aliases().lookup(spelling)
    assert entry is not None and entry.canonical == canonical


@pytest.mark.parametrize("spelling", ["is", "us", "Washington", "Moscow", "Russian intelligence service", "svr rf"])
def test_entities_aliases_words_that_are_not_aliases(spelling: str) -> None:
    assert default_aliases().lookup(spelling) is None


def test_entities_aliases_matching_in_text_respects_case_of_acronyms() -> None:
    text = "IS fighters crossed. It is what it is, said the US envoy to us.\nLEAVE A REPLY IS HERE"
    found = [(text[s:e], entry.canonical) for s, e, entry in default_aliases().find(text)]
    assert found == [("IS", "Islamic State"), ("US", "United States")]


def test_entities_aliases_key_folds_what_news_text_varies_on() -> None:
    assert entity_key("the Al-Tanf's") == entity_key("al Tanf") == "al tanf"
    assert entity_key("Aydınlık") == entity_key("AYDINLIK") == "aydinlik"
    assert entity_key("Hay’at Tahrir al-Sham") == entity_key("Hay'at Tahrir al Sham")


def test_entities_aliases_acronym_defined_in_the_article_is_an_alias_there() -> None:
    text = ("The Coastal Guard Service (CGS) seized a trawler. CGS said 14 sailors were held. "
            "Iraq’s Popular Mobilization Units (PMU) denied it.")
    art = _article(text)
    found = extract_claims(art, ClaimOptions(threshold=0.0))
    canon = {art.text[m.start:m.end]: m.canonical for m in found.entities}
    assert canon["Coastal Guard Service"] == canon["CGS"] == "Coastal Guard Service"
    assert canon["PMU"] == canon["Popular Mobilization Units"] == "Popular Mobilization Forces"


def test_entities_aliases_surname_resolves_to_the_full_name_in_the_article() -> None:
    text = "Navy spokesman Ivo Lindqvist spoke to reporters on Friday. Lindqvist said that 300 sailors had arrived."
    art = _article(text)
    found = extract_claims(art, ClaimOptions(threshold=0.0))
    people = {art.text[m.start:m.end]: m.canonical for m in found.entities if m.label == "PERSON"}
    assert people == {"Ivo Lindqvist": "Ivo Lindqvist", "Lindqvist": "Ivo Lindqvist"}


def test_entities_aliases_user_table_is_merged_over_the_default(tmp_path: Path) -> None:
    path = tmp_path / "aliases.tsv"
    path.write_text("# ours\nMinistry of Coastal Security\tMCS|the coastal ministry\tORG\tgovernment\n"
                    "SVR\tForeign Intelligence Service\n", encoding="utf-8")
    table = alias_table(path)
    assert table.lookup("MCS").canonical == "Ministry of Coastal Security"  # type: ignore[union-attr]
    assert table.lookup("Foreign Intelligence Service").canonical == "SVR"  # type: ignore[union-attr]
    assert table.lookup("SVR RF").canonical == "SVR"  # type: ignore[union-attr]  (default kept)
    assert table.lookup("SVR").kind == "government"  # type: ignore[union-attr]  (label and kind kept)
    assert default_aliases().lookup("MCS") is None  # the default is not modified
    text = "MCS said on Tuesday that 40 drones were found."
    mentions = resolve_mentions(text, [], table)
    assert [(text[m.start:m.end], m.canonical, m.kind) for m in mentions] == [
        ("MCS", "Ministry of Coastal Security", "government")]


@pytest.mark.parametrize("content, message", [
    ("A\tb\tORG\tgovernment\textra\n", "at most 4"),
    ("A\tb\tORG\tspy\n", "unknown source kind"),
    ("\tb\n", "empty canonical"),
])
def test_entities_aliases_bad_user_table_is_refused_with_its_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("# header\n" + content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_aliases(path)
    assert "bad.tsv:2" in str(err.value)


def test_entities_aliases_missing_user_table_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_aliases(tmp_path / "missing.tsv")


def test_entities_aliases_default_table_is_well_formed() -> None:
    table = default_aliases()
    assert len(table) > 80 and isinstance(table, AliasTable)
    assert all(e.kind in (None, "person", "organisation", "government", "media", "social_media")
               for e in table.entries.values())


def test_acronym_long_name_is_the_words_that_spell_it() -> None:
    """The tagger's WORK_OF_ART "Facebook claims the National Aeronautics and Space Administration" before
    "(NASA)" became NASA's canonical name; the long name is the end of the span whose initials spell it."""
    from narratrace.claims.entities import find_acronym_definitions
    from narratrace.claims.extract import alias_table

    text = "Facebook claims the National Aeronautics and Space Administration (NASA) faked the landing."
    end = text.index(" (NASA)")
    ((acronym, long, entry),) = find_acronym_definitions(text, [(0, end, "WORK_OF_ART")], alias_table(None))
    assert (acronym, long, entry.canonical, entry.label) == (
        "NASA", "National Aeronautics and Space Administration", "National Aeronautics and Space Administration", "ORG")
    text = "Fighters of the Syrian Arab Army (SAA) and the Organisation for the Prohibition of Chemical Weapons (OPCW)."
    assert [d[1] for d in find_acronym_definitions(text, [], alias_table(None))] == [
        "Syrian Arab Army", "Organisation for the Prohibition of Chemical Weapons"]
