"""The web explorer in process (Starlette TestClient): every page and its JSON twin, bad
parameters, the error shape, HEAD, read-only safety."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from techties.claims import check_all, load_catalog
from techties.store import open_store
from techties.store.ingest import ingest_files
from techties.web import Explorer, create_app
from techties.web.state import cell
from test_claims_helpers import chips_and_entities

FIX = Path(__file__).resolve().parent / "fixtures" / "tariffs"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store: Taiwan's chip exports, six Entity List entries, the 2018 HTS schedule and
    the Section 301 lists (written once, then only ever opened read-only)."""
    path = tmp_path_factory.mktemp("web") / "web.duckdb"
    mp = pytest.MonkeyPatch()
    mp.delenv("TECHTIES_DATA", raising=False)
    with open_store(path) as st:
        chips_and_entities(st)
        ingest_files(st, "usitc_tariffs", [FIX / "hts_2018_revision_1_csv.csv"])
        ingest_files(st, "section301", [FIX / "China-Tariffs.xlsx"])
    mp.undo()
    return path


@pytest.fixture(scope="module")
def client(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    mp = pytest.MonkeyPatch()
    mp.delenv("TECHTIES_DATA", raising=False)  # no data folder: GE would run
    mp.setenv("TECHTIES_CACHE", str(tmp_path_factory.mktemp("cache")))
    explorer = Explorer.open(store_path)
    with TestClient(create_app(explorer)) as c:
        yield c
    explorer.close()
    mp.undo()


def _error(r: object, status: int) -> dict[str, object]:
    assert getattr(r, "status_code") == status, getattr(r, "text")[:300]  # noqa: B009
    body = json.loads(getattr(r, "text"))  # noqa: B009
    assert set(body) == {"error"} and set(body["error"]) == {"status", "message", "hint", "allowed"}
    assert body["error"]["status"] == status
    return dict(body["error"])


def test_claims_table_and_its_json_twin(client: TestClient, store_path: Path) -> None:
    r = client.get("/")
    html = r.text
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    with open_store(store_path, read_only=True) as st:
        expected = {v.claim_id: v.status for v in check_all(st)}
    for claim in load_catalog():
        assert f'data-claim="{claim.id}" data-status="{expected[claim.id]}"' in html
        assert f'href="/claims/{claim.id}"' in html
    n_mixed = sum(s == "mixed" for s in expected.values())
    assert expected["us-extends-rules-third-parties"] == "mixed"
    assert client.get("/claims?status=mixed").text.count('<tr data-claim="') == n_mixed
    twin = client.get("/claims.json?status=mixed").json()
    assert [v["status"] for v in twin] == ["mixed"] * n_mixed
    assert [v["claim_id"] for v in client.get("/api/claims").json()] == [
        c.id for c in load_catalog()
    ]
    # an unknown filter is an error naming the four verdicts, in HTML and JSON
    err = _error(client.get("/claims.json?status=true"), 400)
    assert err["allowed"] == ["supported", "contradicted", "mixed", "unverifiable"]
    page = client.get("/claims?status=bogus")
    assert page.status_code == 400 and "<code>unverifiable</code>" in page.text


def test_claim_page_chart_evidence_csv_and_json(client: TestClient) -> None:
    html = client.get("/claims/controls-slowed-chip-access").text
    assert '<section class="claim" id="controls-slowed-chip-access"' in html
    assert '<svg role="img" class="chart"' in html
    assert "mainland China and Hong Kong took 51.0 %" in html
    assert '<table class="tests">' in html and '<table class="robustness">' in html
    assert client.get("/claims/13").status_code == 200  # by number too
    csv = client.get("/claims/13/evidence.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    shares = pd.read_csv(io.BytesIO(csv.content)).dropna(subset=["share_pct"])
    assert shares.loc[shares["year"] == 2024, "share_pct"].item() == pytest.approx(51.0)
    one = client.get("/claims/controls-slowed-chip-access.json").json()
    assert one["claim_id"] == "controls-slowed-chip-access" and one["status"] == "unverifiable"
    assert client.get("/api/claims/controls-slowed-chip-access").json() == one
    err = _error(client.get("/claims/controls-slowed-chip.json"), 404)
    assert err["message"] == "No claim 'controls-slowed-chip'."
    assert "controls-slowed-chip-access" in str(err["hint"])
    page = client.get("/claims/controls-slowed-chip")
    assert page.status_code == 404 and "Did you mean" in page.text


def test_indicator_explorer_table_chart_csv_and_bad_codes(client: TestClient) -> None:
    q = "indicator=share&reporter=TWN&partners=CHN,USA&flow=export&product=8542&level=4&denominator=partners"
    page = client.get(f"/indicators?{q}")
    assert page.status_code == 200, page.text[:400]
    assert "<svg" in page.text and 'class="data"' in page.text
    twin = client.get(f"/indicators.json?{q}").json()
    rows = pd.DataFrame(twin["result"]["table"])
    china = rows[(rows.partner == "CHN") & (rows.period.astype(str).str.startswith("2024"))]
    assert china["share"].item() == pytest.approx(0.51)  # the fixture's 51 % of 2024
    assert twin["query"]["partners"] == ["CHN", "USA"]
    csv = pd.read_csv(io.BytesIO(client.get(f"/indicators.csv?{q}").content))
    assert len(csv) == len(rows)
    assert (
        "/indicators?indicator=share&amp;reporter=TWN&amp;partners=CHN%2CUSA" in page.text
    )  # the shareable link
    err = _error(client.get("/indicators.json?reporter=Chinaa"), 400)
    assert "not a country techties knows" in str(err["message"]) and "CHN" in str(err["hint"])
    err = _error(client.get("/indicators.json?indicator=sharez"), 400)
    assert err["allowed"] and "share" in err["allowed"] and "'share'" in str(err["hint"])
    _error(client.get("/indicators.json?product=85;drop"), 400)
    _error(client.get("/indicators.json?years=last"), 400)
    _error(client.get("/indicators.json?group=nope"), 400)


def test_tariff_lookup_lists_measures_and_applied_rate(client: TestClient) -> None:
    q = "code=84715001&on=2019-05-10&direction=us-on-china"
    twin = client.get(f"/tariffs.json?{q}").json()
    measures = pd.DataFrame(twin["measures"])
    assert {"MFN", "301_list3"} <= set(measures.measure)
    assert twin["applied"][0]["rate_pct"] == pytest.approx(25.0)  # MFN 0 + List 3 at 25 %
    assert any("9903.88" in str(x) for x in measures.legal_reference)
    page = client.get(f"/tariffs?{q}")
    assert page.status_code == 200 and "<svg" in page.text and "9903.88" in page.text
    hist = pd.DataFrame(twin["history"]).set_index("on_date").rate_pct
    assert hist["2018-07-01"] == pytest.approx(0.0) and hist["2018-09-24"] == pytest.approx(10.0)
    assert hist.index.max() == "2019-05-10" and hist["2019-05-10"] == pytest.approx(25.0)
    assert client.get(f"/tariffs.csv?{q}").text.startswith("product_code,")
    assert "Tariff lookup" in client.get("/tariffs").text  # the empty form
    _error(client.get("/tariffs.json?code=84x7"), 400)
    _error(client.get("/tariffs.json?code=847150&on=2019-13-01"), 400)
    err = _error(client.get("/tariffs.json?code=847150&direction=sideways"), 400)
    assert err["allowed"] == ["us-on-china", "china-on-us"]
    _error(client.get("/tariffs.json?code=99999999&on=2019-05-10"), 404)


def test_entity_search_filters_and_additions(client: TestClient) -> None:
    got = client.get("/entities.json?q=F4").json()
    assert [m["name"] for m in got["matches"]][:1] == ["F4"]
    years = {r["year_added"]: r["entries_still_listed"] for r in got["additions_by_year"]["rows"]}
    assert years == {2017: 1, 2019: 1, 2022: 1, 2023: 1, 2024: 1, 2025: 1}
    only = client.get("/entities.json?q=F4&country=SGP").json()
    assert only["matches"] == [] and only["query"]["country"] == "SGP"
    since = client.get("/entities.json?q=F1&since=2020-01-01&min_score=0.7").json()
    assert all(m["date_added"] >= "2020-01-01" for m in since["matches"])
    page = client.get("/entities?q=F4&country=United%20Arab%20Emirates")
    assert page.status_code == 200 and "<svg" in page.text
    _error(client.get("/entities.json?q=F4&country=Atlantis"), 400)
    _error(client.get("/entities.json?q=F4&list=Nope"), 400)
    _error(client.get("/entities.json"), 400)


def test_scenarios_library_and_run_errors(client: TestClient) -> None:
    lib = client.get("/scenarios.json").json()
    assert "uschina_escalation" in {r["name"] for r in lib["library"]}
    assert client.get("/scenarios").status_code == 200
    assert client.get("/scenarios/run").status_code == 405  # running work is POST only
    _error(client.post("/api/scenarios/run", json={"scenario": "nope"}), 400)
    _error(client.post("/api/scenarios/run", json={"draws": 500}), 400)
    body = {"scenario": "chip_export_controls", "export_controls": "off"}
    err = _error(client.post("/api/scenarios/run", json=body), 400)
    assert err["message"] == "The adjusted scenario has no shock left."
    # a gravity experiment (its counterfactual is its own block) runs as shipped, not adjusted
    body = {"scenario": "agtpa_ch2_nafta", "us_tariffs": "2"}
    err = _error(client.post("/api/scenarios/run", json=body), 400)
    assert err["message"] == "This scenario has no tariff or export-control shocks to adjust."
    ran = client.post("/api/scenarios/run", json={"scenario": "agtpa_ch2_nafta"})
    assert ran.status_code == 202 and ran.json()["state"] in ("queued", "running", "done", "failed")
    # this store has no baseline: the run fails with the reason, in the background
    job = client.post("/api/scenarios/run", json={"scenario": "uschina_lift301"}).json()
    for _ in range(300):
        state = client.get(f"/scenarios/jobs/{job['id']}.json").json()
        if state["state"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert state["state"] == "failed" and state["error"]
    listed = client.get("/scenarios").text  # kept, but per version of the runs
    assert f'href="/scenarios/jobs/{job["id"]}">' in listed and "— failed" in listed
    _error(client.get("/scenarios/jobs/nope.json"), 404)


def test_sources_head_and_unknown_pages(client: TestClient) -> None:
    rows = client.get("/sources.json").json()
    assert rows == client.get("/api/sources").json()
    assert {r["source"] for r in rows} >= {"usitc_tariffs", "section301"}
    html = client.get("/sources").text
    assert ">nan<" not in html and all(r["sha256"] in html for r in rows)
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 1000
    _error(client.get("/nowhere.json"), 404)
    assert client.get("/nowhere").status_code == 404
    assert client.get("/refresh").status_code == 404  # no GET changes state
    _error(client.post("/api/claims"), 405)


def test_answers_are_kept_with_an_etag_of_store_and_body_and_gzip_when_it_pays(
    client: TestClient,
) -> None:
    import hashlib

    explorer: Explorer = client.app.state.explorer  # type: ignore[attr-defined]
    plain = client.get("/sources", headers={"accept-encoding": "identity"})
    body = plain.content
    digest = hashlib.sha256(explorer.stamp.encode() + b"\0" + body).hexdigest()[:24]
    assert plain.headers["etag"] == f'"{digest}"' and "content-encoding" not in plain.headers
    assert explorer.stamp.endswith(
        ":" + str(explorer.store.scalar("SELECT max(id) FROM provenance"))
    )
    packed = client.get("/sources", headers={"accept-encoding": "gzip, deflate"})
    assert packed.headers["content-encoding"] == "gzip" and packed.content == body
    assert int(packed.headers["content-length"]) < len(body) / 2
    refused = client.get("/sources", headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    same = client.get("/sources", headers={"if-none-match": f'W/"x", {plain.headers["etag"]}'})
    assert same.status_code == 304 and same.content == b""
    assert client.get("/sources", headers={"if-none-match": '"other"'}).status_code == 200
    bad = client.get("/claims?status=bogus")
    assert bad.status_code == 400 and "etag" not in bad.headers  # errors are not kept


def test_the_server_connection_reads_no_other_file(client: TestClient) -> None:
    from techties.errors import StoreError

    explorer: Explorer = client.app.state.explorer  # type: ignore[attr-defined]
    with explorer.reader() as st, pytest.raises(Exception, match="disabled by configuration"):
        st.df("SELECT * FROM read_csv('/etc/hostname')")
    assert isinstance(StoreError("x"), Exception)


def test_cells_are_formatted_for_reading() -> None:
    assert [cell(x) for x in (None, 3, 123456789, 62.823154, 1.2e10, 0.000123, "CHN",
                              float("nan"), "nan")] == [
        "—", "3", "123,456,789", "62.82", "12,000,000,000", "0.000123", "CHN", "—", "—",
    ]  # fmt: skip


def test_serve_refuses_an_empty_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from techties.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--store", str(tmp_path / "absent.duckdb"), "--port", "0"])
    assert exited.value.code == 1
    assert "There is no store at" in capsys.readouterr().err
    assert not (tmp_path / "absent.duckdb").exists()
    open_store(tmp_path / "empty.duckdb").close()
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--store", str(tmp_path / "empty.duckdb"), "--port", "0"])
    assert exited.value.code == 1
    assert "holds no data to check claims with" in capsys.readouterr().err


@pytest.fixture(scope="module")
def real_client(
    real_store: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The explorer over a copy of the real store (the session holds the real one open for
    writing, and a run's worker process opens its store read-only)."""
    import shutil

    tmp = tmp_path_factory.mktemp("webreal")
    real = Path(str(getattr(real_store, "path")))  # noqa: B009
    getattr(real_store, "con").execute("CHECKPOINT")  # noqa: B009
    path = tmp / "real.duckdb"
    shutil.copy(real, path)
    if Path(f"{real}.parts").is_dir():
        shutil.copytree(f"{real}.parts", f"{path}.parts")
    mp = pytest.MonkeyPatch()
    mp.delenv("TECHTIES_DATA", raising=False)
    mp.setenv("TECHTIES_CACHE", str(tmp / "cache"))
    explorer = Explorer.open(path)
    explorer.preload([])  # these tests run scenarios only: no claim checked
    with TestClient(create_app(explorer)) as c:
        yield c
    explorer.close()
    mp.undo()


def _watch(client: TestClient, job_id: str, until: object, limit_s: float = 600) -> list[dict]:
    """The run's JSON every 50 ms until ``until(state)`` holds (or the run has ended)."""
    seen: list[dict] = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        state = client.get(f"/scenarios/jobs/{job_id}.json").json()
        seen.append(state)
        if state["state"] not in ("queued", "running") or until(state):  # type: ignore[operator]
            return seen
        time.sleep(0.05)
    raise AssertionError(f"run {job_id} still {seen[-1]['state']} after {limit_s} s")


def test_a_run_reports_each_draw_and_a_cancel_stops_it_between_draws(
    real_client: TestClient,
) -> None:
    # the multi-sector 2025 scenario: a CP solve on 81 × 28 a draw; 12 draws so that a poll
    # falls between two of them even when a loaded machine reports a few draws at once (the
    # per-draw callback itself is checked without timing below)
    body = {"scenario": "tariffwar2025_peak_icio2022", "draws": 12}
    job = real_client.post("/api/scenarios/run", json=body).json()
    seen = _watch(real_client, job["id"], lambda s: False)
    done = [s["draws_done"] for s in seen]
    assert seen[-1]["state"] == "done", seen[-1]["error"]
    assert done == sorted(done) and done[-1] == 12  # counted up, draw by draw
    running = {s["draws_done"] for s in seen if s["state"] == "running" and s["central_done"]}
    assert running & set(range(1, 12)), f"no draw seen between the first and the last: {done}"
    assert seen[-1]["result"] is not None
    page = real_client.get(f"/scenarios/jobs/{job['id']}").text
    assert "<svg" in page and "_low</th>" in page  # the chart and the intervals of the draws

    body = {"scenario": "tariffwar2025_peak_icio2022", "draws": 20}
    job = real_client.post("/api/scenarios/run", json=body).json()
    seen = _watch(real_client, job["id"], lambda s: s["draws_done"] >= 1)
    assert seen[-1]["state"] == "running", seen[-1]
    html = real_client.get(f"/scenarios/jobs/{job['id']}").text
    assert f'<progress max="20" value="{seen[-1]["draws_done"]}">' in html
    real_client.post(f"/api/scenarios/jobs/{job['id']}/cancel")
    after = _watch(real_client, job["id"], lambda s: False, limit_s=60)[-1]
    assert after["state"] == "cancelled"
    k = after["draws_done"]
    assert 1 <= k < 20 and after["error"] == f"Cancelled after {k} of 20 draws."
    jobs = real_client.app.state.jobs  # type: ignore[attr-defined]
    assert not jobs.get(job["id"]).process.is_alive()
    again = real_client.post("/api/scenarios/run", json=body).json()  # not cached: runs anew
    assert again["id"] != job["id"]
    real_client.post(f"/api/scenarios/jobs/{again['id']}/cancel")


def _draw_as_table(d: int) -> object:
    import numpy as np

    return np.full((2, 3), float(d))


@pytest.mark.parametrize("workers", [1, 2])
def test_draws_tell_progress_one_by_one_and_stop_when_told(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulation's ``progress=`` callback the scenario runs use (serial and pool paths;
    each draw's solve replaced by a table of its number, carried to the pool by fork)."""
    import multiprocessing

    from techties.simulation import mc_multisector as mc

    if workers > 1 and multiprocessing.get_start_method() != "fork":
        pytest.skip("the replaced solve reaches pool workers only by fork")
    monkeypatch.setattr(mc, "_solve_draw", _draw_as_table)
    seen: list[tuple[int, int]] = []
    got = mc.run_draws(
        None, None, list(range(6)), workers, progress=lambda k, n: seen.append((k, n))
    )  # type: ignore[arg-type]
    assert got[:, 0, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert seen == [(k, 6) for k in range(7)]

    def stop_at_two(k: int, n: int) -> None:
        if k == 2:
            raise RuntimeError("cancelled at 2")

    with pytest.raises(RuntimeError, match="cancelled at 2"):
        mc.run_draws(None, None, list(range(6)), workers, progress=stop_at_two)  # type: ignore[arg-type]
