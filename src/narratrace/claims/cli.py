"""The claims' command: claims with who they are attributed to."""

from __future__ import annotations

import json

import click

from narratrace.commands.common import db_option, library_errors, open_store

__all__ = ["COMMANDS", "claims"]


@click.command()
@db_option
@click.option("--source", default=None, help="Only claims attributed to this source (as written or canonical).")
@click.option("--article", "article_ref", default=None, help="Only claims of this article (ref or id).")
@click.option("--json", "as_json", is_flag=True, help="Print claims as JSON (the export's `claims`).")
@library_errors
def claims(db_path: str, source: str | None, article_ref: str | None, as_json: bool) -> None:
    """Check-worthy claims with who they are attributed to (source, cue, quote, hedges)."""
    from narratrace.claims.export import export_claims

    with open_store(db_path) as store:
        article_id = store.article(article_ref).id if article_ref else None
        found = export_claims(store, article_id=article_id, source=source)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no claims (run `narratrace analyze` first?)")
    for c in found:
        who = c["source_canonical"] or c["source"] or "(unattributed)"
        extra = ", ".join(x for x in (c["cue"], c["quote"] if c["quote"] != "none" else "",
                                      "hedged: " + "/".join(c["hedges"]) if c["hedges"] else "") if x)
        click.echo(f"{c['article']} [{c['score']:.2f}] {who}" + (f" ({extra})" if extra else ""))
        click.echo(f"    {c['text'].strip()[:300]}")


COMMANDS: list[click.Command] = [claims]
