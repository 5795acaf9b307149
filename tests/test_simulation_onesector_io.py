"""One-sector model with roundabout production (ILMS 2025 App. A.3 without ν, φ, κ)."""

from __future__ import annotations

import numpy as np
import pytest

from techties.errors import ConfigError
from techties.simulation.baselines import OneSectorBaseline
from techties.simulation.onesector import solve_onesector
from techties.simulation.onesector_io import eora_value_added_shares, io_baseline, solve_io
from techties.simulation.optimal_tariff import optimal_uniform_tariff, uniform_change
from techties.simulation.options import SolverOptions
from techties.simulation.retaliation import liberation_day_schedule, retaliation
from techties.simulation.tariff_nash import balanced_baseline
from techties.store import Store


def _trade(n: int = 4) -> np.ndarray:
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 10, (n, n))
    np.fill_diagonal(x, 60.0)
    return x


@pytest.mark.parametrize("closure", ["additive", "multiplicative"])
def test_value_added_share_one_is_the_one_sector_model(closure: str) -> None:
    x = _trade()
    dt = uniform_change(4, 0, 0.3)
    dt[2, 1] = 0.5
    io = solve_io(x, 1.0, sigma=5.0, tariff_change=dt, closure=closure)  # type: ignore[arg-type]
    plain = solve_onesector(x, sigma=5.0, tariff_change=dt, imbalance=closure,  # type: ignore[arg-type]
                            conditional=False)  # fmt: skip
    np.testing.assert_allclose(io.welfare_pct.to_numpy(), plain.welfare_pct.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(io.trade, plain.full.trade, rtol=1e-8)


def test_bystander_welfare_follows_the_roundabout_acr_formula() -> None:
    """A country that levies and faces no tariff and has no deficit: Ŵ = λ̂_jj^(−1/(ε β_j))."""
    x = balanced_baseline(OneSectorBaseline(countries=tuple("ABCD"), trade=_trade()), 5.0).trade
    dt = np.zeros((4, 4))
    dt[1, 2], dt[2, 1], dt[0, 1] = 0.4, 0.3, 0.2
    beta = np.array([0.5, 0.4, 0.6, 0.45])
    res = solve_io(x, beta, sigma=5.0, tariff_change=dt, options=SolverOptions(tol=1e-13))
    lam_hat = res.shares[3, 3] / (x[3, 3] / x[:, 3].sum())
    assert res.welfare[3] == pytest.approx(lam_hat ** (-1 / (4 * 0.45)) - 1, abs=1e-11)
    assert res.welfare[3] > 0  # trade diverted to D
    zero = solve_io(x, beta, sigma=5.0)
    np.testing.assert_allclose(zero.welfare, 0.0, atol=1e-12)


def test_io_baseline_inflates_domestic_sales_only() -> None:
    base = OneSectorBaseline(countries=("A", "B"), trade=np.array([[49.0, 5.0], [4.0, 98.0]]))
    io = io_baseline(base, 0.49)
    np.testing.assert_allclose(io.trade, [[100.0, 5.0], [4.0, 200.0]])
    with pytest.raises(ConfigError, match=r"value-added shares β must lie in \(0, 1\]"):
        io_baseline(base, 1.5)


@pytest.mark.realdata
def test_liberation_day_with_input_output_linkages(real_store: Store) -> None:
    """β = 0.49 (ILMS), balanced 194-country data, σ = 5 (values measured): the optimum moves
    from 26.82 % to 25.95 %; with ILMS's further terms their IO optimum is 12.5 %."""
    from techties.simulation.mc_multisector import load_named_baseline

    raw = load_named_baseline("liberation_day", real_store)
    bal = balanced_baseline(raw, 5.0)
    opt = optimal_uniform_tariff(bal, "USA", sigma=5.0, io_share=0.49)
    assert opt.tariff == pytest.approx(0.25954, abs=1e-4)
    assert opt.welfare_pct == pytest.approx(0.4853, abs=1e-3)
    sched = liberation_day_schedule(real_store, raw.countries)
    rep = retaliation(bal, 5.0, sched, mode="optimal", io_share=0.49)
    assert rep.rate == pytest.approx(0.2522, abs=1e-3)
    assert rep.welfare_pct("USA") == pytest.approx(-0.661, abs=2e-3)
    recip = retaliation(bal, 5.0, sched, mode="reciprocal", io_share=0.49)
    assert recip.welfare_pct("USA") == pytest.approx(-0.439, abs=2e-3)
    # national value-added shares from Eora26 2017 for the 35 economies both cover
    beta = eora_value_added_shares(real_store, raw.countries)
    assert int(np.sum(beta != 0.49)) == 35
    assert beta[raw.countries.index("USA")] == pytest.approx(0.5697, abs=1e-4)
    assert beta[raw.countries.index("NGA")] == 0.49  # not in Eora's list: ILMS's value
    eora = optimal_uniform_tariff(bal, "USA", sigma=5.0, io_share=beta)
    assert eora.tariff == pytest.approx(0.25967, abs=1e-4)
