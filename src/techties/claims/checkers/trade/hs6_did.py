"""Claim 12, test B: a difference-in-differences of China's share of US imports between
Section 301-listed and unlisted technology products (HS6, heading-clustered bootstrap)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from techties.claims.base import Missing, require_table
from techties.claims.checkers._evidence import ids
from techties.claims.checkers.trade._common import (
    DEP_CONTRA_PP,
    DEP_SUPPORT_PP,
    LEVEL,
    LOAD_FLOWS,
)
from techties.claims.checkers.trade.shares import _missing_test
from techties.claims.rules import Test, Threshold
from techties.errors import NoDataError
from techties.indicators.concordance import load_groups
from techties.indicators.decoupling import exposure_flags
from techties.store import Store

BOOT_DRAWS = 999
BOOT_SEED = 20180706


@dataclass
class Hs6Panel:
    """US imports of one technology group by HS6 product, partner and year, with exposure."""

    #: ``year, heading, listed, chn_usd, total_usd`` (summed over the products of a heading)
    cells: pd.DataFrame
    partners: list[str]
    source: str
    group: str
    provenance_ids: list[int]
    products: int
    listed_products: int


def _hs6_source(store: Store) -> str:
    require_table(store, "trade_flows", needed_for="US imports by HS6", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, count(DISTINCT year) AS years, count(DISTINCT partner) AS partners "
        "FROM trade_flows WHERE reporter = 'USA' AND flow = 'import' AND product_level = 6 "
        "AND month IS NULL AND classification IN ('HS', 'HTS') AND partner = 'CHN' "
        "GROUP BY source ORDER BY years DESC, source"
    )
    if found.empty:
        raise Missing("no_data", f"no US imports from China by HS6 product; {LOAD_FLOWS}.")
    return str(found["source"].iloc[0])


def hs6_rows(store: Store) -> tuple[str, pd.DataFrame]:
    """The source of the US HS6 imports and their rows (``year, partner, code, vintage, basis,
    v, pids``; world totals left out), read once for every group :func:`hs6_panel` splits."""
    source = _hs6_source(store)
    raw = store.df(
        "SELECT year, partner, product_code AS code, coalesce(vintage, '') AS vintage, "
        "coalesce(value_basis, '') AS basis, sum(value_usd) AS v, "
        "list(DISTINCT provenance_id) AS pids FROM trade_flows WHERE source = ? "
        "AND reporter = 'USA' AND flow = 'import' AND product_level = 6 AND month IS NULL "
        "AND partner <> 'WLD' GROUP BY ALL",
        [source],
    )
    return source, raw


def in_group(codes: pd.Series, prefixes: tuple[str, ...], exclude: tuple[str, ...]) -> pd.Series:
    """True for a code starting with one of ``prefixes`` and with none of ``exclude``."""
    keep = codes.str.startswith(tuple(prefixes)) if prefixes else pd.Series(False, codes.index)
    if exclude:
        keep &= ~codes.str.startswith(tuple(exclude))
    return keep.astype(bool)


def hs6_panel(
    store: Store, group: str, *, rows: tuple[str, pd.DataFrame] | None = None
) -> Hs6Panel:
    """China's and the staged suppliers' US sales of ``group`` products by year, split into
    products with a Section 301 line (Lists 1–4A) and products without one. ``rows``:
    :func:`hs6_rows` of the store, when several groups are split (read once)."""
    from techties.indicators.decoupling import EXPOSED

    g = load_groups()[group]
    source, raw = rows if rows is not None else hs6_rows(store)
    raw = raw[in_group(raw["code"], tuple(g.codes), tuple(g.exclude))].copy()
    if raw.empty or "CHN" not in set(raw["partner"]):
        raise Missing("no_data", f"no US imports of {group} products from China by HS6.")
    # one value basis per partner and year (Comtrade stores China at CIF and FOB)
    order = ("customs_consumption", "customs_general", "customs", "CIF", "FOB", "")
    raw["rank"] = raw["basis"].map(lambda b: order.index(b) if b in order else 9)
    best = raw.groupby(["partner", "year"])["rank"].transform("min")
    raw = raw[raw["rank"] == best]
    listed = _listed(store, raw[["code", "vintage"]].drop_duplicates(), exposure_flags, EXPOSED)
    raw = raw.merge(listed, on=["code", "vintage"], how="left")
    raw["heading"] = raw["code"].str[:4]
    raw["chn"] = np.where(raw["partner"] == "CHN", raw["v"], 0.0)
    cells = (
        raw.groupby(["year", "heading", "listed"], as_index=False)
        .agg(chn_usd=("chn", "sum"), total_usd=("v", "sum"))
        .sort_values(["year", "heading", "listed"])
    )
    codes = raw.drop_duplicates(["code", "vintage"])
    return Hs6Panel(
        cells=cells.reset_index(drop=True),
        partners=sorted(set(raw["partner"])),
        source=source,
        group=group,
        provenance_ids=ids(raw, "pids"),
        products=len(codes),
        listed_products=int(codes["listed"].sum()),
    )


def _listed(store: Store, codes: pd.DataFrame, flags_of: Any, exposed: str) -> pd.DataFrame:
    """``code, vintage, listed``: a Section 301 line falls in the code or, for an HS2012/HS2022
    code, in one of its HS2017 counterparts (the lists are on the 2018 HTS)."""
    counterparts = pd.DataFrame(columns=["vintage", "code", "to_code"])
    other = codes[~codes["vintage"].isin(["HS2017", "", "HTS2018"])]
    if not other.empty and store.has_table("hs_concordance"):
        counterparts = store.df(
            "SELECT DISTINCT from_vintage AS vintage, from_code AS code, to_code "
            "FROM hs_concordance WHERE to_vintage = 'HS2017' "
            "AND list_contains(?::VARCHAR[], from_code)",
            [sorted(set(other["code"]))],
        )
    flags, note = exposure_flags(store, sorted(set(codes["code"]) | set(counterparts["to_code"])))
    if note:
        raise Missing("no_data", f"Section 301 lists are needed to split products: {note}")
    hit = {c for c, f in flags.items() if f == exposed}
    cp_hit = counterparts[counterparts["to_code"].isin(hit)]
    via = set(zip(cp_hit["vintage"], cp_hit["code"], strict=True))
    out = codes.copy()
    out["listed"] = [
        c in hit or (v, c) in via for c, v in zip(out["code"], out["vintage"], strict=True)
    ]
    return out


def _shares(cells: pd.DataFrame, weights: pd.Series | None = None) -> pd.DataFrame:
    """China's share (%) by year and listed/unlisted, headings weighted by ``weights``
    (bootstrap draw counts; None = each heading once)."""
    c = cells
    if weights is not None:
        w = c["heading"].map(weights).fillna(0.0)
        c = c.assign(chn_usd=c["chn_usd"] * w, total_usd=c["total_usd"] * w)
    agg = c.groupby(["year", "listed"])[["chn_usd", "total_usd"]].sum()
    return (100 * agg["chn_usd"] / agg["total_usd"]).unstack("listed")


def _cell(sh: pd.DataFrame, year: int, listed: bool) -> float:
    return float(sh.at[year, listed])  # type: ignore[arg-type]


def _did_of(sh: pd.DataFrame, base: int, end: int) -> float:
    try:
        at = {(y, k): _cell(sh, y, k) for y in (base, end) for k in (True, False)}
        d = (at[end, True] - at[base, True]) - (at[end, False] - at[base, False])
    except KeyError:
        return math.nan
    return float(d)


@dataclass
class Did:
    estimate: float
    low: float
    high: float
    listed_change: float
    unlisted_change: float
    shares: pd.DataFrame
    draws: int


def did_estimate(panel: Hs6Panel, *, base: int, end: int, pre: int | None = None) -> Did:
    """(listed Δshare − unlisted Δshare), base → end, with a percentile interval from a
    bootstrap that resamples HS4 headings (products of a heading are drawn together).

    With ``pre`` the differential trend of pre → base (a placebo DiD) is extrapolated
    linearly to end and taken off: DiD − placebo · (end − base) / (base − pre), same draws."""
    if end <= base or (pre is not None and pre >= base):
        raise NoDataError(f"a DiD needs years in order ({pre or ''} {base} < {end})")
    years = [base, end] + ([pre] if pre is not None else [])
    cells = panel.cells[panel.cells["year"].isin(years)]
    sh = _shares(cells)
    for y in years:
        if y not in sh.index:
            raise NoDataError(f"no HS6 imports of {panel.group} products in {y}")
    if True not in sh.columns or False not in sh.columns or sh.isna().to_numpy().any():
        raise NoDataError(
            f"{panel.group}: both listed and unlisted products must be imported in {base} and {end}"
        )
    est = _did_of(sh, base, end)
    ratio = 0.0 if pre is None else (end - base) / (base - pre)
    if pre is not None:
        est -= ratio * _did_of(sh, pre, base)
    # heading × (year, class) sums; a draw weights headings by how often they were picked
    wide = cells.pivot_table(
        index="heading", columns=["year", "listed"], values=["chn_usd", "total_usd"],
        aggfunc="sum", fill_value=0.0,
    )  # fmt: skip
    rng = np.random.default_rng(BOOT_SEED)
    n = len(wide)
    counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(BOOT_DRAWS)])

    def share(year: int, listed: bool) -> np.ndarray:
        c = counts @ wide[("chn_usd", year, listed)].to_numpy(float)
        t = counts @ wide[("total_usd", year, listed)].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 100 * c / t

    def did(b: int, e: int) -> np.ndarray:
        return (share(e, True) - share(b, True)) - (share(e, False) - share(b, False))

    boot = did(base, end) - (ratio * did(pre, base) if pre is not None else 0.0)
    draws = boot[np.isfinite(boot)]
    if len(draws) < BOOT_DRAWS // 2:
        raise NoDataError(f"{panel.group}: too few headings for a bootstrap interval")
    lo, hi = np.quantile(draws, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return Did(
        estimate=est,
        low=min(float(lo), est),
        high=max(float(hi), est),
        listed_change=_cell(sh, end, True) - _cell(sh, base, True),
        unlisted_change=_cell(sh, end, False) - _cell(sh, base, False),
        shares=_shares(panel.cells),
        draws=len(draws),
    )


def did_test(
    panel: Hs6Panel | None,
    *,
    base: int,
    end: int,
    why: str = "",
    key: str = "did",
    pre: int | None = None,
) -> tuple[Test, Did | None]:
    """Test B from :func:`did_estimate` (or not measured, saying why)."""
    label = "Listed minus unlisted tech products, change in China's share"
    if pre is not None:
        label += f" (net of the {pre}–{base} differential trend)"
    if panel is None or why:
        return _missing_test(key, label, "pp", why or "no HS6 panel"), None
    try:
        d = did_estimate(panel, base=base, end=end, pre=pre)
    except NoDataError as exc:
        return _missing_test(key, label, "pp", exc.message), None
    return (
        Test(
            key,
            label,
            d.estimate,
            "pp",
            support=Threshold("<=", DEP_SUPPORT_PP),
            contradict=Threshold(">", DEP_CONTRA_PP),
            kind="estimated",
            low=d.low,
            high=d.high,
            interval=f"{LEVEL:.0%} bootstrap interval, HS4 headings resampled ({d.draws} draws)",
        ),
        d,
    )
