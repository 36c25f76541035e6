"""CLI commands of the narratives area: ``narratrace stories`` and ``narratrace narratives``."""

from __future__ import annotations

import json

import click

from narratrace.languages import describe_reasons
from narratrace.commands.common import db_option, library_errors, open_store


@click.command("stories")
@db_option
@click.option("--min-articles", default=2, show_default=True, type=click.IntRange(1), help="Only stories this large.")
@click.option("--json", "as_json", is_flag=True, help="Print the stories as JSON (the export's shape).")
@library_errors
def stories(db_path: str, min_articles: int, as_json: bool) -> None:
    """Stories: articles about the same event, with key terms and date span (run `narratrace analyze` first)."""
    from narratrace.narratives.views import export_stories

    with open_store(db_path) as store:
        found = [s for s in export_stories(store) if len(s["articles"]) >= min_articles]
        meta = {row["ref"]: row for row in store.article_index()}
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo(f"no story with {min_articles} or more articles (has `narratrace analyze` run?)")
    for s in found:
        n = len(s["articles"])
        span = (f"{s['start'] or '?'} – {s['end'] or '?'}" if s["start"]
                else f"dates unknown ({s.get('dated') or 0} of {n} dated)")
        click.echo(f"{s['id']}  {n} articles  {span}  {s['label']}")
        for ref in s["articles"]:  # who published what, when: the ref alone says little
            row = meta.get(ref, {})
            about = "  ".join(x for x in (row.get("published") or "undated", row.get("outlet") or "outlet unknown",
                                          row.get("title") or "") if x)
            click.echo(f"    {ref}  {about}")


@click.command("narratives")
@db_option
@click.option("--article", default=None, help="Only this article (ref or id), with its evidence sentences.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@library_errors
def narratives(db_path: str, article: str | None, as_json: bool) -> None:
    """Narratives per article against the taxonomy, counts per narrative, and candidate new narratives."""
    from narratrace.narratives.views import export_narratives, narrative_summary

    with open_store(db_path) as store:
        if article is not None:
            art = store.article(article)
            hits = [h for h in export_narratives(store) if h["article"] == art.ref]
            for h in hits:
                h["evidence"] = [{**e, "text": art.text[e["start"]:e["end"]]} for e in h["evidence"]]
            result: object = hits
        else:
            result = narrative_summary(store)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    if isinstance(result, list):
        if not result:
            click.echo("no narrative found in this article")
        for h in result:
            click.echo(f"{h['narrative']}  |  {h['subnarrative'] or '-'}  ({h['score']:.2f})")
            for e in h["evidence"]:
                click.echo(f"    [{e['start']}:{e['end']}] {' '.join(e['text'].split())}")
        return
    assert isinstance(result, dict)
    skipped = result.get("not_analysed") or {}
    click.echo(f"{result['articles']} article(s) classified"
               + (f", {sum(skipped.values())} not analysed ({describe_reasons(skipped)})" if skipped else ""))
    for n in result["narratives"]:
        click.echo(f"{n['articles']:5d}  {n['narrative']}")
        for s in n["subnarratives"]:
            click.echo(f"{s['articles']:9d}  {s['subnarrative'].removeprefix(n['narrative'] + ': ')}")
    if result["topics"]:
        click.echo("candidate new narratives (claims no label covers):")
        for t in result["topics"]:
            click.echo(f"  {t['id']}  {len(t['articles'])} articles, {len(t['claims'])} claims: {t['label']}")
            for c in t["representatives"]:
                click.echo(f"      “{' '.join(c['text'].split())[:160]}”")


COMMANDS: list[click.Command] = [stories, narratives]
