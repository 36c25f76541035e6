"""What a page may hold of scripts: the analyses' own drawing code and JSON data blocks, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html

import narratrace

PACKAGE = Path(narratrace.__file__).parent
#: The drawing code an analysis ships (inlined in the report, served by the web app).
DRAWING_CODE = sorted(PACKAGE.glob("*/static/*.js"))


def check_scripts(html: str, *, inline: bool = True) -> list[lxml.html.HtmlElement]:
    """Every ``<script>`` of ``html`` is a JSON data block or one of the analyses' drawing codes
    (inlined when ``inline``, else loaded from the app's ``/static/``); returns the data blocks."""
    doc = lxml.html.fromstring(html)
    code = {p.read_text(encoding="utf-8").strip() for p in DRAWING_CODE}
    served = {f"/static/{p.parent.parent.name}/{p.name}" for p in DRAWING_CODE}
    data = []
    for s in doc.xpath("//script"):
        src = s.get("src")
        if s.get("type") == "application/json":
            assert src is None
            json.loads(s.text or "")
            data.append(s)
        elif inline:
            assert src is None and (s.text or "").strip() in code, (s.text or "")[:200]
        else:
            assert src in served and not (s.text or "").strip(), src
    return data
