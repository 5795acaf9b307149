"""WDI, NCSES and OpenAlex readers → indicators: fixtures, bad input, downloads, published figures."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import httpx
import pandas as pd
import pytest

from conftest import FIXTURES, shared
from techties.errors import FetchError, SourceFormatError
from techties.sources import get_source
from techties.sources.ncses import SPECS, parse_cell
from techties.sources.wdi import WDI
from techties.store.ingest import ingest_files

FIX = FIXTURES / "tech"


def _values(store, sql: str, params: list | None = None) -> dict:
    df = store.df(sql, params or [])
    return {
        tuple(None if pd.isna(x) else x for x in r[:-1]): r[-1] for r in df.itertuples(index=False)
    }


# -- NCSES ----------------------------------------------------------------------------------
def test_parse_cell_forms() -> None:
    assert parse_cell("['13,052', '  ']") == (13052.0, None)
    assert parse_cell("['266', 'i']") == (266.0, "i")
    assert parse_cell("na") == (None, "na")
    assert parse_cell("['D', '&nbsp;']") == (None, "D")
    assert parse_cell("1,234.5") == (1234.5, None)
    with pytest.raises(ValueError):
        parse_cell("2,5")
    with pytest.raises(ValueError):
        parse_cell("12 apples")


def test_lost_header_cells_use_encoded_year_order(store) -> None:
    ingest_files(store, "ncses", [FIX / "ncses" / "9970_SPBS-2" / "data.csv"])
    got = _values(
        store,
        "SELECT country, year, value FROM indicators WHERE indicator='ncses:SPBS-2:articles_fractional'",
    )
    assert got[("CHN", 2003)] == 100.5 and got[("CHN", 2022)] == 119.5  # income row skipped
    assert got[("WLD", 2022)] == 1019.0
    assert store.scalar("SELECT count(*) FROM indicators") == 40


def test_pairs_partner_order_is_row_order(store) -> None:
    ingest_files(store, "ncses", [FIX / "ncses" / "10003_SPBS-35" / "data.csv"])
    got = _values(store, "SELECT country, partner, year, value FROM indicators")
    assert got[("USA", "CHN", 2022)] == 580 and got[("CHN", "USA", 2022)] == 580
    assert got[("USA", "WLD", 2003)] == 900 and got[("JPN", "CHN", 2003)] == 20
    flags = store.df("SELECT flag FROM indicators WHERE country = partner")["flag"]
    assert set(flags) == {"na"}


def test_measures_blocks_and_mne(store) -> None:
    ingest_files(
        store,
        "ncses",
        [FIX / "ncses" / "6307_RD-8" / "data.csv", FIX / "ncses" / "763_47" / "data.csv"],
    )
    got = _values(store, "SELECT indicator, country, year, value FROM indicators")
    assert got[("ncses:RD-8:gerd_by_type_basic_ppp_usd_bn", "CHN", 2019)] == 31.7
    assert got[("ncses:RD-8:gerd_by_type_basic_share_pct", "USA", 2019)] == 15.4
    assert got[("ncses:MNE-RD:us_company_rd_abroad:total", "CHN", 2015)] == 6265
    assert got[("ncses:MNE-RD:us_company_rd_abroad:total", "WLD", 2015)] == 73691
    taiwan = store.df("SELECT value, flag FROM indicators WHERE country='TWN' LIMIT 1")
    assert taiwan["value"].isna().all() and taiwan["flag"].tolist() == ["D"]
    imputed = store.scalar(
        "SELECT flag FROM indicators WHERE country='CHN' AND indicator LIKE '%paid_for_by_others'"
    )
    assert imputed == "i"


def test_unencoded_table_is_refused(store) -> None:
    with pytest.raises(SourceFormatError, match="has no encoded structure") as err:
        ingest_files(store, "ncses", [FIX / "ncses" / "11111_KTI-9" / "data.csv"])
    assert "ncses_tables.yaml" in (err.value.hint or "")


def test_group_of_wrong_size_names_row(store, tmp_path: Path) -> None:
    folder = tmp_path / "9970_SPBS-2"
    shutil.copytree(FIX / "ncses" / "9970_SPBS-2", folder)
    lines = (folder / "data.csv").read_text().splitlines()
    (folder / "data.csv").write_text("\n".join(lines[:-1]) + "\n")  # China loses its 2022 cell
    with pytest.raises(SourceFormatError, match="has 20 cells") as err:
        ingest_files(store, "ncses", [folder / "data.csv"])
    assert err.value.row == 23 and err.value.column == "time_period"
    assert store.count("indicators") == 0


def test_bad_value_names_row_and_column(store, tmp_path: Path) -> None:
    folder = tmp_path / "6307_RD-8"
    shutil.copytree(FIX / "ncses" / "6307_RD-8", folder)
    text = (folder / "data.csv").read_text().replace("59.3", "59.3x")
    (folder / "data.csv").write_text(text)
    with pytest.raises(SourceFormatError, match=r"'59\.3x' is not a number") as err:
        ingest_files(store, "ncses", [FIX / "ncses" / "763_47" / "data.csv", folder / "data.csv"])
    assert (err.value.row, err.value.column) == (9, "value")
    assert store.count("indicators") == 0 and store.provenance().empty


def test_every_spec_names_a_layout() -> None:
    layouts = {
        "cells",
        "pairs",
        "measures",
        "wide",
        "wide_years",
        "levels",
        "mne",
        "year_measure_cols",
        "blocks",
    }
    assert {s["layout"] for s in SPECS.values()} <= layouts
    for key, spec in SPECS.items():
        if spec["layout"] == "cells":
            years = [s for s in spec["slots"] if isinstance(s, int)]
            assert years == sorted(years), key


# -- WDI ------------------------------------------------------------------------------------
def test_wdi_long_csv_with_datapackage(store) -> None:
    ingest_files(store, "wdi", [FIX / "wdi" / "tx.val.tech.cd" / "data.csv"])
    df = store.df("SELECT * FROM indicators ORDER BY country")
    assert df["indicator"].unique().tolist() == ["TX.VAL.TECH.CD"]
    assert df["unit"].unique().tolist() == ["current US$"]
    assert df["country"].tolist() == ["CHN", "USA", "WLD"]  # the empty 2023 cell has no value
    assert df.loc[0, "value"] == pytest.approx(924_393_306_845.58)


def test_wdi_bad_value(store, tmp_path: Path) -> None:
    folder = tmp_path / "tx.val.tech.cd"
    shutil.copytree(FIX / "wdi" / "tx.val.tech.cd", folder)
    text = (folder / "data.csv").read_text().replace("191876112816.5", "1.9e11 USD")
    (folder / "data.csv").write_text(text)
    with pytest.raises(SourceFormatError, match="is not a number") as err:
        ingest_files(store, "wdi", [folder / "data.csv"])
    assert (err.value.row, err.value.column) == (4, "Value")


def test_wdi_download_pages_and_read(store, tmp_path: Path) -> None:
    pages = {
        "1": (FIX / "wdi" / "api_page1.json").read_bytes(),
        "2": (FIX / "wdi" / "api_page2.json").read_bytes(),
    }
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(
            (request.url.path, request.url.params.get("page"), request.url.params.get("date"))
        )
        return httpx.Response(200, content=pages[request.url.params["page"]])

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        files = WDI().download(
            tmp_path, years=[2015, 2023], client=client, indicators=["GB.XPD.RSDV.GD.ZS"]
        )
    assert seen == [
        ("/v2/country/all/indicator/GB.XPD.RSDV.GD.ZS", "1", "2015:2023"),
        ("/v2/country/all/indicator/GB.XPD.RSDV.GD.ZS", "2", "2015:2023"),
    ]
    ingest_files(store, "wdi", files)
    got = _values(store, "SELECT country, year, value FROM indicators")
    assert got == {("CHN", 2023): 2.57729, ("USA", 2023): 3.44716, ("CHN", 2015): 2.01703}
    assert store.scalar("SELECT DISTINCT unit FROM indicators") == "% of GDP"


def test_wdi_download_errors(tmp_path: Path) -> None:
    def error_answer(request: httpx.Request) -> httpx.Response:
        body = [{"message": [{"id": "120", "key": "Invalid value", "value": "bad indicator"}]}]
        return httpx.Response(200, json=body)

    with (
        httpx.Client(transport=httpx.MockTransport(error_answer)) as client,
        pytest.raises(FetchError, match="World Bank API error"),
    ):
        WDI().download(tmp_path, client=client, indicators=["NOPE"])
    with (
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client,
        pytest.raises(FetchError, match="500"),
    ):
        WDI().download(tmp_path, client=client, indicators=["NOPE"])


# -- OpenAlex -------------------------------------------------------------------------------
def _pajek_zip(path: Path, arcs: str) -> Path:
    net = '% mat2Pajek\r\n*vertices 3 \r\n1 "CN"\r\n2 "US"\r\n3 "XX"\r\n*arcs\r\n' + arcs
    vec = "% vec2Pajek\r\n*vertices 3 \r\n10\r\n20\r\n5\r\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("WrldCo2020.net", "\ufeff" + net)
        zf.writestr("WrldCo2020T.vec", vec)
    path.write_bytes(buf.getvalue())
    return path


def test_openalex_pairs_loops_and_vectors(store, tmp_path: Path) -> None:
    z = _pajek_zip(
        tmp_path / "WrldCo_years.zip", "1 1 7 \r\n1 2 4 \r\n2 1 4 \r\n3 2 1 \r\n2 3 1 \r\n"
    )
    ingest_files(store, "openalex_coauthorship", [z])
    got = _values(store, "SELECT indicator, country_label, partner_label, value FROM indicators")
    assert got[("openalex:coauthored_works", "US", "CN")] == 4
    assert got[("openalex:loop", "CN", None)] == 7
    assert got[("openalex:coauthored_works_total", "US", None)] == 20
    # XX has no ISO3: its arc to US and its vector value keep the label with a NULL code
    assert store.scalar("SELECT count(*) FROM indicators WHERE country IS NULL") == 2
    assert store.scalar("SELECT count(*) FROM indicators WHERE partner_label = 'XX'") == 1


def test_openalex_bad_arc(store, tmp_path: Path) -> None:
    z = _pajek_zip(tmp_path / "WrldCo_years.zip", "1 2 4 \r\n2 9 4 \r\n")
    with pytest.raises(SourceFormatError, match="vertex that does not exist"):
        ingest_files(store, "openalex_coauthorship", [z])
    bad = tmp_path / "WrldCo_bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SourceFormatError, match="not a zip"):
        get_source("openalex_coauthorship").read(bad)
    assert store.count("indicators") == 0


# -- published figures (CATALOG-tech.md "Published figures") -------------------------------
@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory):
    from techties.store import open_store

    root = shared("tech-science")
    st = open_store(tmp_path_factory.mktemp("ind") / "s.duckdb")
    folders = [
        "tech-science/ncses/10003_SPBS-35",
        "tech-science/ncses/10004_SPBS-36",
        "tech-science/ncses/9970_SPBS-2",
        "tech-science/ncses/9985_SPBS-17",
        "tech-science/ncses/10001_SPBS-33",
        "tech-science/ncses/5786_SHED-12",
        "tech-science/ncses/1572_S2-16",
        "tech-science/ncses/6307_RD-8",
        "tech-science/ncses/10557_SINV-10",
        "tech-science/ncses/10551_SINV-4",
        "tech-science/ncses/10558_SINV-11",
        "tech-science/ncses/5820_SINV-5",
        "tech-science/ncses/10564_SINV-17",
        "tech-science/ncses/5911_SINV-99",
        "tech-science/ncses/10978_SRD-1",
        "tech-science/ncses/11695_7-7",
        "tech-science/ncses/11762_2-8",
        "tech-gvc/ncses/6234_SKTI-20",
        "tech-gvc/ncses/10760_SKTI-4",
    ]
    data = root.parent
    ingest_files(st, "ncses", [data / f / "data.csv" for f in folders])
    ingest_files(st, "ncses", sorted((data / "tech-mne" / "ncses").glob("*/data.csv")))
    wdi = [
        "gb.xpd.rsdv.gd.zs",
        "tx.val.tech.cd",
        "tx.val.tech.mf.zs",
        "bm.gsr.royl.cd",
        "bx.gsr.royl.cd",
    ]
    ingest_files(st, "wdi", [data / "tech-wdi" / w / "data.csv" for w in wdi])
    ingest_files(st, "openalex_coauthorship", [root / "openalex" / "WrldCo_years.zip"])
    yield st
    st.close()


def _v(st, indicator: str, country: str, year: int, partner: str | None = None) -> float:
    sql = "SELECT value FROM indicators WHERE indicator = ? AND country = ? AND year = ?"
    params: list = [indicator, country, year]
    if partner is None:
        sql += " AND partner IS NULL"
    else:
        sql += " AND partner = ?"
        params.append(partner)
    rows = st.df(sql, params)["value"].tolist()
    assert len(rows) == 1, (indicator, country, year, partner, rows)
    return float(rows[0])


@pytest.mark.slow
def test_published_science_figures(real) -> None:
    # 17: SPBS-35 (exact cells)
    spbs35 = "ncses:SPBS-35:intl_coauthored"
    assert _v(real, spbs35, "USA", 2003, "CHN") == 5588
    assert _v(real, spbs35, "USA", 2022, "CHN") == 58546
    assert _v(real, spbs35, "USA", 2003, "WLD") == 88958
    assert _v(real, spbs35, "USA", 2022, "WLD") == 241823
    assert _v(real, spbs35, "CHN", 2003, "WLD") == 14930
    assert _v(real, spbs35, "CHN", 2022, "WLD") == 182305
    # 18: SPBS-36 China's share of US international articles
    for year, share in [(2003, 6.28), (2011, 15.50), (2017, 24.02), (2019, 27.11), (2021, 24.27)]:
        assert _v(real, "ncses:SPBS-36:us_intl_share", "USA", year, "CHN") == share
    assert _v(real, "ncses:SPBS-36:us_intl_share", "USA", 2021, "GBR") == 14.45
    # 19: OpenAlex US–China pair weights
    for year, works in [
        (1990, 884),
        (2000, 2980),
        (2010, 20580),
        (2015, 46931),
        (2019, 73485),
        (2020, 84025),
        (2021, 78604),
        (2022, 77370),
        (2023, 72794),
    ]:
        assert _v(real, "openalex:coauthored_works", "USA", year, "CHN") == works
    # 20: SPBS-2 / SPBS-17 / SPBS-33
    frac = "ncses:SPBS-2:articles_fractional"
    assert _v(real, frac, "CHN", 2003) == pytest.approx(88585.08, abs=0.005)
    assert _v(real, frac, "CHN", 2022) == pytest.approx(898949.09, abs=0.005)
    assert _v(real, frac, "USA", 2003) == pytest.approx(336490.55, abs=0.005)
    assert _v(real, frac, "USA", 2022) == pytest.approx(457335.25, abs=0.005)
    assert _v(real, frac, "WLD", 2022) == 3344037
    assert _v(real, "ncses:SPBS-17:articles_whole", "CHN", 2022) == 976141
    assert _v(real, "ncses:SPBS-17:articles_whole", "USA", 2022) == 606144
    intl = "ncses:SPBS-33:articles:total_articles_with_international_institutions"
    total = "ncses:SPBS-33:articles:total_articles"
    assert _v(real, intl, "CHN", 2022) / _v(real, total, "CHN", 2022) == pytest.approx(
        0.187, abs=5e-4
    )
    assert _v(real, intl, "USA", 2022) / _v(real, total, "USA", 2022) == pytest.approx(
        0.399, abs=5e-4
    )
    # 21: doctorates
    se = "ncses:SHED-12:doctorates:all_fields_all_s_e"
    assert (_v(real, se, "CHN", 2018), _v(real, se, "USA", 2018), _v(real, se, "CHN", 2010)) == (
        39768,
        41071,
        31410,
    )
    allf = "ncses:SHED-12:doctorates:all_fields"
    assert (_v(real, allf, "CHN", 2018), _v(real, allf, "USA", 2018)) == (60724, 72731)
    s216 = "ncses:S2-16:doctorates:all_fields_all_s_e"
    assert (_v(real, s216, "CHN", 2000), _v(real, s216, "CHN", 2015)) == (7766, 34440)
    # 23: Chinese temporary-visa holders earning US research doctorates
    v77 = "ncses:7-7:us_doctorates_temp_visa:total"
    assert [_v(real, v77, "CHN", y) for y in (2013, 2020, 2023)] == [4796, 6335, 6652]
    stay = "ncses:2-8:us_doctorates_stay_intent"
    assert _v(real, f"{stay}:staying", "CHN", 2023) == 77.5
    assert _v(real, f"{stay}:number_pooled_2017_2023", "CHN", 2023) == 43902
    assert _v(real, f"{stay}:staying_pooled_2017_2023", "CHN", 2023) == 78.5


@pytest.mark.slow
def test_published_gvc_figures(real) -> None:
    """31: SKTI-20 KTI trade (US$ bn); 32: SKTI-4 US exports and value-added content (US$ m)."""
    kti = "ncses:SKTI-20:kti_trade"
    assert (_v(real, f"{kti}:exports", "CHN", 2002), _v(real, f"{kti}:exports", "CHN", 2018)) == (
        125.1,
        1228.5,
    )
    assert (_v(real, f"{kti}:exports", "USA", 2002), _v(real, f"{kti}:exports", "USA", 2018)) == (
        356.1,
        659.9,
    )
    assert (_v(real, f"{kti}:imports", "CHN", 2018), _v(real, f"{kti}:imports", "USA", 2018)) == (
        921.9,
        1210.2,
    )
    va = "ncses:SKTI-4:us_exports_va"
    semi = f"{va}:u_s_gross_exports_to_all_economies_semiconductor_and_other_electronic_components_manufacturing"
    assert (_v(real, semi, "USA", 2007), _v(real, semi, "USA", 2021)) == (49460, 38535)
    imp = f"{va}:imported_value_added_content_of_gross_exports_all_industries"
    assert (_v(real, imp, "USA", 2007), _v(real, imp, "USA", 2021)) == (221556, 241213)


@pytest.mark.slow
def test_published_rd_patent_and_wdi_figures(real) -> None:
    # 24: SRD-1 GERD 2021 (current PPP US$ bn) and China GERD/GDP; WDI R&D % GDP
    gerd = "ncses:SRD-1:gerd:gerd_current_ppp_dollars"
    assert (_v(real, gerd, "USA", 2021), _v(real, gerd, "CHN", 2021)) == (806.01, 667.64)
    ratio = "ncses:SRD-1:gerd:gerd_to_gdp_ratio"
    assert [_v(real, ratio, "CHN", y) for y in (2000, 2010, 2021)] == [0.89, 1.71, 2.43]
    rd = "GB.XPD.RSDV.GD.ZS"
    for iso, val in [
        ("CHN", 2.57729),
        ("USA", 3.44716),
        ("KOR", 4.94352),
        ("JPN", 3.44125),
        ("DEU", 3.15390),
        ("NLD", 2.26719),
    ]:
        assert _v(real, rd, iso, 2023) == pytest.approx(val, abs=5e-6)
    assert _v(real, rd, "CHN", 2015) == pytest.approx(2.01703, abs=5e-6)
    # 25: RD-8 (order total / basic / applied / experimental)
    parts = ["total", "basic", "applied", "experimental"]
    china = [_v(real, f"ncses:RD-8:gerd_by_type_{p}_ppp_usd_bn", "CHN", 2019) for p in parts]
    usa = [_v(real, f"ncses:RD-8:gerd_by_type_{p}_ppp_usd_bn", "USA", 2019) for p in parts]
    assert china == [525.7, 31.7, 59.3, 434.7] and usa == [668.4, 102.9, 132.0, 432.0]
    assert _v(real, "ncses:RD-8:gerd_by_type_basic_share_pct", "CHN", 2019) == 6.0
    # 26: patents
    assert [
        _v(real, "ncses:SINV-10:uspto_semiconductor_patents", c, 2022)
        for c in ("CHN", "USA", "WLD")
    ] == pytest.approx([2165, 3674, 16498], abs=0.5)
    assert _v(real, "ncses:SINV-10:uspto_semiconductor_patents", "CHN", 1998) == pytest.approx(
        2, abs=0.5
    )
    assert [_v(real, "ncses:SINV-4:uspto_patents", c, 2022) for c in ("CHN", "USA", "WLD")] == (
        pytest.approx([27769, 141754, 324698], abs=0.5)
    )
    assert [_v(real, "ncses:SINV-11:pct_applications", c, 2022) for c in ("CHN", "USA")] == (
        pytest.approx([68558, 58218], abs=0.5)
    )
    assert [_v(real, "ncses:SINV-5:patent_families", c, 2020) for c in ("CHN", "USA")] == (
        pytest.approx([456088, 95347], abs=0.5)
    )
    assert [
        _v(real, "ncses:SINV-17:ai_patents_cum_2000_22", c, 2022) for c in ("CHN", "USA", "WLD")
    ] == pytest.approx([91436, 41507, 190038], abs=0.5)
    # 27 / 28: WDI high-tech exports and IP charges (US$ bn, catalog rounds to 0.01)
    bn = 1e9
    for ind, iso, year, val in [
        ("TX.VAL.TECH.CD", "CHN", 2022, 924.39),
        ("TX.VAL.TECH.CD", "CHN", 2023, 825.05),
        ("TX.VAL.TECH.CD", "CHN", 2024, 856.76),
        ("TX.VAL.TECH.CD", "USA", 2022, 191.88),
        ("TX.VAL.TECH.CD", "USA", 2024, 232.91),
        ("BM.GSR.ROYL.CD", "CHN", 2022, 44.46),
        ("BM.GSR.ROYL.CD", "CHN", 2024, 45.87),
        ("BM.GSR.ROYL.CD", "CHN", 2025, 46.63),
        ("BX.GSR.ROYL.CD", "CHN", 2022, 13.31),
        ("BX.GSR.ROYL.CD", "CHN", 2024, 7.06),
        ("BX.GSR.ROYL.CD", "USA", 2022, 152.71),
        ("BX.GSR.ROYL.CD", "USA", 2024, 169.52),
        ("BM.GSR.ROYL.CD", "USA", 2022, 59.42),
        ("BM.GSR.ROYL.CD", "USA", 2024, 54.04),
    ]:
        assert _v(real, ind, iso, year) / bn == pytest.approx(val, abs=0.005), (ind, iso, year)
    assert _v(real, "TX.VAL.TECH.MF.ZS", "CHN", 2015) == pytest.approx(30.43, abs=0.005)
    assert _v(real, "TX.VAL.TECH.MF.ZS", "CHN", 2024) == pytest.approx(26.28, abs=0.005)
    # 29: venture capital
    vc = real.df(
        "SELECT indicator, country, value FROM indicators WHERE indicator LIKE "
        "'ncses:SINV-99:%' AND year = 2020 AND indicator LIKE '%:total'"
    )
    assert dict(zip(vc["country"], vc["value"], strict=True)) == pytest.approx(
        {"USA": 129181.65, "CHN": 60196.54}, abs=0.005
    )


@pytest.mark.slow
def test_published_us_multinational_figures(real) -> None:
    """33: R&D performed in China by US companies (US$ m) and their employment there (000s)."""
    rd = "ncses:MNE-RD:us_company_rd_abroad:total"
    assert [_v(real, rd, "CHN", y) for y in range(2015, 2023)] == [
        6265,
        6273,
        7188,
        7867,
        8195,
        8985,
        11639,
        13052,
    ]
    assert (_v(real, rd, "WLD", 2015), _v(real, rd, "WLD", 2022)) == (73691, 149584)
    assert _v(real, rd, "CHN", 2022) / _v(real, rd, "WLD", 2022) == pytest.approx(0.087, abs=5e-4)
    emp = "ncses:MNE-EMP:us_company_employment_abroad:employees_total"
    assert [_v(real, emp, "CHN", y) for y in range(2018, 2023)] == [881, 989, 906, 982, 1137]
    emp_rd = "ncses:MNE-EMP:us_company_employment_abroad:employees_r_d"
    assert [_v(real, emp_rd, "CHN", y) for y in range(2018, 2023)] == [73, 85, 88, 93, 106]


def test_json_fixture_is_api_layout() -> None:
    payload = json.loads((FIX / "wdi" / "api_page1.json").read_text())
    assert payload[0]["pages"] == 2 and len(payload[1]) == 2


def test_stacked_blocks_layout(store, tmp_path: Path) -> None:
    folder = tmp_path / "10760_SKTI-4"
    folder.mkdir()
    (folder / "README.md").write_text("# Domestic and imported value-added content: 2007–08\n")
    head = (
        "table_id,row_id,industry_full_path,industry_level_1,industry_level_2,"
        "industry_hierarchy_depth,field_exporting_industry_naics_code,field_2007,field_2008\n"
    )
    body = (
        "10760,r001,&nbsp;,&nbsp;,,1,,U.S. gross exports to all economies,\n"
        "10760,r002,All industries,All industries,,1,Total,100,110\n"
        "10760,r003,&nbsp;,&nbsp;,,1,,Imported value-added content of gross exports,\n"
        '10760,r004,All industries,All industries,,1,Total,20,"2,5"\n'
    )
    (folder / "data.csv").write_text(head + body)
    with pytest.raises(SourceFormatError, match=r"'2,5' is not a number"):
        ingest_files(store, "ncses", [folder / "data.csv"])
    (folder / "data.csv").write_text(head + body.replace('"2,5"', "25"))
    ingest_files(store, "ncses", [folder / "data.csv"])
    got = _values(store, "SELECT indicator, year, value FROM indicators")
    key = "ncses:SKTI-4:us_exports_va:imported_value_added_content_of_gross_exports_all_industries"
    assert got[(key, 2008)] == 25
    (folder / "data.csv").write_text(head + body.splitlines(keepends=True)[1])
    with pytest.raises(SourceFormatError, match="before any block label"):
        ingest_files(store, "ncses", [folder / "data.csv"])


def test_specs_yaml_slot_ranges() -> None:
    from techties.sources.ncses import load_specs

    specs = load_specs("X-1:\n  layout: cells\n  slots: [total, 2000-2002, 2010]\n  code: c\n")
    assert specs["X-1"]["slots"] == ["total", 2000, 2001, 2002, 2010]
    assert len(SPECS["SPBS-2"]["slots"]) == 21 and SPECS["SINV-10"]["slots"][-1] == 2022


def test_wdi_bulk_wide_csv(store, tmp_path: Path) -> None:
    bulk = tmp_path / "WDICSV.csv"
    bulk.write_text(
        "Country Name,Country Code,Indicator Name,Indicator Code,2022,2023\n"
        "China,CHN,Research and development expenditure (% of GDP),GB.XPD.RSDV.GD.ZS,2.55,2.57729\n"
        "China,CHN,High-technology exports (current US$),TX.VAL.TECH.CD,924393306845.58,\n"
    )
    ingest_files(store, "wdi", [bulk])
    got = _values(store, "SELECT indicator, year, unit, value FROM indicators")
    assert got == {
        ("GB.XPD.RSDV.GD.ZS", 2022, "% of GDP"): 2.55,
        ("GB.XPD.RSDV.GD.ZS", 2023, "% of GDP"): 2.57729,
        ("TX.VAL.TECH.CD", 2022, "current US$"): 924393306845.58,
    }
