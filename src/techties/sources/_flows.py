"""Building the canonical ``trade_flows`` table (shared by the trade-flow sources).

Columns and meaning follow ``store/migrations/0001_core.sql``. Scalars broadcast to every row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.sources._arrays import constant

FLOW_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("reporter", pa.string()),
        ("partner", pa.string()),
        ("flow", pa.string()),
        ("year", pa.int16()),
        ("month", pa.int8()),
        ("classification", pa.string()),
        ("vintage", pa.string()),
        ("product_code", pa.string()),
        ("product_level", pa.int8()),
        ("value_usd", pa.float64()),
        ("quantity", pa.float64()),
        ("quantity_unit", pa.string()),
        ("duties_usd", pa.float64()),
        ("value_basis", pa.string()),
    ]
)


def _column(value: Any, n: int, typ: pa.DataType) -> pa.Array:
    if value is None or np.isscalar(value):
        return constant(value, n, typ)
    if isinstance(value, pd.Series) and pa.types.is_string(typ) and _arrow_text(value):
        return pa.array(value, type=typ)  # the Arrow strings as they are (NA → null)
    if isinstance(value, pd.Series):
        value = (
            np.asarray(value.astype(object).where(value.notna(), None))
            if pa.types.is_string(typ)
            else value.to_numpy()
        )
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not pa.types.is_floating(typ):
        mask = np.isnan(value)
        return pa.array(np.where(mask, 0, value).astype("int64"), mask=mask).cast(typ)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return pa.array(value, mask=np.isnan(value), type=typ)
    return pa.array(value, type=typ, from_pandas=True)


def _arrow_text(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"


def flows_table(n: int, *, row: Any = None, **columns: Any) -> pa.Table:
    """Canonical trade_flows rows; every column of :data:`FLOW_SCHEMA` must be given.

    ``row`` (n integers): the 1-based file row of each table row, kept as ``_row`` so the
    store's checks name file rows (it is not stored).
    """
    missing = [f.name for f in FLOW_SCHEMA if f.name not in columns]
    if missing:
        raise TypeError(f"flows_table needs columns {missing}")
    arrays = [_column(columns[f.name], n, f.type) for f in FLOW_SCHEMA]
    table = pa.Table.from_arrays(arrays, schema=FLOW_SCHEMA)
    if row is not None:
        table = table.append_column("_row", pa.array(np.asarray(row, dtype=np.int64)))
    return table


def hs_vintage(year: int) -> str:
    """HS revision in force in a year (HS2012 2012–16, HS2017 2017–21, HS2022 from 2022)."""
    for start, name in ((2022, "HS2022"), (2017, "HS2017"), (2012, "HS2012"), (2007, "HS2007")):
        if year >= start:
            return name
    return "HS2002" if year >= 2002 else "HS1996"


def concat(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables) if tables else FLOW_SCHEMA.empty_table()
