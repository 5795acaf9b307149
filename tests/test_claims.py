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
    load_checkers,
)
from techties.claims.catalog import parse_catalog
from techties.claims.checkers import controls, science
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
    load_checkers()
    claims = load_catalog()
    assert [c.number for c in claims] == list(range(1, len(claims) + 1))
    assert len(claims) >= 13
    assert len({c.id for c in claims}) == len(claims)
    for c in claims:
        assert c.paraphrase and c.question and c.rule and c.caveats, c.id
        assert c.stated and c.stated_by and c.design, c.id
        assert c.checker in CHECKERS, f"{c.id}: checker {c.checker!r} is not registered"
        if CHECKERS[c.checker].generic:  # sentences no data can test: say why in the rule
            assert not c.evidence and c.rule.startswith(("Not testable", "A policy")), c.id
            continue
        assert any(c.evidence.values()), c.id
        assert CHECKERS[c.checker].claim_id == c.id
        assert c.alternatives or c.checker == "personnel_exchanges", c.id
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


# -- claim 10: doctorates --------------------------------------------------------------------


# -- claim 3: US companies in China ----------------------------------------------------------


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


def test_chip_access_needs_2022(store: Store) -> None:
    _taiwan(store, {2019: (58e9, 100e9)})
    v = check_claim(store, "13")
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "2022" in v.missing


# -- claims on layers that may not have landed ------------------------------------------------
def test_model_claims_say_which_data_they_need(store: Store) -> None:
    for claim_id in (
        "restrictions-hurt-both",
        "lifting-restrictions-benefits-both",
        "tariff-cost-on-us",
    ):
        v = check_claim(store, claim_id)
        assert (v.status, v.reason) == ("unverifiable", "no_data"), v.claim_id
        assert "data folder" in v.missing or "--data" in v.missing, v.missing


# -- GE claims: the rule applied to the simulation layer's welfare table ---------------------
def _ge_frame(values: dict[str, float], band: float | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"country": list(values), "welfare_pct": list(values.values())})
    if band is not None:
        df["p_low"] = df["welfare_pct"] - band
        df["p_high"] = df["welfare_pct"] + band
    return df


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
