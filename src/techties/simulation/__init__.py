"""General-equilibrium counterfactuals: pure solvers on arrays plus scenario helpers."""

from techties.simulation.baselines import baseline_from_mrio
from techties.simulation.caliendo_parro import (
    CaliendoParroResult,
    MultiSectorBaseline,
    calibrate_baseline,
    solve_caliendo_parro,
)
from techties.simulation.geppml import solve_geppml
from techties.simulation.mc_multisector import ScenarioResult
from techties.simulation.onesector import OneSectorResult, fitted_flows, solve_onesector
from techties.simulation.onesector_gravity import solve_from_gravity
from techties.simulation.options import SolverOptions
from techties.simulation.scenario import Scenario
from techties.simulation.uncertainty import OneSectorDraws, draw_onesector

__all__ = [
    "CaliendoParroResult",
    "MultiSectorBaseline",
    "OneSectorDraws",
    "OneSectorResult",
    "Scenario",
    "ScenarioResult",
    "SolverOptions",
    "baseline_from_mrio",
    "calibrate_baseline",
    "draw_onesector",
    "fitted_flows",
    "solve_caliendo_parro",
    "solve_from_gravity",
    "solve_geppml",
    "solve_onesector",
]
