"""``narratrace reviews``: the review queue, and every review with its status, as text or JSON."""

from __future__ import annotations

import json

import click

from narratrace.commands.common import db_option, library_errors, open_store

__all__ = ["COMMANDS", "reviews"]


@click.group()
def reviews() -> None:
    """Analysts' reviews of the analyses' results (made in the web app, kept apart from the results)."""


@reviews.command("queue")
@db_option
@click.option("--kind", default=None, help="technique, narrative, role, attribution, factcheck, republication or "
                                           "claim_group (default: all).")
@click.option("--outlet", default=None, help="Only this outlet's articles.")
@click.option("--narrative", default=None, help="Only articles carrying this narrative label.")
@click.option("--limit", type=click.IntRange(1, None), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@library_errors
def queue_command(db_path: str, kind: str | None, outlet: str | None, narrative: str | None, limit: int,
                  as_json: bool) -> None:
    """Items to review, least certain first."""
    from narratrace.reviews.queue import queue

    with open_store(db_path) as store:
        entries = queue(store, kind=kind, outlet=outlet, narrative=narrative, limit=limit)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo("nothing to review (run `narratrace analyze` first, or everything is reviewed)")
    for e in entries:
        score = "–" if e.item.score is None else f"{e.item.score:.2f}"
        click.echo(f"{e.item.kind:11s} {score:>5s} {e.status:18s} {e.item.ref}  {e.item.label or ''}  "
                   f"“{e.item.text[:90]}{'…' if len(e.item.text) > 90 else ''}”")


@reviews.command("export")
@db_option
@click.option("--format", "fmt", default="json", show_default=True,
              help="json (every review with its status), or a benchmark format that `narratrace train` reads: "
                   "ptc, semeval-narratives, semeval-framing, checkthat-matching.")
@click.option("-o", "--out", "out", type=click.Path(), default=None,
              help="Write here (json: a file, default stdout; a benchmark format: a folder, required).")
@library_errors
def export_command(db_path: str, fmt: str, out: str | None) -> None:
    """Every item's latest review with its status now (reviewed, needs review again, stale), as JSON; or
    the reviews of one kind in a benchmark's format, for `narratrace train TASK --data DIR`. What a
    format needs and the reviews do not say is skipped with its reason, listed in review-export.json."""
    from narratrace.reviews.export import export_benchmark, export_section

    if fmt != "json":
        if not out:
            raise click.UsageError(f"--format {fmt} writes a folder: give it with -o/--out")
        with open_store(db_path) as store:
            summary = export_benchmark(store, fmt, out)
        written = ", ".join(f"{n} {what}" for what, n in summary["written"].items()) or "nothing"
        click.echo(f"{fmt}: {summary['reviews']} {summary['kind']} review(s) -> {out}: {written}; "
                   f"{len(summary['skipped'])} skipped (reasons in {out}/review-export.json)")
        return
    with open_store(db_path) as store:
        data = export_section(store, store.refs())
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        click.echo(text)


COMMANDS: list[click.Command] = [reviews]
