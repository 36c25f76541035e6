"""Build this folder's PTC-format sample from the marked-up texts below (written for narratrace's
tests; no text from any corpus). Run: ``python tests/data/techniques/build.py``.

Markup: ``[XX|text]`` marks ``text`` with technique XX (nesting allowed, for overlapping
techniques); the codes are listed in ``CODES``. Writes ``articles/article<ID>.txt``,
``labels/article<ID>.task2-TC.labels`` and ``labels/article<ID>.task1-SI.labels`` (overlapping
spans merged), in the layout and offsets of SemEval-2020 Task 11.
"""

from __future__ import annotations

from pathlib import Path

CODES = {
    "AA": "Appeal_to_Authority", "AF": "Appeal_to_fear-prejudice", "BR": "Bandwagon,Reductio_ad_hitlerum",
    "BW": "Black-and-White_Fallacy", "CO": "Causal_Oversimplification", "DO": "Doubt",
    "EX": "Exaggeration,Minimisation", "FW": "Flag-Waving", "LL": "Loaded_Language",
    "NC": "Name_Calling,Labeling", "RE": "Repetition", "SL": "Slogans", "TC": "Thought-terminating_Cliches",
    "WH": "Whataboutism,Straw_Men,Red_Herring",
}

ARTICLES = {
    "900000001": """The Harbour Council's Shameful Surrender

The [LL|spineless] members of the harbour council voted on Tuesday to hand the old shipyard to a foreign developer.
[AF|If this deal goes through, our town will be flooded with outsiders and our children will have nowhere left to live].
The council's so-called consultation lasted [EX|barely a week].
[DO|Why would anyone trust a council that hid the contract from the press until the night before the vote?]
Councillor Brenna Holt, the [NC|developers' puppet], refused to answer questions.
[FW|Our town has stood by this harbour for three hundred years, and true citizens will not let it be sold].
The developer says it will create two hundred jobs.
""",
    "900000002": """Minister Rejects Report on River Pollution

The environment minister on Monday rejected a report by the river trust that found high nitrate levels downstream of three farms.
The report, [DO|which the minister called "unverified and politically motivated"], was based on forty samples taken over two years.
The trust said it stood by its findings and would publish its raw data.
[AA|Leading hydrologists agree that the farms are the main source], the trust's director said.
A ministry spokesman said new tests would be carried out in the spring.
""",
    "900000003": """The Regime's Lies Will Not Save It

The [NC|Kessland regime] has once again shown its [LL|barbaric] face.
Its soldiers [LL|slaughtered] villagers in the hills, and the [NC|regime's propagandists] call it a "security operation".
[DO|Nothing in their story adds up].
[AF|Unless the world acts now, the massacre will spread to every village in the valley].
[BW|There is no middle ground: either you stand with the villagers or you stand with their killers].
[SL|Hands off the valley!]
The [NC|Kessland regime] must answer for its [LL|crimes], and the [RE|Kessland regime] will answer.
""",
    "900000004": """Prices at the Market

Farmers at the Saturday market said on Saturday that the price of apples had risen by a fifth since last year.
Late frosts in April cut the harvest in the northern orchards, according to the growers' association.
Traders expect prices to fall again once stored fruit from the south arrives in November.
The market will stay open on public holidays this year, the town council said.
""",
    "900000005": """Everyone Knows the Truth About the New Tax

[BR|Everyone in this country knows the new tax is theft].
[CO|The only reason our hospitals are failing is this government's greed].
The treasury's [EX|tiny] "adjustment" is in fact the [EX|biggest tax raid in the history of the republic].
[WH|And what about the finance minister's own offshore accounts, which nobody in parliament wants to discuss?]
The [NC|tax-and-spend zealots] in the treasury will [LL|bleed] families dry.
[TC|It is what it is], the minister shrugged when asked.
[FW|Patriots] who love this country must stand up now.
""",
    "900000006": """Flood Warnings Extended

The weather service extended flood warnings for the lower river on Thursday after two days of heavy rain.
Emergency crews moved sandbags to the old town and closed the east bridge to traffic.
"Water levels should peak on Friday night," a spokeswoman for the weather service said.
Residents were advised to move valuables upstairs and to follow updates on local radio.
""",
    "900000007": """They Hate Our Freedom

The [NC|globalist elites] in the capital [LL|despise] ordinary people.
[AF|If their plan succeeds, the factories will close, the farms will be sold, and our grandchildren will inherit nothing but debt].
[DO|Can we really believe the ministers who promised us prosperity and delivered ruin?]
[EX|Never before in our history] has a government [LL|betrayed] its own citizens so [LL|brazenly].
[BR|Their methods are reminiscent of Stalin], [AA|historians warn].
[SL|Make the valley strong again!]
""",
    "900000008": """\ufeffOutbreak of Violence Feared After Court Ruling

The ruling was read out to a silent courtroom on Wednesday.
[AF|Police chiefs fear an outbreak of violence in the capital once the verdict sinks in].
The defence lawyer called the verdict a [LL|travesty] and said she would appeal.
Prosecutors said the evidence had been reviewed by three independent laboratories.
[DO|Critics of the court question whether the judge was really impartial].
""",
}


def parse(marked: str) -> tuple[str, list[tuple[str, int, int]]]:
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    labels: list[tuple[str, int, int]] = []
    pos = i = 0
    while i < len(marked):
        if marked[i] == "[" and marked[i + 3:i + 4] == "|" and marked[i + 1:i + 3] in CODES:
            stack.append((CODES[marked[i + 1:i + 3]], pos))
            i += 4
        elif marked[i] == "]" and stack:
            technique, start = stack.pop()
            labels.append((technique, start, pos))
            i += 1
        else:
            out.append(marked[i])
            pos += 1
            i += 1
    if stack:
        raise ValueError(f"unclosed mark {stack}")
    return "".join(out), labels


def main() -> None:
    root = Path(__file__).resolve().parent
    (root / "articles").mkdir(exist_ok=True)
    (root / "labels").mkdir(exist_ok=True)
    for doc, marked in ARTICLES.items():
        text, labels = parse(marked)
        (root / "articles" / f"article{doc}.txt").write_text(text, encoding="utf-8")
        tc = "".join(f"{doc}\t{t}\t{s}\t{e}\n" for t, s, e in sorted(labels, key=lambda x: (x[1], x[2], x[0])))
        (root / "labels" / f"article{doc}.task2-TC.labels").write_text(tc, encoding="utf-8")
        merged: list[list[int]] = []
        for s, e in sorted((s, e) for _, s, e in labels):
            if merged and s < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        si = "".join(f"{doc}\t{s}\t{e}\n" for s, e in merged)
        (root / "labels" / f"article{doc}.task1-SI.labels").write_text(si, encoding="utf-8")


if __name__ == "__main__":
    main()
