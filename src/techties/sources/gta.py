"""US tariff actions 2015–2025 coded from Global Trade Alert (``us_tariff_data/measures.csv``).

One row of the file is one intervention: HS scope (``hs_scope_1``/``hs_scope_2``: ``"hs6: …"``,
``"hs8: …"`` or ``"all"``), partner names, start/end dates, ``effect`` (adjust | override),
``rate_type`` (adval | specific | exemption), ``rate_value`` (fraction) and ``program``.
Each becomes rows of ``tariff_measures`` (imposer USA, one per product code × partner):

- ``adjust``/``adval`` → kind ``additional``, ``rate_pct`` = 100 × ``rate_value``;
- ``adjust``/``specific`` → kind ``additional`` with ``rate_pct`` null, ``specific_rate`` true
  and the per-unit value in ``rate_text`` (USD per ``unit``);
- ``exemption`` → kind ``exclusion`` (removes the same program's duties when exclusions apply);
- ``override`` (a replacement applied rate, e.g. MFN cuts) is not an additional duty and is not
  stored; a :class:`~techties.errors.DataWarning` gives the count.

Measures are named from the program and act title: ``232_steel``, ``232_aluminum`` (``…_derivatives``
for the 2021/2025 derivative programmes), ``ieepa_reciprocal`` (the 2025 "liberation day"
tariffs), ``301_gta`` (Section 301 as coded by GTA; dataset ``gta_section_301`` so it is not
added on top of the USITC list table by default), else ``gta_<id>``. Scope ``all`` is stored as
the empty product code (level 0), which matches every product. End dates are inclusive.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pycountry

from techties.errors import DataWarning, SourceFormatError, UnknownCodeError
from techties.sources._tariff_common import to_table
from techties.sources.base import Source, register
from techties.sources.containers import read_frame, require_columns, to_number

HOMEPAGE = "https://www.globaltradealert.org/"
COLUMNS = ("id", "gta_intervention_url", "gta_act_title", "hs_scope_1", "hs_scope_2",
           "hs_revision", "partners", "start_date", "end_date", "effect", "rate_type",
           "rate_value", "unit", "program")  # fmt: skip
#: GTA partner names that pycountry does not resolve
GTA_NAMES = {
    "Antigua & Barbuda": "ATG", "Bosnia & Herzegovina": "BIH", "Cape Verde": "CPV",
    "Chinese Taipei": "TWN", "Falkland Islands": "FLK", "Ivory Coast": "CIV",
    "Macedonia": "MKD", "Republic of Korea": "KOR", "Russia": "RUS", "Saint Helena": "SHN",
    "Saint Kitts & Nevis": "KNA", "State of Palestine": "PSE", "Trinidad & Tobago": "TTO",
    "Turkiye": "TUR", "Turks & Caicos Islands": "TCA",
}  # fmt: skip
_SCOPE = re.compile(r"^\s*(hs6|hs8)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)


@register
class GlobalTradeAlert(Source):
    """GTA-coded US tariff interventions → ``tariff_measures``."""

    name = "gta"
    table = "tariff_measures"
    title = "US tariff actions 2015–2025 coded from Global Trade Alert (sjhardwick/us_tariff_data)"
    homepage = HOMEPAGE
    patterns = ("measures.csv",)

    def version(self, path: Path) -> str | None:
        return "GTA-coded US tariff measures (us_tariff_data)"

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, dtype_str=True)
        require_columns(df, COLUMNS, path, what="GTA measures")
        df = df.replace({"NA": None, "": None})  # R writes missing values as NA
        iso = _partner_map(df["partners"], path)
        rate = to_number(df["rate_value"], path, "rate_value")
        override = (df["effect"].str.strip() == "override").to_numpy()
        if override.any():
            warnings.warn(
                f"{path.name}: {int(override.sum())} 'override' intervention(s) not stored "
                "(replacement applied rates, not additional duties)",
                DataWarning,
                stacklevel=2,
            )
        frames = [
            _expand(df.iloc[i], i + 2, rate[i], iso, path)
            for i in range(len(df))
            if not override[i]
        ]
        return to_table(pd.concat(frames, ignore_index=True))


def _partner_map(partners: pd.Series, path: Path) -> dict[str, str]:
    names = [p.strip() for x in partners.dropna() for p in x.split(",") if p.strip()]
    out: dict[str, str] = {}
    unknown: dict[str, int] = {}
    for n in names:
        code = GTA_NAMES.get(n)
        if code is None:
            try:
                code = pycountry.countries.lookup(n).alpha_3
            except LookupError:
                unknown[n] = unknown.get(n, 0) + 1
                continue
        out[n] = code
    if unknown:
        raise UnknownCodeError(path, "partners", unknown, expected="a country name GTA uses")
    return out


def _scope(row: pd.Series, line: int, path: Path) -> list[str]:
    codes: list[str] = []
    for col in ("hs_scope_1", "hs_scope_2"):
        text = row[col]
        if pd.isna(text) or not str(text).strip():
            continue
        if str(text).strip().lower() == "all":
            codes.append("")
            continue
        m = _SCOPE.match(str(text))
        if not m:
            raise SourceFormatError(
                path, f"scope {str(text)[:30]!r} is not 'hs6: …', 'hs8: …' or 'all'",
                row=line, column=col, expected="a list of HS6 or HTS8 codes",
            )
        width = int(m.group(1)[2])
        items = [c.strip() for c in m.group(2).split(",") if c.strip()]
        bad = [c for c in items if not c.isdigit() or len(c) > width]
        if bad:
            raise SourceFormatError(
                path, f"code {bad[0]!r} is not a {width}-digit code", row=line, column=col,
                expected=f"{width}-digit codes separated by commas",
            )
        codes += [c.zfill(width) for c in items]
    return sorted(set(codes))


def _measure(row: pd.Series) -> tuple[str, str, str]:
    """(measure, program, dataset) from the GTA program and act title."""
    program = "" if pd.isna(row["program"]) else str(row["program"])
    title = str(row["gta_act_title"]).lower()
    exempt = str(row["rate_type"]).strip() == "exemption"
    if program.startswith("section_232"):
        metal = "aluminum" if "alumin" in title and "steel" not in title else "steel"
        derived = "_derivatives" if program.endswith("_2") else ""
        name = f"232_{metal}{derived}"
        # GTA codes one exemption under both programmes (e.g. Ukrainian steel, 103599): the
        # derivatives' exemption keeps its own name, so the two are not one row twice
        return (f"232_exclusion{derived}" if exempt else name), "section_232", "gta"
    if program == "section_301":
        return ("301_exclusion" if exempt else "301_gta"), "section_301", "gta_section_301"
    if program == "liberation_day":
        return ("ieepa_exemption" if exempt else "ieepa_reciprocal"), "ieepa", "gta"
    return f"gta_{row['id']}", f"gta_{row['id']}", "gta"


def _expand(
    row: pd.Series, line: int, rate: float, iso: dict[str, str], path: Path
) -> pd.DataFrame:
    codes = _scope(row, line, path)
    partners = sorted({iso[p.strip()] for p in str(row["partners"]).split(",") if p.strip()})
    measure, program, dataset = _measure(row)
    rtype = str(row["rate_type"]).strip()
    kind = "exclusion" if rtype == "exemption" else "additional"
    specific = rtype == "specific"
    pct = np.nan if specific else round(rate * 100.0, 6)
    text = (f"{rate:g} USD/{row['unit']}" if specific
            else ("excluded" if kind == "exclusion" else f"+{pct:g}%"))
    revision = "" if pd.isna(row["hs_revision"]) else str(row["hs_revision"])
    grid = pd.MultiIndex.from_product([codes, partners], names=["product_code", "target"])
    frame = grid.to_frame(index=False)
    vintage = np.where(frame["product_code"].str.len() == 8, revision.replace("HS", "HTS"),
                       revision)
    return frame.assign(
        dataset=dataset, imposer="USA", vintage=vintage, measure=measure, kind=kind,
        program=program, rate_pct=pct, specific_rate=specific, rate_text=text,
        start_date=pd.Timestamp(row["start_date"]),
        end_date=pd.Timestamp(row["end_date"]) if pd.notna(row["end_date"]) else None,
        legal_reference=f"{row['gta_act_title']} ({row['gta_intervention_url']})",
        _row=line,
    )
