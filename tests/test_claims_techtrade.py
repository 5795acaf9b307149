"""Claims 2 and 13 on small stores built by the real readers (fixtures in the official layouts)
and by store.write, including data that contradict each claim."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from techties.claims.checkers import controls
from techties.store import Store
from test_claims_helpers import flows, write_rows

FIX = FIXTURES / "techtrade"
CLAIM2, CLAIM13 = "china-hightech-relies-on-imports", "controls-slowed-chip-access"


@pytest.fixture(autouse=True)
def _no_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))


def _wiod(store: Store, rows: list[tuple[str, str, int, float, float]]) -> int:
    out = []
    for exporter, importer, year, gross, dva in rows:
        for code, value in (("wiod:EXGR", gross), ("wiod:DVA", dva)):
            out.append({
                "source": "wiod_dva", "indicator": code, "name": code, "unit": "USD million",
                "country": exporter, "country_label": exporter, "partner": importer,
                "partner_label": importer, "year": year, "value": value, "flag": None,
            })  # fmt: skip
    return write_rows(store, "indicators", out)


def _components(store: Store, us: float, world: float, year: int = 2023) -> int:
    rows = [
        {"reporter": "CHN", "partner": p, "flow": "import", "year": year, "product_code": code,
         "value_usd": v / 2}
        for p, v in (("USA", us), ("WLD", world))
        for code in ("8541", "8542")
    ]  # fmt: skip
    return write_rows(store, "trade_flows", flows(rows))


# -- claim 2 -------------------------------------------------------------------------------


# -- claim 13 ------------------------------------------------------------------------------


def test_taiwan_source_is_seen_by_the_checker() -> None:
    assert controls._taiwan_reader()


# -- claim 8: observed context beside the GE rule ---------------------------------------------
def test_claim8_context_is_the_allies_chip_exports_to_the_world(store: Store) -> None:
    from techties.claims.checkers import ge

    rows = [
        {"source": "comtrade_latin1", "reporter": c, "partner": "WLD", "flow": "export", "year": y,
         "product_code": "8542", "value_usd": v}
        for c, base, last in (("JPN", 100.0, 90.0), ("KOR", 100.0, 120.0), ("NLD", 50.0, 25.0))
        for y, v in ((2022, base), (2024, last))
    ]  # fmt: skip
    rows.append({"source": "comtrade", "reporter": "JPN", "partner": "WLD", "flow": "export",
                 "year": 2025, "product_code": "8542", "value_usd": 1.0})  # fmt: skip
    pid = write_rows(store, "trade_flows", flows(rows))
    figs, ids, note = ge._ally_chip_exports(store)
    got = {f.key: f.value for f in figs}
    assert got == pytest.approx(
        {
            "JPN_chip_exports_world_change": -10.0,
            "KOR_chip_exports_world_change": 20.0,
            "NLD_chip_exports_world_change": -50.0,
        }
    )  # fmt: skip  (2025 has only Japan, so 2024 is the last year all three report)
    assert ids == [pid] and "not part of the rule" in note and "2022 to 2024" in note


def test_claim8_context_absent_without_2022(store: Store) -> None:
    from techties.claims.checkers import ge

    assert ge._ally_chip_exports(store) == ([], [], "")
