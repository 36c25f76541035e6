"""The entities export lists one name once, whatever label the tagger gave each sentence of it."""

from __future__ import annotations

from types import SimpleNamespace

from narratrace.claims.export import export_entities
from narratrace.model import Annotation


class _Store:
    """What ``export_entities`` reads of a store: articles and their entity annotations."""

    def __init__(self, articles: dict[str, tuple[str, list[tuple[str, str]]]]) -> None:
        self.texts = {aid: text for aid, (text, _) in articles.items()}
        self.anns = []
        for aid, (text, names) in articles.items():
            pos = 0
            for name, label in names:
                start = text.index(name, pos)
                pos = start + len(name)
                self.anns.append((aid, Annotation("entity", start, pos, label, {"canonical": name})))

    def article_index(self) -> list[dict[str, str]]:
        return [{"id": aid, "ref": f"ref-{aid}"} for aid in self.texts]

    def annotations_of_kind(self, kind: str):  # noqa: ANN201 - the store's iterator
        return iter(self.anns)

    def article(self, aid: str) -> SimpleNamespace:
        return SimpleNamespace(text=self.texts[aid])


def _by_name(entries: list[dict]) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for e in entries:
        out.setdefault(e["canonical"], []).append((e["kind"], len(e["mentions"])))
    return out


def test_one_sense_per_article_and_one_entity_across_articles() -> None:
    store = _Store({
        "a": ("Marrenland denied it. Marrenland said so. Marrenland's navy left.",
              [("Marrenland", "GPE"), ("Marrenland", "ORG"), ("Marrenland", "GPE")]),
        "b": ("Marrenland and Jordan met. MARRENLAND agreed.",
              [("Marrenland", "ORG"), ("Jordan", "GPE"), ("MARRENLAND", "ORG")]),
        "c": ("Jordan scored twice, and Jordan smiled.", [("Jordan", "PERSON"), ("Jordan", "PERSON")]),
    })
    entries = export_entities(store)
    names = _by_name(entries)
    # the tagger's ORG in article a follows that article's GPE; across articles one entity, under the
    # most frequent label (3 GPE mentions against 2 ORG), and the headline's capitals under the usual spelling
    assert names["Marrenland"] == [("GPE", 5)]
    assert "MARRENLAND" not in names
    # a person of the same name stays apart from the country
    assert sorted(names["Jordan"]) == [("GPE", 1), ("PERSON", 2)]
    marrenland = next(e for e in entries if e["canonical"] == "Marrenland")
    tagged = [(m["article"], m["text"], m.get("tagged")) for m in marrenland["mentions"]]
    assert ("ref-a", "Marrenland", "ORG") in tagged  # the mention's own tag is kept where it differs
    assert sum(1 for t in tagged if t[2] is None) == 2  # the GPE ones: ORG in b is tagged too
    assert sum(len(e["mentions"]) for e in entries) == 8  # no mention lost


def test_a_tie_in_an_article_keeps_each_mention_its_own_label() -> None:
    store = _Store({"a": ("Harbour Courier wrote. Harbour Courier said.",
                          [("Harbour Courier", "ORG"), ("Harbour Courier", "PERSON")])})
    assert sorted(_by_name(export_entities(store))["Harbour Courier"]) == [("ORG", 1), ("PERSON", 1)]
