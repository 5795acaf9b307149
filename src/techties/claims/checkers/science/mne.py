"""Claim 3: US multinationals gain from their research and operations in China (the staged data
measure activity, a proxy; the gain itself is not staged)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, pct_change, register
from techties.claims.checkers._evidence import ids, indicator_series
from techties.claims.checkers.science._common import (
    LOAD_NCSES,
    _verdict,
)
from techties.claims.rules import Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

#: NCSES indicator codes (indicators table) for US companies' activity in China
MNE_RD = "ncses:MNE-RD:us_company_rd_abroad:total"
MNE_EMPLOYMENT = "ncses:MNE-EMP:us_company_employment_abroad:employees_total"
MNE_RD_EMPLOYMENT = "ncses:MNE-EMP:us_company_employment_abroad:employees_r_d"
MNE_GROWTH_PCT = 10.0
#: BERD replaced BRDIS/BRDS in 2018 and NCSES says earlier years are not comparable
BERD_COMPARABLE_FROM = 2018
MNE_MISSING = (
    "What US multinationals gain in China (their affiliates' net income, profits or returns "
    "there, BEA 'Activities of US MNEs') is not staged (CATALOG-tech §5 and §7); the NCSES "
    "tables measure R&D spending and employment in China, which are activity, not gain."
)


def _growth(df: pd.DataFrame, start: int | None = None) -> tuple[int, int, float]:
    s = df.sort_values("year")
    if start is not None and (s["year"] >= start).sum() >= 2:
        s = s[s["year"] >= start]
    return (
        int(s["year"].iloc[0]),
        int(s["year"].iloc[-1]),
        pct_change(float(s["value"].iloc[-1]), float(s["value"].iloc[0])),
    )


def _growth_test(key: str, label: str, g: tuple[int, int, float], threshold: float) -> Test:
    return Test(
        key, f"{label}, change {g[0]}–{g[1]}", g[2], "%", Threshold(">=", threshold),
        Threshold("<=", -threshold), digits=1,
    )  # fmt: skip


@register
class MneActivityChina(Checker):
    """Claim 3: US multinationals gain from their research and operations in China."""

    name = "mne_activity_china"
    claim_id = "us-mne-gain-china"
    method = (
        "The claim is about what US multinationals gain in China (income, profits, returns); "
        "no staged series measures that, so the decisive test is unverifiable. As a proxy it "
        "reads R&D performed in China by US companies and their employment there (NCSES BERD and "
        f"foreign-employment tables) and reports growth from {BERD_COMPARABLE_FROM} (the first "
        f"comparable BERD year) against ±{MNE_GROWTH_PCT:.0f} %."
    )

    def evaluate(self, store: Store) -> Verdict:
        rd = indicator_series(
            store, MNE_RD, ["CHN"], needed_for="US companies' R&D in China", loaded_by=LOAD_NCSES
        )
        emp = indicator_series(
            store, MNE_EMPLOYMENT, ["CHN"], needed_for="US companies' employment in China",
            loaded_by=LOAD_NCSES,
        )  # fmt: skip
        try:
            rd_emp = indicator_series(
                store, MNE_RD_EMPLOYMENT, ["CHN"], needed_for="R&D employees in China",
                loaded_by=LOAD_NCSES,
            )  # fmt: skip
        except Missing:
            rd_emp = pd.DataFrame(columns=rd.columns)
        gain = Test(
            "gain", "What US multinationals gain in China (affiliates' income or profits)", None,
            "USD m", Threshold(">", 0.0), Threshold("<=", 0.0), missing=MNE_MISSING,
        )  # fmt: skip
        g_rd = _growth(rd, BERD_COMPARABLE_FROM)
        g_rd_all = _growth(rd)
        g_emp = _growth(emp)
        t_rd = _growth_test(
            "rd_growth", "Proxy: R&D of US companies in China", g_rd, MNE_GROWTH_PCT
        )
        t_emp = _growth_test(
            "employment_growth", "Proxy: employment of US companies in China", g_emp,
            MNE_GROWTH_PCT,
        )  # fmt: skip
        alternatives, g_rde = _proxy_alternatives(t_rd, t_emp, g_rd_all, rd_emp)
        decision = decide([gain], alternatives)
        both = pd.concat(
            [rd.assign(series="R&D (USD m)"), emp.assign(series="Employment (thousands)")]
            + ([rd_emp.assign(series="R&D employees (thousands)")] if len(rd_emp) else []),
            ignore_index=True,
        )
        direction, ev_for, ev_against = _activity_evidence(t_rd, t_emp, g_rd, g_emp)
        figs = _activity_figures(rd, emp, g_rd, g_emp, g_rde)
        return _verdict(
            self.claim_id,
            decision,
            rationale=(
                "The claim is about gains; the staged data measure activity. As a proxy, R&D of "
                f"US companies in China changed {g_rd[2]:+.0f} % ({g_rd[0]}–{g_rd[1]}) and their "
                f"employment there {g_emp[2]:+.0f} % ({g_emp[0]}–{g_emp[1]}): activity "
                f"{direction}, which does not say whether the firms gained."
            ),
            figures=figs,
            evidence=both,
            provenance_ids=ids(both),
            chart=_indexed(both),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                "Descriptive: the decisive quantity (what the firms gain) is not staged; activity "
                "growth from the first comparable BERD year is reported as a proxy."
            ),
        )


def _proxy_alternatives(
    t_rd: Test, t_emp: Test, g_rd_all: tuple[int, int, float], rd_emp: pd.DataFrame
) -> tuple[dict[str, list[Test]], tuple[int, int, float] | None]:
    """The activity proxies of the robustness panel (R&D across the 2018 survey break, R&D
    employees, thresholds moved by half), and the growth of R&D employees when staged."""
    proxy = [t_rd, t_emp]
    alternatives: dict[str, list[Test]] = {
        "proxy: R&D and employment in China (activity, not gain)": proxy,
        f"proxy: R&D from {g_rd_all[0]} (across the 2018 survey break)": [
            _growth_test("rd_growth", "Proxy: R&D in China", g_rd_all, MNE_GROWTH_PCT),
            t_emp,
        ],
    }
    g_rde = None
    if len(rd_emp) >= 2:
        g_rde = _growth(rd_emp)
        alternatives["proxy: R&D and R&D employees in China"] = [
            t_rd,
            _growth_test("rd_employees_growth", "Proxy: R&D employees in China", g_rde,
                         MNE_GROWTH_PCT),
        ]  # fmt: skip
    for f in (0.5, 1.5):
        alternatives[f"proxy, thresholds × {f:g}"] = [t.moved(f) for t in proxy]
    return alternatives, g_rde


def _activity_evidence(
    t_rd: Test, t_emp: Test, g_rd: tuple[int, int, float], g_emp: tuple[int, int, float]
) -> tuple[str, list[str], list[str]]:
    """The direction of the activity proxies ("grew", "fell", "changed little") and the
    evidence for and against the claim."""
    direction = (
        "grew"
        if t_rd.status == "supported" and t_emp.status == "supported"
        else ("fell" if "contradicted" in (t_rd.status, t_emp.status) else "changed little")
    )
    ev_for = [
        f"US companies' R&D in China grew {g_rd[2]:+.0f} % ({g_rd[0]}–{g_rd[1]}) and their "
        f"employment there {g_emp[2]:+.0f} % ({g_emp[0]}–{g_emp[1]}): firms kept expanding "
        "in China, which is consistent with, not proof of, gains."
    ] if direction == "grew" else []  # fmt: skip
    ev_against = [
        "Activity is not gain: spending and jobs in China are costs to the firms, and no "
        "staged series shows their income, profits or returns there."
    ]
    if direction != "grew":
        ev_against.append(
            f"US companies' R&D in China changed {g_rd[2]:+.0f} % ({g_rd[0]}–{g_rd[1]}) and "
            f"their employment there {g_emp[2]:+.0f} % ({g_emp[0]}–{g_emp[1]})."
        )
    return direction, ev_for, ev_against


def _activity_figures(
    rd: pd.DataFrame,
    emp: pd.DataFrame,
    g_rd: tuple[int, int, float],
    g_emp: tuple[int, int, float],
    g_rde: tuple[int, int, float] | None,
) -> list[Figure]:
    figs = [
        Figure("rd_growth", f"R&D in China, change {g_rd[0]}–{g_rd[1]}", g_rd[2], "% change", 0),
        Figure("rd_last", f"R&D in China {g_rd[1]}", float(rd["value"].iloc[-1]), "USD m", 0),
        Figure("employment_growth", f"Employment in China, change {g_emp[0]}–{g_emp[1]}",
               g_emp[2], "% change", 0),
        Figure("employment_last", f"Employment in China {g_emp[1]}",
               float(emp["value"].iloc[-1]), "thousand", 0),
    ]  # fmt: skip
    if g_rde is not None:
        figs.append(Figure("rd_employees_growth", f"R&D employees in China, change "
                           f"{g_rde[0]}–{g_rde[1]}", g_rde[2], "% change", 0))  # fmt: skip
    return figs


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
        title="US companies' activity in China (a proxy: activity, not gain)",
        subtitle="Index, first staged year = 100",
        source="NCSES BERD and foreign-employment tables",
    )
