"""Which entities the framing stage casts, and at which mentions (issue 19), on articles written here.

* one entity under its names: "Ms Geller" is the Pamela Geller the article names (the claims
  stage's canonical form), so her role covers both mentions;
* every mention of a framed entity is exported, not only the ``max_mentions`` classified nor the
  evidence mention;
* an entity named once gets a role when the parse shows it acted on ("shelled Kharkiv"), not
  when it is only where something happens ("a mosque in Brendale");
* a source who accuses acts in the story and gets a role; a person who only "said" is the
  article's voice (Protagonist, "quoted as a source"), and so is an organisation that speaks
  itself ("the Kremlin said"); one only cited as a report is not cast ("Reuters reported");
* a nationality word the tagger calls ``NORP`` is cast when it is itself the noun that takes part
  ("Klitschko said") or modifies a noun of actors ("the Democrat party"), not as an adjective
  ("Syrian fighters").
"""

from __future__ import annotations

import json

import pytest

from narratrace.claims.entities import default_aliases, resolve_mentions
from narratrace.export import export_corpus
from narratrace.ingest import ingest
from narratrace.pipeline import Pipeline
from narratrace.store import Store

ARTICLES = [
    {"id": "geller", "outlet": "Harbour Post", "title": "Blogger attacks mosque plan",
     "text": "Blogger attacks mosque plan\n\nPamela Geller attacked the plan for a mosque in Brendale on Tuesday. "
             "Ms Geller threatened to sue the council and spread false stories about its members. "
             "Residents said the campaign frightened their children."},
    {"id": "kestria", "outlet": "Harbour Post", "title": "Kestria on the border",
     "text": "Kestria on the border\n\nKestria shelled the border villages on Monday. Kestria denied it. "
             "Kestria said its troops were training. Kestria moved more guns to the hills. "
             "Observers said Kestria fired at least forty shells. Kestria has done this every week since March. "
             "Farmers said Kestria destroyed their barns. Kestria threatened the valley with more attacks. "
             "Kestria did not answer questions."},
    {"id": "once", "outlet": "Harbour Post", "title": "Shelling in the east",
     "text": "Shelling in the east\n\nThe army of Kestria shelled Kharkiv on Sunday night, killing two farmers. "
             "Kestria has denied firing at civilians. Rescuers worked through the night in the cold."},
    {"id": "sources", "outlet": "Harbour Post", "title": "Flood report row",
     "text": "Flood report row\n\nOpposition leader Anna Brekke accused Water Minister Jonas Falk on Tuesday of "
             "hiding a report on the floods. The report was finished in May, hydrologist Tom Rask said."},
]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("framing-entities")
    (tmp / "feed.jsonl").write_text("\n".join(json.dumps(a) for a in ARTICLES) + "\n", encoding="utf-8")
    with Store(tmp / "f.db") as store:
        ingest(store, [tmp / "feed.jsonl"])
        report = Pipeline(["claims", "framing"]).run(store)
        assert not report.failed
        data = export_corpus(store, include_text=True)
    return data


def _items(export: dict, ref: str) -> dict[str, dict]:
    return {it["entity"]: it for it in export["framing"] if it["article"] == ref}


def _text(export: dict, ref: str) -> str:
    return next(a["text"] for a in export["articles"] if a["ref"] == ref)


def test_title_and_surname_resolve_to_the_full_name() -> None:
    text = "Pamela Geller spoke on Tuesday. Later Ms Geller left, and Dr. Okafor stayed."
    found = {text[m.start:m.end]: (m.canonical, m.label) for m in
             resolve_mentions(text, [(0, 13, "PERSON"), (38, 47, "ORG"), (58, 68, "ORG")], default_aliases())}
    assert found["Ms Geller"] == ("Pamela Geller", "PERSON")
    assert found["Pamela Geller"] == ("Pamela Geller", "PERSON")
    assert found["Dr. Okafor"][1] == "PERSON"   # a title makes a person, even with no full name to join


def test_one_entity_under_two_names_is_framed_once_at_both_mentions(export: dict) -> None:
    items = _items(export, "geller")
    assert "Ms Geller" not in items and "Pamela Geller" in items
    text = _text(export, "geller")
    named = sorted(text[m["start"]:m["end"]] for m in items["Pamela Geller"]["mentions"])
    assert named == ["Ms Geller", "Pamela Geller"]
    assert items["Pamela Geller"]["main_role"] == "Antagonist"   # she attacks and threatens


def test_every_mention_of_a_framed_entity_is_exported(export: dict) -> None:
    text = _text(export, "kestria")
    item = _items(export, "kestria")["Kestria"]
    spans = [(m["start"], m["end"]) for m in item["mentions"]]
    assert len(spans) == text.count("Kestria") == 10   # more than the 6 mentions (max_mentions) classified
    assert spans == sorted(spans) and all(text[s:e] == "Kestria" for s, e in spans)
    assert (item["mention"]["start"], item["mention"]["end"]) in spans


def test_an_entity_named_once_and_acted_on_gets_a_role(export: dict) -> None:
    items = _items(export, "once")
    text = _text(export, "once")
    assert text.count("Kharkiv") == 1
    assert items["Kharkiv"]["main_role"] == "Innocent"   # what Kestria's army shelled
    assert [text[m["start"]:m["end"]] for m in items["Kharkiv"]["mentions"]] == ["Kharkiv"]
    assert items["Kestria"]["main_role"] == "Antagonist"


def test_an_entity_named_once_as_a_setting_gets_no_role(export: dict) -> None:
    assert "Brendale" in _text(export, "geller") and "Brendale" not in _items(export, "geller")


def test_framing_once_can_be_switched_off(tmp_path) -> None:
    (tmp_path / "feed.jsonl").write_text(json.dumps(ARTICLES[2]) + "\n", encoding="utf-8")
    with Store(tmp_path / "f.db") as store:
        ingest(store, [tmp_path / "feed.jsonl"])
        Pipeline(["claims", "framing"], config={"framing": {"once": False}}).run(store)
        entities = {it["entity"] for it in export_corpus(store)["framing"]}
    assert "Kharkiv" not in entities and "Kestria" in entities


@pytest.mark.parametrize("text, facts, taking_part", [
    ("Kestria shelled Kharkiv.", {"dep": "dobj", "gov": "shell"}, True),
    ("Reporting by Tor Halvard.", {"dep": "pobj", "gov": "by", "gov_dep": "prep"}, False),        # a byline
    ("The town was shelled by Kestria.", {"dep": "pobj", "gov": "by", "gov_dep": "agent"}, True),
    ("a covert operation by Kestria", {"dep": "pobj", "gov": "by", "gov_dep": "prep"}, True),
    ("a mosque in Brendale", {"dep": "pobj", "gov": "in", "gov_dep": "prep"}, False),           # a setting
    ("the port of Tolvik", {"dep": "pobj", "gov": "of", "gov_dep": "prep", "gov_head": "port"}, False),
    ("attacks on Brendale", {"dep": "pobj", "gov": "on", "gov_dep": "prep", "gov_head": "attack"}, True),
    ("both shores of the gulf", {"dep": "pobj", "gov": "of", "gov_dep": "prep"}, False),         # lower case
    ("victims of Kestria", {"dep": "pobj", "gov": "of", "gov_dep": "prep", "gov_head": "victim"}, True),  # votes
])
def test_which_single_mentions_take_part(text: str, facts: dict, taking_part: bool) -> None:
    from narratrace.framing.stage import _participant

    name = {"Kestria shelled Kharkiv.": "Kharkiv", "both shores of the gulf": "gulf"}.get(text)
    name = name or next(w for w in ("Tor Halvard", "Kestria", "Brendale", "Tolvik") if w in text)
    start = text.index(name)
    assert _participant(text, start, start + len(name), facts) is taking_part


def test_a_line_of_capitals_is_no_participant() -> None:
    from narratrace.framing.stage import _participant

    text = "Kestria shelled Varn.\nLEAVE A REPLY\n"
    start = text.index("REPLY")
    assert not _participant(text, start, start + 5, {"dep": "dobj", "gov": "leave"})


@pytest.mark.parametrize("text, cited", [
    ("According to Russian Defense Ministry spokesman Igor Konashenkov, troops arrived.", True),
    ("According to the Kestria government's chief of staff Ivo Lind, troops arrived.", True),
    ("Kestria said Ivo Lind had lied.", False),
    ("Kestria and the envoy Ivo Lind agreed.", False),
])
def test_the_employer_of_a_cited_source_is_cited_too(text: str, cited: bool) -> None:
    from narratrace.framing.stage import _affiliation

    employer = "Russian Defense Ministry" if "Russian" in text else "Kestria"
    source = text.index("Igor Konashenkov" if "Igor" in text else "Ivo Lind")
    end = text.index(employer) + len(employer)
    if "government" in text:
        end = text.index("government") + len("government")
    assert _affiliation(text, end, [(source, source + 8)]) is cited


def test_a_source_that_accuses_is_cast_one_that_says_is_quoted(export: dict) -> None:
    items = _items(export, "sources")
    assert "Anna Brekke" in items and "Jonas Falk" in items
    assert items["Tom Rask"]["main_role"] == "Protagonist"   # "hydrologist Tom Rask said": the article's voice


def _claim(text: str, source: str, cue: str) -> object:
    from narratrace.model import Annotation

    s = text.index(source)
    return Annotation("claim", 0, len(text), None, {"source_start": s, "source_end": s + len(source), "cue": cue})


def test_a_person_or_an_organisation_quoted_only_is_framed_as_a_voice_an_outlet_is_not() -> None:
    from narratrace.framing.stage import QUOTED_VOTE, frame_entities
    from narratrace.model import Annotation, Article

    text = ("The dam held through the night, hydrologist Tom Rask said. "
            "The Lindau Water Board said the river would fall by Friday. The Tolvik Courier reported the "
            "same. The heads of the Vessa Fund and the Marren Council said in a statement that aid would come.")
    rask, board, courier = text.index("Tom Rask"), text.index("Lindau Water Board"), text.index("Tolvik Courier")
    fund, council = text.index("Vessa Fund"), text.index("Marren Council")
    say = {"dep": "nsubj", "gov": "say"}
    annotations = [Annotation("entity", rask, rask + 8, "PERSON", {"canonical": "Tom Rask", "syntax": say}),
                   Annotation("entity", board - 4, board + 18, "ORG", {"canonical": "Lindau Water Board",
                                                                      "syntax": say}),
                   Annotation("entity", courier, courier + 14, "ORG", {"canonical": "Tolvik Courier",
                                                                      "syntax": {"dep": "nsubj", "gov": "report"}}),
                   Annotation("entity", fund, fund + 10, "ORG", {"canonical": "Vessa Fund",
                                                                "syntax": {"dep": "pobj", "gov": "of"}}),
                   Annotation("entity", council, council + 14, "ORG", {"canonical": "Marren Council",
                                                                      "syntax": {"dep": "conj", "gov": "fund"}}),
                   _claim(text, "Tom Rask", "said"), _claim(text, "The Lindau Water Board", "said"),
                   _claim(text, "The Tolvik Courier", "reported"),
                   _claim(text, "The heads of the Vessa Fund and the Marren Council", "said")]
    [(data, framed)] = frame_entities([(Article(id="a", ref="a", text=text), annotations)])
    roles = {a.data["entity"]: a for a in framed}
    # an outlet that reports is cited, not cast; organisations that speak (or whose heads speak) are voices
    assert set(roles) == {"Tom Rask", "Lindau Water Board", "Vessa Fund", "Marren Council"}, data
    for name in roles:
        assert roles[name].label == QUOTED_VOTE[0] and roles[name].data["parse"] == [QUOTED_VOTE[1]], name
    # the same organisation only cited as reporting is not cast
    reported = [a if a.kind != "claim" or a.data["cue"] != "said" or a.data["source_start"] != board - 4
                else _claim(text, "The Lindau Water Board", "according to") for a in annotations]
    [(_, framed)] = frame_entities([(Article(id="c", ref="c", text=text), reported)])
    assert "Lindau Water Board" not in {a.data["entity"] for a in framed}
    # a person who acts too is classified on the mentions where they act (the quote is not a vote)
    acting = text + " Tom Rask opened the sluices."
    annotations.append(Annotation("entity", acting.rindex("Tom Rask"), acting.rindex("Tom Rask") + 8, "PERSON",
                                  {"canonical": "Tom Rask", "syntax": {"dep": "nsubj", "gov": "open"}}))
    [(_, framed)] = frame_entities([(Article(id="b", ref="b", text=acting), annotations)])
    assert [a.data["parse"] for a in framed if a.data["entity"] == "Tom Rask"] in ([], [[]])
    assert all(a.start == acting.rindex("Tom Rask") for a in framed if a.data["entity"] == "Tom Rask")


@pytest.mark.parametrize("text, name, words, kept", [
    ("Klitschko said the city would hold.", "Klitschko", ["klitschko"], True),          # the tagger's NORP for a person
    ("Klitschko, who was a boxer, insisted.", "Klitschko", [",", "be", "klitschko"], True),
    ("That is the Democrat party.", "Democrat", ["democrat", "party", "the"], True),     # a noun of actors
    ("Syrian fighters attacked the town.", "Syrian", ["fighter", "fighters", "syrian"], False),  # an adjective
    ("The Vessan children were taken away.", "Vessan", ["child", "children", "the", "vessan"], True),  # the group
    ("Marrenian civilians fled the town.", "Marrenian", ["civilian", "civilians", "marrenian"], True),
    ("A Vessan child was taken away.", "Vessan", ["a", "child", "vessan"], False),          # one child, not the group
    ("The Vessan cause is lost.", "Vessan", ["cause", "the", "vessan"], False),
    ("Dag Ruud is a Vessan from Tolvik.", "Vessan", ["a", "vessan"], False),                # one person, not the people
])
def test_a_nationality_word_is_cast_as_a_noun_not_as_an_adjective(text: str, name: str, words: list[str],
                                                                   kept: bool) -> None:
    from narratrace.framing.stage import ENTITY_LABELS, _entities
    from narratrace.model import Annotation, Article

    s = text.index(name)
    annotations = [Annotation("entity", s, s + len(name), "NORP",
                              {"canonical": name, "syntax": {"dep": "nsubj" if s == 0 else "dobj", "gov": "say",
                                                             "words": words}})]
    assert (name in _entities(Article(id="a", ref="a", text=text), annotations, ENTITY_LABELS, 6)) is kept


@pytest.mark.parametrize("text, name, label, taking_part", [
    ("the goals of the Halden Forum", "Halden Forum", "ORG", True),       # an organisation's goals: it acts
    ("the heads of Vessa Relief met", "Vessa Relief", "ORG", True),
    ("the reality of Ivo Lind as a leader", "Ivo Lind", "PERSON", True),
    ("hundreds of Marrenians died", "Marrenians", "NORP", True),
    ("the port of Tolvik", "Tolvik", "GPE", False),                      # a place's "of" is its setting
    ("the hills of Varn", "Varn", "LOC", False),
    ("the gates of Harrow Castle", "Harrow Castle", "FAC", False),
    ("the harbour of Sellvik", "Sellvik", "ORG", False),                 # a place noun: whatever the tagger said
    ("the goals of the Halden Forum", "Halden Forum", None, False),       # no label given: read as a setting
    ("a meeting in the Halden Forum", "Halden Forum", "ORG", False),      # other settings stay settings
])
def test_of_makes_a_setting_only_of_a_place(text: str, name: str, label: str | None, taking_part: bool) -> None:
    from narratrace.framing.stage import _participant

    start = text.index(name)
    prep = "of" if " of " in text else "in"
    head = text.split(f" {prep} ")[0].split()[-1].rstrip("s")   # the noun the preposition hangs on: "goal", "harbour"
    facts = {"dep": "pobj", "gov": prep, "gov_dep": "prep", "gov_head": head}
    assert _participant(text, start, start + len(name), facts, label) is taking_part


def test_repeats_of_a_name_the_tagger_missed() -> None:
    from narratrace.framing.stage import repeats, tagged_mask

    text = ("Spiked attacked the report. Critics said Spiked's funding was hidden. Spiked\nMedia is another firm.\n"
            "SPIKED RESPONDS\nUnspiked, spiked and Spikedness are other words. The Spiked editors left. "
            "Spiked Review is a third name.")
    first = (0, 6)
    tagged = [first, (text.index("Spiked\nMedia"), text.index("Spiked\nMedia") + 12)]   # another name, tagged
    found = sorted(repeats(text, [first], tagged_mask(text, tagged)))
    assert [text[s:e] for s, e in found] == ["Spiked", "Spiked"]     # "Spiked's" and "The Spiked editors"
    assert found[0][0] == text.index("Spiked's") and found[1][0] == text.index("Spiked editors")
    assert repeats(text, [], tagged_mask(text, tagged)) == set()
    gulf = "the gulf and the gulf"
    assert repeats(gulf, [(4, 8)], tagged_mask(gulf, [(4, 8)])) == set()   # lower-case words are not names
    assert list(tagged_mask("abcdef", [(-3, 2), (4, 99), (3, 3)])) == [1, 1, 0, 0, 1, 1]   # clipped, empty ignored


def test_a_repeat_in_a_headline_in_title_case_is_a_mention() -> None:
    """In "Lind Says Varn Prepared To Blame Ruud" every word is capitalised: the capital after "Varn"
    does not make "Varn Prepared" a longer name. In running text it still does ("Varn Herald")."""
    from narratrace.framing.stage import repeats, tagged_mask, title_case

    text = ("Lind Says Varn Prepared To Blame Ruud For the Floods\n\n"
            "Varn has blamed the council. The Varn Herald printed the letter. Varn Herald readers wrote in.")
    first = (text.index("Varn has"), text.index("Varn has") + 4)
    found = sorted(repeats(text, [first], tagged_mask(text, [first])))
    assert found == [(10, 14)]       # the headline's "Varn"; not "Varn Herald" twice in running text
    assert title_case(text, 12) and not title_case(text, first[0])
    assert not title_case("Varn Says No\n", 0)                            # too short to tell
    assert not title_case("Varn said it would Blame Ruud\n", 0)          # lower-case words: running text


def test_an_untagged_repeat_joins_its_entity() -> None:
    from narratrace.framing.stage import ENTITY_LABELS, _entities
    from narratrace.model import Annotation, Article

    text = "Spiked published the essay. Critics say Spiked took money from oil firms. The West Coast Herald agreed."
    article = Article(id="a", ref="a", text=text)
    annotations = [Annotation("entity", 0, 6, "ORG", {"canonical": "Spiked",
                                                      "syntax": {"dep": "nsubj", "gov": "publish", "gov_pos": "VERB"}}),
                   Annotation("entity", text.index("West Coast"), text.index(" agreed"), "ORG",
                              {"canonical": "West Coast Herald", "syntax": {"dep": "nsubj", "gov": "agree"}})]
    entities = _entities(article, annotations, ENTITY_LABELS, max_mentions=6)
    label, classified, every, quoted = entities["Spiked"]
    assert not quoted
    assert classified == [(0, 6)]                                        # the tagged mention is classified
    assert [text[s:e] for s, e in every] == ["Spiked", "Spiked"] and every[1][0] == text.index("Spiked took")
    assert [text[s:e] for s, e in entities["West Coast Herald"][2]] == ["West Coast Herald"]


def _names(text: str) -> list[tuple[int, str, str, str]]:
    """(start, surface, label, canonical) of the claims stage's entity mentions of ``text``."""
    from narratrace.claims.extract import extract_claims
    from narratrace.ingest import Record, build_article

    article = build_article(Record(ref="t", text=text, source="t.txt", kind="txt", language="en"))
    return [(m.start, text[m.start:m.end], m.label, m.canonical) for m in extract_claims(article).entities]


def test_an_untagged_name_that_acts_is_a_name_mention() -> None:
    # the tagger types neither name here; the parse shows each acting or acted on
    text = ("Medics Beyond Frontiers set up a field clinic near the river, where volunteers treat children. "
            "The minister has accused the West of starving the valley. The West did not answer.")
    found = _names(text)
    assert (0, "Medics Beyond Frontiers", "NAME", "Medics Beyond Frontiers") in found
    # the tagger finds the second "West" only: the first, found by the parse, takes its type; "the" is left out
    assert (text.index("West"), "West", "LOC", "West") in found
    assert {c for _, s, _, c in found if s == "West"} == {"West"}


def test_an_untagged_surname_joins_the_full_name() -> None:
    text = ("French army veteran Erwan Castel spoke in Lyon on Monday. "
            "\u201cThe fighters will move west when the war ends,\u201d Castel believes.")
    found = {(s, label, c) for _, s, label, c in _names(text)}
    assert ("Castel", "PERSON", "Erwan Castel") in found


def test_an_untagged_name_spans_of_and_keeps_the_type_found_elsewhere() -> None:
    text = ("Exporters are exposed. The Tarnish Chamber of Industry estimates that a third of exports use the port. "
            "\u201cAttribution is the hard part,\u201d she said.")
    found = {(s, label) for _, s, label, _ in _names(text)}
    assert ("Tarnish Chamber of Industry", "NAME") in found      # one name, not "Tarnish Chamber" and "Industry"
    assert not any(s == "Attribution" for s, _ in found)          # a word opening a quote is no name


def test_what_is_not_an_untagged_name() -> None:
    text = ("Ceasefire agreed after talks\n\nCeasefire talks ended on Friday after the ceasefire held. "
            "Mr Falk told reporters that Pamela Geller had left. "
            "Hackers encrypted the records of St Anne's Hospital on Saturday. A Bilateral Peace Agreement is needed.\n\n"
            "Putin Says West Prepared To Scapegoat Zelensky\n\n")
    names = [s for _, s, label, _ in _names(text) if label == "NAME"]
    assert names == []   # a sentence's first word, a title before a name, the rest of a name, a headline


def test_a_personal_name_tagged_as_a_group_is_a_person() -> None:
    # the tagger calls "Roman Shukhevych" NORP (for the adjective "Roman"); a people or an adjective stays NORP
    text = ("Marchers carried portraits of Roman Shukhevych through the town. "
            "South Korean officials met Roman Catholics in the square.")
    labels = {s: label for _, s, label, _ in _names(text)}
    assert labels["Roman Shukhevych"] == "PERSON"
    assert labels["South Korean"] == "NORP" and labels["Roman Catholics"] == "NORP"


@pytest.mark.parametrize("text, name, facts, taking_part", [
    ("They fight the Lindau and Varn elite.", "Varn", {"dep": "nmod", "gov": "elite"}, True),   # stands for actors
    ("a Varn landmark", "Varn", {"dep": "nmod", "gov": "landmark"}, False),
    ("the Ankara-backed militants", "Ankara", {"dep": "npadvmod", "gov": "back"}, True),       # agent of a participle
    ("the Varn-led coalition", "Varn", {"dep": "npadvmod", "gov": "lead"}, True),
    ("a Kyiv-based charity", "Kyiv", {"dep": "npadvmod", "gov": "base"}, False),              # a setting
    ("to Britain, Canada and the US", "Canada", {"dep": "npadvmod", "gov": "help"}, False),   # a list's misparse
])
def test_a_name_standing_for_actors_or_backing_them_takes_part(text: str, name: str, facts: dict,
                                                                 taking_part: bool) -> None:
    from narratrace.framing.stage import _participant

    start = text.index(name)
    assert _participant(text, start, start + len(name), facts, "GPE") is taking_part


def test_a_nationality_word_before_countries_stands_for_the_states() -> None:
    from narratrace.framing.stage import ENTITY_LABELS, _entities
    from narratrace.model import Annotation, Article

    text = "It will depend on Vessan countries."
    s = text.index("Vessan")
    facts = {"dep": "pobj", "gov": "on", "gov_head": "depend", "words": ["countries", "country", "vessan"]}
    annotations = [Annotation("entity", s, s + 6, "NORP", {"canonical": "Vessan", "syntax": facts})]
    assert "Vessan" in _entities(Article(id="a", ref="a", text=text), annotations, ENTITY_LABELS, 6)


def test_a_cited_source_whose_own_clause_casts_it_is_framed() -> None:
    """'Lind and Ruud lied when they said...': the claim cites them, but they are cast by their own verb."""
    from narratrace.framing.stage import ENTITY_LABELS, _entities
    from narratrace.model import Annotation, Article

    text = "Lind and Ruud lied when they said the dam was safe."
    facts = {"dep": "nsubj", "gov": "lie", "gov_pos": "VERB", "words": ["and", "lind", "ruud"]}
    annotations = [Annotation("entity", 0, 13, "ORG", {"canonical": "Lind and Ruud", "syntax": facts}),
                   _claim(text, "Lind and Ruud", "said")]
    article = Article(id="a", ref="a", text=text)
    assert _entities(article, annotations, ENTITY_LABELS, 6)["Lind and Ruud"][3] is False   # cast, not quoted
    saying = dict(facts, gov="say")  # only said: the article's voice (quoted), not cast by a clause
    annotations[0] = Annotation("entity", 0, 13, "ORG", {"canonical": "Lind and Ruud", "syntax": saying})
    assert _entities(article, annotations, ENTITY_LABELS, 6)["Lind and Ruud"][3] is True
    annotations[1] = _claim(text, "Lind and Ruud", "according to")   # only cited: not cast
    assert "Lind and Ruud" not in _entities(article, annotations, ENTITY_LABELS, 6)


def test_a_mention_cast_otherwise_by_its_own_clause_keeps_that_role() -> None:
    """The entity has one role; a mention whose own parse votes for another carries it (exported
    with the mention and read by the end-to-end evaluation at that mention)."""
    from narratrace.framing.stage import _mention_roles

    syntax = {(0, 7): {"dep": "nsubj", "gov": "invade", "gov_pos": "VERB"},
              (30, 37): {"dep": "dobj", "gov": "blame", "gov_pos": "VERB"},
              (50, 57): {"dep": "nsubj", "gov": "be", "gov_pos": "AUX"}}
    spans = [(0, 7), (30, 37), (50, 57), (70, 77)]      # (70, 77): an untagged repeat, no parse facts
    assert _mention_roles(spans, syntax, "Antagonist") == [[30, 37, "Innocent", "object of blame"]]
    assert _mention_roles(spans, syntax, "Innocent") == [[0, 7, "Antagonist", "subject of invade"]]


def test_a_name_tagged_as_a_product_where_it_is_a_person_elsewhere_is_their_mention() -> None:
    from narratrace.framing.stage import ENTITY_LABELS, _entities
    from narratrace.model import Annotation, Article

    text = "Governor Ivo Lind cut the fund. Lind denied it. The reality of Lind as a leader is plain."
    first, second, third = text.index("Ivo Lind"), text.index("Lind denied"), text.rindex("Lind")
    subject = {"dep": "nsubj", "gov": "cut", "gov_pos": "VERB"}
    annotations = [Annotation("entity", first, first + 8, "PERSON", {"canonical": "Ivo Lind", "syntax": subject}),
                   Annotation("entity", second, second + 4, "PERSON", {"canonical": "Ivo Lind", "syntax": subject}),
                   Annotation("entity", third, third + 4, "PRODUCT", {"canonical": "Lind"})]
    article = Article(id="a", ref="a", text=text)
    assert (third, third + 4) in _entities(article, annotations, ENTITY_LABELS, 6)["Ivo Lind"][2]
    # a product that is no one's name elsewhere stays out
    annotations[1] = Annotation("entity", second, second + 4, "PRODUCT", {"canonical": "Lind"})
    assert (third, third + 4) not in _entities(article, annotations, ENTITY_LABELS, 6)["Ivo Lind"][2]


def test_an_ideological_epithet_casts_a_place_named_as_a_setting() -> None:
    """"mined in Communist Varnia": the epithet is the text casting the country (the parse votes
    Antagonist, so a setting named once takes part); the plain "mined in Varnia" is a setting."""
    from narratrace.framing.stage import _participant
    from narratrace.framing.syntax import role_votes
    from narratrace.parsing import load_english, token_syntax

    cast = "The magnets are made from rare metals which are almost all mined in Communist Varnia."
    plain = "The magnets are made from rare metals which are almost all mined in Varnia."
    votes = role_votes([(cast, cast.index("Varnia"), cast.index("Varnia") + 6),
                        (plain, plain.index("Varnia"), plain.index("Varnia") + 6)])
    assert votes[0] is not None and votes[0][0] == "Antagonist"
    assert votes[1] is None
    nlp = load_english()
    for text, taking_part in ((cast, True), (plain, False)):
        start = text.index("Varnia")
        span = nlp(text).char_span(start, start + 6)
        assert span is not None
        assert _participant(text, start, start + 6, token_syntax(span.root), "GPE") is taking_part
