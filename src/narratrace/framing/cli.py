"""``narratrace framing``: which entities the articles cast as protagonist, antagonist or innocent."""

from __future__ import annotations

import json

import click

from narratrace.commands.common import db_option, library_errors, open_store

__all__ = ["COMMANDS", "framing"]

#: Outlet rows printed (the JSON has them all).
SHOWN = 40


@click.command()
@db_option
@click.option("--article", "article", default=None, help="Only this article (ref or id).")
@click.option("--outlet", "outlet", default=None, help="Only this outlet's articles.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the roles per article and per outlet.")
@library_errors
def framing(db_path: str, article: str | None, outlet: str | None, as_json: bool) -> None:
    """Entity roles (framing stage): per article, with the evidence sentence, and per outlet."""
    from narratrace.framing.views import entity_roles, outlet_roles

    with open_store(db_path) as store:
        roles = entity_roles(store, article=article, outlet=outlet)
    summary = outlet_roles(roles)
    if as_json:
        click.echo(json.dumps({"roles": [r.to_dict() for r in roles], "outlets": [o.to_dict() for o in summary]},
                              indent=2, ensure_ascii=False))
        return
    if not roles:
        click.echo("no entity roles; run `narratrace analyze` (stages claims and framing) first")
        return
    current = None
    for r in roles:
        if r.ref != current:
            current = r.ref
            click.echo(f"{r.ref}" + (f"  ({r.outlet})" if r.outlet else ""))
        click.echo(f"  {r.entity:32s} {r.main_role:11s} {', '.join(r.fine_roles):28s} {r.score:.2f}")
        click.echo(f"      “{r.evidence[:160]}{'…' if len(r.evidence) > 160 else ''}”")
    if summary:
        click.echo("")
        click.echo("per outlet (most articles first):")
        for o in summary[:SHOWN]:
            click.echo(f"  {o.sentence}")
        if len(summary) > SHOWN:
            click.echo(f"  … {len(summary) - SHOWN} more (--json lists them all)")


COMMANDS: list[click.Command] = [framing]
