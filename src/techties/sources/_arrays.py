"""Rows of the ``model_inputs`` table: named n-dimensional arrays, flattened in C order.

Sources of model inputs (GE baselines, input–output tables, tariff cubes) turn each array of a
file into rows ``dataset, item, shape, pos, value | text, unit``; the store reads them back with
:mod:`techties.store.model_inputs`. Values are checked here (finite; non-negative unless the
array is declared signed), so nothing malformed reaches a model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from techties.errors import SourceFormatError

MODEL_INPUT_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("item", pa.string()),
        ("shape", pa.list_(pa.int32())),
        ("pos", pa.int64()),
        ("value", pa.float64()),
        ("text", pa.string()),
        ("unit", pa.string()),
    ]
)


def array_rows(
    path: Path,
    dataset: str,
    item: str,
    values: np.ndarray,
    *,
    unit: str | None = None,
    signed: bool = False,
    missing_ok: bool = False,
) -> pa.Table:
    """Rows for one numeric array; raises naming the file, the array and the first bad cell.

    ``missing_ok`` keeps blank cells (NaN) as NULL values instead of refusing them, for files
    whose blanks mean "not reported" (they read back as NaN); infinities are always refused.
    """
    arr = np.asarray(values, dtype=float)
    flat = arr.ravel(order="C")
    finite = np.isfinite(flat) | (np.isnan(flat) if missing_ok else False)
    bad = ~finite if signed else ~finite | (flat < 0)
    if bad.any():
        first = int(np.argmax(bad))
        where = np.unravel_index(first, arr.shape) if arr.ndim else ()
        raise SourceFormatError(
            path,
            f"array {item!r} has {int(bad.sum()):,} cells that are not finite"
            + ("" if signed else " and non-negative")
            + f" (first at index {tuple(int(i) for i in where)}: {float(flat[first])!r})",
            column=item,
            expected="finite numbers" + ("" if signed else " >= 0"),
            hint="Use the file as published; a changed or truncated copy cannot be used.",
        )
    n = flat.size
    return pa.table(
        {
            "dataset": pa.array([dataset] * n, pa.string()),
            "item": pa.array([item] * n, pa.string()),
            "shape": pa.array([list(arr.shape)] * n, pa.list_(pa.int32())),
            "pos": pa.array(np.arange(n, dtype=np.int64)),
            "value": pa.array(flat, pa.float64(), from_pandas=True),
            "text": pa.nulls(n, pa.string()),
            "unit": pa.array([unit] * n, pa.string()),
        },
        schema=MODEL_INPUT_SCHEMA,
    )


def text_rows(path: Path, dataset: str, item: str, labels: Sequence[object]) -> pa.Table:
    """Rows for one label array (a country or sector list); blanks are refused."""
    texts = [str(x).strip() for x in labels]
    blank = [i for i, t in enumerate(texts) if not t or t.lower() == "nan"]
    if blank:
        raise SourceFormatError(
            path, f"label list {item!r} has a blank entry", row=blank[0] + 1, column=item,
            expected="a code or name in every position",
        )  # fmt: skip
    n = len(texts)
    return pa.table(
        {
            "dataset": pa.array([dataset] * n, pa.string()),
            "item": pa.array([item] * n, pa.string()),
            "shape": pa.array([[n]] * n, pa.list_(pa.int32())),
            "pos": pa.array(np.arange(n, dtype=np.int64)),
            "value": pa.nulls(n, pa.float64()),
            "text": pa.array(texts, pa.string()),
            "unit": pa.nulls(n, pa.string()),
        },
        schema=MODEL_INPUT_SCHEMA,
    )


def concat(parts: Iterable[pa.Table]) -> pa.Table:
    return pa.concat_tables(list(parts)).combine_chunks()
