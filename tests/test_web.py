"""The web dashboard: every page and endpoint through WSGI, then in headless Chromium."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server
from wsgiref.util import setup_testing_defaults

import pandas as pd
import pytest

from browser_helpers import CHROMIUM, watched_page
from techties.claims import check_all, load_catalog
from techties.store import Store
from techties.web import Dashboard
from techties.web.app import QuietHandler, cell
from test_claims_helpers import chips_and_entities


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No data folder from the environment (GE would run) and caches in tmp."""
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture()
def dashboard(store: Store) -> Dashboard:
    """The report tests' small store: two verdicts with charts, the rest unverifiable."""
    chips_and_entities(store)
    return Dashboard(store)


def _get(app: Dashboard, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"], _, environ["QUERY_STRING"] = path.partition("?")
    environ["REQUEST_METHOD"] = method
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got["status"], got["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return got["status"], got["headers"], body


def test_dashboard_lists_every_claim_with_its_verdict(dashboard: Dashboard) -> None:
    status, headers, body = _get(dashboard, "/")
    html = body.decode()
    assert status == "200 OK" and headers["Content-Type"].startswith("text/html")
    expected = {v.claim_id: v.status for v in check_all(dashboard.store)}
    for claim in load_catalog():
        assert f'data-claim="{claim.id}" data-status="{expected[claim.id]}"' in html
        assert f'href="/claims/{claim.id}"' in html
    assert expected["controls-slowed-chip-access"] == "unverifiable"  # controlled chips unmeasured
    assert expected["us-extends-rules-third-parties"] == "mixed"
    n_mixed = sum(s == "mixed" for s in expected.values())
    assert (
        f'data-status="mixed"><span class="badge mixed">Mixed</span> <strong>{n_mixed}</strong>'
        in html
    )
    # the filter keeps only that verdict
    _, _, only = _get(dashboard, "/?status=mixed")
    assert only.decode().count('<tr data-claim="') == n_mixed
    _, _, unknown = _get(dashboard, "/?status=true")  # not a verdict: every claim
    assert unknown.decode().count('<tr data-claim="') == len(expected)


def test_claim_page_has_the_section_chart_and_evidence(dashboard: Dashboard) -> None:
    status, _, body = _get(dashboard, "/claims/controls-slowed-chip-access")
    html = body.decode()
    assert status == "200 OK"
    assert '<section class="claim" id="controls-slowed-chip-access"' in html
    assert '<svg role="img" class="chart"' in html  # the verdict's chart, inline
    assert "mainland China and Hong Kong took 51.0 %" in html
    assert '<table class="tests">' in html and '<table class="robustness">' in html
    assert "Evidence against the claim" in html
    n_rows = len(
        next(
            v for v in dashboard.verdicts() if v.claim_id == "controls-slowed-chip-access"
        ).evidence
    )
    assert '<table class="evidence">' in html and f"{n_rows} row(s)." in html
    # by number too, and the evidence as CSV
    assert _get(dashboard, "/claims/13")[0] == "200 OK"
    status, headers, csv = _get(dashboard, "/claims/13/evidence.csv")
    table = pd.read_csv(io.BytesIO(csv))
    assert headers["Content-Type"].startswith("text/csv")
    shares = table.dropna(subset=["share_pct"])
    assert shares["year"].tolist() == list(range(2013, 2025))
    assert shares.loc[shares["year"] == 2024, "share_pct"].item() == pytest.approx(51.0)


def test_json_endpoints_and_errors(dashboard: Dashboard) -> None:
    status, headers, body = _get(dashboard, "/api/claims")
    verdicts = json.loads(body)
    assert status == "200 OK" and headers["Content-Type"].startswith("application/json")
    assert [v["claim_id"] for v in verdicts] == [c.id for c in load_catalog()]
    one = json.loads(_get(dashboard, "/api/claims/us-extends-rules-third-parties")[2])
    assert one["status"] == next(
        v["status"] for v in verdicts if v["claim_id"] == "us-extends-rules-third-parties"
    )
    status, _, body = _get(dashboard, "/claims/controls-slowed-chip")
    assert status == "404 Not Found"
    assert "No claim &#39;controls-slowed-chip&#39;." in body.decode()
    assert "Did you mean &#39;controls-slowed-chip-access&#39;?" in body.decode()
    status, _, body = _get(dashboard, "/api/claims/99")
    assert status == "404 Not Found" and json.loads(body)["error"] == "No claim '99'."
    assert _get(dashboard, "/nowhere")[0] == "404 Not Found"
    assert _get(dashboard, "/", method="POST")[0] == "405 Method Not Allowed"


def test_sources_page_and_refresh(dashboard: Dashboard) -> None:
    status, _, body = _get(dashboard, "/sources")
    html = body.decode()
    ids = sorted({i for v in dashboard.verdicts() for i in v.provenance_ids})
    assert status == "200 OK" and ids
    for i in ids:
        assert f'<td class="num">{i}</td>' in html
    first = dashboard.verdicts()
    status, headers, _ = _get(dashboard, "/refresh")
    assert status == "303 See Other" and headers["Location"] == "/"
    assert dashboard.verdicts() is not first  # checked again


def test_evidence_cells_are_formatted_for_reading() -> None:
    assert [cell(x) for x in (None, 3, 123456789, 62.823154, 1.2e10, 0.000123, "CHN")] == [
        "—", "3", "123,456,789", "62.82", "12,000,000,000", "0.000123", "CHN",
    ]  # fmt: skip


@pytest.fixture()
def served(dashboard: Dashboard) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, dashboard, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_dashboard_in_chromium_without_console_errors(served: str) -> None:
    """A reader's path: the dashboard, a verdict filter, a claim page with its chart; no console
    errors and no request leaving the local server."""
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        page = watched_page(p, errors, (served,))
        page.goto(served + "/")
        assert page.locator("tr[data-claim]").count() == len(load_catalog())
        page.click("a.filter[data-status='mixed']")
        assert (
            page.locator("tr[data-claim]").count()
            == page.locator("tr[data-status='mixed']").count()
            > 0
        )
        page.click("text=All")
        page.click("a[href='/claims/controls-slowed-chip-access']")
        assert page.url == served + "/claims/controls-slowed-chip-access"
        assert page.locator("section.claim svg.chart").count() == 1
        assert page.locator("table.evidence tbody tr").count() > 12
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1200  # nothing overflows the window
        page.set_viewport_size({"width": 420, "height": 900})  # a phone: no sideways scroll
        assert page.evaluate("document.documentElement.scrollWidth") <= 420
        page.set_viewport_size({"width": 1200, "height": 900})
        page.click("text=← all claims")
        assert page.url == served + "/"
        page.context.browser.close()
    assert errors == []


def test_serve_refuses_an_empty_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from techties.cli.main import main
    from techties.store import open_store

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--store", str(tmp_path / "absent.duckdb"), "--port", "0"])
    assert exited.value.code == 1
    assert "There is no store at" in capsys.readouterr().err
    assert not (tmp_path / "absent.duckdb").exists()
    open_store(tmp_path / "empty.duckdb").close()
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--store", str(tmp_path / "empty.duckdb"), "--port", "0"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "holds no data to check claims with" in err
    assert "techties report --data DIR" in err
