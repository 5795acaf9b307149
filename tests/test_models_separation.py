"""PPML existence checks and bad input.

The 18 ppmlhdfe separation cases (Correia, Guimarães & Zylkin; CATALOG-trade section 14) flag
each separated row; techties must drop exactly those rows, say how many, and return finite
estimates. The default method (exact LP for small designs) gets all 18; the rectifier used for
large fixed-effect designs is checked on the cases that have fixed effects (designs without
fixed effects are always small enough for the exact LP).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import shared
from techties.errors import DataWarning, ModelError, SeparationWarning
from techties.models.fit import fit_fixest
from techties.models.separation import find_separated

CASES = [f"{i:02d}" for i in range(1, 19)]


def load_case(case: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    d = pd.read_csv(shared("trade-ppmlhdfe-separation", f"{case}.csv"))
    xs = [c for c in d.columns if c.startswith("x")]
    ids = [c for c in d.columns if c.startswith("id")]
    return d, xs, ids


@pytest.mark.parametrize("case", CASES)
def test_separation_cases_exact(case: str) -> None:
    d, xs, ids = load_case(case)
    sep, counts = find_separated(d, "y", xs, ids)
    flagged = d["separated"].to_numpy() == 1
    assert np.array_equal(sep, flagged), (
        f"case {case}: extra rows {np.flatnonzero(sep & ~flagged).tolist()}, "
        f"missed rows {np.flatnonzero(flagged & ~sep).tolist()}"
    )
    assert counts["fe"] + counts["lp"] == flagged.sum()


#: cases with fixed effects: the rectifier is the method used for large FE designs
FE_CASES = ["01", "02", "03", "04", "07", "08", "12", "13"]


@pytest.mark.parametrize("case", FE_CASES)
def test_separation_cases_rectifier(case: str) -> None:
    d, xs, ids = load_case(case)
    sep, _ = find_separated(d, "y", xs, ids, method="relu")
    assert np.array_equal(sep, d["separated"].to_numpy() == 1)


@pytest.mark.parametrize("case", ["01", "04", "07", "10", "15"])
def test_fit_drops_flagged_rows_with_warning_and_finite_estimates(case: str) -> None:
    d, xs, ids = load_case(case)
    n_flag = int(d["separated"].sum())
    with pytest.warns(SeparationWarning, match=f"{n_flag:,} separated observations dropped"):
        r = fit_fixest(d, "y", xs, ids, se="hetero")
    dropped = r.dropped["separated (fixed effects)"] + r.dropped["separated (regressors)"]
    assert dropped == n_flag
    assert np.isfinite(r.table["estimate"]).all()
    assert "separated" in r.summary()


def test_unknown_variable_is_a_model_error_with_suggestion() -> None:
    d = pd.DataFrame({"y": [1.0, 2, 0, 3], "dist": [1.0, 2, 3, 4], "g": [1, 1, 2, 2]})
    with pytest.raises(ModelError, match="regressor 'distt' is not a column") as e:
        fit_fixest(d, "y", ["distt"], ["g"])
    assert "Did you mean 'dist'" in str(e.value)
    with pytest.raises(ModelError, match="fixed effect 'gg'"):
        fit_fixest(d, "y", ["dist"], ["gg"])
    with pytest.raises(ModelError, match="unknown estimator 'ppm'"):
        fit_fixest(d, "y", ["dist"], ["g"], estimator="ppm")
    with pytest.raises(ModelError, match="unknown standard-error type"):
        fit_fixest(d, "y", ["dist"], ["g"], se="robust")


def test_negative_and_all_zero_outcomes() -> None:
    d = pd.DataFrame({"y": [1.0, -2, 0, 3], "x": [1.0, 2, 3, 4]})
    with pytest.raises(ModelError, match="1 negative values"):
        fit_fixest(d, "y", ["x"])
    d["y"] = 0.0
    with pytest.raises(ModelError, match="zero in every row"):
        fit_fixest(d, "y", ["x"])


def test_collinear_regressor_is_named() -> None:
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"x": rng.normal(size=200), "g": np.repeat(np.arange(20), 10)})
    d["x2"] = 2 * d["x"]
    d["y"] = rng.poisson(np.exp(0.3 * d["x"]))
    with pytest.warns(DataWarning, match="collinear regressors dropped: x2"):
        r = fit_fixest(d, "y", ["x", "x2"], ["g"], se="hetero")
    assert r.dropped_terms == ["x2"]
    assert abs(r.coef("x") - 0.3) < 0.2


def test_all_zero_group_is_counted() -> None:
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"g": np.repeat(np.arange(10), 20), "x": rng.normal(size=200)})
    d["y"] = rng.poisson(np.exp(0.5 + 0.2 * d["x"])).astype(float)
    d.loc[d["g"] == 3, "y"] = 0.0
    with pytest.warns(SeparationWarning, match="20 separated observations"):
        r = fit_fixest(d, "y", ["x"], ["g"], se="hetero")
    assert r.dropped["separated (fixed effects)"] == 20
    assert r.nobs == 180


def test_missing_values_are_counted() -> None:
    d = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "x": [1.0, np.nan, 3, 4, np.inf, 2]})
    with pytest.warns(DataWarning, match="2 rows with missing"):
        r = fit_fixest(d, "y", ["x"], se="hetero")
    assert r.nobs == 4 and r.dropped["missing values"] == 2


def test_fe_check_on_integer_ids_equals_the_factorised_check() -> None:
    """Integer ids go to the bincount as they are; text ids are factorised: same rows."""
    from techties.models.separation import fe_separated

    rng = np.random.default_rng(11)
    n = 20_000
    fe = pd.DataFrame(
        {
            "a": rng.integers(0, 300, n),
            "b": rng.integers(0, 40, n) * 1_000 + 7,  # sparse ids: empty bins in between
            "c": rng.integers(0, 5_000, n),
        }
    )
    y = rng.poisson(0.05, n).astype(float)
    fast = fe_separated(y, fe)
    text = fe_separated(y, fe.astype(str))
    assert fast.any() and not fast.all()
    np.testing.assert_array_equal(fast, text)
    big = fe.assign(c=fe.c.astype(np.int64) * 10**12)  # ids too large for bins: factorised
    np.testing.assert_array_equal(fe_separated(y, big), fast)
