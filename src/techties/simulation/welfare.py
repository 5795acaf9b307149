"""Why the two multi-sector welfare measures differ: the CP decomposition chained along a path.

``welfare_cp`` (Caliendo & Parro 2015) is a first-order expansion of the welfare change
evaluated once, with baseline weights::

    d ln W_n = 1/I_n Σ_ij (E_ni^j d ln c_n^j − M_ni^j d ln c_i^j)            terms of trade
             + 1/I_n Σ_ij (τ_ni^j − 1) M_ni^j (d ln M_ni^j − d ln c_i^j)     volume of trade
             − 1/I_n Σ_ij τ_ni^j M_ni^j d ln κ_ni^j                          trade cost

(the last term, the direct cost of iceberg changes, is zero for tariff shocks and is not part of
``welfare_cp``). The formula is exact for infinitesimal changes, so summing it over many small
steps from the baseline to the counterfactual — tariffs ``τ(λ) = τ + λ (τ′ − τ)``, costs
``κ̂^λ``, each step solved and taken as the next step's baseline — converges to the exact change
``ln(Î_n / P̂_n)`` that ``real_income_change`` reports (with an error ∝ 1/steps, removed by
Richardson extrapolation). The gap between the one-step and the chained terms is what the
one-step measure misses: for a large tariff increase, the volume-of-trade term weights the lost
imports at the *baseline* tariff, while each further unit lost costs the tariff already in
place (the Harberger triangle); for an iceberg shock, the trade-cost term.

:func:`path_decomposition` returns both, so the sign difference of a scenario can be shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from techties.errors import ConfigError, SimulationInputError, SolverError
from techties.simulation.caliendo_parro import (
    CaliendoParroResult,
    MultiSectorBaseline,
    rebaseline,
    solve_caliendo_parro,
)
from techties.simulation.options import SolverOptions

TERMS = ("terms_of_trade", "volume_of_trade", "trade_cost")


#: what a failed small step is re-solved with, in order (the engine's own advice)
FALLBACKS = (
    SolverOptions(damping=0.5),
    SolverOptions(acceleration="none", damping=0.3, max_iter=20_000),
)


def _solve_step(b: MultiSectorBaseline, tau: np.ndarray, kappa: np.ndarray) -> CaliendoParroResult:
    """One small step. Anderson mixing can overshoot when the residual is already tiny (seen
    on small test economies), so a failed step is re-solved with damped iterations."""
    for opts in (None, *FALLBACKS[:-1]):
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # a diverging attempt overflows
                return solve_caliendo_parro(b, tau, trade_cost_hat=kappa, options=opts)
        except SolverError:
            continue
    return solve_caliendo_parro(b, tau, trade_cost_hat=kappa, options=FALLBACKS[-1])


def _chain(
    base: MultiSectorBaseline, tau_new: np.ndarray, kappa: np.ndarray, steps: int
) -> np.ndarray:
    """``[term, country]`` sums of the one-step terms over ``steps`` equal steps (shares)."""
    out = np.zeros((len(TERMS), len(base.countries)))
    step_kappa = kappa ** (1.0 / steps)
    b = base
    for s in range(1, steps + 1):
        tau = base.tau + (tau_new - base.tau) * s / steps
        res = _solve_step(b, tau, step_kappa)
        tot, vot = res.decomposition()
        cost = b.tau * b.imports() * (step_kappa - 1) / b.income()[:, None, None]
        out += [tot.sum((1, 2)), vot.sum((1, 2)), -cost.sum((1, 2))]
        b = rebaseline(res, base.name)  # the step's equilibrium is the next baseline
    return out


def path_decomposition(
    base: MultiSectorBaseline,
    tau_new: np.ndarray | None = None,
    trade_cost_hat: np.ndarray | None = None,
    *,
    steps: int = 40,
) -> pd.DataFrame:
    """Per country (percent, log changes): the one-step CP terms (``*_one_step``, what
    ``welfare_cp`` sums), the same terms chained over ``steps`` (Richardson-extrapolated from
    ``steps`` and ``steps/2``), their sum ``chained_total`` and the exact ``exact`` =
    ``100 ln(Î/P̂)``. ``chained_total`` matches ``exact`` up to the extrapolation error."""
    if steps < 2 or steps % 2:
        raise ConfigError(f"steps must be an even number ≥ 2, got {steps}")
    tau1 = base.tau if tau_new is None else np.asarray(tau_new, dtype=float)
    kappa = np.ones_like(base.pi) if trade_cost_hat is None else np.asarray(trade_cost_hat)
    if np.any(~np.isfinite(kappa)):
        raise SimulationInputError(
            "a prohibitive trade cost (κ̂ = ∞) has no path of small steps",
            hint="give the covered share below 1 (or a finite cost) to decompose it",
        )
    one = solve_caliendo_parro(base, tau1, trade_cost_hat=kappa)
    tot, vot = one.decomposition()
    chained = 2 * _chain(base, tau1, kappa, steps) - _chain(base, tau1, kappa, steps // 2)
    table = pd.DataFrame(
        {
            "country": list(base.countries),
            "terms_of_trade_one_step": tot.sum((1, 2)) * 100,
            "volume_of_trade_one_step": vot.sum((1, 2)) * 100,
            **{f"{t}_chained": chained[k] * 100 for k, t in enumerate(TERMS)},
        }
    )
    table["welfare_cp"] = table.terms_of_trade_one_step + table.volume_of_trade_one_step
    table["chained_total"] = chained.sum(axis=0) * 100
    table["exact"] = np.log(one.real_income_hat()) * 100
    return table


__all__ = ["TERMS", "path_decomposition"]
