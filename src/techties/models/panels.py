"""Tidy panels for the event-study and incidence models, from the store or the staged files.

Panel layout (what :mod:`techties.models.event_study` and :mod:`techties.models.incidence`
take): ``product`` (HS code string), ``partner`` (ISO3), ``period`` (int: year, or months since
year 0 for monthly data), ``value`` (USD, duty-exclusive customs/CIF value), optional
``quantity``/``duties``, and ``event_period`` (first period the product was hit; NaN if never).

Treatment sources:
- the store table ``tariff_measures`` (:func:`store_treatment`: Section 301 rows, first start
  date per product), or
- Bown (2021) ``TrumpTariffs-CHN-hs6.dta`` (:func:`bown_treatment`: first wave with a positive
  tariff change per HS6).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from techties.errors import ModelError, NoDataError

if TYPE_CHECKING:
    from techties.store import Store

#: Bown (2021) wave columns → (list, effective date) for Section 301
BOWN_301_WAVES = {
    "TT301_a": ("301 List 1", "2018-07-06"),
    "TT301_b": ("301 List 2", "2018-08-23"),
    "TT301_c": ("301 List 3", "2018-09-24"),
    "TT301_e": ("301 List 4A", "2019-09-01"),
}


def bown_treatment(path: str | Path) -> pd.DataFrame:
    """HS6 → first Section 301 list and date (``product, list, event_date, event_period``)."""
    from techties.sources.containers import read_frame

    d = read_frame(Path(path))
    if "hs06" not in d.columns:
        raise ModelError(f"{path} has no 'hs06' column; expected Bown's TrumpTariffs-CHN-hs6.dta")
    rows = []
    for col, (name, date) in BOWN_301_WAVES.items():
        hit = d.loc[pd.to_numeric(d[col], errors="coerce") > 0, "hs06"].astype(str)
        rows.append(pd.DataFrame({"product": hit.str.zfill(6), "list": name, "event_date": date}))
    t = pd.concat(rows, ignore_index=True)
    t["event_date"] = pd.to_datetime(t["event_date"])
    t = t.sort_values("event_date").drop_duplicates("product")
    t["event_period"] = t["event_date"].dt.year
    return t.reset_index(drop=True)


def store_treatment(
    store: Store, *, imposer: str = "USA", target: str = "CHN", program: str = "section_301"
) -> pd.DataFrame:
    """First in-force date per HS6 of ``program`` measures in ``tariff_measures``."""
    if "tariff_measures" not in set(store.tables()["table"]):
        raise NoDataError(
            "the store has no tariff_measures table", hint="ingest the tariff sources"
        )
    df = store.df(
        """
        SELECT substr(product_code, 1, 6) AS product, min(measure) AS list,
               min(start_date) AS event_date
        FROM tariff_measures
        WHERE imposer = ? AND target = ? AND program = ? AND kind = 'additional'
          AND status = 'in_force' AND start_date IS NOT NULL
        GROUP BY 1
        """,
        [imposer, target, program],
    )
    if df.empty:
        raise NoDataError(f"no {program} measures by {imposer} on {target} in tariff_measures")
    df["event_date"] = pd.to_datetime(df["event_date"])
    df["event_period"] = df["event_date"].dt.year
    return df


def store_flows(
    store: Store, partners: Sequence[str], *, reporter: str = "USA", level: int = 6
) -> pd.DataFrame:
    """Annual imports of ``reporter`` from ``partners`` at HS ``level`` from ``trade_flows``."""
    marks = ", ".join("?" for _ in partners)
    df = store.df(
        f"""
        SELECT product_code AS product, partner, year AS period, any_value(vintage) AS vintage,
               sum(value_usd) AS value, sum(quantity) AS quantity, sum(duties_usd) AS duties
        FROM trade_flows
        WHERE reporter = ? AND flow = 'import' AND month IS NULL AND product_level = ?
          AND partner IN ({marks})
        GROUP BY ALL
        """,
        [reporter, level, *partners],
    )
    if df.empty:
        raise NoDataError(
            f"no annual HS{level} imports of {reporter} from {list(partners)} in trade_flows"
        )
    return df


def comtrade_flows(paths: Iterable[str | Path], *, flow: str = "M") -> pd.DataFrame:
    """HS6 rows of Comtrade+ extracts (R ``.rds`` as staged) as a tidy flow table."""
    from techties.sources.containers import read_frame

    frames = []
    for p in paths:
        d = read_frame(Path(p))
        d = d[(d["flow_code"] == flow) & (d["aggr_level"] == 6)]
        frames.append(
            pd.DataFrame(
                {
                    "product": d["cmd_code"].astype(str).str.zfill(6),
                    "partner": d["partner_iso"].astype(str),
                    "period": d["ref_year"].astype(int),
                    "vintage": d["classification_code"].astype(str),
                    "value": pd.to_numeric(d["primary_value"], errors="coerce"),
                    "quantity": pd.to_numeric(d["qty"], errors="coerce"),
                    "qty_unit": d["qty_unit_abbr"].astype(str),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def stable_codes(flows: pd.DataFrame) -> pd.DataFrame:
    """Keep products whose code exists in every HS vintage of the panel (no concordance needed).

    Codes split or merged between HS2012, HS2017 and HS2022 drop out; the share of value kept is
    stored in ``flows.attrs['stable_share']``.
    """
    by = flows.groupby("product")["vintage"].nunique()
    keep = by.index[by == flows["vintage"].nunique()]
    out = flows[flows["product"].isin(keep)].copy()
    out.attrs["stable_share"] = float(out["value"].sum() / flows["value"].sum())
    return out


def attach_treatment(flows: pd.DataFrame, treatment: pd.DataFrame) -> pd.DataFrame:
    """Add ``list``, ``event_date`` and ``event_period`` (NaN for never-treated products)."""
    t = treatment[["product", "list", "event_date", "event_period"]]
    out = flows.merge(t, on="product", how="left")
    out["event_period"] = out["event_period"].astype(float)
    return out


def month_index(year: pd.Series, month: pd.Series) -> pd.Series:
    """Months since year 0 (so differences are months): ``12·year + month − 1``."""
    return (12 * year.astype(int) + month.astype(int) - 1).astype(np.int64)
