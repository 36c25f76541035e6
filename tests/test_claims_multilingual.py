"""Claims in Russian, Bulgarian, Portuguese and Hindi: attribution from cue lexicons, on texts written here."""

from __future__ import annotations

import pytest

from narratrace.claims.extract import ClaimOptions, extract_claims
from narratrace.model import Article
from narratrace.text import paragraph_spans, sentence_spans

OPTIONS = ClaimOptions(languages=("en", "ru", "bg", "pt", "hi"))


def _claims(text: str, language: str) -> list[tuple[str | None, str | None, str | None, str, list[str]]]:
    paragraphs = paragraph_spans(text)
    article = Article(id="a" * 16, ref="a", text=text, language=language, paragraphs=paragraphs,
                      sentences=sentence_spans(text, paragraphs))
    found = extract_claims(article, OPTIONS)
    assert found.skipped is None
    out = []
    for c in found.claims:
        a = c.attribution
        assert a.source is None or text[a.source_start:a.source_end] == a.source  # offsets index the text
        assert a.cue is None or text[a.cue_start:a.cue_end] == a.cue
        out.append((a.source, a.source_canonical, a.cue, a.source_kind, [h for *_, h in c.hedges]))
    return out


def test_a_bulgarian_attribution_is_found_with_its_source() -> None:
    text = ("Според руското разузнаване Киев подготвя провокация с химическо оръжие в Харковска област. "
            "Американски инструктори уж са пристигнали в града на 12 март, заяви Сергей Наришкин.")
    (first, second) = _claims(text, "bg")
    assert first[:4] == ("руското разузнаване", "руското разузнаване", "Според", "government")
    assert second == ("Сергей Наришкин", "Сергей Наришкин", "заяви", "person", ["уж"])  # inverted, hedged


def test_russian_sources_before_and_after_the_cue_and_a_pronoun_resolved() -> None:
    text = ("Служба внешней разведки России заявила во вторник, что Киев готовит провокацию. "
            "Как сообщает Telegram-канал «Рыбарь», в городе якобы находятся 300 наёмников. "
            "Он заявил, что это ложь и провокация Запада.")
    svr, channel, pronoun = _claims(text, "ru")
    assert svr[:4] == ("Служба внешней разведки России", "Служба внешней разведки России", "заявила", "government")
    assert channel[0] == "Telegram-канал" and channel[3] == "social_media" and channel[4] == ["якобы"]
    assert pronoun[0] == "Он" and pronoun[1] == "Telegram-канал"  # the pronoun stands for the last named source


def test_a_pronoun_with_nobody_before_it_stays_unresolved() -> None:
    (only,) = _claims("Он заявил, что в городе находятся 300 иностранных наёмников и инструкторов.", "ru")
    assert only[0] is None and only[1] is None and only[3] == "anonymous"


def test_portuguese_and_hindi_sources() -> None:
    pt = _claims("Segundo o serviço de inteligência russo, Kiev prepara uma provocação com armas químicas. "
                 "O Ministério da Defesa da Rússia afirmou que 300 mercenários teriam chegado à cidade.", "pt")
    assert pt[0][:3] == ("serviço de inteligência russo", "serviço de inteligência russo", "Segundo")
    assert pt[1][0] == "Ministério da Defesa da Rússia" and pt[1][4] == ["teriam"]  # no leading article
    hi = _claims("रूसी खुफिया सेवा के अनुसार कीव रासायनिक हथियारों से उकसावे की तैयारी कर रहा है। "
                 "यूक्रेन के विदेश मंत्रालय ने कहा कि यह दावा झूठा है।", "hi")
    assert [(s, cue) for s, _, cue, _, _ in hi] == [("रूसी खुफिया सेवा", "के अनुसार"),
                                                    ("यूक्रेन के विदेश मंत्रालय", "ने कहा")]


@pytest.mark.parametrize("language", ["de", "und"])
def test_languages_without_a_lexicon_are_skipped(language: str) -> None:
    text = "Der Geheimdienst erklärte am Dienstag, Kiew bereite eine Provokation vor."
    article = Article(id="a" * 16, ref="a", text=text, language=language)
    assert extract_claims(article, OPTIONS).skipped


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("ru", "Киевская хунта и её неонацисты совершили очередное зверство против мирных жителей.",
     {"хунта": "Name_Calling,Labeling", "неонацисты": "Name_Calling,Labeling", "зверство": "Loaded_Language"}),
    ("bg", "Марионетките в Киев извършиха поредното зверство, твърди пропагандата.",
     {"Марионетките": "Name_Calling,Labeling", "зверство": "Loaded_Language", "пропагандата": "Loaded_Language"}),
    ("pt", "Os fantoches de Kiev cometeram mais um massacre brutal contra civis.",
     {"fantoches": "Name_Calling,Labeling", "massacre": "Loaded_Language", "brutal": "Loaded_Language"}),
    ("hi", "कठपुतली सरकार ने एक और बर्बरता की और झूठा दावा किया।",
     {"कठपुतली": "Name_Calling,Labeling", "बर्बरता": "Loaded_Language", "झूठा": "Loaded_Language"}),
])
def test_technique_lexicons_of_other_languages(language: str, text: str, expected: dict[str, str]) -> None:
    from narratrace.pipeline import registered_stages

    info = registered_stages()["techniques"]
    stage = info.factory(**info.default_config)
    paragraphs = paragraph_spans(text)
    article = Article(id="t" * 16, ref="t", text=text, language=language, paragraphs=paragraphs,
                      sentences=sentence_spans(text, paragraphs))
    found = {text[a.start:a.end]: a.label for a in stage(article).annotations}
    assert expected.items() <= found.items(), found
    english = Article(id="e" * 16, ref="e", text=text, language="en", paragraphs=paragraphs,
                      sentences=article.sentences)
    if language != "pt":  # "massacre brutal" is English too
        assert not stage(english).annotations  # the English lexicon does not read these words
