"""Supplier concentration and chokepoints.

For reporter r, product k and period t, with supplier values v_p (partners, world total and
members of a listed aggregate excluded) and ``T`` the denominator::

    s_p        = v_p / T                      T = Σ_p v_p            (denominator="partners")
                                              T = V[r, WLD, k, t]    (denominator="world")
    HHI        = Σ_p s_p²                     in [1/n, 1] with the partners denominator
    top share  = max_p s_p
    top supplier = arg max_p round(v_p, 0.001 USD)   (ties → the larger partner code)
    chokepoint = product with top share > θ   (θ = 0.5 and 0.7 by default; strict inequality)

With the world denominator the suppliers not listed in the source are unknown, so ``HHI`` is a
lower bound (the residual is treated as infinitely many small suppliers) and the top share is
exact only if the top supplier is listed.

The top supplier compares values to a tenth of a cent: suppliers whose values agree to 0.001 USD
tie (two doubles that differ only by floating-point noise, such as BACI's ``1000·v``, are not
ranked by that noise), and ties go to the larger partner code, so the result does not depend on
the order of the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.errors import ConfigError
from techties.indicators.registry import DENOMINATOR_HELP, SELECTION_HELP, register_indicator
from techties.indicators.result import (
    IndicatorResult,
    provenance_ids,
    source_line,
    time_axis,
    wave_markers,
)
from techties.indicators.shares import (
    Denominator,
    Selection,
    excluded_members,
    members_of_listed,
    resolve,
    selection_sql,
    world_total_sql,
)
from techties.store import Store, queries
from techties.store.panels import (
    PanelSpec,
    SharesOutput,
    build_panel,
    check_prefix,
    drop_tables,
    export_table,
    shares_mode,
)


def concentration_sql(
    store: Store, sel: Selection, denominator: Denominator = "partners"
) -> tuple[str, list[Any], list[int], str]:
    """SQL of the per-product concentration table, its parameters, provenance ids, source
    (the query: :func:`techties.store.queries.concentration_sql`)."""
    res = resolve(store, sel)
    rows_sql, params = selection_sql(res)
    excluded = excluded_members(store, rows_sql, params)
    if denominator == "world":
        world_total_sql(store, res, rows_sql, params)  # raises NoDataError without WLD rows
    elif denominator != "partners":
        raise ConfigError(
            f"Unknown denominator {denominator!r}.", hint="Use 'partners' or 'world'."
        )
    sql, all_params = queries.concentration_sql(
        (rows_sql, params), denominator=denominator, excluded=excluded
    )
    ids = provenance_ids(store, rows_sql, params)
    return sql, all_params, ids, res.source


def materialise_panel(
    store: Store,
    selection: Selection,
    *,
    thresholds: Sequence[float] = (0.5, 0.7),
    prefix: str = "panel_",
    unique_rows: bool = False,
    shares: bool | SharesOutput = True,
    shares_path: str | Path | None = None,
) -> dict[str, int]:
    """Shares, concentration and chokepoints of a whole panel, computed inside the store.

    For panels too large for a DataFrame (BACI scale). The partner-grain rows ``{prefix}v``
    (reporter × partner × product × period; the world total and members of a listed aggregate
    left out) are either the selected rows aggregated year by year (the general path, a temporary
    table) or, with ``unique_rows=True`` (the caller guarantees one row per reporter × partner
    × product × period, as in BACI), the selected rows themselves (a view: no aggregation to
    the partner grain). From them, in one grouped aggregation per reporter × product × period,
    ``{prefix}concentration``::

        total_usd = Σ_p v_p    n_suppliers = #{p : v_p > 0}    hhi = Σ_p v_p² / total_usd²
        top_share = max_p v_p / total_usd   (top_supplier: module doc)

    then ``{prefix}chokepoints`` (products with top_share > θ, per reporter and period), and
    the partner shares ``share = v_p / total_usd`` (the "partners" denominator of
    :func:`techties.indicators.shares.partner_shares`), written as ``shares``:

    - ``True`` / ``"table"``: a temporary table ``{prefix}shares`` (DuckDB holds temporary
      tables uncompressed: ~50 bytes a share, 2.5 GB for BACI's 50 million rows; the
      ``TECHTIES_MEMORY`` setting bounds it, the overflow then spills to disk);
    - ``"view"``: a temporary view ``{prefix}shares`` (computed when read; lazy);
    - ``"parquet"``: streamed to ``shares_path`` with ``COPY … TO`` (never held in memory);
    - ``False``: not computed.

    Same formulas as :func:`supplier_concentration`, :func:`chokepoints` and ``partner_shares``.
    Returns the row count of each table written (the view is not counted: that would compute
    it). With ``unique_rows=True`` on rows that do repeat, n_suppliers, HHI and top share are
    wrong (partners counted per row, not per partner): use it only when the source guarantees it.
    The queries are :func:`techties.store.panels.build_panel`'s.
    """
    check_prefix(prefix)
    mode = shares_mode(shares, shares_path)
    res = resolve(store, selection)
    rows = res.rows
    listed = queries.listed_partners(store, queries.rows_sql(rows))
    spec = PanelSpec(
        rows=rows,
        partners=tuple(listed),
        excluded=tuple(members_of_listed(listed)),
        thresholds=tuple(float(t) for t in thresholds),
        prefix=prefix,
        unique_rows=unique_rows,
        shares=mode,
        shares_path=None if shares_path is None else Path(shares_path),
    )
    return build_panel(store, spec)


def write_panel(
    store: Store,
    selection: Selection,
    folder: str | Path,
    *,
    thresholds: Sequence[float] = (0.5, 0.7),
    unique_rows: bool = False,
) -> dict[str, tuple[Path, int]]:
    """:func:`materialise_panel` written to Parquet files in ``folder``: ``concentration``,
    ``chokepoints`` and ``shares`` (``{name}.parquet``; the shares streamed, never held in
    memory). Returns ``{name: (path, rows)}``; the temporary tables are dropped afterwards."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    prefix = "wp_"
    counts = materialise_panel(
        store,
        selection,
        thresholds=thresholds,
        prefix=prefix,
        unique_rows=unique_rows,
        shares="parquet",
        shares_path=out / "shares.parquet",
    )
    written = {"shares": (out / "shares.parquet", counts["shares"])}
    try:
        for name in ("concentration", "chokepoints"):
            path = out / f"{name}.parquet"
            exclude = ("mkey",) if name == "concentration" else ()
            export_table(store, f"{prefix}{name}", path, exclude=exclude)
            written[name] = (path, counts[name])
    finally:
        drop_tables(store, [f"{prefix}{name}" for name in ("concentration", "chokepoints")])
    return {k: written[k] for k in ("concentration", "chokepoints", "shares")}


@register_indicator(
    "concentration",
    help="Supplier concentration: HHI, top-supplier share and name, by product and period.",
    params_help={"selection": SELECTION_HELP, "denominator": DENOMINATOR_HELP},
)
def supplier_concentration(
    store: Store,
    selection: Selection | None = None,
    *,
    denominator: Denominator = "partners",
    **kwargs: Any,
) -> ConcentrationResult:
    """HHI of suppliers and the top supplier's share, by product and period (module doc)."""
    sel = selection or Selection(**kwargs)
    sql, params, ids, src = concentration_sql(store, sel, denominator)
    table = store.df(f"{sql} ORDER BY reporter, product, year, month", params)
    table.insert(3, "period", _period(table))
    notes = [f"source {src}"]
    if denominator == "world":
        notes.append("world denominator: HHI is a lower bound (unlisted suppliers unknown)")
    else:
        notes.append("shares of the sum over the suppliers listed in the source")
    return ConcentrationResult(
        table=table,
        name="supplier_concentration",
        units="HHI and top-supplier share, 0–1",
        formula="HHI = Σ_p s_p²; top_share = max_p s_p; s_p = v_p / T",
        title=f"Supplier concentration of {sel.reporter or 'each reporter'}'s "
        f"{sel.flow}s, {sel.group or f'{sel.classification}{sel.level}'}",
        source=source_line(store, ids),
        notes=notes,
        provenance_ids=ids,
        params={"denominator": denominator, "source": src},
    )


@register_indicator(
    "chokepoints",
    help="Products whose top supplier has more than 50 % / 70 % of the trade.",
    params_help={"selection": SELECTION_HELP, "denominator": DENOMINATOR_HELP},
)
def chokepoints(
    store: Store,
    selection: Selection | None = None,
    *,
    thresholds: Sequence[float] = (0.5, 0.7),
    denominator: Denominator = "partners",
    **kwargs: Any,
) -> ChokepointResult:
    """Count of products whose top supplier has a share above each threshold, by period.

    ``n_chokepoints[t, θ] = #{k : top_share[k, t] > θ}``, also split by the top supplier; the
    ``value_usd`` column is the reporter's imports of those products.
    """
    sel = selection or Selection(**kwargs)
    if not thresholds or any(not 0 < t < 1 for t in thresholds):
        raise ConfigError(f"Thresholds must be in (0, 1); got {list(thresholds)}.")
    sql, params, ids, src = concentration_sql(store, sel, denominator)
    choke, choke_params = queries.chokepoint_sql((sql, params), thresholds)
    table = store.df(
        f"{choke} ORDER BY reporter, year, month, threshold, top_supplier", choke_params
    )
    return ChokepointResult(
        table=table,
        name="chokepoints",
        units="count of products",
        formula="n_chokepoints = #{products : top supplier share > threshold}",
        title=f"Products where one supplier has most of {sel.reporter or 'each reporter'}'s "
        f"{sel.flow}s ({sel.group or f'{sel.classification}{sel.level}'})",
        source=source_line(store, ids),
        notes=[
            f"source {src}; denominator {denominator}",
            "top_supplier 'ALL' rows count every product; other rows split by the top supplier",
        ],
        provenance_ids=ids,
        params={"thresholds": list(thresholds), "denominator": denominator, "source": src},
    )


def _period(table: pd.DataFrame) -> pd.Series:
    if table.empty:
        return pd.Series([], dtype="datetime64[ns]")
    return pd.to_datetime(
        pd.DataFrame(
            {
                "year": table["year"].astype(int),
                "month": table["month"].fillna(1).astype(int),
                "day": 1,
            }
        )
    )


class ConcentrationResult(IndicatorResult):
    """HHI and top-supplier share; ``plot()`` ranks products by top-supplier share."""

    def plot(self, *, year: int | None = None, top: int = 15) -> Any:
        t = self.tidy()
        if t.empty:
            raise ConfigError("Nothing to plot: the concentration table is empty.")
        if t["year"].nunique() > 1 and t["product"].nunique() <= 6:
            return self._lines(t)
        year = int(year if year is not None else t["year"].max())
        t = t[t["year"] == year].nlargest(top, "total_usd")
        data = pd.DataFrame(
            {
                "product": t["product"].astype(str),
                "top_pct": t["top_share"] * 100,
                "hhi": t["hhi"],
                "top_supplier": t["top_supplier"].astype(str),
            }
        )
        bars = (
            alt.Chart(data)
            .mark_bar()
            .encode(
                y=alt.Y("product:N", sort="-x", title=None),
                x=alt.X(
                    "top_pct:Q", title="top supplier's share (%)", scale=alt.Scale(domain=[0, 100])
                ),
                color=alt.Color(
                    "top_supplier:N", title="top supplier", legend=alt.Legend(orient="right")
                ),
                tooltip=["product", "top_supplier", alt.Tooltip("hhi:Q", format=".3f")],
            )
        )
        rules = (
            alt.Chart(pd.DataFrame({"x": [50, 70]}))
            .mark_rule(strokeDash=[4, 3], color="#555")
            .encode(x="x:Q")
        )
        return charts.finish(
            alt.layer(bars, rules),
            title=f"{self.title}, {year}",
            subtitle=f"Top supplier's share, % (largest {top} products by value; rules at 50 %"
            " and 70 %)",
            source=self.source,
        )

    def _lines(self, t: pd.DataFrame) -> Any:
        data = pd.DataFrame(
            {
                "product": t["product"].astype(str),
                "date": t["period"].dt.strftime("%Y-%m-%d"),
                "hhi": t["hhi"].astype(float),
            }
        )
        lines = (
            alt.Chart(data)
            .mark_line(strokeWidth=2)
            .encode(
                x=alt.X("date:T", title=None, axis=time_axis(bool(t["month"].isna().all()))),
                y=alt.Y("hhi:Q", title="HHI (0–1)"),
                color=alt.Color("product:N", legend=alt.Legend(orient="right")),
            )
        )
        layer = alt.layer(lines, wave_markers(data["date"].min(), data["date"].max()))
        return charts.finish(
            layer,
            title=self.title,
            subtitle="Herfindahl–Hirschman index of suppliers, 0–1",
            source=self.source,
        )


class ChokepointResult(IndicatorResult):
    """Chokepoint counts; ``plot()`` draws the count by year for each threshold."""

    def count(self, year: int, threshold: float, supplier: str = "ALL") -> int:
        t = self.tidy()
        hit = t[
            (t["year"] == year) & (t["threshold"] == threshold) & (t["top_supplier"] == supplier)
        ]
        return int(hit["n_chokepoints"].sum())

    def plot(self) -> Any:
        t = self.tidy()
        t = t[t["top_supplier"] == "ALL"]
        data = pd.DataFrame(
            {
                "year": t["year"].astype(int).astype(str),
                "threshold": (t["threshold"] * 100).round().astype(int).astype(str) + " %",
                "n": t["n_chokepoints"].astype(int),
            }
        )
        chart = (
            alt.Chart(data)
            .mark_bar()
            .encode(
                x=alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0)),
                xOffset="threshold:N",
                y=alt.Y("n:Q", title="products"),
                color=alt.Color(
                    "threshold:N", title="top share above", legend=alt.Legend(orient="right")
                ),
            )
        )
        return charts.finish(
            chart, title=self.title, subtitle="Number of products", source=self.source
        )
