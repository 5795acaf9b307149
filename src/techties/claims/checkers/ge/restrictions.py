"""Claim 1: the tariff escalation and the chip controls lower welfare in both the US and China
(GE counterfactual with Monte Carlo bands)."""

from __future__ import annotations

from techties.claims.base import Checker, register
from techties.claims.checkers.ge._common import (
    ALT_DRAWS,
    CHIP_SCENARIO,
    DRAWS,
    RESTRICTION_SCENARIOS,
    TARIFF_SCENARIO,
    WELFARE_EPS_PCT,
)
from techties.claims.checkers.ge.welfare import pair_verdict
from techties.claims.verdict import Verdict
from techties.store import Store


@register
class GeRestrictions(Checker):
    """Claim 1: the tariff escalation and the chip controls lower welfare in both US and China."""

    name = "ge_restrictions"
    claim_id = "restrictions-hurt-both"
    method = (
        f"Runs the simulation layer's scenarios {TARIFF_SCENARIO!r} and {CHIP_SCENARIO!r} "
        f"(Caliendo–Parro multi-sector GE, Eora26 2017 baseline) with {DRAWS} Monte Carlo draws "
        "of the trade elasticities (one common factor on θ, 0.75–1.25) and of the export "
        "controls' covered shares, and reads the exact change in real income of the US and "
        f"China with its 90 % band. Each of the four changes is a loss if its whole band lies "
        f"below −{WELFARE_EPS_PCT:g} % and a gain if above +{WELFARE_EPS_PCT:g} %; supported "
        "when all four are losses, contradicted when any is a gain, mixed otherwise (a band "
        f"that straddles a threshold is mixed). {DRAWS} draws (and {ALT_DRAWS} for the θ and "
        "baseline alternatives) keep the first run of the GE checkers under about 40 s on two "
        "cores; results are cached."
    )

    def evaluate(self, store: Store) -> Verdict:
        return pair_verdict(
            store,
            self.claim_id,
            RESTRICTION_SCENARIOS,
            gain=False,
            chart_title="Real-income effects of the restrictions (model)",
            design=(
                "Model counterfactual: Caliendo–Parro GE from the 2017 Eora baseline with and "
                "without the restriction, with Monte Carlo bands over θ and covered shares."
            ),
        )
