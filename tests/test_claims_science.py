"""Science checkers (claims 3, 5, 10, 14): the rule on small stores built with store.write, one
case per status, and the verdicts pinned on the real data (marked realdata/slow)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from techties.claims import check_claim
from techties.claims.checkers import science
from techties.claims.rules import Test
from techties.claims.verdict import Verdict
from techties.store import Store
from test_claims_helpers import INDICATOR_DEFAULTS, indicators, need_table, write_rows


@pytest.fixture(autouse=True)
def _no_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path_factory.mktemp("cache")))


def _row(v: Verdict, spec: str) -> pd.Series:
    rows = v.robustness[v.robustness["spec"].str.startswith(spec)]
    assert len(rows) == 1, (spec, v.robustness["spec"].tolist())
    return rows.iloc[0]


def _fig(v: Verdict, key: str) -> float:
    value = v.figure(key)
    assert value is not None, key
    return value


def _test(v: Verdict, key: str) -> Test:
    return next(t for t in v.tests if t.key == key)


# == claim 5: R&D pace, trend break with comparators and placebo dates =====================
#: deterministic wiggle (pp) so that the fits have residuals and intervals
WIGGLE = [0.004, -0.003, 0.002, -0.004, 0.003, -0.002]


def _line(start: float, slope: float, post_slope: float, years: range) -> dict[int, float]:
    out = {}
    for i, y in enumerate(years):
        kink = max(0, y - science.RD_LAST_PRE)
        out[y] = start + slope * (y - years[0]) + (post_slope - slope) * kink + WIGGLE[i % 6]
    return out


def _rd_store(store: Store, chn_post: float, hic_post: float, *, usa: bool = True) -> int:
    need_table(store, "indicators")
    years = range(2000, 2024)
    series = {
        "CHN": _line(1.0, 0.05, chn_post, years),
        "HIC": _line(2.3, 0.01, hic_post, years),
    }
    if usa:
        series["USA"] = _line(2.6, 0.01, hic_post, years)
    vals = {(c, y): v for c, s in series.items() for y, v in s.items()}
    return write_rows(store, "indicators", indicators(science.RD_INTENSITY, vals))


def test_rd_pace_supported_when_china_outpaces_comparators_and_placebos(store: Store) -> None:
    # China's slope 0.05 → 0.12 pp/yr after 2017; high-income countries stay at 0.01
    pid = _rd_store(store, chn_post=0.12, hic_post=0.01)
    v = check_claim(store, "china-accelerated-rd")
    assert v.decision is not None and v.decision.main_status == "supported"
    assert v.status == "supported" and not v.fragile
    assert v.kind == "estimated"
    own, did, pl = _test(v, "china_break"), _test(v, "did_break"), _test(v, "placebo")
    assert own.estimate == pytest.approx(0.07, abs=0.005)
    assert did.estimate == pytest.approx(0.07, abs=0.005)
    assert own.low is not None and own.low > science.RD_ACCEL_PP
    # placebo breaks on the wiggle alone are tiny next to the real one
    assert _fig(v, "placebo_max") < 0.01
    assert pl.status == "supported"
    assert _row(v, "comparator: United States")["status"] == "supported"
    assert _row(v, "comparator: world")["status"] == "unverifiable"  # not in this store
    assert _row(v, "outcome: resident patent")["status"] == "unverifiable"
    assert v.provenance_ids == [pid]
    assert v.evidence_for and v.design and v.chart is not None


def test_rd_pace_contradicted_when_the_comparators_accelerate_as_much(store: Store) -> None:
    # China accelerates (0.05 → 0.08) but high-income countries and the US accelerate more
    # (0.01 → 0.06): before/after alone would say "faster", the counterfactual says no
    _rd_store(store, chn_post=0.08, hic_post=0.06)
    v = check_claim(store, "5")
    assert _test(v, "china_break").status == "supported"  # it changed ...
    did = _test(v, "did_break")
    assert did.estimate == pytest.approx(-0.02, abs=0.005)
    assert did.status == "contradicted"  # ... but not relative to the comparators
    assert v.status == "contradicted"
    assert any("high-income" in e for e in v.evidence_against)
    assert _fig(v, "pace_post") > _fig(v, "pace_pre")


def test_rd_pace_mixed_when_the_interval_straddles_the_threshold(store: Store) -> None:
    need_table(store, "indicators")
    noise = [0.06, -0.05, 0.04, -0.07, 0.05, -0.03]
    vals = {}
    for i, y in enumerate(range(2000, 2024)):
        kink = max(0, y - science.RD_LAST_PRE)
        vals[("CHN", y)] = 1.0 + 0.05 * (y - 2000) + 0.015 * kink + noise[i % 6]
        vals[("HIC", y)] = 2.3 + 0.01 * (y - 2000)
    write_rows(store, "indicators", indicators(science.RD_INTENSITY, vals))
    v = check_claim(store, "5")
    own = _test(v, "china_break")
    assert own.low is not None and own.high is not None
    assert own.low < science.RD_ACCEL_PP < own.high
    assert v.status == "mixed" and v.decision is not None
    assert v.decision.main_status == "mixed" and not v.fragile


def test_rd_pace_unverifiable_without_a_pre_period(store: Store) -> None:
    need_table(store, "indicators")
    write_rows(
        store,
        "indicators",
        indicators(science.RD_INTENSITY, {("CHN", 2019): 2.2, ("CHN", 2020): 2.4}),
    )
    v = check_claim(store, "5")
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "2017" in v.missing


# == claim 3: US companies in China (gain is not measured) ===================================
def _mne(store: Store, rd: dict[int, float], emp: dict[int, float]) -> Verdict:
    need_table(store, "indicators")
    write_rows(
        store, "indicators", indicators(science.MNE_RD, {("CHN", y): x for y, x in rd.items()})
    )
    write_rows(
        store,
        "indicators",
        indicators(science.MNE_EMPLOYMENT, {("CHN", y): x for y, x in emp.items()}),
    )
    return check_claim(store, "us-mne-gain-china")


@pytest.mark.parametrize(
    ("rd_2022", "emp_2022", "proxy"),
    [
        (13052.0, 1137.0, "supported"),  # both grew ≥ 10 %: activity up
        (6000.0, 1137.0, "contradicted"),  # R&D fell ≥ 10 %
        (8200.0, 1137.0, "mixed"),  # R&D +4 %
    ],
)
def test_mne_gain_is_unverifiable_whatever_the_activity_proxy(
    store: Store, rd_2022: float, emp_2022: float, proxy: str
) -> None:
    v = _mne(store, {2015: 6265.0, 2018: 7867.0, 2022: rd_2022}, {2018: 881.0, 2022: emp_2022})
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "gain" in v.missing and "not staged" in v.missing
    assert v.decision is not None and not v.fragile
    assert _row(v, "proxy: R&D and employment")["status"] == proxy
    # growth from 2018, the first comparable BERD year
    assert v.figure("rd_growth") == pytest.approx(100 * (rd_2022 / 7867 - 1))
    assert v.figure("employment_growth") == pytest.approx(100 * (emp_2022 / 881 - 1))
    assert "activity" in v.rationale and v.evidence_against
    assert len(v.provenance_ids) == 2


def test_mne_needs_the_ncses_tables(store: Store) -> None:
    need_table(store, "indicators")
    v = check_claim(store, "3")
    assert (v.status, v.reason) == ("unverifiable", "no_data")


# == claim 10: doctorates (candidates are not measured) ======================================
@pytest.mark.parametrize(
    ("usa", "proxy"),
    [(50_000.0, "supported"), (72_731.0, "contradicted"), (62_000.0, "mixed")],
)
def test_doctorates_proxy_direction_and_unverifiable_verdict(
    store: Store, usa: float, proxy: str
) -> None:
    need_table(store, "indicators")
    vals = {("CHN", 2018): 60_724.0, ("USA", 2018): usa, ("DEU", 2018): 27_000.0}
    write_rows(store, "indicators", indicators(science.DOCTORATES, vals))
    se = {("CHN", 2018): 39_768.0, ("USA", 2018): 41_071.0, ("DEU", 2018): 15_000.0}
    write_rows(store, "indicators", indicators(science.DOCTORATES_SE, se))
    v = check_claim(store, "china-most-doctorates")
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "candidates" in v.missing.lower() or "enrol" in v.missing
    assert _row(v, "proxy: degrees awarded, all fields, 2018")["status"] == proxy
    # S&E: China 3.2 % below the US, inside ±5 %: the proxy flips with the field choice
    assert _row(v, "proxy: degrees awarded, S&E")["status"] == "mixed"
    assert v.figure("china") == 60_724.0
    assert v.figure("china_vs_rival") == pytest.approx(100 * (60_724 / max(usa, 27_000) - 1))
    assert "degrees awarded" in v.rationale


# == claim 14: research exchanges ============================================================
def _pairs(values: dict[tuple[str, str, int], float]) -> list[dict[str, object]]:
    return [
        {**INDICATOR_DEFAULTS, "indicator": science.COAUTHORED, "country": c,
         "country_label": c, "partner": p, "partner_label": p, "year": y, "value": v}
        for (c, p, y), v in values.items()
    ]  # fmt: skip


def _exchanges(store: Store, us_china: float, *, ip: bool = True) -> Verdict:
    need_table(store, "indicators")
    rows = _pairs(
        {
            ("USA", "CHN", 2022): us_china,
            ("CHN", "USA", 2022): us_china,
            ("USA", "WLD", 2022): 240_000.0,
            ("CHN", "WLD", 2022): 180_000.0,
        }
    )
    write_rows(store, "indicators", rows)
    if ip:
        write_rows(
            store,
            "indicators",
            indicators(science.IP_RECEIPTS, {("USA", 2010): 95e9, ("USA", 2024): 170e9}),
        )
        write_rows(
            store,
            "indicators",
            indicators(science.IP_PAYMENTS, {("CHN", 2010): 13e9, ("CHN", 2024): 46e9}),
        )
    return check_claim(store, "exchanges-mutually-beneficial")


def test_exchanges_two_way_but_benefit_unmeasured_is_unverifiable(store: Store) -> None:
    v = _exchanges(store, 58_000.0)
    collab = _test(v, "collaboration")
    assert collab.estimate == pytest.approx(100 * 58_000 / 240_000)
    assert collab.status == "supported"
    assert {t.key for t in v.tests if t.estimate is None} == {"benefit_us", "benefit_china"}
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "not staged" in v.missing
    necessary = _row(v, "proxy: necessary conditions only")
    assert necessary["status"] == "supported"
    assert v.figure("share_china") == pytest.approx(100 * 58_000 / 180_000)
    assert v.evidence_for and v.evidence_against


def test_exchanges_contradicted_when_collaboration_is_not_two_way(store: Store) -> None:
    # 2 % of US international articles: below 5 % and below 2.5 % (thresholds × 0.5)
    v = _exchanges(store, 4_800.0)
    assert _test(v, "collaboration").status == "contradicted"
    assert v.status == "contradicted" and not v.fragile
    assert _row(v, "proxy: necessary conditions only")["status"] == "contradicted"
    assert _row(v, "proxy: necessary conditions, thresholds × 0.5")["status"] == "contradicted"


def test_exchanges_mixed_when_the_share_is_between_the_thresholds(store: Store) -> None:
    # 7.5 % of US international articles: between 5 % and 10 %
    v = _exchanges(store, 18_000.0, ip=False)
    assert _test(v, "collaboration").status == "mixed"
    # a mixed part and unmeasured parts: the conjunction cannot be decided
    assert v.status == "unverifiable"
    assert _row(v, "proxy: necessary conditions only")["status"] == "unverifiable"


# == real data ===============================================================================
@pytest.mark.realdata
@pytest.mark.slow
def test_rd_pace_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, "china-accelerated-rd")
    tol = 1e-3
    own, did, pl = _test(v, "china_break"), _test(v, "did_break"), _test(v, "placebo")
    # China's own break after 2017: +0.028 pp/yr, 90 % CI [+0.007, +0.050] → straddles 0.01
    assert own.estimate == pytest.approx(0.0283, abs=tol)
    assert (own.low, own.high) == (pytest.approx(0.0068, abs=tol), pytest.approx(0.0498, abs=tol))
    # relative to high-income countries: +0.006 [−0.031, +0.042]
    assert did.estimate == pytest.approx(0.0056, abs=tol)
    assert (did.low, did.high) == (pytest.approx(-0.0305, abs=tol), pytest.approx(0.0417, abs=tol))
    assert v.figure("placebo_max") == pytest.approx(0.115, abs=tol)
    assert (own.status, did.status, pl.status) == ("mixed", "mixed", "mixed")
    assert v.status == "mixed" and v.decision is not None and v.decision.main_status == "mixed"
    assert v.kind == "estimated"
    # the before/after pace the old checker used: faster, but the US and world sped up too
    assert v.figure("pace_pre") == pytest.approx(0.0561, abs=tol)
    assert v.figure("pace_post") == pytest.approx(0.0832, abs=tol)
    assert _fig(v, "usa_break") > _fig(v, "china_break")
    panel = dict(zip(v.robustness["spec"], v.robustness["status"], strict=True))
    assert panel["comparator: United States"] == "contradicted"
    assert panel["comparator: world"] == "contradicted"
    assert panel["pre-period fitted from 2005"] == "contradicted"
    assert panel[next(s for s in panel if s.startswith("outcome: resident patent"))] == (
        "contradicted"
    )
    assert panel["comparator: Germany"] == "mixed"
    assert v.evidence_for and v.evidence_against
    from techties.charts import to_svg

    assert "<svg" in to_svg(v.plot())


@pytest.mark.realdata
@pytest.mark.slow
def test_mne_gain_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, "us-mne-gain-china")
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert v.figure("rd_growth") == pytest.approx(100 * (13052 / 7867 - 1), abs=0.05)
    assert v.figure("employment_growth") == pytest.approx(100 * (1137 / 881 - 1), abs=0.05)
    assert set(v.robustness["status"].iloc[1:]) == {"supported"}  # activity grew, every proxy


@pytest.mark.realdata
@pytest.mark.slow
def test_doctorates_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, "china-most-doctorates")
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert (v.figure("china"), v.figure("rival")) == (60_724.0, 72_731.0)
    assert (v.figure("china_se"), v.figure("rival_se")) == (39_768.0, 41_071.0)
    assert v.figure("china_vs_rival") == pytest.approx(-16.51, abs=0.01)
    assert v.figure("china_vs_rival_se") == pytest.approx(-3.17, abs=0.01)
    assert _row(v, "proxy: degrees awarded, all fields, 2018")["status"] == "contradicted"
    assert _row(v, "proxy: degrees awarded, S&E fields only, 2018")["status"] == "mixed"


@pytest.mark.realdata
@pytest.mark.slow
def test_exchanges_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, "exchanges-mutually-beneficial")
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    # SPBS-35: 58,546 US–China articles of 241,823 (US) and 182,305 (China) international ones
    assert v.figure("share_us") == pytest.approx(100 * 58_546 / 241_823, abs=0.01)
    assert v.figure("share_china") == pytest.approx(100 * 58_546 / 182_305, abs=0.01)
    assert _test(v, "collaboration").status == "supported"
    assert v.figure("openalex_peak") == 84_025.0 and v.figure("openalex_last") == 72_794.0
    assert _row(v, "proxy: necessary conditions only")["status"] == "supported"
    # in 2003 China was 6.3 % of US international articles: between the thresholds
    assert _row(v, "proxy: necessary conditions, co-authorship in 2003")["status"] == "mixed"
