"""Claim 11: removing the restrictions raises welfare in both the US and China (GE counterfactual
with Monte Carlo bands)."""

from __future__ import annotations

from techties.claims.base import Checker, register
from techties.claims.checkers.ge._common import (
    DRAWS,
    LIFT_SCENARIOS,
    WELFARE_EPS_PCT,
)
from techties.claims.checkers.ge.welfare import pair_verdict
from techties.claims.verdict import Verdict
from techties.store import Store


@register
class GeLifting(Checker):
    """Claim 11: removing the restrictions raises welfare in both countries (with draws)."""

    name = "ge_lifting"
    claim_id = "lifting-restrictions-benefits-both"
    method = (
        f"Runs the simulation layer's scenarios {', '.join(map(repr, LIFT_SCENARIOS))} "
        f"(Caliendo–Parro GE, Eora26 2017, from the world with the restrictions) with {DRAWS} "
        "draws of the trade elasticities and covered shares, and reads the change in real income "
        "of the US and China with its 90 % band. Each of the four changes is a gain if its whole "
        f"band lies above +{WELFARE_EPS_PCT:g} % and a loss if below −{WELFARE_EPS_PCT:g} % (the "
        "ε of claim 1); supported when all four are gains, contradicted when any is a loss, "
        f"mixed otherwise. {DRAWS} draws keep the GE checkers' first run under about 40 s."
    )

    def evaluate(self, store: Store) -> Verdict:
        return pair_verdict(
            store,
            self.claim_id,
            LIFT_SCENARIOS,
            gain=True,
            chart_title="Real-income effects of lifting the restrictions (model)",
            design=(
                "Model counterfactual: Caliendo–Parro GE from the restricted 2017 Eora world to "
                "the world without the restriction, with Monte Carlo bands over θ and shares."
            ),
        )
