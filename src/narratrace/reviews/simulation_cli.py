"""``narratrace simulate-reviews``: how many reviews move a task's measure (:mod:`.simulation`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from narratrace.commands.common import library_errors
from narratrace.quality import REVIEWS_HEAD as HEAD

__all__ = ["COMMANDS", "HEAD", "simulate_reviews_command", "splice_task"]


def splice_task(document: str, task: str, body: str) -> str:
    """``document`` with the ``### TASK`` subsection of :data:`HEAD` replaced by ``body`` (the section
    is put before the quality gate, or at the end, when missing; other tasks' subsections stay)."""
    from narratrace.quality import splice_section

    lines = document.rstrip("\n").split("\n") if document.strip() else []
    if HEAD in lines:
        start = lines.index(HEAD)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        section = lines[start:end]
    else:
        section = [HEAD, "", "Gold labels of each benchmark replayed as reviews (`narratrace simulate-reviews`, "
                   "docs/evaluation.md): after each batch the model is retrained with `--from-reviews` and "
                   "the held-out part scored. *Queue* order takes the items the current model is least sure "
                   "of first (the review queue's order); *random* order takes them in a seeded random order.", ""]
    sub = f"### {task}"
    new = body.rstrip("\n").split("\n") + [""]
    if sub in section:
        s = section.index(sub)
        e = next((i for i in range(s + 1, len(section)) if section[i].startswith("### ")), len(section))
        section = [*section[:s], *new, *section[e:]]
    else:
        section = [*section, *new]
    return splice_section("\n".join(lines), HEAD, section)


@click.command("simulate-reviews")
@click.argument("task")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True),
              help="The benchmark whose gold labels are replayed as reviews (its pool part).")
@click.option("--heldout", "heldout", default=None, type=click.Path(exists=True),
              help="Score on this folder (a benchmark's dev part); default: the held-out split of --data, as in "
                   "the quality table.")
@click.option("--base", default=None, type=click.Path(exists=True),
              help="A small labelled set the task trains with the reviews when it needs one (techniques: PTC format, "
                   "e.g. tests/data/techniques).")
@click.option("--steps", default="0,25,50,100,200,400", show_default=True,
              help="Numbers of reviews after which the model is retrained and scored.")
@click.option("--order", "orders", multiple=True, type=click.Choice(["queue", "random"]),
              help="Orders to simulate (default: both).")
@click.option("--pool", type=click.IntRange(1, None), default=None,
              help="Use at most this many pool documents (their items are listed under each model).")
@click.option("--seed", default=13, show_default=True, help="Seed of the random order and of training.")
@click.option("--svg", "svg_path", default=None, type=click.Path(dir_okay=False),
              help="Write a plot of the first measure against the number of reviews here.")
@click.option("--doc", "doc_path", default=None, type=click.Path(dir_okay=False),
              help="Put the table into this Markdown file (e.g. docs/quality.md), under its task's heading.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@library_errors
def simulate_reviews_command(task: str, data_path: str, heldout: str | None, base: str | None, steps: str,
                             orders: tuple[str, ...], pool: int | None, seed: int, svg_path: str | None,
                             doc_path: str | None, as_json: bool) -> None:
    """Replay a benchmark's gold labels as reviews and measure the retrained model after each batch.

    Starts from the shipped default, takes the next reviews in the queue's order (least certain
    under the current model) or a random one, trains with `train TASK --from-reviews` and scores
    the held-out part. Prints one row per step.
    """
    from narratrace.errors import ConfigError
    from narratrace.reviews.simulation import ORDERS, render_markdown, render_svg, simulate_reviews

    try:
        counts = [int(s) for s in steps.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--steps takes numbers joined by commas, not {steps!r}") from None
    options = {k: v for k, v in (("base", base), ("pool", pool)) if v is not None}
    result = simulate_reviews(task, data_path, steps=counts, orders=orders or ORDERS, seed=seed, heldout=heldout,
                              log_to=lambda msg: click.echo(msg, err=True), **options)
    command = (f"narratrace simulate-reviews {task} --data {data_path}" + (f" --heldout {heldout}" if heldout else "")
               + (f" --base {base}" if base else "") + (f" --pool {pool}" if pool else "")
               + f" --steps {','.join(map(str, counts))} --seed {seed}"
               + "".join(f" --order {o}" for o in orders)
               + (f" --svg {svg_path}" if svg_path else "") + (f" --doc {doc_path}" if doc_path else ""))
    result["command"] = command
    table = render_markdown(result, command=command)
    if svg_path:
        Path(svg_path).write_text(render_svg(result), encoding="utf-8")
    if doc_path:
        doc = Path(doc_path)
        setup = ", ".join(f"{k} {v}" for k, v in result["setup"].items())
        body = f"### {task}\n\n{setup}.\n\n" + (f"![{task}: measure against reviews]({Path(svg_path).name})\n\n"
                                                 if svg_path else "") + table
        doc.write_text(splice_task(doc.read_text(encoding="utf-8") if doc.is_file() else "", task, body),
                       encoding="utf-8")
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        click.echo(table, nl=False)


COMMANDS: list[click.Command] = [simulate_reviews_command]
