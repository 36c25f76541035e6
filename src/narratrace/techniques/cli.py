"""CLI commands of the techniques area (see narratrace.commands)."""

from __future__ import annotations

import json

import click

from narratrace.commands.common import db_option, library_errors, open_store

__all__ = ["COMMANDS", "techniques"]


@click.command()
@db_option
@click.option("--article", "article", default=None, metavar="REF",
              help="Only this article (its ref or id): list every span with its text.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (per article: counts and spans).")
@library_errors
def techniques(db_path: str, article: str | None, as_json: bool) -> None:
    """Persuasion techniques found by `narratrace analyze`: counts per article, or one article's spans.

    Techniques are the 14 classes of SemEval-2020 Task 11 (loaded language, name calling,
    appeal to fear, doubt, ...); see docs/stages.md, section techniques.
    """
    from narratrace.techniques import display_name
    from narratrace.techniques.corpus import article_techniques

    store = open_store(db_path)
    found = article_techniques(store, article)
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in found], indent=2, ensure_ascii=False))
        return
    if not any(a.analysed for a in found):
        click.echo("No article has been analysed for techniques yet: run `narratrace analyze` first.")
        return
    for a in found:
        head = f"{a.ref}" + (f"  {a.title}" if a.title else "") + (f"  ({a.outlet})" if a.outlet else "")
        if not a.analysed:
            click.echo(f"{head}\n  not analysed yet")
            continue
        summary = ", ".join(f"{display_name(t)} {n}" for t, n in sorted(a.counts.items(), key=lambda kv: -kv[1]))
        click.echo(f"{head}\n  {len(a.hits)} spans" + (f": {summary}" if summary else ""))
        if article is not None:
            for h in a.hits:
                text = " ".join(h["text"].split())
                text = text if len(text) <= 100 else text[:97] + "..."
                click.echo(f"  [{h['start']}:{h['end']}] {display_name(h['technique'])} ({h['score']:.2f}): {text}")


COMMANDS: list[click.Command] = [techniques]
