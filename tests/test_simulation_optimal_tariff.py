"""Optimal uniform tariff in the one-sector model: the search against the closed-form optimum."""

from __future__ import annotations

import numpy as np
import pytest

from techties.errors import ConfigError
from techties.simulation.baselines import OneSectorBaseline
from techties.simulation.onesector import solve_onesector
from techties.simulation.optimal_tariff import (
    formula_tariff,
    optimal_uniform_tariff,
    uniform_change,
)
from techties.store import Store


def _balanced(n: int = 5, seed: int = 0) -> OneSectorBaseline:
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 10, (n, n))
    x = x + x.T  # symmetric flows: every country's trade is balanced
    np.fill_diagonal(x, 60.0)
    return OneSectorBaseline(countries=tuple("ABCDE"[:n]), trade=x)


@pytest.mark.parametrize("sigma", [3.0, 5.0, 8.0])
def test_search_meets_the_optimal_tariff_formula(sigma: float) -> None:
    base = _balanced()
    opt = optimal_uniform_tariff(base, "A", sigma=sigma, closure="additive")
    # t* = 1 / (ε Σ χ (1 − λ)) at the optimum (balanced trade): within 1 %; the formula drops
    # the partners' relative-wage responses (optimal_tariff module docstring)
    assert opt.tariff == pytest.approx(formula_tariff(opt.result, "A", sigma), rel=1e-2)
    n = len(base.countries)
    for off in (0.8, 1.2):  # it is a maximum
        w = solve_onesector(base.trade, sigma=sigma, imbalance="additive", conditional=False,
                            tariff_change=uniform_change(n, 0, off * opt.tariff)).welfare_pct  # fmt: skip
        assert w.iloc[0] < opt.welfare_pct
    assert opt.welfare_pct > 0 and opt.evaluations < 40


def test_unknown_country_is_an_error() -> None:
    with pytest.raises(ConfigError, match="'USA' is not in the baseline"):
        optimal_uniform_tariff(_balanced(), "USA", sigma=5)


def test_liberation_day_optimum_and_retaliation_in_kind(real_store: Store) -> None:
    from techties.simulation.mc_multisector import load_named_baseline

    base = load_named_baseline("liberation_day", real_store)
    opt = optimal_uniform_tariff(base, "USA", sigma=5, closure="additive")
    # with the US deficit held fixed the search lands above the balanced-trade formula
    # (about 26 % at the optimum); Ignatenko et al.'s 19 % needs features techties lacks
    assert 0.19 < opt.tariff < 0.8
    assert 0 < opt.welfare_pct < 2
    n, i = len(base.countries), base.countries.index("USA")
    both = uniform_change(n, i, opt.tariff) + uniform_change(n, i, opt.tariff, targets="mirror")
    hit = solve_onesector(base.trade, sigma=5, tariff_change=both, imbalance="additive",
                          countries=base.countries, conditional=False).welfare_pct["USA"]  # fmt: skip
    assert hit < 0  # retaliation in kind turns the gain into a loss
