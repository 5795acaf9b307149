"""One-sector GE engine: invariants (hypothesis), errors, and the solver contract.

The Advanced Guide golden test is in ``test_simulation_onesector_agtpa.py``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from techties.errors import ConfigError, ModelError, SolverError, UnknownNameError
from techties.simulation import SolverOptions, fitted_flows, solve_from_gravity, solve_onesector


def economy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random flows with a heavy diagonal and a random cost shock (partial effects 0.3–3)."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0.0, 1.5, (n, n))
    x[np.diag_indices(n)] *= 20.0 * n
    chat = np.exp(rng.normal(0.0, 0.6, (n, n)))
    chat[np.diag_indices(n)] = 1.0
    return x, chat


sizes = st.integers(min_value=2, max_value=12)
seeds = st.integers(min_value=0, max_value=2**31 - 1)
sigmas = st.floats(min_value=1.5, max_value=12.0)


@settings(max_examples=25, deadline=None)
@given(n=sizes, seed=seeds, sigma=sigmas, additive=st.booleans())
def test_zero_shock_gives_zero_change(n: int, seed: int, sigma: float, additive: bool) -> None:
    x, _ = economy(n, seed)
    res = solve_onesector(
        x,
        np.ones_like(x),
        sigma=sigma,
        imbalance="additive" if additive else "multiplicative",
        reference=0,
    )
    t = res.tidy()
    for col in ("price_pct", "real_gdp_pct", "welfare_pct", "exports_full_pct", "imr_cdl_pct"):
        np.testing.assert_allclose(t[col], 0.0, atol=1e-6)
    np.testing.assert_allclose(res.full.trade, x, rtol=1e-8)


@settings(max_examples=25, deadline=None)
@given(n=sizes, seed=seeds, sigma=sigmas, perm_seed=seeds)
@example(n=2, seed=524287, sigma=2.0, perm_seed=0)  # once cycled under Anderson restarts
def test_results_do_not_depend_on_country_order(
    n: int, seed: int, sigma: float, perm_seed: int
) -> None:
    x, chat = economy(n, seed)
    labels = [f"C{i:02d}" for i in range(n)]
    perm = np.random.default_rng(perm_seed).permutation(n)
    a = solve_onesector(x, chat, sigma=sigma, countries=labels, reference="C00")
    b = solve_onesector(
        x[np.ix_(perm, perm)],
        chat[np.ix_(perm, perm)],
        sigma=sigma,
        countries=[labels[i] for i in perm],
        reference="C00",
    )
    ta = a.tidy().set_index("country").sort_index()
    tb = b.tidy().set_index("country").sort_index()
    pd.testing.assert_frame_equal(ta, tb, rtol=1e-6, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(n=sizes, seed=seeds, sigma=sigmas, tariff=st.floats(min_value=0.0, max_value=0.5))
@example(n=2, seed=196, sigma=7.0, tariff=0.5)  # needs the damped fallback
def test_shares_sum_to_one_and_markets_clear(
    n: int, seed: int, sigma: float, tariff: float
) -> None:
    x, chat = economy(n, seed)
    dt = np.full_like(x, tariff)
    np.fill_diagonal(dt, 0.0)
    res = solve_onesector(x, chat, sigma=sigma, tariff_change=dt, reference=0)
    for eq in (res.cdl, res.full):
        assert eq is not None
        np.testing.assert_allclose(eq.shares.sum(axis=0), 1.0, rtol=1e-12)
    f = res.full
    # output = sales at producer prices; spending = purchases at buyer prices incl. revenue
    np.testing.assert_allclose(f.trade.sum(axis=1), f.output, rtol=1e-8)
    np.testing.assert_allclose((f.trade * (1 + dt)).sum(axis=0), f.spending, rtol=1e-10)
    # revenue equals duties on the final trade to the solver's tolerance on the scale of world
    # output (a tariff of 1e-6 gives revenue ~1e-5 whose last digits are solver noise)
    np.testing.assert_allclose(
        f.revenue, (f.trade * dt).sum(axis=0), rtol=1e-10, atol=1e-12 * f.output.sum()
    )
    # world spending out of income equals world output (deficits sum to zero)
    assert (f.spending - f.revenue).sum() == pytest.approx(f.output.sum(), rel=1e-9)


def test_reference_price_index_is_numeraire_and_real_outcomes_do_not_depend_on_it() -> None:
    x, chat = economy(8, 3)
    a = solve_onesector(x, chat, sigma=5.0, reference=2)
    b = solve_onesector(x, chat, sigma=5.0)  # world output numeraire
    assert a.full.imr_hat[2] == pytest.approx(1.0, abs=1e-12)
    assert b.full.output.sum() == pytest.approx(x.sum(), rel=1e-12)
    np.testing.assert_allclose(a.tidy().real_gdp_pct, b.tidy().real_gdp_pct, atol=1e-6)
    # nominal values differ only by the common change of the numeraire
    ratio = (1 + a.tidy().exports_full_pct / 100) / (1 + b.tidy().exports_full_pct / 100)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-6)
    np.testing.assert_allclose(a.full.shares, b.full.shares, rtol=1e-6)


def test_additive_deficits_stay_fixed_in_numeraire_units() -> None:
    x, chat = economy(6, 11)
    res = solve_onesector(x, chat, sigma=4.0, imbalance="additive", reference=0)
    d0 = x.sum(axis=0) - x.sum(axis=1)
    d1 = res.full.spending - res.full.output
    np.testing.assert_allclose(d1, d0, rtol=1e-8, atol=1e-8 * x.sum())


def test_a_lower_trade_cost_raises_welfare_of_both_partners_in_a_two_country_world() -> None:
    x = np.array([[80.0, 20.0], [20.0, 80.0]])
    chat = np.array([[1.0, 1.5], [1.5, 1.0]])
    t = solve_onesector(x, chat, sigma=5.0, reference=0).tidy()
    # symmetric economies: symmetric gains, 1-country welfare formula Ŵ = λ̂_ii^(1/(1−σ))
    assert t.real_gdp_pct[0] == pytest.approx(t.real_gdp_pct[1], rel=1e-9)
    lam_ii = 80.0 / (80.0 + 20.0 * 1.5)
    assert t.real_gdp_pct[0] == pytest.approx(
        100 * ((lam_ii / 0.8) ** (1 / (1 - 5.0)) - 1), rel=1e-8
    )


def test_symmetric_tariff_war_matches_the_closed_form() -> None:
    # two identical countries impose 20 % on each other: p̂ = 1 by symmetry, so
    # P̂^(1−σ) = λ_ii + λ_ij τ^(1−σ), r' = λ'_ij (1 − 1/τ), E' = Y / (1 − r'), Ŵ = Ê / P̂
    sigma, tau, lam_ij = 4.0, 1.2, 0.3
    x = np.array([[1 - lam_ij, lam_ij], [lam_ij, 1 - lam_ij]]) * 100
    dt = np.array([[0.0, tau - 1], [tau - 1, 0.0]])
    t = solve_onesector(x, None, sigma=sigma, tariff_change=dt).tidy()  # world output numeraire
    p_k = (1 - lam_ij) + lam_ij * tau ** (1 - sigma)
    share = lam_ij * tau ** (1 - sigma) / p_k
    revenue_share = share * (1 - 1 / tau)
    p_hat = p_k ** (1 / (1 - sigma))
    np.testing.assert_allclose(t.price_pct, 0.0, atol=1e-8)
    np.testing.assert_allclose(t.real_gdp_pct, 100 * (1 / p_hat - 1), rtol=1e-9)
    np.testing.assert_allclose(
        t.welfare_pct, 100 * (1 / (1 - revenue_share) / p_hat - 1), rtol=1e-9
    )
    np.testing.assert_allclose(
        t.tariff_revenue_full, 100 * revenue_share / (1 - revenue_share), rtol=1e-9
    )
    # imports at producer prices: λ'_ij E' / τ
    np.testing.assert_allclose(
        t.imports_full_pct, 100 * (share / (1 - revenue_share) / tau / lam_ij - 1), rtol=1e-9
    )


def test_a_small_tariff_by_a_large_country_improves_its_terms_of_trade() -> None:
    x = np.array([[900.0, 50.0, 50.0], [50.0, 80.0, 10.0], [50.0, 10.0, 80.0]])
    dt = np.zeros((3, 3))
    dt[1:, 0] = 0.05  # country 0 taxes imports from 1 and 2
    t = solve_onesector(x, None, sigma=5.0, tariff_change=dt, reference=0).tidy()
    assert t.tariff_revenue_full[0] > 0
    assert t.welfare_pct[0] > 0 > t.welfare_pct[1]
    assert t.imports_full_pct[0] < 0


def test_fitted_flows_have_observed_margins_and_gravity_form() -> None:
    rng = np.random.default_rng(5)
    x = rng.lognormal(0, 1, (7, 7)) + np.eye(7) * 50
    t = np.exp(rng.normal(0, 1, (7, 7)))
    f = fitted_flows(x, t)
    np.testing.assert_allclose(f.sum(axis=1), x.sum(axis=1), rtol=1e-9)
    np.testing.assert_allclose(f.sum(axis=0), x.sum(axis=0), rtol=1e-9)
    ratio = np.log(f / t)  # a_i + b_j: every 2×2 interaction is zero
    assert np.abs(ratio[0, 0] + ratio[1, 1] - ratio[0, 1] - ratio[1, 0]) < 1e-9


def test_non_convergence_raises_solver_error() -> None:
    x, chat = economy(10, 1)
    with pytest.raises(SolverError, match="not reached after 2 iterations"):
        solve_onesector(x, chat * 5, sigma=7.0, options=SolverOptions(max_iter=2))


def test_no_equilibrium_with_positive_spending_raises_instead_of_returning_one() -> None:
    # country 0 runs a surplus of 98 % of its output, fixed in units of country 1's prices
    x = np.array([[0.3, 17.5], [0.01, 0.9]])
    chat = np.array([[1.0, 0.2], [1.0, 1.0]])
    with pytest.raises(SolverError, match="negative spending"):
        solve_onesector(x, chat, sigma=5.0, imbalance="additive", reference=1)
    res = solve_onesector(x, chat, sigma=5.0, imbalance="multiplicative", reference=1)
    assert (res.full.spending > 0).all()


def test_plain_iteration_and_damping_reach_the_same_equilibrium() -> None:
    x, chat = economy(10, 2)
    a = solve_onesector(x, chat, sigma=7.0, reference=0)
    b = solve_onesector(
        x, chat, sigma=7.0, reference=0, options=SolverOptions(acceleration="none", damping=0.7)
    )
    np.testing.assert_allclose(a.full.price_hat, b.full.price_hat, rtol=1e-8)
    assert a.full.iterations < b.full.iterations
    assert a.full.residual <= 1e-10 and b.full.residual <= 1e-10


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"trade": np.ones((3, 2))}, ModelError, "square N×N"),
        ({"trade": -np.ones((3, 3))}, ModelError, "negative value -1.0 at row 0, column 0"),
        ({"trade": np.array([[1.0, 0], [0, 0]])}, ModelError, "zero output"),
        ({"cost_change": np.full((3, 3), np.nan)}, ModelError, "non-finite"),
        ({"cost_change": np.ones((2, 2))}, ModelError, "2×2 but trade is 3×3"),
        ({"sigma": 0.8}, ConfigError, "above 1"),
        ({"imbalance": "multiplicativ"}, ConfigError, "Did you mean 'multiplicative'"),
        ({"reference": "ZZZ"}, UnknownNameError, "reference country 'ZZZ'"),
        ({"tariff_change": -2 * np.ones((3, 3))}, ModelError, "above −100 %"),
    ],
)
def test_bad_inputs_name_the_problem(kwargs: dict, error: type, match: str) -> None:
    args = {
        "trade": np.eye(3) + 0.1,
        "cost_change": None,
        "sigma": 5.0,
        "countries": ["A", "B", "C"],
    }
    args.update(kwargs)
    if np.shape(args["trade"]) != (3, 3):
        args.pop("countries")
    with pytest.raises(error, match=match):
        solve_onesector(**args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tol": 0}, "tol must be a number in"),
        ({"max_iter": 0}, "max_iter must be at least 1"),
        ({"damping": 1.5}, "damping must be in"),
        ({"acceleration": "anderso"}, "Did you mean 'anderson'"),
        ({"memory": 0}, "memory must be a positive integer"),
        ({"reference": 1.5}, "reference must be"),
    ],
)
def test_solver_options_validate_themselves(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        SolverOptions(**kwargs)
    with pytest.raises(AttributeError):
        SolverOptions().tol = 1.0  # type: ignore[misc]


def gravity_frame(n: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(9)
    rows = []
    for i in range(n):
        for j in range(n):
            rows.append(
                {
                    "exporter": f"C{i}",
                    "importer": f"C{j}",
                    "border": float(i != j),
                    "ldist": 0.0 if i == j else rng.uniform(6, 9),
                    "trade": (500.0 if i == j else rng.uniform(1, 20)),
                }
            )
    return pd.DataFrame(rows)


def test_solve_from_gravity_matches_the_array_solver_and_serialises() -> None:
    df = gravity_frame()
    coef = {"terms": ["ldist", "border"], "estimate": [-0.8, -2.0], "vcov": [[0.01, 0], [0, 0.02]]}
    res = solve_from_gravity(df, coef, {"border": 0}, sigma=6.0, reference="C0")
    x = df.pivot(index="exporter", columns="importer", values="trade").to_numpy()
    border = df.pivot(index="exporter", columns="importer", values="border").to_numpy()
    ref = solve_onesector(x, np.exp(2.0 * border), sigma=6.0, reference=0)
    np.testing.assert_allclose(res.tidy().real_gdp_pct, ref.tidy().real_gdp_pct, rtol=1e-9)
    out = json.loads(json.dumps(res.to_dict()))
    assert out["reference"] == "C0" and len(out["table"]) == 5
    assert "Ŷ/P̂" in res.summary()
    assert len(res.bilateral()) == 25


def test_solve_from_gravity_errors_name_the_column() -> None:
    df = gravity_frame()
    with pytest.raises(ModelError, match="lacks column"):
        solve_from_gravity(df, {"brder": -2.0}, {"brder": 0}, sigma=6.0)
    with pytest.raises(ModelError, match="has no coefficient"):
        solve_from_gravity(df, {"ldist": -1.0}, {"border": 0}, sigma=6.0)
    with pytest.raises(ModelError, match="duplicate"):
        solve_from_gravity(pd.concat([df, df.head(1)]), {"border": -2.0}, {"border": 0}, sigma=6.0)
    with pytest.raises(ModelError, match="not columns of the gravity frame"):
        solve_from_gravity(
            df, {"border": -2.0, "rta": 0.3}, {"border": 0}, sigma=6.0, baseline="fitted"
        )


def test_plot_is_a_bar_chart_of_welfare_changes() -> None:
    x, chat = economy(4, 0)
    spec = solve_onesector(x, chat, sigma=5.0, countries=list("ABCD")).plot().to_dict()
    text = json.dumps(spec)
    assert '"bar"' in text and "real GDP" in text
