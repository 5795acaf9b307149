"""Checkers on general-equilibrium counterfactuals (claims 1, 8, 11), via the simulation layer.

Every simulated number that enters a rule carries an interval: each named scenario of the
simulation layer's YAML library runs its central case and :data:`DRAWS` Monte Carlo draws
(``Scenario.run(draws=)``: one common factor on every trade elasticity θ, uniform on the
scenario's range, and each export control's covered share, uniform on its ``share_range``). The
decisive quantity is the exact change in real income Î/P̂ − 1 (%) of a country, with the
equal-tailed 90 % band of the draws; a rule's test is decided by the whole band against the
thresholds (a band that straddles one is mixed), and every verdict is labelled model-based
(``Test(kind="modelled")``).

Robustness panel (see :func:`techties.claims.rules.decide`): the 95 % band of the same draws;
the same scenarios with the goods-sector θ of Caliendo & Parro (2015) (``trade-cp2015/T.txt``)
instead of the Fontagné–Guimbard–Orefice values stored with the Eora baseline; the same policies
on the other baseline the scenarios can use, the one-sector WIOD 2014 aggregate
(``wiod2014``, σ = 5 ± 1) with the sector tariffs and covered shares converted to bilateral
equivalents on the Eora 2017 flows; and every threshold moved by half.

GE baselines are built from the store's model inputs (sources ``eora_cp``, ``cp2015``,
``gravity``, ``icio_tariffwar``), so a verdict's ``provenance_ids`` name every file behind it.
Solved results are cached in the store's ``derived`` table per scenario, variant and number of
draws, keyed by those ids and the code version (:func:`.scenarios.run_scenario`).

Layout: :mod:`._common` (constants), :mod:`.variants` (θ and one-sector baselines),
:mod:`.scenarios` (running and caching scenarios), :mod:`.welfare` (the rule's tests, the
robustness panel, figures and chart), and one module per claim: :mod:`.restrictions`
(claim 1), :mod:`.chip_allies` (claim 8), :mod:`.lifting` (claim 11).
"""

from __future__ import annotations

from techties.claims.base import Missing  # noqa: F401
from techties.claims.checkers.ge import (  # noqa: F401
    _common,
    chip_allies,
    lifting,
    restrictions,
    scenarios,
    variants,
    welfare,
)
from techties.claims.checkers.ge._common import (  # noqa: F401
    ALLIES,
    ALT_DRAWS,
    BAND_ALT,
    CHIP_SCENARIO,
    CP_TO_EORA,
    DRAWS,
    LABELS,
    LEVEL,
    LEVEL_ALT,
    LIFT_2025,
    LIFT_MAIN,
    LIFT_SCENARIOS,
    LIFT_SEPARATE,
    MODEL_CAVEAT,
    PAIR,
    RESTRICTION_SCENARIOS,
    SEED,
    TARIFF_SCENARIO,
    VARIANT_LABELS,
    VARIANT_NOTES,
    VARIANTS,
    WELFARE_EPS_PCT,
    WIOD_SIGMA,
    WIOD_SIGMA_RANGE,
    WORKERS,
)
from techties.claims.checkers.ge.chip_allies import (  # noqa: F401
    ALLY_BASE_YEAR,
    CONTROLS_FIRST_FULL_YEAR,
    DISRUPTION_CONTRADICT_PCT,
    DISRUPTION_SUPPORT_PCT,
    ICIO_SECTORS,
    ChipControlsAllies,
    _ally_chip_exports,
)
from techties.claims.checkers.ge.lifting import (  # noqa: F401
    GeLifting,
)
from techties.claims.checkers.ge.restrictions import (  # noqa: F401
    GeRestrictions,
)
from techties.claims.checkers.ge.scenarios import (  # noqa: F401
    baseline_ids,
    run_scenario,
    scenario_path,
)
from techties.claims.checkers.ge.variants import (  # noqa: F401
    _eora,
    _one_sector_shocks,
    _worlds,
    cp_theta_on_eora,
)
from techties.claims.checkers.ge.welfare import (  # noqa: F401
    welfare_test,
)
