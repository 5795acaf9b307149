"""Balanced-trade baselines, best-response uniform tariffs and the Nash tariff war (one sector)."""

from __future__ import annotations

import numpy as np
import pytest

from techties.errors import ConfigError
from techties.simulation.baselines import OneSectorBaseline
from techties.simulation.optimal_tariff import (
    fixed_partner_optimum,
    formula_fixed_point,
    formula_tariff,
    optimal_uniform_tariff,
)
from techties.simulation.tariff_nash import (
    balanced_baseline,
    formula_tariffs,
    nash_uniform_tariffs,
    tariff_matrix,
)
from techties.store import Store


def _unbalanced(n: int = 5, seed: int = 3) -> OneSectorBaseline:
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 10, (n, n))  # not symmetric: deficits
    np.fill_diagonal(x, 60.0)
    return OneSectorBaseline(countries=tuple("ABCDE"[:n]), trade=x)


def test_balanced_baseline_removes_every_deficit_and_is_a_ces_equilibrium() -> None:
    base = _unbalanced()
    x0 = base.trade
    assert np.abs(x0.sum(axis=0) - x0.sum(axis=1)).max() > 1.0
    bal = balanced_baseline(base, 5.0)
    x = bal.trade
    np.testing.assert_allclose(x.sum(axis=0), x.sum(axis=1), rtol=1e-11)  # E = Y
    assert x.sum() == pytest.approx(x0.sum(), rel=1e-12)  # world output the numeraire
    # CES: λ'_ij / λ_ij ∝ p̂_i^(1−σ) within each column, with p̂ = Y'/Y
    p = x.sum(axis=1) / x0.sum(axis=1)
    ratio = (x / x.sum(axis=0)) / (x0 / x0.sum(axis=0)) / p[:, None] ** -4.0
    np.testing.assert_allclose(ratio / ratio[0], 1.0, rtol=1e-9)
    assert "trade balanced (E = Y)" in bal.notes[-1]


def test_nash_point_is_a_fixed_point_of_best_responses() -> None:
    base = balanced_baseline(_unbalanced(), 5.0)
    war = nash_uniform_tariffs(base, 5.0, tol=1e-10)
    np.testing.assert_allclose(war.tariffs, formula_tariffs(war.result, 5.0), atol=1e-9)
    assert war.rounds < 30 and np.all(war.tariffs > 0.2)
    # the FOC (Lashkaripour 2021 eq. 14, as the ustariff package) against a numerical search
    # of A's welfare given the others' Nash tariffs: the search lands 3.3 % higher (0.2681 vs
    # 0.2595) — the partners' relative-wage terms the formula drops (optimal_tariff docstring)
    others = war.tariffs.copy()
    others[0] = 0.0
    opt = optimal_uniform_tariff(base, "A", sigma=5.0, extra_change=tariff_matrix(others))
    assert opt.tariff / war.tariff("A") - 1 == pytest.approx(0.033, abs=0.01)
    assert all(war.welfare_pct(c) < 0 for c in base.countries)  # a tariff war hurts everyone


@pytest.mark.parametrize("n", [3, 5])
def test_foc_formula_is_exact_when_partner_wages_are_held_fixed(n: int) -> None:
    """The formula is the exact optimum of i's problem with partners' wages and spending fixed
    (search to ~1e-8 vs formula at the optimum, 1e-6 asked); the GE optimum lies above it."""
    base = balanced_baseline(_unbalanced(n), 5.0)
    part = fixed_partner_optimum(base, "A", sigma=5.0)
    assert part.tariff == pytest.approx(part.formula, abs=1e-6)
    opt = optimal_uniform_tariff(base, "A", sigma=5.0)
    gap = opt.tariff - formula_tariff(opt.result, "A", 5.0)
    assert gap == pytest.approx({3: 0.000558, 5: 0.008278}[n], abs=2e-6)  # measured
    assert opt.welfare_pct > part.welfare_pct  # wage responses abroad add to A's gain
    foc = formula_fixed_point(base, "A", sigma=5.0)  # ILMS's optimum: t = formula(t)
    assert foc.tariff == pytest.approx(formula_tariff(foc.result, "A", 5.0), abs=1e-9)
    assert foc.tariff < opt.tariff and foc.welfare_pct < opt.welfare_pct


def test_two_country_search_equals_the_foc_formula() -> None:
    """With one partner its wage is the numeraire: nothing is left out and the exact (polished)
    optimum equals the formula at it, and the fixed-partner optimum, to 1e-6."""
    base = balanced_baseline(_unbalanced(2), 5.0)
    opt = optimal_uniform_tariff(base, "A", sigma=5.0)
    assert opt.tariff == pytest.approx(formula_tariff(opt.result, "A", 5.0), abs=1e-6)
    assert opt.tariff == pytest.approx(fixed_partner_optimum(base, "A", sigma=5.0).tariff,
                                       abs=1e-6)  # fmt: skip
    assert opt.tariff == pytest.approx(0.2615349, abs=1e-6)
    rough = optimal_uniform_tariff(base, "A", sigma=5.0, polish=False)  # Brent on values only
    assert abs(rough.tariff - opt.tariff) > 1e-7 and rough.evaluations < opt.evaluations
    with pytest.raises(ConfigError, match="needs a baseline without tariffs"):
        taxed = OneSectorBaseline(countries=("A", "B"), trade=base.trade, tariff=np.full((2, 2), 0.1))
        fixed_partner_optimum(taxed, "A", sigma=5.0)


def test_fixed_tariffs_give_best_responses_to_them() -> None:
    base = balanced_baseline(_unbalanced(), 5.0)
    br = nash_uniform_tariffs(base, 5.0, fixed={"A": 0.0})
    assert br.tariff("A") == 0.0 and br.tariff("B") > 0.2
    with pytest.raises(ConfigError, match="'USA' is not in the baseline"):
        nash_uniform_tariffs(base, 5.0, fixed={"USA": 0.1})


@pytest.mark.realdata
def test_liberation_day_balanced_optimum_and_tariff_war(real_store: Store) -> None:
    """On ILMS's 194-country data, balanced as their code does, σ = 5: the unilateral optimum
    is ≈ 27 % (formula 26 %), not the 47.7 % the fixed-deficit search finds; in a Nash war in
    uniform tariffs the US sets ≈ 26 % and loses ≈ 0.4 %."""
    from techties.simulation.mc_multisector import load_named_baseline

    base = balanced_baseline(load_named_baseline("liberation_day", real_store), 5.0)
    x = base.trade
    us = base.countries.index("USA")
    assert x[us].sum() == pytest.approx(x[:, us].sum(), rel=1e-9)
    opt = optimal_uniform_tariff(base, "USA", sigma=5.0)
    assert opt.tariff == pytest.approx(0.268199, abs=1e-5)  # measured 0.2681987
    assert formula_tariff(opt.result, "USA", 5.0) == pytest.approx(0.261947, abs=1e-5)
    assert opt.welfare_pct == pytest.approx(0.4796, abs=1e-3)
    # the formula is exact with partners' wages fixed (1e-6); that optimum is 26.26 %
    part = fixed_partner_optimum(base, "USA", sigma=5.0)
    assert part.tariff == pytest.approx(part.formula, abs=1e-6)
    assert part.tariff == pytest.approx(0.262589, abs=1e-5)
    foc = formula_fixed_point(base, "USA", sigma=5.0)
    assert foc.tariff == pytest.approx(0.262075, abs=1e-5)
    assert opt.welfare_pct - foc.welfare_pct == pytest.approx(1.5e-4, abs=1e-4)
    war = nash_uniform_tariffs(base, 5.0)
    assert war.rounds <= 10
    assert war.tariff("USA") == pytest.approx(0.259, abs=0.005)
    assert war.welfare_pct("USA") == pytest.approx(-0.40, abs=0.02)
    reply = nash_uniform_tariffs(base, 5.0, fixed={"USA": opt.tariff})
    assert reply.welfare_pct("USA") < 0 < opt.welfare_pct  # retaliation undoes the gain
