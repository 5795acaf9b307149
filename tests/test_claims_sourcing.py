"""Claims 2 and 4 (sourcing checkers): the rule on small stores (one case per status, data that
contradict the claim included) and pinned numbers on the real data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from techties.claims import check_claim
from techties.claims.checkers import sourcing
from techties.indicators.rerouting import product_panel
from techties.store import Store
from test_claims_helpers import flows, need_table, write_model_inputs, write_rows

COUNTRIES = ("CHN", "USA", "VNM", "MEX", "DEU")
SECTORS = ("A01", "C26", "C27", "C28", "Services (aggregate)")
LISTED = [f"8517{i:02d}" for i in range(10, 20)]
UNLISTED = [f"9403{i:02d}" for i in range(10, 20)]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path_factory.mktemp("cache")))


def _icio(*, boost: float = 1.2, us_c26: float = 20.0) -> sourcing.Icio:
    """Synthetic cubes 2014–2022: China's exports to VNM/MEX grow 5 % a year, ``boost`` times
    faster after 2018; to Germany 5 % a year; the US supplies ``us_c26`` % of China's C26/C27
    imports (the rest from Germany)."""
    ix = {c: i for i, c in enumerate(COUNTRIES)}
    cubes = {}
    for y in range(2014, 2023):
        x = np.zeros((len(SECTORS), len(COUNTRIES), len(COUNTRIES)))
        trend = 1.05 ** (y - 2014)
        kick = boost ** max(0, y - 2018)
        for s in (1, 2, 3):
            x[s, ix["DEU"], ix["CHN"]] = 100 * trend
            x[s, ix["USA"], ix["CHN"]] = 50.0
            for c in ("VNM", "MEX"):
                x[s, ix[c], ix["CHN"]] = 10 * trend * kick
                x[s, ix["USA"], ix[c]] = 20.0
                x[s, ix[c], ix[c]] = 80.0
            x[s, ix["CHN"], ix["CHN"]] = 400.0
            x[s, ix["CHN"], ix["USA"]] = us_c26
            x[s, ix["CHN"], ix["DEU"]] = 100 - us_c26
        cubes[y] = x
    return sourcing.Icio(COUNTRIES, SECTORS, cubes)


def _store_icio(store: Store, icio: sourcing.Icio) -> None:
    """The cubes as the ``icio_tariffwar`` source stores them: one dataset per year."""
    for y, x in icio.flows.items():
        write_model_inputs(
            store, f"icio{y}", {"Xjik_3D": x, "tjik_3D": np.zeros_like(x), "year": [y]},
            {"countries": icio.countries, "sectors": icio.sectors},
        )  # fmt: skip


def _store_ruv(store: Store, years: tuple[int, ...] = (2015, 2018)) -> None:
    """China's ICIO 2021 shares as the ``ruv_icio`` source stores them: uniform cost shares
    1/14 and value-added shares 0.3 on the 14 sectors."""
    secs = [str(s) for s in sourcing.RUV_SECTORS]
    arrays: dict[str, object] = {"va": np.full((len(years), 14), 0.3)}
    texts: dict[str, list[str]] = {
        "va:columns": [f"sector_{s}" for s in secs],
        "va:region": ["CHN"] * len(years),
        "va:year": [str(y) for y in years],
    }
    for y in years:
        arrays[f"io{y}"] = np.ones((14, 14)) / 14
        texts |= {f"io{y}:columns": [f"io{s}" for s in secs], f"io{y}:country": ["CHN"] * 14,
                  f"io{y}:sector": secs}  # fmt: skip
    write_model_inputs(store, "ruv_icio2021", arrays, texts)


# -- claim 4 ------------------------------------------------------------------------------------
def _us_imports(store: Store, *, listed_growth: float) -> None:
    """US imports 2015–2024 of ten listed and ten unlisted HS6 products: the connectors' sales
    of listed products grow by ``listed_growth`` a year after 2017, unlisted ones stay flat;
    China's listed sales halve."""
    need_table(store, "tariff_measures")
    lines = [
        {"dataset": "fixture", "imposer": "USA", "target": "CHN", "product_code": f"{c}00",
         "vintage": "HTS2018", "product_level": 8, "measure": "301_list3", "kind": "additional",
         "program": "section_301", "rate_pct": 25.0, "specific_rate": False,
         "start_date": dt.date(2018, 9, 24), "status": "in_force"}
        for c in LISTED
    ]  # fmt: skip
    write_rows(store, "tariff_measures", lines)
    rows = []
    for y in range(2015, 2025):
        g = listed_growth ** max(0, y - 2017)
        for code in LISTED + UNLISTED:
            listed = code in LISTED
            chn = 4e9 * (0.5 if listed and y > 2017 else 1.0)
            for p, v in (("CHN", chn), ("VNM", 1e9 * (g if listed else 1)),
                         ("MEX", 2e9 * (g if listed else 1))):  # fmt: skip
                rows.append({"reporter": "USA", "partner": p, "flow": "import", "year": y,
                             "product_code": code, "product_level": 6, "value_usd": v})  # fmt: skip
    write_rows(store, "trade_flows", flows(rows))


@pytest.mark.parametrize(
    ("growth", "boost", "status"),
    [(1.1, 1.2, "supported"), (0.9, 1.2, "contradicted"), (1.005, 1.2, "mixed")],
)
def test_rerouting_rule_on_a_small_store(
    store: Store, growth: float, boost: float, status: str
) -> None:
    _us_imports(store, listed_growth=growth)
    _store_icio(store, _icio(boost=boost))
    v = check_claim(store, "rerouting-not-decoupling", strict=True)
    assert v.status == status, v.rationale
    # (b1) listed minus unlisted growth of the connectors, 2017→2024: 100·(g⁷ − 1) − 0
    assert v.figure("listed_gap") == pytest.approx(100 * (growth**7 - 1), abs=1e-6)
    # every product grows alike: the bootstrap interval is the point
    assert v.figure("listed_gap_low") == pytest.approx(v.figure("listed_gap"), abs=1e-6)
    # (b2) exact pre-trend: the 2022 gap is 4 years of the post-2018 boost, in log points
    assert v.figure("link_gap") == pytest.approx(100 * 4 * np.log(boost), abs=1e-6)
    # China's listed sales halve; its share falls unless the connectors shrink as well
    assert (v.figure("china_share_change") < 0) == (growth > 0.95)
    assert v.figure("placebo_listed_gap") == pytest.approx(0.0, abs=1e-9)
    rob = v.robustness.set_index("spec")
    assert rob.loc["main specification", "status"] == v.decision.main_status
    # no concordance in this store: the HS2022 alternative cannot be computed and does not count
    assert rob.loc["codes harmonised to HS2022", "status"] == "unverifiable"
    assert len(v.evidence_for) + len(v.evidence_against) >= 4
    assert v.chart is not None and v.kind == "estimated"


def test_rerouting_with_falling_reach_is_contradicted(store: Store) -> None:
    """China's exports to everyone collapse after 2017: trade *was* cut (test a contradicts)."""
    _us_imports(store, listed_growth=1.1)
    icio = _icio()
    for y in range(2018, 2023):
        icio.flows[y][:, :, 0] *= 0.5  # every flow from China halves
    _store_icio(store, icio)
    v = check_claim(store, "rerouting-not-decoupling", strict=True)
    reach = next(t for t in v.tests if t.key == "reach")
    assert reach.status == "contradicted" and reach.estimate <= -40.0
    assert v.decision.main_status == "contradicted"
    # the cut happened in 2018: from a 2018 base China's reach grows, so the verdict is fragile
    rob = v.robustness.set_index("spec")
    assert rob.loc["base year 2018", "status"] != "contradicted"
    assert v.status == "mixed" and v.fragile


def test_rerouting_without_the_icio_is_unverifiable(store: Store) -> None:
    _us_imports(store, listed_growth=1.1)
    v = check_claim(store, "rerouting-not-decoupling", strict=True)
    assert v.status == "unverifiable" and v.reason == "no_data"
    assert "the store has no ICIO cubes" in v.missing and "techties ingest icio_tariffwar" in v.missing
    assert v.figure("listed_gap") == pytest.approx(100 * (1.1**7 - 1))  # still shown


def test_product_panel_carries_renumbered_codes(store: Store) -> None:
    """A HS2022 code linked to two HS2017 codes splits its value equally; totals preserved."""
    need_table(store, "hs_concordance")
    links = [
        {"from_vintage": "HS2022", "from_code": "850710", "to_vintage": "HS2017",
         "to_code": c, "weight": 0.5, "weight_basis": "equal", "relationship": "1:n"}
        for c in ("850710", "850720")
    ]  # fmt: skip
    write_rows(store, "hs_concordance", links, source="hs_conversion")
    rows = [
        {"reporter": "USA", "partner": "CHN", "flow": "import", "year": y, "product_code": "850710",
         "product_level": 6, "value_usd": 10.0, "vintage": v, "source": "comtrade"}
        for y, v in ((2017, "HS2017"), (2024, "HS2022"))
    ]  # fmt: skip
    write_rows(store, "trade_flows", flows(rows))
    panel, ids, notes = product_panel(store, source="comtrade", years=(2017, 2024))
    assert panel[("CHN", 2024)].to_dict() == {"850710": 5.0, "850720": 5.0}
    assert panel[("CHN", 2024)].sum() == panel[("CHN", 2017)].sum() == 10.0
    raw, _ids, _n = product_panel(store, source="comtrade", years=(2017, 2024), hs_vintage=None)
    assert raw[("CHN", 2024)].sum() == 10.0 and len(ids) == 1 and notes


# -- claim 2 ------------------------------------------------------------------------------------
def _reliance(monkeypatch: pytest.MonkeyPatch, store: Store, *, fva: float, us: float) -> None:
    """The ICIO cubes and RUV shares in the store; the foreign value-added share fixed at
    ``fva`` (its Leontief computation is tested on its own below)."""
    _store_ruv(store)
    monkeypatch.setattr(
        sourcing.reliance, "fva_share",
        lambda icio, r, year: {"electronics": fva, "first_round": fva / 2, "all": fva, "goods": fva},
    )  # fmt: skip
    _store_icio(store, _icio(us_c26=us))


@pytest.mark.parametrize(
    ("fva", "us", "status"),
    [(25.0, 20.0, "supported"), (25.0, 2.0, "contradicted"), (4.0, 20.0, "contradicted"),
     (12.0, 20.0, "mixed")],
)  # fmt: skip
def test_import_reliance_rule(
    monkeypatch: pytest.MonkeyPatch, store: Store, fva: float, us: float, status: str
) -> None:
    _reliance(monkeypatch, store, fva=fva, us=us)
    v = check_claim(store, "china-hightech-relies-on-imports", strict=True)
    # the inputs trace to the rows written: every ICIO year and the RUV shares
    prov = store.provenance(v.provenance_ids)
    assert {"/fixtures/model_inputs-icio2018.npz", "/fixtures/model_inputs-ruv_icio2021.npz"} <= set(
        prov["location"]
    )
    assert v.status == status, v.rationale
    assert v.figure("us_c26_share_pct") == pytest.approx(us)
    rob = v.robustness.set_index("spec")
    assert rob.loc["US share of all imported inputs of the electronics industry 2018", "status"]
    assert rob.loc["WIOD 2014 instead of ICIO (all exports)", "status"] == "unverifiable"
    assert v.evidence_for or v.evidence_against
    assert v.kind == "observed" and v.chart is not None


def test_import_reliance_without_the_data_folder_is_unverifiable(store: Store) -> None:
    v = check_claim(store, "china-hightech-relies-on-imports", strict=True)
    assert v.status == "unverifiable" and v.reason == "no_data"


def test_fva_share_matches_a_hand_computed_leontief() -> None:
    """Two-sector check: domestic shares d, A = (1 − β)·io; FVA = 1'(A∘(1−d))(I − A∘d)⁻¹."""
    icio = _icio(us_c26=20.0)
    io = np.zeros((14, 14))
    io[:, :] = 1 / 14
    beta = np.full(14, 0.5)
    out = sourcing.fva_share(icio, sourcing.RuvChina({2018: io}, {2018: beta}), 2018)
    # China's use of C26+C27 (sector 110) and of C28 (109): 400 domestic, 100 imported per
    # ICIO sector → d = 0.8; other sectors have no use in the fixture (d = 1)
    d = np.ones(14)
    d[sourcing.RUV_SECTORS.index(110)] = d[sourcing.RUV_SECTORS.index(109)] = 0.8
    a = io * 0.5
    want = 100 * (np.ones(14) @ (a * (1 - d)[:, None]) @ np.linalg.inv(np.eye(14) - a * d[:, None]))
    assert out["electronics"] == pytest.approx(want[sourcing.RUV_SECTORS.index(110)])


# -- real data ------------------------------------------------------------------------------------
@pytest.mark.realdata
@pytest.mark.slow
def test_rerouting_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, "rerouting-not-decoupling")
    t = {x.key: x for x in v.tests}
    # (a) ICIO: China's goods reaching the US directly and via VNM/MEX, 2017→2022 (observed)
    assert t["reach"].estimate == pytest.approx(28.4, abs=0.1) and t["reach"].status == "supported"
    assert v.figure("direct_change") == pytest.approx(23.3, abs=0.1)
    # (b1) listed − unlisted connectors' growth, 2017→2024, bootstrap interval straddles
    assert t["listed"].estimate == pytest.approx(-37.1, abs=0.5)
    lo, hi = t["listed"].bounds
    assert lo < 0 < 10 < hi or lo < 0 < hi, (lo, hi)
    assert t["listed"].status == "mixed"
    # (b2) pre-trend gap with comparator, 2022: −13.5 log points, interval ≈ [−52, +25]
    assert t["link"].estimate == pytest.approx(-13.5, abs=0.2)
    assert t["link"].bounds[0] == pytest.approx(-52.3, abs=0.5)
    assert t["link"].status == "mixed"
    assert v.status == "mixed" and not v.fragile
    # harmonisation: China's listed imports fall 21.9 %, not rise; fewer vanished products
    assert v.figure("china_listed_change") == pytest.approx(-21.9, abs=0.2)
    assert v.figure("vanished_harmonised") < v.figure("vanished_as_written") == 262
    rob = v.robustness.set_index("spec")
    assert len(rob) == 13 and set(rob["status"]) == {"mixed"}
    assert v.figure("placebo_listed_gap") == pytest.approx(7.8, abs=0.5)
    prov = real_store.provenance(v.provenance_ids)
    assert {Path(p).name for p in prov["location"]} >= {"ICIO2017.mat", "ICIO2022.mat"}
    assert v.chart is not None


@pytest.mark.realdata
@pytest.mark.slow
def test_import_reliance_on_the_real_data(real_store: Store, shared_data: Path) -> None:
    v = check_claim(real_store, "china-hightech-relies-on-imports")
    t = {x.key: x for x in v.tests}
    assert t["fva"].estimate == pytest.approx(20.7, abs=0.1) and t["fva"].status == "supported"
    assert t["us"].estimate == pytest.approx(4.4, abs=0.1) and t["us"].status == "contradicted"
    assert v.decision.main_status == "contradicted"
    assert v.status == "mixed" and v.fragile  # 2015 (6.2 %) and the input-weighted share (6.3 %)
    rob = v.robustness.set_index("spec")
    assert rob.loc["year 2015", "status"] == "mixed"
    assert rob.loc["all exports, not electronics only", "status"] == "contradicted"
    assert rob.loc["WIOD 2014 instead of ICIO (all exports)", "status"] == "contradicted"
    assert v.figure("fva_all_pct") == pytest.approx(14.7, abs=0.1)
    assert v.figure("fva_wiod_pct") == pytest.approx(16.8, abs=0.1)
    assert v.figure("us_c26_share_first_pct") == pytest.approx(6.4, abs=0.1)
    prov = real_store.provenance(v.provenance_ids)
    names = {Path(p).name for p in prov["location"]}
    assert {"ICIO2022.mat", "io_allyears.xlsx", "va_shares_allyears.xlsx"} <= names
    assert prov["sha256"].str.len().eq(64).all()
