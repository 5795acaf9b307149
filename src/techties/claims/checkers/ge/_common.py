"""Constants and small helpers shared by the GE checkers (claims 1, 8 and 11)."""

from __future__ import annotations

from typing import Any

import numpy as np

TARIFF_SCENARIO = "uschina_escalation"
CHIP_SCENARIO = "chip_export_controls"
#: claim 11: the proposals table (simulation.proposals); the claim as stated is lifting both
#: the tariffs and the controls, from the 2024 status quo the claim was made in
LIFT_MAIN = "proposal_2024_lift_both"
LIFT_SEPARATE = ("proposal_2024_lift_tariffs", "proposal_2024_lift_controls")
LIFT_2025 = "proposal_2025_lift_both"
LIFT_SCENARIOS = (
    *LIFT_SEPARATE, LIFT_MAIN, "proposal_2025_lift_tariffs", "proposal_2025_lift_controls",
    LIFT_2025,
)  # fmt: skip
RESTRICTION_SCENARIOS = (TARIFF_SCENARIO, CHIP_SCENARIO)
#: a change in real income within ±EPS % is negligible: a loss (gain) must lie below −EPS
#: (above +EPS) over the whole band. One ε for the three GE claims (claim 11 mirrors claim 1).
WELFARE_EPS_PCT = 0.01
#: Monte Carlo draws per scenario for the main specification, and for the θ and baseline
#: alternatives of the robustness panel. Chosen for time: on two cores a multi-sector draw takes
#: about 0.02–0.04 s (two equilibria for status-quo scenarios), so the first run of the three GE
#: checkers (4 scenarios × 150 draws, 4 × 75 with other θ, the one-sector runs) stays under
#: about 40 s; results are cached afterwards.
DRAWS = 150
ALT_DRAWS = 75
SEED = 0
#: band levels: the rule's band and the robustness alternative
LEVEL, LEVEL_ALT = 0.90, 0.95
WORKERS = 2
ALLIES = ("JPN", "KOR", "NLD")
PAIR = ("USA", "CHN")
#: reader-facing names of the scenarios
LABELS = {
    TARIFF_SCENARIO: "2018–19 tariff escalation",
    CHIP_SCENARIO: "chip export controls",
    "uschina_lift_all": "lifting the extra tariffs",
    "chip_export_controls_removal": "lifting the chip controls",
    "proposal_2024_lift_tariffs": "lifting the tariffs (from 2024)",
    "proposal_2024_lift_controls": "lifting the chip controls (from 2024)",
    "proposal_2024_lift_both": "lifting the tariffs and the controls (from 2024)",
    "proposal_2025_lift_tariffs": "lifting the tariffs (from 2025)",
    "proposal_2025_lift_controls": "lifting the chip controls (from 2025)",
    "proposal_2025_lift_both": "lifting the tariffs and the controls (from 2025)",
}
VARIANTS = ("main", "theta_cp2015", "wiod2014")
VARIANT_LABELS = {
    "main": "Eora26 2017, θ of Fontagné–Guimbard–Orefice (2022)",
    "theta_cp2015": "θ from Caliendo–Parro (2015)",
    "wiod2014": "WIOD 2014 one-sector baseline",
}
VARIANT_NOTES = {
    "theta_cp2015": (
        "goods-sector θ of Caliendo & Parro (2015, T.txt of source cp2015) averaged to the Eora "
        f"grid; same draws (factor 0.75–1.25), {ALT_DRAWS} draws"
    ),
    "wiod2014": (
        "one-sector Armington GE on the 44-economy WIOD 2014 aggregate, σ = 5 (draws 4–6); "
        "sector tariffs and covered shares converted to bilateral equivalents with the Eora 2017 "
        f"flows; {ALT_DRAWS} draws"
    ),
}
BAND_ALT = "95 % band (same draws)"
#: Caliendo–Parro (2015) tradable sectors averaged onto each Eora26 goods sector
CP_TO_EORA: dict[str, tuple[str, ...]] = {
    "Agriculture": ("Agriculture",),
    "Mining and Quarrying": ("Mining",),
    "Food": ("Food",),
    "Textiles": ("Textile",),
    "Wood and Paper": ("Wood", "Paper"),
    "Petroleum": ("Petroleum", "Chemicals", "Plastic", "Minerals"),
    "Metal Products": ("Basic metals", "Metal products"),
    "Electrica and Machinery": ("Machinery n.e.c.", "Office", "Electrical", "Communication",
                                "Medical"),
    "Transport Equipment": ("Auto", "Other transport"),
    "Other Manufacturing and Recycling": ("Other",),
}  # fmt: skip
#: one-sector σ for the WIOD alternative: σ = 1 + θ with θ = 4 (Simonovska & Waugh 2014, the
#: ge_gravity examples' value), drawn ±25 % like the multi-sector θ
WIOD_SIGMA, WIOD_SIGMA_RANGE = 5.0, (4.0, 6.0)


def _welfare_draws(res: Any) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Countries, central first measure and its draws ``[draw, country]`` of a scenario result."""
    t = res.tidy()
    key = res.measures[0]
    sample = None if res.draws is None else np.asarray(res.draws)[:, :, 0]
    return list(t["country"]), t[key].to_numpy(dtype=float), sample


MODEL_CAVEAT = (
    "These are model counterfactuals (Caliendo–Parro GE on one baseline year), not observed "
    "outcomes; the bands cover θ and the assumed covered shares, not the model's structure."
)
