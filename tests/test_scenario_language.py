"""What a scenario writer trips over (issue #15): closure, export-control cost, stacked tariffs,
``year``, pair groups, the run log and the two multi-sector welfare measures.

Known answers used here:

* a zero shock changes nothing under either trade-imbalance closure;
* a two-country one-sector economy with a trade imbalance has one unknown (the relative
  factory-gate price), so its equilibrium under each closure is found independently by bisection
  on the market-clearing condition (:func:`_two_country_welfare`);
* an export control of share ``s`` at tariff equivalent ``t`` leaves the flow factor
  ``(1 − s) + s (1 + t)^(−ε)`` with ``ε = σ − 1`` (one-sector) or ``θ_j`` (multi-sector);
* the Caliendo–Parro terms chained over many small steps sum to the exact change
  ``ln(Î/P̂)`` (:mod:`techties.simulation.welfare`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import brentq

from techties.errors import ConfigError, SimulationInputError, UnknownNameError
from techties.simulation.baselines import OneSectorBaseline, baseline_from_mrio
from techties.simulation.caliendo_parro import MultiSectorBaseline
from techties.simulation.mc_multisector import (
    central_draw,
    solve_multisector,
    solve_onesector_scenario,
)
from techties.simulation.scenario import Scenario
from techties.simulation.shock_inputs import (
    Draw,
    multisector_inputs,
    onesector_inputs,
)
from techties.simulation.shocks import PairGroup
from techties.simulation.welfare import path_decomposition
from techties.store import Store

LIBRARY = Path(__file__).resolve().parents[1] / "src/techties/simulation/scenarios"
COUNTRIES = ("USA", "CHN", "MEX")
SECTORS = ("Goods", "Services")
THETA = np.array([4.0, 8.0])
FTA = {"terms": ["FTA"], "estimate": [0.4], "vcov": [[0.01]]}
# two countries, A runs a surplus of 20 (Y = 110, E = 90), B a deficit of 20 (Y = 70, E = 90)
TWO = np.array([[80.0, 30.0], [10.0, 60.0]])


def _sc(shocks: list[Any], baseline: str = "wiod2014", **kw: Any) -> Scenario:
    if baseline == "wiod2014":
        kw.setdefault("elasticities", {"sigma": 5})
    return Scenario.from_dict({"name": "t", "baseline": baseline, "shocks": shocks, **kw})


def _one(trade: np.ndarray = TWO, countries: tuple[str, ...] = ("AAA", "BBB")) -> Any:
    return OneSectorBaseline(countries=countries, trade=trade, name="toy")


def _toy_onesector() -> OneSectorBaseline:
    trade = np.array([[300.0, 20.0, 15.0], [40.0, 400.0, 10.0], [12.0, 8.0, 100.0]])
    tariff = np.full((3, 3), 0.05)
    np.fill_diagonal(tariff, 0.0)
    return OneSectorBaseline(countries=COUNTRIES, trade=trade, tariff=tariff, name="toy")


def _toy_base() -> MultiSectorBaseline:
    """Not an equilibrium (only the input arrays matter): 5 % tariffs off the diagonal."""
    n, j = len(COUNTRIES), len(SECTORS)
    tau = np.full((n, n, j), 1.05)
    tau[np.arange(n), np.arange(n), :] = 1.0
    return MultiSectorBaseline(
        countries=COUNTRIES,
        sectors=SECTORS,
        pi=np.full((n, n, j), 1 / n),
        tau=tau,
        expenditure=np.ones((n, j)),
        alpha=np.full((n, j), 0.5),
        beta=np.full((n, j), 0.5),
        gamma=np.full((n, j, j), 0.25),
        theta=THETA,
        value_added=np.ones(n),
        deficit=np.zeros(n),
        goods=("Goods",),
    )


def _calibrated_toy() -> MultiSectorBaseline:
    n, s = len(COUNTRIES), len(SECTORS)
    rng = np.random.default_rng(0)
    z = rng.uniform(1, 5, size=(n * s, n * s)) + 20 * np.eye(n * s)
    f = rng.uniform(5, 10, size=(n * s, n)) + 40 * np.repeat(np.eye(n), s, axis=0)
    tariff = np.full((n, n, s), 0.05)
    tariff[np.arange(n), np.arange(n), :] = 0
    return baseline_from_mrio(z, f, COUNTRIES, SECTORS, THETA, tariff=tariff, goods=("Goods",))


# --------------------------------------------------------------------------- 1. closure


def _two_country_welfare(cost: np.ndarray, sigma: float, closure: str) -> np.ndarray:
    """Ê/P̂ − 1 (percent) of the two-country economy ``TWO`` after the flow effects ``cost``,
    solved by bisection on A's market clearing, world nominal output fixed (the numeraire)."""
    y, e = TWO.sum(axis=1), TWO.sum(axis=0)
    lam, s1 = TWO / e, 1.0 - sigma

    def world(p_a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = np.array([p_a, (y.sum() - y[0] * p_a) / y[1]])
        y_new = y * p
        if closure == "additive":
            spend = y_new + (e - y)
        else:
            spend = e / y * y_new
            spend *= y_new.sum() / spend.sum()
        terms = lam * cost * (p[:, None] ** s1)
        price_index = terms.sum(axis=0)  # P̂^(1−σ) by importer
        sales = (terms / price_index * spend).sum(axis=1)
        return sales - y_new, spend, price_index ** (1 / s1)

    p_a = brentq(lambda p: world(p)[0][0], 0.5, 1.5, xtol=1e-14)
    _, spend, p_hat = world(p_a)
    return 100 * (spend / e / p_hat - 1)


def test_closure_is_validated() -> None:
    assert _sc([], closure="additive").closure == "additive"
    assert _sc([]).closure is None
    with pytest.raises(ConfigError, match="Did you mean 'additive'"):
        _sc([], closure="additiv")
    with pytest.raises(ConfigError, match="holds deficits fixed in nominal terms"):
        _sc([], baseline="eora2017", closure="multiplicative")
    assert _sc([], baseline="eora2017", closure="additive").closure == "additive"


@pytest.mark.parametrize("closure", ["multiplicative", "additive"])
def test_zero_shock_changes_nothing_under_either_closure(closure: str) -> None:
    sc = _sc([], closure=closure)
    t = solve_onesector_scenario(sc, _one(), central_draw(sc)).tidy()
    assert np.max(np.abs(t[["welfare_pct", "real_gdp_pct"]].to_numpy())) < 1e-9


def test_closures_differ_and_match_an_independent_solution() -> None:
    """An FTA on both flows (exp(0.4)) of an imbalanced two-country economy, σ = 5."""
    fta = {"coefficients": FTA, "term": "FTA", "pairs": "all"}
    got = {}
    for closure in ("multiplicative", "additive"):
        sc = _sc([{"coefficient": fta}], closure=closure)
        res = solve_onesector_scenario(sc, _one(), central_draw(sc))
        assert res.imbalance == closure
        got[closure] = res.tidy()["welfare_pct"].to_numpy()
        cost = np.array([[1.0, math.exp(0.4)], [math.exp(0.4), 1.0]])
        want = _two_country_welfare(cost, 5.0, closure)
        np.testing.assert_allclose(got[closure], want, rtol=1e-8, atol=1e-9)
    gap = got["additive"] - got["multiplicative"]
    # the surplus country A gains less with its surplus fixed in money than fixed as a share
    assert np.all(np.abs(gap) > 0.05) and gap[0] < 0 < gap[1]
    default = _sc([{"coefficient": fta}])
    res = solve_onesector_scenario(default, _one(), central_draw(default))
    np.testing.assert_allclose(res.tidy()["welfare_pct"], got["multiplicative"], rtol=1e-12)


# --------------------------------------------------------------------------- 2. export controls


def test_one_sector_control_cost_is_the_ces_factor_of_both_engines() -> None:
    """Share 0.3 at a 50 % tariff equivalent, σ = 5: flows × 0.7 + 0.3 · 1.5^(−4); the same
    factor the multi-sector engine applies through κ̂ in a sector with θ = σ − 1 = 4."""
    ctl = {"export_control": {"from": "USA", "to": "CHN", "cost": 50, "share": 0.3}}
    sc = _sc([ctl])
    got = onesector_inputs(_toy_onesector(), enumerate(sc.shocks), central_draw(sc))
    factor = 0.7 + 0.3 * 1.5**-4
    want = np.ones((3, 3))
    want[0, 1] = factor  # [exporter USA, importer CHN]
    np.testing.assert_allclose(got.cost, want, rtol=1e-15)
    ms = _sc([ctl], baseline="eora2017")
    _, kappa = multisector_inputs(_toy_base(), enumerate(ms.shocks), central_draw(ms))
    assert kappa[1, 0, 0] ** -THETA[0] == pytest.approx(factor, rel=1e-14)  # Goods, θ = 4
    # cost 100 on the whole flow no longer shuts it: 2^(−4) of it is left
    full = _sc([{"export_control": {"from": "USA", "to": "CHN", "cost": 100, "share": 1}}])
    got = onesector_inputs(_toy_onesector(), enumerate(full.shocks), central_draw(full))
    assert got.cost[0, 1] == pytest.approx(2.0**-4, rel=1e-15)
    lift = _sc([{"export_control": {**ctl["export_control"], "remove": True}}])
    got = onesector_inputs(_toy_onesector(), enumerate(lift.shocks), central_draw(lift))
    assert got.cost[0, 1] == pytest.approx(1 / factor, rel=1e-15)


def test_lifting_a_shut_flow_is_refused() -> None:
    shut = {"from": "USA", "to": "CHN", "share": 1, "remove": True}
    for baseline in ("wiod2014", "eora2017"):
        with pytest.raises(ConfigError, match=r"shocks\[0\].*cannot reopen it"):
            _sc([{"export_control": shut}], baseline=baseline)
    ok = _sc([{"export_control": {**shut, "cost": 100}}])  # a finite cost can be lifted
    assert onesector_inputs(_toy_onesector(), enumerate(ok.shocks), central_draw(ok)).cost[
        0, 1
    ] == pytest.approx(2.0**4)
    # a drawn share of exactly 1 at run time: a clear error in both engines, not 1/0
    sc = _sc([{"export_control": {**shut, "share": 0.5}}])
    draw = Draw(1.0, 5.0, {0: 1.0}, {})
    with pytest.raises(SimulationInputError, match="cannot reopen a shut flow"):
        onesector_inputs(_toy_onesector(), enumerate(sc.shocks), draw)
    with pytest.raises(SimulationInputError, match="cannot reopen a shut flow"):
        multisector_inputs(_toy_base(), enumerate(sc.shocks), draw)


def test_one_sector_shocks_refuse_sectors() -> None:
    for shock in (
        {"export_control": {"from": "USA", "to": "CHN", "sectors": ["Goods"]}},
        {"coefficient": {"coefficients": FTA, "term": "FTA", "pairs": "all", "sectors": "X"}},
    ):
        sc = _sc([shock])
        with pytest.raises(ConfigError, match="without sectors"):
            onesector_inputs(_toy_onesector(), enumerate(sc.shocks), central_draw(sc))


# --------------------------------------------------------------------------- 3. stacked tariffs


def test_tariff_shocks_on_one_pair_add_up_in_both_engines() -> None:
    twice = [{"tariff": {"imposer": "USA", "target": "CHN", "add": 10}}] * 2
    one = _sc(twice)
    got = onesector_inputs(_toy_onesector(), enumerate(one.shocks), central_draw(one))
    assert got.dtariff[1, 0] == pytest.approx(0.20)  # [exporter CHN, importer USA]
    ms = _sc(twice, baseline="eora2017")
    tau, _ = multisector_inputs(_toy_base(), enumerate(ms.shocks), central_draw(ms))
    assert tau[0, 1, 0] - _toy_base().tau[0, 1, 0] == pytest.approx(0.20)
    # `to` sets the level, a later `add` builds on it, and levels stop at zero — in both
    seq = [
        {"tariff": {"imposer": "USA", "target": "CHN", "to": 15}},
        {"tariff": {"imposer": "USA", "target": "CHN", "add": 5}},
        {"tariff": {"imposer": "CHN", "target": "USA", "add": -30}},
        {"tariff": {"imposer": "CHN", "target": "USA", "add": 10}},
    ]
    one, ms = _sc(seq), _sc(seq, baseline="eora2017")
    got = onesector_inputs(_toy_onesector(), enumerate(one.shocks), central_draw(one))
    tau, _ = multisector_inputs(_toy_base(), enumerate(ms.shocks), central_draw(ms))
    level_one = got.tariff0 + got.dtariff
    assert level_one[1, 0] == pytest.approx(0.20) == tau[0, 1, 0] - 1
    assert level_one[0, 1] == pytest.approx(0.10) == pytest.approx(tau[1, 0, 0] - 1)


# --------------------------------------------------------------------------- 4. year


def test_year_is_checked_against_the_baseline() -> None:
    assert _sc([], year=2010).year == 2010
    with pytest.raises(ConfigError, match="which has the years 2000, 2005, 2010, 2014"):
        _sc([], year=2013)
    with pytest.raises(ConfigError, match="'eora2017', which has only 2017"):
        _sc([], baseline="eora2017", year=2014)
    with pytest.raises(ConfigError, match="year '2014' is not"):
        _sc([], year="2014")
    assert _sc([], baseline="cp2015", year=1993).year == 1993


def test_year_selects_the_one_sector_data(real_store: Store) -> None:
    from techties.simulation.mc_multisector import load_named_baseline

    b2010 = load_named_baseline("wiod2014", real_store, 2010)
    b2014 = load_named_baseline("wiod2014", real_store)
    assert "2010" in b2010.name and "2014" in b2014.name
    assert b2010.trade.sum() < b2014.trade.sum()  # world trade grew 2010 → 2014
    tariff = [{"tariff": {"imposer": "USA", "target": "CHN", "add": 20}}]
    res = _sc(tariff, year=2010).run(store=real_store, workers=1)
    assert "WIOD one-sector 2010" in res.steps[1]


# --------------------------------------------------------------------------- 5. pair groups


def test_pair_groups_parse_and_resolve() -> None:
    def shock(pairs: Any) -> Any:
        coef = {"coefficients": FTA, "term": "FTA", "pairs": pairs}
        return _sc([{"coefficient": coef}]).shocks[0]

    every = shock("all")
    assert every.pairs == PairGroup("all", "all", "all") and dict(every.spec)["pairs"] == "all"
    within = shock({"members": ["USA", "MEX"]})
    assert within.spec["pairs"] == {"members": ("USA", "MEX")}
    assert within.describe() == "coefficient FTA Δx=1 on all pairs within ['USA', 'MEX']"
    base = _toy_onesector()
    for pairs, want in [
        ("all", [(i, j) for i in range(3) for j in range(3) if i != j]),
        ({"members": ["USA", "MEX"]}, [(0, 2), (2, 0)]),
        ({"from": "CHN", "to": "all"}, [(1, 0), (1, 2)]),
        ([["USA", "CHN"]], [(0, 1)]),
    ]:
        sc = _sc([{"coefficient": {"coefficients": FTA, "term": "FTA", "pairs": pairs}}])
        cost = onesector_inputs(base, enumerate(sc.shocks), central_draw(sc)).cost
        expect = np.ones((3, 3))
        for i, j in want:
            expect[i, j] = math.exp(0.4)
        np.testing.assert_allclose(cost, expect, rtol=1e-15, err_msg=str(pairs))
    ms = _sc([{"coefficient": {"coefficients": FTA, "term": "FTA", "pairs": "all"}}], "eora2017")
    _, kappa = multisector_inputs(_toy_base(), enumerate(ms.shocks), central_draw(ms))
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(kappa[off][:, 0], math.exp(-0.4 / 4))  # goods, every pair
    np.testing.assert_array_equal(kappa[~off], 1.0)


def test_pair_groups_validate_names() -> None:
    bad = {"coefficients": FTA, "term": "FTA", "pairs": {"members": ["USA", "MEXX"]}}
    sc = _sc([{"coefficient": bad}])
    with pytest.raises(UnknownNameError, match=r"(?s)unknown country 'MEXX'.*Did you mean 'MEX'"):
        onesector_inputs(_toy_onesector(), enumerate(sc.shocks), central_draw(sc))
    with pytest.raises(ConfigError, match="Did you mean 'members'"):
        _sc([{"coefficient": {**bad, "pairs": {"member": ["USA"]}}}])
    with pytest.raises(ConfigError, match="either 'from' and 'to' or 'members'"):
        _sc([{"coefficient": {**bad, "pairs": {"from": "USA"}}}])
    with pytest.raises(ConfigError, match=r"pairs must be a list.*\nhint: .*pairs: all"):
        _sc([{"coefficient": {**bad, "pairs": "every"}}])


# --------------------------------------------------------------------------- 6. run log


def test_run_log_states_what_was_applied_one_sector() -> None:
    sc = _sc(
        [
            {"tariff": {"imposer": "USA", "target": "CHN", "add": 20}},
            {"export_control": {"from": "USA", "to": "CHN", "cost": 50, "share": 0.3}},
            {"coefficient": {"coefficients": FTA, "term": "FTA", "pairs": "all"}},
        ],
        elasticities={"sigma": 5, "sigma_range": [4, 6]},
        closure="additive",
    )
    steps = sc.run(base=_toy_onesector(), workers=1).steps
    text = "\n".join(steps)
    assert "(goods)" not in text and "as stored in the baseline" not in text
    assert "shock: tariff USA on CHN: +20 pp on the whole bilateral flow (one sector)" in steps
    assert "= 0.7593 (σ = 5)" in text  # 0.7 + 0.3 · 1.5^(−4)
    assert "on 6 ordered pairs (all pairs)" in text and "exp(β Δx) = 1.492" in text
    assert (
        "elasticities: σ = 5 from the scenario (elasticities.sigma; trade elasticity σ − 1 = 4);"
        " draws σ ~ U[4, 6]; no source stated in the scenario"
    ) in steps
    assert any(s.startswith("closure: additive") for s in steps)
    assert any(s.startswith("welfare measures: welfare_pct is Ê/P̂ − 1") for s in steps)
    with pytest.raises(ConfigError, match=r"elasticities\.scale acts on the multi-sector θ_j"):
        _sc([], elasticities={"sigma": 5, "scale": 2})


def test_run_log_states_what_was_applied_multisector() -> None:
    sc = _sc(
        [
            {"tariff": {"imposer": "USA", "target": "CHN", "add": 25}},
            {"tariff": {"imposer": "USA", "target": "all", "sectors": "all", "add": 1}},
        ],
        baseline="eora2017",
        elasticities={"range": [0.8, 1.2], "source": "assumed"},
    )
    steps = sc.run(base=_calibrated_toy(), workers=1).steps
    assert "shock: tariff USA on CHN: +25 pp on sector Goods" in steps
    assert (
        "shock: tariff USA on all (3 countries): +1 pp on all 2 sectors (goods and services)"
        in (steps)
    )
    assert (
        "elasticities: θ_j as stored in the baseline (4–8 over 2 sectors); draws: one common "
        "factor on every θ_j, U[0.8, 1.2]; source: assumed"
    ) in steps
    assert any("welfare_cp is Caliendo–Parro's first-order" in s for s in steps)


# --------------------------------------------------------------------------- 7. welfare


def test_chained_cp_terms_sum_to_the_exact_change() -> None:
    """A 40 pp US tariff on everything from China and a half-shut export control: one-step
    welfare_cp is off, the chained terms add up to 100 ln(Î/P̂)."""
    base = _calibrated_toy()
    sc = _sc(
        [
            {"tariff": {"imposer": "USA", "target": "CHN", "sectors": "all", "add": 40}},
            {"export_control": {"from": "MEX", "to": "CHN", "share": 0.5}},
        ],
        baseline="eora2017",
    )
    _, res = solve_multisector(sc, base, central_draw(sc))
    tab = path_decomposition(base, res.tau_new, res.trade_cost_hat, steps=40).set_index("country")
    # a large shock (−1.2 % for the USA): 1/40 steps leave 1e-3 pp after extrapolation
    np.testing.assert_allclose(tab.chained_total, tab.exact, atol=2e-3)
    np.testing.assert_allclose(tab.exact, np.log(res.real_income_hat()) * 100, rtol=1e-12)
    np.testing.assert_allclose(tab.welfare_cp, res.measures()["welfare_cp"], rtol=1e-12)
    assert abs(tab.welfare_cp["USA"] - tab.exact["USA"]) > 0.1  # the first-order error
    # only China's imports (from Mexico) carry an iceberg cost
    assert tab.trade_cost_chained["CHN"] < 0 and tab.trade_cost_chained["USA"] == 0
    with pytest.raises(SimulationInputError, match="no path of small steps"):
        kappa = np.ones_like(base.pi)
        kappa[1, 2, 0] = np.inf
        path_decomposition(base, trade_cost_hat=kappa)
    zero = path_decomposition(base, steps=2)
    assert np.max(np.abs(zero.drop(columns="country").to_numpy())) < 1e-8


@pytest.mark.parametrize(
    ("scenario", "country", "row"),
    [
        # welfare_cp, ToT one step, VoT one step, ToT / VoT / trade cost chained, exact (docs)
        ("uschina_escalation", "USA", (0.014, 0.042, -0.028, 0.037, -0.099, 0, -0.062)),
        ("uschina_escalation", "CHN", (-0.205, -0.111, -0.094, -0.107, -0.131, 0, -0.239)),
        ("uschina_lift301", "USA", (0.122, -0.059, 0.181, -0.065, 0.091, 0, 0.027)),
        ("chip_export_controls", "CHN", (0.029, 0.050, -0.020, 0.049, -0.020, -0.144, -0.115)),
    ],
)
def test_documented_welfare_decomposition(
    real_store: Store, scenario: str, country: str, row: tuple[float, ...]
) -> None:
    res = Scenario.from_yaml(LIBRARY / f"{scenario}.yaml").run(store=real_store, workers=1)
    t = res.welfare_decomposition().set_index("country").loc[country]
    cols = [
        "welfare_cp",
        "terms_of_trade_one_step",
        "volume_of_trade_one_step",
        "terms_of_trade_chained",
        "volume_of_trade_chained",
        "trade_cost_chained",
        "exact",
    ]
    np.testing.assert_allclose(t[cols].to_numpy(dtype=float), row, atol=6e-4)
    assert t.chained_total == pytest.approx(t.exact, abs=1e-4)
    real = res.tidy().set_index("country").loc[country, "real_income_change"]
    assert 100 * math.log1p(real / 100) == pytest.approx(t.exact, abs=1e-9)


def test_documented_nafta_decomposition(real_store: Store) -> None:
    from techties.simulation.baselines import load_cp2015
    from techties.simulation.caliendo_parro import calibrate_baseline

    cp = load_cp2015(real_store)
    base = calibrate_baseline(cp.baseline, deficit=np.zeros(len(cp.baseline.countries)))
    t = path_decomposition(base, cp.nafta_tariffs()).set_index("country").loc["MEX"]
    got = t[["welfare_cp", "volume_of_trade_one_step", "volume_of_trade_chained", "exact"]]
    np.testing.assert_allclose(got.to_numpy(dtype=float), (1.312, 1.724, 0.687, 0.007), atol=6e-4)
    assert t.chained_total == pytest.approx(t.exact, abs=1e-4)
