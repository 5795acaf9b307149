"""The Advanced Guide's GEPPML loop (techties.simulation.geppml) on small synthetic economies.

The golden comparison with the book's published numbers is in test_simulation_onesector_agtpa.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from techties.errors import SolverError
from techties.simulation import solve_geppml, solve_onesector
from techties.simulation.geppml import book_rounds, ppml_fixed_effects


def _economy(seed: int, n: int, home: float) -> tuple[np.ndarray, np.ndarray]:
    """Balanced trade (symmetric flows, so E = Y) with home bias ``home`` and a random shock."""
    rng = np.random.default_rng(seed)
    a = rng.lognormal(size=(n, n))
    x = a + a.T
    x[np.diag_indices(n)] *= home
    shock = np.exp(rng.normal(0, 0.5, size=(n, n)))
    np.fill_diagonal(shock, 1.0)
    return x, shock


def test_ppml_fixed_effects_satisfy_the_score_equations() -> None:
    rng = np.random.default_rng(1)
    flows = rng.lognormal(size=(8, 8))
    offset = rng.lognormal(size=(8, 8))
    fe = ppml_fixed_effects(flows, offset, reference=3)
    np.testing.assert_allclose(fe.fitted.sum(axis=1), flows.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(fe.fitted.sum(axis=0), flows.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(fe.fitted, np.outer(fe.exp_pi, fe.exp_chi) * offset, rtol=1e-14)
    assert fe.exp_chi[3] == 1.0
    with pytest.raises(SolverError, match="did not converge in 1 proportional-fitting sweeps"):
        ppml_fixed_effects(flows, offset, reference=3, max_sweeps=1)


def test_zero_shock_changes_nothing() -> None:
    x, _ = _economy(2, 6, 3.0)
    res = solve_geppml(x, None, sigma=7, reference=0)
    # the do-files' first test compares the CDL step (1) with zero, so two rounds run
    assert res.full.iterations == 2
    np.testing.assert_allclose(res.full.price_hat, 1.0, atol=1e-12)
    np.testing.assert_allclose(res.full.trade, x, rtol=1e-12)
    assert np.abs(res.tidy().real_gdp_pct).max() < 1e-9


def test_converged_loop_clears_sales_but_not_spending_even_with_balanced_trade() -> None:
    """The loop's PPML keeps whatever column sums the updated flows have: purchases never
    have to equal expenditure φY, so even run to 1e-11 it is not the exact equilibrium."""
    x, shock = _economy(7, 10, 3.0)
    loop = solve_geppml(x, shock, sigma=7, reference=2, tol=1e-11)
    exact = solve_onesector(x, shock, sigma=7, reference=2)
    assert loop.full.iterations == 59 and loop.full.residual < 1e-9  # sales = output
    spending_gap = np.abs(loop.full.trade.sum(axis=0) / loop.full.spending - 1).max()
    assert spending_gap == pytest.approx(0.00286, abs=5e-5)  # exact engine: 2e-16
    gap = np.abs(loop.tidy().real_gdp_pct - exact.tidy().real_gdp_pct).max()
    assert gap == pytest.approx(0.0444, abs=1e-3)
    # the conditional stage is a plain PPML fit: identical to the exact engine's CDL
    for col in ("exports_cdl_pct", "imr_cdl_pct", "omr_cdl_pct"):
        np.testing.assert_allclose(loop.tidy()[col], exact.tidy()[col], atol=1e-7)


def test_loop_diverges_for_closed_economies_and_says_so() -> None:
    """With strong home bias the book's update overshoots; techties raises, the exact engine
    solves."""
    x, shock = _economy(3, 12, 20.0)
    shock = np.exp(0.2 * np.log(shock))
    # the price steps grow (sd 0.006 after 5 rounds, 0.52 after 40, 2.2 after 100)
    with pytest.raises(SolverError, match=r"stopping rule .* in 100 rounds: sd [1-9]"):
        book_rounds(x, shock, sigma=5.0, reference=2, tol=1e-10, max_rounds=100)
    assert solve_onesector(x, shock, sigma=5, reference=2).full.residual <= 1e-10
