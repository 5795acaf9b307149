"""The US HS6 import panels of claim 4 (:class:`Panel`), built once per HS vintage and list
set (:class:`_Panels`; the rows are read once for every vintage)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from techties.claims.base import Missing, require_table
from techties.claims.checkers.trade import BASE_YEAR, LOAD_FLOWS
from techties.store import Store

REROUTE_END = 2024
HARMONISE_TO = "HS2017"
#: the HS vintage the Section 301 lists are written in (HTS2018 lines)
LIST_VINTAGE = "HS2017"
LISTS_301 = ("301_list1", "301_list2", "301_list3", "301_list4a")
#: the source of US HS6 imports, the product panel, its provenance ids and notes
_Products = tuple[str, pd.DataFrame, list[int], list[str]]


def _hs6_import_source(store: Store, years: Sequence[int]) -> str:
    """The source of US imports by HS6 product covering every year in ``years``."""
    require_table(store, "trade_flows", needed_for="US imports by product", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, count(DISTINCT partner) AS partners FROM trade_flows "
        "WHERE reporter = 'USA' AND flow = 'import' AND classification = 'HS' "
        "AND product_level = 6 AND month IS NULL AND list_contains(?::SMALLINT[], year) "
        "GROUP BY source HAVING count(DISTINCT year) = ? ORDER BY partners DESC, source",
        [list(years), len(set(years))],
    )
    if found.empty:
        raise Missing(
            "no_data",
            f"no US imports by HS6 product for {', '.join(map(str, sorted(set(years))))}; "
            f"{LOAD_FLOWS}.",
        )
    return str(found["source"].iloc[0])


@dataclass(frozen=True)
class Panel:
    """US imports by product (rows), partner and year: ``values[(partner, year)]``."""

    values: pd.DataFrame
    listed: pd.Series
    ids: tuple[int, ...]
    source: str
    notes: tuple[str, ...]
    #: :func:`listed_gap` results by arguments (the alternatives ask for the same ones again)
    gaps: dict[tuple[Any, ...], dict[str, float]] = field(
        default_factory=dict, compare=False, repr=False
    )


def _products(
    store: Store, years: Sequence[int], hs_vintage: str | None, rows: Any = None
) -> _Products:
    """The source and :func:`~techties.indicators.rerouting.product_panel` of US HS6 imports
    (``rows``: its :func:`~techties.indicators.rerouting.product_rows`, read once)."""
    from techties.indicators.rerouting import product_panel, product_rows

    source = _hs6_import_source(store, (BASE_YEAR, REROUTE_END))
    span = (min(years), max(years))
    if rows is None:
        rows = product_rows(store, source=source, years=span)
    return source, *product_panel(
        store, source=source, years=span, hs_vintage=hs_vintage, rows=rows
    )


def _panel(
    store: Store, products: _Products, *, hs_vintage: str | None, measures: Sequence[str]
) -> Panel:
    from techties.indicators.decoupling import EXPOSED, exposure_flags

    source, values, ids, notes = products
    flags, note = exposure_flags(store, list(values.index), measures)
    if note:
        raise Missing("no_data", f"{note} (the Section 301 lists are needed to split products).")
    listed = flags.reindex(values.index) == EXPOSED
    if hs_vintage not in (None, LIST_VINTAGE):
        # the lists are written in HTS2018 (HS2017) lines: a code of another vintage is listed
        # when a HS2017 code it is linked to is listed
        from techties.indicators.concordance import load_concordance

        links = load_concordance(store, str(hs_vintage), LIST_VINTAGE).links
        back, _ = exposure_flags(store, sorted(set(links["to_code"])), measures)
        hit = set(links.loc[links["to_code"].map(back == EXPOSED).fillna(False), "from_code"])
        listed = listed | pd.Series(values.index.isin(list(hit)), index=values.index)
    return Panel(values, listed, tuple(ids), source, tuple(notes))


class _Panels:
    """US HS6 import panels by HS vintage and Section 301 lists, each built once."""

    def __init__(self, store: Store, years: Sequence[int]) -> None:
        self.store = store
        self.years = years
        self.built: dict[tuple[str | None, tuple[str, ...]], Panel] = {}
        #: product panels by HS vintage (the lists only change which products are listed)
        self.products: dict[str | None, _Products] = {}
        self.rows: pd.DataFrame | None = None

    def __call__(self, hs: str | None = HARMONISE_TO, measures: Sequence[str] = LISTS_301) -> Panel:
        key = (hs, tuple(measures))
        if key not in self.built:
            if hs not in self.products:
                if self.rows is None:  # every HS vintage's panel pivots the same rows
                    from techties.indicators.rerouting import product_rows

                    source = _hs6_import_source(self.store, (BASE_YEAR, REROUTE_END))
                    span = (min(self.years), max(self.years))
                    self.rows = product_rows(self.store, source=source, years=span)
                self.products[hs] = _products(self.store, self.years, hs, self.rows)
            self.built[key] = _panel(
                self.store, self.products[hs], hs_vintage=hs, measures=measures
            )
        return self.built[key]
