"""Tidy panels for the event-study and incidence models, built from the store.

Panel layout (what :mod:`techties.models.event_study` and :mod:`techties.models.incidence`
take): ``product`` (HS code string), ``partner`` (ISO3), ``period`` (int: year, or months since
year 0 for monthly data), ``value`` (USD, duty-exclusive customs/CIF value), optional
``quantity``/``duties``, and ``event_period`` (first period the product was hit; NaN if never).

Treatment sources:
- the store table ``tariff_measures`` (:func:`store_treatment`: Section 301 rows, first start
  date per product), or
- Bown (2021) ``TrumpTariffs-CHN-hs6.dta`` as stored by source ``bown_waves``
  (:func:`bown_waves`, then :func:`bown_treatment`: first wave with a positive tariff change per
  HS6).

Every frame built from the store carries ``attrs["provenance_ids"]``: the ingested files its
rows came from.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def bown_waves(store: Store) -> pd.DataFrame:
    """Bown's wave-by-wave US tariff changes on China: ``hs06`` and one column per wave (pp)."""
    from techties.store.model_inputs import model_inputs

    inputs = model_inputs(store, "bown_waves_hs6")
    out = inputs.frame("waves")
    out.attrs["provenance_ids"] = inputs.provenance_ids
    return out


def bown_treatment(waves: pd.DataFrame) -> pd.DataFrame:
    """HS6 → first Section 301 list and date (``product, list, event_date, event_period``),
    from :func:`bown_waves`."""
    if "hs06" not in waves.columns:
        raise ModelError("the waves frame has no 'hs06' column; build it with bown_waves(store)")
    rows = []
    for col, (name, date) in BOWN_301_WAVES.items():
        hit = waves.loc[pd.to_numeric(waves[col], errors="coerce") > 0, "hs06"].astype(str)
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


def comtrade_hs6(
    store: Store,
    partners: Sequence[str],
    *,
    reporter: str = "USA",
    flow: str = "import",
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Annual HS6 rows of UN Comtrade (source ``comtrade``) for ``reporter`` and ``partners``:
    ``product, partner, period, vintage, value, quantity, qty_unit`` (quantity and unit blank
    where Comtrade reports none). Each (product, partner, year, vintage) appears once."""
    marks = ", ".join("?" for _ in partners)
    span = "" if years is None else f"AND year BETWEEN {int(min(years))} AND {int(max(years))}"
    df = store.df(
        f"""
        SELECT product_code AS product, partner, year AS period, vintage,
               sum(value_usd) AS value, sum(quantity) AS quantity,
               any_value(quantity_unit) AS qty_unit, count(*) AS n,
               list(DISTINCT provenance_id) AS ids
        FROM trade_flows
        WHERE source = 'comtrade' AND reporter = ? AND flow = ? AND product_level = 6
          AND month IS NULL AND partner IN ({marks}) {span}
        GROUP BY product_code, partner, year, vintage
        ORDER BY partner, period, product
        """,
        [reporter, flow, *partners],
    )
    if df.empty:
        raise NoDataError(
            f"no annual HS6 Comtrade {flow}s of {reporter} from {list(partners)} in trade_flows",
            hint="Ingest them first: `techties ingest comtrade "
            "trade-flows/us-comtrade-hs6-2015-2025/` (or `techties report --data DIR`).",
        )
    if (df["n"] > 1).any():
        dup = df[df["n"] > 1].iloc[0]
        raise ModelError(
            f"Comtrade HS6 rows are stored twice (e.g. {dup['product']} from {dup['partner']} "
            f"in {dup['period']}); two ingested files cover the same flows.",
            hint="Drop one of the overlapping files from the store (`techties provenance`).",
        )
    out = df.drop(columns=["n", "ids"])
    out.attrs["provenance_ids"] = sorted({int(i) for ids in df["ids"] for i in ids})
    return out


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
