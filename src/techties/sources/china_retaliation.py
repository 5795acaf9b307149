"""China's tariffs on US goods (retaliation) and its MFN schedule, 2018–2019, by product.

Three staged layouts are read into ``tariff_measures`` (imposer CHN):

- Bown–Jung–Zhang (PIIE, 12 June 2019) data file, sheet "China Tariff Rates" (dataset
  ``bjz_2019``): one row per Chinese 10-digit line with the MFN rate on 2018-01-01 and the
  **change** at each later date. The changes are split into tracks and cumulated:
  MFN (2018-01-01, 05-01, 07-01, 11-01, 2019-01-01; target ALL),
  ``retaliation_232`` (2018-04-02), ``retaliation_301_34b`` (07-06), ``retaliation_301_16b``
  (08-23), ``retaliation_301_60b`` (09-24, raised on 2019-06-01). The 2019-01-01 suspension
  (a negative change, autos and parts) is taken off the 301 tracks, latest list first.
  Each track becomes one row per period of constant rate (end dates inclusive); zero-rate
  retaliation periods are not stored.
- Bown (2021) ``301Retaliation-hts8-2018&2019-best.dta`` (dataset ``bown_2021_retaliation``):
  HS8 lines with the cumulative 301 retaliation **level** in force at five dates →
  ``retaliation_301`` periods.
- MOFCOM / Customs Tariff Commission annex of 1 April 2018 (``P020180401856022545193.xlsx``,
  dataset ``mofcom_232_2018``): 128 HS8 lines with the 15 % / 25 % retaliation against the US
  Section 232 tariffs, in force from 2018-04-02.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources._tariff_common import check_digit_codes, read_sheet_raw, to_table
from techties.sources.base import Source, register
from techties.sources.containers import read_frame, require_columns, require_pattern, to_number

HOMEPAGE = "http://gss.mof.gov.cn/zhengwuxinxi/zhengcefabu/"
CTC = "Customs Tariff Commission of the State Council"
REF_232 = f"{CTC} announcement [2018] No. 13 (retaliation against US Section 232), eff. 2018-04-02"
REF_301 = {
    "retaliation_301_34b": f"{CTC} announcement [2018] No. 5 ($34 bn list), eff. 2018-07-06",
    "retaliation_301_16b": f"{CTC} announcement [2018] No. 7 ($16 bn list), eff. 2018-08-23",
    "retaliation_301_60b": f"{CTC} announcement [2018] No. 8 ($60 bn list), eff. 2018-09-24",
}
REF_SUSPEND = f"{CTC} announcement [2018] No. 10 (autos and parts suspended from 2019-01-01)"
REF_RAISE = f"{CTC} announcement [2019] No. 3 ($60 bn list raised), eff. 2019-06-01"
REF_MFN = (
    "China MFN tariff schedule (ITC Market Access Map 2018; MOF changes 2018-05-01, "
    "2018-07-01, 2018-11-01, 2019 temporary rates) as compiled by Bown, Jung & Zhang (2019)"
)

#: column position in "China Tariff Rates" → date of the change
BJZ_DATES = (
    "2018-01-01", "2018-04-02", "2018-05-01", "2018-07-01", "2018-07-06", "2018-08-23",
    "2018-09-24", "2018-11-01", "2019-01-01", "2019-01-01", "2019-06-01",
)  # fmt: skip
#: the header text each change column must start with (checked, so a moved column fails loudly)
BJZ_HEADERS = (
    "January 1, 2018", "April 2, 2018", "May 1, 2018", "July 1, 2018", "July 6, 2018",
    "August 23, 2018", "September 24, 2018", "November 1, 2018", "January 1, 2019",
    "January 1, 2019", "June 1, 2019",
)  # fmt: skip


@register
class ChinaRetaliation(Source):
    """China's retaliation lists and MFN changes 2018–2019 → ``tariff_measures``."""

    name = "china_retaliation"
    table = "tariff_measures"
    title = "China's tariffs on US goods: retaliation lists and MFN changes (2018–2019)"
    homepage = HOMEPAGE
    patterns = ("bown-jung-zhang-*.xlsx", "301Retaliation-hts8-*.dta", "P020180401856022545193.xlsx")

    def version(self, path: Path) -> str | None:
        if path.suffix.lower() == ".dta":
            return "Bown (2021) China 301 retaliation HS8"
        if path.name.startswith("P0201804"):
            return "MOFCOM annex 2018-04-01 (232 retaliation list)"
        return "Bown, Jung & Zhang (PIIE) 2019-06-12"

    def read(self, path: Path) -> pa.Table:
        if path.suffix.lower() == ".dta":
            return read_bown_retaliation(path)
        if _is_bjz(path):
            return read_bjz(path)
        return read_mofcom_232(path)


def _is_bjz(path: Path) -> bool:
    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            return "China Tariff Rates" in book.sheet_names
    except Exception:  # not an Excel workbook: let the specific reader report the format
        return False


# -- building dated periods from levels ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Track:
    """One measure's rate levels on a product panel: ``levels[i, j]`` in force from ``dates[j]``."""

    measure: str
    program: str
    target: str
    dates: tuple[str, ...]
    references: tuple[str, ...]
    keep_zero: bool = False


def periods(codes: np.ndarray, levels: np.ndarray, track: Track) -> pd.DataFrame:
    """Levels at breakpoints → one row per product and period of constant rate.

    A period runs from its breakpoint to the day before the next change of level (inclusive end);
    the last is open. Zero-rate periods are dropped unless ``track.keep_zero``; NaN levels are kept
    as rows with an unknown rate only for MFN.
    """
    n, k = levels.shape
    long = pd.DataFrame(
        {
            "product_code": np.repeat(codes, k),
            "j": np.tile(np.arange(k), n),
            "rate_pct": np.round(levels.reshape(-1), 6),
        }
    )
    prev = long.groupby("product_code", sort=False)["rate_pct"].shift()
    first = long["j"] == 0
    changed = first | ~((prev == long.rate_pct) | (prev.isna() & long.rate_pct.isna()))
    long = long[changed].copy()
    nxt = long.groupby("product_code", sort=False)["j"].shift(-1)
    dates = pd.to_datetime(pd.Series(track.dates))
    long["start_date"] = dates.iloc[long["j"].to_numpy()].to_numpy()
    end_idx = nxt.to_numpy()
    has_end = ~np.isnan(end_idx)
    ends = np.full(len(long), np.datetime64("NaT"), dtype="datetime64[ns]")
    ends[has_end] = (dates.iloc[end_idx[has_end].astype(int)] - pd.Timedelta(days=1)).to_numpy()
    long["end_date"] = ends
    long["legal_reference"] = np.asarray(track.references, dtype=object)[long["j"].to_numpy()]
    if not track.keep_zero:
        long = long[long.rate_pct.fillna(0) != 0]
    long = long[long["start_date"] <= long["end_date"].fillna(pd.Timestamp.max)]
    return long.drop(columns="j").assign(
        measure=track.measure, program=track.program, target=track.target
    )


def _finish(frame: pd.DataFrame, dataset: str, vintage: str) -> pa.Table:
    kind = np.where(frame["measure"] == "MFN", "mfn", "additional")
    sign = np.where(kind == "mfn", "", "+")
    rate_text = [
        "" if pd.isna(r) else f"{s}{r:g}%" for s, r in zip(sign, frame["rate_pct"], strict=True)
    ]
    out = frame.assign(
        dataset=dataset, imposer="CHN", vintage=vintage, kind=kind, rate_text=rate_text
    )
    return to_table(out)


# -- Bown, Jung & Zhang 2019 -----------------------------------------------------------------
def read_bjz(path: Path) -> pa.Table:
    """"China Tariff Rates" sheet: MFN + retaliation tracks at the Chinese 10-digit level."""
    df = read_frame(path, sheet="China Tariff Rates", dtype_str=True)
    require_columns(df, ["hs10"], path, what="China Tariff Rates sheet")
    cols = list(df.columns[2:13])
    for col, head in zip(cols, BJZ_HEADERS, strict=False):
        if not str(col).startswith(head):
            raise SourceFormatError(
                path, f"column header {str(col)[:40]!r}", column=str(col)[:40],
                expected=f"a column starting with {head!r} (the PIIE layout)",
            )
    if len(cols) != len(BJZ_HEADERS):
        raise SourceFormatError(path, f"{len(cols)} rate columns", expected="11 rate columns")
    codes = require_pattern(
        df["hs10"].astype("string").str.strip(), r"\d{10}[A-Z]?", path, "hs10", label="code",
        kind="a 10-digit tariff line", expected="10 digits (optionally a letter suffix)",
    )  # fmt: skip
    ch = np.column_stack(
        [to_number(df[c], path, str(c)[:40]) for c in cols]
    )  # changes; NaN = not reported
    frame = pd.concat(_bjz_tracks(codes.to_numpy(), ch), ignore_index=True)
    return _finish(frame, "bjz_2019", "CN2018")


def _bjz_tracks(codes: np.ndarray, ch: np.ndarray) -> list[pd.DataFrame]:
    d = BJZ_DATES
    mfn_cols = [0, 2, 3, 7, 8]
    mfn_levels = np.cumsum(ch[:, mfn_cols], axis=1)  # NaN base → NaN throughout
    mfn = Track("MFN", "mfn", "ALL", tuple(d[i] for i in mfn_cols), (REF_MFN,) * 5, keep_zero=True)
    z = np.nan_to_num(ch)
    r34, r16, r60 = z[:, 4], z[:, 5], z[:, 6]
    cut = np.maximum(-z[:, 9], 0.0)  # suspension on 2019-01-01, taken latest list first
    cut60 = np.minimum(r60, cut)
    cut16 = np.minimum(r16, cut - cut60)
    cut34 = np.minimum(r34, cut - cut60 - cut16)
    raise60 = z[:, 10]
    t232 = Track("retaliation_232", "retaliation", "USA", (d[1],), (REF_232,))
    t34 = Track("retaliation_301_34b", "retaliation", "USA", (d[4], d[8]),
                (REF_301["retaliation_301_34b"], REF_SUSPEND))
    t16 = Track("retaliation_301_16b", "retaliation", "USA", (d[5], d[8]),
                (REF_301["retaliation_301_16b"], REF_SUSPEND))
    t60 = Track("retaliation_301_60b", "retaliation", "USA", (d[6], d[8], d[10]),
                (REF_301["retaliation_301_60b"], REF_SUSPEND, REF_RAISE))
    return [
        periods(codes, mfn_levels, mfn),
        periods(codes, z[:, [1]], t232),
        periods(codes, np.column_stack([r34, r34 - cut34]), t34),
        periods(codes, np.column_stack([r16, r16 - cut16]), t16),
        periods(codes, np.column_stack([r60, r60 - cut60, r60 - cut60 + raise60]), t60),
    ]


# -- Bown 2021 HS8 retaliation levels ----------------------------------------------------------
BOWN_LEVELS = {
    "reta_2018Jul06": ("2018-07-06", REF_301["retaliation_301_34b"]),
    "reta_2018Aug23": ("2018-08-23", REF_301["retaliation_301_16b"]),
    "reta_2018Sep24": ("2018-09-24", REF_301["retaliation_301_60b"]),
    "reta_2019Jan01": ("2019-01-01", REF_SUSPEND),
    "reta_2019Jun01": ("2019-06-01", REF_RAISE),
}


def read_bown_retaliation(path: Path) -> pa.Table:
    """HS8 cumulative 301-retaliation levels at five dates → ``retaliation_301`` periods."""
    df = read_frame(path)
    require_columns(df, ["hs08", *BOWN_LEVELS], path, what="Bown 301 retaliation")
    codes = df["hs08"].astype("string").str.strip()
    check_digit_codes(codes, path, "hs08", lengths=[8])
    levels = np.column_stack(
        [np.nan_to_num(to_number(df[c], path, c)) for c in BOWN_LEVELS]
    )
    track = Track(
        "retaliation_301", "retaliation", "USA",
        tuple(v[0] for v in BOWN_LEVELS.values()), tuple(v[1] for v in BOWN_LEVELS.values()),
    )
    return _finish(periods(codes.to_numpy(), levels, track), "bown_2021_retaliation", "CN2018")


# -- MOFCOM 1 April 2018 annex (232 retaliation) ------------------------------------------------
MOFCOM_HEADER = ("序号", "税则号列", "商品名称", "加征关税税率(%)")


def read_mofcom_232(path: Path) -> pa.Table:
    """The 128-line list against US Section 232 (HS8, +15 % or +25 % from 2018-04-02)."""
    raw = read_sheet_raw(path)
    first = raw.iloc[:, 0].astype("string").str.strip()
    hits = np.flatnonzero((first == MOFCOM_HEADER[0]).fillna(False).to_numpy())
    if len(hits) == 0 or raw.shape[1] < 4:
        raise SourceFormatError(
            path, "no header row starting with '序号'",
            expected=f"the MOFCOM annex layout with columns {list(MOFCOM_HEADER)}",
        )
    h = int(hits[0])
    body = raw.iloc[h + 1 :, :4].dropna(how="all")
    rows = body.index.to_numpy() + 1
    codes = body.iloc[:, 1].astype("string").str.strip()
    check_digit_codes(codes, path, "税则号列", lengths=[8], rows=rows)
    rate = to_number(body.iloc[:, 3], path, "加征关税税率(%)", header_rows=h + 1, allow_missing=False)
    frame = pd.DataFrame(
        {
            "product_code": codes.to_numpy(),
            "rate_pct": rate,
            "start_date": pd.Timestamp("2018-04-02"),
            "end_date": pd.NaT,
            "legal_reference": REF_232,
            "measure": "retaliation_232",
            "program": "retaliation",
            "target": "USA",
        }
    )
    return _finish(frame, "mofcom_232_2018", "CN2018")


# -- 2017 import weights from the same workbook -------------------------------------------------
@register
class BjzImports(Source):
    """Sheet "Imports Value" of the Bown–Jung–Zhang workbook → ``trade_flows`` (weights).

    China's 2017 imports from the US by HS8, thousand USD in the file (ITC Trade Map, China as
    reporter: CIF); stored in USD.
    """

    name = "bjz_imports"
    table = "trade_flows"
    title = "China's 2017 imports from the US by HS8 (ITC Trade Map, via Bown-Jung-Zhang 2019)"
    homepage = "https://www.piie.com/blogs/trade-and-investment-policy-watch"
    patterns = ("bown-jung-zhang-*.xlsx",)

    def version(self, path: Path) -> str | None:
        return "Bown, Jung & Zhang (PIIE) 2019-06-12, Imports Value"

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, sheet="Imports Value", dtype_str=True)
        value_col = "2017 China's Imports from US (000USD)"
        require_columns(df, ["hs08", value_col], path, what="Imports Value sheet")
        codes = df["hs08"].astype("string").str.strip()
        check_digit_codes(codes, path, "hs08", lengths=[8])
        value = to_number(df[value_col], path, value_col) * 1000.0
        n = len(df)
        out = pd.DataFrame(
            {
                "source": "bjz_2019",
                "reporter": "CHN",
                "partner": "USA",
                "flow": "import",
                "year": np.full(n, 2017, dtype="int16"),
                "month": pd.array([None] * n, dtype="Int8"),
                "classification": "HS",
                "vintage": "CN2017",
                "product_code": codes.to_numpy(),
                "product_level": np.full(n, 8, dtype="int8"),
                "value_usd": value,
                "quantity": np.nan,
                "quantity_unit": None,
                "duties_usd": np.nan,
                "value_basis": "CIF",
            }
        )
        return pa.Table.from_pandas(out, preserve_index=False)
