"""World Bank World Development Indicators → ``indicators`` (source ``wdi``).

Three layouts are read:

- the API JSON ``[{page, pages, total, …}, [{indicator: {id, value}, country: {id, value},
  countryiso3code, date, value, …}, …]]`` (what :meth:`WDI.download` saves);
- the long CSV of the datasets/world-development-indicators package (``Country Name,
  Country Code, Year, Value``; the indicator code, title and licence come from the
  ``datapackage.json`` beside it, or from the folder name);
- the bulk wide CSV (``Country Name, Country Code, Indicator Name, Indicator Code, 1960, …``).

Country codes are ISO3 for economies and World Bank codes for aggregates (WLD, EAS, HIC …);
aggregates are kept (filter them when summing). Units are the parenthesised part of the
indicator title, e.g. ``current US$``. Missing values are dropped only when the source itself
has no value (empty cell / JSON null): WDI publishes no flags for them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import FetchError, SourceFormatError
from techties.sources._tech_common import INDICATOR_SCHEMA
from techties.sources.base import Source, register
from techties.sources.containers import (
    read_frame,
    require_columns,
    to_number,
    to_year,
    unique_keys,
)
from techties.sources.http import fetch_json, write_atomic

API = "https://api.worldbank.org/v2/country/all/indicator/{code}"

#: Indicators techties uses by default (CATALOG-tech.md §6).
DEFAULT_INDICATORS = (
    "TX.VAL.TECH.CD",
    "TX.VAL.TECH.MF.ZS",
    "TX.MNF.TECH.ZS.UN",
    "NV.MNF.TECH.ZS.UN",
    "BM.GSR.ROYL.CD",
    "BX.GSR.ROYL.CD",
    "GB.XPD.RSDV.GD.ZS",
    "SP.POP.SCIE.RD.P6",
    "SP.POP.TECH.RD.P6",
    "IP.PAT.RESD",
    "IP.PAT.NRES",
    "IP.JRN.ARTC.SC",
    "SE.TER.ENRR",
    "NY.GDP.MKTP.CD",
    "NY.GDP.PCAP.CD",
    "NY.GDP.MKTP.KD.ZG",
    "NE.EXP.GNFS.ZS",
    "NE.IMP.GNFS.ZS",
    "TG.VAL.TOTL.GD.ZS",
    "TX.VAL.MRCH.CD.WT",
    "TM.VAL.MRCH.CD.WT",
    "BX.KLT.DINV.CD.WD",
)


def unit_of(title: str) -> str:
    """``'High-technology exports (current US$)'`` → ``'current US$'``."""
    m = re.search(r"\(([^()]*)\)\s*$", title)
    return m.group(1) if m else ""


def _frame(df: pd.DataFrame, code: str, title: str) -> pa.Table:
    out = pd.DataFrame(
        {
            "source": "wdi",
            "indicator": code.upper(),
            "name": title,
            "unit": unit_of(title),
            "country": df["country"].astype("string"),
            "country_label": df["label"].astype("string"),
            "partner": None,
            "partner_label": None,
            "year": df["year"].astype("int16"),
            "value": df["value"].astype(float),
            "flag": None,
            "_row": df["row"].astype("int64"),  # file row (JSON: observation number)
        }
    )
    schema = INDICATOR_SCHEMA.append(pa.field("_row", pa.int64()))
    return pa.Table.from_pandas(out[schema.names], schema=schema, preserve_index=False)


def _years(s: pd.Series, path: Path, column: str) -> np.ndarray:
    return to_year(s, path, column, first=1900, last=2100, expected="a year 1900–2100").astype(int)


def _read_api_json(path: Path, payload: Any) -> pa.Table:
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[1], list)):
        msg = (
            payload[0].get("message")
            if isinstance(payload, list) and payload and isinstance(payload[0], dict)
            else None
        )
        raise SourceFormatError(
            path,
            f"not a WDI API answer{f': {msg}' if msg else ''}",
            expected="[metadata, [observations…]]",
        )
    rows = []
    for i, obs in enumerate(payload[1], start=1):
        try:
            code, title = obs["indicator"]["id"], obs["indicator"]["value"]
            country = obs.get("countryiso3code") or obs["country"]["id"]
            rows.append(
                (code, title, country, obs["country"]["value"], int(obs["date"]), obs["value"], i)
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceFormatError(
                path,
                f"observation {i} lacks {exc}",
                row=i,
                column=str(exc).strip("'"),
                expected="indicator, country, date, value",
            ) from exc
    df = pd.DataFrame(rows, columns=["code", "title", "country", "label", "year", "value", "row"])
    if df.empty:
        raise SourceFormatError(path, "the answer holds no observations", expected="data")
    raw = [r[5] for r in rows]  # as parsed: pandas would turn null into NaN
    bad = pd.Series(  # JSON NaN / Infinity tokens and true/false are not values
        [
            v is not None
            and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v))
            for v in raw
        ],
        dtype=bool,
    )
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise SourceFormatError(
            path,
            f"value {raw[i]!r} is not a number",
            row=i + 1,
            column="value",
            expected="a number or null",
        )
    df = df[df["value"].notna()]
    tables = [_frame(g, str(code), str(g["title"].iloc[0])) for code, g in df.groupby("code")]
    return pa.concat_tables(tables)


def _datapackage(path: Path) -> tuple[str, str]:
    pkg = path.parent / "datapackage.json"
    code, title = path.parent.name, path.parent.name
    if pkg.exists():
        meta = json.loads(pkg.read_text("utf-8"))
        code = str(meta.get("name") or code)
        title = str(meta.get("title") or title)
    return code, title


@register
class WDI(Source):
    """World Bank WDI indicators (API JSON, long CSV with datapackage.json, bulk wide CSV)."""

    name = "wdi"
    table = "indicators"
    title = "World Bank World Development Indicators"
    homepage = "https://data.worldbank.org/indicator"
    patterns = ("*/data.csv", "*.json", "WDICSV.csv")

    def read(self, path: Path) -> pa.Table:
        if path.suffix.lower() == ".json":
            try:
                payload = json.loads(path.read_text("utf-8"), object_pairs_hook=unique_keys(path))
            except json.JSONDecodeError as exc:
                raise SourceFormatError(
                    path, f"not valid JSON: {exc.msg}", row=exc.lineno, expected="the WDI API JSON"
                ) from exc
            return _read_api_json(path, payload)
        df = read_frame(path, dtype_str=True)
        if "Indicator Code" in df.columns:
            return self._wide(path, df)
        require_columns(
            df, ["Country Name", "Country Code", "Year", "Value"], path, what="WDI long CSV"
        )
        code, title = _datapackage(path)
        values = to_number(df["Value"], path, "Value")
        frame = pd.DataFrame(
            {
                "country": df["Country Code"],
                "label": df["Country Name"],
                "year": _years(df["Year"], path, "Year"),
                "value": values,
                "row": np.arange(len(df)) + 2,  # one header line
            }
        )
        return _frame(frame[frame["value"].notna()], code, title)

    def _wide(self, path: Path, df: pd.DataFrame) -> pa.Table:
        require_columns(
            df, ["Country Name", "Country Code", "Indicator Name"], path, what="WDI bulk CSV"
        )
        ycols = [c for c in df.columns if re.fullmatch(r"\d{4}", str(c))]
        df = df.assign(_line=np.arange(len(df)) + 2)  # file row of each country line
        long = df.melt(
            id_vars=["Country Name", "Country Code", "Indicator Name", "Indicator Code", "_line"],
            value_vars=ycols,
            var_name="year",
        )
        long["value"] = to_number(long["value"], path, "value")
        long = long[long["value"].notna()]
        tables = []
        for code, g in long.groupby("Indicator Code"):
            frame = pd.DataFrame(
                {
                    "country": g["Country Code"],
                    "label": g["Country Name"],
                    "year": g["year"].astype(int),
                    "value": g["value"],
                    "row": g["_line"],
                }
            )
            tables.append(_frame(frame, str(code), str(g["Indicator Name"].iloc[0])))
        return pa.concat_tables(tables)

    def version(self, path: Path) -> str | None:
        return _datapackage(path)[0].upper() if path.name == "data.csv" else path.stem

    def download(
        self,
        dest: Path,
        *,
        years: Sequence[int] | None = None,
        client: httpx.Client,
        indicators: Sequence[str] = DEFAULT_INDICATORS,
    ) -> list[Path]:
        """Fetch each indicator from the API (all pages) into ``dest/wdi_<CODE>.json``."""
        dest.mkdir(parents=True, exist_ok=True)
        out = []
        for code in indicators:
            params = {"format": "json", "per_page": "20000"}
            if years:
                params["date"] = f"{min(years)}:{max(years)}"
            meta: dict[str, Any] = {}
            rows: list[Any] = []
            page, pages = 1, 1
            while page <= pages:
                payload = fetch_json(
                    client, API.format(code=code), params={**params, "page": str(page)}
                )
                if not (isinstance(payload, list) and len(payload) == 2):
                    raise FetchError(
                        f"World Bank API error for {code}: {str(payload)[:200]}",
                        hint="Check the indicator code.",
                    )
                meta, pages = payload[0], int(payload[0].get("pages") or 1)
                rows.extend(payload[1] or [])
                page += 1
            path = dest / f"wdi_{code}.json"
            write_atomic(path, json.dumps([meta, rows]).encode("utf-8"))
            out.append(path)
        return out
