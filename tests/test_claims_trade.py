"""Claims 6 (US firms moved production out of China) and 12 (tariffs cut dependence on China):
small stores with one case per status, and the verdicts pinned on the real data."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from techties.claims import check_claim
from techties.claims.checkers.trade import MNE_EMPLOYMENT
from techties.store import Store
from test_claims_helpers import INDICATOR_DEFAULTS, flows, need_table, write_rows

C6, C12 = "us-firms-moved-production", "tariffs-cut-dependence"
YEARS = (2018, 2019, 2020, 2021, 2022)


# -- claim 6: US companies' employment in China against their other locations ----------------
def _employment(store: Store, china: list[float], world: list[float], und: float = 1000.0) -> int:
    rows = []
    for y, c, w in zip(YEARS, china, world, strict=True):
        rows += [
            {**INDICATOR_DEFAULTS, "indicator": MNE_EMPLOYMENT, "country": "CHN",
             "country_label": "China", "year": y, "value": c},
            {**INDICATOR_DEFAULTS, "indicator": MNE_EMPLOYMENT, "country": "WLD",
             "country_label": "World", "year": y, "value": w},
            {**INDICATOR_DEFAULTS, "indicator": MNE_EMPLOYMENT, "country": None,
             "country_label": "Undistributed", "year": y, "value": und},
        ]  # fmt: skip
    return write_rows(store, "indicators", rows)


def _other(china: list[float], other: list[float], und: float = 1000.0) -> list[float]:
    return [c + o + und for c, o in zip(china, other, strict=True)]


def test_claim6_supported_when_china_employment_falls_against_elsewhere(store: Store) -> None:
    china = [1000.0, 950.0, 900.0, 850.0, 800.0]
    other = [8000.0, 8300.0, 8600.0, 8900.0, 9200.0]
    pid = _employment(store, china, _other(china, other))
    v = check_claim(store, C6, strict=True)
    expected = 100 * (math.log(800 / 1000) - math.log(9200 / 8000))
    assert v.figure("relative_growth") == pytest.approx(expected)  # −36.3 log points
    assert v.status == "supported" and not v.fragile and v.kind == "observed"
    assert v.figure("employment_growth") == pytest.approx(-20.0)
    rob = v.robustness.set_index("spec")["status"]
    assert rob["comparator: world minus China (undistributed included)"] == "supported"
    assert rob["base year 2017"] == "unverifiable"  # employment by location starts in 2018
    assert v.provenance_ids == [pid] and v.chart is not None
    assert v.evidence_for and v.evidence_against


def test_claim6_contradicted_when_china_employment_grows_faster(store: Store) -> None:
    china = [1000.0, 1070.0, 1140.0, 1210.0, 1280.0]
    other = [8000.0] * 5
    _employment(store, china, _other(china, other))
    v = check_claim(store, "6", strict=True)
    assert v.figure("relative_growth") == pytest.approx(100 * math.log(1.28))
    assert v.status == "contradicted"
    assert any("1,000 to 1,280" in e for e in v.evidence_against)


def test_claim6_mixed_when_china_grows_like_elsewhere(store: Store) -> None:
    china = [1000.0, 1020.0, 1040.0, 1060.0, 1080.0]
    other = [8000.0, 8160.0, 8320.0, 8480.0, 8640.0]  # +8 % like China
    _employment(store, china, _other(china, other))
    v = check_claim(store, C6, strict=True)
    assert v.figure("relative_growth") == pytest.approx(0.0, abs=1e-9)
    assert v.status == "mixed" and v.decision is not None and v.decision.main_status == "mixed"


def test_claim6_unverifiable_without_the_ncses_tables(store: Store) -> None:
    v = check_claim(store, C6, strict=True)
    assert v.status == "unverifiable" and v.reason in {"no_data", "not_yet"}


# -- claim 12: NAICS 334 pre-trend and listed-vs-unlisted HS6 products ------------------------
#: small pre-period wiggles give the trend a residual variance (a prediction interval)
WIGGLE = {2013: 0.3, 2014: -0.3, 2015: 0.2, 2016: -0.2, 2017: 0.0}
LISTED = ("854231", "851762")  # a Section 301 List 3 line falls in each
UNLISTED = ("847130", "852872")


def _naics(store: Store, after: dict[int, float], *, level: float = 45.0) -> None:
    """China's share (%) of US NAICS 334 imports: ``level`` ± wiggle to 2017, then ``after``."""
    shares = {y: level + w for y, w in WIGGLE.items()} | after
    rows = []
    for y, s in shares.items():
        for partner, v in (("WLD", 100e9), ("CHN", s * 1e9), ("MEX", (100 - s) * 0.5e9)):
            rows.append({"source": "naics_fixture", "reporter": "USA", "partner": partner,
                         "flow": "import", "year": y, "classification": "NAICS", "vintage": None,
                         "product_code": "334", "product_level": 3, "value_usd": v})  # fmt: skip
    write_rows(store, "trade_flows", flows(rows))


def _hs6(store: Store, listed_2024: float, unlisted_2024: float) -> None:
    """China's share (%) among CHN + VNM per product: 70 in 2017, then the given 2024 shares."""
    need_table(store, "tariff_measures")
    lines = [
        {"dataset": "fixture", "imposer": "USA", "target": "CHN", "product_code": code + "00",
         "vintage": "HTS2018", "product_level": 8, "measure": "301_list3", "kind": "additional",
         "program": "section_301", "rate_pct": 25.0, "specific_rate": False,
         "start_date": dt.date(2018, 9, 24), "status": "in_force"}
        for code in LISTED
    ]  # fmt: skip
    write_rows(store, "tariff_measures", lines)
    rows = []
    for code in LISTED + UNLISTED:
        for year, s in ((2017, 70.0), (2024, listed_2024 if code in LISTED else unlisted_2024)):
            for partner, v in (("CHN", s * 1e8), ("VNM", (100 - s) * 1e8)):
                rows.append({"source": "hs6_fixture", "reporter": "USA", "partner": partner,
                             "flow": "import", "year": year, "product_code": code,
                             "product_level": 6, "value_usd": v, "vintage": "HS2017"})  # fmt: skip
    write_rows(store, "trade_flows", flows(rows))


def _after(end: float) -> dict[int, float]:
    return {y: 45.0 + (end - 45.0) * (y - 2017) / 7 for y in range(2018, 2025)}


def test_claim12_supported_when_share_falls_below_trend_and_more_where_listed(
    store: Store,
) -> None:
    _naics(store, _after(25.0))
    _hs6(store, listed_2024=40.0, unlisted_2024=65.0)
    v = check_claim(store, C12, strict=True)
    assert v.figure("did") == pytest.approx(-25.0)  # (40 − 70) − (65 − 70)
    assert v.figure("did_low") == pytest.approx(-25.0) and v.figure("did_high") == pytest.approx(
        -25.0
    )
    assert v.figure("gap") == pytest.approx(-20.0, abs=0.5)
    low, gap, high = (v.figure(k) for k in ("gap_low", "gap", "gap_high"))
    assert low is not None and gap is not None and high is not None and low < gap < high
    assert v.status == "supported" and v.kind == "estimated" and not v.fragile
    rob = v.robustness.set_index("spec")["status"]
    # the fixture has HS6 imports for 2017 and 2024 only: other base years cannot be measured
    assert rob["base year 2016"] == rob["base year 2018"] == "unverifiable"
    assert rob["thresholds × 1.5 (further from neutral)"] == "supported"
    assert rob["denominator: the staged partners, not the world total"] == "supported"
    assert v.chart is not None and v.evidence_for and v.evidence_against


def test_claim12_contradicted_when_china_share_is_above_its_trend(store: Store) -> None:
    _naics(store, _after(50.0))
    _hs6(store, listed_2024=40.0, unlisted_2024=65.0)
    v = check_claim(store, "12", strict=True)
    assert v.figure("gap") == pytest.approx(5.0, abs=0.5)
    assert v.tests[0].status == "contradicted" and v.status == "contradicted"
    assert any("gap of +5" in e for e in v.evidence_against)


def test_claim12_mixed_when_listed_and_unlisted_fall_alike(store: Store) -> None:
    _naics(store, _after(25.0))
    _hs6(store, listed_2024=48.0, unlisted_2024=50.0)  # DiD −2 pp: between −3 and −1
    v = check_claim(store, C12, strict=True)
    assert v.figure("did") == pytest.approx(-2.0)
    assert [t.status for t in v.tests] == ["supported", "mixed"]
    assert v.status == "mixed"


def test_claim12_unverifiable_without_us_imports(store: Store) -> None:
    v = check_claim(store, C12, strict=True)
    assert v.status == "unverifiable" and v.reason in {"no_data", "not_yet"}


# -- the real data --------------------------------------------------------------------------
@pytest.mark.realdata
@pytest.mark.slow
def test_claim6_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, C6)
    # NCSES: China 881 → 1,137 thousand (2018–2022); world 10,700 → 12,361, undistributed
    # 2,277 → 1,636: other distributed locations 7,542 → 9,588
    assert v.figure("employment_base") == pytest.approx(881)
    assert v.figure("employment_last") == pytest.approx(1137)
    expected = 100 * (math.log(1137 / 881) - math.log(9588 / 7542))
    assert v.figure("relative_growth") == pytest.approx(expected, abs=0.01)  # +1.5
    assert v.status == "mixed" and v.decision is not None and v.decision.main_status == "mixed"
    rob = v.robustness.set_index("spec")["status"]
    assert rob["comparator: world minus China (undistributed included)"] == "contradicted"
    assert rob["comparator: Asia and Pacific excluding China"] == "supported"
    assert rob["R&D performed in China instead of employment (2018–latest BERD)"] == "contradicted"
    assert rob["base year 2017"] == "unverifiable"
    # the import-share proxy: well below its 2013–2017 trend in 2024, shown but not decisive
    assert v.figure("import_share_gap") == pytest.approx(-12.4, abs=0.2)
    assert len(v.tests) == 1


@pytest.mark.realdata
@pytest.mark.slow
def test_claim12_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, C12)
    # NAICS 334, Census monthly: China 46.1 % (2017) → 21.4 % (2024, January–December)
    assert v.figure("china_334_base") == pytest.approx(46.07, abs=0.05)
    assert v.figure("china_334_last") == pytest.approx(21.40, abs=0.05)
    assert v.figure("gap") == pytest.approx(-22.4, abs=0.1)
    assert v.figure("gap_low") == pytest.approx(-31.5, abs=0.2)
    assert v.figure("gap_high") == pytest.approx(-13.3, abs=0.2)
    # ict_electronics HS6 (Comtrade, share among CHN, MEX, VNM): listed −38.2, unlisted −11.5
    assert v.figure("did") == pytest.approx(-26.6, abs=0.1)
    did_high = v.figure("did_high")
    assert did_high is not None and did_high < -1.0
    assert v.figure("placebo_did") == pytest.approx(-4.8, abs=0.1)
    assert v.decision is not None and v.decision.main_status == "supported"
    # netting out the 2015–2017 differential trend leaves an interval that straddles −1 pp
    rob = v.robustness.set_index("spec")["status"]
    assert rob["DiD net of the 2015–2017 differential trend"] == "mixed"
    assert rob["end year 2025 (January–November)"] == "unverifiable"
    assert rob["base year 2016"] == rob["base year 2018"] == "supported"
    assert v.status == "mixed" and v.fragile
