"""Golden tests: structural gravity against the Advanced Guide (Yotov et al. 2016) and gegravity.

Published numbers: CATALOG-trade.md section 8. Point estimates are checked to 3 decimals
(tolerance 6e-4 on the rounded published value, 1e-5 where 7 decimals are published). Standard
errors are stated per test: the Advanced Guide clusters by pair (Stata ``vce(cluster pair_id)``);
techties reports pyfixest CRV1 with factor G/(G-1)·(N-1)/(N-K), which matches the published
Table 1 SEs to ±0.003. ppmlhdfe/gegravity "robust" SEs omit (N-1)/(N-K): our HC1 SEs are larger
by sqrt(N/(N-K)) (checked below for the gegravity sample, N = 900, K = 63).

The Advanced Guide panels (99,981 rows, up to 3-way FE) are fitted once per session (module
fixtures) and marked slow.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared
from techties.errors import ModelError
from techties.models.gravity import (
    GravitySpec,
    add_size_and_remoteness,
    fit_gravity,
    load_coefficients,
)

YEARS = tuple(range(1986, 2007, 4))
GRAV = ("ln_dist", "cntg", "lang", "clny")
PAIR_FE = ("exporter_time", "importer_time", "pair")


def close(result, term: str, published: float, tol: float = 6e-4) -> None:
    got = result.coef(term)
    assert abs(got - published) <= tol, f"{term}: {got:.6f} vs published {published}"


def fit(data: pd.DataFrame, **kw) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_gravity(data, GravitySpec(**kw))


# ---------------------------------------------------------------- data (read once per module)
@pytest.fixture(scope="module")
def app1() -> pd.DataFrame:
    d = pd.read_stata(shared("trade-agtpa", "Chapter1Application1.dta"))
    return add_size_and_remoteness(d)


@pytest.fixture(scope="module")
def app3() -> pd.DataFrame:
    import pyreadr

    return pyreadr.read_r(shared("trade-agtpa", "agtpa_applications.rda"))["agtpa_applications"]


# ---------------------------------------------------------------- fast: small published samples
def test_gegravity_sample_ppml() -> None:
    g = pd.read_csv(shared("trade-gegravity", "sample_data_set.dlm"))
    r = fit(
        g,
        regressors=("lndist", "contiguity", "common_language", "pta", "international"),
        fixed_effects=("exporter", "importer"),
        se="hetero",
    )
    assert r.nobs == 900
    close(r, "lndist", -0.3898623, 1e-5)
    close(r, "pta", 0.4711383, 1e-5)
    close(r, "international", -3.412584, 1e-5)
    close(r, "contiguity", 0.891577, 1e-5)
    # SE convention: HC1 = ppmlhdfe robust × sqrt(N/(N-K)), K = 5 + 30 + 29 - 1 fixed-effect dofs
    k = 5 + 30 + 30 - 1
    assert r.se("pta") == pytest.approx(0.1076578 * math.sqrt(900 / (900 - k)), rel=2e-3)
    assert "HC1" in r.se_type


def test_trade_without_borders_first_stage(tmp_path: Path) -> None:
    tw = pd.read_stata(shared("trade-agtpa", "1_TradeWithoutBorder.dta"))
    r = fit(
        tw,
        regressors=("ln_DIST", "CNTG", "INTL_BRDR"),
        fixed_effects=("exporter", "importer"),
        se="hetero",
    )
    close(r, "ln_DIST", -0.7912879, 1e-5)
    close(r, "CNTG", 0.6736456, 1e-5)
    close(r, "INTL_BRDR", -2.47445, 1e-5)
    assert r.nobs == 4761
    # published (Stata robust) SE 0.0501494; ours HC1 with the N/(N-K) factor, K = 3 + 137
    assert r.se("ln_DIST") == pytest.approx(0.0501494 * math.sqrt(4761 / (4761 - 140)), rel=2e-3)
    # the GE exchange format round-trips
    path = r.export_coefficients(tmp_path / "coef.json")
    d = load_coefficients(path)
    assert d["terms"] == ["ln_DIST", "CNTG", "INTL_BRDR"]
    assert d["estimate"][2] == pytest.approx(-2.47445, abs=1e-5)
    assert np.allclose(np.sqrt(np.diag(d["vcov"])), r.table["std_error"])
    assert d["nobs"] == 4761 and d["spec"]["fixed_effects"] == ["exporter", "importer"]
    assert "HC1" in d["se_type"]
    tidy = r.tidy()
    assert list(tidy.columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    assert json.dumps(r.to_dict())  # JSON-safe
    assert "INTL_BRDR" in r.summary() and "N = 4,761" in r.summary()
    chart = r.plot().to_dict()
    assert len(chart["layer"]) == 3  # CI rules, points, zero line
    assert len(chart["datasets"][next(iter(chart["datasets"]))]) == 3  # one row per term


def test_load_coefficients_rejects_bad_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"terms": ["a", "b"], "estimate": [1.0], "vcov": [[1.0]]}))
    with pytest.raises(ModelError, match="lacks keys"):
        load_coefficients(p)
    p.write_text(
        json.dumps(
            {
                "terms": ["a", "b"],
                "estimate": [1.0, 2.0],
                "vcov": [[1.0]],
                "se_type": "x",
                "spec": {},
                "nobs": 3,
            }
        )
    )
    with pytest.raises(ModelError, match="do not match 2 terms"):
        load_coefficients(p)


# ---------------------------------------------------------------- Table 1 (traditional gravity)
def test_table1_traditional_gravity(app1: pd.DataFrame) -> None:
    base = dict(log=("DIST",), years=YEARS, international_only=True)
    regs = ("ln_DIST", "CNTG", "LANG", "CLNY")
    ols1 = fit(app1, regressors=(*regs, "ln_Y", "ln_E"), estimator="ols", fixed_effects=(), **base)
    assert ols1.nobs == 25689
    for term, pub in [
        ("ln_DIST", -1.001607),
        ("CNTG", 0.573805),
        ("LANG", 0.801548),
        ("CLNY", 0.734853),
        ("ln_Y", 1.190236),
        ("ln_E", 0.907588),
        ("Intercept", -11.283080),
    ]:
        close(ols1, term, pub, 1e-5)
    # clustered SE (pair) vs the 2022 replication's 0.027340 (Stata cluster convention)
    assert ols1.se("ln_DIST") == pytest.approx(0.027340, abs=2e-4)
    rem = ("ln_Y", "ln_E", "ln_REM_EXP", "ln_REM_IMP")
    ols2 = fit(app1, regressors=(*regs, *rem), estimator="ols", fixed_effects=(), **base)
    for term, pub in [
        ("ln_DIST", -1.185),
        ("CNTG", 0.247),
        ("LANG", 0.739),
        ("CLNY", 0.842),
        ("ln_Y", 1.164),
        ("ln_E", 0.903),
        ("ln_REM_EXP", 0.972),
        ("ln_REM_IMP", 0.274),
        ("Intercept", -35.219),
    ]:
        close(ols2, term, pub)
    ols3 = fit(app1, regressors=regs, estimator="ols", **base)
    for term, pub in [("ln_DIST", -1.216), ("CNTG", 0.223), ("LANG", 0.661), ("CLNY", 0.670)]:
        close(ols3, term, pub)
    ppml = fit(app1, regressors=regs, **base)
    assert ppml.nobs == 28152
    for term, pub in [("ln_DIST", -0.841), ("CNTG", 0.437), ("LANG", 0.247), ("CLNY", -0.222)]:
        close(ppml, term, pub)
    assert ppml.se("ln_DIST") == pytest.approx(0.032, abs=1e-3)
    assert "pair (symmetric)" in ppml.se_type
    table = ppml.compare(ols3, names=["PPML", "OLS"])
    assert table.loc["ln_DIST", "OLS"] == pytest.approx(-1.216, abs=6e-4)


# ---------------------------------------------------------------- Table 2 (distance puzzle)
def test_table2_distance_puzzle(app1: pd.DataFrame) -> None:
    base = dict(
        regressors=("CNTG", "LANG", "CLNY"),
        by_year=("ln_DIST",),
        log=("DIST",),
        years=YEARS,
        international_only=True,
    )
    ols = fit(app1, estimator="ols", **base)
    for y, pub in zip(YEARS, [-1.168, -1.155, -1.211, -1.248, -1.241, -1.261], strict=True):
        close(ols, f"ln_DIST_{y}", pub)
    ppml = fit(app1, separation="fe", **base)
    for y, pub in zip(YEARS, [-0.859, -0.834, -0.835, -0.847, -0.848, -0.836], strict=True):
        close(ppml, f"ln_DIST_{y}", pub)
    change = (ppml.coef("ln_DIST_2006") - ppml.coef("ln_DIST_1986")) / ppml.coef("ln_DIST_1986")
    assert 100 * change == pytest.approx(-2.75, abs=0.05)


@pytest.mark.slow
def test_table2_intra_national_distance(app1: pd.DataFrame) -> None:
    d = app1.copy()
    intl = d["exporter"] != d["importer"]
    d["ln_DIST_INTL"] = np.log(d["DIST"]) * intl
    d["ln_DIST_INTRA"] = np.log(d["DIST"]) * ~intl
    d["SMCTRY"] = (~intl).astype(float)
    base = dict(by_year=("ln_DIST_INTL",), years=YEARS, separation="fe")
    c3 = fit(d, regressors=("CNTG", "LANG", "CLNY", "ln_DIST_INTRA"), **base)
    close(c3, "ln_DIST_INTRA", -0.488)
    close(c3, "ln_DIST_INTL_1986", -0.980)
    close(c3, "ln_DIST_INTL_2006", -0.872)
    c4 = fit(d, regressors=("CNTG", "LANG", "CLNY", "ln_DIST_INTRA", "SMCTRY"), **base)
    close(c4, "ln_DIST_INTRA", -0.602)
    close(c4, "SMCTRY", 1.689)
    close(c4, "ln_DIST_INTL_1986", -0.857)
    close(c4, "ln_DIST_INTL_2006", -0.754)
    c5 = fit(
        d,
        regressors=("CNTG", "LANG", "CLNY"),
        fixed_effects=("exporter_time", "importer_time", "domestic_by_country"),
        **base,
    )
    for y, pub in zip(YEARS, [-0.910, -0.879, -0.860, -0.833, -0.829, -0.811], strict=True):
        close(c5, f"ln_DIST_INTL_{y}", pub)
    for term, pub in [("CNTG", 0.442), ("LANG", 0.241), ("CLNY", -0.220)]:
        close(c5, term, pub)


# ---------------------------------------------------------------- Table 3 (RTA effects)
@pytest.mark.slow
def test_table3_rta_without_pair_fe(app3: pd.DataFrame) -> None:
    base = dict(regressors=(*GRAV, "rta"), log=("dist",), years=YEARS)
    ols = fit(app3, estimator="ols", international_only=True, **base)
    close(ols, "rta", -0.004)
    ppml = fit(app3, international_only=True, separation="fe", **base)
    close(ppml, "rta", 0.191)
    close(ppml, "ln_dist", -0.822)
    # (3) intra-national flows with one dummy per country's domestic flow (RTAsEffects.do)
    intra = fit(
        app3,
        separation="fe",
        fixed_effects=("exporter_time", "importer_time", "domestic_by_country"),
        **base,
    )
    close(intra, "rta", 0.409)
    close(intra, "ln_dist", -0.800)


@pytest.mark.slow
def test_table3_rta_with_pair_fe(app3: pd.DataFrame) -> None:
    base = dict(
        years=YEARS, fixed_effects=PAIR_FE, pooled_domestic=True, separation="fe", policy="rta"
    )
    c4 = fit(app3, regressors=("rta",), **base)
    close(c4, "rta", 0.557)
    assert c4.dropped["separated (fixed effects)"] == 84  # pairs that never trade
    c5 = fit(app3, regressors=("rta",), leads=(4,), **base)
    close(c5, "rta", 0.520)
    close(c5, "rta_lead4", 0.077)
    c6 = fit(app3, regressors=("rta",), lags=(4, 8, 12), **base)
    close(c6, "rta", 0.291)
    close(c6, "rta_lag4", 0.414)
    c7 = fit(app3, regressors=("rta",), lags=(4, 8, 12), border_by_year=True, **base)
    close(c7, "rta", 0.116)
    for y, pub in zip(YEARS[:-1], [-0.706, -0.480, -0.367, -0.158, -0.141], strict=True):
        close(c7, f"INTL_BRDR_{y}", pub)


@pytest.mark.slow
def test_chapter1_exercise2_mfn(shared_data: Path) -> None:
    d = pd.read_stata(shared("trade-agtpa", "Chapter1Exercise2.dta"))
    intl = d["exporter"] != d["importer"]
    d["ln_MFN"] = np.where(intl, np.log1p(d["MFN_TARIFF"].fillna(0.0)), 0.0)
    base = dict(fixed_effects=PAIR_FE, symmetric_pair=False, pooled_domestic=True, se="cluster")
    r1 = fit(d, regressors=("RTA", "RTA_LAG3", "RTA_LAG6", "RTA_LAG9"), **base)
    close(r1, "RTA", 0.392)
    close(r1, "RTA_LAG3", 0.248)
    r2 = fit(d, regressors=("RTA", "RTA_LAG3", "RTA_LAG6", "RTA_LAG9", "ln_MFN"), **base)
    assert r2.nobs == 18886
    close(r2, "ln_MFN", -7.604)
    close(r2, "RTA", -0.217)
