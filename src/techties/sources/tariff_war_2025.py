"""The 2025–2026 tariff war as time series: US effective tariffs by partner, China's on US goods.

Two staged files become ``model_inputs`` arrays (CATALOG-trade §4):

* ``country-by-time.csv`` (trade-war-redux tracker, M. Waugh; an *estimate* computed by the
  tracker's tariff engine on 2024 Census weights): date, country_name (51 partners, Census
  spellings, ``EUROPEAN UNION`` as one partner), effective tariff (%), total imports (2024, USD),
  2024 tariff (%). Dataset ``us_tariffs_2025``: ``dates`` (ISO dates, text), ``partners``
  (ISO3; ``EUN`` for the EU), ``partner_names``, ``effective_tariff[date, partner]`` (percent),
  ``tariff_2024[partner]`` (percent), ``imports_2024[partner]`` (USD).
* ``C156_C840.csv`` (WTO Tariff & Trade Data: China's applied rate on US goods by HS6 incl.
  additional duties, on 9 dates 2025-01-01 … 2026-05-01): dataset ``chn_tariffs_on_usa_2025``:
  ``dates``, ``hs6``, ``rate[hs6, date]`` (percent; NaN where a line has no rate on a date),
  ``imports[hs6]`` (China's imports from the US in the portal's reference year, USD; the file
  repeats them on every date and has 0 on 2026-05-01, so the largest value per line is kept).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources._arrays import array_rows, concat, text_rows
from techties.sources.base import Source, register
from techties.sources.containers import read_frame, require_columns, to_number
from techties.sources.countries import CENSUS_NAMES

US_DATASET = "us_tariffs_2025"
CHN_DATASET = "chn_tariffs_on_usa_2025"
#: tracker spellings missing from the Census name table
EXTRA_NAMES = {
    "ALGERIA": "DZA", "ANGOLA": "AGO", "ARGENTINA": "ARG", "BANGLADESH": "BGD",
    "CAMBODIA": "KHM", "COSTA RICA": "CRI", "DOMINICAN REPUBLIC": "DOM", "ECUADOR": "ECU",
    "EGYPT": "EGY", "EL SALVADOR": "SLV", "GUATEMALA": "GTM", "HONDURAS": "HND", "IRAQ": "IRQ",
    "KUWAIT": "KWT", "NEW ZEALAND": "NZL", "NICARAGUA": "NIC", "NIGERIA": "NGA", "NORWAY": "NOR",
    "PAKISTAN": "PAK", "PERU": "PER", "SLOVAKIA": "SVK", "SOUTH AFRICA": "ZAF",
    "SRI LANKA": "LKA", "TRINIDAD AND TOBAGO": "TTO", "UNITED ARAB EMIRATES": "ARE",
}  # fmt: skip


def partner_code(name: str) -> str | None:
    """ISO3 (or ``EUN``) of a tracker partner name, None if unknown."""
    key = name.strip().upper()
    return CENSUS_NAMES.get(key) or EXTRA_NAMES.get(key)


@register
class TariffWar2025(Source):
    """US effective tariffs by partner (tracker) and China's HS6 rates on US goods (WTO TTD)."""

    name = "tariff_war_2025"
    table = "model_inputs"
    title = "2025-2026 tariff war: US effective tariff by partner and date; China's HS6 rates on US goods"
    homepage = "https://github.com/tradewartracker/trade-war-redux-2025"
    patterns = ("country-by-time.csv", "C156_C840.csv")

    def version(self, path: Path) -> str | None:
        return "tracker 2026-07" if path.name == "country-by-time.csv" else "WTO TTD 2026-06"

    def read(self, path: Path) -> pa.Table:
        if path.name == "country-by-time.csv":
            return _read_tracker(path)
        if path.name == "C156_C840.csv":
            return _read_ttd(path)
        raise SourceFormatError(path, "not a file of the 2025 tariff-war series",
                                expected="country-by-time.csv or C156_C840.csv")  # fmt: skip


def _read_tracker(path: Path) -> pa.Table:
    df = read_frame(path, dtype_str=True)
    cols = ("date", "country_name", "effective tariff", "total imports", "2024 tariff")
    require_columns(df, cols, path)
    names = df["country_name"].str.strip().str.upper()
    unknown = sorted({n for n in names if partner_code(n) is None})
    if unknown:
        raise SourceFormatError(path, f"unknown partner name(s) {', '.join(unknown)}",
                                column="country_name", expected="Census country names")  # fmt: skip
    rate = to_number(df["effective tariff"], path, "effective tariff")
    imports = to_number(df["total imports"], path, "total imports")
    t24 = to_number(df["2024 tariff"], path, "2024 tariff")
    frame = pd.DataFrame({"date": pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d"),
                          "name": names, "rate": rate, "imports": imports, "t24": t24})  # fmt: skip
    if frame.duplicated(["date", "name"]).any():
        raise SourceFormatError(path, "a (date, country_name) pair appears twice",
                                expected="one row per date and partner")  # fmt: skip
    partners = list(dict.fromkeys(frame["name"]))
    wide = frame.pivot(index="date", columns="name", values="rate").reindex(columns=partners)
    if wide.isna().any().any():
        raise SourceFormatError(path, "the panel is not balanced (a partner lacks a date)",
                                expected="every partner on every date")  # fmt: skip
    first = frame.drop_duplicates("name").set_index("name").reindex(partners)
    return concat([
        text_rows(path, US_DATASET, "dates", list(wide.index)),
        text_rows(path, US_DATASET, "partners", [partner_code(p) or p for p in partners]),
        text_rows(path, US_DATASET, "partner_names", partners),
        array_rows(path, US_DATASET, "effective_tariff", wide.to_numpy(dtype=float), unit="percent"),
        array_rows(path, US_DATASET, "tariff_2024", first["t24"].to_numpy(dtype=float), unit="percent"),
        array_rows(path, US_DATASET, "imports_2024", first["imports"].to_numpy(dtype=float), unit="USD"),
    ])  # fmt: skip


def _read_ttd(path: Path) -> pa.Table:
    df = read_frame(path, dtype_str=True)
    require_columns(df, ("reporter_iso", "partner_iso", "year_dt", "hs_code", "best_avlbl",
                         "imports"), path)  # fmt: skip
    pairs = set(zip(df["reporter_iso"], df["partner_iso"], strict=True))
    if pairs != {("CHN", "USA")}:
        raise SourceFormatError(path, f"reporter/partner {sorted(pairs)}",
                                expected="China (CHN) on the United States (USA) only")  # fmt: skip
    frame = pd.DataFrame({
        "date": pd.to_datetime(df["year_dt"]).dt.strftime("%Y-%m-%d"),
        "hs6": df["hs_code"].str.strip().str.zfill(6),
        "rate": to_number(df["best_avlbl"], path, "best_avlbl"),
        "imports": to_number(df["imports"], path, "imports"),
    })  # fmt: skip
    if frame.duplicated(["date", "hs6"]).any():
        raise SourceFormatError(path, "an (HS6, date) pair appears twice",
                                expected="one rate per line and date")  # fmt: skip
    wide = frame.pivot(index="hs6", columns="date", values="rate").sort_index()
    imports = frame.groupby("hs6")["imports"].max().reindex(wide.index).fillna(0.0)
    return concat([
        text_rows(path, CHN_DATASET, "dates", list(wide.columns)),
        text_rows(path, CHN_DATASET, "hs6", list(wide.index)),
        array_rows(path, CHN_DATASET, "rate", wide.to_numpy(dtype=float), unit="percent",
                   missing_ok=True),
        array_rows(path, CHN_DATASET, "imports", imports.to_numpy(dtype=float), unit="USD"),
    ])  # fmt: skip


__all__ = ["CHN_DATASET", "US_DATASET", "TariffWar2025", "partner_code"]
