"""The package's import graph: data flows one way, and no module imports itself back.

Every ``import`` and ``from … import`` inside ``src/techties`` counts, at module level and inside
functions (a deferred import hides a dependency but is still one); imports under
``if TYPE_CHECKING:`` are for the type checker only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    """``module → techties modules it imports`` (``from pkg import sub`` counts as ``pkg.sub``
    when ``sub`` is a module)."""
    files = {_module_name(p): p for p in (SRC / "techties").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text("utf-8"))
        skip = _type_checking_lines(tree)
        is_pkg = path.name == "__init__.py"
        deps: set[str] = set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("techties"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join([*base, node.module] if node.module else base)
                else:
                    mod = node.module or ""
                if not mod.startswith("techties"):
                    continue
                for a in node.names:
                    sub = f"{mod}.{a.name}"
                    deps.add(sub if sub in files else mod)
        graph[name] = {d for d in deps if d in files and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_registries_load_builtins_without_hidden_imports() -> None:
    """Checkers and sources register when their package is imported (the checkers' by
    ``techties.claims.checking.load_checkers``); nothing below reaches back up to the package to
    trigger that (the cycles this replaced)."""
    graph = import_graph()
    assert "techties.claims.checkers" in graph["techties.claims.checking"]
    assert "techties.claims.checkers" not in graph["techties.claims.base"]
    assert "techties.sources" not in graph["techties.sources.base"]
    assert "techties" not in graph["techties.store.core"]  # the version is a leaf module


def test_the_graph_sees_deferred_imports() -> None:
    """A function-level import is an edge (the checker of the test above cannot be blinded)."""
    graph = import_graph()
    assert "techties.store.manifest" in graph["techties.cli.cmd_report"] or any(
        d.startswith("techties.store") for d in graph["techties.cli.cmd_report"]
    )
    assert "techties.simulation.library" in graph["techties.cli.cmd_simulate"]


def test_import_module_only_where_registries_load() -> None:
    """Modules are imported by name only where a registry loads its members (sources, CLI
    commands) and where the packages' names load on first use (``techties._lazy``); everywhere
    else an import is a plain import."""
    allowed = {"techties/sources/builtin.py", "techties/cli/main.py", "techties/_lazy.py"}
    found = {
        str(p.relative_to(SRC))
        for p in (SRC / "techties").rglob("*.py")
        if "import_module(" in p.read_text("utf-8")
    }
    assert found == allowed


#: calls that read a source file's contents (readers belong to ``sources/``)
FILE_READERS = {"read_csv", "read_parquet", "read_stata", "read_excel", "read_frame", "read_r",
                "read_fwf", "read_sas", "read_spss", "loadmat", "load", "File"}  # fmt: skip
ANALYSIS_LAYERS = ("indicators", "models", "simulation", "claims", "report", "web")


def _file_reads(path: Path) -> list[str]:
    """``line: call`` for every call in ``path`` that reads a data file or the data folder."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        text = ast.unparse(node)
        in_memory = "BytesIO" in text  # a derived result's payload, not a file
        if (name in FILE_READERS and not in_memory) or text.startswith("config.get('data'"):
            found.append(f"{node.lineno}: {text[:60]}")
    return found


def test_no_analysis_layer_reads_the_data_folder() -> None:
    """One data path: indicators, models, simulation, claims, report and web take a store; only
    sources read data files (the acceptance rule of the one-data-path work)."""
    reads = {
        str(p.relative_to(SRC)): hits
        for layer in ANALYSIS_LAYERS
        for p in (SRC / "techties" / layer).rglob("*.py")
        if (hits := _file_reads(p))
    }
    assert reads == {}
    # the check sees a reader where one is (it cannot pass by being blind)
    assert _file_reads(SRC / "techties" / "sources" / "model_inputs.py")
