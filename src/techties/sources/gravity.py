"""Gravity datasets: the Advanced Guide (Yotov et al. 2016) files, gegravity and GE_gravity samples.

Each file becomes rows of the canonical ``gravity`` table: exporter, importer, year, trade (in the
unit recorded in ``trade_unit``) and every other numeric column as a covariate in the
``covariates`` MAP (``DIST``, ``CNTG``, ``RTA``, ``pair_id`` …, names as in the file). The
dataset name is the file stem in snake case (``Chapter1Application1.dta`` →
``chapter1application1``).

Units: all four publishers give trade in **millions of current USD** (the Advanced Guide's Stata
label says "US dollars", but USA→CHN 2006 = 47,377.9 and US output 5.0 million million — see the
catalog); gegravity's sample rounds the Advanced Guide 2006 values to whole millions; the
GE_gravity example is WIOD-based, also in millions.

Containers: Stata ``.dta``, R ``.rda`` (one data frame) and gegravity's ``.dlm``, which is a
comma-separated file despite its extension.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources._arrays import constant
from techties.sources.base import Source, register
from techties.sources.containers import (
    read_frame,
    require_columns,
    require_no_blanks,
    require_pattern,
    to_number,
)

TRADE_UNIT = "USD million"
KEYS = ("exporter", "importer", "year", "trade")
GRAVITY_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("exporter", pa.string()),
        ("importer", pa.string()),
        ("year", pa.int16()),
        ("trade", pa.float64()),
        ("trade_unit", pa.string()),
        ("covariates", pa.map_(pa.string(), pa.float64())),
    ]
)


def dataset_name(path: Path) -> str:
    """File stem in snake case: ``Chapter1Application1.dta`` → ``chapter1application1``."""
    return re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")


def _covariate_map(values: np.ndarray, names: list[str]) -> pa.MapArray:
    """Row-major ``values`` (rows × covariates) → a MAP column; NaN becomes a null value."""
    n, k = values.shape
    offsets = pa.array(np.arange(0, n * k + 1, k, dtype="int32"))
    # the names taken by position: the strings pa.array(np.tile(names, n)) gives, without
    # n * k Python objects
    keys = pa.array(names, pa.string()).take(np.tile(np.arange(k, dtype=np.int64), n))
    flat = values.ravel()
    items = pa.array(flat, mask=np.isnan(flat), type=pa.float64())
    return pa.MapArray.from_arrays(offsets, keys, items)


def _codes(s: pd.Series, path: Path, column: str, header: int) -> np.ndarray:
    require_no_blanks(s, path, column, header_rows=header)
    text = require_pattern(
        s, r"[A-Za-z0-9_]{2,4}", path, column, label="country code", kind="a country code",
        expected="a 3-letter country code (e.g. USA, ROM)", header_rows=header,
    )  # fmt: skip
    return text.to_numpy(dtype=object)


#: The Advanced Guide's Chapter 2 programs rename the reference country DEU to ZZZ so that Stata
#: drops its dummy (``1_TradeWithoutBorder.dta`` has ZZZ and no DEU): mapped back to DEU in a file
#: without DEU (a file holding both keeps ZZZ, which the store then refuses as unknown).
REFERENCE_ALIASES = {"ZZZ": "DEU"}


def _reference_country(exporter: np.ndarray, importer: np.ndarray) -> tuple[np.ndarray, ...]:
    codes = set(exporter) | set(importer)
    out = []
    for arr in (exporter, importer):
        arr = arr.copy()
        for alias, code in REFERENCE_ALIASES.items():
            if alias in codes and code not in codes:
                arr[arr == alias] = code
        out.append(arr)
    return tuple(out)


def read_gravity(path: Path, df: pd.DataFrame, header: int) -> pa.Table:
    df = df.rename(columns={c: c for c in df.columns})
    require_columns(df, KEYS, path, what="gravity (exporter, importer, year, trade)")
    year = to_number(df["year"], path, "year", header_rows=header, allow_missing=False)
    if not np.all(year == np.round(year)):
        i = int(np.argmax(year != np.round(year)))
        raise SourceFormatError(
            path,
            f"year {year[i]} is not whole",
            row=i + 1 + header,
            column="year",
            expected="a calendar year",
        )
    trade = to_number(df["trade"], path, "trade", header_rows=header)
    names = [str(c) for c in df.columns if c not in KEYS]
    cov = (
        np.column_stack([to_number(df[c], path, c, header_rows=header) for c in names])
        if names
        else np.empty((len(df), 0))
    )
    exporter, importer = _reference_country(
        _codes(df["exporter"], path, "exporter", header),
        _codes(df["importer"], path, "importer", header),
    )
    arrays = [
        constant(dataset_name(path), len(df), pa.string()),
        pa.array(exporter, pa.string()),
        pa.array(importer, pa.string()),
        pa.array(year.astype("int16")),
        pa.array(trade, mask=np.isnan(trade)),
        constant(TRADE_UNIT, len(df), pa.string()),
        _covariate_map(cov.astype("float64"), names),
        pa.array(np.arange(len(df), dtype=np.int64) + 1 + header),
    ]
    return pa.Table.from_arrays(arrays, schema=GRAVITY_SCHEMA.append(pa.field("_row", pa.int64())))


@register
class Gravity(Source):
    """Structural-gravity datasets (Advanced Guide, gegravity sample, GE_gravity example)."""

    name = "gravity"
    table = "gravity"
    title = "Gravity datasets: Advanced Guide to Trade Policy Analysis, gegravity, GE_gravity"
    homepage = "https://www.wto.org/english/res_e/publications_e/advancedwtounctad2016_e.htm"
    patterns = ("*.dta", "*.rda", "*.rds", "*.dlm", "*.csv")

    def read(self, path: Path) -> pa.Table:
        text = path.suffix.lower() in {".csv", ".dlm"}
        # text cells as written: "NaN", "null", "NA" are not numbers (pandas would make them
        # missing); a blank cell is missing
        df = read_frame(path, dtype_str=text)
        return read_gravity(path, df, 1 if text else 0)

    def version(self, path: Path) -> str | None:
        return dataset_name(path)
