"""Tariff exposure: effective duty rates, import coverage by tariff wave, average applied tariffs.

Effective duty rate of partner p in product group g and period t (Census calculated duties)::

    edr[p, g, t] = Σ_k duties_usd[p, k, t] / Σ_k value_usd[p, k, t]      (rows with duties only)

Import coverage of wave w (Section 301 list w, or any measure in ``tariff_measures``) in base
period t0, for imports from the wave's target::

    coverage[w] = Σ_{k covered by w} V[CHN, k, t0] / Σ_k V[CHN, k, t0]

A product at the trade data's level (HS6, HTS10 …) is covered when a listed tariff line falls in
it (HS6 containing a listed HTS8: partial coverage counted as full, the usual HS6 convention) or
when it falls in a listed line (HTS10 under a listed HTS8).

Average applied tariff of imposer i on partner p on date d (rates from
:func:`techties.indicators.tariffs.applied_tariff`, MFN + additional duties, ad valorem %)::

    simple[p, d]         = mean_k τ[k, p, d]
    trade_weighted[p, d] = Σ_k w[k, p] τ[k, p, d] / Σ_k w[k, p],   w = imports in the base year
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.errors import ConfigError, NoDataError
from techties.indicators import tariffs
from techties.indicators.registry import SELECTION_HELP, register_indicator
from techties.indicators.result import (
    IndicatorResult,
    has_table,
    provenance_ids,
    source_line,
    time_axis,
    wave_markers,
)
from techties.indicators.shares import Selection, resolve, selection_sql
from techties.store import Store

#: Section 301 waves on China as coded in ``tariff_measures.measure``
WAVES_301 = ("301_list1", "301_list2", "301_list3", "301_list4a")


@register_indicator(
    "duty-rate",
    help="Effective duty rate: calculated duties / customs value, by partner and period.",
    params_help={"selection": SELECTION_HELP, "partners": "Partners to show; default every one."},
)
def effective_duty_rates(
    store: Store,
    selection: Selection | None = None,
    *,
    partners: Sequence[str] | None = None,
    **kwargs: Any,
) -> DutyRateResult:
    """Calculated duties / customs value by partner, product group and period (module doc)."""
    sel = selection or Selection(**kwargs)
    res = resolve(store, sel)
    rows_sql, params = selection_sql(res)
    keep, keep_params = "", []
    if partners:
        keep = "AND list_contains(?::VARCHAR[], partner)"
        keep_params = [list(partners)]
    table = store.df(
        f"SELECT source, reporter, year, month, product, partner, "
        f"sum(value_usd) FILTER (WHERE duties_usd IS NOT NULL) AS value_usd, "
        f"sum(duties_usd) AS duties_usd, "
        f"sum(duties_usd) / nullif(sum(value_usd) FILTER (WHERE duties_usd IS NOT NULL), 0) "
        f"AS duty_rate, count(*) FILTER (WHERE duties_usd IS NULL) AS rows_without_duties "
        f"FROM ({rows_sql}) WHERE TRUE {keep} GROUP BY ALL "
        f"ORDER BY reporter, product, year, month, partner",
        [*params, *keep_params],
    )
    if table["duties_usd"].isna().all():
        raise NoDataError(
            f"Source {res.source!r} reports no calculated duties for this selection.",
            hint="Effective duty rates need Census files with CAL_DUT columns.",
        )
    ids = provenance_ids(store, rows_sql, params)
    notes = [
        f"source {res.source}; duty rate = calculated duties / customs value (imports for "
        "consumption)"
    ]
    missing = int(table["rows_without_duties"].sum())
    if missing:
        notes.append(f"{missing} rows without duties left out of numerator and denominator")
    what = sel.group or ("all goods" if sel.level == 0 else f"{sel.classification}{sel.level}")
    return DutyRateResult(
        table=table,
        name="effective_duty_rate",
        units="duties / imports (0–1)",
        formula="edr = Σ duties_usd / Σ value_usd",
        title=f"Effective duty rate on {sel.reporter}'s imports, {what}",
        source=source_line(store, ids),
        notes=notes,
        provenance_ids=ids,
        params={"source": res.source},
    )


class DutyRateResult(IndicatorResult):
    """Effective duty rates; ``plot()``: bars by partner (one year) or lines over time."""

    def rate(self, partner: str, year: int, product: str | None = None) -> float:
        t = self.tidy()
        t = t[(t["partner"] == partner) & (t["year"] == year)]
        if product is not None:
            t = t[t["product"] == product]
        if t.empty:
            raise NoDataError(f"No duty rate for {partner} in {year}.")
        return float(t["duties_usd"].sum() / t["value_usd"].sum())

    def plot(self, *, top: int = 12) -> Any:
        t = self.tidy()
        by = t.groupby(["partner", "year", "month"], dropna=False)[["duties_usd", "value_usd"]]
        agg = by.sum().reset_index()
        agg["rate_pct"] = agg["duties_usd"] / agg["value_usd"] * 100
        if agg["year"].nunique() == 1 and agg["month"].isna().all():
            keep = agg.nlargest(top, "value_usd")
            data = pd.DataFrame({"partner": keep["partner"], "rate_pct": keep["rate_pct"]})
            bars = (
                alt.Chart(data)
                .mark_bar(color=charts.PALETTE[0])
                .encode(
                    y=alt.Y("partner:N", sort="-x", title=None),
                    x=alt.X("rate_pct:Q", title="duties / imports (%)"),
                )
            )
            text = bars.mark_text(align="left", dx=3, fontSize=11).encode(
                text=alt.Text("rate_pct:Q", format=".2f")
            )
            return charts.finish(
                alt.layer(bars, text),
                title=f"{self.title}, {int(agg['year'].iloc[0])}",
                subtitle=f"Calculated duties as % of customs value (largest {top} partners)",
                source=self.source,
            )
        month = agg["month"].fillna(1).astype(int)
        data = pd.DataFrame(
            {
                "partner": agg["partner"],
                "date": pd.to_datetime(
                    pd.DataFrame({"year": agg["year"].astype(int), "month": month, "day": 1})
                ).dt.strftime("%Y-%m-%d"),
                "rate_pct": agg["rate_pct"],
            }
        )
        lines = (
            alt.Chart(data)
            .mark_line(strokeWidth=2, interpolate="step-after")
            .encode(
                x=alt.X("date:T", title=None, axis=time_axis(False)),
                y=alt.Y("rate_pct:Q", title="duties / imports (%)"),
                color=alt.Color("partner:N", legend=alt.Legend(orient="right")),
            )
        )
        layer = alt.layer(lines, wave_markers(data["date"].min(), data["date"].max()))
        return charts.finish(
            layer,
            title=self.title,
            subtitle="Calculated duties as % of customs value",
            source=self.source,
        )


# -- coverage by wave ------------------------------------------------------------------------
def covered_codes(
    store: Store,
    measures: Sequence[str] = WAVES_301,
    *,
    imposer: str = "USA",
    target: str = "CHN",
    datasets: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Tariff lines of each measure (``measure, product_code, product_level, start_date``)."""
    if not has_table(store, "tariff_measures") or not store.scalar(
        "SELECT count(*) FROM tariff_measures"
    ):
        raise NoDataError(
            "The store has no tariff measures (Section 301 lists).",
            hint="Ingest the 301 lists (e.g. `techties ingest section301 tariff_list.rdata`).",
        )
    ds = ""
    params: list[Any] = [imposer, target, list(measures)]
    if datasets:
        ds = "AND list_contains(?::VARCHAR[], dataset)"
        params.append(list(datasets))
    codes = store.df(
        f"SELECT measure, product_code, any_value(product_level) AS product_level, "
        f"min(start_date) AS start_date FROM tariff_measures WHERE imposer = ? "
        f"AND (target = ? OR target = 'ALL') AND list_contains(?::VARCHAR[], measure) "
        f"AND kind = 'additional' {ds} GROUP BY ALL",
        params,
    )
    if codes.empty:
        found = store.df("SELECT DISTINCT measure FROM tariff_measures ORDER BY 1")["measure"]
        raise NoDataError(
            f"No lines of measures {list(measures)} for {imposer} on {target}.",
            hint=f"Measures in the store: {', '.join(found)}.",
        )
    return codes


def _coverage_join(level: int) -> str:
    """Match trade products (``product``, ``level`` digits) with listed lines ``c``."""
    return (
        f"(c.product_level >= {level} AND substr(c.product_code, 1, {level}) = r.product) OR "
        f"(c.product_level < {level} AND substr(r.product, 1, c.product_level) = c.product_code)"
    )


@register_indicator(
    "coverage",
    help="Share of base-year imports from the partner in products covered by each 301 wave.",
    params_help={
        "selection": SELECTION_HELP,
        "partner": "The partner the tariffs target (ISO3).",
        "base_year": "Year whose imports weight the coverage.",
    },
)
def tariff_wave_coverage(
    store: Store,
    selection: Selection | None = None,
    *,
    partner: str = "CHN",
    base_year: int = 2017,
    measures: Sequence[str] = WAVES_301,
    datasets: Sequence[str] | None = None,
    **kwargs: Any,
) -> CoverageResult:
    """Imports from ``partner`` in ``base_year`` covered by each tariff wave (module doc)."""
    kwargs.setdefault("level", 6)
    sel = selection or Selection(years=(base_year, base_year), **kwargs)
    codes = covered_codes(store, measures, target=partner, datasets=datasets)
    res = resolve(store, sel)
    rows_sql, params = selection_sql(res)
    level = sel.level
    store.con.register("_techties_lines", codes)
    try:
        table = store.df(
            f"WITH r AS (SELECT product, sum(value_usd) AS v FROM ({rows_sql}) "
            f"WHERE partner = ? GROUP BY ALL), tot AS (SELECT sum(v) AS total FROM r), "
            f"w AS (SELECT DISTINCT c.measure, r.product, r.v FROM r JOIN _techties_lines c "
            f"ON {_coverage_join(level)}), "
            f"s AS (SELECT measure, min(start_date) AS start_date FROM _techties_lines "
            f"GROUP BY 1), u AS (SELECT DISTINCT product, v FROM w) "
            f"SELECT w.measure, s.start_date, count(*) AS products, sum(w.v) AS covered_usd, "
            f"any_value(tot.total) AS total_usd, sum(w.v) / any_value(tot.total) AS coverage "
            f"FROM w JOIN s USING (measure), tot GROUP BY w.measure, s.start_date "
            f"UNION ALL SELECT 'any', NULL, count(*), sum(u.v), any_value(tot.total), "
            f"sum(u.v) / any_value(tot.total) FROM u, tot "
            f"ORDER BY start_date NULLS LAST",
            [*params, partner],
        )
    finally:
        store.con.unregister("_techties_lines")
    ids = provenance_ids(store, rows_sql, params)
    return CoverageResult(
        table=table,
        name="tariff_wave_coverage",
        units="share of base-year imports (0–1); values in current USD",
        formula="coverage[w] = Σ_{k covered by w} V[k, t0] / Σ_k V[k, t0]",
        title=f"{sel.reporter} imports from {partner} covered by each tariff wave "
        f"({base_year} values)",
        source=source_line(store, ids),
        notes=[
            f"source {res.source}; products at {level} digits; a product counts as covered when "
            "any listed tariff line falls in it (upper bound at HS6)",
        ],
        provenance_ids=ids,
        params={"partner": partner, "base_year": base_year, "measures": list(measures)},
    )


class CoverageResult(IndicatorResult):
    """Coverage by wave; ``plot()``: bars of covered imports (USD bn) per wave."""

    def plot(self) -> Any:
        t = self.tidy()
        data = pd.DataFrame(
            {
                "wave": t["measure"].astype(str),
                "covered_bn": t["covered_usd"] / 1e9,
                "pct": t["coverage"] * 100,
            }
        )
        bars = (
            alt.Chart(data)
            .mark_bar(color=charts.PALETTE[0])
            .encode(
                x=alt.X("wave:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("covered_bn:Q", title="USD bn"),
            )
        )
        text = bars.mark_text(dy=-6, fontSize=11).encode(text=alt.Text("pct:Q", format=".1f"))
        return charts.finish(
            alt.layer(bars, text),
            title=self.title,
            subtitle="Imports covered, USD bn (label: % of base-year imports from the partner)",
            source=self.source,
        )


# -- average applied tariffs -----------------------------------------------------------------
def average_tariffs(
    store: Store,
    dates: Sequence[str | dt.date],
    *,
    partners: Sequence[str] = ("CHN",),
    weights: Selection | None = None,
    base_year: int = 2017,
    imposer: str = "USA",
    datasets: Sequence[str] | None = None,
) -> AverageTariffResult:
    """Simple and trade-weighted average applied tariffs by partner and date (module doc).

    Rates come from :func:`techties.indicators.tariffs.applied_tariff` at HS6 (simple mean over
    the HTS8 lines inside each HS6); weights are the imposer's imports from each partner in
    ``base_year`` at HS6 (the ``weights`` selection, default HS6 of every source with them).
    """
    chosen, ds_note = _tariff_datasets(store, tariffs, imposer, datasets)
    lines = tariffs.applied_tariff(
        store, None, list(partners), list(dates), level=6, imposer=imposer, datasets=chosen
    ).tidy()
    wsel = weights or Selection(reporter=imposer, level=6, years=(base_year, base_year))
    res = resolve(store, wsel)
    rows_sql, params = selection_sql(res)
    w = store.df(
        f"SELECT partner, product AS product_code, sum(value_usd) AS weight FROM ({rows_sql}) "
        f"WHERE list_contains(?::VARCHAR[], partner) GROUP BY ALL",
        [*params, list(partners)],
    )
    merged = lines.merge(w, on=["partner", "product_code"], how="left")
    merged["weight"] = merged["weight"].fillna(0.0)
    rows = []
    for (day, partner), g in merged.groupby(["on_date", "partner"], sort=True):
        wsum = g["weight"].sum()
        rows.append(
            {
                "date": pd.Timestamp(str(day)),
                "partner": partner,
                "simple_pct": float(g["applied_pct"].mean()),
                "trade_weighted_pct": float((g["applied_pct"] * g["weight"]).sum() / wsum)
                if wsum > 0
                else float("nan"),
                "products": len(g),
                "weighted_products": int((g["weight"] > 0).sum()),
            }
        )
    if not rows:
        raise ConfigError("No dates given for average tariffs.")
    ids = provenance_ids(store, rows_sql, params)
    ids += [
        int(i)
        for i in store.df(
            "SELECT DISTINCT provenance_id FROM tariff_measures WHERE imposer = ? "
            "AND list_contains(?::VARCHAR[], dataset) ORDER BY 1",
            [imposer, chosen],
        )["provenance_id"]
    ]
    return AverageTariffResult(
        table=pd.DataFrame(rows),
        name="average_tariff",
        units="percent, ad valorem",
        formula="simple = mean_k τ_k; trade_weighted = Σ w_k τ_k / Σ w_k (w = base-year imports)",
        title=f"Average {imposer} tariff on imports from {', '.join(partners)}",
        source=source_line(store, ids),
        notes=[
            f"weights: {res.source} imports in {base_year} at HS6; rates: MFN + additional "
            "duties in force (tariff_measures), ad valorem part only",
            ds_note,
        ],
        provenance_ids=ids,
        params={"base_year": base_year, "imposer": imposer},
    )


def _tariff_datasets(
    store: Store, tariffs: Any, imposer: str, datasets: Sequence[str] | None
) -> tuple[list[str], str]:
    """The tariff datasets to sum: as given, else the defaults of
    :mod:`techties.indicators.tariffs` present in the store, plus the datasets with additional
    duties when none of the defaults has any (e.g. only the USTR 301 lists were ingested)."""
    found = store.df(
        "SELECT dataset, bool_or(kind = 'additional') AS additional FROM tariff_measures "
        "WHERE imposer = ? GROUP BY dataset",
        [imposer],
    )
    if datasets:
        return list(datasets), f"tariff datasets: {', '.join(datasets)}"
    present = dict(zip(found["dataset"], found["additional"], strict=True))
    chosen = [d for d in tariffs.DEFAULT_DATASETS.get(imposer, ()) if d in present]
    if not any(present[d] for d in chosen):
        chosen += [d for d, add in present.items() if add and d not in chosen]
    if not chosen:
        raise NoDataError(
            f"No tariff schedule of {imposer} in the store.",
            hint="Ingest an MFN schedule and the Section 301 lists.",
        )
    return chosen, f"tariff datasets: {', '.join(chosen)}"


class AverageTariffResult(IndicatorResult):
    """Average tariffs by date; ``plot()`` is a step chart like the PIIE trade-war chart."""

    def plot(self) -> Any:
        t = self.tidy()
        long = t.melt(
            id_vars=["date", "partner"],
            value_vars=["trade_weighted_pct", "simple_pct"],
            var_name="average",
            value_name="pct",
        )
        long["average"] = long["average"].map(
            {"trade_weighted_pct": "trade-weighted", "simple_pct": "simple"}
        )
        long["series"] = long["partner"] + ", " + long["average"]
        # hold the last level for a quarter so the final step is visible
        last = long[long["date"] == long["date"].max()].copy()
        last["date"] = pd.to_datetime(last["date"]) + pd.Timedelta(days=91)
        long = pd.concat([long, last], ignore_index=True)
        long["date"] = pd.to_datetime(long["date"]).dt.strftime("%Y-%m-%d")
        lines = (
            alt.Chart(long)
            .mark_line(interpolate="step-after", strokeWidth=2.5)
            .encode(
                x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
                y=alt.Y("pct:Q", title="tariff (%)"),
                color=alt.Color("series:N", title=None, legend=alt.Legend(orient="right")),
            )
        )
        layer = alt.layer(lines, wave_markers(long["date"].min(), long["date"].max()))
        return charts.finish(
            layer,
            title=self.title,
            subtitle="Average applied tariff, % (MFN + additional duties)",
            source=self.source,
        )
