"""Claims engine: catalog, verdicts, and each checker's rule on small stores built with store.write."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from techties.claims import (
    CHECKERS,
    REASONS,
    Figure,
    Verdict,
    check_all,
    check_claim,
    format_value,
    get_claim,
    load_catalog,
)
from techties.claims.catalog import parse_catalog
from techties.claims.checkers import controls, ge, science
from techties.errors import ConfigError, UnknownNameError
from techties.store import Store
from test_claims_helpers import flows, indicators, need_table, write_rows


@pytest.fixture(autouse=True)
def _no_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """GE checkers read TECHTIES_DATA; these tests use small stores only."""
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path_factory.mktemp("cache")))


# -- catalog ---------------------------------------------------------------------------------
def test_catalog_has_the_issue_claims_and_both_sides() -> None:
    claims = load_catalog()
    assert [c.number for c in claims] == list(range(1, len(claims) + 1))
    assert len(claims) >= 13
    assert len({c.id for c in claims}) == len(claims)
    for c in claims:
        assert c.paraphrase and c.question and c.rule and c.caveats, c.id
        assert any(c.evidence.values()), c.id
        assert c.checker in CHECKERS, f"{c.id}: checker {c.checker!r} is not registered"
        assert CHECKERS[c.checker].claim_id == c.id
        assert CHECKERS[c.checker].method.count(".") >= 2, (
            f"{c.checker}: method needs two sentences"
        )
    assert sum(c.side == "supporters of restrictions" for c in claims) >= 2


def test_get_claim_by_id_or_number_and_unknown_name() -> None:
    assert get_claim("10").id == "china-most-doctorates"
    with pytest.raises(UnknownNameError, match="Did you mean 'china-most-doctorates'"):
        get_claim("china-most-doctorate")


def test_parse_catalog_names_the_missing_keys() -> None:
    with pytest.raises(ConfigError, match="entry 1 lacks question, evidence"):
        parse_catalog("- {id: x, number: 1, paraphrase: p, rule: r, caveats: [], checker: c}")


# -- verdicts --------------------------------------------------------------------------------
def test_verdict_validates_status_and_reason() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        Verdict("x", "unverifiable")
    with pytest.raises(ValueError, match="only unverifiable"):
        Verdict("x", "supported", "no_data")
    with pytest.raises(ValueError, match="not one of"):
        Verdict("x", "true")  # type: ignore[arg-type]


def test_figures_format_with_units_and_tidy_accessor_agree() -> None:
    v = Verdict(
        "x", "mixed", figures=[Figure("a", "A", 48.47, "USD bn"), Figure("b", "B", -3.25, "pp")]
    )
    assert v.tidy()["formatted"].tolist() == ["USD 48.5 bn", "-3.2 pp"]
    assert v.figure("b") == pytest.approx(-3.25)
    assert format_value(1106, "entries") == "1,106 entries"
    assert format_value(2.5, "pp") == "+2.5 pp"
    assert format_value(None, "%") == "n/a"
    json.dumps(v.to_dict())


def test_empty_store_gives_honest_unverifiable_verdicts(store: Store) -> None:
    verdicts = check_all(store, strict=True)
    assert [v.claim_id for v in verdicts] == [c.id for c in load_catalog()]
    for v in verdicts:
        assert v.status == "unverifiable" and v.reason in REASONS
        assert v.missing, v.claim_id
        assert v.method, v.claim_id


# -- claim 5: R&D pace ----------------------------------------------------------------------
def _rd(store: Store, late: float) -> int:
    need_table(store, "indicators")
    values = {("CHN", 2010): 1.70, ("CHN", 2017): 2.12, ("CHN", 2023): late, ("USA", 2017): 2.8}
    return write_rows(store, "indicators", indicators(science.RD_INTENSITY, values))


@pytest.mark.parametrize(
    ("late", "status"),
    [(2.80, "supported"), (2.20, "contradicted"), (2.48, "mixed")],
)
def test_rd_pace_rule(store: Store, late: float, status: str) -> None:
    # pre pace = 0.42 / 7 = 0.06 pp/yr; post = (late - 2.12) / 6
    pid = _rd(store, late)
    v = check_claim(store, "china-accelerated-rd")
    assert v.status == status
    assert v.figure("pace_pre") == pytest.approx(0.06)
    assert v.figure("pace_post") == pytest.approx((late - 2.12) / 6)
    assert v.provenance_ids == [pid]


def test_rd_pace_needs_the_base_years(store: Store) -> None:
    need_table(store, "indicators")
    write_rows(
        store,
        "indicators",
        indicators(science.RD_INTENSITY, {("CHN", 2019): 2.2, ("CHN", 2020): 2.4}),
    )
    v = check_claim(store, "5")
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "2010" in v.missing


# -- claim 10: doctorates --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("usa", "status"),
    [(50_000.0, "supported"), (72_731.0, "contradicted"), (62_000.0, "mixed")],
)
def test_doctorates_rule(store: Store, usa: float, status: str) -> None:
    need_table(store, "indicators")
    vals = {
        ("CHN", 2018): 60_724.0,
        ("USA", 2018): usa,
        ("DEU", 2018): 27_000.0,
        ("CHN", 2010): 48_000.0,
    }
    write_rows(store, "indicators", indicators(science.DOCTORATES, vals))
    v = check_claim(store, "china-most-doctorates")
    assert v.status == status
    assert v.figure("china") == 60_724.0
    assert "degrees awarded" in v.rationale


# -- claim 3: US companies in China ----------------------------------------------------------
def test_mne_activity_growth_and_decline(store: Store) -> None:
    need_table(store, "indicators")
    write_rows(
        store,
        "indicators",
        indicators(
            science.MNE_RD, {("CHN", 2015): 6265.0, ("CHN", 2018): 7867.0, ("CHN", 2022): 13052.0}
        ),
    )
    write_rows(
        store,
        "indicators",
        indicators(science.MNE_EMPLOYMENT, {("CHN", 2018): 881.0, ("CHN", 2022): 1137.0}),
    )
    v = check_claim(store, "us-mne-gain-china")
    assert v.status == "supported"
    # growth from 2018, the first comparable BERD year
    assert v.figure("rd_growth") == pytest.approx(100 * (13052 / 7867 - 1))
    assert len(v.provenance_ids) == 2


def test_mne_activity_contradicted_when_both_fall(store: Store) -> None:
    need_table(store, "indicators")
    write_rows(
        store,
        "indicators",
        indicators(science.MNE_RD, {("CHN", 2015): 9000.0, ("CHN", 2022): 6000.0}),
    )
    write_rows(
        store,
        "indicators",
        indicators(science.MNE_EMPLOYMENT, {("CHN", 2018): 1000.0, ("CHN", 2022): 700.0}),
    )
    assert check_claim(store, "3").status == "contradicted"


# -- claim 9: Entity List reach --------------------------------------------------------------
def _entries(counts: dict[tuple[str, int], int]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for (iso3, year), n in counts.items():
        for i in range(n):
            rows.append(
                {
                    "list": "BIS Entity List", "list_id": controls.ENTITY_LIST_ID, "entry": len(rows) + 1,
                    "name": f"Firm {iso3} {year} {i}", "country": iso3, "country_iso3": iso3,
                    "date_added": dt.date(year, 5, 1), "date_basis": "earliest citation",
                    "snapshot": dt.date(2025, 10, 9),
                }
            )  # fmt: skip
    return rows


@pytest.mark.parametrize(("late", "status"), [(6, "supported"), (2, "contradicted"), (4, "mixed")])
def test_entity_list_reach_rule(store: Store, late: int, status: str) -> None:
    need_table(store, "entity_list")
    counts = {("ARE", y): 1 for y in range(2017, 2021)}  # 4 third-country entries in 2017–2020
    counts.update({("ARE", 2021): late - late // 2, ("SGP", 2024): late // 2})
    counts.update({("CHN", 2019): 5, ("RUS", 2022): 9, ("ARE", 2025): 7})  # 2025 = partial year
    pid = write_rows(store, "entity_list", _entries(counts))
    v = check_claim(store, "us-extends-rules-third-parties")
    assert v.status == status
    assert (v.figure("third_early"), v.figure("third_late")) == (4, late)
    assert v.figure("china_total") == 5
    assert v.provenance_ids == [pid]


# -- claim 13: chip access -------------------------------------------------------------------
def _taiwan(store: Store, shares: dict[int, tuple[float, float]]) -> int:
    rows = []
    for year, (china_hk, total) in shares.items():
        rows += [
            {
                "reporter": "TWN",
                "partner": "CHN",
                "flow": "export",
                "year": year,
                "product_code": "8542",
                "value_usd": 0.6 * china_hk,
            },
            {
                "reporter": "TWN",
                "partner": "HKG",
                "flow": "export",
                "year": year,
                "product_code": "8542",
                "value_usd": 0.4 * china_hk,
            },
            {
                "reporter": "TWN",
                "partner": "USA",
                "flow": "export",
                "year": year,
                "product_code": "8542",
                "value_usd": total - china_hk,
            },
        ]
    return write_rows(store, "trade_flows", flows(rows))


def test_chip_access_supported_when_the_china_share_falls(store: Store) -> None:
    pid = _taiwan(
        store, {2021: (60e9, 100e9), 2022: (58e9, 100e9), 2024: (52e9, 100e9), 2025: (20e9, 40e9)}
    )
    v = check_claim(store, "controls-slowed-chip-access")
    assert v.status == "supported"
    assert v.figure("share_last") == pytest.approx(52.0)  # 2025 is partial and skipped
    assert v.figure("change") == pytest.approx(-6.0)
    assert v.provenance_ids == [pid]


def test_chip_access_contradicted_when_the_china_share_rises(store: Store) -> None:
    _taiwan(store, {2022: (58e9, 100e9), 2023: (61e9, 100e9)})
    v = check_claim(store, "13")
    assert v.status == "contradicted"
    assert v.figure("change") == pytest.approx(3.0)


def test_chip_access_needs_2022(store: Store) -> None:
    _taiwan(store, {2019: (58e9, 100e9)})
    v = check_claim(store, "13")
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "2022" in v.missing


# -- claims on layers that may not have landed ------------------------------------------------
def test_layer_claims_say_which_layer_is_missing(store: Store) -> None:
    for claim_id in (
        "restrictions-hurt-both",
        "lifting-restrictions-benefits-both",
        "tariff-cost-on-us",
    ):
        v = check_claim(store, claim_id)
        assert v.status == "unverifiable"
        if v.reason == "not_yet":
            assert "techties." in v.missing


def test_verdict_chart_renders_to_svg(store: Store) -> None:
    from techties.charts import to_svg

    _taiwan(store, {2022: (58e9, 100e9), 2023: (50e9, 100e9)})
    svg = to_svg(check_claim(store, "13").plot())
    assert "<svg" in svg and "Taiwan" in svg


# -- GE claims: the rule applied to the simulation layer's welfare table ---------------------
def _ge_frame(values: dict[str, float], band: float | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"country": list(values), "welfare_pct": list(values.values())})
    if band is not None:
        df["p_low"] = df["welfare_pct"] - band
        df["p_high"] = df["welfare_pct"] + band
    return df


@pytest.mark.parametrize(
    ("usa", "chn", "status"),
    [(-0.06, -0.24, "supported"), (0.05, -0.24, "contradicted"), (-0.005, -0.24, "mixed")],
)
def test_ge_restrictions_rule(
    monkeypatch: pytest.MonkeyPatch, store: Store, usa: float, chn: float, status: str
) -> None:
    def fake(name: str, *, draws: int = 0) -> tuple[pd.DataFrame, list[dict[str, str]], str]:
        df = _ge_frame({"USA": usa, "CHN": chn, "JPN": 0.01, "KOR": -0.2, "NLD": 0.0})
        return df.assign(scenario=name, scenario_label=name), [], "eora2017"

    monkeypatch.setattr(ge, "run_scenario", fake)
    v = check_claim(store, "restrictions-hurt-both", strict=True)
    assert v.status == status
    assert v.figure(f"USA_{ge.TARIFF_SCENARIO}") == pytest.approx(usa)


@pytest.mark.parametrize(
    ("usa", "band", "status"),
    [(0.06, 0.02, "supported"), (-0.2, 0.05, "contradicted"), (0.01, 0.05, "mixed")],
)
def test_ge_lifting_rule_uses_the_draw_band(
    monkeypatch: pytest.MonkeyPatch, store: Store, usa: float, band: float, status: str
) -> None:
    def fake(name: str, *, draws: int = 0) -> tuple[pd.DataFrame, list[dict[str, str]], str]:
        assert draws == ge.DRAWS
        df = _ge_frame({"USA": usa, "CHN": 0.24}, band=band)
        return df.assign(scenario=name, scenario_label=name), [], "eora2017"

    monkeypatch.setattr(ge, "run_scenario", fake)
    v = check_claim(store, "11", strict=True)
    assert v.status == status


def test_ge_claims_need_the_data_folder(monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    v = check_claim(store, "chip-controls-hurt-allies", strict=True)
    assert v.status == "unverifiable" and v.reason in {"no_data", "not_yet"}


# -- claims 6 and 12: supplier shares (shares indicator) -------------------------------------
def _us_imports(store: Store, shares: dict[int, dict[str, float]], *, code: str = "TOTAL") -> int:
    """US imports (NAICS) by partner with a world total; ``shares`` in % of the world total."""
    level = 0 if code == "TOTAL" else len(code)
    rows = []
    for year, by_partner in shares.items():
        rows.append({"partner": "WLD", "year": year, "value_usd": 1000e9})
        rows += [{"partner": p, "year": year, "value_usd": 10e9 * s} for p, s in by_partner.items()]
    base = {"reporter": "USA", "flow": "import", "classification": "NAICS", "vintage": None,
            "product_code": code, "product_level": level}  # fmt: skip
    return write_rows(store, "trade_flows", flows([{**base, **r} for r in rows]))


def test_supplier_shift_supported_with_the_winners(store: Store) -> None:
    pytest.importorskip("techties.indicators.shares")
    pid = _us_imports(
        store,
        {
            2017: {"CHN": 21.6, "VNM": 2.0, "MEX": 13.0},
            2024: {"CHN": 13.2, "VNM": 4.4, "MEX": 15.1},
        },
    )
    v = check_claim(store, "us-firms-moved-production", strict=True)
    assert v.status == "supported"
    assert v.figure("change") == pytest.approx(-8.4)
    assert "VNM +2.4 pp" in v.rationale
    assert v.provenance_ids == [pid]


def test_supplier_shift_contradicted_when_china_holds_its_share(store: Store) -> None:
    pytest.importorskip("techties.indicators.shares")
    _us_imports(store, {2017: {"CHN": 20.0, "VNM": 2.0}, 2023: {"CHN": 20.5, "VNM": 2.1}})
    assert check_claim(store, "6", strict=True).status == "contradicted"


def test_tech_dependence_reads_naics_334(store: Store) -> None:
    pytest.importorskip("techties.indicators.shares")
    _us_imports(
        store, {2017: {"CHN": 46.1, "TWN": 5.0}, 2024: {"CHN": 44.0, "TWN": 15.0}}, code="334"
    )
    _us_imports(store, {2017: {"CHN": 21.6}, 2024: {"CHN": 13.2}})  # all goods: not used here
    v = check_claim(store, "tariffs-cut-dependence", strict=True)
    assert v.status == "mixed"  # −2.1 pp: between the 1 pp and 3 pp thresholds
    assert v.figure("change") == pytest.approx(-2.1)


# -- claim 7: duties paid (effective duty rates indicator), pass-through not yet --------------
def test_tariff_incidence_reports_duties_while_the_estimate_is_missing(store: Store) -> None:
    pytest.importorskip("techties.indicators.exposure")
    rows = []
    for year, (value, duties) in {2017: (503.65e9, 13.50e9), 2019: (454.33e9, 41.38e9)}.items():
        for p, f in (("CHN", 1.0), ("WLD", 4.6)):
            rows.append({"reporter": "USA", "partner": p, "flow": "import", "year": year,
                         "product_code": "TOTAL", "product_level": 0, "value_usd": value * f,
                         "duties_usd": duties * f})  # fmt: skip
    pid = write_rows(store, "trade_flows", flows(rows))
    v = check_claim(store, "tariff-cost-on-us", strict=True)  # no data folder: no panel files
    assert v.status == "unverifiable" and v.reason in {"no_data", "not_yet"}
    assert "pass-through" in v.missing
    assert v.figure("duties_peak") == pytest.approx(41.38)
    assert v.figure("rate_last") == pytest.approx(100 * 41.38 / 454.33)
    assert v.provenance_ids == [pid] and v.chart is not None


# -- claim 4: rerouting (rerouting indicator with the Section 301 lists) ----------------------
def _rerouting_store(store: Store, *, vnm_2024: float, mirror: float | None) -> None:
    need_table(store, "tariff_measures")
    lines = [
        {"dataset": "fixture", "imposer": "USA", "target": "CHN", "product_code": code,
         "vintage": "HTS2018", "product_level": 8, "measure": "301_list3", "kind": "additional",
         "program": "section_301", "rate_pct": 25.0, "specific_rate": False,
         "start_date": dt.date(2018, 9, 24), "status": "in_force"}
        for code in ("85176200", "94036080")
    ]  # fmt: skip
    write_rows(store, "tariff_measures", lines)
    rows = []
    for code in ("851762", "940360"):
        for year, chn, vnm, mex in ((2017, 80e9, 5e9, 15e9), (2024, 40e9, vnm_2024, 16e9)):
            rows += [
                {"reporter": "USA", "partner": p, "flow": "import", "year": year, "product_code": code,
                 "product_level": 6, "value_usd": v}
                for p, v in (("CHN", chn), ("VNM", vnm), ("MEX", mex))
            ]  # fmt: skip
    if mirror is not None:
        rows += [
            {"reporter": "VNM", "partner": "CHN", "flow": "import", "year": y, "product_code": "TOTAL",
             "product_level": 0, "value_usd": v}
            for y, v in ((2017, 60e9), (2024, 60e9 * (1 + mirror)))
        ]  # fmt: skip
    write_rows(store, "trade_flows", flows(rows))


@pytest.mark.parametrize(
    ("vnm_2024", "mirror", "status"),
    [(20e9, 0.5, "supported"), (20e9, None, "mixed"), (5.5e9, None, "contradicted")],
)
def test_rerouting_rule(store: Store, vnm_2024: float, mirror: float | None, status: str) -> None:
    pytest.importorskip("techties.indicators.rerouting")
    _rerouting_store(store, vnm_2024=vnm_2024, mirror=mirror)
    v = check_claim(store, "rerouting-not-decoupling", strict=True)
    assert v.status == status, v.rationale
    assert v.figure("china_share_change") < -2


@pytest.mark.parametrize(
    ("beta_p", "low", "high", "status"),
    [
        (0.301, -0.031, 0.633, "supported"),
        (-0.9, -1.0, -0.8, "contradicted"),
        (-0.4, -0.7, -0.1, "mixed"),
    ],
)
def test_tariff_incidence_rule_reads_one_plus_beta_p(
    monkeypatch: pytest.MonkeyPatch,
    store: Store,
    beta_p: float,
    low: float,
    high: float,
    status: str,
) -> None:
    """The estimation layer's table (β_P of ln unit value on ln(1+τ)) → pass-through 1 + β_P."""
    from techties.claims.checkers import tariffs

    table = pd.DataFrame(
        {"outcome": ["value", "unit_value"], "term": "ln1p_tariff", "estimate": [-2.97, beta_p],
         "std_error": 0.1, "statistic": 0.0, "p_value": 0.0, "conf_low": [-3.5, low],
         "conf_high": [-2.4, high]}
    )  # fmt: skip
    monkeypatch.setattr(tariffs, "_incidence_table", lambda: (table, []))
    v = check_claim(store, "7", strict=True)
    assert v.status == status
    assert v.figure("pass_through") == pytest.approx(1 + beta_p)
    assert v.figure("conf_low") == pytest.approx(1 + low)


def test_import_reliance_stays_unverifiable_but_shows_the_us_share(store: Store) -> None:
    pytest.importorskip("techties.indicators.decoupling")
    need_table(store, "indicators")
    rows = [
        {"reporter": "CHN", "partner": "USA", "flow": "import", "year": y, "product_code": "TOTAL",
         "product_level": 0, "value_usd": v}
        for y, v in ((2017, 154.44e9), (2023, 165.16e9))
    ]  # fmt: skip
    write_rows(store, "trade_flows", flows(rows))
    write_rows(
        store,
        "indicators",
        indicators("TM.VAL.MRCH.CD.WT", {("CHN", 2017): 1843.79e9, ("CHN", 2023): 2556.94e9}),
    )
    v = check_claim(store, "china-hightech-relies-on-imports", strict=True)
    assert v.status == "unverifiable"  # the foreign value-added share is still missing
    assert v.figure("us_share_base") == pytest.approx(8.376, abs=0.001)
    assert v.figure("us_share_last") == pytest.approx(6.459, abs=0.001)
    assert len(v.provenance_ids) == 2
