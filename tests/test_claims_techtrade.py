"""Claims 2 and 13 on small stores built by the real readers (fixtures in the official layouts)
and by store.write, including data that contradict each claim."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from techties.claims import check_claim
from techties.claims.checkers import controls
from techties.store import Store
from techties.store.ingest import ingest_files
from test_claims_helpers import flows, write_rows

FIX = FIXTURES / "techtrade"
CLAIM2, CLAIM13 = "china-hightech-relies-on-imports", "controls-slowed-chip-access"


@pytest.fixture(autouse=True)
def _no_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))


def _wiod(store: Store, rows: list[tuple[str, str, int, float, float]]) -> int:
    out = []
    for exporter, importer, year, gross, dva in rows:
        for code, value in (("wiod:EXGR", gross), ("wiod:DVA", dva)):
            out.append({
                "source": "wiod_dva", "indicator": code, "name": code, "unit": "USD million",
                "country": exporter, "country_label": exporter, "partner": importer,
                "partner_label": importer, "year": year, "value": value, "flag": None,
            })  # fmt: skip
    return write_rows(store, "indicators", out)


def _components(store: Store, us: float, world: float, year: int = 2023) -> int:
    rows = [
        {"reporter": "CHN", "partner": p, "flow": "import", "year": year, "product_code": code,
         "value_usd": v / 2}
        for p, v in (("USA", us), ("WLD", world))
        for code in ("8541", "8542")
    ]  # fmt: skip
    return write_rows(store, "trade_flows", flows(rows))


# -- claim 2 -------------------------------------------------------------------------------
def test_claim2_mixed_from_the_wiod_file_without_component_data(store: Store) -> None:
    ingest_files(store, "wiod_dva", [FIX / "dva_gtrade_small.dta"])
    v = check_claim(store, CLAIM2)
    assert v.status == "mixed"
    # 2014: (400 + 100 − 330 − 85) / (400 + 100) = 17 %; the CHN→CHN row is excluded
    assert v.figure("fva_pct") == pytest.approx(17.0)
    assert v.figure("fva_first_pct") == pytest.approx(20.0)
    assert v.figure("fva_usd_bn") == pytest.approx(0.085)
    assert "not in the store" in v.rationale and v.chart is not None
    assert v.provenance_ids == [int(store.provenance()["id"].iloc[0])]


def test_claim2_supported_with_a_us_component_share(store: Store) -> None:
    pid = _wiod(store, [("CHN", "USA", 2014, 100.0, 80.0)])
    cid = _components(store, us=12e9, world=100e9)
    v = check_claim(store, CLAIM2)
    assert v.status == "supported"
    assert v.figure("fva_pct") == pytest.approx(20.0)
    assert v.figure("us_component_pct") == pytest.approx(12.0)
    assert v.provenance_ids == sorted([pid, cid])


def test_claim2_mixed_when_the_us_share_is_small(store: Store) -> None:
    _wiod(store, [("CHN", "USA", 2014, 100.0, 80.0)])
    _components(store, us=5e9, world=100e9)
    v = check_claim(store, CLAIM2)
    assert v.status == "mixed" and v.figure("us_component_pct") == pytest.approx(5.0)


def test_claim2_contradicted_when_foreign_content_is_low(store: Store) -> None:
    _wiod(store, [("CHN", "USA", 2014, 100.0, 90.0), ("CHN", "JPN", 2014, 100.0, 92.0)])
    _components(store, us=30e9, world=100e9)
    v = check_claim(store, CLAIM2)
    assert v.status == "contradicted"
    assert v.figure("fva_pct") == pytest.approx(9.0)


def test_claim2_unverifiable_without_value_added_data(store: Store) -> None:
    v = check_claim(store, CLAIM2)
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "dva_gtrade.dta" in v.missing


# -- claim 13 ------------------------------------------------------------------------------
def test_claim13_supported_from_the_taiwan_customs_file(store: Store) -> None:
    ingest_files(store, "taiwan_customs", [FIX / "taiwan_exports_by_country_small.csv"])
    v = check_claim(store, CLAIM13)
    assert v.status == "supported"
    assert v.figure("share_base") == pytest.approx(58.05)  # (400.5 + 180) / 1,000
    assert v.figure("share_last") == pytest.approx(40.0)
    assert v.figure("value_last") == pytest.approx(400 / 1e9)
    assert len(v.provenance_ids) == 1


def test_claim13_contradicted_and_partial_year_left_out(store: Store, tmp_path: Path) -> None:
    # 2022: 58 % to mainland + HK; 2024: 70 %; 2025 is partial (700 of 1,000) with 50 %
    head = "\ufeffYear,Country,HS Code,Description,Export Value (USD)\n"
    cells = [(2022, "中國大陸", 400), (2022, "香港", 180), (2022, "美國", 420),
             (2024, "中國大陸", 600), (2024, "香港", 100), (2024, "美國", 300),
             (2025, "中國大陸", 350), (2025, "美國", 350)]  # fmt: skip
    text = head + "".join(f"{y},{c},85423100002, Processors,{v}\n" for y, c, v in cells)
    f = tmp_path / "taiwan_exports_by_country_rising.csv"
    f.write_text(text, "utf-8")
    ingest_files(store, "taiwan_customs", [f])
    v = check_claim(store, CLAIM13)
    assert v.status == "contradicted"
    assert v.figure("share_last") == pytest.approx(70.0)
    assert "2025 left out as a partial year" in v.rationale
    assert controls.PARTIAL_YEAR_FRACTION == 0.8


def test_taiwan_source_is_seen_by_the_checker() -> None:
    assert controls._taiwan_reader()


# -- claim 8: observed context beside the GE rule ---------------------------------------------
def test_claim8_context_is_the_allies_chip_exports_to_the_world(store: Store) -> None:
    from techties.claims.checkers import ge

    rows = [
        {"source": "comtrade_latin1", "reporter": c, "partner": "WLD", "flow": "export", "year": y,
         "product_code": "8542", "value_usd": v}
        for c, base, last in (("JPN", 100.0, 90.0), ("KOR", 100.0, 120.0), ("NLD", 50.0, 25.0))
        for y, v in ((2022, base), (2024, last))
    ]  # fmt: skip
    rows.append({"source": "comtrade", "reporter": "JPN", "partner": "WLD", "flow": "export",
                 "year": 2025, "product_code": "8542", "value_usd": 1.0})  # fmt: skip
    pid = write_rows(store, "trade_flows", flows(rows))
    figs, ids, note = ge._ally_chip_exports(store)
    got = {f.key: f.value for f in figs}
    assert got == pytest.approx(
        {
            "JPN_chip_exports_world_change": -10.0,
            "KOR_chip_exports_world_change": 20.0,
            "NLD_chip_exports_world_change": -50.0,
        }
    )  # fmt: skip  (2025 has only Japan, so 2024 is the last year all three report)
    assert ids == [pid] and "not part of the rule" in note and "2022 to 2024" in note


def test_claim8_context_absent_without_2022(store: Store) -> None:
    from techties.claims.checkers import ge

    assert ge._ally_chip_exports(store) == ([], [], "")
