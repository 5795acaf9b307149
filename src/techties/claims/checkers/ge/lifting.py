"""Claim 11: lifting the tariffs and the export controls raises welfare in both the US and China
(the proposals table of :mod:`techties.simulation.proposals`, with Monte Carlo bands)."""

from __future__ import annotations

import pandas as pd

from techties.claims.base import Checker, register
from techties.claims.checkers.ge._common import (
    DRAWS,
    LEVEL,
    LIFT_2025,
    LIFT_MAIN,
    LIFT_SCENARIOS,
    LIFT_SEPARATE,
    MODEL_CAVEAT,
    PAIR,
    WELFARE_EPS_PCT,
)
from techties.claims.checkers.ge.scenarios import _runs
from techties.claims.checkers.ge.welfare import (
    _alt_sentences,
    _direction_sentences,
    _figures,
    _panel,
    _rationale,
    _tests,
)
from techties.claims.rules import decide
from techties.claims.verdict import Figure, Verdict
from techties.simulation.proposals import cells, proposals_chart, table_frame
from techties.store import Store

ALT_SEPARATE = "each removal on its own (tariffs; controls), from the 2024 status quo"
ALT_2025 = "from the 2025 status quo (the 2025 tariff war at its latest staged levels)"


@register
class GeLifting(Checker):
    """Claim 11: lifting the tariffs and the controls raises welfare in both countries."""

    name = "ge_lifting"
    claim_id = "lifting-restrictions-benefits-both"
    method = (
        "Runs the proposals table of the simulation layer (Caliendo–Parro GE, Eora26 2017): from "
        "the 2024 status quo (the 2018–19 US–China tariffs and the chip export controls) and "
        "from the 2025 one (plus the 2025 tariff war), lift the US–China tariffs, the chip "
        f"controls, or both, each with {DRAWS} draws of the trade elasticities and covered "
        "shares. The claim as stated is lifting both: the US and China each gain if the whole "
        f"90 % band of the change in real income lies above +{WELFARE_EPS_PCT:g} % and lose if "
        f"below −{WELFARE_EPS_PCT:g} % (the ε of claim 1); supported when both gain, "
        "contradicted when either loses, mixed otherwise. Each removal on its own and the 2025 "
        "status quo are alternatives of the robustness panel."
    )

    def evaluate(self, store: Store) -> Verdict:
        df, ids = _runs(store, LIFT_SCENARIOS, draws=DRAWS)
        main_cells = [(LIFT_MAIN, c) for c in PAIR]
        tests = _tests(df, main_cells, gain=True)
        alts, notes, alt_ids, alt_df = _panel(store, (LIFT_MAIN,), main_cells, gain=True, main=df)
        alts[ALT_SEPARATE] = _tests(df, [(s, c) for s in LIFT_SEPARATE for c in PAIR], gain=True)
        alts[ALT_2025] = _tests(df, [(LIFT_2025, c) for c in PAIR], gain=True)
        notes[ALT_SEPARATE] = (
            "the stricter reading: lifting the tariffs and lifting the controls must each "
            "benefit both (four tests)"
        )
        notes[ALT_2025] = "lifting both from the world with the 2025 tariff war"
        decision = decide(tests, alts, notes=notes)
        pro, con = _direction_sentences(tests, gain=True)
        alt_pro, alt_con = _alt_sentences(decision)
        # which removal on its own is not a clear gain, in numbers
        alt_con += [f"On its own: {s}" for s in _direction_sentences(alts[ALT_SEPARATE], gain=True)[1]]
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=_rationale(decision, tests),
            figures=_figures(tests) + _table_figures(df),
            evidence=pd.concat([df, alt_df], ignore_index=True),
            provenance_ids=sorted({*ids, *alt_ids}),
            chart=proposals_chart(_table(df), PAIR, LEVEL, DRAWS),
            evidence_for=pro + alt_pro,
            evidence_against=[*con, *alt_con, MODEL_CAVEAT],
            design=(
                "Model counterfactual: Caliendo–Parro GE from the restricted world (2024 status "
                "quo on the Eora 2017 baseline) to the world without the tariffs and the controls, "
                "with Monte Carlo bands over θ and the covered shares; the lifted controls take "
                "the shares drawn for the imposed ones (exact inverse draw by draw)."
            ),
        )


def _table_figures(df: pd.DataFrame) -> list[Figure]:
    """The central value of every other cell of the table (their bands are in the chart and the
    evidence table)."""
    out = []
    for s in LIFT_SCENARIOS:
        if s == LIFT_MAIN:
            continue
        for t in _tests(df, [(s, c) for c in PAIR], gain=True):
            out.append(Figure(t.key, t.label, t.estimate, "% change", 3))
    return out


def _table(df: pd.DataFrame) -> pd.DataFrame:
    """The proposals table from the claim's cached runs (``welfare_pct``, 90 % band)."""
    rows = []
    for sq, prop, name in cells():
        part = df[df["scenario"] == name].rename(
            columns={"welfare_pct": "value", "p_low": "low", "p_high": "high"}
        )
        rows.append((sq, prop, part))
    return table_frame(rows)
