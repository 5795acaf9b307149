"""UN Comtrade and USITC DataWeb sources: API JSON, bulk CSV, R/Parquet containers, download."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest

from conftest import FIXTURES
from techties.errors import ConfigError, SourceFormatError, UnknownCodeError
from techties.sources import get_source

API = FIXTURES / "comtrade" / "api-842-156-2018.json"
BULK = FIXTURES / "comtrade" / "TradeData_USA_China.csv"
USITC = FIXTURES / "usitc" / "us_taiwan_usitc.csv"


def test_api_json() -> None:
    t = get_source("comtrade").read(API).to_pandas()
    assert list(t.product_code) == ["TOTAL", "010619", "TOTAL"]
    assert list(t.product_level) == [0, 6, 0] and list(t.flow) == ["import", "import", "export"]
    assert list(t.value_basis) == ["CIF", "CIF", "FOB"] and set(t.vintage) == {"HS2017"}
    assert t.loc[0, "value_usd"] == 563_202_867_952 and pd.isna(t.loc[0, "quantity"])
    assert (t.loc[1, "quantity"], t.loc[1, "quantity_unit"]) == (120.0, "u")


def test_bulk_csv_with_trailing_comma() -> None:
    t = get_source("comtrade").read(BULK).to_pandas()
    assert len(t) == 3 and list(t.reporter.unique()) == ["USA"] and set(t.year) == {2017}
    assert t.loc[2, "product_code"] == "020130" and t.loc[2, "quantity_unit"] == "kg"
    assert t.loc[1, "value_usd"] == 129e9


def test_comtradr_snake_case_in_parquet(tmp_path: Path) -> None:
    """comtradr writes snake_case names (e.g. in the .rds files); same reader."""
    df = pd.read_csv(BULK, dtype=str, index_col=False)
    snake = {
        "refYear": "ref_year",
        "reporterISO": "reporter_iso",
        "partnerISO": "partner_iso",
        "flowCode": "flow_code",
        "classificationCode": "classification_code",
        "cmdCode": "cmd_code",
        "primaryValue": "primary_value",
        "qtyUnitAbbr": "qty_unit_abbr",
    }
    df = df[list(snake)].rename(columns=snake)
    df["primary_value"] = df["primary_value"].astype(float)
    p = tmp_path / "us_china.parquet"
    df.to_parquet(p)
    t = get_source("comtrade").read(p).to_pandas()
    assert t.value_usd.tolist() == [525e9, 129e9, 9000.0] and set(t.year) == {2017}


def test_unknown_flow_code_counts(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text(API.read_text().replace('"flowCode":"M"', '"flowCode":"MIP"'))
    with pytest.raises(UnknownCodeError) as err:
        get_source("comtrade").read(p)
    assert err.value.counts == {"MIP": 2} and err.value.column == "flowCode"


def test_download_needs_key_and_sends_params(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TECHTIES_COMTRADE_KEY", raising=False)
    with httpx.Client() as client, pytest.raises(ConfigError, match="subscription key"):
        get_source("comtrade").download(tmp_path, years=[2018], client=client)
    monkeypatch.setenv("TECHTIES_COMTRADE_KEY", "k123")
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, content=API.read_bytes())

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        files = get_source("comtrade").download(tmp_path, years=[2018], client=client)
    url = seen[0]
    assert (url.host, url.path) == ("comtradeapi.un.org", "/data/v1/get/C/A/HS")
    assert url.params["subscription-key"] == "k123" and url.params["period"] == "2018"
    assert url.params["reporterCode"] == "842" and url.params["partnerCode"] == "156"
    assert get_source("comtrade").read(files[0]).num_rows == 3


def test_usitc_dataweb_drops_total_rows_keeps_codes() -> None:
    t = get_source("usitc_dataweb").read(USITC).to_pandas()
    assert list(t.product_code) == ["010129", "847130", "854231"]
    assert set(t.partner) == {"TWN"} and t.value_usd.sum() == 90_341_067.0
    assert list(t.vintage) == ["HS2012", "HS2022", "HS2022"]


def test_usitc_needs_partner(tmp_path: Path) -> None:
    p = tmp_path / "dataweb_export.csv"
    p.write_bytes(USITC.read_bytes())
    with pytest.raises(SourceFormatError, match="partner country"):
        get_source("usitc_dataweb").read(p)
