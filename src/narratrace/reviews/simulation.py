"""How many reviews move a measure: gold labels of a benchmark replayed as reviews, in the queue's order
or in a random one, and the model retrained from them after each batch.

An analysis whose task learns from reviews (``Task.from_reviews``) may provide a simulation
(``Task.simulate``: a callable returning a :class:`Simulation`). The benchmark's documents are split
into a *pool*, whose items analysts "review", and a *held-out* part, scored after each step with the
task's own measure (the same held-out part as the quality table's). The loop (:func:`simulate_reviews`):

1. start from the shipped default (no reviews) and score it;
2. at each step, list the current model's items on the pool (:meth:`Simulation.candidates`), each
   with the review its gold labels give (confirm where the model agrees with gold, correct or
   reject otherwise), leave out the items already reviewed, and take the next ones: the least
   certain first (the queue's order, :attr:`ReviewItem.uncertainty`) or in a seeded random order;
3. write them as review rows in the simulation's own store (:func:`~narratrace.reviews.store.add_review`,
   the rows the review page writes), train with the task's ``--from-reviews`` path, score the
   held-out part.

The candidates are recomputed under the model of the step before, so the queue's order follows the
model as it learns. ``narratrace reviews simulate TASK`` prints the table and writes an SVG plot.
"""

from __future__ import annotations

import html
import logging
import random
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from narratrace.errors import ConfigError
from narratrace.model import Article
from narratrace.store.reviews import ReviewItem

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

__all__ = ["ORDERS", "SimulatedReview", "Simulation", "render_markdown", "render_svg", "simulate_reviews"]

ORDERS = ("queue", "random")
REVIEWER = "simulation"


@dataclass(frozen=True, slots=True)
class SimulatedReview:
    """One item of the current model on the pool and the review its gold labels give."""

    item: ReviewItem
    verdict: str                                   # confirm, reject or correct
    correction: Mapping[str, Any] = field(default_factory=dict)


class Simulation(Protocol):
    """What an analysis provides for :func:`simulate_reviews` (built once: cache features and vectors)."""

    kind: str                                      # the review kind its items are
    measures: Sequence[tuple[str, str]]            # (flattened measure, label) reported; the first is plotted

    def articles(self) -> Sequence[Article]: ...   # the pool's articles, written into the simulation's store

    def describe(self) -> dict[str, Any]: ...      # pool and held-out sizes, data, base model

    def candidates(self, model: str | None) -> list[SimulatedReview]: ...  # None: the shipped default

    def train(self, store: str, out: Path, *, seed: int) -> str: ...  # the --from-reviews path; the model dir

    def score(self, model: str | None) -> dict[str, float]: ...  # flattened measures on the held-out part

    def close(self) -> None: ...                  # drop caches (called once the run is over)


def simulate_reviews(task_name: str, data: str | Path, *, steps: Sequence[int] = (0, 25, 50, 100, 200, 400),
                     orders: Sequence[str] = ORDERS, seed: int = 13, heldout: str | Path | None = None,
                     work: str | Path | None = None, log_to: Callable[[str], None] | None = None,
                     **options: Any) -> dict[str, Any]:
    """``{"task", "setup", "measures", "curves": {order: [{"reviews", "measures", "seconds", ...}]}, "seconds"}``."""
    from narratrace.evaluation import get_task

    task = get_task(task_name)
    if task.simulate is None:
        from narratrace.evaluation import task_names

        able = [n for n in task_names() if get_task(n).simulate is not None]
        raise ConfigError(f"the {task_name} task has no review simulation; it exists for {', '.join(able) or 'none'}")
    unknown = [o for o in orders if o not in ORDERS]
    if unknown or not orders:
        raise ConfigError(f"orders are {', '.join(ORDERS)}, not {', '.join(unknown) or 'none'}")
    wanted = sorted({int(s) for s in steps})
    if not wanted or wanted[0] < 0:
        raise ConfigError("steps are numbers of reviews, 0 or more")
    say = log_to or log.info
    started = time.perf_counter()
    sim = task.simulate(Path(data), heldout=Path(heldout) if heldout else None, seed=seed, **options)
    try:
        return _simulate(task_name, sim, wanted, orders, seed, work, say, started)
    finally:
        close = getattr(sim, "close", None)
        if close is not None:
            close()


def _simulate(task_name: str, sim: Simulation, wanted: Sequence[int], orders: Sequence[str], seed: int,
              work: str | Path | None, say: Callable[[str], None], started: float) -> dict[str, Any]:
    say(f"{task_name}: {sim.describe()}")
    tick = time.perf_counter()
    start = sim.score(None)
    first = {"reviews": 0, "model": "shipped default", "measures": start,
             "seconds": round(time.perf_counter() - tick, 1)}
    say(f"  0 reviews (shipped default): {_fmt(start, sim.measures)}")
    curves: dict[str, list[dict[str, Any]]] = {}
    base: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="narratrace-simulate-") as tmp:
        root = Path(work) if work is not None else Path(tmp)
        if getattr(sim, "trains_without_reviews", False):  # what the base set alone gives, apart from reviews
            base = _run(sim, "base", [0], root / "base", seed, say)[0]
        for order in orders:
            curves[order] = [first] + _run(sim, order, [s for s in wanted if s > 0], root / order, seed, say)
    return {"task": task_name, "setup": sim.describe(), "seed": seed, "steps": wanted, "base": base,
            "base_label": getattr(sim, "base_label", None),
            "measures": [m for m, _ in sim.measures], "labels": dict(sim.measures), "curves": curves,
            "seconds": round(time.perf_counter() - started, 1)}


def _run(sim: Simulation, order: str, steps: Sequence[int], folder: Path, seed: int,
         say: Callable[[str], None]) -> list[dict[str, Any]]:
    from narratrace.reviews.store import add_review
    from narratrace.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "reviews.db"
    if db.exists():
        db.unlink()
    rng = random.Random(seed)
    reviewed: set[str] = set()
    verdicts: dict[str, int] = {}
    model: str | None = None
    points = []
    with Store(db) as store:
        store.write_articles(list(sim.articles()))
        for target in steps:
            tick = time.perf_counter()
            fresh = [c for c in sim.candidates(model) if c.item.key not in reviewed]
            fresh.sort(key=lambda c: (c.item.uncertainty, c.item.key))  # the queue's order (reviews.queue)
            if order == "random":
                rng.shuffle(fresh)
            batch = fresh[:max(0, target - len(reviewed))]
            for c in batch:
                add_review(store, c.item, verdict=c.verdict, reviewer=REVIEWER, correction=c.correction)
                reviewed.add(c.item.key)
                verdicts[c.verdict] = verdicts.get(c.verdict, 0) + 1
            if not batch and model is not None and target > 0:
                say(f"  {order}: the model has no unreviewed item left on the pool at {len(reviewed)} reviews")
                break
            model = sim.train(str(db), folder / f"model-{target}", seed=seed)
            measures = sim.score(model)
            point = {"reviews": len(reviewed), "measures": measures, "verdicts": dict(verdicts),
                     "seconds": round(time.perf_counter() - tick, 1)}
            points.append(point)
            say(f"  {order} {len(reviewed)} reviews ({_fmt_verdicts(verdicts)}): {_fmt(measures, sim.measures)} "
                f"[{point['seconds']} s]")
            if len(reviewed) < target:
                say(f"  {order}: the pool ran out of items at {len(reviewed)} reviews")
                break
    return points


def _fmt(measures: Mapping[str, float], names: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{m} {measures.get(m, float('nan')):.3f}" for m, _ in names)


def _fmt_verdicts(verdicts: Mapping[str, int]) -> str:
    return " ".join(f"{k} {v}" for k, v in sorted(verdicts.items())) or "none"


def render_markdown(result: Mapping[str, Any], *, command: str = "") -> str:
    """The result as a Markdown table: one row per step, one column per order and measure."""
    orders = list(result["curves"])
    names = result["measures"]
    labels = result.get("labels", {})
    head = ["reviews"] + [f"{labels.get(m, m)} ({o})" for m in names for o in orders]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    by_n: dict[int, dict[str, Mapping[str, float]]] = {}
    for order, points in result["curves"].items():
        for p in points:
            by_n.setdefault(int(p["reviews"]), {})[order] = p["measures"]
    rows: list[tuple[str, dict[str, Mapping[str, float]]]] = []
    for n in sorted(by_n):
        rows.append((str(n) + (" (shipped default)" if n == 0 else ""), by_n[n]))
        if n == 0 and result.get("base"):
            rows.append((f"0 (retrained: {result.get('base_label') or 'base set alone'})",
                         {o: result["base"]["measures"] for o in orders}))
    for name, values in rows:
        row = [name]
        for m in names:
            for o in orders:
                value = values.get(o, {}).get(m)
                row.append("–" if value is None else f"{value:.3f}")
        lines.append("| " + " | ".join(row) + " |")
    if command:
        lines += ["", f"Command: `{command}` ({result['seconds']:.0f} s on 2 shared cores)."]
    return "\n".join(lines) + "\n"


def render_svg(result: Mapping[str, Any], *, width: int = 560, height: int = 320) -> str:
    """A line plot of the first measure against the number of reviews, one line per order (plain SVG)."""
    measure = result["measures"][0]
    label = result.get("labels", {}).get(measure, measure)
    series = {o: [(int(p["reviews"]), float(p["measures"].get(measure, 0.0))) for p in pts]
              for o, pts in result["curves"].items()}
    xs = [x for pts in series.values() for x, _ in pts] or [0, 1]
    ys = [y for pts in series.values() for _, y in pts] or [0.0, 1.0]
    x_max = max(max(xs), 1)
    y_lo, y_hi = min(ys), max(ys)
    pad = max((y_hi - y_lo) * 0.15, 0.01)
    y_lo, y_hi = max(0.0, y_lo - pad), min(1.0, y_hi + pad)
    if y_hi <= y_lo:
        y_hi = y_lo + 0.02
    left, right, top, bottom = 60, 20, 30, 45
    w, h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + w * x / x_max

    def py(y: float) -> float:
        return top + h * (1 - (y - y_lo) / ((y_hi - y_lo) or 1.0))

    colours = {"queue": "#1f77b4", "random": "#d62728"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="13">{html.escape(str(result["task"]))}: '
           f'{html.escape(str(label))} against reviews</text>',
           f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="black"/>']
    for k in range(5):
        y = y_lo + (y_hi - y_lo) * k / 4
        out.append(f'<line x1="{left - 4}" y1="{py(y):.1f}" x2="{left + w}" y2="{py(y):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 8}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.3f}</text>')
    for x in sorted(set(xs)):
        out.append(f'<text x="{px(x):.1f}" y="{top + h + 16}" text-anchor="middle">{x}</text>')
    out.append(f'<text x="{left + w / 2:.0f}" y="{height - 8}" text-anchor="middle">reviews</text>')
    for i, (order, pts) in enumerate(series.items()):
        colour = colours.get(order, "#555")
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>' for x, y in pts]
        out.append(f'<text x="{left + w - 110}" y="{top + 16 + 16 * i}" fill="{colour}">'
                   f'{html.escape(order)} order</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
