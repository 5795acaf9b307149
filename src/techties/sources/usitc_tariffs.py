"""US MFN (column 1 general) rates by HTS8 line: USITC annual tariff database and HTS CSV exports.

Two official layouts are read into ``tariff_measures`` (imposer USA, target ALL, kind ``mfn``):

- the USITC annual tariff database (``tariff_database_YYYY.xlsx`` / ``.txt`` inside
  ``tariff_data_YYYY.zip``): one row per HTS8 with ``mfn_ad_val_rate`` (a fraction),
  ``mfn_specific_rate``, ``mfn_other_rate``, ``mfn_rate_type_code``, ``begin_effect_date`` and
  ``end_effective_date`` (2050-12-31 = open). ``rate_pct`` = 100 × ``mfn_ad_val_rate``;
  ``specific_rate`` is true when a specific/other component is present.
- the HTS CSV export (``hts_YYYY_revision_N_csv.csv``): "HTS Number" (dotted, 4–10 digits) and
  "General Rate of Duty" as text ("Free", "6.8%", "4.4¢/kg", "2.8¢/kg + 5%"). Rates are set on
  8-digit lines, or on 10-digit lines whose 8-digit parent has no line of its own (then the
  first 10-digit rate is used for the HTS8). The files carry no effective date: ``start_date``
  is 1 January of the edition year and the row stays open; a later edition supersedes it
  because the applied-tariff lookup takes the latest MFN row in force.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources._tariff_common import check_digit_codes, digits, pad_codes, to_table
from techties.sources.base import Source, register
from techties.sources.containers import read_frame, require_columns, to_number
from techties.sources.http import download_file, extract_member

#: official endpoint of the annual tariff database (one zip per year)
ANNUAL_URL = "https://www.usitc.gov/sites/default/files/tata/hts/tariff_data_{year}.zip"
HOMEPAGE = "https://www.usitc.gov/tariff_affairs/documents/tariff_data"
#: rate type codes of the annual database that are purely ad valorem or free
AD_VALOREM_CODES = {"0", "7"}
OPEN_END = pd.Timestamp("2050-12-31")
#: ad valorem fractions at or above this are placeholders, not rates (max real rate is 3.5)
PLACEHOLDER_FRACTION = 100.0
_HTS_CSV = re.compile(r"hts_(\d{4})_(?:revision|basic)_?([\w.]*)_csv", re.IGNORECASE)
_PCT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
#: a signed number, a percent glued to letters (1e400%) or a percent without a number (NaN%)
_MALFORMED_RATE = re.compile(r"(?<![\w.])-\s*\d|[A-Za-z]\d+(?:\.\d+)?\s*%|[^\d\s]\s*%|^\s*%")


@register
class UsitcTariffs(Source):
    """USITC annual tariff database / HTS CSV export → MFN rows of ``tariff_measures``."""

    name = "usitc_tariffs"
    table = "tariff_measures"
    title = "USITC Harmonized Tariff Schedule: MFN (general) rates by HTS8"
    homepage = HOMEPAGE
    patterns = ("tariff_database_*.xlsx", "tariff_database_*.txt", "hts_*_csv.csv")

    def version(self, path: Path) -> str | None:
        m = _HTS_CSV.search(path.name)
        if m:
            return f"HTS{m.group(1)} revision {m.group(2).replace('_', '.')}".strip()
        year = re.search(r"(\d{4})", path.name)
        return f"USITC tariff database {year.group(1)}" if year else None

    def read(self, path: Path) -> pa.Table:
        if _HTS_CSV.search(path.name) or _looks_like_hts_csv(path):
            return read_hts_export(path)
        return read_annual_database(path)

    def download(
        self, dest: Path, *, years: Sequence[int] | None = None, client: httpx.Client
    ) -> list[Path]:
        """Fetch ``tariff_data_YYYY.zip`` for each year (verified, then removed) and extract the
        database file by streaming."""
        import zipfile

        dest.mkdir(parents=True, exist_ok=True)
        out: list[Path] = []
        for year in years or [2017]:
            archive = dest / f"tariff_data_{year}.zip"
            download_file(
                client, ANNUAL_URL.format(year=year), archive, expect="zip", resume=True,
                hints={404: f"USITC publishes no annual tariff database for {year} at this URL."},
            )  # fmt: skip
            try:
                with zipfile.ZipFile(archive) as zf:
                    for member in zf.namelist():
                        if member.lower().startswith("tariff_database_"):
                            out.append(extract_member(zf, member, dest / Path(member).name))
            finally:
                archive.unlink(missing_ok=True)
        return out


def _looks_like_hts_csv(path: Path) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    with open(path, "rb") as fh:
        head = fh.read(200).decode("utf-8-sig", errors="replace")
    return head.lstrip().startswith('"HTS Number"') or head.startswith("HTS Number")


# -- annual tariff database ------------------------------------------------------------------
ANNUAL_COLUMNS = (
    "hts8",
    "mfn_text_rate",
    "mfn_rate_type_code",
    "mfn_ad_val_rate",
    "mfn_specific_rate",
    "mfn_other_rate",
    "begin_effect_date",
    "end_effective_date",
)


def read_annual_database(path: Path) -> pa.Table:
    """USITC annual tariff database (xlsx or pipe-delimited txt) → MFN rows."""
    # cells as written: a "NaN" or "inf" rate is not a number (pandas would read it as one)
    kw = {"sep": "|"} if path.suffix.lower() == ".txt" else {}
    df = read_frame(path, dtype_str=True, **kw)
    require_columns(df, ANNUAL_COLUMNS, path, what="USITC annual tariff database")
    codes = pad_codes(df["hts8"], 8)
    check_digit_codes(codes, path, "hts8", lengths=[8])
    adval, spec, other = (
        _rate_column(df, path, c)
        for c in ("mfn_ad_val_rate", "mfn_specific_rate", "mfn_other_rate")
    )
    rtype = df["mfn_rate_type_code"].astype("string").str.strip().fillna("")
    start = _dates(df["begin_effect_date"], path, "begin_effect_date")
    end = _dates(df["end_effective_date"], path, "end_effective_date")
    end = end.where(end < OPEN_END)
    year = re.search(r"(\d{4})", path.name)
    vintage = f"HTS{year.group(1)}" if year else "HTS"
    specific = (np.nan_to_num(spec) > 0) | (np.nan_to_num(other) > 0) | ~rtype.isin(
        AD_VALOREM_CODES
    ).to_numpy()
    out = pd.DataFrame(
        {
            "dataset": "usitc_tariff_database",
            "imposer": "USA",
            "target": "ALL",
            "product_code": codes.to_numpy(),
            "vintage": vintage,
            "measure": "MFN",
            "kind": "mfn",
            "program": "mfn",
            "rate_pct": _percent(adval),
            "specific_rate": specific,
            "rate_text": df["mfn_text_rate"].astype("string").to_numpy(),
            "start_date": start.to_numpy(),
            "end_date": end.to_numpy(),
            "legal_reference": f"HTSUS column 1 general rate (USITC tariff database {vintage[3:]})",
            "_row": np.arange(len(df)) + 2,  # one header line
        }
    )
    return to_table(out)


def _rate_column(df: pd.DataFrame, path: Path, column: str) -> np.ndarray:
    """A rate column as numbers; a negative rate is refused (the specific and other parts are
    not stored as values, so the store's sign check would never see them)."""
    values = to_number(df[column], path, column)
    neg = values < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise SourceFormatError(
            path, f"negative rate {df[column].iloc[i]!r} ({int(neg.sum()):,} rows)",
            row=i + 2, column=column, expected="a rate >= 0 (blank if none)",
        )  # fmt: skip
    return values


def _percent(fraction: np.ndarray) -> np.ndarray:
    """Fraction → percent; the database's placeholder 9999.999999 ("no ad valorem rate") → NaN."""
    pct = np.round(np.nan_to_num(fraction) * 100.0, 6)
    return np.where(fraction >= PLACEHOLDER_FRACTION, np.nan, pct)


def _dates(s: pd.Series, path: Path, column: str) -> pd.Series:
    with warnings.catch_warnings():  # a cell that is no date: refused below, not a warning
        warnings.simplefilter("ignore", UserWarning)
        out = pd.to_datetime(s, errors="coerce")
    bad = out.isna() & s.notna() & (s.astype("string").str.strip() != "")
    if bool(bad.any()):
        i = int(np.argmax(bad.to_numpy()))
        raise SourceFormatError(
            path, f"value {s.iloc[i]!r} is not a date", row=i + 2, column=column,
            expected="a date (YYYY-MM-DD)",
        )
    return out


# -- HTS CSV export --------------------------------------------------------------------------
HTS_COLUMNS = ("HTS Number", "General Rate of Duty")


def parse_general_rate(text: str) -> tuple[float | None, bool]:
    """General-rate text → (ad valorem percent, has a specific part).

    ``"Free"`` → (0, False); ``"6.8%"`` → (6.8, False); ``"4.4¢/kg"`` → (0, True);
    ``"2.8¢/kg + 5%"`` → (5, True); empty → (None, False). A signed number (``"-5%"``) or a
    percent glued to letters (``"1e400%"``) is not a rate: ValueError.
    """
    t = text.strip()
    if not t:
        return None, False
    if _MALFORMED_RATE.search(t):
        raise ValueError(t)
    if t.lower().startswith("free"):
        return 0.0, False
    pct = _PCT.search(t)
    rest = _PCT.sub("", t).replace("+", "").strip()
    specific = bool(re.search(r"\d", rest)) or "¢" in rest or "$" in rest
    return (float(pct.group(1)) if pct else 0.0), specific


def _refuse_repeated_lines(lines: pd.DataFrame, path: Path) -> None:
    """Each HTS number is one line of the schedule; a repeated one would make its rate depend
    on which copy comes first."""
    again = lines.code.duplicated(keep="first").to_numpy()
    if again.any():
        first = lines[again].iloc[0]
        n = int(again.sum())
        raise SourceFormatError(
            path, f"HTS number {first.code} appears more than once ({n:,} repeated line(s))",
            row=int(first.row), column="HTS Number", expected="each HTS number on one line",
        )  # fmt: skip


def _rates(lines: pd.DataFrame, path: Path) -> list[tuple[float | None, bool]]:
    out = []
    for text, row in zip(lines.rate, lines.row, strict=True):
        try:
            out.append(parse_general_rate(text))
        except ValueError:
            raise SourceFormatError(
                path, f"rate {text!r} is not a duty rate", row=int(row),
                column="General Rate of Duty",
                expected="Free, a percent such as 6.8%, or a specific rate such as 4.4¢/kg",
            ) from None  # fmt: skip
    return out


def read_hts_export(path: Path) -> pa.Table:
    """Official HTS CSV export → MFN rows at HTS8 (dated 1 January of the edition year)."""
    df = read_frame(path, dtype_str=True)
    require_columns(df, HTS_COLUMNS, path, what="USITC HTS CSV export")
    number = df["HTS Number"].fillna("").str.strip()
    rate = df["General Rate of Duty"].fillna("").str.strip()
    code = number.map(digits)
    has = code != ""
    check_digit_codes(code[has], path, "HTS Number", lengths=[4, 6, 8, 10],
                      rows=(np.flatnonzero(has.to_numpy()) + 2))
    lines = pd.DataFrame({"code": code, "rate": rate, "row": np.arange(len(df)) + 2})
    lines = lines[(lines.code.str.len() >= 8) & (lines.rate != "")]
    lines = lines[lines.code.str[:2].astype(int) < 98]  # chapters 98/99: special provisions
    lines["hts8"] = lines.code.str[:8]
    lines["level"] = lines.code.str.len()
    _refuse_repeated_lines(lines, path)
    # an 8-digit line wins; otherwise the first 10-digit line carrying a rate
    lines = lines.sort_values(["hts8", "level", "row"]).drop_duplicates("hts8")
    parsed = _rates(lines, path)
    m = _HTS_CSV.search(path.name)
    year = m.group(1) if m else "0000"
    rev = (m.group(2) if m else "").replace("_", ".")
    out = pd.DataFrame(
        {
            "dataset": "usitc_hts",
            "imposer": "USA",
            "target": "ALL",
            "product_code": lines.hts8.to_numpy(),
            "vintage": f"HTS{year}",
            "measure": "MFN",
            "kind": "mfn",
            "program": "mfn",
            "rate_pct": [p[0] for p in parsed],
            "specific_rate": [p[1] for p in parsed],
            "rate_text": lines.rate.to_numpy(),
            "start_date": pd.Timestamp(f"{year}-01-01"),
            "end_date": None,
            "legal_reference": f"HTSUS ({year} revision {rev}) column 1 general rate",
            "_row": lines.row.to_numpy(),
        }
    )
    return to_table(out)
