"""Scenarios that start from a stored gravity dataset (``baseline: gravity``): the Advanced Guide's
Chapter 2 experiments as library YAMLs.

Published numbers available: Application 1 ("trade without borders", results
``trade-agtpa/results/1_TradeWithoutBorder_FULL.xls``); the YAML path — estimate on the stored
``chapter2application1`` dataset, build the border dummy and ln distance, fitted baseline, the
book's loop — reproduces every column for the 69 countries within 1e-3 percentage points
(measured: 6.7e-5 pp at most, exports of SGP). The NAFTA and CAN–USA results are kept back as
independent checks; here those scenarios are checked on what the book's method fixes: the panel
estimate (RTA 0.557, Advanced Guide Table 3 col. 4, catalog §8.3), the pair effects, the filled
pairs, the stopping rule, what each counterfactual changes, and the sign convention.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import shared
from techties.errors import ConfigError, UnknownNameError
from techties.simulation.gravity_experiment import signed
from techties.simulation.library import LIBRARY, library_names
from techties.simulation.scenario import Scenario

BOOK_COLUMNS = {
    "exports_cdl_pct": "change_Xi_CDL",
    "exports_full_pct": "change_Xi_FULL",
    "price_pct": "change_price_FULL",
    "imr_full_pct": "change_IMR_FULL",
    "real_gdp_pct": "change_rGDP_FULL",
}
AGTPA = [n for n in library_names() if n.startswith("agtpa_ch2_")]


def _run(name: str, store: object) -> object:
    return Scenario.from_yaml(LIBRARY / f"{name}.yaml").run(store=store)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def runs(real_store: object) -> dict[str, object]:
    return {n: _run(n, real_store) for n in AGTPA}


def test_library_has_the_chapter_2_experiments() -> None:
    assert AGTPA == [
        "agtpa_ch2_can_usa_border",
        "agtpa_ch2_can_usa_border_specific",
        "agtpa_ch2_can_usa_border_unilateral",
        "agtpa_ch2_nafta",
        "agtpa_ch2_nafta_specific",
        "agtpa_ch2_trade_without_borders",
    ]
    for n in AGTPA:
        sc = Scenario.from_yaml(LIBRARY / f"{n}.yaml")
        assert sc.gravity is not None and sc.gravity.method == "geppml_book"
        assert sc.gravity.tol == 0.01 and sc.elasticities.sigma == 7


@pytest.mark.realdata
def test_trade_without_borders_yaml_reproduces_the_published_results(
    runs: dict[str, object],
) -> None:
    res = runs["agtpa_ch2_trade_without_borders"]
    book = pd.read_excel(
        shared("trade-agtpa", "results", "1_TradeWithoutBorder_FULL.xls"), engine="openpyxl"
    ).set_index("country")
    t = res.central.tidy().set_index("country")  # type: ignore[attr-defined]
    assert len(t) == 69 and set(t.index) == set(book.index)
    for ours, theirs in BOOK_COLUMNS.items():
        gap = (t[ours] - book.loc[t.index, theirs]).abs()
        assert gap.max() < 1e-3, (ours, gap.idxmax(), gap.max())
    assert t.loc["NER", "real_gdp_pct"] == pytest.approx(71.188, abs=1e-3)
    steps = "\n".join(res.steps)  # type: ignore[attr-defined]
    assert "ln_DIST -0.791288, CNTG 0.673646, INTL_BRDR -2.47445" in steps
    assert "4692 pair(s) change trade costs" in steps
    assert "GEPPML loop (threshold 0.01): 5 rounds" in steps


@pytest.mark.realdata
def test_nafta_panel_estimate_pair_effects_and_stopping_rule(runs: dict[str, object]) -> None:
    res = runs["agtpa_ch2_nafta"]
    fit = res.central.fit  # type: ignore[attr-defined]
    # Advanced Guide Table 3 col. (4): PPML with pair and country-time effects, RTA 0.557
    assert fit.coef("RTA") == pytest.approx(0.557, abs=5e-4)
    assert fit.nobs == 28_482  # 6 × 4,761 rows less 84 in all-zero pairs
    pe = fit.pair_effects()
    dom = pe[pe.exporter == pe.importer]
    assert len(dom) == 69 and np.allclose(dom.pair_effect, 0.0)
    assert int(pe.pair_effect.isna().sum()) == 14  # the 7 pairs without trade, both ways
    sym = pe.merge(pe, left_on=["exporter", "importer"], right_on=["importer", "exporter"])
    np.testing.assert_allclose(sym.pair_effect_x, sym.pair_effect_y, atol=1e-12)
    steps = "\n".join(res.steps)  # type: ignore[attr-defined]
    assert "14 pair(s) without an estimate filled" in steps
    assert "RTA = 0 on all pairs within ['CAN', 'MEX', 'USA'] in 1994" in steps
    assert "6 pair(s) change trade costs" in steps
    # the do-files' rule on a second experiment: the last round passes, the one before not
    assert "GEPPML loop (threshold 0.01): 3 rounds" in steps
    t = res.central.tidy().set_index("country")  # type: ignore[attr-defined]
    assert t.loc["MEX", "real_gdp_pct"] > t.loc["CAN", "real_gdp_pct"] > 0 > t.loc["DEU", "real_gdp_pct"]


@pytest.mark.realdata
def test_pair_effects_recover_the_fitted_means(real_store: object) -> None:
    """``ln μ̂ = π_it + χ_jt + μ_ij + β·x`` with the exposed pair effects (the rest from fixef)."""
    from techties.models.gravity import GravitySpec, fit_gravity, prepare_gravity
    from techties.store.gravity import gravity_frame

    d = gravity_frame(real_store, "chapter2application2")  # type: ignore[arg-type]
    d = d[d.year.isin([1994, 1998, 2002, 2006])].reset_index(drop=True)
    spec = GravitySpec(
        regressors=("RTA",),
        fixed_effects=("exporter_time", "importer_time", "pair"),
        pooled_domestic=True,
    )
    fit = fit_gravity(d, spec)
    frame, _, fes = prepare_gravity(d, spec)
    fe = fit.model.fixef(atol=1e-12, btol=1e-12)
    pe = fit.pair_effects().set_index(["exporter", "importer"])["pair_effect"]
    ok = np.isfinite(fit.fitted[frame.index])
    rows = frame[ok]
    # pyfixest leaves out one reference level per factor (its effect is 0)
    other = sum(
        rows[c].astype(str).map(fe[f"C({c})"]).fillna(0.0).to_numpy(dtype=float) for c in fes[:2]
    )
    gamma = pe.reindex(pd.MultiIndex.from_frame(rows[["exporter", "importer"]])).to_numpy()
    resid = np.log(fit.fitted[rows.index]) - fit.coef("RTA") * rows.RTA - other - gamma
    assert np.ptp(resid) < 1e-8  # a common constant: the domestic normalisation


@pytest.mark.realdata
def test_nafta_specific_coefficient_and_can_usa_border_experiments(
    runs: dict[str, object],
) -> None:
    spec = runs["agtpa_ch2_nafta_specific"]
    fit = spec.central.fit  # type: ignore[attr-defined]
    assert fit.coef("NAFTA") > fit.coef("RTA") > 0
    assert "NAFTA = 0 on every international pair in 1994" in "\n".join(spec.steps)  # type: ignore[attr-defined]
    avg, own, one = (
        runs[f"agtpa_ch2_can_usa_border{s}"] for s in ("", "_specific", "_unilateral")
    )
    f_avg, f_own = avg.central.fit, own.central.fit  # type: ignore[attr-defined]
    assert f_avg.coef("INTL_BRDR") == pytest.approx(-2.47445, abs=1e-4)  # same 2006 data
    # the CAN–USA border is thinner than the average border (−1.99 vs −2.53)
    assert f_avg.coef("INTL_BRDR") > f_own.coef("INTL_BRDR")
    assert f_own.coef("INTL_BRDR") < f_own.coef("INTL_BRDR_AB") < 0
    assert "2 pair(s) change" in "\n".join(own.steps)  # type: ignore[attr-defined]
    assert "1 pair(s) change" in "\n".join(one.steps)  # type: ignore[attr-defined]
    rg = {k: r.central.tidy().set_index("country").real_gdp_pct for k, r in  # type: ignore[attr-defined]
          (("avg", avg), ("own", own), ("one", one))}  # fmt: skip
    assert rg["avg"]["CAN"] > rg["own"]["CAN"] > rg["one"]["CAN"] > 0
    # lifting the border on CAN's exports alone: US consumer prices (IMR) fall, CAN's rise
    one_t = one.central.tidy().set_index("country")  # type: ignore[attr-defined]
    assert one_t.loc["USA", "imr_full_pct"] < 0 < one_t.loc["CAN", "imr_full_pct"]


def test_sign_convention_effect_of_is_baseline_over_counterfactual() -> None:
    t = pd.DataFrame({"country": ["A"], "real_gdp_pct": [-20.0], "price_pct": [-5.0],
                      "output_baseline": [10.0]})  # fmt: skip
    same = signed(t, "change")
    assert same is t
    eff = signed(t, "effect_of")
    # counterfactual 0.8 × baseline: the policy in place raises it by 1/0.8 − 1 = 25 %
    assert eff.real_gdp_pct.iloc[0] == pytest.approx(25.0)
    assert eff.price_pct.iloc[0] == pytest.approx(5.0)  # the book's (1 − p̂) · 100
    assert eff.output_baseline.iloc[0] == 10.0


def _gravity(**over: object) -> dict[str, object]:
    g: dict[str, object] = {
        "dataset": "chapter2application1",
        "year": 2006,
        "covariates": [{"name": "INTL_BRDR", "dummy": "all"}],
        "regressors": ["INTL_BRDR"],
        "counterfactual": [{"covariate": "INTL_BRDR", "to": 0, "pairs": "all"}],
        "reference": "DEU",
    }
    g.update(over)
    return {"name": "t", "baseline": "gravity", "elasticities": {"sigma": 7}, "gravity": g}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"yeer": 2006}, "unknown key 'yeer' in scenario: gravity."),
        ({"yeer": 2006}, "Did you mean 'year'"),
        ({"method": "geppml"}, "gravity.method 'geppml' is not known."),
        ({"method": "geppml"}, "Did you mean 'geppml_book'"),
        ({"tol": 0.01}, "tol is the book loop's threshold; it needs method: geppml_book"),
        ({"sign": "effects"}, "Available: change, effect_of. Did you mean 'effect_of'"),
        ({"fixed_effects": ["exporter", "pair"]}, "not one of the Advanced Guide's structures"),
        ({"fixed_effects": ["exporter_time", "importer_time", "pair"]}, "needs fill_pair_effects"),
        ({"counterfactual": [{"covariate": "RTA", "to": 0, "pairs": "all"}]}, "changes 'RTA', which is not estimated"),
        ({"counterfactual": [{"covariate": "INTL_BRDR", "to": 0}]}, "counterfactual[0] needs 'pairs'"),
        ({"covariates": [{"name": "x", "log": "DIST", "dummy": "all"}]}, "exactly one of log, column, dummy"),
        ({"covariates": [{"name": "x", "logg": "DIST"}]}, "unknown key 'logg' in scenario: gravity.covariates[0]"),
        ({"covariates": [{"name": "x", "dummy": {"member": ["CAN"]}}]}, "Did you mean 'members'"),
    ],
)
def test_gravity_block_is_validated(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        Scenario.from_dict(_gravity(**change))
    assert message in str(err.value)


def test_gravity_baseline_and_block_go_together() -> None:
    with pytest.raises(ConfigError, match="baseline: gravity needs a gravity block"):
        Scenario.from_dict({"name": "t", "baseline": "gravity", "elasticities": {"sigma": 7}})
    d = _gravity()
    d["shocks"] = [{"tariff": {"imposer": "USA", "target": "CHN", "add": 10}}]
    with pytest.raises(ConfigError, match="shocks is not used with baseline: gravity"):
        Scenario.from_dict(d)
    d = _gravity()
    d["baseline"] = "wiod2014"
    d["shocks"] = []
    with pytest.raises(ConfigError, match="a gravity block needs baseline: gravity"):
        Scenario.from_dict(d)
    sc = Scenario.from_dict(_gravity())
    with pytest.raises(ConfigError, match="central case only"):
        sc.run(draws=10)


@pytest.mark.realdata
def test_unknown_country_in_a_pairs_rule_names_the_closest(real_store: object) -> None:
    d = _gravity(counterfactual=[{"covariate": "INTL_BRDR", "to": 0, "pairs": [["CAN", "USAA"]]}])
    with pytest.raises(UnknownNameError, match="unknown country 'USAA'") as err:
        Scenario.from_dict(d).run(store=real_store)  # type: ignore[arg-type]
    assert "USA" in str(err.value.hint)
