"""Claims 7, 9 and 13: the rules on small stores (one case per status, including data that
contradict each claim) and the verdicts on the real data folder (numbers pinned with tolerances)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from techties.claims import check_claim
from techties.claims.checkers import controls, tariffs
from techties.store import Store
from test_claims_helpers import flows, need_table, write_rows

CLAIM7, CLAIM9, CLAIM13 = (
    "tariff-cost-on-us",
    "us-extends-rules-third-parties",
    "controls-slowed-chip-access",
)


@pytest.fixture(autouse=True)
def _no_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))


# -- claim 9: helpers ---------------------------------------------------------------------------
def test_rate_ratio_poisson_interval_and_overdispersion() -> None:
    # equal yearly counts: φ = 1 (Poisson), RR = 2, interval exp(±t_6 · √(1/80 + 1/40))
    rr, lo, hi, phi = controls.rate_ratio([20, 20, 20, 20], [10, 10, 10, 10])
    half = 1.9431803 * math.sqrt(1 / 80 + 1 / 40)  # t quantile, 90 %, 6 dof
    assert (rr, phi) == (2.0, 1.0)
    assert (lo, hi) == pytest.approx((2 * math.exp(-half), 2 * math.exp(half)), rel=1e-6)
    # one batch year: same totals, wider interval (φ > 1)
    rr2, lo2, hi2, phi2 = controls.rate_ratio([74, 2, 2, 2], [10, 10, 10, 10])
    assert rr2 == 2.0 and phi2 > 10 and lo2 < lo and hi2 > hi


def test_fdp_footnotes_read_the_license_requirement_text() -> None:
    assert controls.fdp_footnotes(
        "For all items subject to the EAR. (See §§ 734.9(g),3 746.8(a)(3), and 744.21(b) of the EAR)"
    ) == ["fn3 § 734.9(g)"]
    assert controls.fdp_footnotes(
        "For all items subject to the EAR, see §§ 734.9(e) 1 and 744.11 of the EAR 1"
    ) == ["fn1 § 734.9(e)(1)"]
    assert controls.fdp_footnotes("(See §§ 734.9(e)(2) and 744.11 of the EAR) 4") == [
        "fn4 § 734.9(e)(2)"
    ]
    assert (
        controls.fdp_footnotes("For all items subject to the EAR. (See § 744.11 of the EAR)") == []
    )
    assert controls.fdp_footnotes(None) == []


FDP_TEXT = "For all items subject to the EAR (See §§ 734.9(e)(2) and 744.11 of the EAR) 4"


def _entries(counts: dict[tuple[str, int, bool], int]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for (iso3, year, fdp), n in counts.items():
        for i in range(n):
            rows.append(
                {
                    "list": "BIS Entity List", "list_id": controls.ENTITY_LIST_ID,
                    "entry": len(rows) + 1, "name": f"Firm {iso3} {year} {i}", "country": iso3,
                    "country_iso3": iso3, "date_added": dt.date(year, 5, 1),
                    "date_basis": "earliest citation",
                    "license_requirement": FDP_TEXT if fdp else "See § 744.11 of the EAR",
                    "snapshot": dt.date(2025, 10, 9),
                }
            )  # fmt: skip
    return rows


def _reach_store(
    store: Store, growth: float, *, base: int = 30, fdp_late: int = 0, flat: int = 0
) -> int:
    """Third-country (ARE) entries growing by ``growth`` a year from ``base`` in 2012 (or ``flat`` a
    year when given); ``fdp_late`` China entries a year with an FDP footnote in 2021–2024;
    7 China entries a year without FDP (never counted); 2025 is partial."""
    need_table(store, "entity_list")
    counts: dict[tuple[str, int, bool], int] = {}
    for y in range(2012, 2025):
        counts[("ARE", y, False)] = flat or round(base * growth ** (y - 2012))
        counts[("CHN", y, False)] = 7
        if fdp_late and y >= 2021:
            counts[("CHN", y, True)] = fdp_late
    counts[("ARE", 2025, False)] = 50  # partial year: outside both windows
    return write_rows(store, "entity_list", _entries(counts))


@pytest.mark.parametrize(
    ("growth", "base", "status"),
    [(1.3, 30, "supported"), (0.8, 300, "contradicted"), (1.0, 30, "mixed")],
)
def test_entity_list_reach_rule_on_the_interval(
    store: Store, growth: float, base: int, status: str
) -> None:
    pid = _reach_store(store, growth, base=base)
    yearly = {y: round(base * growth ** (y - 2012)) for y in range(2012, 2025)}
    late, early = (
        sum(yearly[y] for y in range(2021, 2025)),
        sum(yearly[y] for y in range(2017, 2021)),
    )
    v = check_claim(store, CLAIM9)
    assert v.status == status, v.summary()
    assert (v.figure("reach_early"), v.figure("reach_late")) == (early, late)
    assert v.figure("ratio") == pytest.approx(late / early)
    assert v.figure("china_total") == 7 * 13
    assert v.kind == "estimated" and v.provenance_ids == [pid]
    assert v.evidence_against and v.chart is not None
    assert bool(v.evidence_for) == (status == "supported")
    assert v.robustness["spec"].iloc[0] == "main specification"
    assert len(v.robustness) == 9  # 6 alternatives + 2 threshold moves


def test_entity_list_fdp_channel_counts_and_disagreeing_channels_are_mixed(store: Store) -> None:
    # third-country listings flat (10 → 10 a year), FDP-footnoted China entries 0 → 15 a year:
    # the union rises 2.5×, but the "third-country only" alternative is mixed → fragile
    _reach_store(store, 1.0, flat=10, fdp_late=15)
    v = check_claim(store, CLAIM9)
    assert v.figure("fdp_late") == 60 and v.figure("fdp_early") == 0
    assert v.figure("ratio") == pytest.approx(2.5)
    assert v.decision is not None and v.decision.main_status == "supported"
    assert v.status == "mixed" and v.fragile
    rob = v.robustness.set_index("spec")["status"]
    assert rob["third-country entries only (no FDP channel)"] == "mixed"
    assert rob["FDP-footnoted entries only (the long-arm instrument)"] == "unverifiable"


# -- claim 13 -----------------------------------------------------------------------------------
def _taiwan(
    store: Store,
    shares: dict[int, float],
    *,
    total: float = 100e9,
    processors: dict[int, float] | None = None,
) -> int:
    """Mainland + HK share (%) per year, split 60/40, the rest to the USA; processors carry 10 %
    of every flow, with their share raised by ``processors[year]`` pp."""
    rows = []
    for year, share in shares.items():
        t = total * (0.6 if year == 2025 else 1.0)  # 2025 partial
        for code, w in (("85423100002", 0.1), ("85423900228", 0.9)):
            sh = share + (processors or {}).get(year, 0.0) * (code == "85423100002")
            for partner, v in (
                ("CHN", 0.6 * sh / 100),
                ("HKG", 0.4 * sh / 100),
                ("USA", 1 - sh / 100),
            ):
                rows.append({"reporter": "TWN", "partner": partner, "flow": "export", "year": year,
                             "product_code": code, "value_usd": t * w * v})  # fmt: skip
    return write_rows(store, "trade_flows", flows(rows))


WIGGLE = {2013: 0.4, 2014: -0.3, 2015: 0.2, 2016: -0.4, 2017: 0.3, 2018: -0.2, 2019: 0.4,
          2020: -0.3, 2021: 0.1, 2022: -0.2}  # fmt: skip


def _flat_then(after: dict[int, float]) -> dict[int, float]:
    return {**{y: 50.0 + WIGGLE[y] for y in range(2013, 2023)}, **after}


def test_chip_access_unverifiable_when_the_proxy_falls(store: Store) -> None:
    # a flat 50 % share, then 40 % in 2024: the proxy supports the direction, but controlled
    # advanced chips are not measured, so the claim stays unverifiable
    pid = _taiwan(store, _flat_then({2023: 45.0, 2024: 40.0, 2025: 20.0}))
    v = check_claim(store, CLAIM13)
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "advanced chips" in v.missing
    tests = {t.key: t for t in v.tests}
    assert tests["advanced_chips"].status == "unverifiable"
    assert tests["proxy_gap"].status == "supported"
    assert v.figure("share_last") == pytest.approx(40.0)  # 2025 is partial and left out
    assert v.figure("gap") == pytest.approx(40.0 - v.figure("trend_last"))
    assert v.provenance_ids == [pid] and v.chart is not None


def test_chip_access_contradicted_when_the_share_rises_above_its_trend(store: Store) -> None:
    # processors rise even more than other ICs (the comparator contradicts too)
    _taiwan(store, _flat_then({2023: 56.0, 2024: 60.0}), processors={2023: 5.0, 2024: 10.0})
    v = check_claim(store, CLAIM13)
    assert v.status == "contradicted", v.summary()
    assert v.figure("comparator_gap") > 5
    assert v.figure("gap") > 5 and v.figure("gap_low") > 0
    rob = v.robustness.set_index("spec")["status"]
    assert (rob.iloc[1:] == "contradicted").all()


def test_chip_access_mixed_when_a_contradicting_proxy_is_fragile(store: Store) -> None:
    # the share rises in 2024 above a noisy trend: contradicted in the main spec, but the 2025
    # partial year back below trend is an alternative that disagrees → mixed (fragile)
    _taiwan(store, _flat_then({2023: 53.0, 2024: 54.0, 2025: 40.0}))
    v = check_claim(store, CLAIM13)
    assert v.decision is not None and v.decision.main_status == "contradicted"
    assert v.status == "mixed" and v.fragile


def test_chip_access_needs_the_pre_period(store: Store) -> None:
    _taiwan(store, {2021: 55.0, 2022: 58.0, 2023: 50.0})
    v = check_claim(store, CLAIM13)
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "2022" in v.missing


def test_chip_access_chart_renders(store: Store) -> None:
    from techties.charts import to_svg

    _taiwan(store, _flat_then({2023: 45.0, 2024: 40.0}))
    svg = to_svg(check_claim(store, CLAIM13).plot())
    assert "<svg" in svg and "Taiwan" in svg


# -- claim 7 ------------------------------------------------------------------------------------
def _fits(
    beta_301: tuple[float, float, float], beta_232: tuple[float, float, float]
) -> pd.DataFrame:
    rows = []
    for spec, (b, lo, hi) in {
        tariffs.SPEC_301: beta_301, "no_mex": beta_301, "no_vnm": beta_301, "to_2019": beta_301,
        tariffs.SPEC_232: beta_232,
    }.items():  # fmt: skip
        rows.append({"spec": spec, "outcome": "unit_value", "term": "ln1p_tariff", "estimate": b,
                     "std_error": (hi - lo) / 3.92, "statistic": 0.0, "p_value": 0.2,
                     "conf_low": lo, "conf_high": hi})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("b301", "b232", "status"),
    [
        ((0.0, -0.04, 0.04), (0.0, -0.04, 0.04), "supported"),  # full pass-through, both parts
        ((-0.98, -1.0, -0.96), (0.0, -0.15, 0.15), "contradicted"),  # exporters absorbed 301
        ((0.3, -0.03, 0.63), (0.15, -1.14, 1.44), "mixed"),  # 232 interval straddles
        ((-0.4, -0.7, -0.1), (0.0, -0.15, 0.15), "mixed"),  # 301 interval straddles 0.8
    ],
)
def test_tariff_incidence_rule_on_both_intervals(
    monkeypatch: pytest.MonkeyPatch,
    store: Store,
    b301: tuple[float, float, float],
    b232: tuple[float, float, float],
    status: str,
) -> None:
    monkeypatch.setattr(tariffs, "_incidence_fits", lambda store: (_fits(b301, b232), []))
    v = check_claim(store, CLAIM7)
    assert v.status == status, v.summary()
    assert v.figure("pass_through") == pytest.approx(1 + b301[0])
    assert v.figure("conf_low") == pytest.approx(1 + b301[1])
    assert v.figure("pass_through_232") == pytest.approx(1 + b232[0])
    assert v.kind == "estimated" and len(v.tests) == 2
    assert set(v.robustness["spec"]) >= set(tariffs.SAMPLE_ALTERNATIVES)


def test_tariff_incidence_unverifiable_without_the_232_fit(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    t = _fits((0.0, -0.1, 0.1), (0.0, -0.1, 0.1))
    t = t[t["spec"] != tariffs.SPEC_232]
    monkeypatch.setattr(tariffs, "_incidence_fits", lambda store: (t, []))
    v = check_claim(store, CLAIM7)
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "section 232" in v.missing


def test_tariff_incidence_same_months_duties(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        {"source": "census_naics_monthly", "reporter": "USA", "partner": "CHN", "flow": "import",
         "year": y, "month": m, "classification": "NAICS", "product_code": "334",
         "product_level": 3, "value_usd": 10e9, "duties_usd": d * 1e9}
        for y, d, months in ((2017, 0.2, 12), (2024, 1.0, 12), (2025, 3.0, 11))
        for m in range(1, months + 1)
    ]  # fmt: skip
    pid = write_rows(store, "trade_flows", flows(rows))
    monkeypatch.setattr(
        tariffs, "_incidence_fits", lambda store: (_fits((0.0, -0.1, 0.1), (0.0, -0.1, 0.1)), [])
    )
    v = check_claim(store, CLAIM7)
    assert v.figure("duties_ytd") == pytest.approx(33.0)  # Jan–Nov 2025
    assert v.figure("duties_ytd_prev") == pytest.approx(11.0)  # Jan–Nov 2024, not all 12
    assert v.figure("duties_ytd_base") == pytest.approx(2.2)
    assert v.figure("rate_ytd") == pytest.approx(30.0)
    assert pid in v.provenance_ids
    assert any("January–November 2025" in e for e in v.evidence_for)


# -- real data ----------------------------------------------------------------------------------
@pytest.mark.realdata
@pytest.mark.slow
def test_claim13_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, CLAIM13)
    assert (v.status, v.reason) == ("unverifiable", "no_data")  # was supported (before/after)
    assert v.figure("share_base") == pytest.approx(57.97, abs=0.01)
    assert v.figure("share_last") == pytest.approx(51.66, abs=0.01)
    assert v.figure("share_peak") == pytest.approx(61.27, abs=0.01)
    assert v.figure("mainland_change") == pytest.approx(-1.88, abs=0.01)
    assert v.figure("gap") == pytest.approx(-11.83, abs=0.01)
    assert (v.figure("gap_low"), v.figure("gap_high")) == pytest.approx((-16.45, -7.22), abs=0.01)
    assert v.figure("mainland_gap") == pytest.approx(-8.61, abs=0.01)
    assert v.figure("placebo_min") == pytest.approx(-5.81, abs=0.01)
    tests = {t.key: t.status for t in v.tests}
    assert tests == {"advanced_chips": "unverifiable", "proxy_gap": "supported"}
    rob = v.robustness.set_index("spec")["status"]
    assert rob["proxy only — mainland China alone (Hong Kong left out)"] == "mixed"
    assert (
        rob["proxy only — comparator: processors minus other ICs (difference in gaps)"] == "mixed"
    )
    assert rob["proxy only — trend to 2020 (before the 2020 Huawei FDP rule)"] == "supported"
    assert "proxy only — 2025 partial year (months not stated) as the latest year" in rob.index


@pytest.mark.realdata
@pytest.mark.slow
def test_claim9_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, CLAIM9)
    assert v.status == "mixed"  # was mixed (1.09× third-country entries only)
    assert (v.figure("reach_late"), v.figure("reach_early")) == (1063, 349)
    assert (v.figure("third_late"), v.figure("third_early")) == (297, 272)
    assert (v.figure("fdp_late"), v.figure("fdp_early")) == (826, 152)
    assert v.figure("ratio") == pytest.approx(3.046, abs=0.001)
    # the quasi-Poisson interval just misses the 1.25 threshold: batches (φ ≈ 56) make it wide
    assert (v.figure("ratio_low"), v.figure("ratio_high")) == pytest.approx(
        (1.246, 7.447), abs=0.002
    )
    rob = v.robustness.set_index("spec")["status"]
    assert rob["third-country entries only (no FDP channel)"] == "mixed"
    assert rob["3-year windows"] == "supported" and rob["5-year windows"] == "supported"
    assert rob["thresholds × 1.5 (further from neutral)"] == "mixed"


@pytest.mark.realdata
@pytest.mark.slow
def test_claim7_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, CLAIM7)
    assert v.status == "mixed"  # was supported: the 232 part's interval straddles both thresholds
    # on the store's Comtrade rows ("N/A" quantities missing, see test_models_trade_war)
    assert v.figure("pass_through") == pytest.approx(1.327, abs=0.002)
    assert (v.figure("conf_low"), v.figure("conf_high")) == pytest.approx((1.007, 1.648), abs=0.002)
    assert v.figure("p_full") == pytest.approx(0.045, abs=0.002)  # just above full pass-through
    assert v.figure("pass_through_232") == pytest.approx(1.153, abs=0.005)
    assert v.figure("conf_low_232") < tariffs.PASS_LOW and v.figure("conf_high_232") > 1
    assert v.figure("duties_ytd") == pytest.approx(85.61, abs=0.01)  # Jan–Nov 2025
    tests = {t.key: t.status for t in v.tests}
    assert tests == {"section_301": "supported", "section_232": "mixed"}
    notes = v.robustness.set_index("spec")["note"]
    for name in tariffs.SAMPLE_ALTERNATIVES:
        assert notes[name].startswith("Section 301 part alone: supported")
    assert np.isfinite(v.figure("pass_through"))
