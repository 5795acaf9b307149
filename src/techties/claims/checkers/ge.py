"""Checkers on general-equilibrium counterfactuals (claims 1, 8, 11), via the simulation layer.

They run named scenarios from the simulation layer's YAML library (``Scenario.run(draws=)``) and
read the welfare change by country from the result's ``tidy()`` table; they compute nothing else.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, layer, register, three_way
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

SCENARIOS_MODULE = "techties.simulation.scenarios"
TARIFF_SCENARIO = "tariff_escalation_2018_19"
CHIP_SCENARIO = "chip_controls_2022"
LIFT_SCENARIO = "lift_restrictions"
WELFARE_EPS_PCT = 0.01
DRAWS = 50
ALLIES = ("JPN", "KOR", "NLD")


def run_scenario(store: Store, name: str, *, draws: int = 0) -> pd.DataFrame:
    """Welfare change by country of a named scenario: ``country, welfare_pct[, p05, p95]``."""
    load = layer(SCENARIOS_MODULE, "load_scenario", needed_for=f"GE scenario {name!r}")
    try:
        scenario = load(name)
    except KeyError as exc:
        raise Missing("not_yet", f"scenario {name!r} is not in the scenario library yet.") from exc
    result = scenario.run(store=store, draws=draws) if draws else scenario.run(store=store)
    table = result.welfare() if hasattr(result, "welfare") else result.tidy()
    return pd.DataFrame(table)


def _welfare(df: pd.DataFrame, country: str) -> float:
    hit = df.loc[df["country"] == country, "welfare_pct"]
    if hit.empty:
        raise Missing("no_data", f"the GE baseline has no welfare result for {country}.")
    return float(hit.iloc[0])


def _bars(df: pd.DataFrame, title: str) -> Any:
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("country:N", title=None),
            y=alt.Y("welfare_pct:Q", title="Welfare change (% of real income)"),
            color=alt.Color("scenario:N", title="Scenario")
            if "scenario" in df
            else alt.value(charts.PALETTE[1]),
            xOffset="scenario:N" if "scenario" in df else alt.value(0),
            tooltip=["country", alt.Tooltip("welfare_pct:Q", format=".3f")],
        )
    )
    return charts.finish(
        chart,
        title=title,
        subtitle="Equivalent variation, % of real income",
        source="techties Caliendo–Parro simulation",
    )


@register
class GeRestrictions(Checker):
    """Claim 1: the tariff escalation and the chip controls lower welfare in both US and China."""

    name = "ge_restrictions"
    claim_id = "restrictions-hurt-both"
    method = (
        f"Runs the scenarios {TARIFF_SCENARIO!r} and {CHIP_SCENARIO!r} of the Caliendo–Parro "
        "multi-sector GE model on the staged baseline and reads the welfare change (equivalent "
        f"variation, % of real income) of the US and China. Changes beyond ±{WELFARE_EPS_PCT} % count."
    )

    def evaluate(self, store: Store) -> Verdict:
        frames = []
        for name in (TARIFF_SCENARIO, CHIP_SCENARIO):
            frames.append(run_scenario(store, name).assign(scenario=name))
        df = pd.concat(frames, ignore_index=True)
        vals = {
            (s, c): _welfare(df[df["scenario"] == s], c)
            for s in (TARIFF_SCENARIO, CHIP_SCENARIO)
            for c in ("USA", "CHN")
        }
        all_neg = all(v < -WELFARE_EPS_PCT for v in vals.values())
        any_gain = any(
            all(vals[(s, c)] > WELFARE_EPS_PCT for s in (TARIFF_SCENARIO, CHIP_SCENARIO))
            for c in ("USA", "CHN")
        )
        status = three_way(all_neg, any_gain)
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale="; ".join(f"{s}: {c} {v:+.3f} %" for (s, c), v in vals.items()),
            figures=[
                Figure(f"{c}_{s}", f"{c} welfare, {s}", v, "%", 3) for (s, c), v in vals.items()
            ],
            evidence=df,
            chart=_bars(
                df[df["country"].isin(["USA", "CHN", *ALLIES])],
                "Welfare effects of the restrictions",
            ),
        )


@register
class ChipControlsAllies(Checker):
    """Claim 8: chip export controls cost Japan, Korea and the Netherlands (GE welfare)."""

    name = "chip_controls_allies"
    claim_id = "chip-controls-hurt-allies"
    method = (
        f"Runs the scenario {CHIP_SCENARIO!r} of the Caliendo–Parro GE model and reads the welfare "
        "change of Japan, Korea and the Netherlands. Bilateral chip-equipment exports to China "
        "were not found in the staged data, so observed trade is shown but not used in the rule."
    )

    def evaluate(self, store: Store) -> Verdict:
        df = run_scenario(store, CHIP_SCENARIO)
        vals = {c: _welfare(df, c) for c in ALLIES}
        status = three_way(all(v < 0 for v in vals.values()), all(v >= 0 for v in vals.values()))
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale="; ".join(f"{c} {v:+.3f} %" for c, v in vals.items()),
            figures=[Figure(c, f"{c} welfare change", v, "%", 3) for c, v in vals.items()],
            evidence=df,
            chart=_bars(
                df[df["country"].isin(["USA", "CHN", *ALLIES])],
                "Welfare effects of the chip controls",
            ),
        )


@register
class GeLifting(Checker):
    """Claim 11: removing the restrictions raises welfare in both countries (with draws)."""

    name = "ge_lifting"
    claim_id = "lifting-restrictions-benefits-both"
    method = (
        f"Runs the scenario {LIFT_SCENARIO!r} of the Caliendo–Parro GE model with {DRAWS} draws of "
        "the trade elasticities and reads the 5th–95th percentile band of the welfare change of the "
        "US and China. Supported if both 5th percentiles are above 0; contradicted if either 95th "
        "percentile is below 0."
    )

    def evaluate(self, store: Store) -> Verdict:
        df = run_scenario(store, LIFT_SCENARIO, draws=DRAWS)
        for col in ("p05", "p95"):
            if col not in df:
                raise Missing(
                    "not_yet", f"the scenario result lacks the {col} welfare band (draws)."
                )
        rows = df[df["country"].isin(["USA", "CHN"])].set_index("country")
        if len(rows) < 2:
            raise Missing("no_data", "the GE baseline lacks the US or China.")
        status = three_way(bool((rows["p05"] > 0).all()), bool((rows["p95"] < 0).any()))
        cols = {k: rows[k].astype(float).to_dict() for k in ("welfare_pct", "p05", "p95")}
        w = {(c, k): float(cols[k][c]) for c in ("USA", "CHN") for k in cols}
        figs = []
        for c in ("USA", "CHN"):
            figs += [
                Figure(
                    f"{c}_median",
                    f"{c} welfare change (central)",
                    w[(c, "welfare_pct")],
                    "%",
                    3,
                ),
                Figure(f"{c}_p05", f"{c} 5th percentile", w[(c, "p05")], "%", 3),
                Figure(f"{c}_p95", f"{c} 95th percentile", w[(c, "p95")], "%", 3),
            ]
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale="; ".join(
                f"{c} {w[(c, 'welfare_pct')]:+.3f} % [{w[(c, 'p05')]:+.3f}, {w[(c, 'p95')]:+.3f}]"
                for c in ("USA", "CHN")
            ),
            figures=figs,
            evidence=df,
            chart=_bars(
                df[df["country"].isin(["USA", "CHN", *ALLIES])],
                "Welfare effects of lifting the restrictions",
            ),
        )
