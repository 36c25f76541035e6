"""Header heuristics (title, date, outlet, byline) and credits, on hand-written texts.

The texts imitate the header styles of the seed articles without copying them; the seeds
themselves are checked at the end when ../shared is there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from narratrace.ingest import build_article
from narratrace.ingest.heuristics import Credit, find_credits, infer_metadata, parse_date
from narratrace.ingest.record import Record
from narratrace.model import Article
from narratrace.text import normalize_text

SEEDS = Path(__file__).parents[1] / ".." / "shared" / "corpora" / "seeds"

BODY = ("The regional council approved the new budget on a narrow vote after a long debate.\n\n"
        "Opponents said the plan cut too deeply into school funding and promised to appeal.\n\n")


def infer(text: str, **fields: object) -> Record:
    record = Record(ref="t", text=normalize_text(text), source="t.txt", kind="txt", **fields)  # type: ignore[arg-type]
    return infer_metadata(record)


# -- a republished text: the outlet is the republisher, not the credited original ---------

REPUBLISHED = """ date 2023-11-14 Posted on by harbourwatcher

November 14, 2023

Coastal Monitor,

By The Lighthouse Post

The Lighthouse Post 13 November 2023

Fishing fleets in the north stayed in port for a third day as the storm moved slowly along the coast.

The coast guard said it had rescued two crews whose boats lost power near the rocks.

The original source of this article is The Lighthouse Post

Copyright © The Lighthouse Post, The Lighthouse Post, 2023
"""


def test_ingest_heuristics_republished_header() -> None:
    rec = infer(REPUBLISHED)
    assert (rec.published, rec.published_how) == ("2023-11-14", "text:date-line")
    assert rec.outlet == "Coastal Monitor"
    assert rec.title is None
    assert rec.author == "The Lighthouse Post"
    assert rec.meta["inferred"] == {"published": "text:date-line", "outlet": "text:outlet-line",
                                    "author": "text:byline"}


def test_ingest_heuristics_republished_credits() -> None:
    text = normalize_text(REPUBLISHED)
    credits = find_credits(text)
    assert [(c.name, c.cue) for c in credits] == [
        ("The Lighthouse Post", "byline"),
        ("The Lighthouse Post", "original-source"),
        ("The Lighthouse Post", "copyright"),
    ]
    assert all(text[c.start:c.end] == c.name for c in credits)


def test_ingest_heuristics_outlet_confirmed_by_url_line() -> None:
    rec = infer("Ministers Meet Over Water Shortage in the South\n\nRiver Daily\n"
                "https://static.riverdaily.example/uploads/2023/05/dam-1200x674.webp\n\n"
                "Ministers from three provinces met on Friday to share out water from the dam\n\n"
                "On 29 January 2023 River Daily reported that the reservoir was at a record low.\n\n" + BODY)
    assert rec.title == "Ministers Meet Over Water Shortage in the South"
    assert rec.outlet == "River Daily"
    assert rec.meta["inferred"]["outlet"] == "text:outlet-url-line"
    assert rec.published is None  # a date inside a body sentence is not the publication date


def test_ingest_heuristics_body_first_footer_outlet() -> None:
    first = ("In late spring, long before the official announcement, the ministry had quietly told regional "
             "offices to prepare for a wave of new applications, according to documents seen by reporters, "
             "and several officials confirmed that the instruction came directly from the minister's office.")
    rec = infer(f"{first}\n{BODY}Anna Petrova, economist, exclusively for the online magazine “Eastern Review”.")
    assert rec.title is None
    assert rec.outlet == "Eastern Review"
    assert rec.meta["inferred"]["outlet"] == "text:footer-line"


@pytest.mark.parametrize("first_lines, title", [
    ("Council Approves Budget After Long Debate\n\n0\n\n", "Council Approves Budget After Long Debate"),
    ("Council approves budget, opponents vow appeal\n", "Council approves budget, opponents vow appeal"),
    ("Is the Council’s ‘Bold’ Budget a Mistake?\n", "Is the Council’s ‘Bold’ Budget a Mistake?"),
    ("Published: 3 April 2025\nCouncil Approves Budget\nBy Jo Smith\n\n", "Council Approves Budget"),
    ("https://example.org/news/budget\n", None),
    ("Budget.\n", None),
    ("The council approved the budget on Tuesday after a debate that lasted all night.\n", None),
    # a headline closed by a full stop, in title case
    ("Harbour Council Scraps Bridge Toll After Protest.\n", "Harbour Council Scraps Bridge Toll After Protest."),
    ("Mayor Never Met The Developer.\n", "Mayor Never Met The Developer."),
    # a site's tagline is not a headline; nor is a sentence in sentence case
    ("Your Harbour Voice.\n", None),
    ("The mayor never met the developer, the council said.\n", None),
    # a byte-order mark before the headline; a quoted exclamation at the end
    ("\ufeffCouncil Sacks Treasurer Over “Missing” Funds\n", "Council Sacks Treasurer Over “Missing” Funds"),
    ("Mayor To Council In Series Of Posts: ‘Stop The Rigged Vote NOW!’\n",
     "Mayor To Council In Series Of Posts: ‘Stop The Rigged Vote NOW!’"),
])
def test_ingest_heuristics_title(first_lines: str, title: str | None) -> None:
    assert infer(first_lines + BODY).title == title


@pytest.mark.parametrize("line, published, how", [
    ("date 2022-03-06 Posted on by someone", "2022-03-06", "text:date-line"),
    ("Published: 3 April 2025", "2025-04-03", "text:date-line"),
    ("Posted on March 6, 2022 at 10:15 am", "2022-03-06", "text:date-line"),
    ("March 06, 2022", "2022-03-06", "text:date-line"),
    ("Mar. 6th, 2022", "2022-03-06", "text:date-line"),
    ("2022-03-06", "2022-03-06", "text:date-line"),
    ("2022-03-06T23:15:00+02:00", "2022-03-06", "text:date-line"),
    ("06.03.2022", "2022-03-06", "text:date-line"),
    ("Sunday, 6 March 2022, 14:05 GMT", "2022-03-06", "text:date-line"),
    ("Veröffentlicht am 6. März 2022", "2022-03-06", "text:date-line"),
    ("Publié le 1er mars 2022", "2022-03-01", "text:date-line"),
    ("6 de marzo de 2022", "2022-03-06", "text:date-line"),
    ("Updated: 7 March 2022", "2022-03-07", "text:updated-line"),
    ("Daily Planet 5 March 2022", "2022-03-05", "text:credit-date-line"),
    ("Daily Planet, March 5, 2022", "2022-03-05", "text:credit-date-line"),
    ("31.02.2022", None, None),
    ("Figures for 2022-03-06 show that the harbour traffic doubled over the previous year.", None, None),
])
def test_ingest_heuristics_date_lines(line: str, published: str | None, how: str | None) -> None:
    rec = infer(f"Council Approves Budget\n{line}\n\n{BODY}")
    assert (rec.published, rec.published_how) == (published, how)


def test_ingest_heuristics_date_priority_and_header_only() -> None:
    rec = infer(f"Council Approves Budget\nDaily Planet 5 March 2022\nUpdated: 9 March 2022\n"
                f"Published: 6 March 2022\n\n{BODY}")
    assert (rec.published, rec.published_how) == ("2022-03-06", "text:date-line")
    late = "\n".join(f"Line {i} of a long header without any date." for i in range(12))
    assert infer(f"{late}\nPublished: 6 March 2022\n{BODY}").published is None


def test_ingest_heuristics_dateline_outlet_needs_comma() -> None:
    rec = infer(f"Council Approves Budget\nBy Jo Smith\nDaily Planet, March 5, 2022\n\n{BODY}")
    assert (rec.outlet, rec.published, rec.author) == ("Daily Planet", "2022-03-05", "Jo Smith")
    assert rec.meta["inferred"]["outlet"] == "text:dateline"
    rec = infer(f"Council Approves Budget\nJo Smith 5 March 2022\n\n{BODY}")
    assert (rec.outlet, rec.published, rec.author) == (None, "2022-03-05", None)
    rec = infer(f"By the end of the day the council had approved the budget.\n\n{BODY}")
    assert (rec.author, rec.title) == (None, None)


def test_ingest_heuristics_keeps_reader_fields() -> None:
    rec = infer(REPUBLISHED, title="Given", published="2020-01-01", published_how="jsonl:date", outlet="Given Outlet",
                author="Given Author")
    assert (rec.title, rec.published, rec.published_how, rec.outlet, rec.author) == (
        "Given", "2020-01-01", "jsonl:date", "Given Outlet", "Given Author")
    assert "inferred" not in rec.meta
    partial = infer(REPUBLISHED, outlet="Given Outlet")
    assert (partial.outlet, partial.published) == ("Given Outlet", "2023-11-14")


@pytest.mark.parametrize("value, iso", [
    ("Wed, 27 Mar 2024 10:00:00 GMT", "2024-03-27"),
    ("2024-03-26 08:15:00", "2024-03-26"),
    ("2024/03/26", "2024-03-26"),
    ("26 décembre 2023", "2023-12-26"),
    ("Dezember 26, 2023", "2023-12-26"),
    ("yesterday", None),
    ("2024-13-01", None),
])
def test_ingest_heuristics_parse_date(value: str, iso: str | None) -> None:
    assert parse_date(value) == iso


# -- credits --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Body.\n\nThe original source of this article is Harbour Times", [("Harbour Times", "original-source")]),
    ("Body.\n\nThis article was originally published on The Conversation.", [("The Conversation", "first-published")]),
    ("Body.\n\nThis article was first published by Kyiv Independent on 3 March 2022.",
     [("Kyiv Independent", "first-published")]),
    ("The interview was first published by Harbour Times, a local weekly.", [("Harbour Times", "first-published")]),
    ("Body.\n\nOriginally published at “Consortium News”.", [("Consortium News", "first-published")]),
    ("Body.\n\nThe post Ports Reopen appeared first on River Daily.", [("River Daily", "first-published")]),
    ("Body.\n\nRepublished with permission from Mountain Gazette", [("Mountain Gazette", "republished")]),
    ("Body.\n\nRepublished from The Lighthouse Post.", [("The Lighthouse Post", "republished")]),
    ("Photo courtesy of the Port Authority. Body.", [("Port Authority", "courtesy")]),
    ("By Jo Smith\n\nBody.", [("Jo Smith", "byline")]),
    ("BY JO SMITH | March 5, 2022\n\nBody.", [("JO SMITH", "byline")]),
    ("Body.\n\nSource: Harbour Times", [("Harbour Times", "source")]),
    ("Body.\n\nSource: https://www.harbourtimes.example/news/1", [("harbourtimes.example", "source")]),
    ("Via Eastern Review\n\nBody.", [("Eastern Review", "via")]),
    ("Body text ends here (via River Daily)", [("River Daily", "via")]),
    ("Body.\n\nCopyright © The Lighthouse Post, The Lighthouse Post, 2023", [("The Lighthouse Post", "copyright")]),
    ("Body.\n\n© 2023 Harbour Times. All rights reserved.", [("Harbour Times", "copyright")]),
    ("Body.\n\nThe Lighthouse Post 5 March 2022", []),
])
def test_ingest_heuristics_find_credits(text: str, expected: list[tuple[str, str]]) -> None:
    credits = find_credits(text)
    assert [(c.name, c.cue) for c in credits] == expected
    for c in credits:
        assert isinstance(c, Credit)
        assert text[c.start:c.end] == c.name or c.cue == "source"


@pytest.mark.parametrize("text", [
    "By the way, the council never published the figures.",
    "By March 2023 the army had withdrawn from the town.\n\nBody.",
    "According to Reuters, the talks failed.",
    "Harbour Times reported that the talks failed, citing officials.",
    "The money was sent via Western Union to an account in the south.\n\nMore body text follows here.",
    "Payments were routed via Western Union.",
    "The law was first published in 2019 and amended twice.",
    "The report, published by the ministry on Monday, was short.",
    "Critics say copyright law is outdated.",
    "He stood by John Smith during the trial.",
    "Sources said the talks would resume.",
])
def test_ingest_heuristics_find_credits_ignores_prose(text: str) -> None:
    assert find_credits(text) == []


# -- the seed articles (read-only, in ../shared) ----------------------------------------------

def seed(prefix: str) -> Article:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    record = Record(ref=path.stem, text=path.read_text(encoding="utf-8"), source=str(path), kind="txt")
    built = build_article(record)
    assert isinstance(built, Article)
    return built


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/corpora/seeds is not there")
def test_ingest_heuristics_seed_articles() -> None:
    s4 = seed("004")
    assert (s4.published, s4.published_how) == ("2022-03-06", "text:date-line")
    assert s4.outlet == "Global Research"
    assert s4.title is None
    assert {c.name for c in find_credits(s4.text)} == {"The Cradle"}

    s3 = seed("003")
    assert s3.title == "Russia Warns Washington is Sending ISIS Fighters to Ukraine"
    assert s3.outlet == "The Cradle"
    assert s3.published is None

    assert seed("002").title == "Kyiv Initiates Contacts with ‘Terrorist’ Organizations on NATO’s Behal"
    assert seed("001").title == "Moscow claims, Washington is sending ISIS jihadists to Ukraine"

    s0 = seed("000")
    assert s0.title is None
    assert s0.outlet == "New Eastern Outlook"
    assert s0.published is None


def test_heuristics_credited_date_of_the_original() -> None:
    from narratrace.ingest.heuristics import credited_date, find_credits

    def first_credit_date(text: str) -> str | None:
        (credit, *_) = find_credits(text)
        return credited_date(text, credit)

    # a line of its own under the credit: the credited name with a date
    assert first_credit_date("Drones over the harbour\n\nBy The Harbour Courier\n\nThe Harbour Courier 5 March 2025\n\n"
                             "Officials said on 9 March 2025 that ...") == "2025-03-05"
    # on the credit's own line
    assert first_credit_date("Text of the story.\n\nThis article was originally published by The Harbour Courier "
                             "on 4 April 2025.") == "2025-04-04"
    # another name's dated line is not the original's date; nor is a date far below the credit
    assert first_credit_date("By The Harbour Courier\n\nGulf Wire 5 March 2025\n\nText.") is None
    assert first_credit_date("By The Harbour Courier\none\ntwo\nthree\n5 March 2025\n") is None


@pytest.mark.parametrize(("line", "outlet"), [
    ("Harwick Evening News", "Harwick Evening News"),
    ("Tessel Valley Gazette, Sport", "Tessel Valley Gazette"),
    ("NORTH SEA WIRE, PORTHAVEN", "NORTH SEA WIRE"),
    ("Der Inselbote", "Der Inselbote"),
])
def test_ingest_heuristics_outlet_line_of_a_newspapers_name(line: str, outlet: str) -> None:
    """A header line that is a newspaper's or an agency's name (alone, or with its section or city)."""
    rec = infer(f"Harbour pilots strike over night shifts\n5 Apr 2025\n{line}\n\n"
                "Pilots at the port walked out on Friday after talks with the authority broke down.\n")
    assert (rec.outlet, rec.meta["inferred"]["outlet"]) == (outlet, "text:outlet-line")
    assert rec.title == "Harbour pilots strike over night shifts"


@pytest.mark.parametrize("line", [
    "Oda Fenmark, Political Correspondent",  # a person and a title
    "Portland, Oregon",  # a dateline's place
    "Analysis and Opinion",  # a section alone
    "The Lighthouse Post",  # named by the text's credits: the origin, not this outlet
    "READ MORE IN WORLD NEWS",  # a widget
    "ASSOCIATED PRESS.",  # a photo's credit
    "News Analysis",  # a section
])
def test_ingest_heuristics_outlet_line_needs_a_newspapers_word(line: str) -> None:
    rec = infer(f"Harbour pilots strike over night shifts\n5 Apr 2025\n{line}\n\n"
                "Pilots at the port walked out on Friday after talks with the authority broke down.\n\n"
                "The original source of this article is The Lighthouse Post\n")
    assert rec.outlet is None


def test_ingest_heuristics_copyright_of_a_repost_is_its_outlet() -> None:
    """A text that credits its origin and is copyrighted by someone else is that someone's repost."""
    body = "Pilots at the port walked out on Friday after talks with the authority broke down.\n\n"
    rec = infer("Harbour pilots strike\n\n" + body + "This article was first published by Harwick Evening News.\n"
                "Copyright © Tessel Ledger 2025. Tessel Ledger, 4 Quay Street.\n")
    assert (rec.outlet, rec.meta["inferred"]["outlet"]) == ("Tessel Ledger", "text:copyright-line")
    # the original's copyright kept under a repost that credits the same original names no outlet
    assert infer("Harbour pilots strike\n\n" + body + "The original source of this article is Harwick Evening News\n"
                 "Copyright © Harwick Evening News, 2025\n").outlet is None



@pytest.mark.parametrize("footer, outlet", [
    ("Copyright © Tessel Ledger 2025\n", "Tessel Ledger"),
    ("© The Velorian Observer. All rights reserved.\n", "The Velorian Observer"),
    ("© Der Küstenbote 2025\n", "Der Küstenbote"),
    ("© 2025 AP Photo\n", None),                                   # a photo's holder
    ("©2018 CREATORS.COM\n", None),                               # a syndicate's
    ("© Provided by Tessel\n", None),
    ("© Rod Lamkey\n", None),                                     # a photographer's
    ("By Harwick Evening News\nCopyright © Tessel Ledger 2025\n", None),  # it credits an outlet: a repost's
])
def test_ingest_heuristics_copyright_of_a_text_crediting_nobody_is_its_outlet(footer: str, outlet: str | None) -> None:
    """A text that credits nobody but a byline's person is its copyright holder's, when the holder
    is named as newspapers are (on 2,831 real articles of the shared sets this names 4 outlets, all
    "©2018 Los Angeles Times, Distributed by Tribune Content Agency")."""
    body = "Pilots at the port walked out on Friday after talks with the authority broke down.\n\n"
    rec = infer("Harbour pilots strike\nBy Mara Quill\n\n" + body + footer)
    assert rec.outlet == outlet
    if outlet:
        assert rec.meta["inferred"]["outlet"] == "text:copyright-line" and rec.author == "Mara Quill"


def test_ingest_heuristics_newspapers_name_before_the_date_is_the_outlet() -> None:
    """'Tessel Evening Post 4 April 2025' under the headline names the outlet of a text that credits
    nobody; a repost that credits its origin may carry the original's line, so it names none there."""
    body = "Pilots at the port walked out on Friday after talks with the authority broke down.\n"
    rec = infer("Harbour pilots strike\nTessel Evening Post 4 April 2025\n\nBy Mara Quill\n\n" + body)
    assert (rec.outlet, rec.meta["inferred"]["outlet"]) == ("Tessel Evening Post", "text:dateline")
    assert rec.published == "2025-04-04" and rec.author == "Mara Quill"
    repost = infer("Harbour pilots strike\nTessel Evening Post 4 April 2025\n\n" + body +
                   "\nThe original source of this article is Tessel Evening Post\n")
    assert repost.outlet is None
    assert infer("Harbour pilots strike\nReuters 4 April 2025\n\n" + body).outlet is None  # no newspaper's word


@pytest.mark.parametrize("footer, outlet", [
    ("(Gulf Wire, 2025. Redistribution to subscribers only.)\n", "Gulf Wire"),  # the text's own spelling
    ("Subscribe to GULF WIRE today.\n", "GULF WIRE"),                          # capitals everywhere: kept
    ("Read more on gulf wire forums.\n", "GULF WIRE"),                         # lower case is no spelling of a name
])
def test_ingest_heuristics_an_outlet_in_capitals_takes_the_texts_mixed_case_spelling(footer: str, outlet: str) -> None:
    rec = infer("Marrenland denies drone claims\nGULF WIRE, LINDHOLT\n\n"
                "Pilots at the port walked out on Friday after talks with the authority broke down.\n\n" + footer)
    assert (rec.outlet, rec.meta["inferred"]["outlet"]) == (outlet, "text:outlet-line")
