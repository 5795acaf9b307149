"""General-equilibrium counterfactuals: pure solvers on arrays plus scenario helpers."""

from techties.simulation.onesector import OneSectorResult, fitted_flows, solve_onesector
from techties.simulation.onesector_gravity import solve_from_gravity
from techties.simulation.options import SolverOptions
from techties.simulation.uncertainty import OneSectorDraws, draw_onesector

__all__ = [
    "OneSectorDraws",
    "OneSectorResult",
    "SolverOptions",
    "draw_onesector",
    "fitted_flows",
    "solve_from_gravity",
    "solve_onesector",
]
