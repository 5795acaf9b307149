"""Semiconductor trade and value-added sources: fixtures in the official layouts, bad input, and
the catalog's published figures (CATALOG-tech.md "Published figures" 11–13, 16, 30)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest

from conftest import FIXTURES, shared
from techties.errors import SourceFormatError, UnknownCodeError
from techties.sources import get_source

FIX = FIXTURES / "techtrade"


def _df(source: str, path: Path) -> pd.DataFrame:
    return get_source(source).read(path).to_pandas()


def test_taiwan_reader_maps_chinese_names_and_keeps_usd() -> None:
    t = _df("taiwan_customs", FIX / "taiwan_exports_by_country_small.csv")
    assert len(t) == 7
    assert set(t["reporter"]) == {"TWN"} and set(t["flow"]) == {"export"}
    assert set(t["partner"]) == {"CHN", "HKG", "USA", "OTH"}
    row = t[(t["year"] == 2022) & (t["partner"] == "CHN")].iloc[0]
    assert row["product_code"] == "85423100002" and row["product_level"] == 11
    assert row["value_usd"] == pytest.approx(400.5)
    assert row["classification"] == "CCC" and row["value_basis"] == "FOB"


def test_taiwan_unknown_country_is_named_with_count(tmp_path: Path) -> None:
    bad = tmp_path / "taiwan_exports_by_country_bad.csv"
    text = (FIX / "taiwan_exports_by_country_small.csv").read_text("utf-8-sig")
    bad.write_text(text.replace("美國", "火星國"), "utf-8")
    with pytest.raises(UnknownCodeError, match="火星國") as exc:
        get_source("taiwan_customs").read(bad)
    assert "Country" in str(exc.value)


def test_taiwan_bad_value_names_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "taiwan_exports_by_country_bad.csv"
    text = (FIX / "taiwan_exports_by_country_small.csv").read_text("utf-8-sig")
    bad.write_text(text.replace(",180\n", ",1 80x\n"), "utf-8")
    with pytest.raises(SourceFormatError, match="not a number") as exc:
        get_source("taiwan_customs").read(bad)
    assert exc.value.row == 3 and exc.value.column == "Export Value (USD)"


def test_taiwan_missing_column(tmp_path: Path) -> None:
    bad = tmp_path / "taiwan_exports_by_country_bad.csv"
    bad.write_text("Year,Country,Value\n2022,美國,1\n", "utf-8")
    with pytest.raises(SourceFormatError, match="missing column 'HS Code'"):
        get_source("taiwan_customs").read(bad)


def test_comtrade_legacy_reader() -> None:
    t = _df("comtrade_legacy", FIX / "comtrade_legacy_small.csv")
    assert list(t["reporter"]) == ["JPN", "S19", "CHN"]  # blank ISO of code 490 → S19
    assert list(t["flow"]) == ["export", "export", "re-export"]
    assert list(t["vintage"]) == ["HS2017", "HS2017", "HS2012"]
    assert set(t["partner"]) == {"WLD"} and t["value_usd"].sum() == pytest.approx(1570)
    assert set(t["source"]) == {"comtrade_legacy"}


def test_tiva_reader_and_bad_unit(tmp_path: Path) -> None:
    t = _df("oecd_tiva", FIX / "oecd_tiva_exgr_fva_small.csv")
    assert set(t["indicator"]) == {"TIVA:EXGR_FVA:C26_27"}
    assert t["partner"].isna().all() and set(t["unit"]) == {"% of gross exports"}
    jpn = t[(t["country"] == "JPN") & (t["year"] == 2022)]["value"].iloc[0]
    assert jpn == pytest.approx(25.24)
    bad = tmp_path / "oecd_tiva_bad.csv"
    bad.write_text(
        (FIX / "oecd_tiva_exgr_fva_small.csv")
        .read_text()
        .replace("PT_EXGR,A,2022,25", "XX,A,2022,25")
    )
    with pytest.raises(SourceFormatError, match="unit 'XX'") as exc:
        get_source("oecd_tiva").read(bad)
    assert exc.value.row == 3 and exc.value.column == "UNIT_MEASURE"


def test_tiva_download_uses_the_sdmx_api(tmp_path: Path) -> None:
    seen: list[httpx.URL] = []
    body = (FIX / "oecd_tiva_exgr_fva_small.csv").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, content=body)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        files = get_source("oecd_tiva").download(tmp_path, years=[2017, 2022], client=client)
    assert files and files[0].read_bytes() == body
    assert "DSD_TIVA_MAINSH@DF_MAINSH" in str(seen[0]) and "EXGR_FVA" in str(seen[0])
    assert seen[0].params["startPeriod"] == "2017" and seen[0].params["endPeriod"] == "2022"


def test_wiod_reader_two_rows_per_pair_and_bad_dva(tmp_path: Path) -> None:
    t = _df("wiod_dva", FIX / "dva_gtrade_small.dta")
    assert len(t) == 10 and set(t["indicator"]) == {"wiod:EXGR", "wiod:DVA"}
    assert set(t["unit"]) == {"USD million"}
    d = pd.read_stata(FIX / "dva_gtrade_small.dta")
    d.loc[1, "dva"] = 1000.0
    bad = tmp_path / "dva_bad.dta"
    d.to_stata(bad, write_index=False, version=117)
    with pytest.raises(SourceFormatError, match="exceeds gross exports") as exc:
        get_source("wiod_dva").read(bad)
    assert exc.value.row == 3 and exc.value.column == "dva"


# -- published figures (CATALOG-tech.md) --------------------------------------------------
def test_published_taiwan_hs8542_by_destination() -> None:
    t = _df(
        "taiwan_customs", shared("tech-semiconductors", "taiwan_exports_by_country_2013_2025.csv")
    )
    assert len(t) == 9683
    tot = t.groupby("year")["value_usd"].sum() / 1e9
    chn = t[t["partner"] == "CHN"].groupby("year")["value_usd"].sum() / 1e9
    hk = t[t["partner"] == "HKG"].groupby("year")["value_usd"].sum() / 1e9
    usa = t[t["partner"] == "USA"].groupby("year")["value_usd"].sum() / 1e9
    for y, v in {2013: 62.82, 2018: 95.91, 2022: 184.14, 2024: 165.04}.items():
        assert tot[y] == pytest.approx(v, abs=0.005)
    for y, v in {2013: 13.05, 2018: 30.40, 2022: 57.55, 2023: 47.27, 2024: 48.47}.items():
        assert chn[y] == pytest.approx(v, abs=0.005)
    for y, v in {2013: 19.01, 2022: 49.20, 2024: 36.79}.items():
        assert hk[y] == pytest.approx(v, abs=0.005)
    for y, v in {2013: 1.36, 2022: 3.23, 2024: 7.40}.items():
        assert usa[y] == pytest.approx(v, abs=0.005)
    share = 100 * (chn + hk) / tot
    for y, v in {2013: 51.0, 2018: 58.0, 2020: 61.3, 2022: 58.0, 2024: 51.7}.items():
        assert share[y] == pytest.approx(v, abs=0.05)


def test_published_ic_exports_to_world() -> None:
    t = _df("comtrade_latin1", shared("tech-semiconductors", "ic_exports_world_HS8542_raw.csv"))
    assert len(t) == 1686
    x = t[t["flow"] == "export"].groupby(["reporter", "year"])["value_usd"].sum() / 1e9
    pub = {("CHN", 2022): 154.52, ("KOR", 2022): 112.85, ("USA", 2022): 51.62,
           ("JPN", 2022): 33.63, ("NLD", 2022): 5.23, ("S19", 2022): 183.67,
           ("CHN", 2024): 159.75, ("KOR", 2024): 120.19, ("USA", 2024): 50.63,
           ("JPN", 2024): 32.45, ("NLD", 2024): 2.89}  # fmt: skip
    for k, v in pub.items():
        assert x[k] == pytest.approx(v, abs=0.005), k


def test_published_chip_equipment_exports() -> None:
    t = _df("comtrade_legacy", shared("tech-semiconductors", "comtrade 2021-08-16.csv"))
    assert len(t) == 2863
    x = t[t["flow"] == "export"].groupby(["reporter", "year"])["value_usd"].sum() / 1e9
    pub = {"JPN": (9.32, 14.68), "NLD": (4.31, 11.74), "USA": (10.57, 14.71),
           "SGP": (3.39, 7.19), "KOR": (0.94, 2.29)}  # fmt: skip
    for r, (a, b) in pub.items():
        assert x[(r, 2016)] == pytest.approx(a, abs=0.005) and x[(r, 2020)] == pytest.approx(
            b, abs=0.005
        )
    chn = t[(t["reporter"] == "CHN") & (t["flow"] == "import") & (t["product_code"] == "848620")]
    m = chn.groupby("year")["value_usd"].sum() / 1e9
    for y, v in {2016: 5.25, 2018: 11.24, 2020: 13.66}.items():
        assert m[y] == pytest.approx(v, abs=0.005)


def test_published_tiva_fva_electronics() -> None:
    t = _df("oecd_tiva", shared("tech-gvc", "oecd_tiva_exgr_fva_c26_27.csv"))
    assert len(t) == 72 and "CHN" not in set(t["country"])
    v = t.set_index(["country", "year"])["value"]
    pub = {("JPN", 2017): 19.489, ("JPN", 2022): 25.24, ("KOR", 2017): 28.477,
           ("KOR", 2022): 32.392, ("NLD", 2017): 53.81, ("NLD", 2022): 32.253}  # fmt: skip
    for k, x in pub.items():
        assert v[k] == pytest.approx(x, abs=1e-9)


def test_published_wiod_dva_shares() -> None:
    t = _df("wiod_dva", shared("tech-gvc", "dva_gtrade.dta"))
    assert len(t) == 2 * 9680
    w = t.pivot_table(index=["country", "partner", "year"], columns="indicator", values="value")
    w = w.reset_index()
    chn = w[(w["country"] == "CHN") & (w["partner"] != "CHN")]
    us = chn[chn["partner"] == "USA"].set_index("year")
    assert us.loc[2002, "wiod:EXGR"] == pytest.approx(81254, abs=0.5)
    assert us.loc[2014, "wiod:EXGR"] == pytest.approx(401301, abs=0.5)
    share_us = 100 * us["wiod:DVA"] / us["wiod:EXGR"]
    for y, v in {2002: 80.6, 2005: 74.5, 2008: 75.9, 2011: 77.8, 2014: 81.4}.items():
        assert share_us[y] == pytest.approx(v, abs=0.05)
    allc = chn.groupby("year")[["wiod:DVA", "wiod:EXGR"]].sum()
    share = 100 * allc["wiod:DVA"] / allc["wiod:EXGR"]
    for y, v in {2002: 82.5, 2005: 76.2, 2008: 77.8, 2011: 79.9, 2014: 83.2}.items():
        assert share[y] == pytest.approx(v, abs=0.05)
