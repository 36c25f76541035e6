"""Command line: each command opens the store, calls one library function, prints.

Library errors become one-line ``Error: [NTxxx] ...`` messages with a non-zero exit.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from pathlib import Path
from typing import Any

import click

from narratrace import __version__
from narratrace.commands import common, register
from narratrace.languages import describe_reasons
from narratrace.store import shown
from narratrace.text import display_text
from narratrace.vectors import DEFAULT_ENCODER, ENCODERS

db_option = common.db_option
_library_errors = common.library_errors
_open = common.open_store
progress_options = common.progress_options
wait_option = common.wait_option
Progress = common.Progress


@click.group(cls=common.Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="narratrace")
@click.option("-v", "--verbose", is_flag=True, help="Log what each step does to stderr.")
@click.option("--encoder", type=click.Choice(ENCODERS), default=None, envvar="NARRATRACE_ENCODER",
              help=f"Sentence encoder of every command (default {DEFAULT_ENCODER}; or set NARRATRACE_ENCODER): "
                   "'static' is fast, 'minilm' better; stages that read vectors re-run when it changes.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, encoder: str | None) -> None:
    """narratrace: trace how stories, claims and narratives travel through the news."""
    if encoder:
        os.environ["NARRATRACE_ENCODER"] = encoder  # vectors.encoder_name() reads it
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    _stop_on_signals(ctx)


def _stop_on_signals(ctx: click.Context) -> None:
    """SIGTERM stops a command as Ctrl-C does: a KeyboardInterrupt in this process.

    The open transaction rolls back, what was committed stays, worker pools are ended
    (their ``finally``) and click exits non-zero ("Aborted!"). A forked worker that gets
    either signal ends at once, quietly: its parent is the one that stops the run.
    """
    main = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != main:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    try:
        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread (an embedding application): leave its signals alone
        return
    ctx.call_on_close(lambda: [signal.signal(sig, old) for sig, old in previous.items()])


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@progress_options
@wait_option
@_library_errors
def ingest(paths: tuple[str, ...], db_path: str, quiet: bool, progress_mode: str, wait: bool) -> None:
    """Ingest files, directories or glob patterns (.txt .html .jsonl .csv .warc .warc.gz).

    Re-running is safe: unchanged files and records are skipped, an interrupted run
    resumes. Unreadable inputs are skipped with a reason (see `narratrace export`).
    Several ingests may run at once, but not beside an analyze: while one runs this
    stops with an error naming it (NT320), or waits with --wait.
    """
    from narratrace.ingest import discover, ingest as ingest_paths

    with _open(db_path, must_exist=False) as store, common.writing(store, "ingest", wait, shared=True):
        files, missing = discover(paths)
        if missing:
            store.add_skips(missing)
        progress = Progress(progress_mode, quiet=quiet, unit="files")
        seen = 0

        def tick(path: Path, report: Any) -> None:
            nonlocal seen
            seen += 1
            progress("ingest", seen, len(files))

        report = ingest_paths(store, paths, files=files, on_file=tick)
        progress.close()
        report.skipped[:0] = missing
        for skip in report.skipped:
            click.echo(f"skipped {skip.path}: {skip.reason}", err=True)
        click.echo(f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
                   f"{len(report.skipped)} skipped ({report.files} files, {report.files_unchanged} unchanged) "
                   f"-> {shown(db_path)}")


@cli.command()
@db_option
@progress_options
@click.option("--model", "models", multiple=True, metavar="TASK=NAME|DIR",
              help="Run a component with another model (see `narratrace models`), e.g. "
                   "--model checkworthiness=out/cw; repeatable.")
@click.option("--encoder", type=click.Choice(ENCODERS), default=None,
              help="Sentence encoder of this run (as `narratrace --encoder`).")
@wait_option
@_library_errors
def analyze(db_path: str, quiet: bool, progress_mode: str, models: tuple[str, ...], encoder: str | None,
            wait: bool) -> None:
    """Run every analysis stage on what it has not processed yet.

    One at a time: while another analyze or an ingest writes the database this stops
    with an error naming it (NT320), or waits with --wait. Readers are never blocked."""
    from narratrace.evaluation import stage_config_for_models
    from narratrace.pipeline import Pipeline

    progress = Progress(progress_mode, quiet=quiet)
    with _open(db_path) as store:
        with common.writing(store, "analyze", wait):
            report = Pipeline(config=stage_config_for_models(models), encoder=encoder).run(store, progress=progress)
        progress.close()
        for name, n in report.done.items():
            skipped = report.not_analysed.get(name) or {}
            line = f"{name}: {n} article(s) processed" + ("" if n or skipped else " (up to date)")
            if skipped:
                line += f", {sum(skipped.values())} not analysed ({describe_reasons(skipped)})"
            click.echo(line)
        for err in report.failed:
            click.echo(f"failed: {err}", err=True)
        groups = store.republication_groups()
        click.echo(f"{len(store.republication_pairs())} republication pair(s) in {len(groups)} group(s)")
    if report.failed:  # what did run is stored; the exit status says not everything did
        raise click.ClickException(f"{len(report.failed)} stage(s) failed; see the messages above")


@cli.command()
@db_option
@click.option("-o", "--output", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="HTML file to write.")
@click.option("--title", default=None, help="Title of the report.")
@_library_errors
def report(db_path: str, output: str, title: str | None) -> None:
    """Write a self-contained HTML report (overview, republication groups, side-by-side passages)."""
    from narratrace.report import build_report, render_html

    with _open(db_path) as store:
        html = render_html(build_report(store, title=title))
    Path(output).write_text(html, encoding="utf-8")
    click.echo(f"report written to {display_text(str(Path(output).resolve()))}")


@cli.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("-o", "--output", default="-", help="File to write, '-' for stdout.")
@click.option("--text/--no-text", "include_text", default=False, help="Include article texts.")
@_library_errors
def export(db_path: str, fmt: str, output: str, include_text: bool) -> None:
    """Export articles, republications and skipped inputs as JSON (the stable contract)."""
    from narratrace.export import export_corpus

    with _open(db_path) as store:
        data = export_corpus(store, include_text=include_text)
    common.write_output(json.dumps(data, ensure_ascii=False, indent=2), output,
                        f"exported {len(data['articles'])} articles to {output}")


@cli.command()
@click.argument("query")
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Most hits to show.")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
@_library_errors
def search(query: str, db_path: str, limit: int, as_json: bool) -> None:
    """Full-text search of titles and texts (best matches first)."""
    with _open(db_path) as store:
        hits = store.search(query, limit=limit)
    if as_json:
        click.echo(json.dumps([_hit(h) for h in hits],
                              ensure_ascii=False, indent=2))
        return
    if not hits:
        # a query of punctuation alone is searched as no word at all: say so, not "no match"
        click.echo("no match" if any(ch.isalnum() for ch in query) else "no word to search for in the query")
    for h in hits:
        head = " | ".join(x for x in (h.ref, h.outlet, h.published, h.title) if x)
        click.echo(f"{head}\n    {h.snippet.strip()}")


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--token", envvar="NARRATRACE_WRITE_TOKEN", default=None, metavar="TOKEN",
              help="Enable the write endpoints for requests sending 'Authorization: Bearer TOKEN' "
                   "(or set NARRATRACE_WRITE_TOKEN). Without it the app is read-only.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes sharing the port (one per core keeps pages fast under many clients).")
@_library_errors
def serve(db_path: str, host: str, port: int, token: str | None, workers: int) -> None:
    """Serve the web app and JSON API (pages, search, republication groups) over the corpus."""
    try:
        import uvicorn  # noqa: F401  (the server, imported by web.server when it serves)

        from narratrace.web import create_app
        from narratrace.web.server import serve as serve_app
    except ImportError as exc:
        raise click.ClickException(f"the web app needs its extra: pip install 'narratrace[web]' ({exc})") from exc

    _open(db_path).close()  # exists, and its schema is up to date; the app only reads
    app = create_app(db_path, write_token=token)

    def said(bound_host: str, bound_port: int) -> None:  # only once the port is ours
        click.echo(f"serving {shown(db_path)} on http://{bound_host}:{bound_port}/ (API: /api, schema: /openapi.json"
                   f"{', write endpoints enabled' if token else ', read-only'})", err=True)

    serve_app(app, host=host, port=port, on_listen=said, workers=workers)


def _hit(h: Any) -> dict[str, Any]:
    return {k: getattr(h, k) for k in ("ref", "title", "outlet", "published", "snippet", "score")}


register(cli)

if __name__ == "__main__":  # pragma: no cover
    cli()
