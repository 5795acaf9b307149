"""Applied tariff (MFN + measures in force) on fixture schedules, around each wave date."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techties.charts import to_svg
from techties.errors import ConfigError, NoDataError
from techties.indicators.tariffs import applied_tariff, china_average_tariff, measures_in_force
from techties.store import Store
from techties.store.ingest import ingest_files

FIX = Path(__file__).resolve().parent / "fixtures" / "tariffs"


@pytest.fixture()
def us_store(store: Store) -> Store:
    ingest_files(store, "usitc_tariffs", [FIX / "hts_2018_revision_1_csv.csv"])
    ingest_files(store, "section301", [FIX / "China-Tariffs.xlsx"])
    return store


def rate(store: Store, code: str, partner: str, day: str, **kw: object) -> float:
    t = applied_tariff(store, code, partner, day, **kw).tidy()  # type: ignore[arg-type]
    assert len(t) == 1
    return float(t.applied_pct.iloc[0])


@pytest.mark.parametrize(
    ("code", "day", "expected"),
    [
        ("28459000", "2018-07-05", 0.0),
        ("28459000", "2018-07-06", 25.0),  # List 1
        ("27101930", "2018-08-22", 0.0),
        ("27101930", "2018-08-23", 25.0),  # List 2
        ("84715001", "2018-09-23", 0.0),
        ("84715001", "2018-09-24", 10.0),  # List 3
        ("84715001", "2019-05-09", 10.0),
        ("84715001", "2019-05-10", 25.0),  # step to 25
        ("01013000", "2019-08-31", 6.8),
        ("01013000", "2019-09-01", 21.8),  # 4A: 6.8 + 15
        ("01013000", "2020-02-13", 21.8),
        ("01013000", "2020-02-14", 14.3),  # Phase One 7.5
        ("61102020", "2020-06-30", 16.5),  # List 4B suspended: MFN only
    ],
)
def test_applied_tariff_on_china_around_each_wave(
    us_store: Store, code: str, day: str, expected: float
) -> None:
    assert rate(us_store, code, "CHN", day) == pytest.approx(expected)


def test_other_partners_pay_mfn_only(us_store: Store) -> None:
    assert rate(us_store, "01013000", "VNM", "2019-09-01") == pytest.approx(6.8)


def test_vectorised_grid_and_hs6_simple_mean(us_store: Store) -> None:
    res = applied_tariff(us_store, None, ["CHN", "DEU"], ["2019-05-09", "2019-05-10"]).tidy()
    assert len(res) == 8 * 2 * 2
    hs6 = applied_tariff(us_store, ["847150", "940370"], "CHN", "2019-06-30", level=6).tidy()
    got = dict(zip(hs6.product_code, hs6.applied_pct, strict=True))
    # 9403.70.80 is covered only at 10 digits (9403.70.8002): partial, not added to the HTS8
    assert got == {"847150": 25.0, "940370": 0.0}
    assert set(hs6.lines) == {1}


def test_measures_in_force_lists_references_and_partial_lines(us_store: Store) -> None:
    m = measures_in_force(us_store, "9403.70.80", "CHN", "2019-06-30")
    assert list(m.measure) == ["MFN", "301_list3"]
    assert bool(m.partial.iloc[1]) and m.measure_code.iloc[1] == "9403708002"
    assert m.legal_reference.iloc[1] == "9903.88.04; 84 FR 20459 (9 May 2019)"


def test_no_schedule_and_bad_inputs_raise_typed_errors(store: Store, us_store: Store) -> None:
    with pytest.raises(NoDataError):
        applied_tariff(us_store, "8471", "CHN", "2017-06-30")  # before the 2018 schedule
    with pytest.raises(ConfigError, match="not a date"):
        applied_tariff(us_store, "8471", "CHN", "30/06/2019")
    with pytest.raises(ConfigError, match="not an ISO3 code"):
        applied_tariff(us_store, "8471", "China", "2019-06-30")
    with pytest.raises(ConfigError, match="level"):
        applied_tariff(us_store, "8471", "CHN", "2019-06-30", level=7)


def test_china_average_tariff_weights_hs8_by_us_imports(store: Store) -> None:
    ingest_files(store, "china_retaliation", [FIX / "bown-jung-zhang-small.xlsx"])
    ingest_files(store, "bjz_imports", [FIX / "bown-jung-zhang-small.xlsx"])
    res = china_average_tariff(store, ["2018-01-01", "2018-07-06", "2019-06-01"]).tidy()
    # weights (000 USD): soy 1000 (MFN 3), pork 100 (12), car 500 (25), computers 400 (8)
    us = dict(zip(res.date.astype(str), res.toward_us_pct, strict=True))
    oth = dict(zip(res.date.astype(str), res.toward_others_pct, strict=True))
    w = 2000.0
    assert us["2018-01-01"] == pytest.approx((3 * 1000 + 12 * 100 + 25 * 500 + 8 * 400) / w)
    # 07-06: soy 28, pork 12 + 25 (232), car 15 + 25, computers 8
    assert us["2018-07-06"] == pytest.approx((28 * 1000 + 37 * 100 + 40 * 500 + 8 * 400) / w)
    # 2019-06-01: car suspended (15), computers 6 + 10 (both HS10 lines, simple mean)
    assert us["2019-06-01"] == pytest.approx((28 * 1000 + 37 * 100 + 15 * 500 + 16 * 400) / w)
    assert oth["2019-06-01"] == pytest.approx((3 * 1000 + 12 * 100 + 15 * 500 + 6 * 400) / w)
    result = china_average_tariff(store, ["2018-01-01", "2018-07-06", "2019-06-01"])
    assert "2017 imports from the US" in result.summary()
    svg = to_svg(result.plot())
    assert "<svg" in svg and "Toward the US (techties)" in svg and "BJZ 2019" in svg


def test_cli_tariff_prints_measures_with_references(us_store: Store) -> None:
    from techties.cli.main import app

    path = us_store.path
    us_store.close()
    runner = CliRunner()
    out = runner.invoke(
        app,
        ["tariff", "8471.50.01", "--partner", "CHN", "--on", "2019-06-30", "--store", path, "--json"],
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["measure"], r["rate_pct"]) for r in rows] == [("MFN", 0.0), ("301_list3", 25.0)]
    assert rows[1]["legal_reference"].startswith("9903.88.03")
    text = runner.invoke(app, ["tariff", "0101.30", "--on", "2019-09-01", "--store", path])
    assert text.exit_code == 0 and "applied 21.8%" in text.output


def test_cli_tariff_events_filters_by_imposer_and_date(us_store: Store) -> None:
    from techties.cli.main import app

    path = us_store.path
    us_store.close()
    out = CliRunner().invoke(
        app,
        ["tariff-events", "--reporter", "USA", "--since", "2019-05-01", "--store", path, "--json"],
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["measure"], r["start_date"], r["mean_rate_pct"]) for r in rows] == [
        ("301_list3", "2019-05-10", 25.0),
        ("301_list4a", "2019-09-01", 15.0),
        ("301_list4b", "2019-12-15", 15.0),
        ("301_list4a", "2020-02-14", 7.5),
    ]
    assert rows[2]["status"] == "suspended"
