"""The partner-share result (:func:`techties.indicators.shares.partner_shares`) and its charts:
share lines over time with the tariff-wave markers, one year's bars, stacked supplier shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import altair as alt
import pandas as pd

from techties import charts
from techties.errors import NoDataError
from techties.indicators.aggregates import listed_aggregates
from techties.indicators.result import IndicatorResult, time_axis, wave_markers


class ShareResult(IndicatorResult):
    """Partner shares; ``plot()`` draws share lines over time with the tariff-wave markers."""

    def share(self, partner: str, product: str, year: int, month: int | None = None) -> float:
        """One share value, read from :meth:`tidy`."""
        t = self.tidy()
        hit = t[(t["partner"] == partner) & (t["product"] == product) & (t["year"] == year)]
        if month is not None:
            hit = hit[hit["month"] == month]
        if len(hit) != 1:
            raise NoDataError(
                f"No single share for {partner} {product} {year}{'' if month is None else month}."
            )
        return float(hit["share"].iloc[0])

    def plot(
        self,
        *,
        products: Sequence[str] | None = None,
        partners: Sequence[str] | None = None,
        top: int = 6,
        kind: Literal["lines", "stacked"] = "lines",
    ) -> Any:
        """Share lines over time with the tariff-wave markers (bars for a single year), or
        ``kind="stacked"``: stacked supplier shares of one product by period (top suppliers
        and the rest as "other")."""
        t = self.tidy().dropna(subset=["share"])
        if kind == "stacked":
            return self._stacked(t, products, top)
        if products:
            t = t[t["product"].isin(products)]
        if partners:
            t = t[t["partner"].isin(partners)]
        multi_product = t["product"].nunique() > 1
        series = "product" if multi_product and t["partner"].nunique() == 1 else "partner"
        if series == "partner":
            keep = t.groupby("partner")["value_usd"].sum().nlargest(top).index
            t = t[t["partner"].isin(keep)]
        else:
            keep = t.groupby("product")["value_usd"].sum().nlargest(top).index
            t = t[t["product"].isin(keep)]
        annual = bool(t["month"].isna().all())
        data = pd.DataFrame(
            {
                "partner": t["partner"].astype(str),
                "product": t["product"].astype(str),
                "year": t["year"].astype(int),
                "share_pct": t["share"].astype(float) * 100,
                "date": t["period"].dt.strftime("%Y-%m-%d"),
            }
        )
        if data["year"].nunique() <= 1:
            return self._bar(data, series)
        lines = (
            alt.Chart(data)
            .mark_line(point=annual, strokeWidth=2)
            .encode(
                x=alt.X("date:T", title=None, axis=time_axis(annual)),
                y=alt.Y("share_pct:Q", title="share (%)"),
                color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="right")),
                tooltip=[series, "date:T", alt.Tooltip("share_pct:Q", format=".2f")],
            )
        )
        if series == "partner" and data["product"].nunique() > 1:
            lines = lines.encode(
                strokeDash=alt.StrokeDash("product:N", legend=alt.Legend(orient="right"))
            )
        start, end = data["date"].min(), data["date"].max()
        layer = alt.layer(lines, wave_markers(start, end))
        return charts.finish(layer, title=self.title, subtitle=_subtitle(self), source=self.source)

    def _stacked(self, t: pd.DataFrame, products: Sequence[str] | None, top: int) -> Any:
        product = (products or [str(t.groupby("product")["value_usd"].sum().idxmax())])[0]
        t = t[t["product"] == product]
        if t.empty:
            raise NoDataError(f"No shares of product {product!r} to plot.")
        aggregates = listed_aggregates(t["partner"])
        t = t[~t["partner"].isin(aggregates)]  # members are shown; the bloc would count twice
        keep = [str(p) for p in t.groupby("partner")["value_usd"].sum().nlargest(top).index]
        t = t[t["partner"].isin(keep)]
        data = t.assign(supplier=t["partner"], date=t["period"].dt.strftime("%Y-%m-%d"))[
            ["date", "supplier", "share"]
        ]
        rest = 1 - data.groupby("date", as_index=False)["share"].sum().set_index("date")["share"]
        data = pd.concat(
            [data, pd.DataFrame({"date": rest.index, "supplier": "other", "share": rest.values})],
            ignore_index=True,
        )
        data["share_pct"] = data["share"] * 100
        order = [*keep, "other"]
        monthly = t["month"].notna().any()
        bars = alt.Chart(data).mark_area() if monthly else alt.Chart(data).mark_bar()
        chart = bars.encode(
            x=alt.X(
                "date:T" if monthly else "year(date):O",
                title=None,
                axis=time_axis(False) if monthly else alt.Axis(labelAngle=0),
            ),
            y=alt.Y(
                "share_pct:Q", title="share (%)", stack="zero", scale=alt.Scale(domain=[0, 100])
            ),
            color=alt.Color(
                "supplier:N",
                title=None,
                legend=alt.Legend(orient="right"),
                scale=alt.Scale(domain=order, range=_stack_colours(len(order) - 1)),
            ),
            order=alt.Order("supplier_rank:Q"),
            tooltip=["supplier", "date:T", alt.Tooltip("share_pct:Q", format=".1f")],
        ).transform_calculate(supplier_rank=f"indexof({order!r}, datum.supplier)")
        return charts.finish(
            chart,
            title=f"Suppliers of {self.params['selection']['reporter'] or 'each reporter'}'s "
            f"imports, {product}",
            subtitle=_subtitle(self) + "; stacked, largest suppliers first",
            source=self.source,
        )

    def _bar(self, data: pd.DataFrame, series: str) -> Any:
        label = "partner" if series == "product" else series
        bars = (
            alt.Chart(data)
            .mark_bar(color=charts.PALETTE[1])
            .encode(
                y=alt.Y(f"{label}:N", sort="-x", title=None),
                x=alt.X("share_pct:Q", title="share (%)"),
                tooltip=[label, alt.Tooltip("share_pct:Q", format=".2f")],
            )
        )
        text = bars.mark_text(align="left", dx=3, fontSize=11).encode(
            text=alt.Text("share_pct:Q", format=".1f")
        )
        year = int(data["year"].iloc[0])
        return charts.finish(
            alt.layer(bars, text),
            title=f"{self.title}, {year}",
            subtitle=_subtitle(self),
            source=self.source,
        )


def _stack_colours(n: int) -> list[str]:
    """House colours for ``n`` suppliers (grey kept for "other")."""
    named = [c for c in charts.PALETTE if c != "#7f8c8d"]
    return [*(named * (n // len(named) + 1))[:n], "#c8c8c8"]


def _subtitle(res: IndicatorResult) -> str:
    denom = res.params.get("denominator")
    base = "Share of imports, %" if "import" in res.units else "Share, %"
    if denom == "partners":
        return base + " (of the sum over the partners in the source, not the world total)"
    return base + " of the world total"
