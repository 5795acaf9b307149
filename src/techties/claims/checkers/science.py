"""Checkers on science, R&D and multinational-activity indicators (the ``indicators`` table)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, pct_change, register, three_way
from techties.claims.checkers._evidence import ids, indicator_series, year_lines
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

#: WDI code of R&D expenditure (% of GDP)
RD_INTENSITY = "GB.XPD.RSDV.GD.ZS"
#: pace threshold (pp of GDP per year) for "faster"/"slower"
RD_PACE_MARGIN_PP = 0.01
RD_PRE = (2010, 2017)

#: NCSES indicator codes (indicators table) for US companies' activity in China
MNE_RD = "ncses:MNE-RD:us_company_rd_abroad:total"
MNE_EMPLOYMENT = "ncses:MNE-EMP:us_company_employment_abroad:employees_total"
MNE_GROWTH_PCT = 10.0
#: BERD replaced BRDIS/BRDS in 2018 and NCSES says earlier years are not comparable
BERD_COMPARABLE_FROM = 2018

#: NCSES SEI table SHED-12: doctoral degrees awarded, all fields
DOCTORATES = "ncses:SHED-12:doctorates:all_fields"
DOCTORATE_GAP_PCT = 5.0

LOAD_WDI = "ingest the WDI indicator files (tech-wdi/) with `techties report --data DIR`"
LOAD_NCSES = "ingest the NCSES tables (tech-science/, tech-mne/) with `techties report --data DIR`"


def _line(df: pd.DataFrame, *, title: str, unit: str, source: str, waves: bool = False) -> Any:
    line = year_lines(
        df, y="value", y_title=unit, color="country", color_title="Country", value_format=",.2f"
    )
    layer = line + charts.wave_rules() if waves else line
    return charts.finish(layer, title=title, subtitle=unit, source=source)


@register
class ChinaRdPace(Checker):
    """Claim 5: China's R&D intensity grew faster after 2017 than in 2010–2017."""

    name = "china_rd_pace"
    claim_id = "china-accelerated-rd"
    method = (
        f"Reads China's R&D expenditure as % of GDP (WDI {RD_INTENSITY}) from the indicators "
        "table and compares the average yearly change 2010→2017 with 2017→latest year. "
        f"The pace counts as faster or slower when the two differ by at least {RD_PACE_MARGIN_PP} "
        "pp of GDP a year."
    )

    def evaluate(self, store: Store) -> Verdict:
        df = indicator_series(
            store, RD_INTENSITY, ["CHN", "USA"], needed_for="R&D intensity", loaded_by=LOAD_WDI
        )
        chn = df[df["country"] == "CHN"].set_index("year")["value"]
        years = set(chn.index)
        if not {RD_PRE[0], RD_PRE[1]} <= years or max(years) <= RD_PRE[1]:
            raise Missing(
                "no_data",
                f"China's R&D intensity needs {RD_PRE[0]}, {RD_PRE[1]} and a later year; "
                f"the store has {min(years)}–{max(years)}.",
            )
        last = int(max(years))
        pre = (chn[RD_PRE[1]] - chn[RD_PRE[0]]) / (RD_PRE[1] - RD_PRE[0])
        post = (chn[last] - chn[RD_PRE[1]]) / (last - RD_PRE[1])
        diff = post - pre
        status = three_way(diff >= RD_PACE_MARGIN_PP, diff <= -RD_PACE_MARGIN_PP)
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=(
                f"China's R&D intensity rose {post:.3f} pp a year in {RD_PRE[1]}–{last} against "
                f"{pre:.3f} pp a year in {RD_PRE[0]}–{RD_PRE[1]}."
            ),
            figures=[
                Figure("pace_post", f"Yearly change {RD_PRE[1]}–{last}", post, "pp/yr", 3),
                Figure("pace_pre", f"Yearly change {RD_PRE[0]}–{RD_PRE[1]}", pre, "pp/yr", 3),
                Figure(
                    "rd_2010", f"China R&D intensity {RD_PRE[0]}", chn[RD_PRE[0]], "% of GDP", 2
                ),
                Figure(
                    "rd_2017", f"China R&D intensity {RD_PRE[1]}", chn[RD_PRE[1]], "% of GDP", 2
                ),
                Figure("rd_last", f"China R&D intensity {last}", chn[last], "% of GDP", 2),
            ],
            evidence=df,
            provenance_ids=ids(df),
            chart=_line(
                df[df["year"] >= 2000],
                title="R&D expenditure, China and United States",
                unit="% of GDP",
                source="World Bank WDI GB.XPD.RSDV.GD.ZS",
                waves=False,
            ),
        )


@register
class MneActivityChina(Checker):
    """Claim 3: US companies' R&D and employment in China grew."""

    name = "mne_activity_china"
    claim_id = "us-mne-gain-china"
    method = (
        "Reads R&D performed in China by US companies and their employment in China (NCSES "
        f"BERD and foreign-employment tables) from the indicators table. Growth from "
        f"{BERD_COMPARABLE_FROM} (first comparable BERD year) to the last staged year counts when "
        f"it is at least {MNE_GROWTH_PCT:.0f} % either way."
    )

    def evaluate(self, store: Store) -> Verdict:
        rd = indicator_series(
            store, MNE_RD, ["CHN"], needed_for="US companies' R&D in China", loaded_by=LOAD_NCSES
        )
        emp = indicator_series(
            store,
            MNE_EMPLOYMENT,
            ["CHN"],
            needed_for="US companies' employment in China",
            loaded_by=LOAD_NCSES,
        )
        g_rd = _growth(
            rd[rd["year"] >= BERD_COMPARABLE_FROM]
            if (rd["year"] >= BERD_COMPARABLE_FROM).sum() >= 2
            else rd
        )
        g_emp = _growth(emp)
        status = three_way(
            g_rd[2] >= MNE_GROWTH_PCT and g_emp[2] >= MNE_GROWTH_PCT,
            g_rd[2] <= -MNE_GROWTH_PCT and g_emp[2] <= -MNE_GROWTH_PCT,
        )
        both = pd.concat(
            [rd.assign(series="R&D (USD m)"), emp.assign(series="Employment (thousands)")],
            ignore_index=True,
        )
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=(
                f"R&D of US companies in China changed {g_rd[2]:+.0f} % ({g_rd[0]}–{g_rd[1]}); "
                f"their employment there {g_emp[2]:+.0f} % ({g_emp[0]}–{g_emp[1]}). Activity, not "
                "profit, is measured."
            ),
            figures=[
                Figure(
                    "rd_growth", f"R&D in China, change {g_rd[0]}–{g_rd[1]}", g_rd[2], "% change", 0
                ),
                Figure(
                    "rd_last", f"R&D in China {g_rd[1]}", float(rd["value"].iloc[-1]), "USD m", 0
                ),
                Figure(
                    "employment_growth",
                    f"Employment in China, change {g_emp[0]}–{g_emp[1]}",
                    g_emp[2],
                    "% change",
                    0,
                ),
                Figure(
                    "employment_last",
                    f"Employment in China {g_emp[1]}",
                    float(emp["value"].iloc[-1]),
                    "thousand",
                    0,
                ),
            ],
            evidence=both,
            provenance_ids=ids(both),
            chart=_indexed(both),
        )


def _growth(df: pd.DataFrame) -> tuple[int, int, float]:
    s = df.sort_values("year")
    return (
        int(s["year"].iloc[0]),
        int(s["year"].iloc[-1]),
        pct_change(float(s["value"].iloc[-1]), float(s["value"].iloc[0])),
    )


def _indexed(df: pd.DataFrame) -> Any:
    first = df.sort_values("year").groupby("series")["value"].transform("first")
    data = df.assign(index=100 * df["value"] / first)
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("index:Q", title="Index, first year = 100"),
            color=alt.Color("series:N", title=None),
            tooltip=["series", "year", alt.Tooltip("value:Q", format=",.0f")],
        )
    )
    return charts.finish(
        chart,
        title="US companies' activity in China",
        subtitle="Index, first staged year = 100",
        source="NCSES BERD and foreign-employment tables",
    )


@register
class Doctorates(Checker):
    """Claim 10: China awards the most doctorates (the data count degrees, not candidates)."""

    name = "doctorates"
    claim_id = "china-most-doctorates"
    method = (
        "Reads doctoral degrees awarded in all fields by country (NCSES SEI table SHED-12) from "
        "the indicators table and ranks countries in the latest year. The claim is about "
        "candidates; the data count degrees awarded, so the verdict is about degrees."
    )

    def evaluate(self, store: Store) -> Verdict:
        df = (
            store.df(
                "SELECT country, year, value, unit, name, provenance_id FROM indicators "
                "WHERE indicator = ? AND value IS NOT NULL AND country IS NOT NULL",
                [DOCTORATES],
            )
            if store.has_table("indicators")
            else pd.DataFrame()
        )
        if df.empty:
            indicator_series(
                store, DOCTORATES, ["CHN"], needed_for="doctorates", loaded_by=LOAD_NCSES
            )
        year = (
            int(df.loc[df["country"] == "CHN", "year"].max())
            if (df["country"] == "CHN").any()
            else None
        )
        if year is None:
            raise Missing("no_data", "no doctorate counts for China in the store.")
        latest = df[df["year"] == year].sort_values("value", ascending=False)
        china = float(latest.loc[latest["country"] == "CHN", "value"].iloc[0])
        rival = latest[latest["country"] != "CHN"].iloc[0]
        gap = pct_change(float(rival["value"]), china)
        china_first = latest["country"].iloc[0] == "CHN"
        status = three_way(china_first, not china_first and gap >= DOCTORATE_GAP_PCT)
        lead = "China" if china_first else str(rival["country"])
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=(
                f"In {year} {lead} awarded the most doctorates; China {china:,.0f}, "
                f"{rival['country']} {float(rival['value']):,.0f}. These are degrees awarded, "
                "not enrolled candidates."
            ),
            figures=[
                Figure("china", f"China, doctorates awarded {year}", china, "degrees"),
                Figure(
                    "rival",
                    f"{rival['country']}, doctorates awarded {year}",
                    float(rival["value"]),
                    "degrees",
                ),
                Figure("gap", f"{rival['country']} relative to China", gap, "% change", 1),
            ],
            evidence=df,
            provenance_ids=ids(df),
            chart=_bars(latest.head(10), year),
        )


def _bars(df: pd.DataFrame, year: int) -> Any:
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="Doctoral degrees awarded", axis=alt.Axis(format=",.0f")),
            y=alt.Y("country:N", sort="-x", title=None),
            color=alt.condition(
                alt.datum.country == "CHN",
                alt.value(charts.PALETTE[0]),
                alt.value(charts.PALETTE[2]),
            ),
            tooltip=["country", alt.Tooltip("value:Q", format=",.0f")],
        )
    )
    return charts.finish(
        chart,
        title=f"Doctoral degrees awarded, all fields, {year}",
        subtitle="Degrees (not enrolled candidates)",
        source="NCSES SEI table SHED-12",
        height=220,
    )
