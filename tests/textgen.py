"""Deterministic made-up prose for tests (no real article text in the repository)."""

from __future__ import annotations

import random

_VOCAB = ("port ministry drones cargo officials statement border navy coast harbour shipment customs "
          "investigation minister spokesman agency report council security trade vessel inspection "
          "container evidence government neighbour smuggling route alliance warning sanctions meeting "
          "analysts suspects province capital fishermen weather tuesday monday budget parliament "
          "committee hearing press figures million percent week month year local regional national "
          "the a of to in and that was were said would could has have had on for with by at from").split()


def sentence(rng: random.Random, n: int | None = None) -> str:
    words = [rng.choice(_VOCAB) for _ in range(n or rng.randint(10, 22))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def article(seed: int, paragraphs: int = 8) -> str:
    rng = random.Random(seed)
    return "\n\n".join(paragraph(rng) for _ in range(paragraphs))


def edit_words(text: str, share: float, seed: int) -> str:
    """Replace about ``share`` of the words by other words."""
    rng = random.Random(seed)
    out = []
    for token in text.split(" "):
        if rng.random() < share and token.isalpha():
            token = rng.choice(["zebra", "quartz", "violet", "lantern", "meadow"])
        out.append(token)
    return " ".join(out)
