"""Acceptance on the staged real data: Bown (2021) wave means and Bown–Jung–Zhang (2019) series.

How the pinned values were checked: the wave means were recomputed independently with pandas
from the raw files (China-Tariffs.xlsx list membership × the HTS 2018 rev. 8.1 HTS8 lines,
simple mean within HS6, then over HS6) and agree to 1e-6; the China series was recomputed with
pandas directly from the workbook sheets (cumulated changes, HS10 → HS8 simple mean, weighted by
"Imports Value") and agrees to 1e-3.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from conftest import shared
from techties.errors import DataWarning
from techties.indicators.tariffs import china_average_tariff, us_wave_means
from techties.sources import get_source
from techties.store import Store, open_store
from techties.store.ingest import ingest_files

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    hts = shared("trade-tariffs", "hts-revisions", "hts_2018_revision_8_1_csv.csv")
    lists = shared("trade-tariffs", "tradewar-tracker", "China-Tariffs.xlsx")
    bjz = shared("trade-tariffs", "consumption_and_tradewar", "bown-jung-zhang-2019-06-12.xlsx")
    st = open_store(tmp_path_factory.mktemp("tariffs") / "real.duckdb")
    ingest_files(st, "usitc_tariffs", [hts])
    ingest_files(st, "section301", [lists])
    ingest_files(st, "china_retaliation", [bjz])
    ingest_files(st, "bjz_imports", [bjz])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # 10 GTA 'override' rows are not stored
        ingest_files(st, "gta", [shared("trade-tariffs", "us_tariff_data", "measures.csv")])
    yield st
    st.close()


@pytest.fixture(scope="module")
def bown() -> pd.DataFrame:
    return pd.read_stata(shared("trade-tariffs", "bown", "TrumpTariffs-CHN-hs6.dta"))


@pytest.mark.slow
def test_us_wave_means_match_bown_2021_within_005pp(real_store: Store, bown: pd.DataFrame) -> None:
    """Simple means over HS6 (Bown's own HS6 sample for each column) of the 301 increase.

    Lists 1, 2, 3 (+10) and the List 3 step (+15) match within 0.05 pp. List 4A does not
    (techties 3.66 vs 3.54 pp), nor, by construction, Phase One, which halves 4A (−1.83 vs
    −1.77 pp, half the 4A gap). 201 HS6 differ; in 154 of them Bown's value is below 15
    although every HTS8 line is listed under 9903.88.15 in both the USITC table and the USTR
    annex (e.g. 0603.11 roses: Bown 5.0, its one HTS8 0603.11.00 listed). Bown's 4A column therefore
    averages over finer lines or nets exclusions; the staged list files cannot reproduce that.
    """
    waves = us_wave_means(real_store)
    ours = {}
    for row in waves.itertuples():
        sample = bown.dropna(subset=[row.bown_column]).hs06.tolist()
        ours[row.bown_column] = us_wave_means_on(real_store, sample, str(row.bown_column), waves)
    for col in ("TT301_a", "TT301_b", "TT301_c", "TT301_d"):
        assert abs(ours[col] - bown[col].mean()) < 0.05, (col, ours[col], bown[col].mean())
    gap_4a = ours["TT301_e"] - bown["TT301_e"].mean()
    assert gap_4a == pytest.approx(0.123, abs=0.01)
    assert ours["TT301_f"] - bown["TT301_f"].mean() == pytest.approx(-gap_4a / 2, abs=0.005)
    # the 4A gap sits in 201 HS6; in 154 of them both lists cover every HTS8 line (ours 15)
    # while Bown is below 15
    per = _wave_by_hs6(real_store, "2019-09-01").reindex(bown.hs06).to_numpy()
    diff = bown.assign(ours=per).dropna(subset=["TT301_e", "ours"])
    off = diff[(diff.ours - diff.TT301_e).abs() > 0.01]
    full = off[off.ours == 15]
    assert len(off) == 201 and len(full) == 154 and (full.TT301_e < 15).all()


@pytest.mark.slow
def test_section_232_wave_on_china_matches_bown(real_store: Store, bown: pd.DataFrame) -> None:
    """TT232_1 (steel 25 %, aluminium 10 % from 2018-03-23, GTA-coded scope): 0.85 vs 0.83 pp.

    The GTA scope is HS2022/HS2017 HS6 and HTS8; matched to HTS 2018 lines by code prefix.
    """
    per = _wave_by_hs6(real_store, "2018-03-23", program="section_232")
    sample = bown.dropna(subset=["TT232_1"]).hs06.tolist()
    ours = float(per.reindex(sample).mean())
    assert abs(ours - bown["TT232_1"].mean()) < 0.05, ours


def us_wave_means_on(store: Store, hs6: list[str], col: str, waves: pd.DataFrame) -> float:
    day = str(waves.set_index("bown_column").loc[col, "date"])
    return float(_wave_by_hs6(store, day).reindex(hs6).mean())


_CACHE: dict[tuple[str, str], pd.Series] = {}


def _wave_by_hs6(store: Store, day: str, program: str = "section_301") -> pd.Series:
    if (day, program) not in _CACHE:
        import datetime as dt

        from techties.indicators.tariffs import applied_tariff

        d = dt.date.fromisoformat(day)
        t = applied_tariff(
            store, None, "CHN", [d - dt.timedelta(days=1), d], level=6, programs=[program]
        ).tidy()
        w = t.pivot(index="product_code", columns="on_date", values="additional_pct")
        _CACHE[(day, program)] = w.iloc[:, 1] - w.iloc[:, 0]
    return _CACHE[(day, program)]


@pytest.mark.slow
def test_china_average_tariff_beside_bjz_2019(real_store: Store) -> None:
    """China's average tariff, weighted by its 2017 HS8 imports from the US (workbook sheet
    "Imports Value", ITC Trade Map), beside BJZ Figure 1.

    Pinned techties values (tolerance 0.01 pp). The published series starts 2.0 pp higher
    (7.99 vs 5.98 %) although on 2018-01-01 both are the same MFN schedule with the same US
    weights, so the gap is in the aggregation/weights, not in the measures: 3.9 % of the 2017
    import value sits in HS8 codes absent from the rate sheet, and BJZ do not document the
    HS10 → HS8 step (variants on the same sheets: max over HS10 6.13 %, HS6 mean 6.10 %, only
    positive-MFN lines 8.26 %; none adopted). The steps agree in sign and roughly in size
    (2018-01-01 → 2019-06-01: techties +9.66 pp toward the US, BJZ +12.73 pp; toward others
    −1.16 vs −1.33).
    """
    res = china_average_tariff(real_store).tidy().set_index("date")
    res.index = res.index.astype(str)
    us = res.toward_us_pct.round(2).to_dict()
    others = res.toward_others_pct.round(2).to_dict()
    expected_us = {
        "2018-01-01": 5.98,
        "2018-04-02": 6.41,
        "2018-05-01": 6.39,
        "2018-07-01": 5.32,
        "2018-07-06": 11.00,
        "2018-08-23": 13.38,
        "2018-09-24": 15.84,
        "2018-11-01": 15.78,
        "2019-01-01": 13.45,
        "2019-06-01": 15.64,
    }
    assert us == pytest.approx(expected_us, abs=0.01)
    assert others["2018-01-01"] == pytest.approx(us["2018-01-01"], abs=1e-9)
    assert others["2019-06-01"] == pytest.approx(4.82, abs=0.01)
    # published values sit beside the computed ones
    assert res.loc["2019-06-01", "published_us_pct"] == pytest.approx(20.724)
    assert res.loc["2019-06-01", "published_others_pct"] == pytest.approx(6.668)


def test_restored_excel_dates_exist_in_the_hts_schedule() -> None:
    lists = shared("trade-tariffs", "tradewar-tracker", "China-Tariffs.xlsx")
    hts = shared("trade-tariffs", "hts-revisions", "hts_2020_revision_10_csv.csv")
    raw = pd.read_excel(lists, engine="calamine", header=None, dtype=str)[0].astype(str)
    dated = raw[raw.str.match(r"^\d{4}-\d{2}-\d{2} 00:00:00$")]
    assert len(dated) == 375
    restored = dated.str[:10].str.replace("-", "", regex=False)
    codes = get_source("section301").read(lists).column("product_code").to_pylist()
    assert set(restored) <= set(codes)
    schedule = pd.read_csv(hts, dtype=str, encoding="utf-8-sig")["HTS Number"].dropna()
    hts8 = set(schedule.str.replace(".", "", regex=False).str[:8])
    missing = sorted(set(restored) - hts8)
    assert missing == [], missing


def test_tariff_manifest_files_exist_in_the_data_folder(shared_data: Path) -> None:
    from techties.store.manifest import load_manifest

    mine = {
        "usitc_tariffs",
        "section301",
        "gta",
        "china_retaliation",
        "china_retaliation_2025",
        "bjz_imports",
    }
    entries = [e for e in load_manifest(shared_data) if e.source in mine]
    assert {e.source for e in entries} == mine
    for e in entries:
        for pattern in e.files:
            assert list(shared_data.glob(pattern)), f"{e.source}: nothing matches {pattern}"


def test_ustr_lists_warn_with_count_of_chapter99_lines() -> None:
    path = shared("trade-tariffs", "us-tariffs-on-china", "tariff_list.rdata")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = get_source("section301").read(path)
    msgs = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert msgs and "dropped 4 chapter-99 line(s)" in msgs[0]
    l1 = {
        c
        for c, m in zip(
            table.column("product_code").to_pylist(),
            table.column("measure").to_pylist(),
            strict=True,
        )
        if m == "301_list1"
    }
    assert len(l1) == 817 and "99038801" not in l1


def test_232_retaliation_lists_agree_across_sources() -> None:
    """MOFCOM's 1 April 2018 annex (128 HS8) and the BJZ HS10 sheet code the same lines/rates."""
    annex = (
        get_source("china_retaliation")
        .read(shared("trade-tariffs", "us-tariffs-on-china", "P020180401856022545193.xlsx"))
        .to_pandas()
    )
    bjz = (
        get_source("china_retaliation")
        .read(
            shared("trade-tariffs", "consumption_and_tradewar", "bown-jung-zhang-2019-06-12.xlsx")
        )
        .to_pandas()
    )
    b232 = bjz[bjz.measure == "retaliation_232"].assign(hs8=lambda t: t.product_code.str[:8])
    rates = b232.groupby("hs8").rate_pct.agg(["min", "max"])
    assert len(annex) == 128 and set(rates.index) == set(annex.product_code)
    joined = annex.set_index("product_code").rate_pct
    assert (rates["min"] == joined.reindex(rates.index)).all()
    assert (rates["max"] == joined.reindex(rates.index)).all()
    assert dict(annex.rate_pct.value_counts()) == {15.0: 120, 25.0: 8}
