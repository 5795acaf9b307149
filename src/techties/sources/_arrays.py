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
            "dataset": constant(dataset, n, pa.string()),
            "item": constant(item, n, pa.string()),
            "shape": same_list(arr.shape, n),
            "pos": pa.array(np.arange(n, dtype=np.int64)),
            "value": pa.array(flat, pa.float64(), from_pandas=True),
            "text": pa.nulls(n, pa.string()),
            "unit": constant(unit, n, pa.string()),
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
            "dataset": constant(dataset, n, pa.string()),
            "item": constant(item, n, pa.string()),
            "shape": same_list((n,), n),
            "pos": pa.array(np.arange(n, dtype=np.int64)),
            "value": pa.nulls(n, pa.float64()),
            "text": pa.array(texts, pa.string()),
            "unit": pa.nulls(n, pa.string()),
        },
        schema=MODEL_INPUT_SCHEMA,
    )


def constant(value: object, n: int, typ: pa.DataType) -> pa.Array:
    """``n`` copies of one value (None: ``n`` nulls) as an Arrow array of type ``typ``: the
    array ``pa.array([value] * n, typ)`` gives, without a Python list of ``n`` items."""
    if value is None:
        return pa.nulls(n, typ)
    return pa.repeat(pa.scalar(value, typ), n)


def same_list(values: Sequence[int], n: int) -> pa.Array:
    """``n`` rows each holding the list ``values`` (int32), as
    ``pa.array([list(values)] * n, pa.list_(pa.int32()))`` gives, from two numpy arrays."""
    k = len(values)
    offsets = pa.array(
        np.arange(0, n * k + 1, k, dtype=np.int32) if k else np.zeros(n + 1, np.int32)
    )
    items = pa.array(np.tile(np.asarray(values, dtype=np.int32), n), pa.int32())
    return pa.ListArray.from_arrays(offsets, items, type=pa.list_(pa.int32()))


def concat(parts: Iterable[pa.Table]) -> pa.Table:
    return pa.concat_tables(list(parts)).combine_chunks()
