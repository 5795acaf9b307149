"""Tariff exposure, decoupling and rerouting on small frames with hand-computed answers."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from fixtures.indicators.flows import write_flows
from techties.errors import NoDataError
from techties.indicators.decoupling import EXPOSED, NOT_EXPOSED, decoupling
from techties.indicators.exposure import (
    average_tariffs,
    effective_duty_rates,
    tariff_wave_coverage,
)
from techties.indicators.rerouting import mirror_gaps, rerouting
from techties.indicators.shares import Selection
from techties.store import Store

# (year, product) → values by partner; 854231 and 940360 carry a List 3 line, 847130 does not
VALUES = {
    (2017, "854231"): {"CHN": 60, "VNM": 10, "MEX": 10, "WLD": 100},
    (2017, "940360"): {"CHN": 40, "VNM": 5, "MEX": 5, "WLD": 50},
    (2017, "847130"): {"CHN": 30, "MEX": 20, "WLD": 100},
    (2024, "854231"): {"CHN": 30, "VNM": 40, "MEX": 10, "WLD": 100},
    (2024, "940360"): {"CHN": 20, "VNM": 10, "MEX": 20, "WLD": 60},
    (2024, "847130"): {"CHN": 35, "MEX": 20, "WLD": 100},
}

#: China's exports to Vietnam (year, product, USD): the two listed products and one that is not
CHN_TO_VNM = [
    (2017, "854231", 100.0), (2024, "854231", 150.0),
    (2017, "940360", 50.0), (2024, "940360", 90.0),
    (2017, "847130", 100.0), (2024, "847130", 500.0),
]  # fmt: skip


def _measures(rows: list[tuple[str, str, str, str, float, str]]) -> pa.Table:
    cols: dict[str, list[object]] = {k: [] for k in (
        "dataset", "imposer", "target", "product_code", "vintage", "product_level", "measure",
        "kind", "program", "rate_pct", "specific_rate", "rate_text", "start_date", "end_date",
        "status", "legal_reference")}  # fmt: skip
    for dataset, target, code, measure, rate, start in rows:
        kind = "mfn" if measure == "MFN" else "additional"
        values = (dataset, "USA", target, code, "HTS2018", len(code), measure, kind,
                  "mfn" if kind == "mfn" else "section_301", rate, False, f"{rate}%",
                  dt.date.fromisoformat(start), None, "in_force", "9903.88.03")  # fmt: skip
        for key, value in zip(cols, values, strict=True):
            cols[key].append(value)
    return pa.table(cols)


@pytest.fixture()
def flows(store: Store) -> Store:
    rows = [
        {"year": y, "partner": p, "product_code": k, "value_usd": float(v),
         "duties_usd": float(v) * (0.25 if p == "CHN" and y == 2024 and k != "847130" else 0.01)}
        for (y, k), by in VALUES.items() for p, v in by.items()
    ]  # fmt: skip
    write_flows(store, rows, location="flows.csv")
    table = _measures([
        ("usitc_tariff_database", "ALL", "85423100", "MFN", 0.0, "2017-01-01"),
        ("usitc_tariff_database", "ALL", "94036080", "MFN", 5.0, "2017-01-01"),
        ("usitc_tariff_database", "ALL", "84713001", "MFN", 0.0, "2017-01-01"),
        ("ustr_301_lists", "CHN", "85423100", "301_list3", 10.0, "2018-09-24"),
        ("ustr_301_lists", "CHN", "94036080", "301_list3", 10.0, "2018-09-24"),
    ])  # fmt: skip
    with store.transaction():
        store.write(
            source="test_tariffs",
            table="tariff_measures",
            data=table,
            location="lists.csv",
            sha256="d" * 64,
            nbytes=1,
        )
    return store


def test_effective_duty_rates(flows: Store) -> None:
    res = effective_duty_rates(flows, level=0, partners=["CHN", "VNM"])
    # CHN 2024: (0.25·30 + 0.25·20 + 0.01·35) / 85
    assert res.rate("CHN", 2024) == pytest.approx((7.5 + 5 + 0.35) / 85)
    assert res.rate("VNM", 2024) == pytest.approx(0.01)
    assert res.rate("CHN", 2024, "TOTAL") == res.rate("CHN", 2024)


def test_coverage_by_wave(flows: Store) -> None:
    t = tariff_wave_coverage(flows, partner="CHN", base_year=2017).tidy().set_index("measure")
    # List 3 lines fall in 854231 and 940360: 60 + 40 of China's 130
    assert t.loc["301_list3", "covered_usd"] == 100.0
    assert t.loc["301_list3", "coverage"] == pytest.approx(100 / 130)
    assert t.loc["any", "products"] == 2


def test_decoupling_split_by_exposure(flows: Store) -> None:
    res = decoupling(flows, level=6, base_year=2017)
    # exposed: 100/150 → 50/160; not exposed: 30/100 → 35/100
    assert res.change(2024, EXPOSED) == pytest.approx(100 * (50 / 160 - 100 / 150))
    assert res.change(2024, NOT_EXPOSED) == pytest.approx(5.0)
    t = res.tidy().set_index(["exposure", "year"])
    assert t.loc[(EXPOSED, 2024), "value_index"] == pytest.approx(0.5)
    assert "by tariff exposure" in res.title


def test_decoupling_without_lists_says_so(store: Store) -> None:
    write_flows(
        store,
        [
            {"year": y, "partner": p, "product_code": "854231", "value_usd": v}
            for y in (2017, 2024)
            for p, v in (("CHN", 1.0), ("WLD", 2.0))
        ],
    )
    res = decoupling(store, level=6)
    assert set(res.tidy()["exposure"]) == {"exposure unknown"}
    assert any("no exposure split" in n for n in res.notes)


def test_rerouting_direction_magnitude_and_caveats(flows: Store) -> None:
    res = rerouting(flows, base_year=2017, end_year=2024)
    t = res.tidy().set_index("partner")
    assert list(t.index) == ["CHN", "VNM", "MEX"]
    assert t.loc["CHN", "change_usd"] == -50.0 and t.loc["CHN", "direction"] == "down"
    assert t.loc["VNM", "change_pp"] == pytest.approx(100 * (50 / 160 - 15 / 150))
    assert t.loc["MEX", "change_pp"] == pytest.approx(100 * (30 / 160 - 15 / 150))
    assert t.loc["VNM", "growth"] == pytest.approx(50 / 15 - 1)
    assert "missing: no VNM-reported imports from CHN" in t.loc["VNM", "imports_from_chn_growth"]
    assert any("TWN, KOR, IND, THA, MYS" in n for n in res.notes)
    # with mirror data (Vietnam's imports from China) the growth is reported instead
    write_flows(
        flows,
        [
            {
                "reporter": "VNM",
                "partner": "CHN",
                "year": y,
                "product_code": "TOTAL",
                "value_usd": v,
            }
            for y, v in ((2017, 50.0), (2024, 80.0))
        ],
        location="vnm.csv",
    )
    t = rerouting(flows, base_year=2017, end_year=2024).tidy().set_index("partner")
    assert t.loc["VNM", "imports_from_chn_growth"] == "+60.0% (all goods)"
    # China's exports to Vietnam by product (as BACI records them): the same products come first
    rows = [
        {"reporter": "CHN", "partner": "VNM", "flow": "export", "year": y, "product_code": k,
         "value_usd": v}
        for y, k, v in CHN_TO_VNM
    ]  # fmt: skip
    write_flows(flows, rows, location="chn_exports.csv")
    t = rerouting(flows, base_year=2017, end_year=2024).tidy().set_index("partner")
    assert t.loc["VNM", "imports_from_chn_growth"] == (
        "+60.0% (same products, CHN-reported exports)"  # (150 + 90) / (100 + 50) − 1
    )
    assert t.loc["MEX", "imports_from_chn_growth"].startswith("missing: no MEX-reported")


def test_mirror_gap_needs_both_sides(flows: Store) -> None:
    with pytest.raises(NoDataError, match="No USA-reported imports"):
        mirror_gaps(flows)  # the fixture has products only, no all-goods totals
    sides = (("USA", "CHN", "import", 563.2), ("CHN", "USA", "export", 479.3))
    for n, (r, p, f, v) in enumerate(sides):
        write_flows(
            flows,
            [
                {
                    "reporter": r,
                    "partner": p,
                    "flow": f,
                    "year": 2018,
                    "product_code": "TOTAL",
                    "value_usd": v,
                }
            ],
            location=f"t{n}.csv",
        )
        if n == 0:
            with pytest.raises(NoDataError, match="No CHN-reported exports"):
                mirror_gaps(flows)
    t = mirror_gaps(flows).tidy()
    assert t["gap_usd"].iloc[0] == pytest.approx(83.9)
    assert t["ratio"].iloc[0] == pytest.approx(563.2 / 479.3)


def test_average_tariffs_simple_and_trade_weighted(flows: Store) -> None:
    res = average_tariffs(
        flows, ["2018-01-01", "2018-10-01"], weights=Selection(level=6, years=(2017, 2017))
    )
    t = res.tidy().set_index("date")
    jan, oct_ = t.loc["2018-01-01"], t.loc["2018-10-01"]
    assert jan["simple_pct"] == pytest.approx(5 / 3)
    assert oct_["simple_pct"] == pytest.approx((10 + 15 + 0) / 3)
    # weights: China's 2017 imports 60 (854231), 40 (940360), 30 (847130)
    assert jan["trade_weighted_pct"] == pytest.approx(5 * 40 / 130)
    assert oct_["trade_weighted_pct"] == pytest.approx((10 * 60 + 15 * 40) / 130)
    assert "lists.csv" in res.source
    spec = str(res.plot().to_dict())
    assert "step-after" in spec
