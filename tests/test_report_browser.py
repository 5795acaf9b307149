"""The report as a reader sees it: rendered in headless Debian Chromium (marked ``browser``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techties.claims import load_catalog
from techties.report import build_report
from techties.store import Store
from test_claims_helpers import flows, need_table, write_rows

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent"),
]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No data folder from the environment (GE would run) and caches in tmp."""
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path_factory.mktemp("cache")))


def _small_store(store: Store) -> None:
    rows = []
    for year, china in {2021: 60e9, 2022: 58e9, 2023: 52e9, 2024: 51e9}.items():
        rows += [
            {"reporter": "TWN", "partner": "CHN", "flow": "export", "year": year, "product_code": "8542", "value_usd": china},
            {"reporter": "TWN", "partner": "USA", "flow": "export", "year": year, "product_code": "8542", "value_usd": 100e9 - china},
        ]  # fmt: skip
    write_rows(store, "trade_flows", flows(rows))
    need_table(store, "entity_list")
    entries = [
        {"list": "BIS Entity List", "list_id": "bis-entity-list", "entry": i + 1, "name": f"F{i}",
         "country": c, "country_iso3": c, "date_added": dt.date(y, 3, 1)}
        for i, (c, y) in enumerate([("ARE", 2017), ("ARE", 2019), ("SGP", 2022), ("SGP", 2023), ("CHN", 2024), ("ARE", 2025)])
    ]  # fmt: skip
    write_rows(store, "entity_list", entries)


def test_report_renders_every_section_and_chart_without_console_errors(
    store: Store, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    _small_store(store)
    result = build_report(store, tmp_path / "out")
    with_chart = {v.claim_id for v in result.verdicts if v.chart is not None}
    assert {"controls-slowed-chip-access", "us-extends-rules-third-parties"} <= with_chart
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                errors.append(f"network request {r.url}")
                if not r.url.startswith(("file:", "data:"))
                else None
            ),
        )
        page.goto(result.html.resolve().as_uri())
        for claim in load_catalog():
            section = page.locator(f"section.claim#{claim.id}")
            assert section.count() == 1, claim.id
            assert claim.paraphrase in section.inner_text()
        for v in result.verdicts:  # a chart where the verdict has one, a note where it has none
            fig = page.locator(f"figure[data-chart='{v.claim_id}']")
            if v.claim_id in with_chart:
                svg = fig.locator("svg")
                assert svg.count() == 1, v.claim_id
                box = svg.bounding_box()
                assert box is not None and 300 < box["width"] <= 1200, (v.claim_id, box)
                assert "Source:" in (svg.text_content() or "")
            else:
                assert "No chart" in fig.inner_text(), v.claim_id
        assert page.locator("table.summary tbody tr").count() == len(load_catalog())
        # nothing wider than the viewport (no horizontal overflow)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1200
        page.screenshot(path="/tmp/techties-report-browser.png", full_page=True)
        page.set_viewport_size({"width": 420, "height": 900})  # a phone: still no sideways scroll
        assert page.evaluate("document.documentElement.scrollWidth") <= 420
        browser.close()
    assert errors == []


def test_pdf_export_with_headless_chromium(store: Store, tmp_path: Path) -> None:
    _small_store(store)
    result = build_report(store, tmp_path / "pdf", pdf=True)
    assert result.pdf is not None
    head = result.pdf.read_bytes()[:5]
    assert head == b"%PDF-" and result.pdf.stat().st_size > 20_000
