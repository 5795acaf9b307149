"""Claim 5: restrictions pushed China to speed up its own R&D (a causal claim), tested against a
counterfactual: a trend break at the policy date, the same break on the gap to comparators
(difference-in-differences in trends) and placebo break dates."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from techties.claims.base import Checker, Missing, register
from techties.claims.checkers._evidence import ids, indicator_series
from techties.claims.checkers.science._common import (
    CI,
    LOAD_WDI,
    _name,
    _verdict,
)
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
#: placebo break years: policy-free, each with at least three later pre-policy years
RD_PLACEBO_DATES = tuple(range(2004, 2015))
#: before/after paces shown (not decisive): 2010→2017 and 2017→latest
RD_PRE = (2010, 2017)


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
        breaks = _other_breaks(wide)
        figs = _rd_figures(main, breaks, chn, pre, post, last)
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
            chart=_rd_chart(own, did),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                f"Trend break after {RD_LAST_PRE} with the {RD_START}–{RD_LAST_PRE} fit shown, "
                "difference-in-differences in trends against high-income countries (and the US, "
                "world, OECD, EU, Korea, Japan, Germany in the panel), and placebo break years "
                f"{RD_PLACEBO_DATES[0]}–{RD_PLACEBO_DATES[-1]}."
            ),
        )


def _other_breaks(wide: pd.DataFrame) -> dict[str, BreakResult]:
    """The same trend break for the US, the world and the main comparator (context)."""
    breaks = {}
    for c in ("USA", "WLD", RD_COMPARATOR):
        if c in wide:
            s = wide[c].dropna()
            try:
                breaks[c] = trend_break(*_xy(s), last_pre=RD_LAST_PRE, start=RD_START)
            except NoDataError:
                continue
    return breaks


def _rd_figures(
    main: _Pace,
    breaks: dict[str, BreakResult],
    chn: pd.Series,
    pre: float,
    post: float,
    last: int,
) -> list[Figure]:
    """Figures of China's break, its paces before and after, the comparators' breaks, the
    gap's break and the largest placebo break."""
    assert main.own is not None
    own, did, pl = main.own, main.did, main.placebos
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
    return figs


def _rd_chart(own: BreakResult, did: BreakResult | None) -> Any:
    """The gap to the main comparator (or China alone) against its pre-policy trend."""
    chart_frame = did.frame if did is not None else own.frame
    return counterfactual_chart(
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
