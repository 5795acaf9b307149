"""US Section 301 tariffs on products of China: list membership → dated additional duties.

Two staged layouts are read into ``tariff_measures`` (imposer USA, target CHN, kind
``additional``, program ``section_301``):

- the USITC "China Tariffs" reference table (``China-Tariffs.xlsx``, an Excel export of the PDF;
  dataset ``usitc_china_tariffs``): HTS8 (or HTS10) subheading → chapter-99 heading. Excel turned
  about 375 dotted codes into dates ("4202-12-21 00:00:00" for 4202.12.21); they are restored.
  Repeated header lines inside the table are skipped.
- the USTR Federal Register annex lists extracted to R (``tariff_list.rdata``, dataset
  ``ustr_301_lists``): five data frames ``df_list_34b`` (List 1), ``df_list_16b`` (List 2),
  ``df_list_200b`` (List 3), ``df_list_300b_a`` (List 4A), ``df_list_300b_c`` (List 4B). Lines of
  chapter 99 copied from the annex text (e.g. 9903.88.01 itself) are dropped with a
  :class:`~techties.errors.DataWarning` giving their count.

Each heading maps to a rate schedule in :data:`SCHEDULES` (one row per rate period, end dates
inclusive): List 3 is +10 % from 2018-09-24 to 2019-05-09 and +25 % from 2019-05-10; List 4A is
+15 % from 2019-09-01 to 2020-02-13 and +7.5 % from 2020-02-14 (Phase One); List 4B (+15 %,
scheduled for 2019-12-15) is kept with status ``suspended``. Product exclusions are not in these
files (see the ``gta`` source for coded exclusions).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import DataWarning, SourceFormatError
from techties.sources._tariff_common import (
    check_digit_codes,
    digits,
    read_sheet_raw,
    restore_excel_code,
    to_table,
)
from techties.sources.base import Source, register
from techties.sources.containers import require_columns

HOMEPAGE = "https://ustr.gov/issue-areas/enforcement/section-301-investigations/tariff-actions"


@dataclass(frozen=True, slots=True)
class RatePeriod:
    rate_pct: float
    start: str
    end: str | None
    reference: str
    status: str = "in_force"


#: chapter-99 heading → (measure, rate periods). Federal Register notices of the USTR actions.
SCHEDULES: dict[str, tuple[str, tuple[RatePeriod, ...]]] = {
    "9903.88.01": (
        "301_list1",
        (RatePeriod(25.0, "2018-07-06", None, "9903.88.01; 83 FR 28710 (20 Jun 2018)"),),
    ),
    "9903.88.02": (
        "301_list2",
        (RatePeriod(25.0, "2018-08-23", None, "9903.88.02; 83 FR 40823 (16 Aug 2018)"),),
    ),
    "9903.88.03": (
        "301_list3",
        (
            RatePeriod(10.0, "2018-09-24", "2019-05-09", "9903.88.03; 83 FR 47974 (21 Sep 2018)"),
            RatePeriod(25.0, "2019-05-10", None, "9903.88.03; 84 FR 20459 (9 May 2019)"),
        ),
    ),
    "9903.88.04": (
        "301_list3",
        (
            RatePeriod(10.0, "2018-09-24", "2019-05-09", "9903.88.04; 83 FR 47974 (21 Sep 2018)"),
            RatePeriod(25.0, "2019-05-10", None, "9903.88.04; 84 FR 20459 (9 May 2019)"),
        ),
    ),
    "9903.88.15": (
        "301_list4a",
        (
            RatePeriod(15.0, "2019-09-01", "2020-02-13", "9903.88.15; 84 FR 45821 (30 Aug 2019)"),
            RatePeriod(7.5, "2020-02-14", None, "9903.88.15; 85 FR 3741 (22 Jan 2020, Phase One)"),
        ),
    ),
    "9903.88.16": (
        "301_list4b",
        (
            RatePeriod(
                15.0,
                "2019-12-15",
                None,
                "9903.88.16; suspended by 84 FR 69447 (18 Dec 2019)",
                status="suspended",
            ),
        ),
    ),
}
#: R data frame names of the USTR annex lists → chapter-99 heading
RDATA_LISTS = {
    "df_list_34b": "9903.88.01",
    "df_list_16b": "9903.88.02",
    "df_list_200b": "9903.88.03",
    "df_list_300b_a": "9903.88.15",
    "df_list_300b_c": "9903.88.16",
}
_CODE = re.compile(r"^\d{4}\.\d{2}\.\d{2}(\d{2}|\.\d{2})?$")
_HEADER = re.compile(r"^Harmonized Tariff Schedule", re.IGNORECASE)


@register
class Section301(Source):
    """USITC China Tariffs table / USTR annex lists → Section 301 rows of ``tariff_measures``."""

    name = "section301"
    table = "tariff_measures"
    title = "US Section 301 tariffs on products of China (lists 1, 2, 3, 4A, 4B)"
    homepage = HOMEPAGE
    patterns = ("China-Tariffs*.xlsx", "tariff_list*.rdata")

    def version(self, path: Path) -> str | None:
        if path.suffix.lower() in {".rdata", ".rda"}:
            return "USTR annex lists (Federal Register)"
        return "USITC China Tariffs table"

    def read(self, path: Path) -> pa.Table:
        if path.suffix.lower() in {".rdata", ".rda"}:
            return read_ustr_lists(path)
        return read_usitc_china_tariffs(path)


def expand_schedule(members: pd.DataFrame, dataset: str) -> pa.Table:
    """(product_code, heading[, row]) pairs → one row per product and rate period (ordered by
    heading, then period, then the members' order)."""
    frame = members.assign(_order=np.arange(len(members))).merge(_PERIODS, on="heading")
    frame = frame.sort_values(["heading", "period", "_order"], kind="stable")
    out = pd.DataFrame(
        {
            "dataset": dataset,
            "imposer": "USA",
            "target": "CHN",
            "product_code": frame["product_code"].to_numpy(),
            "vintage": "HTS2018",
            "measure": frame["measure"].to_numpy(),
            "kind": "additional",
            "program": "section_301",
            "rate_pct": frame["rate_pct"].to_numpy(),
            "rate_text": frame["rate_text"].to_numpy(),
            "start_date": frame["start_date"].to_numpy(),
            "end_date": frame["end_date"].to_numpy(),
            "status": frame["status"].to_numpy(),
            "legal_reference": frame["legal_reference"].to_numpy(),
            "_row": frame["row"].to_numpy(),
        }
    )
    return to_table(out)


#: SCHEDULES as one table: heading, period number and the period's measure, rate and dates
_PERIODS = pd.DataFrame(
    [
        (heading, k, measure, p.rate_pct, f"+{p.rate_pct:g}%", pd.Timestamp(p.start),
         pd.Timestamp(p.end) if p.end else pd.NaT, p.status, p.reference)
        for heading, (measure, periods) in SCHEDULES.items()
        for k, p in enumerate(periods)
    ],
    columns=["heading", "period", "measure", "rate_pct", "rate_text", "start_date", "end_date",
             "status", "legal_reference"],
)  # fmt: skip


def read_usitc_china_tariffs(path: Path) -> pa.Table:
    """USITC "China Tariffs" table (HTS subheading → chapter-99 heading)."""
    raw = read_sheet_raw(path)
    if raw.shape[1] < 2:
        raise SourceFormatError(
            path, f"table has {raw.shape[1]} column(s)", expected="2 columns (subheading, heading)"
        )
    code = raw[0].fillna("").astype(str).map(restore_excel_code)
    heading = raw[1].fillna("").astype(str).str.strip()
    start = _first_header(code, path)
    rows = np.arange(len(raw)) + 1  # 1-based spreadsheet rows
    body = pd.DataFrame({"code": code, "heading": heading, "row": rows}).iloc[start + 1 :]
    note = (body.heading == "") & ~body.code.str.match(r"^\d")  # explanatory text lines
    body = body[~body.code.str.match(_HEADER) & (body.code != "") & ~note]
    bad = ~body.code.str.match(_CODE)
    if bool(bad.any()):
        r = body[bad].iloc[0]
        raise SourceFormatError(
            path, f"cell {r.code!r} is not an HTS subheading", row=int(r.row), column="A",
            expected="an 8- or 10-digit HTS code such as 0101.21.00 or 9403.70.8002",
        )
    unknown = ~body.heading.isin(SCHEDULES)
    if bool(unknown.any()):
        r = body[unknown].iloc[0]
        counts = body[unknown].heading.value_counts().to_dict()
        raise SourceFormatError(
            path, f"unknown chapter-99 heading(s) {counts}", row=int(r.row), column="B",
            expected=f"one of {sorted(SCHEDULES)}",
        )
    members = pd.DataFrame(
        {
            "product_code": body.code.map(digits).to_numpy(),
            "heading": body.heading.to_numpy(),
            "row": body.row.to_numpy(),  # spreadsheet row
        }
    )
    return expand_schedule(members, "usitc_china_tariffs")


def _first_header(code: pd.Series, path: Path) -> int:
    hits = np.flatnonzero(code.str.match(_HEADER).to_numpy())
    if len(hits) == 0:
        raise SourceFormatError(
            path, "no header line 'Harmonized Tariff Schedule 8-digit Subheading'",
            expected="the USITC China Tariffs table layout",
        )
    return int(hits[0])


def read_ustr_lists(path: Path) -> pa.Table:
    """``tariff_list.rdata``: one logical flag + ``hs8`` data frame per list."""
    import pyreadr

    try:
        frames = pyreadr.read_r(str(path))
    except Exception as exc:  # pyreadr raises its own error types for broken files
        raise SourceFormatError(path, f"cannot read R data: {exc}", expected="an .rdata file") from exc
    missing = [k for k in RDATA_LISTS if k not in frames]
    if missing:
        raise SourceFormatError(
            path, f"missing data frame {missing[0]!r}", expected=f"data frames {list(RDATA_LISTS)}"
        )
    parts = []
    dropped = 0
    for name, heading in RDATA_LISTS.items():
        df = frames[name]
        require_columns(df, ["hs8"], path, what=f"{name} data frame")
        codes = df["hs8"].astype("string").str.strip()
        flag = df.drop(columns="hs8").iloc[:, 0].astype(bool) if df.shape[1] > 1 else True
        codes = codes[flag] if not isinstance(flag, bool) else codes
        check_digit_codes(codes.reset_index(drop=True), path, f"{name}.hs8", lengths=[8])
        ch99 = codes.str.startswith("99")
        dropped += int(ch99.sum())
        keep = codes[~ch99]
        # row = position in the R data frame (1-based), the nearest thing to a file row
        parts.append(pd.DataFrame({"product_code": keep.to_numpy(), "heading": heading,
                                   "row": np.asarray(keep.index) + 1}))  # fmt: skip
    if dropped:
        warnings.warn(
            f"{path.name}: dropped {dropped} chapter-99 line(s) copied from the annex text "
            "(the 9903.88 headings themselves, not products)",
            DataWarning,
            stacklevel=2,
        )
    members = pd.concat(parts, ignore_index=True).drop_duplicates(["product_code", "heading"])
    return expand_schedule(members, "ustr_301_lists")
