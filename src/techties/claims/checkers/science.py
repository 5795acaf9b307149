"""Checkers on science, R&D, doctorates, multinational activity and research exchanges (the
``indicators`` table): claims 3, 5, 10 and 14.

Each verdict is about the claim as the debate states it. Where the staged data measure only a
proxy (activity for "gain", degrees awarded for "candidates", flows for "benefit"), the decisive
test has no estimate and says what is missing (→ unverifiable, ``no_data``); the proxy's direction
is reported in the rationale, the evidence for and against, the figures and the robustness panel
(rows named "proxy: …", which never change an unverifiable verdict). The effect claim (claim 5)
is tested against a counterfactual: a trend break at the policy date, the same break on the gap
to comparators (difference-in-differences in trends) and placebo break dates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, pct_change, register
from techties.claims.checkers._evidence import ids, indicator_series, year_lines
from techties.claims.rules import Decision, Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError
from techties.models.breaks import (
    LEVEL,
    BreakResult,
    counterfactual_chart,
    gap_series,
    placebo,
    trend_break,
)
from techties.store import Store

LOAD_WDI = "ingest the WDI indicator files (tech-wdi/) with `techties report --data DIR`"
LOAD_NCSES = "ingest the NCSES tables (tech-science/, tech-mne/) with `techties report --data DIR`"
LOAD_OPENALEX = "ingest tech-science/openalex/WrldCo_years.zip with `techties report --data DIR`"
CI = f"{LEVEL:.0%} CI, OLS trend break"

# -- claim 5: R&D pace ------------------------------------------------------------------------
#: WDI code of R&D expenditure (% of GDP)
RD_INTENSITY = "GB.XPD.RSDV.GD.ZS"
#: WDI code of patent applications by residents (second outcome)
PATENTS_RESIDENT = "IP.PAT.RESD"
#: last year before the restrictions (Section 301 tariffs, ZTE denial order: 2018)
RD_LAST_PRE = 2017
#: first year of the main pre-period fit
RD_START = 2010
#: the acceleration "speed up" needs: a slope change of at least this (pp of GDP per year)
RD_ACCEL_PP = 0.01
#: the same for resident patent applications (log points of yearly growth)
PATENT_ACCEL_LOG = 0.02
#: main comparator: high-income countries (WDI aggregate HIC, which excludes China)
RD_COMPARATOR = "HIC"
RD_COMPARATORS = ("USA", "WLD", "OED", "EUU", "KOR", "JPN", "DEU")
COUNTRY_NAMES = {
    "CHN": "China",
    "HIC": "high-income countries",
    "USA": "United States",
    "WLD": "world",
    "OED": "OECD members",
    "EUU": "European Union",
    "KOR": "Korea",
    "JPN": "Japan",
    "DEU": "Germany",
}
#: placebo break years: policy-free, each with at least three later pre-policy years
RD_PLACEBO_DATES = tuple(range(2004, 2015))
#: before/after paces shown (not decisive): 2010→2017 and 2017→latest
RD_PRE = (2010, 2017)

# -- claim 3: US companies in China -----------------------------------------------------------
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

# -- claim 10: doctorates ---------------------------------------------------------------------
#: NCSES SEI table SHED-12 (2010–18): doctoral degrees awarded, all fields and S&E fields
DOCTORATES = "ncses:SHED-12:doctorates:all_fields"
DOCTORATES_SE = "ncses:SHED-12:doctorates:all_fields_all_s_e"
#: NCSES SEI 2020 table S2-16 (2000–16), the earlier vintage
DOCTORATES_S2 = "ncses:S2-16:doctorates:all_fields"
DOCTORATES_S2_SE = "ncses:S2-16:doctorates:all_fields_all_s_e"
#: China leads (trails) when it awards at least this many % more (fewer) than the next country
DOCTORATE_GAP_PCT = 5.0
DOCTORATE_MISSING = (
    "Doctoral candidates (enrolled doctoral students) by country are not staged: no UNESCO or "
    "OECD enrolment table was found (CATALOG-tech §3, 'Not found'); NCSES SHED-12 and S2-16 "
    "count doctoral degrees awarded, a flow of graduates, not the stock of candidates."
)

# -- claim 14: research exchanges -------------------------------------------------------------
COAUTHORED = "ncses:SPBS-35:intl_coauthored"
OPENALEX_PAIR = "openalex:coauthored_works"
TOP1PCT = "ncses:SPBS-54:top1pct_share"
IP_RECEIPTS = "BX.GSR.ROYL.CD"
IP_PAYMENTS = "BM.GSR.ROYL.CD"
#: US–China co-authored articles as a share of each side's internationally co-authored articles
COLLAB_SUPPORT_PCT = 10.0
COLLAB_CONTRADICT_PCT = 5.0
COLLAB_YEAR, COLLAB_EARLY = 2022, 2003
#: IP charges: growth of US receipts and China's payments from this year (alternative: 2017)
IP_BASE, IP_BASE_ALT = 2010, 2017
IP_GROWTH_PCT = 10.0
BENEFIT_US_MISSING = (
    "What the United States gains from the exchanges is not measured: US receipts for the use "
    "of IP from China (bilateral, BEA) and the citation impact of US–China co-authored articles "
    "against US domestic articles are not staged; WDI charges for IP are against the whole "
    "world and NCSES top-1 % shares (SPBS-54) are by country, not by co-authorship."
)
BENEFIT_CN_MISSING = (
    "What China gains is not measured either: its payments for US (not world) IP, and the "
    "citation impact of its US co-authored articles against its domestic ones, are not staged."
)


def _name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def _verdict(
    claim_id: str, decision: Decision, **fields: Any
) -> Verdict:  # a tiny alias keeps call sites short
    return Verdict.decided(claim_id, decision, **fields)


# == claim 5 ==================================================================================
@dataclass(frozen=True, slots=True)
class _Outcome:
    indicator: str
    label: str
    unit: str
    log: bool
    threshold: float
    loaded_by: str = LOAD_WDI


RD_OUTCOME = _Outcome(RD_INTENSITY, "R&D intensity", "pp of GDP/yr", False, RD_ACCEL_PP)
PATENT_OUTCOME = _Outcome(
    PATENTS_RESIDENT, "resident patent applications", "log points/yr", True, PATENT_ACCEL_LOG
)


@dataclass
class _Pace:
    """The three decisive tests of one specification and the results behind them."""

    tests: list[Test]
    own: BreakResult | None = None
    did: BreakResult | None = None
    placebos: pd.DataFrame | None = None


def _xy(s: pd.Series) -> tuple[list[int], list[float]]:
    """Years and values of a yearly series, as the break designs take them."""
    return [int(y) for y in s.index], [float(v) for v in s.to_numpy()]


def _values(df: pd.DataFrame, log: bool) -> pd.DataFrame:
    out = df[["country", "year", "value"]].copy()
    if log:
        out = out[out["value"] > 0]
        out["value"] = np.log(out["value"].astype(float))
    return out


def _missing_tests(outcome: _Outcome, comparator: str, why: str) -> list[Test]:
    thr = outcome.threshold
    return [
        Test("did_break", f"China minus {_name(comparator)}: change in the yearly "
             f"{outcome.label} trend", None, outcome.unit, Threshold(">=", thr),
             Threshold("<", thr), kind="estimated", missing=why, digits=3)
    ]  # fmt: skip


def _pace(
    long: pd.DataFrame,
    outcome: _Outcome,
    *,
    comparator: str = RD_COMPARATOR,
    start: int = RD_START,
    last_pre: int = RD_LAST_PRE,
) -> _Pace:
    """China's own trend break, the break of the gap to ``comparator`` and the gap's break
    against placebo dates (all on ``outcome``, log when ``outcome.log``)."""
    thr = outcome.threshold
    data = _values(long, outcome.log)
    chn = data[data["country"] == "CHN"].set_index("year")["value"]
    try:
        own = trend_break(*_xy(chn), last_pre=last_pre, start=start)
    except NoDataError as exc:
        raise Missing("no_data", f"China's {outcome.label}: {exc.message}") from None
    t_own = Test(
        "china_break", f"China: change in the yearly {outcome.label} trend after {last_pre}",
        own.estimate, outcome.unit, Threshold(">=", thr), Threshold("<", thr), kind="estimated",
        low=own.conf_low, high=own.conf_high, interval=CI, digits=3,
    )  # fmt: skip
    try:
        gap = gap_series(data, "CHN", comparator)
        did = trend_break(*_xy(gap), last_pre=last_pre, start=start)
    except NoDataError as exc:
        return _Pace([t_own, *_missing_tests(outcome, comparator, exc.message)], own)
    t_did = Test(
        "did_break", f"China minus {_name(comparator)}: change in the yearly {outcome.label} "
        f"trend after {last_pre}", did.estimate, outcome.unit, Threshold(">=", thr),
        Threshold("<", thr), kind="estimated", low=did.conf_low, high=did.conf_high,
        interval=CI + " on the gap", digits=3,
    )  # fmt: skip
    dates = [d for d in RD_PLACEBO_DATES if d <= last_pre - 3]
    pl = placebo(*_xy(gap), dates=dates, end=last_pre)
    label = f"China minus {_name(comparator)}: break after {last_pre} against placebo break years"
    if pl.empty:
        t_pl = Test("placebo", label, None, outcome.unit, Threshold(">", 0.0), Threshold("<", 0.0),
                    kind="estimated", missing="too few pre-policy years for placebo dates")  # fmt: skip
    else:
        biggest = float(pl["estimate"].abs().max())
        t_pl = Test(
            "placebo", label, did.estimate, outcome.unit, Threshold(">", biggest),
            Threshold("<", 0.0), kind="estimated", low=did.conf_low, high=did.conf_high,
            interval=CI + f"; support: above the largest placebo break ({biggest:.3f})", digits=3,
        )  # fmt: skip
    return _Pace([t_own, t_did, t_pl], own, did, pl)


def _avg_pace(s: pd.Series, a: int, b: int) -> float:
    if a not in s.index or b not in s.index:
        return math.nan
    return float(s[b] - s[a]) / (b - a)


@register
class ChinaRdPace(Checker):
    """Claim 5: restrictions pushed China to speed up its own R&D (a causal claim)."""

    name = "china_rd_pace"
    claim_id = "china-accelerated-rd"
    method = (
        f"Fits a trend break after {RD_LAST_PRE} (OLS y = a + b·t + c·(t − {RD_LAST_PRE})₊, "
        f"{LEVEL:.0%} t interval; models.breaks) to China's R&D expenditure as % of GDP (WDI "
        f"{RD_INTENSITY}) from {RD_START}, and to its gap to high-income countries "
        "(difference-in-differences in trends), with placebo break years "
        f"{RD_PLACEBO_DATES[0]}–{RD_PLACEBO_DATES[-1]} on the pre-policy gap. The claim is "
        f"supported only when the whole interval of both breaks is at least {RD_ACCEL_PP} pp a "
        "year and the gap's break is above every placebo break; contradicted when either "
        f"interval lies below {RD_ACCEL_PP}; other comparators, windows, the policy date and "
        "resident patent applications form the robustness panel."
    )

    def evaluate(self, store: Store) -> Verdict:
        countries = ["CHN", RD_COMPARATOR, *RD_COMPARATORS]
        df = indicator_series(
            store, RD_INTENSITY, countries, needed_for="R&D intensity", loaded_by=LOAD_WDI
        )
        chn = df[df["country"] == "CHN"].set_index("year")["value"]
        if chn.empty or chn.index.max() <= RD_LAST_PRE or (chn.index <= RD_LAST_PRE).sum() < 4:
            raise Missing(
                "no_data",
                f"China's R&D intensity needs four years up to {RD_LAST_PRE} and a later year; "
                f"the store has {', '.join(str(int(y)) for y in chn.index) or 'none'}.",
            )
        main = _pace(df, RD_OUTCOME)
        alternatives: dict[str, list[Test]] = {}
        notes: dict[str, str] = {}
        comparators: dict[str, float] = {}
        for c in RD_COMPARATORS:
            alt_pace = _pace(df, RD_OUTCOME, comparator=c)
            alternatives[f"comparator: {_name(c)}"] = alt_pace.tests
            if alt_pace.did is not None:
                comparators[c] = alt_pace.did.estimate
        for s in (2005, 2000):
            alternatives[f"pre-period fitted from {s}"] = _pace(df, RD_OUTCOME, start=s).tests
        alternatives[f"policy date 2019 (last pre-year {RD_LAST_PRE + 1}, Huawei listing)"] = _pace(
            df, RD_OUTCOME, last_pre=RD_LAST_PRE + 1
        ).tests
        pat_df = pd.DataFrame()
        pat_name = "outcome: resident patent applications (log), China minus high-income countries"
        try:
            pat_df = indicator_series(
                store, PATENTS_RESIDENT, ["CHN", RD_COMPARATOR], needed_for="patents",
                loaded_by=LOAD_WDI,
            )  # fmt: skip
            alternatives[pat_name] = _pace(pat_df, PATENT_OUTCOME).tests
            notes[pat_name] = f"threshold {PATENT_ACCEL_LOG} log points a year"
        except Missing as m:
            alternatives[pat_name] = _missing_tests(PATENT_OUTCOME, RD_COMPARATOR, m.what)
        decision = decide(main.tests, alternatives, notes=notes)
        return self._verdict(df, pat_df, main, decision, comparators)

    def _verdict(
        self,
        df: pd.DataFrame,
        pat_df: pd.DataFrame,
        main: _Pace,
        decision: Decision,
        comparators: dict[str, float],
    ) -> Verdict:
        assert main.own is not None
        own, did, pl = main.own, main.did, main.placebos
        wide = df.pivot_table(index="year", columns="country", values="value")
        chn = wide["CHN"].dropna()
        last = int(chn.index.max())
        pre, post = _avg_pace(chn, *RD_PRE), _avg_pace(chn, RD_PRE[1], last)
        breaks = {}
        for c in ("USA", "WLD", RD_COMPARATOR):
            if c in wide:
                s = wide[c].dropna()
                try:
                    breaks[c] = trend_break(*_xy(s), last_pre=RD_LAST_PRE, start=RD_START)
                except NoDataError:
                    continue
        figs = [
            Figure("china_break", f"China: change in yearly R&D-intensity trend after {RD_LAST_PRE}",
                   own.estimate, "pp/yr", 3),
            Figure("china_break_low", "China: trend break, lower bound", own.conf_low, "pp/yr", 3),
            Figure("china_break_high", "China: trend break, upper bound", own.conf_high, "pp/yr", 3),
            Figure("pace_pre", f"China: yearly change {RD_PRE[0]}–{RD_PRE[1]}", pre, "pp/yr", 3),
            Figure("pace_post", f"China: yearly change {RD_PRE[1]}–{last}", post, "pp/yr", 3),
            Figure("rd_last", f"China R&D intensity {last}", float(chn[last]), "% of GDP", 2),
        ]  # fmt: skip
        for c, r in breaks.items():
            figs.append(Figure(f"{c.lower()}_break", f"{_name(c)}: change in yearly trend after "
                               f"{RD_LAST_PRE}", r.estimate, "pp/yr", 3))  # fmt: skip
        if did is not None:
            figs += [
                Figure("did_break", f"China minus {_name(RD_COMPARATOR)}: trend break",
                       did.estimate, "pp/yr", 3),
                Figure("did_break_low", "China minus high income: lower bound", did.conf_low,
                       "pp/yr", 3),
                Figure("did_break_high", "China minus high income: upper bound", did.conf_high,
                       "pp/yr", 3),
            ]  # fmt: skip
        if pl is not None and not pl.empty:
            figs.append(Figure("placebo_max", "Largest placebo break (absolute), "
                               f"{int(pl['placebo'].min())}–{int(pl['placebo'].max())}",
                               float(pl["estimate"].abs().max()), "pp/yr", 3))  # fmt: skip
        ev_for, ev_against = _rd_evidence(own, did, pl, breaks, comparators, pre, post, last)
        evidence = pd.concat(
            [df.assign(series=RD_INTENSITY)]
            + ([pat_df.assign(series=PATENTS_RESIDENT)] if not pat_df.empty else []),
            ignore_index=True,
        )
        did_text = (
            f" Relative to {_name(RD_COMPARATOR)} the break is {did.estimate:+.3f} pp a year "
            f"[{did.conf_low:+.3f}, {did.conf_high:+.3f}]."
            if did is not None
            else ""
        )
        chart_frame = did.frame if did is not None else own.frame
        return _verdict(
            self.claim_id,
            decision,
            rationale=(
                f"China's R&D intensity rose {post:.3f} pp a year in {RD_PRE[1]}–{last} against "
                f"{pre:.3f} in {RD_PRE[0]}–{RD_PRE[1]}; its trend break after {RD_LAST_PRE} is "
                f"{own.estimate:+.3f} pp a year [{own.conf_low:+.3f}, {own.conf_high:+.3f}]."
                f"{did_text} A before/after change alone cannot show that restrictions caused "
                "it; the verdict rests on the break against comparators and placebo dates."
            ),
            figures=figs,
            evidence=evidence,
            provenance_ids=ids(evidence),
            chart=counterfactual_chart(
                chart_frame,
                last_pre=RD_LAST_PRE,
                title=(
                    f"R&D intensity, China minus {_name(RD_COMPARATOR)}, against its "
                    f"{RD_START}–{RD_LAST_PRE} trend"
                    if did is not None
                    else f"China's R&D intensity against its {RD_START}–{RD_LAST_PRE} trend"
                ),
                unit="pp of GDP",
                source=f"World Bank WDI {RD_INTENSITY}",
            ),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                f"Trend break after {RD_LAST_PRE} with the {RD_START}–{RD_LAST_PRE} fit shown, "
                "difference-in-differences in trends against high-income countries (and the US, "
                "world, OECD, EU, Korea, Japan, Germany in the panel), and placebo break years "
                f"{RD_PLACEBO_DATES[0]}–{RD_PLACEBO_DATES[-1]}."
            ),
        )


def _rd_evidence(
    own: BreakResult,
    did: BreakResult | None,
    pl: pd.DataFrame | None,
    breaks: dict[str, BreakResult],
    comparators: dict[str, float],
    pre: float,
    post: float,
    last: int,
) -> tuple[list[str], list[str]]:
    ev_for: list[str] = []
    ev_against: list[str] = []
    own_text = (
        f"China's R&D intensity grew {post:.3f} pp a year in {RD_PRE[1]}–{last} against "
        f"{pre:.3f} in {RD_PRE[0]}–{RD_PRE[1]} (trend break {own.estimate:+.3f} pp a year, "
        f"{LEVEL:.0%} CI [{own.conf_low:+.3f}, {own.conf_high:+.3f}])."
    )
    (ev_for if own.estimate >= RD_ACCEL_PP else ev_against).append(own_text)
    others = [f"{_name(c)} {r.estimate:+.3f}" for c, r in breaks.items() if c != "CHN"]
    if others:
        faster = [c for c, r in breaks.items() if r.estimate >= own.estimate]
        text = (
            f"Over the same years the trend of R&D intensity also changed elsewhere ("
            f"{', '.join(others)} pp a year after {RD_LAST_PRE}), so a before/after change in "
            "China alone does not isolate the restrictions."
        )
        (ev_against if faster else ev_for).append(text)
    if did is not None:
        did_text = (
            f"Relative to {_name(RD_COMPARATOR)}, China's trend changed by {did.estimate:+.3f} pp "
            f"a year after {RD_LAST_PRE} ({LEVEL:.0%} CI [{did.conf_low:+.3f}, "
            f"{did.conf_high:+.3f}]; the claim needs at least {RD_ACCEL_PP})."
        )
        (ev_for if did.estimate >= RD_ACCEL_PP else ev_against).append(did_text)
    if did is not None and pl is not None and not pl.empty:
        biggest = float(pl["estimate"].abs().max())
        pl_text = (
            f"Placebo breaks in the China-minus-high-income gap at policy-free years "
            f"{int(pl['placebo'].min())}–{int(pl['placebo'].max())} reach {biggest:.3f} pp a "
            f"year in absolute value, against {did.estimate:+.3f} at {RD_LAST_PRE}."
        )
        (ev_for if did.estimate > biggest else ev_against).append(pl_text)
    up = [f"{_name(c)} ({v:+.3f})" for c, v in comparators.items() if v >= RD_ACCEL_PP]
    down = [f"{_name(c)} ({v:+.3f})" for c, v in comparators.items() if v < RD_ACCEL_PP]
    if up:
        ev_for.append(
            f"Relative to {', '.join(up)}, China's R&D-intensity trend accelerated after "
            f"{RD_LAST_PRE} by at least {RD_ACCEL_PP} pp a year (point estimates of the "
            "China-minus-comparator break)."
        )
    if down:
        ev_against.append(
            f"Relative to {', '.join(down)}, China's R&D-intensity trend did not accelerate "
            f"by {RD_ACCEL_PP} pp a year after {RD_LAST_PRE} (point estimates of the "
            "China-minus-comparator break)."
        )
    return ev_for, ev_against


# == claim 3 ==================================================================================
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
        decision = decide([gain], alternatives)
        both = pd.concat(
            [rd.assign(series="R&D (USD m)"), emp.assign(series="Employment (thousands)")]
            + ([rd_emp.assign(series="R&D employees (thousands)")] if len(rd_emp) else []),
            ignore_index=True,
        )
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


# == claim 10 =================================================================================
def _doctorate_rows(store: Store, indicator: str) -> pd.DataFrame:
    if not store.has_table("indicators"):
        return pd.DataFrame()
    return store.df(
        "SELECT country, year, value, unit, name, provenance_id FROM indicators "
        "WHERE indicator = ? AND value IS NOT NULL AND country IS NOT NULL AND partner IS NULL",
        [indicator],
    )


def _lead(df: pd.DataFrame, year: int | None = None) -> tuple[int, float, str, float] | None:
    """``(year, China, rival country, rival)`` in ``year`` (default: China's latest year)."""
    if df.empty or not (df["country"] == "CHN").any():
        return None
    y = int(df.loc[df["country"] == "CHN", "year"].max()) if year is None else year
    latest = df[(df["year"] == y) & (df["country"] != "CHN")].sort_values("value")
    china = df[(df["year"] == y) & (df["country"] == "CHN")]
    if latest.empty or china.empty:
        return None
    rival = latest.iloc[-1]
    return y, float(china["value"].iloc[0]), str(rival["country"]), float(rival["value"])


def _lead_test(lead: tuple[int, float, str, float], field: str) -> Test:
    y, china, rival, value = lead
    return Test(
        "degrees_lead", f"Proxy: China's doctoral degrees awarded ({field}, {y}) relative to "
        f"{_name(rival)}", 100 * (china / value - 1), "%", Threshold(">=", DOCTORATE_GAP_PCT),
        Threshold("<=", -DOCTORATE_GAP_PCT), digits=1,
    )  # fmt: skip


@register
class Doctorates(Checker):
    """Claim 10: China has the most doctoral candidates (the data count degrees awarded)."""

    name = "doctorates"
    claim_id = "china-most-doctorates"
    method = (
        "The claim is about doctoral candidates (enrolment), which no staged table counts by "
        "country, so the decisive test is unverifiable. As a proxy it ranks countries by doctoral "
        "degrees awarded (NCSES SEI tables SHED-12 and S2-16, all fields and S&E) in China's "
        f"latest year: China leads when it awards at least {DOCTORATE_GAP_PCT:.0f} % more than "
        f"the next country, trails when at least {DOCTORATE_GAP_PCT:.0f} % fewer."
    )

    def evaluate(self, store: Store) -> Verdict:
        frames = {
            code: _doctorate_rows(store, code)
            for code in (DOCTORATES, DOCTORATES_SE, DOCTORATES_S2, DOCTORATES_S2_SE)
        }
        df = frames[DOCTORATES]
        lead = _lead(df)
        if lead is None:
            indicator_series(
                store, DOCTORATES, ["CHN"], needed_for="doctorates", loaded_by=LOAD_NCSES
            )
            raise Missing("no_data", "no doctorate counts for China and another country.")
        candidates = Test(
            "candidates", "Doctoral candidates (enrolled), China relative to the next country",
            None, "%", Threshold(">=", DOCTORATE_GAP_PCT), Threshold("<=", -DOCTORATE_GAP_PCT),
            missing=DOCTORATE_MISSING,
        )  # fmt: skip
        main_proxy = _lead_test(lead, "all fields")
        alternatives: dict[str, list[Test]] = {
            f"proxy: degrees awarded, all fields, {lead[0]} (SHED-12)": [main_proxy]
        }
        se = _lead(frames[DOCTORATES_SE], lead[0])
        if se is not None:
            alternatives[f"proxy: degrees awarded, S&E fields only, {se[0]}"] = [
                _lead_test(se, "S&E fields")
            ]
        for y in (lead[0] - 2,):
            early = _lead(df, y)
            if early is not None:
                alternatives[f"proxy: degrees awarded, all fields, {y}"] = [
                    _lead_test(early, "all fields")
                ]
        for code, field in ((DOCTORATES_S2, "all fields"), (DOCTORATES_S2_SE, "S&E fields")):
            old = _lead(frames[code])
            if old is not None:
                alternatives[f"proxy: earlier vintage S2-16 (SEI 2020), {field}, {old[0]}"] = [
                    _lead_test(old, field)
                ]
        for f in (0.5, 1.5):
            alternatives[f"proxy: all fields, thresholds × {f:g}"] = [main_proxy.moved(f)]
        decision = decide([candidates], alternatives)
        year, china, rival, rival_v = lead
        gap = pct_change(rival_v, china)
        figs = [
            Figure("china", f"China, doctorates awarded {year} (all fields)", china, "degrees"),
            Figure("rival", f"{_name(rival)}, doctorates awarded {year} (all fields)", rival_v,
                   "degrees"),
            Figure("gap", f"{_name(rival)} relative to China, all fields", gap, "% change", 1),
            Figure("china_vs_rival", "China relative to the next country, all fields",
                   main_proxy.estimate, "%", 1),
        ]  # fmt: skip
        se_text = ""
        if se is not None:
            figs += [
                Figure("china_se", f"China, S&E doctorates awarded {se[0]}", se[1], "degrees"),
                Figure("rival_se", f"{_name(se[2])}, S&E doctorates awarded {se[0]}", se[3],
                       "degrees"),
                Figure("china_vs_rival_se", "China relative to the next country, S&E",
                       100 * (se[1] / se[3] - 1), "%", 1),
            ]  # fmt: skip
            se_text = f"; in S&E fields China {se[1]:,.0f}, {_name(se[2])} {se[3]:,.0f}"
        china_first = china > rival_v
        text = (
            f"In {year} China awarded {china:,.0f} doctoral degrees (all fields) and "
            f"{_name(rival)} {rival_v:,.0f}{se_text}."
        )
        ev_for = [text + " China leads on degrees awarded."] if china_first else []
        ev_against = [] if china_first else [
            text + " On degrees awarded China is not first (a proxy: degrees are not candidates)."
        ]  # fmt: skip
        ev_against.append(
            "Degrees awarded measure graduates, not candidates; enrolment by country is not "
            f"staged, and the latest comparable year is {year}."
        )
        latest = df[df["year"] == year].sort_values("value", ascending=False)
        se_rows = frames[DOCTORATES_SE]
        se_latest = se_rows[se_rows["year"] == year] if not se_rows.empty else se_rows
        bars = pd.concat(
            [latest.head(8).assign(field="all fields")]
            + (
                [se_latest[se_latest["country"].isin(latest.head(8)["country"])]
                 .assign(field="S&E fields")]
                if not se_latest.empty else []
            ),
            ignore_index=True,
        )  # fmt: skip
        evidence = pd.concat(
            [f.assign(series=code) for code, f in frames.items() if not f.empty],
            ignore_index=True,
        )
        return _verdict(
            self.claim_id,
            decision,
            rationale=(
                "The claim is about doctoral candidates; the staged data count degrees "
                f"awarded. As a proxy: {text} These are degrees awarded, not enrolled "
                "candidates, and the lead depends on the field choice (see the panel)."
            ),
            figures=figs,
            evidence=evidence,
            provenance_ids=ids(evidence),
            chart=_bars(bars, year),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                "Descriptive ranking; the decisive quantity (candidates) is not staged, degrees "
                "awarded are reported as a proxy under both field definitions and two vintages."
            ),
        )


def _bars(df: pd.DataFrame, year: int) -> Any:
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="Doctoral degrees awarded", axis=alt.Axis(format=",.0f")),
            y=alt.Y("country:N", sort="-x", title=None),
            yOffset=alt.YOffset("field:N"),
            color=alt.Color("field:N", title=None),
            tooltip=["country", "field", alt.Tooltip("value:Q", format=",.0f")],
        )
    )
    return charts.finish(
        chart,
        title=f"Doctoral degrees awarded, {year} (a proxy: degrees, not candidates)",
        subtitle="Degrees awarded, all fields and S&E fields",
        source="NCSES SEI table SHED-12",
        height=260,
    )


# == claim 14 =================================================================================
def _pair(store: Store, indicator: str, country: str, partner: str, loaded_by: str) -> pd.DataFrame:
    return indicator_series(
        store, indicator, [country], partner=partner, needed_for="US–China co-authorship",
        loaded_by=loaded_by,
    )  # fmt: skip


def _at(df: pd.DataFrame, year: int) -> float | None:
    hit = df.loc[df["year"] == year, "value"]
    return None if hit.empty or pd.isna(hit.iloc[0]) else float(hit.iloc[0])


def _collab_test(
    pair: pd.DataFrame, us_world: pd.DataFrame, cn_world: pd.DataFrame, year: int
) -> tuple[Test, float | None, float | None]:
    n, us, cn = _at(pair, year), _at(us_world, year), _at(cn_world, year)
    label = (
        f"US–China co-authored articles, smaller of their shares of the US's and China's "
        f"internationally co-authored articles ({year})"
    )
    sup, con = Threshold(">=", COLLAB_SUPPORT_PCT), Threshold("<", COLLAB_CONTRADICT_PCT)
    if n is None or not us or not cn:
        return (
            Test("collaboration", label, None, "%", sup, con,
                 missing=f"NCSES SPBS-35 has no US–China pair and totals for {year}"),
            None, None,
        )  # fmt: skip
    s_us, s_cn = 100 * n / us, 100 * n / cn
    return (
        Test("collaboration", label, min(s_us, s_cn), "%", sup, con, neutral=0.0, digits=1),
        s_us,
        s_cn,
    )


def _ip_test(us_rec: pd.DataFrame, cn_pay: pd.DataFrame, base: int) -> Test:
    us = us_rec.sort_values("year")
    cn = cn_pay.sort_values("year")
    label = (
        f"Proxy: charges for IP, smaller growth of US receipts and China's payments since {base} "
        "(against the world, not bilateral)"
    )
    sup, con = Threshold(">=", IP_GROWTH_PCT), Threshold("<=", -IP_GROWTH_PCT)
    a, b = _at(us, base), _at(cn, base)
    if a is None or b is None or us.empty or cn.empty:
        return Test("ip_flows", label, None, "%", sup, con, missing=f"no IP charges for {base}")
    g_us = pct_change(float(us["value"].iloc[-1]), a)
    g_cn = pct_change(float(cn["value"].iloc[-1]), b)
    return Test("ip_flows", label, min(g_us, g_cn), "%", sup, con, digits=1)


@register
class ResearchExchanges(Checker):
    """Claim 14: US–China research exchanges and IP trade are complementary and mutually
    beneficial."""

    name = "research_exchanges"
    claim_id = "exchanges-mutually-beneficial"
    method = (
        "Measures whether the exchange runs both ways and is large for both sides: US–China "
        f"co-authored articles as a share of each country's internationally co-authored articles "
        f"(NCSES SPBS-35, {COLLAB_YEAR}), with OpenAlex yearly pair counts and WDI charges for "
        "the use of IP (US receipts, China's payments) as context. What each side gains (bilateral "
        "IP income, citation impact of co-authored against domestic work) is not staged, so the "
        "benefit parts are unverifiable and the verdict with them; the panel shows the necessary "
        "conditions alone."
    )

    def evaluate(self, store: Store) -> Verdict:
        pair = _pair(store, COAUTHORED, "USA", "CHN", LOAD_NCSES)
        us_world = _pair(store, COAUTHORED, "USA", "WLD", LOAD_NCSES)
        cn_world = _pair(store, COAUTHORED, "CHN", "WLD", LOAD_NCSES)
        t_collab, s_us, s_cn = _collab_test(pair, us_world, cn_world, COLLAB_YEAR)
        t_early, e_us, e_cn = _collab_test(pair, us_world, cn_world, COLLAB_EARLY)
        benefit_us = Test(
            "benefit_us", "What the US gains (bilateral IP income, impact of co-authored work)",
            None, "", Threshold(">", 0.0), Threshold("<=", 0.0), missing=BENEFIT_US_MISSING,
        )  # fmt: skip
        benefit_cn = Test(
            "benefit_china", "What China gains (US IP bought, impact of co-authored work)",
            None, "", Threshold(">", 0.0), Threshold("<=", 0.0), missing=BENEFIT_CN_MISSING,
        )  # fmt: skip
        frames = [pair, us_world, cn_world]
        ip: dict[str, pd.DataFrame] = {}
        for key, code, c in (
            ("us_rec", IP_RECEIPTS, "USA"),
            ("cn_pay", IP_PAYMENTS, "CHN"),
            ("cn_rec", IP_RECEIPTS, "CHN"),
            ("us_pay", IP_PAYMENTS, "USA"),
        ):
            try:
                ip[key] = indicator_series(
                    store, code, [c], needed_for="IP charges", loaded_by=LOAD_WDI
                )
                frames.append(ip[key].assign(series=f"{code} {c}"))
            except Missing:
                continue  # fmt: skip
        alternatives: dict[str, list[Test]] = {}
        if "us_rec" in ip and "cn_pay" in ip:
            t_ip = _ip_test(ip["us_rec"], ip["cn_pay"], IP_BASE)
            t_ip_alt = _ip_test(ip["us_rec"], ip["cn_pay"], IP_BASE_ALT)
        else:
            t_ip = t_ip_alt = Test(
                "ip_flows", "Proxy: charges for IP", None, "%", Threshold(">=", IP_GROWTH_PCT),
                Threshold("<=", -IP_GROWTH_PCT), missing="WDI charges for IP are not in the store",
            )  # fmt: skip
        necessary = [t_collab, t_ip]
        alternatives = {
            "proxy: necessary conditions only (exchange both ways; benefit not measured)":
                necessary,
            f"proxy: necessary conditions, IP growth since {IP_BASE_ALT}": [t_collab, t_ip_alt],
            f"proxy: necessary conditions, co-authorship in {COLLAB_EARLY}": [t_early, t_ip],
        }  # fmt: skip
        if all(t.estimate is not None for t in necessary):
            for f in (0.5, 1.5):
                alternatives[f"proxy: necessary conditions, thresholds × {f:g}"] = [
                    t.moved(f) for t in necessary
                ]
        decision = decide([t_collab, benefit_us, benefit_cn], alternatives)
        try:
            oa = _pair(store, OPENALEX_PAIR, "USA", "CHN", LOAD_OPENALEX)
            frames.append(oa.assign(series="OpenAlex US–China works"))
        except Missing:
            oa = pd.DataFrame(columns=pair.columns)
        try:
            top = indicator_series(store, TOP1PCT, ["CHN", "USA"], needed_for="impact",
                                   loaded_by=LOAD_NCSES)  # fmt: skip
            frames.append(top.assign(series="top-1 % share"))
        except Missing:
            top = pd.DataFrame(columns=pair.columns)
        evidence = pd.concat(
            [f if "series" in f else f.assign(series=COAUTHORED) for f in frames],
            ignore_index=True,
        )
        figs, ev_for, ev_against = self._figures(pair, s_us, s_cn, e_us, e_cn, oa, ip, top)
        share_text = (
            f"US–China co-authored articles were {s_us:.1f} % of the US's and {s_cn:.1f} % of "
            f"China's internationally co-authored articles in {COLLAB_YEAR}"
            if s_us is not None and s_cn is not None
            else f"the US–China co-authorship shares for {COLLAB_YEAR} are not in the store"
        )
        return _verdict(
            self.claim_id,
            decision,
            rationale=(
                f"{share_text[0].upper()}{share_text[1:]}: the exchange runs both ways and is "
                "large for both. Whether it is mutually beneficial cannot be measured with the "
                "staged data: what each side gains (bilateral IP income, the citation impact of "
                "co-authored against domestic work) is not staged."
            ),
            figures=figs,
            evidence=evidence,
            provenance_ids=ids(evidence),
            chart=_exchange_chart(oa, ip),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                "Descriptive, necessary conditions only: two-way co-authorship shares and IP "
                "charges; benefit to each side would need bilateral IP income and citation "
                "impact by co-authorship, which are not staged."
            ),
        )

    @staticmethod
    def _figures(
        pair: pd.DataFrame,
        s_us: float | None,
        s_cn: float | None,
        e_us: float | None,
        e_cn: float | None,
        oa: pd.DataFrame,
        ip: dict[str, pd.DataFrame],
        top: pd.DataFrame,
    ) -> tuple[list[Figure], list[str], list[str]]:
        figs: list[Figure] = []
        ev_for: list[str] = []
        ev_against: list[str] = []
        n, n0 = _at(pair, COLLAB_YEAR), _at(pair, COLLAB_EARLY)
        if n is not None:
            figs.append(Figure("coauthored", f"US–China co-authored articles {COLLAB_YEAR}", n,
                               "articles"))  # fmt: skip
        if n0 is not None:
            figs.append(Figure("coauthored_early", f"US–China co-authored articles "
                               f"{COLLAB_EARLY}", n0, "articles"))  # fmt: skip
        if s_us is not None and s_cn is not None:
            figs += [
                Figure("share_us", f"China's share of US international articles {COLLAB_YEAR}",
                       s_us, "%"),
                Figure("share_china", f"US share of China's international articles "
                       f"{COLLAB_YEAR}", s_cn, "%"),
            ]  # fmt: skip
            early = (
                f" (from {e_us:.1f} % and {e_cn:.1f} % in {COLLAB_EARLY})"
                if e_us is not None and e_cn is not None
                else ""
            )
            text = (
                f"Each country is a large co-authoring partner of the other: {s_us:.1f} % of the "
                f"US's and {s_cn:.1f} % of China's international articles in {COLLAB_YEAR} were "
                f"US–China{early}."
            )
            (ev_for if min(s_us, s_cn) >= COLLAB_SUPPORT_PCT else ev_against).append(text)
        if not oa.empty:
            s = oa.set_index("year")["value"]
            peak_year = int(s.index[int(np.argmax(s.to_numpy()))])
            last = int(s.index.max())
            figs += [
                Figure("openalex_peak", f"US–China co-authored works, peak {peak_year} "
                       "(OpenAlex)", float(s[peak_year]), "count"),
                Figure("openalex_last", f"US–China co-authored works {last} (OpenAlex)",
                       float(s[last]), "count"),
            ]  # fmt: skip
            if last > peak_year:
                ev_against.append(
                    f"US–China co-authored works peaked in {peak_year} ({s[peak_year]:,.0f}, "
                    f"OpenAlex) and were {pct_change(float(s[last]), float(s[peak_year])):+.0f} "
                    f"% lower by {last}: the exchange has been shrinking."
                )
        if "us_rec" in ip and "cn_pay" in ip:
            us, cn = ip["us_rec"].sort_values("year"), ip["cn_pay"].sort_values("year")
            yu, yc = int(us["year"].iloc[-1]), int(cn["year"].iloc[-1])
            figs += [
                Figure("us_ip_receipts", f"US receipts for the use of IP {yu} (world)",
                       float(us["value"].iloc[-1]) / 1e9, "USD bn"),
                Figure("china_ip_payments", f"China's payments for the use of IP {yc} (world)",
                       float(cn["value"].iloc[-1]) / 1e9, "USD bn"),
            ]  # fmt: skip
            a, b = _at(us, IP_BASE), _at(cn, IP_BASE)
            if a and b:
                ev_for.append(
                    f"IP is traded at scale: US receipts for the use of IP grew "
                    f"{pct_change(float(us['value'].iloc[-1]), a):+.0f} % since {IP_BASE} and "
                    f"China's payments {pct_change(float(cn['value'].iloc[-1]), b):+.0f} % "
                    "(against the world, not bilateral)."
                )
        if "cn_rec" in ip:
            cr = ip["cn_rec"].sort_values("year")
            figs.append(Figure("china_ip_receipts", f"China's receipts for the use of IP "
                               f"{int(cr['year'].iloc[-1])} (world)",
                               float(cr["value"].iloc[-1]) / 1e9, "USD bn"))  # fmt: skip
        if not top.empty:
            for c in ("CHN", "USA"):
                sc = top[top["country"] == c].sort_values("year")
                if not sc.empty:
                    figs.append(Figure(f"top1pct_{c.lower()}", f"{_name(c)}: share of its "
                                       f"articles in the world's top 1 % cited "
                                       f"{int(sc['year'].iloc[-1])}",
                                       float(sc["value"].iloc[-1]), "%", 2))  # fmt: skip
        ev_against.append(
            "Flows are not benefits: no staged series shows what each side gains (bilateral IP "
            "income, the citation impact of US–China work against each country's domestic work), "
            "so mutual benefit is neither shown nor ruled out."
        )
        return figs, ev_for, ev_against


def _exchange_chart(oa: pd.DataFrame, ip: dict[str, pd.DataFrame]) -> Any:
    parts = []
    if not oa.empty:
        parts.append(oa.assign(series="US–China co-authored works (OpenAlex)"))
    labels = {"us_rec": "US receipts for the use of IP", "cn_pay": "China's payments for IP"}
    for key, label in labels.items():
        if key in ip:
            parts.append(ip[key].assign(series=label))
    if not parts:
        return None
    df = pd.concat(parts, ignore_index=True)
    df = df[df["year"] >= IP_BASE]
    base = df[df["year"] == IP_BASE].set_index("series")["value"]
    df = df[df["series"].isin(base.index)]
    df = df.assign(index=100 * df["value"] / df["series"].map(base))
    chart = year_lines(
        df, y="index", y_title=f"Index, {IP_BASE} = 100", color="series", color_title="Series",
        value_format=",.0f",
    )  # fmt: skip
    return charts.finish(
        chart,
        title="US–China research exchange and IP charges",
        subtitle=f"Index, {IP_BASE} = 100 (IP charges are against the world, not bilateral)",
        source="OpenAlex (bavla/OpenAlex WrldCo); World Bank WDI BX/BM.GSR.ROYL.CD",
    )


__all__: Sequence[str] = (
    "ChinaRdPace",
    "Doctorates",
    "MneActivityChina",
    "ResearchExchanges",
)
