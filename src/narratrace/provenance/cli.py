"""The provenance graph's command: who is cited, by which outlets; the graph as GraphML."""

from __future__ import annotations

import json

import click

from narratrace.commands.common import db_option, library_errors, open_store

__all__ = ["COMMANDS", "sources"]


@click.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print sources as JSON.")
@click.option("--graphml", type=click.Path(dir_okay=False), default=None,
              help="Also write the whole provenance graph (outlets, articles, sources) as GraphML.")
@library_errors
def sources(db_path: str, as_json: bool, graphml: str | None) -> None:
    """Who is cited, how often, and by which outlets (from the claims' attributions)."""
    from narratrace.provenance.graph import build_graph, sources_summary, write_graphml

    with open_store(db_path) as store:
        graph = build_graph(store)
        found = sources_summary(store, graph=graph)
    if graphml:
        write_graphml(graph, graphml)
        click.echo(f"provenance graph written to {graphml}", err=True)
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no cited sources (run `narratrace analyze` first?)")
    for s in found:
        outlets = ", ".join(f"{o.outlet} ({o.claims})" for o in s.outlets[:8])
        click.echo(f"{s.source} [{s.kind}]: {s.claims} claim(s) in {len(set(s.articles))} article(s); {outlets}")


COMMANDS: list[click.Command] = [sources]
