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


def test_docs_every_code_raised_is_explained_and_means_one_thing() -> None:
    """Every NTxxx code in the source is explained somewhere in the docs ("NT230 a record with no claim
    text"); the fact-check readers and the article readers never share a code (one meaning each)."""
    import re

    docs = "\n".join(p.read_text() for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
    src = ROOT / "src" / "narratrace"
    used = {c for f in src.rglob("*.py") for c in re.findall(r'"(NT\d{3})"', f.read_text())}
    assert {"NT220", "NT234", "NT201", "NT404"} <= used
    missing = [c for c in sorted(used) if not re.search(rf"{c}\)?\s+[a-z(`]", docs)]
    assert missing == [], f"codes not explained in the docs: {missing}"
    articles = {c for f in [*(src / "ingest").glob("*.py"), src / "web" / "upload.py"]
                for c in re.findall(r'"(NT\d{3})"', f.read_text())}
    factchecks = set(re.findall(r'"(NT\d{3})"', (src / "factchecks" / "readers.py").read_text()))
    assert factchecks and not articles & factchecks
