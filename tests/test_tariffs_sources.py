"""Tariff source readers on small fixtures in the official layouts, and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techties.errors import FetchError, SourceFormatError
from techties.sources import get_source
from techties.sources.usitc_tariffs import parse_general_rate
from techties.store import Store
from techties.store.ingest import ingest_files

FIX = Path(__file__).resolve().parent / "fixtures" / "tariffs"


def rows(source: str, name: str) -> list[dict]:
    return get_source(source).read(FIX / name).to_pylist()


def test_hts_export_mfn_lines_rates_and_specific_flags() -> None:
    got = {r["product_code"]: r for r in rows("usitc_tariffs", "hts_2018_revision_1_csv.csv")}
    # 10-digit-only line 0101.30.00.00 gives its HTS8; chapter 99 is not a product line
    assert sorted(got) == [
        "01013000",
        "01022920",
        "20011110",
        "27101930",
        "28459000",
        "61102020",
        "84715001",
        "94037080",
    ]
    assert got["01013000"]["rate_pct"] == 6.8 and not got["01013000"]["specific_rate"]
    assert got["01022920"]["rate_pct"] == 0.0 and got["01022920"]["specific_rate"]
    assert got["20011110"]["rate_pct"] == 5.0 and got["20011110"]["specific_rate"]
    assert got["01013000"]["start_date"] == dt.date(2018, 1, 1)
    assert got["01013000"]["vintage"] == "HTS2018" and got["01013000"]["target"] == "ALL"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Free", (0.0, False)),
        ("6.8%", (6.8, False)),
        ("4.4¢/kg", (0.0, True)),
        ("2.8¢/kg + 5%", (5.0, True)),
        ("", (None, False)),
        ("Free (A+,AU)", (0.0, False)),
    ],
)
def test_parse_general_rate(text: str, expected: tuple[float | None, bool]) -> None:
    assert parse_general_rate(text) == expected


def test_annual_database_restores_zeros_flags_specific_and_placeholders() -> None:
    got = {r["product_code"]: r for r in rows("usitc_tariffs", "tariff_database_2017.xlsx")}
    assert set(got) == {"01013000", "01022940", "17019110"}
    assert got["01013000"]["rate_pct"] == pytest.approx(6.8)
    assert got["01013000"]["end_date"] is None  # 2050-12-31 = open
    assert got["01022940"]["specific_rate"] and got["01022940"]["rate_pct"] == 0.0
    assert got["17019110"]["rate_pct"] is None  # 9999.999999 placeholder, not 999999.9 %
    assert got["17019110"]["end_date"] == dt.date(2017, 6, 30)


def test_china_tariffs_table_restores_excel_dates_and_expands_schedules() -> None:
    data = rows("section301", "China-Tariffs.xlsx")
    by = {(r["product_code"], r["start_date"]): r for r in data}
    # Excel turned 2001.11.10 into 10 Nov 2001; restored
    assert ("20011110", dt.date(2018, 9, 24)) in by
    l3 = [r for r in data if r["product_code"] == "84715001"]
    assert [(r["rate_pct"], r["start_date"], r["end_date"]) for r in l3] == [
        (10.0, dt.date(2018, 9, 24), dt.date(2019, 5, 9)),
        (25.0, dt.date(2019, 5, 10), None),
    ]
    assert l3[0]["legal_reference"].startswith("9903.88.03")
    l4a = [r for r in data if r["product_code"] == "01013000"]
    assert [(r["rate_pct"], r["end_date"]) for r in l4a] == [
        (15.0, dt.date(2020, 2, 13)),
        (7.5, None),
    ]
    l4b = [r for r in data if r["product_code"] == "61102020"]
    assert l4b[0]["status"] == "suspended"
    ten = [r for r in data if r["product_code"] == "9403708002"]
    assert ten and ten[0]["product_level"] == 10 and ten[0]["measure"] == "301_list3"
    assert {r["measure"] for r in data} == {
        "301_list1",
        "301_list2",
        "301_list3",
        "301_list4a",
        "301_list4b",
    }


def test_china_tariffs_unknown_heading_names_row_column_and_choices() -> None:
    with pytest.raises(SourceFormatError) as exc:
        rows("section301", "China-Tariffs-bad-heading.xlsx")
    e = exc.value
    assert e.row == 9 and e.column == "B" and "9903.88.99" in str(e) and "9903.88.01" in str(e)


def test_china_tariffs_bad_code_names_row() -> None:
    with pytest.raises(SourceFormatError) as exc:
        rows("section301", "China-Tariffs-bad-code.xlsx")
    assert exc.value.row == 9 and "84A1.50.01" in str(exc.value)


def test_hts_export_bad_code_reports_row_and_column() -> None:
    with pytest.raises(SourceFormatError) as exc:
        rows("usitc_tariffs", "hts_2018_revision_9_csv.csv")
    assert exc.value.row == 3 and exc.value.column == "HTS Number"
    assert "01A1300000" in str(exc.value)


def test_bjz_tracks_mfn_and_retaliation_periods() -> None:
    data = rows("china_retaliation", "bown-jung-zhang-small.xlsx")
    car = [
        (r["measure"], r["rate_pct"], r["start_date"], r["end_date"])
        for r in data
        if r["product_code"] == "8703231410"
    ]
    assert car == [
        ("MFN", 25.0, dt.date(2018, 1, 1), dt.date(2018, 6, 30)),
        ("MFN", 15.0, dt.date(2018, 7, 1), None),
        ("retaliation_301_34b", 25.0, dt.date(2018, 7, 6), dt.date(2018, 12, 31)),
    ]
    pc = [
        (r["measure"], r["rate_pct"], r["start_date"], r["end_date"])
        for r in data
        if r["product_code"] == "8471500000" and r["measure"] != "MFN"
    ]
    assert pc == [
        ("retaliation_301_60b", 5.0, dt.date(2018, 9, 24), dt.date(2019, 5, 31)),
        ("retaliation_301_60b", 10.0, dt.date(2019, 6, 1), None),
    ]
    pork = [r for r in data if r["product_code"] == "0203110010" and r["measure"] != "MFN"]
    assert pork[0]["measure"] == "retaliation_232" and "[2018] No. 13" in pork[0]["legal_reference"]
    assert {r["target"] for r in data if r["kind"] == "mfn"} == {"ALL"}
    assert {r["imposer"] for r in data} == {"CHN"}


def test_bjz_bad_number_names_row_and_column() -> None:
    with pytest.raises(SourceFormatError) as exc:
        rows("china_retaliation", "bown-jung-zhang-bad.xlsx")
    assert exc.value.row == 5 and str(exc.value.column).startswith("June 1, 2019")


def test_mofcom_annex_bad_code_reports_row() -> None:
    with pytest.raises(SourceFormatError) as exc:
        rows("china_retaliation", "P020180401856022545193.xlsx")
    assert exc.value.row == 8 and "7602000" in str(exc.value)


def test_failed_ingest_leaves_store_unchanged(store: Store) -> None:
    ingest_files(store, "usitc_tariffs", [FIX / "hts_2018_revision_1_csv.csv"])
    before = store.count("tariff_measures"), len(store.provenance())
    with pytest.raises(SourceFormatError):
        ingest_files(
            store,
            "section301",
            [FIX / "China-Tariffs.xlsx", FIX / "China-Tariffs-bad-heading.xlsx"],
        )
    assert (store.count("tariff_measures"), len(store.provenance())) == before


def test_ustr_lists_missing_frame_is_named(tmp_path: Path) -> None:
    pyreadr = pytest.importorskip("pyreadr")
    import pandas as pd

    path = tmp_path / "tariff_list.rdata"
    frames = {
        "df_list_34b": pd.DataFrame({"trf_34b": [True, True], "hs8": ["99038801", "28459000"]}),
        "df_list_16b": pd.DataFrame({"trf_16b": [True], "hs8": ["27101930"]}),
        "df_list_200b": pd.DataFrame({"trf_200b": [True], "hs8": ["84715001"]}),
        "df_list_300b_a": pd.DataFrame({"trf_300b_a": [True], "hs8": ["01013000"]}),
        "df_list_300b_c": pd.DataFrame({"trf_300b_c": [True], "hs8": ["61102020"]}),
    }
    # pyreadr writes one data frame per file: a file holding only List 1 lacks the other four
    pyreadr.write_rdata(str(path), frames["df_list_34b"], df_name="df_list_34b")
    with pytest.raises(SourceFormatError, match="df_list_16b"):
        get_source("section301").read(path)


def test_usitc_download_extracts_the_annual_database(tmp_path: Path) -> None:
    import io
    import zipfile

    import httpx

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("tariff_database_2017.xlsx", (FIX / "tariff_database_2017.xlsx").read_bytes())
        zf.writestr("td-fields.pdf", b"%PDF")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "2017" in str(request.url):
            return httpx.Response(200, content=buf.getvalue())
        return httpx.Response(404)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    src = get_source("usitc_tariffs")
    files = src.download(tmp_path, years=[2017], client=client)
    assert [f.name for f in files] == ["tariff_database_2017.xlsx"]
    assert seen == ["https://www.usitc.gov/sites/default/files/tata/hts/tariff_data_2017.zip"]
    assert len(src.read(files[0])) == 3
    with pytest.raises(FetchError, match="HTTP 404"):
        src.download(tmp_path, years=[1990], client=client)


@pytest.mark.parametrize("name", ["section301", "gta", "china_retaliation"])
def test_sources_without_endpoint_say_where_to_get_files(name: str, tmp_path: Path) -> None:
    import httpx

    with pytest.raises(FetchError, match="no download endpoint") as exc:
        get_source(name).download(tmp_path, client=httpx.Client())
    assert exc.value.hint and "techties ingest" in exc.value.hint
