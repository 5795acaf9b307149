"""Science and technology ties: co-authorship, doctorates, R&D intensity, IP charges, Entity List.

All series read the long ``indicators`` table (WDI, NCSES, OpenAlex) or ``entity_list``.

Co-authored articles of countries a and b in year t (NCSES SPBS-35 whole counts, or OpenAlex
works)::

    pair[t]       = A[a, b, t]                     articles with authors from both a and b
    share_a[t]    = A[a, b, t] / A[a, WLD, t]      share of a's internationally co-authored
                                                   articles (OpenAlex: of a's co-authored works)

Entity List additions by year (survivor basis: entries still listed at the snapshot, dated by
their earliest Federal Register citation)::

    additions[c, y] = #{entries of country c with year(date_added) = y}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.errors import ConfigError, NoDataError
from techties.indicators.registry import register_indicator
from techties.indicators.result import IndicatorResult, has_table, source_line
from techties.store import Store

#: named series: indicator code in the ``indicators`` table and a label
SERIES: dict[str, tuple[str, str]] = {
    "rd_intensity": ("GB.XPD.RSDV.GD.ZS", "R&D expenditure, % of GDP"),
    "ip_payments": ("BM.GSR.ROYL.CD", "Charges for the use of IP, payments, current US$"),
    "ip_receipts": ("BX.GSR.ROYL.CD", "Charges for the use of IP, receipts, current US$"),
    "doctorates": ("ncses:SHED-12:doctorates:all_fields_all_s_e", "S&E doctoral degrees"),
    "hightech_exports": ("TX.VAL.TECH.CD", "High-technology exports, current US$"),
}
COAUTHOR = {
    "ncses": ("ncses:SPBS-35:intl_coauthored", "ncses:SPBS-35:intl_coauthored", "WLD"),
    "openalex": ("openalex:coauthored_works", "openalex:coauthored_works_total", None),
}


def _need(store: Store, table: str, what: str) -> None:
    if not has_table(store, table) or not store.scalar(f"SELECT count(*) FROM {table}"):
        raise NoDataError(
            f"The store has no {what} (table {table!r} is empty).",
            hint="Ingest the technology data (`techties report --data DIR`).",
        )


def indicator_series(
    store: Store, series: str, countries: Sequence[str] = ("USA", "CHN")
) -> SeriesResult:
    """One named series (:data:`SERIES`) by country and year, as stored (units kept)."""
    if series not in SERIES:
        raise ConfigError(f"Unknown series {series!r}.", hint=f"Use one of {', '.join(SERIES)}.")
    _need(store, "indicators", "science/technology indicators")
    code, label = SERIES[series]
    t = store.df(
        "SELECT source, indicator, country, year, value, unit, provenance_id FROM indicators "
        "WHERE indicator = ? AND partner IS NULL AND list_contains(?::VARCHAR[], country) "
        "AND value IS NOT NULL ORDER BY country, year",
        [code, list(countries)],
    )
    if t.empty:
        raise NoDataError(f"No {label} ({code}) for {', '.join(countries)} in the store.")
    ids = sorted({int(i) for i in t.pop("provenance_id")})
    return SeriesResult(
        table=t,
        name=series,
        units=str(t["unit"].iloc[0]),
        formula=f"{code} as published",
        title=label,
        source=source_line(store, ids),
        provenance_ids=ids,
    )


@register_indicator(
    "coauthorship",
    help="Internationally co-authored articles of the United States and China.",
    params_help={"source": "ncses or openalex."},
    options={"source": "science-source"},
)
def coauthorship(
    store: Store, a: str = "USA", b: str = "CHN", *, source: str = "ncses"
) -> SeriesResult:
    """Articles co-authored by ``a`` and ``b`` and their share of each side's (module doc)."""
    if source not in COAUTHOR:
        raise ConfigError(f"Unknown source {source!r}.", hint="Use 'ncses' or 'openalex'.")
    _need(store, "indicators", "co-authorship data")
    pair_code, total_code, world = COAUTHOR[source]
    world_cond = "partner = ?" if world else "partner IS NULL"
    world_params = [world] if world else []
    t = store.df(
        f"WITH p AS (SELECT year, value AS pair, provenance_id FROM indicators "
        f"WHERE indicator = ? AND country = ? AND partner = ?), "
        f"ta AS (SELECT year, value AS total_a FROM indicators WHERE indicator = ? "
        f"AND country = ? AND {world_cond}), "
        f"tb AS (SELECT year, value AS total_b FROM indicators WHERE indicator = ? "
        f"AND country = ? AND {world_cond}) "
        f"SELECT p.year, p.pair, ta.total_a, tb.total_b, p.pair / ta.total_a AS share_a, "
        f"p.pair / tb.total_b AS share_b, p.provenance_id FROM p LEFT JOIN ta USING (year) "
        f"LEFT JOIN tb USING (year) WHERE p.pair IS NOT NULL ORDER BY p.year",
        [pair_code, a, b, total_code, a, *world_params, total_code, b, *world_params],
    )
    if t.empty:
        raise NoDataError(f"No {source} co-authorship of {a} and {b} in the store.")
    ids = sorted({int(i) for i in t.pop("provenance_id")})
    t = t.rename(
        columns={
            "total_a": f"total_{a.lower()}",
            "total_b": f"total_{b.lower()}",
            "share_a": f"share_of_{a.lower()}",
            "share_b": f"share_of_{b.lower()}",
        }
    )
    unit = "articles (whole count)" if source == "ncses" else "works (OpenAlex)"
    return SeriesResult(
        table=t,
        name="coauthorship",
        units=f"{unit}; shares 0–1",
        formula=f"share_of_{a.lower()} = pair / {a}'s internationally co-authored total",
        title=f"{a}–{b} co-authored articles ({source})",
        source=source_line(store, ids),
        provenance_ids=ids,
        params={"a": a, "b": b, "source": source},
    )


@register_indicator(
    "entity-list",
    help="BIS Entity List additions by country and year (survivor basis).",
    params_help={"countries": "Countries (ISO3)."},
)
def entity_list_additions(
    store: Store, countries: Sequence[str] = ("CHN",), *, list_name: str = "BIS Entity List"
) -> SeriesResult:
    """Entries added by year for each country and in total (module doc; survivor basis)."""
    _need(store, "entity_list", "export-control lists")
    t = store.df(
        "SELECT year(date_added)::INTEGER AS year, coalesce(country_iso3, '?') AS country, "
        "count(*) AS additions, list(DISTINCT provenance_id) AS ids FROM entity_list "
        "WHERE list = ? AND date_added IS NOT NULL GROUP BY GROUPING SETS ((1), (1, 2)) "
        "ORDER BY 1, 2",
        [list_name],
    )
    if t.empty:
        raise NoDataError(f"No dated entries of {list_name!r} in the store.")
    t["country"] = t["country"].where(t["country"].notna(), "ALL")
    t.loc[t["country"].isna() | (t["country"] == "ALL"), "country"] = "ALL"
    ids = sorted({int(i) for v in t.pop("ids") for i in v})
    t = t[t["country"].isin([*countries, "ALL"])].reset_index(drop=True)
    return SeriesResult(
        table=t,
        name="entity_list_additions",
        units="entries",
        formula="additions[c, y] = #{entries of c whose earliest citation is in year y}",
        title=f"{list_name} additions by year",
        source=source_line(store, ids),
        notes=["survivor basis: entries removed before the snapshot are not counted"],
        provenance_ids=ids,
        params={"countries": list(countries)},
    )


class SeriesResult(IndicatorResult):
    """A yearly series; ``plot()`` draws lines (or bars for counts) by country."""

    def value(self, year: int, column: str = "value", country: str | None = None) -> float:
        t = self.tidy()
        t = t[t["year"] == year]
        if country is not None:
            t = t[t["country"] == country]
        if len(t) != 1:
            raise NoDataError(f"{len(t)} rows for {year} {country or ''}.")
        return float(t[column].iloc[0])

    def plot(self) -> Any:
        t = self.tidy()
        if self.name == "coauthorship":
            a = str(self.params["a"]).lower()
            data = pd.DataFrame(
                {"year": t["year"].astype(str), "country": self.params["a"], "value": t["pair"]}
            )
            y_title = "co-authored articles"
            lines = (
                alt.Chart(data)
                .mark_line(point=True, strokeWidth=2.5, color=charts.PALETTE[0])
                .encode(
                    x=alt.X("year:T", title=None, axis=alt.Axis(format="%Y", labelAngle=0)),
                    y=alt.Y("value:Q", title=y_title),
                )
            )
            return charts.finish(
                lines,
                title=self.title,
                subtitle=f"Articles with authors from both countries ({self.units.split(';')[0]})",
                source=self.source,
            )
        elif self.name == "entity_list_additions":
            data = pd.DataFrame(
                {"year": t["year"].astype(str), "country": t["country"], "value": t["additions"]}
            )
            y_title, a = "entries added", ""
            bars = (
                alt.Chart(data)
                .mark_bar()
                .encode(
                    x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=-45)),
                    xOffset=alt.XOffset(
                        "country:N", sort=[*self.params.get("countries", []), "ALL"]
                    ),
                    y=alt.Y("value:Q", title=y_title),
                    color=alt.Color(
                        "country:N",
                        title=None,
                        legend=alt.Legend(orient="right"),
                        sort=[*self.params.get("countries", []), "ALL"],
                    ),
                )
            )
            return charts.finish(bars, title=self.title, subtitle=self.units, source=self.source)
        else:
            data = pd.DataFrame(
                {"year": t["year"].astype(str), "country": t["country"], "value": t["value"]}
            )
            y_title, a = self.units, ""
        del a
        lines = (
            alt.Chart(data)
            .mark_line(point=True, strokeWidth=2)
            .encode(
                x=alt.X("year:T", title=None, axis=alt.Axis(format="%Y", labelAngle=0)),
                y=alt.Y("value:Q", title=y_title),
                color=alt.Color("country:N", title=None, legend=alt.Legend(orient="right")),
            )
        )
        return charts.finish(lines, title=self.title, subtitle=self.units, source=self.source)


for _series in ("rd_intensity", "ip_payments", "ip_receipts", "doctorates"):
    register_indicator(
        _series,
        help=f"{SERIES[_series][1]}, by country and year.",
        params_help={"countries": "Countries (ISO3)."},
        bind={"series": _series},
    )(indicator_series)
