"""The warm-started PPML loop (techties.models.ppml_fast) against plain pyfixest ``fepois``.

Same estimates to 1e-8 (absolute) and the same standard errors to 1e-6 (relative) on generated
3-way fixed-effect gravity panels, on the Advanced Guide's Table 3 (pair fixed effects, which
must also still give the published 0.557) and on the ppmlhdfe separation cases; the
product-by-product job equals fitting each product alone, with one process and with two; and
inputs that would abort pyfixest's Rust demeaner are a ModelError instead.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared
from techties.errors import ModelError
from techties.models.fit import fit_fixest
from techties.models.gravity import (
    GravitySpec,
    _country_codes,
    _group_id,
    _pair_rows,
    _same_country,
    fit_gravity,
    prepare_gravity,
)
from techties.models.ppml_fast import check_demean_inputs, fepois_warm, unit_weight_deviance
from techties.models.products import fit_by_product, shared_start

COEF_TOL = 1e-8
SE_RTOL = 1e-6
SPEC3 = GravitySpec(
    regressors=("rta", "lnd"),
    fixed_effects=("exporter_time", "importer_time", "pair"),
    symmetric_pair=False,
    separation="fe",
)


def panel(n: int, years: int, seed: int, scale: float = 1.0) -> pd.DataFrame:
    """X_ijt = exp(π_it + χ_jt + μ_ij + 0.5·RTA − 0.8·ln d_ij) · Poisson noise (many zeros)."""
    rng = np.random.default_rng(seed)
    c = np.arange(n)
    e, i, t = (a.ravel() for a in np.meshgrid(c, c, np.arange(years), indexing="ij"))
    lnd = np.log1p(np.abs(e - i)) + rng.normal(0, 0.1, e.size)
    pi = rng.normal(0, 1, (n, years))[e, t]
    chi = rng.normal(0, 1, (n, years))[i, t]
    mu = rng.normal(0, 0.7, (n, n))[e, i]
    rta = ((rng.random((n, n)) < 0.3)[e, i] & (t >= years // 2)).astype(float)
    mean = scale * np.exp(pi + chi + mu + 0.5 * rta - 0.8 * lnd)
    y = rng.poisson(mean).astype(float)
    return pd.DataFrame(
        {"exporter": e, "importer": i, "year": 2000 + t, "trade": y, "rta": rta, "lnd": lnd}
    )


def fit(data: pd.DataFrame, spec: GravitySpec, **kw: object):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_gravity(data, GravitySpec(**{**spec.__dict__, **kw}))


def assert_same(a, b) -> None:
    assert a.terms == b.terms
    assert a.nobs == b.nobs
    ea, eb = a.table["estimate"].to_numpy(), b.table["estimate"].to_numpy()
    sa, sb = a.table["std_error"].to_numpy(), b.table["std_error"].to_numpy()
    assert np.all(np.abs(ea - eb) <= COEF_TOL), (ea, eb)
    assert np.all(np.abs(sa / sb - 1) <= SE_RTOL), (sa, sb)


@pytest.fixture(scope="module")
def gen() -> pd.DataFrame:
    return panel(45, 6, seed=3)  # 12,150 rows, ~50 % zeros


@pytest.mark.parametrize("se", ["cluster", "hetero", "iid"])
def test_warm_loop_equals_pyfixest_on_a_3way_panel(gen: pd.DataFrame, se: str) -> None:
    warm = fit(gen, SPEC3, se=se)
    plain = fit(gen, SPEC3, se=se, irls="pyfixest")
    assert type(warm.model).__name__ == "WarmFepois"
    assert type(plain.model).__name__ == "Fepois"
    assert warm.dropped["separated (fixed effects)"] > 0
    assert_same(warm, plain)
    assert abs(warm.coef("rta") - 0.5) < 0.1  # and it recovers the data-generating value


def test_warm_loop_equals_raw_fepois_call(gen: pd.DataFrame) -> None:
    """Straight pyfixest calls on the same rows: ``fepois`` and ``fepois_warm``."""
    import pyfixest as pf

    d = gen.assign(
        et=gen.exporter * 10_000 + gen.year,
        it=gen.importer * 10_000 + gen.year,
        pair=gen.exporter * 10_000 + gen.importer,
    )
    fml = "trade ~ rta + lnd | et + it + pair"
    kw = {"vcov": {"CRV1": "pair"}, "separation_check": ["fe"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = pf.fepois(fml, d, **kw)
        b = fepois_warm(fml, d.copy(), **kw)
    assert np.abs(a.coef().to_numpy() - b.coef().to_numpy()).max() <= COEF_TOL
    assert np.abs(b.se().to_numpy() / a.se().to_numpy() - 1).max() <= SE_RTOL
    assert b._N == a._N
    assert b.iterations >= 3 and b.convergence
    for stat in ("deviance", "_loglik", "_loglik_null", "_pseudo_r2"):
        assert getattr(b, stat) == pytest.approx(getattr(a, stat), rel=1e-9), stat
    # Σ (y − μ)² / μ weighs small means heavily: the paths' ~1e-9 differences in μ show more
    assert b._pearson_chi2 == pytest.approx(a._pearson_chi2, rel=1e-6)


def test_pyfixest_is_restored_after_a_warm_fit(gen: pd.DataFrame) -> None:
    import pyfixest as pf
    import pyfixest.estimation.FixestMulti_ as multi
    from pyfixest.estimation.models.fepois_ import Fepois

    fit(gen.head(3000), SPEC3)
    assert multi.Fepois is Fepois
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.fepois("trade ~ rta | exporter + importer", gen.head(3000))
    assert type(m) is Fepois


def test_table3_pair_fe_warm_equals_pyfixest_and_published(shared_data: Path) -> None:
    import pyreadr

    d = pyreadr.read_r(shared("trade-agtpa", "agtpa_applications.rda"))["agtpa_applications"]
    spec = GravitySpec(
        regressors=("rta",),
        years=(1986, 1990, 1994, 1998, 2002, 2006),
        fixed_effects=("exporter_time", "importer_time", "pair"),
        pooled_domestic=True,
        separation="fe",
        policy="rta",
        lags=(4, 8, 12),
    )
    warm, plain = fit(d, spec), fit(d, spec, irls="pyfixest")
    assert_same(warm, plain)
    assert abs(warm.coef("rta") - 0.291) <= 6e-4  # Advanced Guide Table 3 col. 6
    assert abs(warm.coef("rta_lag4") - 0.414) <= 6e-4


@pytest.mark.parametrize("case", ["01", "04", "07", "10", "15"])
def test_separation_cases_warm_equals_pyfixest(case: str) -> None:
    d = pd.read_csv(shared("trade-ppmlhdfe-separation", f"{case}.csv"))
    xs = [c for c in d.columns if c.startswith("x")]
    ids = [c for c in d.columns if c.startswith("id")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = fit_fixest(d, "y", xs, ids, se="hetero")
        plain = fit_fixest(d, "y", xs, ids, se="hetero", irls="pyfixest")
    assert warm.dropped == plain.dropped
    assert_same(warm, plain)


@pytest.mark.parametrize("dtype", [float, np.int64])
def test_deviance_is_pyfixests_bit_for_bit(dtype: type) -> None:
    """The warm loop's deviance against pyfixest's ``_compute_deviance`` (exact equality)."""
    from pyfixest.estimation.models.fepois_ import Fepois

    rng = np.random.default_rng(7)
    for n, rate in [(1, 0.0), (50, 0.3), (200_000, 0.4), (200_000, 20.0)]:
        y = rng.poisson(rate, n).astype(dtype)
        mu = np.exp(rng.normal(0, 2, n))
        pos = np.flatnonzero(y != 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = Fepois._compute_deviance(None, y.reshape(-1, 1), mu.reshape(-1, 1))
        assert unit_weight_deviance(y, mu, pos) == float(ref)


def test_group_ids_equal_groupby_ngroup(gen: pd.DataFrame) -> None:
    """The factorised ids of ``_group_id`` are pandas' first-appearance ``ngroup`` ids."""

    def ngroup(*cols: pd.Series) -> np.ndarray:
        frame = pd.concat(cols, axis=1, ignore_index=True)
        return frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()

    rng = np.random.default_rng(1)
    shuffled = gen.sample(frac=1.0, random_state=2)
    iso = pd.Series(rng.choice(["USA", "CHN", "DEU", "ZAF"], len(shuffled)), index=shuffled.index)
    with_na = shuffled.exporter.astype(float).where(rng.random(len(shuffled)) > 0.1)
    for cols in [
        (shuffled.exporter, shuffled.year),
        (shuffled.importer,),
        (iso, shuffled.year),
        (iso, shuffled.importer, shuffled.year),
        (with_na, shuffled.year),  # float with missing values: the groupby path
    ]:
        got = _group_id(*cols)
        assert got.index.equals(cols[0].index)
        np.testing.assert_array_equal(got.to_numpy(), ngroup(*cols))


def test_country_codes_equal_sorted_factorize() -> None:
    """Table-ranked integer country ids equal ``pd.factorize(..., sort=True)`` codes."""
    rng = np.random.default_rng(3)
    cases = [
        (pd.Series(rng.integers(0, 250, 5_000)), pd.Series(rng.integers(5, 300, 5_000))),
        (pd.Series(rng.choice([4, 156, 840, 999], 300)), pd.Series(rng.choice([156, 8], 300))),
        (pd.Series(rng.integers(-50, 50, 400)), pd.Series(rng.integers(-60, 10, 400))),
        (pd.Series([10**15, 3]), pd.Series([3, 7])),  # too wide for a table: factorised
        (pd.Series(["USA", "CHN"]), pd.Series(["CHN", "DEU"])),
    ]
    for e, i in cases:
        codes, uniques = pd.factorize(pd.concat([e, i]), sort=True)
        ce, ci, n = _country_codes(e, i)
        np.testing.assert_array_equal(ce, codes[: len(e)])
        np.testing.assert_array_equal(ci, codes[len(e) :])
        assert n == len(uniques)


def test_same_country_equals_the_text_comparison() -> None:
    e = pd.Series([1, 2, 3, 840, 156])
    i = pd.Series([1, 3, 3, 156, 156])
    text = pd.Series(["1", "2", "3", "840", "156"])
    as_float = pd.Series([1.0, 2.0, 3.0, 840.0, 156.0])
    for a, b in [(e, i), (text, i), (e, as_float), (text, text)]:
        ref = a.astype(str) == b.astype(str)
        assert _same_country(a, b).tolist() == ref.tolist()
    assert _same_country(e, i).tolist() == [True, False, True, False, True]


def test_group_ids_on_real_agtpa_panel(shared_data: Path) -> None:
    """Text country codes of the Advanced Guide panel: same ids as the groupby."""
    import pyreadr

    d = pyreadr.read_r(shared("trade-agtpa", "agtpa_applications.rda"))["agtpa_applications"]
    for cols in [(d.exporter, d.year), (d.importer, d.year)]:
        frame = pd.concat(cols, axis=1, ignore_index=True)
        ref = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
        np.testing.assert_array_equal(_group_id(*cols).to_numpy(), ref)


def _model_inputs(
    data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, *, plain: bool
) -> dict[str, object]:
    """Every attribute of the model when its IRLS loop starts (after the model matrix)."""
    from techties.models.ppml_fast import WarmFepois

    seen: dict[str, object] = {}
    original, design = WarmFepois.get_fit, WarmFepois._plain_design

    def record(self: WarmFepois) -> None:
        seen.update({k: v.copy() if hasattr(v, "copy") else v for k, v in vars(self).items()})
        original(self)

    def check(self: WarmFepois) -> object:
        seen["_plain_design"] = design(self) if plain else None  # None: pyfixest's own
        return seen["_plain_design"]

    with monkeypatch.context() as m:
        m.setattr(WarmFepois, "get_fit", record)
        m.setattr(WarmFepois, "_plain_design", check)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fepois_warm(
                "trade ~ rta + lnd | et + it + pair",
                data,
                vcov={"CRV1": "pair"},
                separation_check=[],
                copy_data=False,
            )
    return seen


def test_plain_model_matrix_equals_pyfixests(gen: pd.DataFrame, monkeypatch) -> None:
    """techties' model matrix for plain column formulas sets pyfixest's attributes exactly."""
    d = gen.assign(
        et=gen.exporter * 10_000 + gen.year,
        it=gen.importer * 10_000 + gen.year,
        pair=gen.exporter * 10_000 + gen.importer,
    )
    lone = (d.exporter + d.importer) % 9 == 0  # these pairs keep one year: singletons
    d = d[~lone | (d.year == 2003)]
    d = d.iloc[np.random.default_rng(4).permutation(len(d))]  # and a shuffled index
    fast = _model_inputs(d.copy(), monkeypatch, plain=True)
    slow = _model_inputs(d.copy(), monkeypatch, plain=False)
    assert fast["_plain_design"] is not None and slow["_plain_design"] is None
    assert fast["_na_index"] and fast["_N"] < len(d)  # singletons were dropped
    assert fast.keys() == slow.keys()
    for key in sorted(set(fast) - {"_model_spec", "_plain_design", "_data"}):
        a, b = fast[key], slow[key]
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=key)
        elif isinstance(a, pd.Series):
            pd.testing.assert_series_equal(a, b, check_exact=True, obj=key)
        elif isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=key)
        elif not callable(a) and key not in ("_demeaner", "_preconditioner"):
            assert type(a) is type(b) and (a == b or a is b), key
    pd.testing.assert_frame_equal(fast["_data"], slow["_data"], check_exact=True)
    assert str(fast["_model_spec"]) == str(slow["_model_spec"])


def test_other_formulas_take_pyfixests_model_matrix(gen: pd.DataFrame, monkeypatch) -> None:
    d = gen.assign(
        et=gen.exporter * 10_000 + gen.year,
        it=gen.importer * 10_000 + gen.year,
        pair=gen.exporter * 10_000 + gen.importer,
    )
    assert _model_inputs(d.copy(), monkeypatch, plain=True)["_plain_design"] is not None
    for changed in [
        d.assign(rta=d.rta.astype(int)),  # integer regressor
        d.assign(lnd=d.lnd.where(d.index % 7 > 0)),  # missing values
        d.assign(pair=d.pair.astype(str)),  # text fixed effect
    ]:
        got = _model_inputs(changed, monkeypatch, plain=True)
        assert got["_plain_design"] is None


@pytest.mark.parametrize("symmetric,pooled", [(False, False), (True, False), (True, True)])
def test_pair_rows_equal_the_groupby_version(gen: pd.DataFrame, symmetric, pooled) -> None:
    """``_pair_rows`` against the plain pandas groupby-any / drop_duplicates it replaces."""
    spec = GravitySpec(**{**SPEC3.__dict__, "symmetric_pair": symmetric, "pooled_domestic": pooled})
    df = prepare_gravity(gen.sample(frac=1.0, random_state=5), spec)[0]
    rng = np.random.default_rng(6)
    fitted = np.where(rng.random(len(df)) < 0.6, np.nan, 1.0)
    fitted[(df.exporter == 3).to_numpy()] = np.nan  # some pairs with no estimated row
    for f in (fitted, None):
        ref = df[["exporter", "importer", "_fe_pair"]].copy()
        ref["_used"] = np.isfinite(f) if f is not None else True
        ref["_used"] = ref.groupby("_fe_pair")["_used"].transform("any")
        ref = ref.drop_duplicates(["exporter", "importer"])
        pd.testing.assert_frame_equal(_pair_rows(df, spec, f), ref, check_exact=True)


def test_unknown_irls_loop_is_a_model_error(gen: pd.DataFrame) -> None:
    with pytest.raises(ModelError, match="unknown IRLS loop 'fast'") as e:
        fit(gen.head(500), SPEC3, irls="fast")
    assert "warm" in str(e.value)
    with pytest.raises(ModelError, match="start has 3 values for 500 rows"):
        fit_gravity(gen.head(500), SPEC3, start=np.ones(3))


def test_start_values_change_the_path_not_the_estimates(gen: pd.DataFrame) -> None:
    base = fit(gen, SPEC3)
    assert base.fitted is not None and len(base.fitted) == len(gen)
    used = np.isfinite(base.fitted)
    assert int(used.sum()) == base.nobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = fit_gravity(gen, SPEC3, start=base.fitted)  # start at the optimum
    assert again.model.iterations < base.model.iterations
    assert np.abs(again.table["estimate"] - base.table["estimate"]).max() <= COEF_TOL


def test_shared_start_is_positive_and_rescaled() -> None:
    prev = np.array([2.0, 4.0, np.nan, 0.0])
    y = np.array([1.0, 3.0, 0.0, 2.0])
    s = shared_start(prev, y)
    assert (s > 0).all()
    scale = 4.0 / 6.0  # Σy / Σμ over rows with a previous mean (first two)
    assert s[0] == pytest.approx((1 + scale * 2) / 2)
    assert s[2] == pytest.approx((0 + 1.5) / 2)  # no previous mean: (y + ȳ)/2


@pytest.fixture(scope="module")
def products() -> pd.DataFrame:
    parts = []
    for k, scale in enumerate([1.0, 3.0, 0.5]):
        p = panel(30, 5, seed=10 + k, scale=scale).assign(product=f"HS{k + 1:02d}")
        parts.append(p.sample(frac=1.0, random_state=k))  # rows in any order
    return pd.concat(parts, ignore_index=True)


def test_product_job_equals_each_product_alone(products: pd.DataFrame) -> None:
    spec = GravitySpec(**{**SPEC3.__dict__, "regressors": ("rta",)})
    alone = {
        p: fit(g.sort_values(["exporter", "importer", "year"]), spec)
        for p, g in products.groupby("product")
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = fit_by_product(products, spec, "product", workers=1)
        two = fit_by_product(products, spec, "product", workers=2)
    assert list(one) == list(two) == ["HS01", "HS02", "HS03"]
    for p, ref in alone.items():
        assert_same(one[p], ref)
        assert_same(two[p], ref)
        assert two[p].model is None and two[p].spec == spec
    with pytest.raises(ModelError, match="products not in column 'product'"):
        fit_by_product(products, spec, "product", products=["HS99"])


def test_demean_inputs_that_would_abort_the_process_are_model_errors() -> None:
    x = np.ones((10, 2))
    fl = np.zeros((10, 2), dtype=np.uint64)
    with pytest.raises(ModelError, match="10 rows of data, 10 rows of fixed-effect ids and 5"):
        check_demean_inputs(x, fl, np.ones(5))
    with pytest.raises(ModelError, match="5 rows of fixed-effect ids"):
        check_demean_inputs(x, fl[:5], np.ones(10))
    with pytest.raises(ModelError, match="1 non-finite or non-positive weights"):
        check_demean_inputs(x, fl, np.r_[np.ones(9), np.inf])
    check_demean_inputs(x, fl, np.ones(10))


def test_the_unguarded_rust_demeaner_does_abort_on_that_input() -> None:
    """Why the guard exists: the same call straight into pyfixest kills the interpreter."""
    code = (
        "import numpy as np; from pyfixest.core.demean import demean; "
        "demean(np.ones((10, 2)), np.zeros((10, 2), dtype=np.uint64), np.ones(5))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert run.returncode < 0 or run.returncode == 134  # SIGABRT, not a Python exception
    assert b"panicked" in run.stderr


@pytest.mark.parametrize("ssc", [{}, {"k_fixef": "full"}])
def test_one_way_crv1_is_pyfixests_bit_for_bit(gen: pd.DataFrame, ssc: dict, monkeypatch) -> None:
    """WarmFepois.vcov's one-way CRV1 (cluster ids without a sort) against pyfixest's own."""
    import pyfixest as pf
    from pyfixest.estimation.models.fepois_ import Fepois

    d = gen.assign(
        et=gen.exporter * 10_000 + gen.year,
        it=gen.importer * 10_000 + gen.year,
        pair=gen.exporter * 10_000 + gen.importer,
        cl=(gen.exporter * 7) % 11,  # a cluster the fixed effects do not nest
    )
    kw = {"ssc": pf.ssc(**ssc)} if ssc else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = fepois_warm("trade ~ rta + lnd | et + it + pair", d, vcov={"CRV1": "pair"}, **kw)
    attrs = ("_vcov", "_se", "_tstat", "_pvalue", "_conf_int", "_ssc", "_df_t", "_df_k", "_G")
    pyfixests = Fepois.vcov
    for cluster in ("pair", "cl"):
        with monkeypatch.context() as mp:  # the fast path does not call pyfixest's method
            mp.setattr(Fepois, "vcov", lambda *a, **k: pytest.fail("pyfixest's vcov ran"))
            m.vcov({"CRV1": cluster}, data=m._data)
        fast = {a: np.copy(getattr(m, a)) for a in attrs}
        pyfixests(m, {"CRV1": cluster}, data=m._data)
        for a in attrs:
            np.testing.assert_array_equal(fast[a], getattr(m, a), err_msg=f"{cluster} {a}")
            assert np.asarray(fast[a]).dtype == np.asarray(getattr(m, a)).dtype, a
    m.vcov("hetero", data=m._data)  # other types: pyfixest's method
    assert m._vcov_type == "hetero"


def test_the_rectifier_separation_check_goes_through_the_guard(monkeypatch) -> None:
    """The separation check's own call into the Rust demeaner is guarded too."""
    import techties.models.separation as sep

    x, fl, w = np.ones((10, 1)), np.zeros((10, 1)), np.ones(10)
    fe = pd.DataFrame({"g": np.zeros(10, dtype=int)})
    np.testing.assert_allclose(sep._weighted_fit(np.zeros(10), x, fl.astype(np.uint64), w), 0)
    with pytest.raises(ModelError, match="5 rows of fixed-effect ids"):
        sep._weighted_fit(np.zeros(10), x, fl[:5].astype(np.uint64), w)
    assert sep.relu_separated(np.r_[np.zeros(5), np.ones(5)], x, fe).sum() == 0
