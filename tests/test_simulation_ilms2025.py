"""ILMS (2025)'s closed-form optimal and retaliatory tariffs and their ν/φ calibration."""

from __future__ import annotations

import numpy as np
import pytest

from techties.simulation.baselines import OneSectorBaseline
from techties.simulation.ilms2025 import formula_rates, ilms_calibration
from techties.simulation.onesector import solve_onesector
from techties.simulation.optimal_tariff import formula_tariff
from techties.simulation.retaliation import block_formula_rate
from techties.simulation.tariff_nash import balanced_baseline
from techties.store import Store


def test_without_fixed_costs_the_formulas_are_the_armington_ones() -> None:
    """ν = 0 gives φ = 1: on a balanced economy the US formula is formula_tariff at the
    baseline (1e-10, the zero-shock solve's tolerance) and the block rate is block_formula_rate."""
    rng = np.random.default_rng(5)
    x = rng.uniform(1, 10, (4, 4))
    np.fill_diagonal(x, 50.0)
    base = balanced_baseline(OneSectorBaseline(countries=tuple("ABCD"), trade=x), 5.0)
    cal = formula_rates(base.trade, base.trade.sum(axis=1), 0, 4.0, nu=(0.0, 0.0))
    assert cal.phi_us == pytest.approx(1.0, abs=1e-15)
    zero = solve_onesector(base.trade, sigma=5.0, countries=base.countries, conditional=False)
    assert cal.us_tariff == pytest.approx(formula_tariff(zero, "A", 5.0), abs=1e-10)
    assert cal.us_tariff == pytest.approx(cal.us_tariff_phi1, abs=1e-12)
    assert cal.retaliation_rate == pytest.approx(block_formula_rate(base, "A", 5.0), abs=1e-12)


def test_fixed_costs_calibration_hits_its_targets_and_lowers_the_tariff() -> None:
    rng = np.random.default_rng(6)
    x = rng.uniform(1, 10, (5, 5))
    y = x.sum(axis=1) * 4.0
    cal = formula_rates(x, y, 0, 4.0)
    assert 0 < cal.nu[0] < cal.nu[1] < 1  # the targets put the US share above the rest's
    assert cal.phi_us > 1 and cal.us_tariff < cal.us_tariff_phi1
    theta = 4.0 / 0.67
    assert cal.phi_us == pytest.approx((1 + theta) / ((1 - cal.nu[1]) * theta) - 1 / theta)


@pytest.mark.realdata
def test_ilms_formula_on_the_liberation_day_data(real_store: Store) -> None:
    """Their formula on techties' inputs (WDI 2023 GDP): 21.8 % vs their published 19 %."""
    cal = ilms_calibration(real_store)
    assert cal.nu == pytest.approx((0.1144, 0.2705), abs=1e-4)
    assert cal.phi_us == pytest.approx(1.4329, abs=1e-4)
    assert cal.delta_us == pytest.approx(0.7255, abs=1e-4)
    assert cal.us_tariff == pytest.approx(0.2178, abs=1e-4)
    assert cal.us_tariff_phi1 == pytest.approx(0.3446, abs=1e-4)
    assert cal.retaliation_rate == pytest.approx(0.2274, abs=1e-4)
    plain = ilms_calibration(real_store, nu=(0.0, 0.0))  # φ = 1: Armington, δ over imports
    assert plain.us_tariff == pytest.approx(0.4200, abs=1e-4)
    assert plain.retaliation_rate == pytest.approx(0.27796, abs=1e-5)  # = retaliation "ilms"
