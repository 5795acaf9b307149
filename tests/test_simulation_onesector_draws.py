"""Monte Carlo draws of the one-sector counterfactual: reproducibility, parallelism, intervals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from techties.errors import ConfigError, ModelError
from techties.simulation import fitted_flows, solve_onesector
from techties.simulation.uncertainty import draw_onesector


def inputs(n: int = 6) -> tuple[np.ndarray, dict[str, np.ndarray], dict]:
    rng = np.random.default_rng(4)
    x = rng.lognormal(0, 1, (n, n)) + np.eye(n) * 40
    rta = np.zeros((n, n))
    rta[0, 1] = rta[1, 0] = rta[2, 3] = rta[3, 2] = 1.0
    coef = {
        "terms": ["ldist", "rta"],
        "estimate": [-0.9, 0.5],
        "vcov": [[0.004, 0.001], [0.001, 0.01]],
    }
    return x, {"rta": rta}, coef


def test_draws_are_reproducible_and_do_not_depend_on_the_number_of_workers() -> None:
    x, cov, coef = inputs()
    one = draw_onesector(x, cov, coef, n_draws=40, sigma=(4.0, 6.0), seed=7, workers=1)
    two = draw_onesector(x, cov, coef, n_draws=40, sigma=(4.0, 6.0), seed=7, workers=2)
    np.testing.assert_array_equal(one.real_gdp_pct, two.real_gdp_pct)
    np.testing.assert_array_equal(one.sigma_draws, two.sigma_draws)
    other = draw_onesector(x, cov, coef, n_draws=40, sigma=(4.0, 6.0), seed=8)
    assert not np.allclose(one.real_gdp_pct, other.real_gdp_pct)
    assert one.sigma_draws.min() >= 4.0 and one.sigma_draws.max() <= 6.0


def test_each_draw_is_the_point_solution_at_its_coefficients() -> None:
    x, cov, coef = inputs()
    res = draw_onesector(x, cov, coef, n_draws=5, sigma=(3.0, 8.0), seed=1, reference=0)
    for d in (0, 4):
        b_rta, s = res.beta_draws[d, 0], res.sigma_draws[d]
        point = solve_onesector(
            x, np.exp(b_rta * cov["rta"]), sigma=s, reference=0, conditional=False
        ).tidy()
        np.testing.assert_allclose(res.real_gdp_pct[d], point.real_gdp_pct, atol=1e-8)
        np.testing.assert_allclose(res.welfare_pct[d], point.welfare_pct, atol=1e-8)


def test_coefficient_draws_follow_the_covariance_of_the_changed_terms() -> None:
    x, cov, coef = inputs(4)
    res = draw_onesector(x, cov, coef, n_draws=600, sigma=5.0, seed=3)
    assert res.terms == ["rta"]
    # 600 draws: standard error of the mean 0.004, of the variance 6 %
    assert res.beta_draws.mean() == pytest.approx(0.5, abs=0.015)
    assert res.beta_draws.var(ddof=1) == pytest.approx(0.01, rel=0.2)


def test_intervals_bracket_the_point_estimate_and_tidy_is_long() -> None:
    x, cov, coef = inputs()
    res = draw_onesector(x, cov, coef, n_draws=200, sigma=5.0, seed=2)
    point = solve_onesector(x, np.exp(0.5 * cov["rta"]), sigma=5.0).tidy()
    iv = res.intervals()
    assert list(iv.columns) == ["country", "mean", "p05", "p50", "p95"]
    assert (iv.p05 <= point.real_gdp_pct + 1e-12).all()
    assert (point.real_gdp_pct <= iv.p95 + 1e-12).all()
    assert (iv.p05 < iv.p95).iloc[:4].all()  # the RTA members' gains are uncertain
    t = res.tidy()
    assert set(t.measure) == {"real_gdp_pct", "welfare_pct"} and len(t) == 12
    assert json.loads(json.dumps(res.to_dict()))["n_draws"] == 200
    assert "200 draws of rta" in res.summary()


def test_zero_covariance_and_fixed_sigma_give_a_degenerate_distribution() -> None:
    x, cov, coef = inputs()
    coef = {**coef, "vcov": [[0.0, 0.0], [0.0, 0.0]]}
    res = draw_onesector(x, cov, coef, n_draws=3, sigma=5.0, seed=0)
    np.testing.assert_allclose(res.real_gdp_pct, res.real_gdp_pct[[0, 0, 0]], atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"coefficients": {"rta": 0.5}}, ModelError, "no covariance matrix"),
        ({"covariates": {"rt": np.zeros((6, 6))}}, ModelError, "Did you mean 'rta'"),
        ({"sigma": (0.5, 2.0)}, ConfigError, "1 < low ≤ high"),
        ({"n_draws": 0}, ConfigError, "n_draws must be a positive integer"),
        ({"covariates": {"rta": np.zeros((5, 5))}}, ModelError, r"\(5, 5\) but trade is \(6, 6\)"),
        ({"workers": 0}, ConfigError, "workers must be at least 1"),
    ],
)
def test_bad_draw_requests_name_the_problem(kwargs: dict, error: type, match: str) -> None:
    x, cov, coef = inputs()
    args: dict = {"trade": x, "covariates": cov, "coefficients": coef, "n_draws": 2, "sigma": 5.0}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        draw_onesector(**args)


def test_levels_rebuild_the_fitted_baseline_in_every_draw() -> None:
    x, cov, coef = inputs()
    n = x.shape[0]
    ldist = np.log1p(np.add.outer(np.arange(n), np.arange(n)) % 5)
    levels = {"ldist": ldist, "rta": cov["rta"] * 0}  # baseline has no RTA
    frozen = {**coef, "vcov": [[0.0, 0.0], [0.0, 0.0]]}
    res = draw_onesector(x, cov, frozen, n_draws=2, sigma=5.0, seed=0, levels=levels, reference=0)
    assert res.terms == ["rta", "ldist"]
    fitted = fitted_flows(x, np.exp(-0.9 * ldist))
    point = solve_onesector(fitted, np.exp(0.5 * cov["rta"]), sigma=5.0, reference=0).tidy()
    np.testing.assert_allclose(res.real_gdp_pct[0], point.real_gdp_pct, atol=1e-8)
    # with uncertainty, the distance draws move the baseline and hence the results
    moving = draw_onesector(x, cov, coef, n_draws=20, sigma=5.0, seed=0, levels=levels)
    fixed = draw_onesector(fitted, cov, coef, n_draws=20, sigma=5.0, seed=0)
    assert not np.allclose(moving.real_gdp_pct, fixed.real_gdp_pct)
