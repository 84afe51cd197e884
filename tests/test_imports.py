"""The shape of the code: no import circles among `workbench` modules, and the run-directory readers (store, UI pages
that show runs, ratings and filter decisions) never import torch.

The import graph is read from the source with `ast` (so a circle is reported even if Python happens to survive it):
an edge A -> B for every `import B` / `from B import x` in A, and importing `a.b.c` also imports the packages `a` and
`a.b`. Two graphs are checked: the module-level one (imports at the top of a module, including those under `if` and
`try`), which must be acyclic or Python fails to import; and the full one, with the imports inside functions too,
where a circle is a design knot hidden by a deferred import (e.g. recipe -> distributed -> pipeline -> recipe).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "workbench"


def module_files() -> dict[str, Path]:
    """Dotted name -> source file, for every module of the `workbench` package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _top_level(body: list[ast.stmt]):
    """The import statements that run when the module is imported (not those inside functions or classes)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for block in (node.body, getattr(node, "orelse", []), getattr(node, "finalbody", []),
                          *(h.body for h in getattr(node, "handlers", []))):
                yield from _top_level(block)


def _imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: from the module's package, one level up per extra dot
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module
    return [base] + [f"{base}.{alias.name}" for alias in node.names]  # `from a import b` may import module a.b


def import_graph(deferred: bool) -> dict[str, set[str]]:
    """module -> the workbench modules it imports (at module level; with `deferred`, inside functions too)."""
    files = module_files()
    graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        nodes = ([n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))] if deferred
                 else list(_top_level(tree.body)))
        edges = set()
        for node in nodes:
            for name in _imported_names(node, module, path.name == "__init__.py"):
                parts = name.split(".")
                for i in range(1, len(parts) + 1):  # the packages on the way are imported too
                    target = ".".join(parts[:i])
                    if target in files and target != module and not module.startswith(target + "."):
                        edges.add(target)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_every_module_imports():
    """Each module imports on its own in a fresh interpreter order (a circle at module level would fail here)."""
    import importlib

    for module in module_files():
        if ".migrations." in module:  # alembic scripts: run by alembic with its context, not importable alone
            continue
        importlib.import_module(module)


@pytest.mark.parametrize("deferred", [False, True], ids=["module-level", "with-imports-in-functions"])
def test_no_import_circles(deferred):
    cycle = find_cycle(import_graph(deferred))
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_import_graph_reads_relative_and_deferred_imports(tmp_path, monkeypatch):
    """The graph builder sees `from . import x`, `from .x import y`, and (only when asked) imports in functions."""
    pkg = tmp_path / "workbench"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import leaf\n")
    (pkg / "sub" / "leaf.py").write_text("def f():\n    from workbench import top\n")
    (pkg / "top.py").write_text("try:\n    from .sub.leaf import f\nexcept ImportError:\n    pass\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    assert import_graph(deferred=False) == {"workbench": set(), "workbench.sub": {"workbench.sub.leaf"},
                                            "workbench.sub.leaf": set(),
                                            "workbench.top": {"workbench.sub", "workbench.sub.leaf"}}
    assert find_cycle(import_graph(deferred=False)) is None
    assert find_cycle(import_graph(deferred=True)) is not None  # top -> sub.leaf -> top, through a function


def _workbench_imports_of(page: Path) -> list[str]:
    tree = ast.parse(page.read_text(encoding="utf-8"))
    return sorted({n.module for n in _top_level(tree.body)
                   if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("workbench")}
                  | {a.name for n in _top_level(tree.body) if isinstance(n, ast.Import) for a in n.names
                     if a.name.startswith("workbench")})


def test_run_directory_readers_and_ui_pages_do_not_import_torch():
    """The store, `workbench.rundir` and what the UI imports (its common module and every page but the one that asks
    a live model) read JSON and SQL: importing them must not pull in torch, transformers or the pipeline."""
    ui = ROOT / "ui"
    pages = [ui / "common.py", ui / "app.py", *sorted(p for p in (ui / "pages").glob("*.py") if p.name != "rate.py")]
    modules = ["workbench.rundir", "workbench.store", "workbench.store.runs", "workbench.report"]
    modules += [m for page in pages for m in _workbench_imports_of(page)]
    assert "workbench.store.runs" in modules and len(modules) > 6, modules
    code = (f"import importlib, sys\nfor m in {sorted(set(modules))!r}:\n    importlib.import_module(m)\n"
            "heavy = sorted(m for m in ('torch', 'transformers', 'trl', 'workbench.pipeline') if m in sys.modules)\n"
            "assert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]


def test_no_test_module_imports_another():
    """Shared fixtures live in conftest.py and plain helpers in helpers.py; a test module importing another one runs
    (and couples to) that module's fixtures and constants."""
    tests = ROOT / "tests"
    names = {p.stem for p in tests.glob("test_*.py")}
    offenders = []
    for path in sorted(tests.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            imported = ([a.name for a in node.names] if isinstance(node, ast.Import)
                        else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name} imports {m}" for m in imported if m.split(".")[-1] in names]
    assert not offenders, offenders
