"""GTA-coded US measures: 232 steel/aluminium, exclusions, scope 'all', overrides, bad names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techties.errors import DataWarning, SourceFormatError, UnknownCodeError
from techties.indicators.tariffs import applied_tariff, measures_in_force
from techties.sources import get_source
from techties.store import Store
from techties.store.ingest import ingest_files

FIX = Path(__file__).resolve().parent / "fixtures" / "tariffs"


def test_gta_rows_measures_partners_and_override_warning() -> None:
    with pytest.warns(DataWarning, match="1 'override' intervention"):
        rows = get_source("gta").read(FIX / "measures.csv").to_pylist()
    steel = [r for r in rows if r["measure"] == "232_steel"]
    assert {(r["product_code"], r["target"]) for r in steel} == {
        ("72081000", "CHN"),
        ("72081000", "TWN"),
        ("72085100", "CHN"),
        ("72085100", "TWN"),
    }
    assert steel[0]["rate_pct"] == 25.0 and steel[0]["end_date"] == dt.date(2025, 6, 3)
    alu = [r for r in rows if r["measure"] == "232_aluminum"]
    assert alu[0]["rate_pct"] == 10.0 and alu[0]["product_level"] == 6
    cotton = [r for r in rows if r["measure"] == "gta_1"]
    assert cotton[0]["rate_pct"] is None and cotton[0]["specific_rate"]
    assert cotton[0]["rate_text"] == "-0.000715 USD/kg"
    excl = [r for r in rows if r["kind"] == "exclusion"]
    assert excl[0]["dataset"] == "gta_section_301" and excl[0]["program"] == "section_301"
    recip = [r for r in rows if r["measure"] == "ieepa_reciprocal"]
    assert {r["target"] for r in recip} == {"KOR", "VNM"} and recip[0]["product_code"] == ""


def test_gta_unknown_partner_names_reported_with_counts() -> None:
    with pytest.raises(UnknownCodeError) as exc:
        get_source("gta").read(FIX / "measures-bad-partner.csv")
    assert exc.value.counts == {"Narnia": 2} and exc.value.column == "partners"


@pytest.fixture()
def gta_store(store: Store) -> Store:
    ingest_files(store, "usitc_tariffs", [FIX / "hts_2018_revision_1_csv.csv"])
    ingest_files(store, "section301", [FIX / "China-Tariffs.xlsx"])
    with pytest.warns(DataWarning):
        ingest_files(store, "gta", [FIX / "measures.csv"])
    return store


def test_232_and_all_product_scope_enter_the_applied_tariff(gta_store: Store) -> None:
    st = gta_store
    st.con.execute(
        "INSERT INTO tariff_measures SELECT * REPLACE ('72081000' AS product_code) "
        "FROM tariff_measures WHERE product_code = '28459000' AND kind = 'mfn'"
    )  # an MFN line for the steel product (Free)
    cn = applied_tariff(st, "72081000", "CHN", "2018-06-30").tidy()
    assert cn.applied_pct.iloc[0] == 25.0 and "232_steel +25%" in cn.measures.iloc[0]
    assert applied_tariff(st, "72081000", "DEU", "2018-06-30").tidy().applied_pct.iloc[0] == 0
    assert applied_tariff(st, "72081000", "CHN", "2018-03-22").tidy().applied_pct.iloc[0] == 0
    kor = applied_tariff(st, "01013000", "KOR", "2025-05-01").tidy()
    assert kor.applied_pct.iloc[0] == pytest.approx(16.8)  # 6.8 MFN + 10 reciprocal (all goods)


def test_exclusions_listed_and_applied_only_on_request(gta_store: Store) -> None:
    st = gta_store
    ds = ["usitc_hts", "usitc_china_tariffs", "gta_section_301"]
    m = measures_in_force(st, "84715001", "CHN", "2019-06-30", datasets=ds)
    assert "301_exclusion" in set(m.measure)
    kept = applied_tariff(st, "84715001", "CHN", "2019-06-30", datasets=ds).tidy()
    # GTA's own 301 coding is not in this dataset list's 301 (the USITC table is): 25 %
    assert kept.applied_pct.iloc[0] == 25.0
    off = applied_tariff(
        st, "84715001", "CHN", "2019-06-30", datasets=ds, apply_exclusions=True
    ).tidy()
    assert off.applied_pct.iloc[0] == 0.0


def test_china_2025_lists_restore_zeros_and_rate_from_name(store: Store) -> None:
    rows = get_source("china_retaliation_2025").read(FIX / "china-10-percent-030425.csv")
    got = rows.to_pylist()
    assert [r["product_code"] for r in got] == ["10071000", "12019011", "02031110"]
    assert {r["rate_pct"] for r in got} == {10.0} and got[0]["start_date"] == dt.date(2025, 3, 10)
    with pytest.raises(SourceFormatError) as exc:
        get_source("china_retaliation_2025").read(FIX / "china-15-percent-bad.csv")
    assert exc.value.row == 2 and "0207120X" in str(exc.value)
