"""Trade in value added: WIOD domestic value added in bilateral exports, OECD TiVA indicators.

``wiod_dva``: a Stata file with one row per exporter × importer × year — ``exporter, importer,
year, gtrade, dva`` — where ``gtrade`` is gross exports and ``dva`` the domestic value added in
them, US$ million, computed from the WIOD 2016 release with the Stata ``icio`` command
(Borin–Mancini; ``icio, exporter(x) destination(all) return(dva)``). Each row becomes two
``indicators`` rows (``wiod:EXGR`` and ``wiod:DVA``, country = exporter, partner = importer).
Rows with exporter == importer are kept as published (``icio`` conventions); indicators drop them.

``oecd_tiva``: OECD TiVA data in the SDMX CSV layout of the OECD Data Explorer (``DATAFLOW,
MEASURE, REF_AREA, ACTIVITY, COUNTERPART_AREA, UNIT_MEASURE, FREQ, TIME_PERIOD, OBS_VALUE,
UNIT_MULT``), e.g. EXGR_FVA (foreign value added as % of gross exports, unit PT_EXGR). Indicator
code ``TIVA:{MEASURE}:{ACTIVITY}``; counterpart ``W`` (world) is stored as partner NULL. Values
are multiplied by 10**UNIT_MULT.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources._tech_common import INDICATOR_SCHEMA
from techties.sources.base import Source, register
from techties.sources.containers import (
    read_frame,
    require_columns,
    require_no_blanks,
    require_pattern,
    to_number,
    to_year,
)
from techties.sources.http import download_file

WIOD_COLUMNS = ("exporter", "importer", "year", "gtrade", "dva")
WIOD_UNIT = "USD million"
TIVA_COLUMNS = (
    "MEASURE",
    "REF_AREA",
    "ACTIVITY",
    "COUNTERPART_AREA",
    "UNIT_MEASURE",
    "TIME_PERIOD",
    "OBS_VALUE",
)
#: OECD TiVA units → reader-facing unit of the ``indicators`` table
TIVA_UNITS = {"PT_EXGR": "% of gross exports", "USD_EXC": "USD million", "PT": "%"}
TIVA_NAMES = {
    "EXGR_FVA": "Foreign value added, % of gross exports",
    "EXGR_DVA": "Domestic value added, % of gross exports",
}
#: areas ISO3 does not cover: world counterpart → NULL partner
TIVA_WORLD = ("W", "WLD", "W0")
TIVA_API = "https://sdmx.oecd.org/public/rest/data/OECD.STI.PIE,DSD_TIVA_MAINSH@DF_MAINSH,1.1"


def _frame(rows: dict[str, object], n: int) -> pa.Table:
    cols = {k: (v if isinstance(v, (pd.Series, np.ndarray)) else [v] * n) for k, v in rows.items()}
    df = pd.DataFrame(
        {k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in cols.items()}
    )
    return pa.Table.from_pandas(
        df[INDICATOR_SCHEMA.names], schema=INDICATOR_SCHEMA, preserve_index=False
    )


def _iso3_codes(s: pd.Series, path: Path, column: str, *, allow: Sequence[str] = ()) -> pd.Series:
    text = s.astype("string").str.strip()
    require_no_blanks(text, path, column)
    return require_pattern(
        text, "|".join([r"[A-Z]{3}", *map(re.escape, allow)]), path, column, label="code",
        kind="an ISO 3166 alpha-3 code", expected="three capital letters (e.g. CHN, ROW)",
    )  # fmt: skip


def read_wiod_dva(path: Path) -> pa.Table:
    """WIOD ``icio`` gross exports and domestic value added → two ``indicators`` rows each."""
    df = read_frame(path)
    require_columns(df, WIOD_COLUMNS, path, what="WIOD icio DVA (exporter, importer, year, …)")
    if df.empty:
        raise SourceFormatError(path, "no data rows", expected="exporter × importer × year rows")
    exporter = _iso3_codes(df["exporter"], path, "exporter")
    importer = _iso3_codes(df["importer"], path, "importer")
    year = to_year(
        df["year"], path, "year", first=1990, last=2030, expected="a WIOD year (2000–2014)"
    )
    gross = to_number(df["gtrade"], path, "gtrade")
    dva = to_number(df["dva"], path, "dva")
    over = dva > gross * (1 + 1e-9) + 1e-9
    if over.any():
        i = int(np.argmax(over))
        raise SourceFormatError(
            path, f"domestic value added {dva[i]:,.3f} exceeds gross exports {gross[i]:,.3f}",
            row=i + 2, column="dva", expected="dva ≤ gtrade",
        )  # fmt: skip
    n = len(df)
    common = {
        "source": "wiod_dva", "unit": WIOD_UNIT, "country": exporter, "country_label": exporter,
        "partner": importer, "partner_label": importer, "year": year.astype("int16"),
        "flag": None,
    }  # fmt: skip
    return pa.concat_tables(
        [
            _frame(
                {
                    **common,
                    "indicator": "wiod:EXGR",
                    "value": gross,
                    "name": "Gross exports (WIOD 2016, icio)",
                },
                n,
            ),
            _frame(
                {
                    **common,
                    "indicator": "wiod:DVA",
                    "value": dva,
                    "name": "Domestic value added in gross exports (WIOD 2016, icio, Borin–Mancini)",
                },
                n,
            ),
        ]
    )


def read_tiva(path: Path) -> pa.Table:
    """OECD TiVA SDMX CSV → ``indicators`` rows (``TIVA:MEASURE:ACTIVITY``)."""
    df = read_frame(path, dtype_str=True)
    require_columns(df, TIVA_COLUMNS, path, what="OECD SDMX CSV (TiVA)")
    if df.empty:
        raise SourceFormatError(path, "no data rows", expected="one row per observation")
    area = _iso3_codes(df["REF_AREA"], path, "REF_AREA")
    counter = _iso3_codes(df["COUNTERPART_AREA"], path, "COUNTERPART_AREA", allow=TIVA_WORLD)
    for col in ("MEASURE", "ACTIVITY", "UNIT_MEASURE"):
        require_no_blanks(df[col], path, col)
    unit_code = df["UNIT_MEASURE"].str.strip()
    unknown = ~unit_code.isin(list(TIVA_UNITS))
    if unknown.any():
        i = int(np.argmax(unknown.to_numpy()))
        raise SourceFormatError(
            path, f"unit {unit_code.iloc[i]!r} is not known", row=i + 2, column="UNIT_MEASURE",
            expected=f"one of {', '.join(TIVA_UNITS)}",
            hint="Add the unit to techties.sources.gvc.TIVA_UNITS.",
        )  # fmt: skip
    year = to_number(df["TIME_PERIOD"], path, "TIME_PERIOD", allow_missing=False)
    value = to_number(df["OBS_VALUE"], path, "OBS_VALUE")
    mult = (
        to_number(df["UNIT_MULT"], path, "UNIT_MULT", allow_missing=False)
        if "UNIT_MULT" in df
        else np.zeros(len(df))
    )
    measure, activity = df["MEASURE"].str.strip(), df["ACTIVITY"].str.strip()
    partner = counter.where(~counter.isin(list(TIVA_WORLD)), None)
    return _frame(
        {
            "source": "oecd_tiva",
            "indicator": "TIVA:" + measure + ":" + activity,
            "name": measure.map(lambda m: TIVA_NAMES.get(m, m)) + " (" + activity + ")",
            "unit": unit_code.map(TIVA_UNITS),
            "country": area, "country_label": area, "partner": partner,
            "partner_label": counter, "year": year.astype("int16"),
            "value": value * 10.0**mult, "flag": None,
        },
        len(df),
    )  # fmt: skip


@register
class WiodDva(Source):
    """WIOD 2016 gross exports and domestic value added (Stata ``icio`` output), US$ million."""

    name = "wiod_dva"
    table = "indicators"
    title = "WIOD 2016 domestic value added in bilateral exports (icio)"
    homepage = "https://www.rug.nl/ggdc/valuechain/wiod/wiod-2016-release"
    patterns = ("dva_gtrade*.dta", "*dva*.dta")

    def read(self, path: Path) -> pa.Table:
        return read_wiod_dva(path)

    def version(self, path: Path) -> str | None:
        return "WIOD 2016 release, icio (Borin–Mancini) DVA"


@register
class OecdTiva(Source):
    """OECD Trade in Value Added (TiVA 2025), SDMX CSV from the OECD Data Explorer."""

    name = "oecd_tiva"
    table = "indicators"
    title = "OECD Trade in Value Added (TiVA), main indicators"
    homepage = "https://data-explorer.oecd.org/"
    patterns = ("*tiva*.csv",)

    def read(self, path: Path) -> pa.Table:
        return read_tiva(path)

    def version(self, path: Path) -> str | None:
        head = path.read_text("utf-8", errors="replace").splitlines()[1:2]
        return head[0].split(",")[0] if head else None

    def download(
        self,
        dest: Path,
        *,
        years: Sequence[int] | None = None,
        client: httpx.Client,
        measure: str = "EXGR_FVA",
        activity: str = "C26_27",
    ) -> list[Path]:
        """EXGR_FVA for all economies, electronics (C26_27), partner World, from the SDMX API."""
        params = {"format": "csv", "dimensionAtObservation": "AllDimensions"}
        if years:
            params |= {"startPeriod": str(min(years)), "endPeriod": str(max(years))}
        url = f"{TIVA_API}/{measure}..{activity}.W.PT_EXGR.A"
        out = dest / f"oecd_tiva_{measure.lower()}_{activity.lower()}.csv"
        # read_tiva refuses a body that is not the SDMX CSV layout before it replaces ``out``
        return [download_file(client, url, out, params=params, expect="csv", verify=read_tiva)]
