"""Census trade API source: fixture parsing, other containers, download, country table."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd
import pytest

from conftest import FIXTURES, shared
from techties.errors import SourceFormatError, UnknownCodeError
from techties.sources import get_source
from techties.sources.countries import CENSUS_TO_ISO3
from techties.store import Store
from techties.store.ingest import ingest_files

IMPORTS = FIXTURES / "census" / "imports-hs10-2024.json"
EXPORTS = FIXTURES / "census" / "exports-hs6-2024-03.json"


def test_imports_json_gives_both_value_bases_with_duties() -> None:
    t = get_source("census").read(IMPORTS).to_pandas()
    assert len(t) == 10  # 5 rows x (consumption, general)
    cons = t[t.value_basis == "customs_consumption"].set_index("product_code")
    row = cons.loc["0106199120"]
    assert (row.partner, row.year, row.value_usd, row.duties_usd) == ("CHN", 2024, 17300.0, 1299.0)
    assert pd.isna(row.month) and row.product_level == 10 and row.classification == "HTS"
    assert row.quantity == 40 and row.quantity_unit == "NO" and row.vintage == "HTS2024"
    assert cons.loc["2204215060"].partner == "EUN"
    gen = t[t.value_basis == "customs_general"]
    assert gen.duties_usd.isna().all() and gen.value_usd.sum() == 7_327_300


def test_monthly_exports_json() -> None:
    t = get_source("census").read(EXPORTS).to_pandas()
    assert list(t.partner) == ["CHN", "CAN", "WLD"]
    assert set(t.flow) == {"export"} and set(t.month) == {3} and set(t.value_basis) == {"FAS"}
    assert t.loc[0, "quantity"] == 3e9 and t.loc[0, "vintage"] == "HS2022"


def test_same_columns_in_parquet(tmp_path: Path) -> None:
    rows = json.loads(IMPORTS.read_text())
    df = pd.DataFrame(rows[1:], columns=rows[0])
    df["time"] = pd.Timestamp("2024-12-01")  # the staged HS10 files store a timestamp
    p = tmp_path / "2024-hs10-imports5700.parquet"
    df.to_parquet(p)
    assert get_source("census").read(p).num_rows == 10


def test_year_to_date_before_december_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "ytd.json"
    p.write_text(IMPORTS.read_text().replace("2024-12", "2024-06"))
    with pytest.raises(SourceFormatError, match="year-to-date") as err:
        get_source("census").read(p)
    assert err.value.row == 2 and err.value.column == "time"


def test_unknown_country_code_reports_counts(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text(IMPORTS.read_text().replace('"5700"', '"9999"'))
    with pytest.raises(UnknownCodeError) as err:
        get_source("census").read(p)
    assert err.value.counts == {"9999": 2} and err.value.column == "CTY_CODE"


def test_download_builds_official_urls(tmp_path: Path) -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        body = IMPORTS if "imports" in request.url.path else EXPORTS
        text = body.read_text().replace("2024-03", "2024-12").replace("_MO", "_YR")
        return httpx.Response(200, text=text)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        files = get_source("census").download(tmp_path, years=[2024], client=client)
    assert [u.path for u in seen] == [
        "/data/timeseries/intltrade/imports/hs",
        "/data/timeseries/intltrade/exports/hs",
    ]
    assert seen[0].host == "api.census.gov"
    assert seen[0].params["time"] == "2024-12" and seen[0].params["COMM_LVL"] == "HS6"
    assert "CAL_DUT_YR" in seen[0].params["get"] and "ALL_VAL_YR" in seen[1].params["get"]
    assert get_source("census").read(files[0]).num_rows == 10
    assert get_source("census").read(files[1]).num_rows == 3


def test_download_http_error_is_fetch_error(tmp_path: Path) -> None:
    from techties.errors import FetchError

    transport = httpx.MockTransport(lambda r: httpx.Response(500))
    with httpx.Client(transport=transport) as client, pytest.raises(FetchError, match="500"):
        get_source("census").download(tmp_path, years=[2024], client=client)


def test_country_table_agrees_with_staged_mapping() -> None:
    staged = pd.read_csv(
        shared("trade-flows", "us-imports-hs10-2024", "CensusCountryMapping_FRBAtl_short.csv"),
        dtype=str,
    ).dropna(subset=["CTY_CODE"])
    both = staged[staged.CTY_CODE.isin(CENSUS_TO_ISO3)]
    assert len(both) >= 220
    disagree = {
        c: (i, CENSUS_TO_ISO3[c])
        for c, i in zip(both.CTY_CODE, both.ISO3, strict=True)
        if CENSUS_TO_ISO3[c] != i
    }
    assert disagree == {}


def test_naics_and_tradewar_layouts(tmp_path: Path, store: Store) -> None:
    naics = pd.DataFrame(
        {
            "NAICS": ["00", "334", "334"],
            "imports": [10.0, 6.0, 4.0],
            "duty": [1.0, 0.5, 0.0],
            "itariff": [0.1, 0.083, 0.0],
            "CTY_NAME": ["CHINA", "CHINA", "TOTAL FOR ALL COUNTRIES"],
            "NAICS_SDESC": ["ALL", "COMPUTER", "COMPUTER"],
            "time": pd.to_datetime(["2019-01-01"] * 3),
        }
    ).set_index(["CTY_NAME", "NAICS_SDESC", "time"])
    p = tmp_path / "top30-NAICS-imports.parquet"
    naics.to_parquet(p)
    t = get_source("census_naics_monthly").read(p).to_pandas()
    assert list(t.product_code) == ["TOTAL", "334", "334"] and list(t.product_level) == [0, 3, 3]
    assert list(t.partner) == ["CHN", "CHN", "WLD"] and set(t.month) == {1}
    csv = tmp_path / "imports_by_naics.csv"
    csv.write_text(
        "time,naics3,tariff_trd_w_avg,total_trade,china_trade\n2018-07-01,334,1.5,1000.0,400.0\n"
    )
    ingest_files(store, "tradewar_naics", [csv])
    got = store.df("SELECT partner, value_usd, flow, month FROM trade_flows ORDER BY partner")
    assert got.values.tolist() == [["CHN", 400.0, "import", 7], ["WLD", 1000.0, "import", 7]]
