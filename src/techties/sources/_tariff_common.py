"""Shared pieces of the tariff sources: the canonical ``tariff_measures`` schema and code helpers.

Every tariff source returns a :class:`pyarrow.Table` with :data:`COLUMNS` (see migration
``0002_tariff_measures.sql``). Dates are inclusive: a row is in force on day ``d`` when
``start_date <= d`` and (``end_date`` is null or ``d <= end_date``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError

SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("imposer", pa.string()),
        ("target", pa.string()),
        ("product_code", pa.string()),
        ("vintage", pa.string()),
        ("product_level", pa.int8()),
        ("measure", pa.string()),
        ("kind", pa.string()),
        ("program", pa.string()),
        ("rate_pct", pa.float64()),
        ("specific_rate", pa.bool_()),
        ("rate_text", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("status", pa.string()),
        ("legal_reference", pa.string()),
    ]
)
COLUMNS = tuple(SCHEMA.names)

_DATED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00:00(?:\.0+)?)?$")
_DOTTED = re.compile(r"^\d{4}(?:\.\d{2}){1,3}$|^\d{4}\.\d{2}\.\d{4}$")


def day(text: str) -> dt.date:
    """ISO date text → date."""
    return dt.date.fromisoformat(text)


def restore_excel_code(cell: str) -> str:
    """Undo Excel's conversion of a dotted HTS code into a date.

    ``"4202-12-21 00:00:00"`` → ``"4202.12.21"`` (Excel read ``4202.12.21`` as 21 Dec 4202).
    Other text is returned stripped and unchanged.
    """
    text = cell.strip()
    m = _DATED.match(text)
    return f"{m.group(1)}.{m.group(2)}.{m.group(3)}" if m else text


def digits(code: str) -> str:
    """``"0101.21.00"`` → ``"01012100"`` (dots and spaces removed)."""
    return code.replace(".", "").replace(" ", "")


def pad_codes(values: pd.Series, width: int) -> pd.Series:
    """Numeric-looking codes (leading zero lost) → zero-padded strings of ``width`` digits."""
    text = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    return text.str.zfill(width)


def check_digit_codes(
    codes: pd.Series,
    path: Path,
    column: str,
    *,
    lengths: Sequence[int],
    header_rows: int = 1,
    rows: pd.Index | np.ndarray | None = None,
) -> None:
    """Raise naming the first code that is not all digits of an allowed length."""
    ok = codes.astype("string").str.fullmatch(r"\d+").fillna(False) & codes.astype(
        "string"
    ).str.len().isin(list(lengths)).fillna(False)
    if not bool(ok.all()):
        i = int(np.argmax(~ok.to_numpy()))
        row = int(rows[i]) if rows is not None else i + 1 + header_rows
        raise SourceFormatError(
            path,
            f"product code {str(codes.iloc[i])!r} is not a {'/'.join(map(str, lengths))}-digit code",
            row=row,
            column=column,
            expected="a tariff-line code of digits (dots allowed)",
        )


def to_table(df: pd.DataFrame) -> pa.Table:
    """DataFrame with (a subset of) :data:`COLUMNS` → canonical Arrow table (defaults filled).

    A ``_row`` column (the file row of each table row) is kept for the store's checks."""
    out = df.copy()
    defaults: dict[str, Any] = {
        "program": None,
        "specific_rate": False,
        "rate_text": None,
        "end_date": None,
        "status": "in_force",
        "legal_reference": None,
    }
    for col, value in defaults.items():
        if col not in out.columns:
            out[col] = value
    for col in ("start_date", "end_date"):
        out[col] = pd.to_datetime(out[col]).dt.date
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    # level = number of digits (Chinese sub-lines such as 8521101100A are level 10)
    out["product_level"] = out["product_code"].astype(str).str.count(r"\d").astype("int8")
    if "_row" in out.columns:
        schema = SCHEMA.append(pa.field("_row", pa.int64()))
        return pa.Table.from_pandas(out[list(schema.names)], schema=schema, preserve_index=False)
    return pa.Table.from_pandas(out[list(COLUMNS)], schema=SCHEMA, preserve_index=False)


def empty_table() -> pa.Table:
    return SCHEMA.empty_table()


def read_sheet_raw(path: Path, sheet: str | int = 0) -> pd.DataFrame:
    """A worksheet as text cells with no header row (row i is spreadsheet row i + 1)."""
    try:
        return pd.read_excel(path, sheet_name=sheet, engine="calamine", header=None, dtype=str)
    except Exception as exc:  # calamine raises several types for broken or non-Excel files
        raise SourceFormatError(
            path, f"cannot read as a workbook: {type(exc).__name__}: {exc}".splitlines()[0],
            expected="an .xlsx/.xls workbook in the official layout",
        ) from exc
