"""Sizes a reader can hold: no module over 600 lines, no function over 80, unless the reason is
written next to it (a ``# size: <reason>`` comment on the line above the ``def``, or in the
module's first ten lines)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

MODULE_LINES = 600
FUNCTION_LINES = 80
PACKAGE = ROOT / "src" / "techties"


def _reasoned(lines: list[str], at: int) -> bool:
    """A ``# size:`` comment with a reason on the line above 1-based line ``at``."""
    above = lines[at - 2].strip() if at >= 2 else ""
    return above.startswith("# size:") and len(above) > len("# size:") + 10


def oversized(package: Path = PACKAGE) -> list[str]:
    """``file[:line] what: size`` for every module and function over its limit."""
    found = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text("utf-8")
        lines = text.splitlines()
        rel = path.relative_to(package.parent)
        head = "\n".join(lines[:10])
        if len(lines) > MODULE_LINES and "# size:" not in head:
            found.append(f"{rel}: {len(lines)} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > FUNCTION_LINES and not _reasoned(lines, first):
                    found.append(f"{rel}:{node.lineno} {node.name}(): {size} lines")
    return found


def test_modules_and_functions_stay_readable() -> None:
    assert oversized() == []


def test_the_size_check_sees_what_is_too_long(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LINES))
    (pkg / "a.py").write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n")
    reason = "# size: one table of constants, read top to bottom"
    (pkg / "b.py").write_text(f"{reason}\ndef long():\n{body}\n")
    (pkg / "c.py").write_text("\n".join(["x = 1"] * (MODULE_LINES + 1)) + "\n")
    assert oversized(pkg) == [
        f"pkg/a.py:1 long(): {FUNCTION_LINES + 1} lines",
        f"pkg/c.py: {MODULE_LINES + 1} lines",
    ]
