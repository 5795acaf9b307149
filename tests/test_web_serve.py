"""``techties serve`` as a real uvicorn process: other commands share the store meanwhile, a
stalled client does not hold up the others, and (in headless Chromium) a reader's path through
every page."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from browser_helpers import CHROMIUM, watched_page
from techties.claims import load_catalog
from techties.store import open_store
from techties.web.launch import start_server, stop_server
from test_claims_helpers import chips_and_entities


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TECHTIES_DATA", "TECHTIES_STORE")}
    src = str(Path(__file__).resolve().parents[1] / "src")  # for the CLI commands run beside
    env.update(PYTHONPATH=src + os.pathsep + env.get("PYTHONPATH", ""), TECHTIES_CACHE=str(tmp))
    return env


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "web.duckdb"
    with open_store(path) as st:
        chips_and_entities(st)
    return path


def test_cli_commands_share_the_store_with_a_running_server(
    small_store: Path, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    proc, url = start_server(small_store, env=env, workers=2)
    stalled = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
    try:
        stalled.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # a request line, then silence
        start = time.perf_counter()
        r = httpx.get(url + "/claims.json", timeout=10)
        assert r.status_code == 200 and len(r.json()) == len(load_catalog())
        assert time.perf_counter() - start < 5  # not held up by the stalled client
        head = httpx.head(url + "/")
        assert head.status_code == 200 and head.content == b""
        cmd = [sys.executable, "-m", "techties.cli.main"]
        sql = subprocess.run(
            [*cmd, "sql", "SELECT count(*) AS n FROM trade_flows", "--store", str(small_store),
             "--json"], env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert sql.returncode == 0, sql.stderr
        assert json.loads(sql.stdout)[0]["n"] == 24
        claims = subprocess.run(
            [*cmd, "claims", "--store", str(small_store), "--json"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert claims.returncode == 0, claims.stderr
        assert {v["claim_id"] for v in json.loads(claims.stdout)} == {
            v["claim_id"] for v in r.json()
        }
        assert httpx.get(url + "/sources.json", timeout=10).status_code == 200
    finally:
        stalled.close()
        stop_server(proc)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_a_readers_path_in_chromium(real_store: object, tmp_path: Path) -> None:
    """Claims, a claim, an indicator query, a tariff, an entity search and a small scenario run
    to completion on the real store, with no console error and no request leaving the server."""
    sync_api = pytest.importorskip("playwright.sync_api")
    import shutil

    real = Path(str(getattr(real_store, "path")))  # noqa: B009
    getattr(real_store, "con").execute("CHECKPOINT")  # noqa: B009
    path = tmp_path / "real.duckdb"  # a copy: the session holds the real store open for writing
    shutil.copy(real, path)
    if Path(f"{real}.parts").is_dir():
        shutil.copytree(f"{real}.parts", f"{path}.parts")
    env = _env(tmp_path)
    proc, url = start_server(path, env=env, timeout=420)  # checks every claim first
    errors: list[str] = []
    try:
        with sync_api.sync_playwright() as p:
            page = watched_page(p, errors, (url,))
            page.goto(url + "/")
            assert page.locator("tr[data-claim]").count() == len(load_catalog())
            page.click("a[href='/claims/controls-slowed-chip-access']")
            assert page.locator("section.claim").count() == 1
            page.click("nav.top >> text=Indicators")
            page.select_option("select[name=indicator]", "share")
            page.click("form.query button")
            page.wait_for_selector("#result table.data tbody tr")
            assert "indicator=share" in page.url  # the query is in the address
            page.click("nav.top >> text=Tariffs")
            page.fill("input[name=code]", "847150")
            page.fill("input[name=on]", "2020-01-01")
            page.click("form.query button")
            page.wait_for_selector("table.measures tbody tr")
            assert (
                "Section 301" in page.inner_text("table.measures")
                or page.locator("table.measures tbody tr").count() >= 2
            )
            page.click("nav.top >> text=Entities")
            page.fill("input[name=q]", "huawei")
            page.click("form.query button")
            assert page.locator("table.matches tbody tr").count() >= 1
            assert "HUAWEI" in page.inner_text("table.matches").upper()
            page.click("nav.top >> text=Scenarios")
            page.select_option("select[name=scenario]", "uschina_escalation")
            page.click("form.query button")
            page.wait_for_selector("p.state[data-state=done]", timeout=120_000)
            assert page.locator("table.countries tbody tr").count() >= 10
            assert page.locator("figure.chart svg").count() == 1
            page.set_viewport_size({"width": 400, "height": 900})  # a phone: no sideways page
            for path in ("/", "/claims/13", "/indicators", "/tariffs?code=847150", "/entities",
                         "/scenarios", "/sources"):  # fmt: skip
                page.goto(url + path)
                widths = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
                assert widths[0] <= widths[1], f"{path} is {widths[0]} px wide at 400 px"
            page.context.browser.close()
    finally:
        stop_server(proc)
    assert errors == []
