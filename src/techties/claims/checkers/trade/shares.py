"""China's share of US imports by year and its gap to the pre-2018 trend (claim 12's test A,
and claim 6's import-share proxy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from techties.claims.base import Missing, require_table
from techties.claims.checkers.trade._common import (
    AGGREGATES,
    BASE_YEAR,
    DEP_CONTRA_PP,
    DEP_SUPPORT_PP,
    LEVEL,
    LOAD_FLOWS,
    PRE_START,
)
from techties.claims.rules import Test, Threshold
from techties.errors import NoDataError
from techties.indicators.shares import partner_shares
from techties.models.breaks import pre_trend_gap
from techties.store import Store


def us_import_source(store: Store, *, first: int = BASE_YEAR) -> tuple[str, str]:
    """(source, classification) of US imports by partner that has a world total and covers
    ``first`` and later years (the longest such series)."""
    require_table(store, "trade_flows", needed_for="US imports by partner", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, classification, min(year) AS y0, max(year) AS y1 FROM trade_flows "
        "WHERE reporter = 'USA' AND flow = 'import' AND partner = 'WLD' "
        "AND classification = 'NAICS' GROUP BY ALL ORDER BY y1 - y0 DESC, source"
    )
    found = found[(found["y0"] <= first) & (found["y1"] > first)]
    if found.empty:
        raise Missing(
            "no_data",
            f"no US imports by NAICS industry and partner with a world total spanning {first} "
            f"and a later year; {LOAD_FLOWS} (the Census monthly NAICS file).",
        )
    return str(found["source"].iloc[0]), str(found["classification"].iloc[0])


@dataclass
class ShareSeries:
    """China's share of US imports (%) by year, with what it was read from."""

    share: pd.Series
    #: months of the last year (12 for a full year)
    months: dict[int, int]
    provenance_ids: list[int]
    source: str
    what: str
    #: the store's source name (``source`` is the label with the file)
    source_name: str = ""


def china_share(
    store: Store,
    *,
    products: tuple[str, ...],
    source: str | None = None,
    classification: str = "NAICS",
    denominator: str = "world",
    months: int | None = None,
    what: str = "",
) -> ShareSeries:
    """China's yearly share (%) of US imports of ``products`` (code prefixes; empty = all goods)
    from the shares indicator: full years, or with ``months`` the first ``months`` months of each
    year (from monthly rows)."""
    if source is None:
        source, classification = us_import_source(store)
    level = len(products[0]) if products else 0
    kw: dict[str, Any] = dict(
        reporter="USA", flow="import", source=source, classification=classification,
        level=level, products=products, denominator=denominator,
    )  # fmt: skip
    if months is not None:
        kw["frequency"] = "monthly"
    res = partner_shares(store, **kw)
    t = res.tidy()
    t = t[~t["partner"].isin(AGGREGATES)]
    if months is None:
        t = t[t["month"].isna()]
        n = t.groupby("year")["n_months"].max().fillna(12) if "n_months" in t else None
        chn = t[t["partner"] == "CHN"].groupby("year")[["value_usd", "total_usd"]].sum()
        counts = {int(y): int(n[y]) if n is not None else 12 for y in chn.index}
        keep = [y for y in chn.index if counts[int(y)] >= 12]
    else:
        t = t[t["month"].notna() & (t["month"] <= months)]
        chn = t[t["partner"] == "CHN"].groupby("year")[["value_usd", "total_usd"]].sum()
        counts = {
            int(y): int(g["month"].nunique())  # type: ignore[call-overload, arg-type]
            for y, g in t[t["partner"] == "CHN"].groupby("year")
        }
        keep = [y for y in chn.index if counts[int(y)] >= months]
    chn = chn.loc[keep]
    share = (100 * chn["value_usd"] / chn["total_usd"]).astype(float)
    share.index = share.index.astype(int)
    return ShareSeries(
        share=share,
        months={int(y): counts[int(y)] for y in share.index},
        provenance_ids=list(res.provenance_ids),
        source=str(res.source or source),
        what=what,
        source_name=source,
    )


def gap_test(
    series: ShareSeries | None,
    *,
    last_pre: int,
    year: int | None,
    key: str = "gap",
    label: str = "China's share vs its pre-2018 trend",
    note: str = "",
) -> tuple[Test, Any]:
    """Test A: the share in ``year`` (default: last) minus its trend fitted on PRE_START…
    ``last_pre``, with the 90 % prediction interval (``models.breaks.pre_trend_gap``)."""
    missing = note
    fit = None
    if series is not None and not missing:
        s = series.share
        target = int(s.index.max()) if year is None else year
        try:
            fit = pre_trend_gap(
                s.index, s.to_numpy(), last_pre=last_pre, year=target, level=LEVEL,
                start=PRE_START,
            )  # fmt: skip
        except NoDataError as exc:
            missing = f"{series.what}: {exc.message}"
    if fit is None:
        return _missing_test(key, label, "pp", missing or "no share series"), None
    return (
        Test(
            key,
            label,
            float(fit.estimate),
            "pp",
            support=Threshold("<=", DEP_SUPPORT_PP),
            contradict=Threshold(">", DEP_CONTRA_PP),
            kind="estimated",
            low=float(fit.conf_low),
            high=float(fit.conf_high),
            interval=f"{LEVEL:.0%} prediction interval of the {PRE_START}–{last_pre} trend",
        ),
        fit,
    )


def _missing_test(key: str, label: str, unit: str, why: str) -> Test:
    return Test(
        key, label, None, unit, support=Threshold("<=", DEP_SUPPORT_PP),
        contradict=Threshold(">", DEP_CONTRA_PP), missing=why,
    )  # fmt: skip
