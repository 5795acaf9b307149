"""US Census Bureau international trade API (imports/exports by HS or NAICS and partner).

Layouts read (all the API's own column names, values as strings):

- ``census`` — the API JSON (first row = header) of ``/timeseries/intltrade/imports/hs`` or
  ``/exports/hs``, and the same columns in Parquet (e.g. the tradewartracker HS10 and HS2
  extracts). Imports: ``I_COMMODITY``, ``CON_VAL_{MO,YR}`` (imports for consumption, customs
  value, USD), ``GEN_VAL_*`` (general imports), ``CAL_DUT_*`` (calculated duties, USD),
  ``CON_QY1_*``/``GEN_QY1_*`` with ``UNIT_QY1``. Exports: ``E_COMMODITY``, ``ALL_VAL_*`` (total
  exports, f.a.s. value). ``time`` is ``YYYY-MM``; ``*_YR`` columns are year-to-date through that
  month, so only December gives an annual value. ``CTY_CODE`` is the Census Schedule C code.
- ``census_naics_monthly`` — the tradewartracker NAICS3 extract (CTY_NAME, NAICS, imports, duty).
- ``tradewar_naics`` — tradewar-tracker ``{imports,exports}_by_naics.csv`` (world and China).

Each consumption-basis import row carries its calculated duties; the effective duty rate is
``duties_usd / value_usd``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa

from techties import config
from techties.errors import SourceFormatError
from techties.sources._flows import concat, flows_table, hs_vintage
from techties.sources.base import Source, register
from techties.sources.containers import (
    map_codes,
    name_columns,
    per_unique,
    read_frame,
    require_columns,
    require_pattern,
    to_number,
)
from techties.sources.countries import CENSUS_NAMES, CENSUS_TO_ISO3
from techties.sources.http import download_file

API = "https://api.census.gov/data/timeseries/intltrade"
ENDPOINTS = {"import": f"{API}/imports/hs", "export": f"{API}/exports/hs"}
#: fixes for the API's refusals (it answers 204 with no body when nothing matches)
HINTS = {
    204: "No data for these parameters: check --years (annual data appear in spring).",
    400: "Check --years and the level (HS2/HS4/HS6/HS10).",
    429: "The Census API limits keyless use: set TECHTIES_CENSUS_KEY (free key at "
    "api.census.gov/data/key_signup.html).",
}
#: (value_basis, value column stem, duty stem, quantity stem) per flow
BASES: dict[str, list[tuple[str, str, str | None, str]]] = {
    "import": [
        ("customs_consumption", "CON_VAL", "CAL_DUT", "CON_QY1"),
        ("customs_general", "GEN_VAL", None, "GEN_QY1"),
    ],
    "export": [("FAS", "ALL_VAL", None, "QTY_1")],
}
MONTH_RE = r"^(\d{4})-(\d{2})(?:-\d{2})?(?:[ T].*)?$"
LEVEL_RE = r"^HS(\d+)$"
DOWNLOAD_FIELDS = {
    "import": ["CTY_CODE", "CTY_NAME", "I_COMMODITY", "CON_VAL_YR", "GEN_VAL_YR", "CAL_DUT_YR"],
    "export": ["CTY_CODE", "CTY_NAME", "E_COMMODITY", "ALL_VAL_YR"],
}


def _rows(path: Path) -> int:
    """Lines before the first data row: 1 for JSON/CSV header, 0 for Parquet."""
    return 0 if path.suffix.lower() == ".parquet" else 1


def _year_month(s: pd.Series, path: Path, header: int) -> tuple[np.ndarray, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.dt.year.to_numpy("int64"), s.dt.month.to_numpy("int64")
    parts = per_unique(
        s, lambda u: u.astype("string").str.strip().str.extract(MONTH_RE)
    )  # a file holds a few months: one regex per distinct value
    bad = parts[0].isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise SourceFormatError(
            path,
            f"time {s.iloc[i]!r} is not a month",
            row=i + 1 + header,
            column="time",
            expected="YYYY-MM",
        )
    return parts[0].astype(int).to_numpy(), parts[1].astype(int).to_numpy()


def _partners(df: pd.DataFrame, path: Path, header: int) -> pd.Series:
    if "CTY_CODE" in df.columns:
        codes = df["CTY_CODE"].astype("string").str.strip().str.upper()
        return map_codes(
            codes,
            CENSUS_TO_ISO3,
            path,
            "CTY_CODE",
            header_rows=header,
            expected="a Census Schedule C country code",
            hint="See https://www.census.gov/foreign-trade/schedules/c/countrycode.html.",
        )
    require_columns(df, ["CTY_CODE"] if "CTY_NAME" not in df.columns else ["CTY_NAME"], path)
    return map_codes(
        df["CTY_NAME"].astype("string").str.strip().str.upper(),
        CENSUS_NAMES,
        path,
        "CTY_NAME",
        header_rows=header,
        expected="a Census country name (or a CTY_CODE column)",
    )


def _product(df: pd.DataFrame, col: str, path: Path, header: int) -> tuple[pd.Series, np.ndarray]:
    codes = df[col].astype("string").str.strip()
    if "COMM_LVL" in df.columns:
        lvl_txt = per_unique(df["COMM_LVL"], lambda u: u.astype("string").str.extract(LEVEL_RE)[0])
        bad = lvl_txt.isna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise SourceFormatError(
                path,
                f"COMM_LVL {df['COMM_LVL'].iloc[i]!r} is not an HS level",
                row=i + 1 + header,
                column="COMM_LVL",
                expected="HS2, HS4, HS6, HS8 or HS10",
            )
        level = lvl_txt.astype(int).to_numpy()
    else:
        level = codes.str.len().fillna(0).to_numpy(dtype="int64")
    ok = (
        codes.str.fullmatch(r"\d+").fillna(False).to_numpy()
        & (codes.str.len() == level).fillna(False).to_numpy()
    )
    if not ok.all():
        i = int(np.argmax(~ok))
        raise SourceFormatError(
            path,
            f"commodity code {codes.iloc[i]!r} does not have {level[i]} digits",
            row=i + 1 + header,
            column=col,
            expected="a digit string as long as COMM_LVL says (leading zeros kept)",
        )
    return codes, level


def _period(df: pd.DataFrame, path: Path, header: int) -> tuple[str, np.ndarray, np.ndarray | None]:
    require_columns(df, ["time"], path, what="Census API")
    year, month = _year_month(df["time"], path, header)
    if any(c.endswith("_MO") for c in df.columns):
        return "MO", year, month
    not_dec = month != 12
    if not_dec.any():
        i = int(np.argmax(not_dec))
        raise SourceFormatError(
            path,
            f"year-to-date values through month {month[i]} are not annual values",
            row=i + 1 + header,
            column="time",
            expected="annual (_YR) rows at time YYYY-12, or monthly _MO columns",
        )
    return "YR", year, None


def read_census_api(path: Path, df: pd.DataFrame, source: str) -> pa.Table:
    """Census API columns → canonical rows (one set per value basis present)."""
    header = _rows(path)
    if "E_COMMODITY" in df.columns and "I_COMMODITY" not in df.columns:
        flow, comm = "export", "E_COMMODITY"
    else:
        flow, comm = "import", "I_COMMODITY"
        require_columns(df, [comm], path, what="Census API imports (E_COMMODITY for exports)")
    suffix, year, month = _period(df, path, header)
    partner = _partners(df, path, header)
    codes, level = _product(df, comm, path, header)
    national = "HTS" if flow == "import" else "SCHEDULE_B"
    classification = np.where(level > 6, national, "HS")
    years, at = np.unique(year, return_inverse=True)  # vintages per distinct year
    hs = np.array([hs_vintage(int(y)) for y in years], dtype=object)[at]
    hts = np.array([f"{national}{y}" for y in years], dtype=object)[at]
    vintage = np.where(level > 6, hts, hs)
    tables = []
    for basis, val, dut, qty in BASES[flow]:
        if f"{val}_{suffix}" not in df.columns:
            continue
        num: dict[str, np.ndarray] = {
            stem: to_number(df[f"{stem}_{suffix}"], path, f"{stem}_{suffix}", header_rows=header)
            for stem in (val, dut, qty)
            if stem is not None and f"{stem}_{suffix}" in df.columns
        }
        has_q = qty in num
        unit = df["UNIT_QY1"].astype("string") if has_q and "UNIT_QY1" in df.columns else None
        tables.append(
            flows_table(
                len(df),
                row=np.arange(len(df)) + 1 + header,
                source=source,
                reporter="USA",
                partner=partner,
                flow=flow,
                year=year,
                month=month,
                classification=classification,
                vintage=vintage,
                product_code=codes,
                product_level=level,
                value_usd=num[val],
                quantity=num.get(qty) if has_q else None,
                quantity_unit=unit,
                duties_usd=num.get(dut) if dut else None,
                value_basis=basis,
            )
        )
    if not tables:
        want = " or ".join(f"{b[1]}_MO/{b[1]}_YR" for b in BASES[flow])
        raise SourceFormatError(path, "no value column", column=want, expected=f"one of {want}")
    present = [c for c in df.columns if str(c).endswith(f"_{suffix}")]
    stems = {"value_usd": ("_VAL",), "duties_usd": ("CAL_DUT",), "quantity": ("_QY1", "QTY_1")}
    names = {
        canon: " or ".join(c for c in present if any(t in c for t in tags))
        for canon, tags in stems.items()
    }
    names.update(product_code=comm, year="time", month="time",
                 partner="CTY_CODE" if "CTY_CODE" in df.columns else "CTY_NAME")  # fmt: skip
    return name_columns(concat(tables), {k: v for k, v in names.items() if v})


def _frame(path: Path) -> pd.DataFrame:
    df = read_frame(path, dtype_str=True)
    if any(n is not None for n in df.index.names):
        df = df.reset_index()
    return df


@register
class Census(Source):
    """US Census international trade API, HS commodity by partner (imports and exports)."""

    name = "census"
    table = "trade_flows"
    title = "US Census international trade (HS/HTS by partner, monthly or annual)"
    homepage = "https://www.census.gov/data/developers/data-sets/international-trade.html"
    patterns = ("*.json", "*.parquet", "*.csv")

    def read(self, path: Path) -> pa.Table:
        return read_census_api(path, _frame(path), self.name)

    def version(self, path: Path) -> str | None:
        return "Census intltrade API"

    def download(
        self,
        dest: Path,
        *,
        years: Sequence[int] | None = None,
        client: httpx.Client,
        level: str = "HS6",
        flows: Sequence[str] = ("import", "export"),
    ) -> list[Path]:
        """Annual (December year-to-date) values for every partner, one JSON per flow and year."""
        dest.mkdir(parents=True, exist_ok=True)
        out = []
        for year in years or [date.today().year - 1]:
            for flow in flows:
                params = {
                    "get": ",".join(DOWNLOAD_FIELDS[flow]),
                    "time": f"{year}-12",
                    "COMM_LVL": level,
                }
                key = config.get("census_key")
                if key:
                    params["key"] = key
                target = dest / f"census-{flow}s-{level.lower()}-{year}.json"
                download_file(
                    client, ENDPOINTS[flow], target, params=params, expect="json", hints=HINTS
                )
                out.append(target)
        return out


@register
class CensusNaicsMonthly(Source):
    """tradewartracker's monthly US imports and calculated duties by NAICS3 and partner."""

    name = "census_naics_monthly"
    table = "trade_flows"
    title = "US Census imports for consumption and duties by NAICS3, monthly (top-30 partners)"
    homepage = "https://api.census.gov/data/timeseries/intltrade/imports/naics"
    patterns = ("*NAICS*.parquet",)

    def read(self, path: Path) -> pa.Table:
        df = _frame(path)
        require_columns(df, ["CTY_NAME", "NAICS", "time", "imports", "duty"], path)
        header = _rows(path)
        year, month = _year_month(df["time"], path, header)
        naics = df["NAICS"].astype("string").str.strip()
        _check_naics(naics, path, "NAICS", header, total="00")
        total = (naics == "00").to_numpy()
        return flows_table(
            len(df),
            row=np.arange(len(df)) + 1 + header,
            source=self.name,
            reporter="USA",
            partner=map_codes(
                df["CTY_NAME"].astype("string").str.strip().str.upper(),
                CENSUS_NAMES,
                path,
                "CTY_NAME",
                header_rows=header,
                expected="a Census country name",
            ),
            flow="import",
            year=year,
            month=month,
            classification="NAICS",
            vintage=None,
            product_code=np.where(total, "TOTAL", naics.to_numpy(dtype=object)),
            product_level=np.where(total, 0, 3),
            value_usd=to_number(df["imports"], path, "imports", header_rows=header),
            quantity=None,
            quantity_unit=None,
            duties_usd=to_number(df["duty"], path, "duty", header_rows=header),
            value_basis="customs_consumption",
        )


def _check_naics(codes: pd.Series, path: Path, column: str, header: int, total: str = "") -> None:
    # ``total`` "" admits empty cells, as the pattern r"\d{3}|" does
    require_pattern(
        codes, rf"\d{{3}}|{re.escape(total)}", path, column, label="NAICS code",
        kind="a 3-digit code", expected="a 3-digit NAICS code", header_rows=header,
    )  # fmt: skip


@register
class TradewarNaics(Source):
    """tradewar-tracker monthly US imports/exports by NAICS3: world total and China."""

    name = "tradewar_naics"
    table = "trade_flows"
    title = "US trade with the world and China by NAICS3, monthly 2015–2020 (tradewar-tracker)"
    homepage = "https://github.com/mwaugh0328/tradewar-tracker"
    patterns = ("*_by_naics.csv",)

    def read(self, path: Path) -> pa.Table:
        flow = _flow_from_name(path)
        df = read_frame(path, dtype_str=True)
        if "time" not in df.columns:
            return self._read_annual(path, df, flow)
        require_columns(df, ["time", "naics3", "total_trade", "china_trade"], path)
        year, month = _year_month(df["time"], path, 1)
        naics = df["naics3"].astype("string").str.strip()
        _check_naics(naics, path, "naics3", 1)
        parts = [
            self._part(
                len(df),
                partner,
                year,
                month,
                naics,
                to_number(df[col], path, col, allow_missing=False),
                flow,
            )
            for partner, col in (("WLD", "total_trade"), ("CHN", "china_trade"))
        ]
        return concat(parts)

    def _read_annual(self, path: Path, df: pd.DataFrame, flow: str) -> pa.Table:
        cols = [c for c in df.columns if re.fullmatch(r"\d{4}_china_trade", str(c))]
        require_columns(df, ["naics3", cols[0] if cols else "YYYY_china_trade"], path)
        naics = df["naics3"].astype("string").str.strip()
        _check_naics(naics, path, "naics3", 1)
        year = int(cols[0][:4])
        value = to_number(df[cols[0]], path, cols[0], allow_missing=False)
        return self._part(len(df), "CHN", year, None, naics, value, flow)

    def _part(
        self,
        n: int,
        partner: str,
        year: object,
        month: object,
        naics: pd.Series,
        value: np.ndarray,
        flow: str,
    ) -> pa.Table:
        return flows_table(
            n,
            row=np.arange(n) + 2,  # one header line
            source=self.name,
            reporter="USA",
            partner=partner,
            flow=flow,
            year=year,
            month=month,
            classification="NAICS",
            vintage=None,
            product_code=naics,
            product_level=3,
            value_usd=value,
            quantity=None,
            quantity_unit=None,
            duties_usd=None,
            value_basis="customs",
        )


def _flow_from_name(path: Path) -> str:
    name = path.name.lower()
    if "import" in name:
        return "import"
    if "export" in name:
        return "export"
    raise SourceFormatError(
        path,
        "cannot tell imports from exports",
        expected="a file name containing 'imports' or 'exports' (as in imports_by_naics.csv)",
    )
