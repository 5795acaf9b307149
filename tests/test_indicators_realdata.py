"""Acceptance of the indicators on the staged real files (skipped when the data folder is absent).

Every pinned number says how it was checked by hand: against the catalog's check sums
(CATALOG-trade.md §3, §11) or by recomputing the ratio from those sums.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.indicators.real import real_store
from techties.errors import NoDataError
from techties.indicators.concentration import chokepoints
from techties.indicators.decoupling import decoupling, share_of_total_imports
from techties.indicators.exposure import effective_duty_rates, tariff_wave_coverage
from techties.indicators.rerouting import mirror_gaps, rerouting
from techties.indicators.shares import Selection, partner_shares

pytestmark = pytest.mark.realdata
BN = 1e9
SEMIS = ("8541", "8542")
ELECTRONICS = ("8471", "8473", "8517", "8525", "8528", "8541", "8542")


def test_effective_duty_rates_2024_census(shared_data: Path) -> None:
    # Catalog §3 check sums: CHN 46.66 / 429.43 = 10.87 %, VNM 5.34 / 141.36 = 3.77 %,
    # MEX 1.25 / 503.44 = 0.25 % (imports for consumption and calculated duties, HS10 files).
    store = real_store(shared_data, "hs10_2024_chn_vnm_mex")
    res = effective_duty_rates(store, source="census", level=0, years=(2024, 2024))
    assert res.rate("CHN", 2024) * 100 == pytest.approx(10.87, abs=0.005)
    assert res.rate("VNM", 2024) * 100 == pytest.approx(3.77, abs=0.005)
    assert res.rate("MEX", 2024) * 100 == pytest.approx(0.25, abs=0.005)
    t = res.tidy().set_index("partner")
    assert t.loc["CHN", "value_usd"] / BN == pytest.approx(429.43, abs=0.01)
    assert t.loc["CHN", "duties_usd"] / BN == pytest.approx(46.66, abs=0.01)
    # China's file is among the inputs (the line names the first two files of the session
    # store, which may also hold the other 48 countries' files of 2024)
    files = {Path(str(loc)).name for loc in store.provenance(res.provenance_ids)["location"]}
    assert "2024-hs10-imports5700.parquet" in files
    assert res.source.startswith("census: 2024-hs10-imports")


def test_china_share_naics3_monthly(shared_data: Path) -> None:
    # Catalog §11.2: China NAICS 334 imports 183.73 bn in 2017 and 117.23 bn in 2024 (check sums);
    # the annual shares below are those sums over the world total of the same file
    # (TOTAL FOR ALL COUNTRIES), recomputed by hand: 183.73 / 398.79 = 46.07 %.
    store = real_store(shared_data, "naics_monthly")
    kw = dict(
        source="census_naics_monthly",
        classification="NAICS",
        level=3,
        products=("333", "334", "335"),
        partners=["CHN"],
    )
    annual = partner_shares(store, **kw)
    assert annual.tidy().query("product == '334' and year == 2017")["value_usd"].iloc[0] / BN == (
        pytest.approx(183.73, abs=0.01)
    )
    assert annual.share("CHN", "334", 2017) == pytest.approx(0.460718, abs=1e-6)
    assert annual.share("CHN", "334", 2024) == pytest.approx(0.213959, abs=1e-6)
    assert annual.share("CHN", "333", 2024) == pytest.approx(0.125568, abs=1e-6)
    assert annual.share("CHN", "335", 2024) == pytest.approx(0.284748, abs=1e-6)
    # 2025 has 11 months (Jan–Nov) in the file: the table says so
    assert any("incomplete years: [2025]" in n for n in annual.notes)
    monthly = partner_shares(store, frequency="monthly", **kw)
    # pinned monthly values (computed by techties; each equals CHN / TOTAL FOR ALL COUNTRIES
    # imports of that NAICS and month in the parquet file)
    assert monthly.share("CHN", "334", 2013, 1) == pytest.approx(0.475029, abs=1e-6)
    assert monthly.share("CHN", "334", 2017, 12) == pytest.approx(0.489612, abs=1e-6)
    assert monthly.share("CHN", "334", 2025, 11) == pytest.approx(0.058420, abs=1e-6)
    assert monthly.share("CHN", "333", 2024, 12) == pytest.approx(0.131172, abs=1e-6)
    assert monthly.share("CHN", "335", 2024, 12) == pytest.approx(0.315424, abs=1e-6)
    assert len(monthly.tidy()) == 3 * (12 * 12 + 11)


def test_china_share_hs2_monthly(shared_data: Path) -> None:
    # Catalog §11.1 check sums: CHN 2017 503.65 bn, all countries 2,327.15 bn → 21.64 %;
    # 2018 543.29 / 2,547.79 = 21.32 %; 2020 434.96 / 2,336.05 = 18.62 %.
    store = real_store(shared_data, "hs2_monthly_chn_total")
    total = partner_shares(store, source="census", level=0, partners=["CHN"], years=(2013, 2020))
    assert total.share("CHN", "TOTAL", 2017) == pytest.approx(503.65 / 2327.15, abs=5e-5)
    assert total.share("CHN", "TOTAL", 2018) == pytest.approx(543.29 / 2547.79, abs=5e-5)
    assert total.share("CHN", "TOTAL", 2020) == pytest.approx(434.96 / 2336.05, abs=5e-5)
    monthly = partner_shares(
        store,
        source="census",
        level=2,
        frequency="monthly",
        partners=["CHN"],
        products=("84", "85"),
        years=(2013, 2021),
    )
    # pinned (computed by techties: CHN chapter value / TOTAL file chapter value that month)
    assert monthly.share("CHN", "85", 2013, 1) == pytest.approx(0.407317, abs=1e-6)
    assert monthly.share("CHN", "85", 2017, 12) == pytest.approx(0.476476, abs=1e-6)
    assert monthly.share("CHN", "85", 2021, 7) == pytest.approx(0.296632, abs=1e-6)
    assert monthly.share("CHN", "84", 2021, 7) == pytest.approx(0.260573, abs=1e-6)
    assert monthly.tidy()["month"].notna().all()
    assert set(monthly.tidy()["year"]) == set(range(2013, 2022))


@pytest.mark.slow
def test_partner_shares_hs10_2024_semis_and_electronics(shared_data: Path) -> None:
    # 51-partner Census files: no world total, so shares are of the sum over the 51 partners
    # (Slovakia counted once, inside the EU). Top suppliers checked by summing the HS 8541/8542
    # lines of each file by hand (MYS 12.18 bn and TWN 11.78 bn of 60.20 bn).
    store = real_store(shared_data, "hs10_2024_all")
    with pytest.raises(NoDataError, match="no world total"):
        partner_shares(store, source="census", level=0, years=(2024, 2024), products=SEMIS)
    semis = partner_shares(
        store, source="census", level=0, years=(2024, 2024), products=SEMIS, denominator="partners"
    )
    t = semis.tidy().sort_values("share", ascending=False)
    assert list(t["partner"].head(3)) == ["MYS", "TWN", "VNM"]
    assert semis.share("MYS", "TOTAL", 2024) == pytest.approx(0.202360, abs=1e-5)
    assert semis.share("CHN", "TOTAL", 2024) < 0.05
    assert t.loc[~t["partner"].isin(["SVK"]), "share"].sum() == pytest.approx(1.0, abs=1e-9)
    assert any("not the reporter's world total" in n for n in semis.notes)
    elec = partner_shares(
        store,
        source="census",
        level=0,
        years=(2024, 2024),
        products=ELECTRONICS,
        denominator="partners",
    )
    assert elec.share("CHN", "TOTAL", 2024) == pytest.approx(0.249761, abs=1e-5)
    assert elec.share("MEX", "TOTAL", 2024) == pytest.approx(0.182087, abs=1e-5)
    # the same through the technology groups of groups.yaml (headings 8541/8542; the broader
    # OECD-based ICT list): the semiconductor group equals the prefix selection above
    group = partner_shares(
        store,
        source="census",
        level=0,
        years=(2024, 2024),
        group="semiconductors",
        denominator="partners",
    )
    assert group.share("MYS", "semiconductors", 2024) == pytest.approx(0.202360, abs=1e-5)
    ict = partner_shares(
        store,
        source="census",
        level=0,
        years=(2024, 2024),
        group="ict_electronics",
        denominator="partners",
    )
    assert ict.share("CHN", "ict_electronics", 2024) == pytest.approx(0.242381, abs=1e-5)
    assert ict.tidy()["total_usd"].iloc[0] / BN == pytest.approx(456.54, abs=0.01)
    # chokepoints at HS6, 2024, among the 51 partners
    ck = chokepoints(store, source="census", level=6, years=(2024, 2024))
    assert ck.count(2024, 0.5) == 3009
    assert ck.count(2024, 0.7) == 1544
    assert ck.count(2024, 0.5, "CHN") == 587


@pytest.mark.slow
def test_hs6_shares_before_2024_cannot_use_world_totals(shared_data: Path) -> None:
    store = real_store(shared_data, "comtrade_hs6")
    with pytest.raises(NoDataError) as err:
        partner_shares(store, source="comtrade", level=6, years=(2017, 2017))
    assert "no world total" in str(err.value) and "CHN, MEX, VNM" in str(err.value)


@pytest.mark.slow
def test_rerouting_table_301_products_vietnam_mexico(shared_data: Path) -> None:
    # Comtrade HS6 (US-reported) for CHN/VNM/MEX and the USTR 301 lists 1–4A. Shares are among
    # the three partners (no world totals at HS6). Checked by hand: CHN 2017 value of listed
    # products whose CHN share fell (328.7 bn) is below CHN's 2017 total 525.8 bn (catalog §3).
    store = real_store(shared_data, "comtrade_hs6", "section301")
    cases = ((2023, -21.91, 5.40, 16.51, 328.72), (2024, -22.64, 7.14, 15.51, 328.61))
    for end, chn_pp, vnm_pp, mex_pp, chn_2017 in cases:
        res = rerouting(store, source="comtrade", end_year=end, denominator="partners")
        t = res.tidy().set_index("partner")
        assert t.loc["CHN", "direction"] == "down"
        assert t.loc["VNM", "direction"] == "up" and t.loc["MEX", "direction"] == "up"
        assert t.loc["CHN", "change_pp"] == pytest.approx(chn_pp, abs=0.01)
        assert t.loc["VNM", "change_pp"] == pytest.approx(vnm_pp, abs=0.01)
        assert t.loc["MEX", "change_pp"] == pytest.approx(mex_pp, abs=0.01)
        assert t["change_pp"].sum() == pytest.approx(0.0, abs=1e-9)  # shares among the 3
        assert t.loc["CHN", "value_2017_usd"] / BN == pytest.approx(chn_2017, abs=0.01)
        assert (
            "missing: no VNM-reported imports from CHN" in t.loc["VNM", "imports_from_chn_growth"]
        )
        assert any("TWN, KOR" in n for n in res.notes)
    assert res.params["products"] == 2963


@pytest.mark.slow
def test_coverage_and_decoupling_hs6(shared_data: Path) -> None:
    # List 3 covered about 200 bn of 2017 imports from China (USTR); at HS6 (any listed HTS8
    # line inside) techties finds 201.3 bn — an upper bound, as the note says.
    store = real_store(shared_data, "comtrade_hs6", "section301")
    cov = tariff_wave_coverage(store, source="comtrade").tidy().set_index("measure")
    assert cov.loc["301_list3", "covered_usd"] / BN == pytest.approx(201.27, abs=0.01)
    assert cov.loc["any", "total_usd"] / BN == pytest.approx(525.76, abs=0.01)  # catalog 525.8
    dec = decoupling(store, source="comtrade", level=6, denominator="partners", years=(2017, 2024))
    assert dec.change(2024, "on 301 lists 1–4A") == pytest.approx(-18.18, abs=0.01)


@pytest.mark.slow
def test_hs_vintages_harmonised_through_the_concordance(shared_data: Path) -> None:
    # 2024 Comtrade rows are HS2022; mapped to HS2017 through the UN correlation table (equal
    # weights in n:n groups) the exposure classes keep their products: 319 → 325 HS6 codes
    # outside the lists, instead of 620 when codes are compared as written (new HS2022 codes
    # match no 2018 HTS line).
    store = real_store(shared_data, "comtrade_hs6", "section301", "hs_correlation")
    sel = Selection(source="comtrade", level=6, years=(2017, 2024), hs_vintage="HS2017")
    dec = decoupling(store, sel, denominator="partners")
    t = dec.tidy().set_index(["exposure", "year"])
    assert t.loc[("not on the lists", 2024), "products"] == 325
    assert dec.change(2024, "on 301 lists 1–4A") == pytest.approx(-18.70, abs=0.01)
    assert any("harmonised to HS2017" in n for n in dec.notes)
    rer = rerouting(store, sel, denominator="partners").tidy().set_index("partner")
    assert rer.loc["CHN", "change_pp"] == pytest.approx(-22.78, abs=0.01)
    assert rer.loc["VNM", "change_pp"] == pytest.approx(7.98, abs=0.01)
    assert rer.loc["MEX", "change_pp"] == pytest.approx(14.80, abs=0.01)


def test_us_share_of_china_imports(shared_data: Path) -> None:
    # China-reported imports from the US (Comtrade totals: 154.44 bn in 2017, 165.16 bn in
    # 2023) over China's merchandise imports (WDI TM.VAL.MRCH.CD.WT: 1,843.79 bn and
    # 2,556.94 bn), divided by hand: 8.38 % → 6.46 %.
    store = real_store(shared_data, "comtrade_totals", "wdi_imports")
    res = share_of_total_imports(store, reporter="CHN", partner="USA")
    t = res.tidy().set_index("year")
    assert t.loc[2017, "share"] == pytest.approx(154.44 / 1843.79, abs=5e-5)
    assert t.loc[2023, "share"] == pytest.approx(165.16 / 2556.94, abs=5e-5)
    assert t.loc[2023, "change_pp"] == pytest.approx(-1.92, abs=0.01)
    assert "TradeData_China_USA.csv" in res.source


@pytest.mark.slow
def test_mirror_gap_us_china(shared_data: Path) -> None:
    # Catalog §3: 2018 US-reported imports from CHN 563.2 bn vs China-reported exports 479.3 bn.
    store = real_store(shared_data, "comtrade_totals")
    t = mirror_gaps(store).tidy().set_index("year")
    assert t.loc[2018, "usa_imports_usd"] / BN == pytest.approx(563.2, abs=0.05)
    assert t.loc[2018, "chn_exports_usd"] / BN == pytest.approx(479.3, abs=0.05)
    assert t.loc[2018, "gap_usd"] / BN == pytest.approx(83.9, abs=0.1)
