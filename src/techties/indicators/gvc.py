"""Value-added content of exports (global value chains).

Foreign value-added share of an exporter's gross exports, from the WIOD ``icio`` rows of the
``indicators`` table (source ``wiod_dva``: ``wiod:EXGR`` gross exports and ``wiod:DVA`` domestic
value added, US$ million, by exporter × importer × year)::

    FVA_share[x, t] = 1 − Σ_{j ≠ x} DVA[x, j, t] / Σ_{j ≠ x} EXGR[x, j, t]

(the complement of the domestic value-added share — it includes pure double counting, as in the
Borin–Mancini DVA definition). With ``partner`` given, the sums run over that importer only.
Rows with exporter == importer are excluded (``icio`` conventions).

OECD TiVA rows (source ``oecd_tiva``, ``TIVA:EXGR_FVA:{activity}``) already hold the foreign
value-added share in percent of gross exports; :func:`tiva_fva_share` reads them as published.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.errors import NoDataError
from techties.indicators.result import IndicatorResult, has_table, source_line
from techties.store import Store

FVA_FORMULA = "FVA_share[x,t] = 1 − Σ_{j≠x} DVA[x,j,t] / Σ_{j≠x} EXGR[x,j,t]"
WIOD_HINT = "ingest tech-gvc/dva_gtrade.dta (source wiod_dva) with `techties report --data DIR`"


class ValueAddedResult(IndicatorResult):
    """Foreign value-added shares by exporter and year (``share`` as a fraction, ``share_pct``)."""

    def plot(self) -> Any:
        data = self.table.assign(
            date=pd.to_datetime(self.table["year"].astype(int).astype(str) + "-07-01")
        )
        line = (
            alt.Chart(data)
            .mark_line(point=True)
            .encode(
                x=alt.X("date:T", title="Year"),
                y=alt.Y("share_pct:Q", title="Foreign value added (% of gross exports)",
                        scale=alt.Scale(zero=False)),
                color=alt.Color("exporter:N", title="Exporter"),
                tooltip=["exporter", "year", alt.Tooltip("share_pct:Q", format=".1f")],
            )
        )  # fmt: skip
        return charts.finish(
            line,
            title=self.title,
            subtitle="% of gross exports; "
            + ("WIOD 2016 (icio)" if "wiod" in self.name else "TiVA"),
            source=self.source,
        )


def foreign_value_added_share(
    store: Store, *, exporter: str | Sequence[str] = "CHN", partner: str | None = None
) -> ValueAddedResult:
    """Foreign value-added share of ``exporter``'s gross exports by year (WIOD ``icio`` rows).

    ``share = 1 − ΣDVA / ΣEXGR`` over importers other than the exporter (or over ``partner``
    only). Columns: ``exporter, partner, year, exports_usd_mn, dva_usd_mn, fva_usd_mn, share,
    share_pct``.
    """
    exporters = [exporter] if isinstance(exporter, str) else list(exporter)
    if not has_table(store, "indicators"):
        raise NoDataError("The store has no indicators table.", hint=WIOD_HINT)
    where = (
        "source = 'wiod_dva' AND indicator IN ('wiod:EXGR', 'wiod:DVA') "
        "AND country IN (SELECT unnest(?)) AND partner <> country"
    )
    params: list[object] = [exporters]
    if partner is not None:
        where += " AND partner = ?"
        params.append(partner)
    sql = f"SELECT * FROM indicators WHERE {where}"
    df = store.df(
        "SELECT country AS exporter, year, "
        "sum(value) FILTER (WHERE indicator = 'wiod:EXGR') AS exports_usd_mn, "
        "sum(value) FILTER (WHERE indicator = 'wiod:DVA') AS dva_usd_mn "
        f"FROM ({sql}) GROUP BY ALL ORDER BY exporter, year",
        params,
    )
    if df.empty:
        raise NoDataError(
            f"No WIOD value-added rows for {', '.join(exporters)}"
            + (f" → {partner}" if partner else "")
            + ".",
            hint=WIOD_HINT,
        )
    df.insert(1, "partner", partner or "all partners")
    df["fva_usd_mn"] = df["exports_usd_mn"] - df["dva_usd_mn"]
    df["share"] = df["fva_usd_mn"] / df["exports_usd_mn"]
    df["share_pct"] = 100 * df["share"]
    ids = [
        int(x)
        for x in store.df(f"SELECT DISTINCT provenance_id FROM ({sql}) ORDER BY 1", params)[
            "provenance_id"
        ]
    ]
    who = ", ".join(exporters)
    return ValueAddedResult(
        table=df,
        name="wiod_fva_share",
        units="fraction of gross exports (share); % (share_pct); US$ million (values)",
        formula=FVA_FORMULA,
        title=(
            f"Foreign value added in {who}'s exports"
            if len(exporters) == 1
            else f"Foreign value added in gross exports: {who}"
        )
        + (f" (to {partner})" if partner else ""),
        source=source_line(store, ids) or "WIOD 2016 via icio",
        notes=[
            "Borin–Mancini DVA from the WIOD 2016 release; FVA here is gross exports minus DVA "
            "(includes pure double counting). WIOD years 2002, 2005, 2008, 2011, 2014 only.",
        ],
        provenance_ids=ids,
        params={"exporter": exporters, "partner": partner},
    )


def tiva_fva_share(
    store: Store, *, countries: Sequence[str] | None = None, activity: str = "C26_27"
) -> ValueAddedResult:
    """OECD TiVA EXGR_FVA (foreign value added, % of gross exports) by country and year, as
    published (``share_pct``; ``share = share_pct / 100``)."""
    if not has_table(store, "indicators"):
        raise NoDataError("The store has no indicators table.", hint="ingest an OECD TiVA CSV")
    code = f"TIVA:EXGR_FVA:{activity}"
    where = "source = 'oecd_tiva' AND indicator = ? AND partner IS NULL AND value IS NOT NULL"
    params: list[object] = [code]
    if countries:
        where += " AND country IN (SELECT unnest(?))"
        params.append(list(countries))
    sql = f"SELECT * FROM indicators WHERE {where}"
    df = store.df(
        f"SELECT country AS exporter, year, value AS share_pct FROM ({sql}) ORDER BY 1, 2", params
    )
    if df.empty:
        raise NoDataError(f"No OECD TiVA rows for {code}.", hint="ingest an OECD TiVA SDMX CSV")
    df["share"] = df["share_pct"] / 100
    ids = [
        int(x)
        for x in store.df(f"SELECT DISTINCT provenance_id FROM ({sql}) ORDER BY 1", params)[
            "provenance_id"
        ]
    ]
    return ValueAddedResult(
        table=df,
        name="tiva_fva_share",
        units="% of gross exports (share_pct)",
        formula="EXGR_FVA = foreign value added in gross exports / gross exports (OECD TiVA)",
        title=f"Foreign value added in exports of {activity} (OECD TiVA)",
        source=source_line(store, ids) or "OECD TiVA",
        provenance_ids=ids,
        params={"countries": list(countries or []), "activity": activity},
    )
