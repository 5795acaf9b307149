"""Printing tables as rich tables, JSON or CSV; one-line errors."""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # numpy and pandas load when a table is printed, not at start-up
    import pandas as pd

console = Console()
_PYTHON_SHOWWARNING = warnings.showwarning
err_console = Console(stderr=True)


#: values :func:`_jsonable` and :func:`_fmt` handle without loading numpy or pandas
_PLAIN = (str, int, bool, type(None))


def _jsonable(v: Any) -> Any:
    if type(v) in _PLAIN:
        return v
    if type(v) is float:
        return None if math.isnan(v) else v
    if type(v) is dict:
        return {k: _jsonable(x) for k, x in v.items()}
    if type(v) in (list, tuple):
        return [_jsonable(x) for x in v]
    import numpy as np
    import pandas as pd

    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _jsonable(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(obj), indent=2, default=str) + "\n")


def print_frame(
    df: pd.DataFrame, *, fmt: str = "table", title: str | None = None, max_rows: int = 200
) -> None:
    """Print a DataFrame as a rich table (default), JSON records or CSV."""
    import pandas as pd

    if fmt == "json":
        emit_json(records(df))
        return
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
        return
    table = Table(title=title, show_lines=False)
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col].dtype)
        table.add_column(str(col), justify="right" if numeric else "left", overflow="fold")
    for row in df.head(max_rows).itertuples(index=False):
        table.add_row(*(_fmt(v) for v in row))
    console.print(table)
    if len(df) > max_rows:
        console.print(f"… {len(df) - max_rows:,} more rows (use --csv or --json for all)")


def print_rows(
    rows: list[dict[str, Any]], columns: Sequence[str], *, title: str, right: Sequence[str] = ()
) -> None:
    """Print plain rows (str, int, None) as :func:`print_frame` prints the same DataFrame, whose
    numeric ``right`` columns are right-aligned, without loading pandas."""
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, justify="right" if col in right else "left", overflow="fold")
    for row in rows:
        table.add_row(*(_fmt(row[c]) for c in columns))
    console.print(table)


def _fmt(v: Any) -> str:
    if type(v) is int:
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if type(v) in _PLAIN:
        return "" if v is None else str(v)
    import numpy as np
    import pandas as pd

    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, (float, np.floating)):
        return f"{float(v):,.4g}" if abs(float(v)) < 1e4 else f"{float(v):,.0f}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}" if abs(int(v)) >= 10_000 else str(v)
    return str(v)


def fail(message: str, hint: str | None = None) -> None:
    from rich.markup import escape  # messages are text: "[spark]" is not a style

    err_console.print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True
    )
    if hint:
        err_console.print(f"[dim]hint:[/] {escape(hint)}", highlight=False, soft_wrap=True)


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print techties data warnings as one line (``warning: …``); others as Python does."""
    from techties.errors import TechtiesWarning

    if issubclass(category, TechtiesWarning):
        err_console.print(
            f"[yellow]warning:[/] {message}", highlight=False, markup=True, soft_wrap=True
        )
        return
    _PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)
