"""UN Comtrade (Comtrade+ API v1 / bulk files): annual or monthly records by HS and partner.

Columns (API and bulk CSV; comtradr writes the same names in snake_case, e.g. in R ``.rds``):
``period``/``refYear``/``refMonth``, ``reporterISO``, ``partnerISO``, ``flowCode`` (M, X, RM, RX),
``classificationCode`` (H4 = HS2012, H5 = HS2017, H6 = HS2022 …), ``cmdCode`` (``TOTAL`` or the
HS code), ``aggrLevel`` (0 total, 2/4/6 digits), ``primaryValue`` (USD; CIF for imports, FOB for
exports), ``cifvalue``, ``fobvalue``, ``qty``/``qtyUnitAbbr``, ``netWgt`` (kg).

Also the USITC DataWeb export (``usitc_dataweb``): US imports for consumption by HTS number and
year, customs value in USD, one partner per file (the partner is not a column; it is taken from a
``Country`` column if present, else from the file name, e.g. ``us_taiwan_usitc.csv``).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa

from techties import config
from techties.countries import country_codes
from techties.errors import ConfigError, FetchError, SourceFormatError
from techties.sources._flows import flows_table, hs_vintage
from techties.sources.base import Source, register
from techties.sources.containers import (
    map_codes,
    name_columns,
    per_unique,
    read_frame,
    require_columns,
    to_number,
    to_year,
)
from techties.sources.countries import CENSUS_NAMES
from techties.sources.http import download_file

API_URL = "https://comtradeapi.un.org/data/v1/get/C/A/HS"
_KEY_HINT = "Set TECHTIES_COMTRADE_KEY to a valid key (free at comtradedeveloper.un.org)."
#: fixes for the API's refusals
HINTS = {
    401: _KEY_HINT,
    403: _KEY_HINT,
    429: "The Comtrade API limits requests per key; wait a minute and try again.",
}
HS_VINTAGES = {
    "H0": "HS1992",
    "H1": "HS1996",
    "H2": "HS2002",
    "H3": "HS2007",
    "H4": "HS2012",
    "H5": "HS2017",
    "H6": "HS2022",
}
FLOWS = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export"}
BASIS = {"import": "CIF", "re-import": "CIF", "export": "FOB", "re-export": "FOB"}
#: Comtrade area codes that are not ISO 3166 alpha-3
SPECIAL_AREAS = {"W00": "WLD", "EUR": "EUN", "S19": "S19", "_X": "_X", "X1": "X1"}
#: canonical column → Comtrade column, for the store's error messages
FILE_COLUMNS = {"reporter": "reporterISO", "partner": "partnerISO", "flow": "flowCode",
                "year": "period", "month": "period", "vintage": "classificationCode",
                "product_code": "cmdCode", "value_usd": "primaryValue", "quantity": "qty",
                "quantity_unit": "qtyUnitAbbr"}  # fmt: skip
REQUIRED = [
    "period",
    "reporterISO",
    "partnerISO",
    "flowCode",
    "classificationCode",
    "cmdCode",
    "primaryValue",
]


def _camel(name: str) -> str:
    """comtradr snake_case → Comtrade camelCase (``primary_value`` → ``primaryValue``)."""
    special = {
        "reporter_iso": "reporterISO",
        "partner_iso": "partnerISO",
        "partner2iso": "partner2ISO",
        "cifvalue": "cifvalue",
        "fobvalue": "fobvalue",
    }
    if name in special:
        return special[name]
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _frame(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():  # Comtrade CSVs end every line with a comma
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        df = read_frame(path, dtype_str=True, index_col=False)
    if "primary_value" in df.columns or "reporter_iso" in df.columns:
        df = df.rename(columns=_camel)
    if "period" not in df.columns and "refYear" in df.columns:
        df["period"] = df["refYear"]
    return df


def _iso(s: pd.Series, path: Path, column: str, header: int) -> pd.Series:
    codes = s.astype("string").str.strip().str.upper()
    # ISO 3166 alpha-3 codes (current and withdrawn, e.g. ANT) and Comtrade's own area codes;
    # any other code is refused with the nearest known ones (never stored as it is)
    valid = {c: c for c in country_codes()}
    return map_codes(
        codes,
        {**valid, **SPECIAL_AREAS},
        path,
        column,
        header_rows=header,
        expected="an ISO 3166 alpha-3 code or a Comtrade area code (W00 = world)",
    )


def _period(s: pd.Series, path: Path, header: int) -> tuple[np.ndarray, np.ndarray]:
    parts = per_unique(  # a file holds a few periods: one regex per distinct value
        s,
        lambda u: u.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        .str.extract(r"^(\d{4})(\d{2})?$"),
    )  # fmt: skip
    bad = parts[0].isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise SourceFormatError(
            path,
            f"period {s.iloc[i]!r} is not a year or month",
            row=i + 1 + header,
            column="period",
            expected="YYYY or YYYYMM",
        )
    month = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype="float64")
    return parts[0].astype(int).to_numpy(), month


def _products(df: pd.DataFrame, path: Path, header: int) -> tuple[pd.Series, np.ndarray]:
    codes = df["cmdCode"].astype("string").str.strip()
    total = (codes.str.upper() == "TOTAL").fillna(False).to_numpy()
    digits = codes.str.fullmatch(r"\d{2}|\d{4}|\d{6}").fillna(False).to_numpy()
    bad = ~(total | digits)
    if bad.any():
        i = int(np.argmax(bad))
        raise SourceFormatError(
            path,
            f"cmdCode {codes.iloc[i]!r} is not an HS code",
            row=i + 1 + header,
            column="cmdCode",
            expected="TOTAL or a 2/4/6-digit HS code with leading zeros",
        )
    level = np.where(total, 0, codes.str.len().fillna(0).to_numpy(dtype="int64"))
    return codes.where(~total, "TOTAL"), level


def _quantity(df: pd.DataFrame, path: Path, header: int) -> tuple[object, object]:
    """qty with its unit; unit ``N/A`` (code -1) means no quantity was reported."""
    if "qty" not in df.columns or "qtyUnitAbbr" not in df.columns:
        return None, None
    unit = df["qtyUnitAbbr"].astype("string").str.strip()
    none = (unit.isna() | unit.isin(["N/A", ""])).to_numpy()
    qty = to_number(df["qty"], path, "qty", header_rows=header)
    return np.where(none, np.nan, qty), unit.where(~none)


def read_comtrade(path: Path, df: pd.DataFrame, source: str, header: int) -> pa.Table:
    require_columns(df, REQUIRED, path, what="UN Comtrade")
    year, month = _period(df["period"], path, header)
    flow = map_codes(
        df["flowCode"].astype("string").str.strip(),
        FLOWS,
        path,
        "flowCode",
        header_rows=header,
        expected="M, X, RM or RX",
    )
    cls = df["classificationCode"].astype("string").str.strip().str.upper()
    vintage = map_codes(
        cls,
        HS_VINTAGES,
        path,
        "classificationCode",
        header_rows=header,
        expected="an HS classification code H0–H6",
    )
    codes, level = _products(df, path, header)
    qty, unit = _quantity(df, path, header)
    table = flows_table(
        len(df),
        row=np.arange(len(df)) + 1 + header,
        source=source,
        reporter=_iso(df["reporterISO"], path, "reporterISO", header),
        partner=_iso(df["partnerISO"], path, "partnerISO", header),
        flow=flow,
        year=year,
        month=month,
        classification="HS",
        vintage=vintage,
        product_code=codes,
        product_level=level,
        value_usd=to_number(
            df["primaryValue"], path, "primaryValue", header_rows=header, allow_missing=False
        ),
        quantity=qty,
        quantity_unit=unit,
        duties_usd=None,
        value_basis=flow.map(BASIS).astype("string"),
    )
    return name_columns(table, FILE_COLUMNS)


@register
class Comtrade(Source):
    """UN Comtrade records (API JSON, bulk CSV, or the same columns in Parquet/R/Stata)."""

    name = "comtrade"
    table = "trade_flows"
    title = "UN Comtrade merchandise trade by HS and partner"
    homepage = "https://comtradeplus.un.org/"
    patterns = ("*.json", "*.csv", "*.rds", "*.parquet", "*.gz")

    def read(self, path: Path) -> pa.Table:
        header = 0 if path.suffix.lower() in {".rds", ".parquet", ".rda", ".rdata"} else 1
        return read_comtrade(path, _frame(path), self.name, header)

    def version(self, path: Path) -> str | None:
        return "Comtrade+ v1"

    def download(
        self,
        dest: Path,
        *,
        years: Sequence[int] | None = None,
        client: httpx.Client,
        reporter: str = "842",
        partner: str = "156",
        flows: str = "M,X",
    ) -> list[Path]:
        """Annual HS records for one reporter/partner pair (M49 codes), one JSON per year."""
        key = config.get("comtrade_key")
        if not key:
            raise ConfigError(
                "A UN Comtrade subscription key is needed to download.",
                hint="Set TECHTIES_COMTRADE_KEY (free key at comtradedeveloper.un.org).",
            )
        if not years:
            raise ConfigError("Comtrade downloads need --years.", hint="e.g. --years 2018")
        dest.mkdir(parents=True, exist_ok=True)
        out = []
        for year in years:
            params = {
                "reporterCode": reporter,
                "partnerCode": partner,
                "period": str(year),
                "flowCode": flows,
                "cmdCode": "AG6",
                "includeDesc": "false",
                "subscription-key": key,
            }
            target = dest / f"comtrade-{reporter}-{partner}-{year}.json"
            download_file(
                client, API_URL, target, params=params, expect="json", verify=_check_answer,
                hints=HINTS,
            )  # fmt: skip
            out.append(target)
        return out


def _check_answer(path: Path) -> None:
    """Refuse an API answer without a ``data`` list (Comtrade reports some errors as JSON)."""
    doc = json.loads(path.read_bytes())
    if not (isinstance(doc, dict) and isinstance(doc.get("data"), list)):
        said = doc.get("error") or doc.get("message") if isinstance(doc, dict) else None
        raise FetchError(
            f"the Comtrade answer has no data list{f': {said}' if said else ''}",
            hint="Check the reporter/partner codes and --years, and TECHTIES_COMTRADE_KEY.",
        )


_NAME_HINTS = {name.lower().replace(" ", ""): iso for name, iso in CENSUS_NAMES.items()}


def _partner_from_name(path: Path) -> str:
    for word in re.split(r"[^a-z]+", path.stem.lower()):
        if word and word in _NAME_HINTS and word != "usa":
            return _NAME_HINTS[word]
    raise SourceFormatError(
        path,
        "cannot tell the partner country",
        column="Country",
        expected="a Country column or a country name in the file name (e.g. us_taiwan_usitc.csv)",
    )


@register
class UsitcDataweb(Source):
    """USITC DataWeb export: US imports for consumption (customs value) by HTS number and year."""

    name = "usitc_dataweb"
    table = "trade_flows"
    title = "USITC DataWeb US imports for consumption by HTS number"
    homepage = "https://dataweb.usitc.gov/"
    patterns = ("*usitc*.csv", "*dataweb*.csv")

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, dtype_str=True)
        require_columns(
            df, ["Data Type", "HTS Number", "Year", "Customs Value"], path, what="USITC DataWeb"
        )
        keep = ~df["Data Type"].astype("string").str.strip().str.startswith("Total").fillna(False)
        rows = np.flatnonzero(keep.to_numpy())
        df = df[keep.to_numpy()]
        codes = df["HTS Number"].astype("string").str.strip()
        ok = codes.str.fullmatch(r"\d{2}|\d{4}|\d{6}|\d{8}|\d{10}").fillna(False).to_numpy()
        if not ok.all():
            i = int(np.argmax(~ok))
            raise SourceFormatError(
                path,
                f"HTS Number {codes.iloc[i]!r} is not an HTS code",
                row=int(rows[i]) + 2,
                column="HTS Number",
                expected="2–10 digits with leading zeros",
            )
        year = to_year(
            df["Year"].reset_index(drop=True), path, "Year", first=1900, last=2100,
            expected="a year 1900–2100", header_rows=1,
        ).astype(int)  # fmt: skip
        value = to_number(
            df["Customs Value"].str.replace(",", "", regex=False),
            path,
            "Customs Value",
            allow_missing=False,
        )
        level = codes.str.len().to_numpy(dtype="int64")
        partner = (
            map_codes(
                df["Country"].astype("string").str.strip().str.upper(),
                CENSUS_NAMES,
                path,
                "Country",
                expected="a country name",
            )
            if "Country" in df.columns
            else _partner_from_name(path)
        )
        return flows_table(
            len(df),
            row=rows + 2,
            source=self.name,
            reporter="USA",
            partner=partner,
            flow="import",
            year=year,
            month=None,
            classification=np.where(level > 6, "HTS", "HS"),
            vintage=[
                hs_vintage(int(y)) if lv <= 6 else f"HTS{y}"
                for y, lv in zip(year, level, strict=True)
            ],
            product_code=codes,
            product_level=level,
            value_usd=value,
            quantity=None,
            quantity_unit=None,
            duties_usd=None,
            value_basis="customs_consumption",
        )
