"""Fails when a feature folder imports one that imports it back (directly or through others).

Each package (``services/*/src/o2c_*``, ``libs/common/src/o2c_common``, ``src/o2c_cli``) is split into its parts:
its sub-packages (feature folders) and its top-level modules. Every import in every file (lazy ones inside
functions included) is an edge from the part holding the file to the part it names. A strongly connected group of
two or more parts is a cycle, and is printed with the imports that make it.

    python tools/import_cycles.py            # the whole repository; exit 1 when there is a cycle
    python tools/import_cycles.py DIR ...    # only these package directories
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_GLOBS = ("services/*/src/o2c_*", "libs/common/src/o2c_common", "src/o2c_cli")

Edge = tuple[str, str]


def packages(root: Path = ROOT) -> list[Path]:
    return sorted(p for pattern in PACKAGE_GLOBS for p in root.glob(pattern) if (p / "__init__.py").exists())


def part_of(package: Path, file: Path) -> str:
    relative = file.relative_to(package).parts
    return relative[0].removesuffix(".py") if relative else ""


def imported_names(tree: ast.AST, module: str, is_package_init: bool) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package_init else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:  # ``from pkg import folder`` names the folder itself
                yield f"{target}.{alias.name}", node.lineno


def edges_of(package: Path) -> dict[Edge, list[str]]:
    name = package.name
    parts = {part_of(package, p) for p in package.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    parts.discard("__init__")
    edges: dict[Edge, list[str]] = defaultdict(list)
    for file in sorted(package.rglob("*.py")):
        source = part_of(package, file)
        if source == "__init__":
            continue
        module = ".".join((name, *file.relative_to(package).with_suffix("").parts))
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for target, line in imported_names(tree, module, file.name == "__init__.py"):
            pieces = target.split(".")
            if len(pieces) < 2 or pieces[0] != name or pieces[1] not in parts or pieces[1] == source:
                continue
            where = f"{file.relative_to(package.parent)}:{line}"
            if where not in edges[(source, pieces[1])]:
                edges[(source, pieces[1])].append(where)
    return edges


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def report(package: Path) -> list[str]:
    edges = edges_of(package)
    lines = []
    for component in cycles(edges):
        lines.append(f"{package.name}: import cycle between {', '.join(component)}")
        for (a, b), where in sorted(edges.items()):
            if a in component and b in component:
                lines.extend(f"    {a} -> {b}: {w}" for w in where[:3])
    return lines


def main(argv: list[str]) -> int:
    targets = [Path(a).resolve() for a in argv] or packages()
    problems = [line for package in targets for line in report(package)]
    for line in problems:
        print(line)
    print(f"import cycles: {sum(1 for p in problems if not p.startswith(' '))} in {len(targets)} packages")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
