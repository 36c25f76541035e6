"""``factchecks import|export`` and ``match``: fact-checks in the store, and claims matched against them."""

from __future__ import annotations

import json
import sys

import click

from narratrace.commands.common import (Progress, db_option, library_errors, open_store, progress_options, wait_option,
                                        write_output, writing)


@click.group()
def factchecks() -> None:
    """Fact-checks (ClaimReview): import them, export claims as ClaimReview skeletons."""


@factchecks.command("import")
@click.argument("path", type=click.Path(exists=True))
@db_option
@click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
              help="CSV only: read FIELD (claim, url, publisher, rating, rating_value, best_rating, worst_rating, "
                   "claimant, claim_date, date, language, title) from COLUMN. Repeatable.")
@click.option("--no-embed", is_flag=True,
              help="Do not compute the MiniLM vectors now; matching skips fact-checks without them until an "
                   "import without this flag embeds every one still missing.")
@progress_options
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@wait_option
@library_errors
def import_(path: str, db_path: str, mapping: tuple[str, ...], no_embed: bool, quiet: bool, progress_mode: str,
            as_json: bool, wait: bool) -> None:
    """Import fact-checks from PATH: ClaimReview JSON-LD (objects, lists, @graph, pages' ld+json),
    Google Fact Check Tools JSON, JSON Lines, CSV, or the CheckThat! verified claims (vclaims.jsonl,
    a vclaims/ folder of JSON files, or vclaims.tar.gz). Re-importing updates, never duplicates."""
    from narratrace.factchecks import import_factchecks

    csv_mapping = {}
    for item in mapping:
        field, sep, column = item.partition("=")
        if not sep or not field or not column:
            raise click.BadParameter(f"expected FIELD=COLUMN, got {item!r}", param_hint="--map")
        csv_mapping[field.strip()] = column.strip()
    shown = Progress(progress_mode, quiet=quiet, unit="fact-checks")

    def progress(done: int, total: int) -> None:
        shown("embedding", done, total)

    with open_store(db_path, must_exist=False) as store, writing(store, "factchecks import", wait, shared=True):
        report = import_factchecks(store, path, csv_mapping=csv_mapping or None, embed=not no_embed,
                                   progress=progress)
    shown.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{report.added} fact-check(s) added, {report.updated} updated, {report.unchanged} unchanged, "
               f"{report.embedded} embedded; {len(report.skipped)} skipped")
    for s in report.skipped[:50]:
        click.echo(f"skipped {s.path}: [{s.code}] {s.reason}", err=True)
    if len(report.skipped) > 50:
        click.echo(f"... and {len(report.skipped) - 50} more skipped (use --json for all)", err=True)


@factchecks.command("export")
@db_option
@click.option("--claim", "claim_ids", multiple=True, help="Claim id to export (repeatable; default: all claims).")
@click.option("--article", default=None, help="Only the claims of this article (ref or id).")
@click.option("--unmatched", is_flag=True, help="Only claims that no imported fact-check matches.")
@click.option("--min-score", type=float, default=0.0, show_default=True,
              help="Only claims whose check-worthiness score reaches this.")
@click.option("--author", default=None, help="Fact-checking organisation to fill in as the review's author.")
@click.option("-o", "--output", default="-", show_default=True, help="File to write (- for stdout).")
@library_errors
def export_(db_path: str, claim_ids: tuple[str, ...], article: str | None, unmatched: bool, min_score: float,
            author: str | None, output: str) -> None:
    """Export selected claims as ClaimReview JSON-LD skeletons for a fact-checker to complete."""
    from narratrace.factchecks import claimreview_skeletons

    with open_store(db_path) as store:
        skeletons = claimreview_skeletons(store, claim_ids=claim_ids or None, article=article, unmatched=unmatched,
                                          min_score=min_score, author=author)
    write_output(json.dumps(skeletons, indent=2, ensure_ascii=False), output,
                 f"wrote {len(skeletons)} ClaimReview skeleton(s) to {output}")


@click.command()
@click.argument("text")
@db_option
@click.option("-n", "--top", default=5, show_default=True, type=click.IntRange(1, 10_000),
              help="Most fact-checks to show.")
@click.option("--model", default=None, help="Matching model name or directory (default: hybrid-v1).")
@click.option("--threshold", type=float, default=None, help="Score a match needs (default: the model's).")
@click.option("--json", "as_json", is_flag=True, help="Print the ranked fact-checks as JSON.")
@library_errors
def match(text: str, db_path: str, top: int, model: str | None, threshold: float | None, as_json: bool) -> None:
    """Find imported fact-checks that already checked TEXT (best first, with a calibrated score)."""
    from narratrace.factchecks import match_text

    if text == "-":
        text = sys.stdin.read()
    from narratrace.factchecks.store import missing_vectors

    with open_store(db_path) as store:
        hits = match_text(store, text, model=model, top=top, threshold=threshold)
        unembedded = len(missing_vectors(store))
    if unembedded:
        click.echo(f"note: {unembedded} fact-check(s) are not embedded and were not searched; run "
                   "`narratrace factchecks import FILE` without --no-embed", err=True)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo("no fact-check found (empty text, or none imported: `narratrace factchecks import FILE`)")
        return
    for h in hits:
        f = h.factcheck
        mark = {"match": "MATCH   ", "possible": "possible"}.get(h.tier or "", "        ")
        click.echo(f"{mark} {h.score:.3f}  {f.rating or 'unrated'} ({f.verdict}) · {f.publisher or 'unknown publisher'}"
                   f"{' · ' + f.published if f.published else ''}")
        click.echo(f"         {f.claim}")
        if f.url:
            click.echo(f"         {f.url}")
    from narratrace.factchecks.tiers import tiers_note

    click.echo(tiers_note() + " Unmarked: the nearest fact-checks, not matches.", err=True)


COMMANDS: list[click.Command] = [factchecks, match]
