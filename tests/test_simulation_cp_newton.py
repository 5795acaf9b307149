"""Draws started from a central solution take Newton steps with its Jacobian
(:meth:`CaliendoParroResult.newton_matrix`): the same equilibria as a cold start (start=None), on
generated baselines and on the Eora 2017 baseline of the real data folder.

The solver accepts an equilibrium when the largest relative excess demand for value added is below
``SolverOptions.tol`` = 1e-10; two answers that both pass differ by about that much, so the fast
path is compared with the cold start at 1e-9 relative on every real-income ratio Î/P̂, wage and
price change, and at 1e-6 percentage points on every reported percent change.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

import techties
from conftest import shared
from techties.simulation.baselines import baseline_from_mrio
from techties.simulation.caliendo_parro import (
    CaliendoParroResult,
    MultiSectorBaseline,
    solve_caliendo_parro,
)
from techties.simulation.library import scenario_file
from techties.simulation.mc_multisector import (
    MS_MEASURES,
    central_draw,
    load_named_baseline,
    random_draws,
    run_scenario,
    solve_policy,
    solve_status_quo,
)
from techties.simulation.options import SolverOptions
from techties.simulation.scenario import Scenario, run_scenarios
from techties.store import Store, open_store

COUNTRIES = ("USA", "CHN", "JPN", "DEU", "MEX")
SECTORS = ("Goods", "Chips", "Services")
RTOL = 1e-9
ATOL_PCT = 1e-6


def _baseline(seed: int) -> MultiSectorBaseline:
    n, s = len(COUNTRIES), len(SECTORS)
    rng = np.random.default_rng(seed)
    z = rng.uniform(1, 5, size=(n * s, n * s)) + 20 * np.eye(n * s)
    f = rng.uniform(5, 10, size=(n * s, n)) + 40 * np.repeat(np.eye(n), s, axis=0)
    tariff = np.full((n, n, s), 0.05)
    tariff[np.arange(n), np.arange(n), :] = 0
    return baseline_from_mrio(z, f, COUNTRIES, SECTORS, np.array([5.0, 8.0, 4.0]), tariff=tariff)


def _same(got: CaliendoParroResult, cold: CaliendoParroResult) -> None:
    """The two solutions agree to the solver's tolerance (module docstring)."""
    assert got.residual < 1e-10 and cold.residual < 1e-10
    np.testing.assert_allclose(got.real_income_hat(), cold.real_income_hat(), rtol=RTOL, atol=0)
    np.testing.assert_allclose(got.w_hat, cold.w_hat, rtol=RTOL, atol=0)
    np.testing.assert_allclose(got.price_hat, cold.price_hat, rtol=RTOL, atol=0)
    a, b = got.measures(), cold.measures()
    for key in MS_MEASURES:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=ATOL_PCT, err_msg=key)


def _tariffs(base: MultiSectorBaseline, rise: float) -> np.ndarray:
    tau = base.tau.copy()
    tau[0, 1, :2] *= 1 + rise  # the USA on China's goods and chips
    tau[1, 0, :2] *= 1 + rise / 2
    return tau


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_draws_from_a_start_reach_the_cold_start_equilibrium(seed: int) -> None:
    """Draws of θ (±25 %), of the tariffs and of a trade-cost shock, each solved from the central
    case with Newton steps and cold: the same equilibrium."""
    base = _baseline(seed)
    central = solve_caliendo_parro(base, _tariffs(base, 0.25))
    rng = np.random.default_rng(seed + 10)
    for _ in range(6):
        b = base.with_(theta=base.theta * rng.uniform(0.75, 1.25))
        tau = _tariffs(b, rng.uniform(0.1, 0.4))
        kappa = np.ones_like(b.pi)
        kappa[1, 0, 1] = rng.uniform(1.0, 3.0)  # chips from the USA to China cost more
        got = solve_caliendo_parro(b, tau, trade_cost_hat=kappa, start=central)
        cold = solve_caliendo_parro(b, tau, trade_cost_hat=kappa)
        plain = solve_caliendo_parro(
            b, tau, trade_cost_hat=kappa, start=central, options=SolverOptions(newton=False)
        )
        _same(got, cold)
        _same(plain, cold)
        assert got.iterations < plain.iterations


def test_a_useless_newton_matrix_falls_back_to_the_plain_iteration() -> None:
    """Newton steps that cannot converge (a matrix of the wrong sign) give way to the plain
    iteration from the same start, which reaches the same equilibrium."""
    base = _baseline(0)
    central = solve_caliendo_parro(base, _tariffs(base, 0.25))
    central._newton = -3 * np.eye(len(COUNTRIES))
    b = base.with_(theta=base.theta * 1.2)
    got = solve_caliendo_parro(b, _tariffs(b, 0.3), start=central)
    _same(got, solve_caliendo_parro(b, _tariffs(b, 0.3)))


def test_the_newton_matrix_is_computed_once_and_travels_with_the_start() -> None:
    base = _baseline(1)
    central = solve_caliendo_parro(base, _tariffs(base, 0.25))
    m = central.newton_matrix()
    assert central.newton_matrix() is m
    again = pickle.loads(pickle.dumps(central))
    np.testing.assert_array_equal(again._newton, m)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def eora_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding only the Eora 2017 Caliendo–Parro arrays of the real data folder."""
    path = shared("trade-ge-baseline", "eora26-cp2017", "data.npz")
    st = open_store(tmp_path_factory.mktemp("eora") / "eora.duckdb")
    techties.ingest(st, "eora_cp", Path(path))
    return st


def _cold_draw(sc: Scenario, base: MultiSectorBaseline, draw: object) -> np.ndarray:
    """One draw of a scenario, status quo and policy solved cold (start=None)."""
    _, world = solve_status_quo(sc, base, draw)  # type: ignore[arg-type]
    m = solve_policy(sc, world, draw).measures()  # type: ignore[arg-type]
    return np.column_stack([m[k] for k in MS_MEASURES])


def test_eora_draws_sharing_a_status_quo_match_cold_starts(eora_store: Store) -> None:
    """The 2024 proposals (three policies from one status quo, as claim 11 runs them): every
    draw's every measure as solved cold, and the same numbers with two worker processes."""
    names = ("proposal_2024_lift_tariffs", "proposal_2024_lift_controls", "proposal_2024_lift_both")
    scs = [Scenario.from_yaml(scenario_file(n)) for n in names]
    base = load_named_baseline("eora2017", eora_store)
    draws = 4
    one = run_scenarios(scs, draws=draws, store=eora_store, workers=1)
    two = run_scenarios(scs, draws=draws, store=eora_store, workers=2)
    for sc, r1, r2 in zip(scs, one, two, strict=True):
        assert r1.draws is not None and r2.draws is not None
        np.testing.assert_array_equal(r1.draws, r2.draws)
        for k, d in enumerate(random_draws(sc, draws, 0, base.sectors)):
            cold = _cold_draw(sc, base, d)
            np.testing.assert_allclose(r1.draws[k], cold, rtol=0, atol=ATOL_PCT)
            # real income as a ratio Î/P̂: 1e-9 relative
            np.testing.assert_allclose(1 + r1.draws[k][:, 0] / 100, 1 + cold[:, 0] / 100, rtol=RTOL)
        central = _cold_draw(sc, base, central_draw(sc))
        np.testing.assert_array_equal(r1.central.measures()["real_income_change"], central[:, 0])


def test_eora_export_control_draws_match_cold_starts(eora_store: Store) -> None:
    """A scenario without a status quo (claim 1's chip controls, covered shares drawn): every
    draw as solved cold."""
    sc = Scenario.from_yaml(scenario_file("chip_export_controls"))
    base = load_named_baseline("eora2017", eora_store)
    res = run_scenario(sc, draws=4, store=eora_store, workers=1, seed=3)
    assert res.draws is not None
    for k, d in enumerate(random_draws(sc, 4, 3, base.sectors)):
        np.testing.assert_allclose(res.draws[k], _cold_draw(sc, base, d), rtol=0, atol=ATOL_PCT)
