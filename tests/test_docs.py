from __future__ import annotations

from pathlib import Path

import narratrace
from narratrace.pipeline import registered_stages

ROOT = Path(__file__).resolve().parents[1]


def test_docs_every_stage_is_documented() -> None:
    doc = (ROOT / "docs" / "stages.md").read_text()
    for name in registered_stages():
        assert f"## {name}\n" in doc, f"stage {name} missing from docs/stages.md"


def test_docs_every_cli_command_is_in_readme() -> None:
    from narratrace.cli import cli

    readme = (ROOT / "README.md").read_text()
    for name in cli.commands:
        assert f"narratrace {name}" in readme, f"command {name} missing from README"


def test_docs_public_api_is_complete() -> None:
    for name in narratrace.__all__:
        assert hasattr(narratrace, name)
    public = {n for n in dir(narratrace) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(narratrace.__all__) | {"NarratraceError"}


def test_docs_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text().split("\n")[:6]
    assert any(line.startswith("make demo") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_docs_every_skip_code_is_documented() -> None:
    """Each NTxxx code the ingest readers and the upload give is explained in docs/ingest.md."""
    import re

    doc = (ROOT / "docs" / "ingest.md").read_text()
    sources = [*(ROOT / "src" / "narratrace" / "ingest").glob("*.py"), ROOT / "src" / "narratrace" / "web" / "upload.py"]
    codes = {c for f in sources for c in re.findall(r'"(NT2\d\d)"', f.read_text())}
    assert {"NT201", "NT215", "NT216", "NT217"} <= codes
    for code in sorted(codes):
        assert re.search(rf"{code}\s+[a-z]", doc), f"{code} is not explained in docs/ingest.md"
