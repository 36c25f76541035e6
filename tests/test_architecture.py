"""The package's shape: no import cycles, and shared layers that import no analysis by name.

The import graph counts every ``import`` and ``from ... import`` in a module, those inside
functions included, and a module importing ``a.b.c`` depends on ``a.b.c`` (and on the names it
takes from it, when they are modules). Strongly connected components are found with Tarjan's
algorithm. The only cycles left are pairs: a facade and its backend that it imports lazily (the store and
its PostgreSQL backend, the web package and its app, a classifier and its fine-tuned variant);
one of 3 modules or more is a cycle to break (issue 16).
"""

from __future__ import annotations

import ast
from pathlib import Path

import narratrace
from narratrace.analyses import BUILTIN_ANALYSES

PACKAGE = Path(narratrace.__file__).parent
#: The layers every analysis builds on or is driven by: they may not import an analysis package.
SHARED = ("narratrace.analyses", "narratrace.schema", "narratrace.pipeline", "narratrace.store", "narratrace.export",
          "narratrace.evaluation", "narratrace.commands", "narratrace.cli", "narratrace.cards", "narratrace.vectors",
          "narratrace.blobs", "narratrace.model", "narratrace.errors", "narratrace.text", "narratrace.parsing",
          "narratrace.sections", "narratrace.report", "narratrace.web", "narratrace.spark", "narratrace.quality")
#: Shared modules that may still import an analysis by name (none left: keep it so).
PENDING: set[str] = set()


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, (path, is_package) in modules.items():
        base = name.split(".") if is_package else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                parent = ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else (node.module or "")
                targets = [parent] + [f"{parent}.{a.name}" for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_architecture_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert sorted(map(len, strongly_connected(graph))) == [1, 3]


def test_architecture_no_import_cycle_of_more_than_2_modules() -> None:
    big = [c for c in strongly_connected(import_graph()) if len(c) > 2]
    assert big == [], big


def _is_analysis(module: str) -> bool:
    return any(module == a or module.startswith(a + ".") for a in BUILTIN_ANALYSES if a != "narratrace.ingest")


def test_architecture_core_layers_import_no_analysis() -> None:
    graph = import_graph()
    offending = {m: sorted(t for t in targets if _is_analysis(t))
                 for m, targets in graph.items()
                 if any(m == s or m.startswith(s + ".") for s in SHARED)}
    found = {m: t for m, t in offending.items() if t}
    assert set(found) <= PENDING, {m: t for m, t in found.items() if m not in PENDING}


def test_architecture_template_names_are_unique_across_packages() -> None:
    """The web app finds templates in its own folder, the report's and every analysis's (one loader, first match
    wins), so a name in two of them would draw the wrong page."""
    from narratrace.report import TEMPLATES
    from narratrace.sections import template_dirs

    where: dict[str, list[str]] = {}
    for folder in [PACKAGE / "web" / "templates", TEMPLATES, *map(Path, template_dirs())]:
        for f in folder.iterdir():
            where.setdefault(f.name, []).append(str(folder.relative_to(PACKAGE)))
    assert {name: dirs for name, dirs in where.items() if len(dirs) > 1} == {}
    assert {"groups.html", "claim_groups.html", "narratives.html", "techniques.html", "factchecks.html",
            "outlet_framing.html"} <= set(where)  # the analyses' pages live in their packages
