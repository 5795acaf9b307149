"""The rule functions: intervals decide, conjunctions, robustness panel, evidence kinds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from techties.claims.rules import Test, Threshold, combine, decide, kind_of
from techties.claims.verdict import Verdict
from techties.models.breaks import placebo, pre_trend_gap, trend_break

#: "China's share fell by at least 3 pp" (supported ≤ −3), "fell by less than 1 pp" (> −1)
FALL = {"support": Threshold("<=", -3.0), "contradict": Threshold(">", -1.0)}


def share_test(
    est: float, low: float | None = None, high: float | None = None, **kw: object
) -> Test:
    return Test("change", "China's share, change", est, "pp", low=low, high=high, **FALL, **kw)  # type: ignore[arg-type]


def test_point_estimates_decide_only_when_observed() -> None:
    assert share_test(-8.4).status == "supported"
    assert share_test(-0.5).status == "contradicted"
    assert share_test(-2.0).status == "mixed"
    assert share_test(-3.0).status == "supported"  # ≤ −3 includes −3
    assert share_test(-1.0).status == "mixed"  # > −1 excludes −1


def test_an_interval_that_straddles_a_threshold_is_mixed() -> None:
    assert share_test(-4.0, -5.0, -3.5).status == "supported"
    assert share_test(-4.0, -5.0, -2.9).status == "mixed"
    assert share_test(0.5, -1.2, 2.0).status == "mixed"
    assert share_test(0.5, -0.9, 2.0).status == "contradicted"


def test_margin_is_the_distance_of_the_whole_interval_to_the_threshold() -> None:
    assert share_test(-4.0, -5.0, -3.5).margin == pytest.approx(0.5)
    assert share_test(-2.0).margin == pytest.approx(-1.0)  # misses support by 1, contradict by 1
    assert share_test(-2.5).margin == pytest.approx(-0.5)
    assert share_test(0.0, -0.5, 0.5).margin == pytest.approx(0.5)


def test_knife_edge_passes_are_flagged() -> None:
    # ±0.01 % welfare rule; the gap between thresholds is 0.02, a tenth of it 0.002
    loss = {"support": Threshold("<", -0.01), "contradict": Threshold(">", 0.01)}
    edge = Test("usa", "USA welfare", -0.0103, "%", kind="modelled", **loss)  # type: ignore[arg-type]
    clear = Test("chn", "CHN welfare", -0.24, "%", kind="modelled", **loss)  # type: ignore[arg-type]
    assert edge.status == "supported" and edge.knife_edge
    assert clear.status == "supported" and not clear.knife_edge
    assert not share_test(-2.0).knife_edge  # mixed verdicts are not "passes"


def test_thresholds_that_overlap_or_point_the_same_way_are_refused() -> None:
    with pytest.raises(ValueError, match="both support and contradict"):
        Test("x", "x", 0.0, "pp", Threshold("<=", -1.0), Threshold(">", -3.0))
    with pytest.raises(ValueError, match="both support and contradict"):
        Test("x", "x", 0.0, "pp", Threshold("<=", 0.0), Threshold(">=", 0.0))
    with pytest.raises(ValueError, match="same way"):
        Test("x", "x", 0.0, "pp", Threshold("<=", -1.0), Threshold("<", -5.0))
    with pytest.raises(ValueError, match="excludes the estimate"):
        share_test(-4.0, -3.0, -2.0)
    with pytest.raises(ValueError, match="does not say why"):
        share_test(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        share_test(math.nan)


def test_combine_is_a_conjunction() -> None:
    assert combine(["supported", "supported"]) == "supported"
    assert combine(["supported", "mixed"]) == "mixed"
    assert combine(["supported", "contradicted", "mixed"]) == "contradicted"
    assert combine(["supported", "unverifiable"]) == "unverifiable"
    assert combine(["mixed", "unverifiable"]) == "unverifiable"
    with pytest.raises(ValueError, match="at least one test"):
        combine([])


def test_a_verdict_that_an_alternative_changes_is_mixed_and_fragile() -> None:
    main = [share_test(-3.2)]
    d = decide(main, {"base year 2018": [share_test(-2.4)]})
    assert (d.main_status, d.status, d.fragile) == ("supported", "mixed", True)
    assert list(d.robustness["spec"][:2]) == ["main specification", "base year 2018"]
    assert list(d.robustness["status"][:2]) == ["supported", "mixed"]
    # thresholds × 0.5 (≤ −1.5 / > −0.5) and × 1.5 (≤ −4.5 / > −1.5) are added automatically
    assert list(d.robustness["status"][2:]) == ["supported", "mixed"]
    assert d.shares() == {"supported": 0.5, "mixed": 0.5}


def test_a_robust_verdict_stays_and_unmeasurable_alternatives_do_not_count() -> None:
    missing = Test("change", "x", None, "pp", missing="no 2016 data", **FALL)  # type: ignore[arg-type]
    d = decide([share_test(-8.4)], {"base year 2016": [missing]})
    assert (d.status, d.fragile) == ("supported", False)
    assert d.robustness["status"].tolist() == [
        "supported",
        "unverifiable",
        "supported",
        "supported",
    ]
    assert d.shares() == {"supported": 1.0}


def test_unmeasurable_part_gives_unverifiable_with_what_is_missing() -> None:
    part = Test("candidates", "doctoral candidates", None, "persons", missing="enrolment is not staged",
                support=Threshold(">", 0), contradict=Threshold("<", 0))  # fmt: skip
    d = decide([part, share_test(-8.4)])
    assert d.status == "unverifiable" and d.missing == "enrolment is not staged"
    v = Verdict.decided("c", d)
    assert (v.status, v.reason, v.missing) == ("unverifiable", "no_data", "enrolment is not staged")


def test_kind_is_the_weakest_part_and_shows_in_the_badge() -> None:
    obs = share_test(-8.4)
    mod = share_test(-8.4, -9.0, -7.0, kind="modelled", interval="90 % band over draws")
    assert kind_of([obs, mod]) == "modelled"
    unmeasured = Test("c", "c", None, "", Threshold(">", 0), Threshold("<", 0), kind="modelled",
                      missing="not staged")  # fmt: skip
    assert kind_of([unmeasured, obs]) == "observed" and kind_of([unmeasured]) is None
    v = Verdict.decided("c", decide([obs, mod]))
    assert v.badge == "supported · model" and v.to_dict()["kind"] == "modelled"
    assert v.to_dict()["tests"][1]["low"] == -9.0
    assert Verdict.decided("c", decide([obs])).badge == "supported"


def test_a_verdict_cannot_disagree_with_its_decision() -> None:
    with pytest.raises(ValueError, match="give mixed"):
        Verdict("c", "supported", decision=decide([share_test(-2.0)]))


finite = st.floats(-50, 50, allow_nan=False)


@given(finite, st.floats(0, 10), st.floats(0, 10), st.floats(-10, 0), st.floats(0.1, 10))
def test_straddling_never_decides(
    est: float, below: float, above: float, s: float, gap: float
) -> None:
    t = Test("x", "x", est, "pp", Threshold("<=", s), Threshold(">", s + gap), low=est - below,
             high=est + above)  # fmt: skip
    lo, hi = t.bounds
    if t.status == "supported":
        assert hi <= s
    if t.status == "contradicted":
        assert lo > s + gap


@given(finite, finite, st.floats(0, 5))
def test_status_is_monotone_in_the_evidence(a: float, b: float, width: float) -> None:
    """Moving the whole interval towards the support side never weakens the verdict."""
    order = {"contradicted": 0, "mixed": 1, "supported": 2}
    lo_est, hi_est = sorted((a, b))  # hi_est is further from support (support is "≤ −3")
    better = share_test(lo_est, lo_est - width, lo_est + width)
    worse = share_test(hi_est, hi_est - width, hi_est + width)
    assert order[better.status] >= order[worse.status]


@given(finite, st.floats(0, 5))
def test_widening_an_interval_never_makes_a_verdict_decisive(est: float, width: float) -> None:
    narrow = share_test(est, est - width, est + width)
    wide = share_test(est, est - 2 * width - 1, est + 2 * width + 1)
    if narrow.status == "mixed":
        assert wide.status == "mixed"


# -- counterfactual designs (models.breaks) against pyfixest's OLS ------------------------------
YEARS = np.arange(2010, 2021)
VALUES = np.array([1.7, 1.78, 1.91, 2.0, 2.02, 2.06, 2.1, 2.12, 2.14, 2.24, 2.4])


def test_gap_to_pre_trend_is_the_dummy_coefficient_of_ols() -> None:
    pf = pytest.importorskip("pyfixest")
    g = pre_trend_gap(YEARS, VALUES, last_pre=2017, year=2020)
    df = pd.DataFrame({"y": VALUES, "t": YEARS})
    df = df[(df.t <= 2017) | (df.t == 2020)].assign(d=lambda x: (x.t == 2020).astype(float))
    fit = pf.feols("y ~ t + d", data=df, vcov="iid")
    ci = fit.confint(alpha=0.10).loc["d"].to_numpy()
    assert g.estimate == pytest.approx(float(fit.coef()["d"]), abs=1e-10)
    assert (g.conf_low, g.conf_high) == pytest.approx(tuple(ci), abs=1e-9)
    assert g.estimate == pytest.approx(0.051071, abs=1e-6)


def test_trend_break_is_the_kink_coefficient_of_ols() -> None:
    pf = pytest.importorskip("pyfixest")
    b = trend_break(YEARS, VALUES, last_pre=2017)
    df = pd.DataFrame({"y": VALUES, "t": YEARS - 2017.0}).assign(k=lambda x: x.t.clip(lower=0))
    fit = pf.feols("y ~ t + k", data=df, vcov="iid")
    assert b.estimate == pytest.approx(float(fit.coef()["k"]), abs=1e-10)
    assert (b.conf_low, b.conf_high) == pytest.approx(
        tuple(fit.confint(alpha=0.10).loc["k"].to_numpy()), abs=1e-9
    )
    assert b.tidy()["std_error"].iloc[0] == pytest.approx(float(fit.se()["k"]), rel=1e-9)


def test_placebo_dates_use_only_pre_policy_years() -> None:
    p = placebo(YEARS, VALUES, dates=[2012, 2013, 2014, 2015], end=2017)
    # 2012 has too few points before it (3 < 4) and is skipped
    assert p["placebo"].tolist() == [2013, 2014, 2015]
    assert p["estimate"].iloc[0] == pytest.approx(-0.070091, abs=1e-6)


def test_a_series_on_its_trend_has_a_gap_inside_its_interval() -> None:
    years = np.arange(2010, 2025)
    rng = np.random.default_rng(0)
    values = 50 - 0.8 * (years - 2010) + rng.normal(0, 0.3, len(years))
    g = pre_trend_gap(years, values, last_pre=2019)
    assert g.conf_low < 0 < g.conf_high
