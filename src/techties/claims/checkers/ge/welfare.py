"""The rule's tests on modelled changes in real income, the robustness panel and the figures,
sentences and chart the GE checkers (claims 1, 8 and 11) share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import Missing
from techties.claims.checkers.ge._common import (
    ALLIES,
    ALT_DRAWS,
    BAND_ALT,
    DRAWS,
    LABELS,
    LEVEL,
    LEVEL_ALT,
    MODEL_CAVEAT,
    PAIR,
    VARIANT_LABELS,
    VARIANT_NOTES,
    WELFARE_EPS_PCT,
)
from techties.claims.checkers.ge.scenarios import _runs
from techties.claims.rules import Decision, Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.store.core import Store


def _row(df: pd.DataFrame, scenario: str, country: str) -> pd.Series:
    hit = df[(df["scenario"] == scenario) & (df["country"] == country)]
    if hit.empty:
        raise Missing("no_data", f"the GE result of {scenario!r} has no row for {country}.")
    return hit.iloc[0]


def welfare_test(
    df: pd.DataFrame,
    scenario: str,
    country: str,
    *,
    gain: bool,
    band: str = "p",
    draws: int = DRAWS,
    note: str = "",
) -> Test:
    """The rule's test on one country's modelled change in real income: a loss (``gain=False``)
    is supported below −ε and contradicted above +ε over the whole band; a gain the mirror."""
    r = _row(df, scenario, country)
    est = float(r["welfare_pct"])
    lo_col, hi_col = f"{band}_low", f"{band}_high"
    if lo_col not in r.index or pd.isna(r[lo_col]):
        raise Missing("no_data", f"the GE result of {scenario!r} has no draw band.")
    # the central case need not lie inside the draws' band (nonlinear model): widen to include it
    lo, hi = min(float(r[lo_col]), est), max(float(r[hi_col]), est)
    level = LEVEL_ALT if band == "p95" else LEVEL
    eps = WELFARE_EPS_PCT
    loss, win = Threshold("<", -eps), Threshold(">", eps)
    return Test(
        key=f"{country}_{scenario}",
        label=f"{country}, {LABELS.get(scenario, scenario)}",
        estimate=est,
        unit="%",
        support=win if gain else loss,
        contradict=loss if gain else win,
        kind="modelled",
        low=lo,
        high=hi,
        interval=_band_text(level, draws) + note,
        digits=3,
    )


def _band_text(level: float, draws: int) -> str:
    return f"{round(level * 100)} % band over {draws} draws of θ and covered shares"


def _tests(
    df: pd.DataFrame,
    cells: Sequence[tuple[str, str]],
    *,
    gain: bool,
    band: str = "p",
    draws: int = DRAWS,
) -> list[Test]:
    return [welfare_test(df, s, c, gain=gain, band=band, draws=draws) for s, c in cells]


def _missing_tests(cells: Sequence[tuple[str, str]], gain: bool, why: str) -> list[Test]:
    eps = WELFARE_EPS_PCT
    loss, win = Threshold("<", -eps), Threshold(">", eps)
    return [
        Test(f"{c}_{s}", f"{c}, {LABELS.get(s, s)}", None, "%", win if gain else loss,
             loss if gain else win, kind="modelled", missing=why, digits=3)
        for s, c in cells
    ]  # fmt: skip


def _panel(
    store: Store,
    scenarios: Sequence[str],
    cells: Sequence[tuple[str, str]],
    *,
    gain: bool,
    main: pd.DataFrame,
    extra: Callable[[list[Test]], list[Test]] = lambda t: t,
) -> tuple[dict[str, list[Test]], dict[str, str], list[int], pd.DataFrame]:
    """The robustness alternatives: 95 % band, θ of Caliendo–Parro, the WIOD one-sector
    baseline (each recomputing the rule's tests; a variant that cannot run is unverifiable)."""
    alts: dict[str, list[Test]] = {
        BAND_ALT: extra(_tests(main, cells, gain=gain, band="p95", draws=DRAWS))
    }
    notes = {
        "main specification": f"{VARIANT_LABELS['main']}; {DRAWS} draws, 90 % band",
        BAND_ALT: f"equal-tailed 2.5th–97.5th percentiles of the same {DRAWS} draws",
    }
    ids: list[int] = []
    frames = []
    for variant in ("theta_cp2015", "wiod2014"):
        name = VARIANT_LABELS[variant]
        notes[name] = VARIANT_NOTES[variant]
        try:
            df, got = _runs(store, scenarios, draws=ALT_DRAWS, variant=variant)
        except Missing as m:
            alts[name] = extra(_missing_tests(cells, gain, m.what))
            continue
        ids += got
        frames.append(df)
        alts[name] = extra(_tests(df, cells, gain=gain, draws=ALT_DRAWS))
    return alts, notes, sorted(set(ids)), pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _fmt(t: Test) -> str:
    if t.estimate is None:
        return "not measured"
    lo, hi = t.bounds
    return f"{t.estimate:+.3f} % [{lo:+.3f}, {hi:+.3f}]"


def _figures(tests: Sequence[Test]) -> list[Figure]:
    out = []
    for t in tests:
        lo, hi = t.bounds
        out += [
            Figure(t.key, t.label, t.estimate, "% change", 3),
            Figure(f"{t.key}_low", f"{t.label}, 5th percentile", lo, "% change", 3),
            Figure(f"{t.key}_high", f"{t.label}, 95th percentile", hi, "% change", 3),
        ]
    return out


def _moves(decision: Decision) -> list[str]:
    """One sentence per computable alternative that gives a different status than the main."""
    rob = decision.robustness
    if rob.empty:
        return []
    rows = rob.iloc[1:]
    rows = rows[(rows["status"] != "unverifiable") & (rows["status"] != decision.main_status)]
    return [
        f"Under the alternative “{r.spec}” the rule gives {r.status}." for r in rows.itertuples()
    ]


def _direction_sentences(tests: Sequence[Test], *, gain: bool) -> tuple[list[str], list[str]]:
    """Evidence for and against from the decisive tests, one sentence each."""
    word = "gain" if gain else "loss"
    eps = WELFARE_EPS_PCT
    side = f"{'above +' if gain else 'below −'}{eps:g} %"
    pro, con = [], []
    for t in tests:
        if t.status == "supported":
            pro.append(f"{t.label}: the modelled change {_fmt(t)} is a {word} {side} over the "
                       "whole band.")  # fmt: skip
        elif t.status == "contradicted":
            con.append(f"{t.label}: the modelled change {_fmt(t)} is the opposite of a {word} "
                       f"beyond ±{eps:g} % over the whole band.")  # fmt: skip
        else:
            con.append(f"{t.label}: the modelled change {_fmt(t)} straddles the ±{eps:g} % "
                       f"threshold, so it is not a clear {word}.")  # fmt: skip
    return pro, con


def _bars(df: pd.DataFrame, title: str) -> Any:
    data = df[df["country"].isin(["USA", "CHN", *ALLIES])]
    base = alt.Chart(data).encode(
        y=alt.Y("country:N", title=None, sort=["USA", "CHN", *ALLIES]),
        yOffset=alt.YOffset("scenario_label:N"),
    )
    bars = base.mark_bar().encode(
        x=alt.X("welfare_pct:Q", title="Change in real income (%)"),
        color=alt.Color("scenario_label:N", title="Scenario", legend=alt.Legend(labelLimit=400)),
        tooltip=[
            "scenario_label",
            "country",
            alt.Tooltip("welfare_pct:Q", format=".3f"),
            alt.Tooltip("p_low:Q", format=".3f", title="5th percentile"),
            alt.Tooltip("p_high:Q", format=".3f", title="95th percentile"),
        ],
    )
    eps = WELFARE_EPS_PCT
    layers: Any = bars + base.mark_rule(color="#222").encode(x="p_low:Q", x2="p_high:Q")
    guide = alt.Chart(pd.DataFrame({"x": [-eps, eps]})).mark_rule(
        strokeDash=[3, 3], color="#888"
    ).encode(x="x:Q")  # fmt: skip
    return charts.finish(
        layers + guide,
        title=title,
        subtitle=(
            f"Exact change in real income Î/P̂ − 1, % (lines: 90 % band over {DRAWS} draws; "
            f"dashed: ±{eps:g} % thresholds)"
        ),
        source="techties Caliendo–Parro simulation on the Eora26 2017 baseline (model result)",
        height=260,
    )


def _rationale(decision: Decision, tests: Sequence[Test]) -> str:
    parts = "; ".join(f"{t.label} {_fmt(t)} → {t.status}" for t in tests)
    head = f"Model-based: {decision.main_status} under the rule"
    if decision.fragile:
        head += f", but {decision.status} because an alternative changes it (fragile)"
    return f"{head}. {parts} (90 % bands; ±{WELFARE_EPS_PCT:g} % thresholds)."


def _alt_sentences(decision: Decision) -> tuple[list[str], list[str]]:
    """Alternatives that give another status than the main one: supported ones speak for the
    claim, the others against it (one sentence each)."""
    pro: list[str] = []
    con: list[str] = []
    for s in _moves(decision):
        (pro if s.endswith("supported.") else con).append(s)
    return pro, con


def pair_verdict(
    store: Store,
    claim_id: str, scenarios: tuple[str, ...], *, gain: bool, chart_title: str, design: str
) -> Verdict:
    """The verdict on US and China welfare under ``scenarios`` (claims 1 and 11): four
    model-based tests, the robustness panel, evidence both ways and the bars chart."""
    cells = [(s, c) for s in scenarios for c in PAIR]
    df, ids = _runs(store, scenarios, draws=DRAWS)
    tests = _tests(df, cells, gain=gain)
    alts, notes, alt_ids, alt_df = _panel(store, scenarios, cells, gain=gain, main=df)
    decision = decide(tests, alts, notes=notes)
    pro, con = _direction_sentences(tests, gain=gain)
    alt_pro, alt_con = _alt_sentences(decision)
    return Verdict.decided(
        claim_id,
        decision,
        rationale=_rationale(decision, tests),
        figures=_figures(tests),
        evidence=pd.concat([df, alt_df], ignore_index=True),
        provenance_ids=sorted({*ids, *alt_ids}),
        chart=_bars(df, chart_title),
        evidence_for=pro + alt_pro,
        evidence_against=[*con, *alt_con, MODEL_CAVEAT],
        design=design,
    )
