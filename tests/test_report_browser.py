"""The report as a reader sees it: rendered in headless Debian Chromium (marked ``browser``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_helpers import CHROMIUM, watched_page
from techties.claims import load_catalog
from techties.report import build_report
from techties.store import Store
from test_claims_helpers import chips_and_entities

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent"),
]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No data folder from the environment (GE would run) and caches in tmp."""
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path_factory.mktemp("cache")))


def test_report_renders_every_section_and_chart_without_console_errors(
    store: Store, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chips_and_entities(store)
    result = build_report(store, tmp_path / "out")
    with_chart = {v.claim_id for v in result.verdicts if v.chart is not None}
    assert {"controls-slowed-chip-access", "us-extends-rules-third-parties"} <= with_chart
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        page = watched_page(p, errors, ("file:", "data:"))
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
        page.set_viewport_size({"width": 400, "height": 900})  # a phone: still no sideways scroll
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        # charts keep their drawn size on a phone (text stays 10–12 px; the chart scrolls
        # sideways inside its box) instead of shrinking to ~5 px text
        scales = page.evaluate(
            "() => [...document.querySelectorAll('figure svg.chart')].map("
            "s => s.getBoundingClientRect().width / s.width.baseVal.value)"
        )
        assert scales and min(scales) > 0.99, scales
        page.context.browser.close()
    assert errors == []


def test_pdf_export_with_headless_chromium(store: Store, tmp_path: Path) -> None:
    chips_and_entities(store)
    result = build_report(store, tmp_path / "pdf", pdf=True)
    assert result.pdf is not None
    head = result.pdf.read_bytes()[:5]
    assert head == b"%PDF-" and result.pdf.stat().st_size > 20_000
