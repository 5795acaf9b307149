"""The report and its commands: self-contained HTML, provenance footnotes, the no-data message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from techties.claims import load_catalog
from techties.cli import app as cli_app
from techties.cli.main import main
from techties.report import build_report
from techties.store import Store, open_store

DATA = Path(__file__).parent / "fixtures" / "claims" / "data"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No data folder from the environment (GE would run) and caches in tmp."""
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No network: every request fails as an unreachable host would."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("network is unreachable", request=request)

    monkeypatch.setattr(
        cli_app, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(refuse))
    )
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))


def test_report_without_data_or_network_stops_with_one_clear_message(
    offline: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _run(
        ["report", "--store", str(tmp_path / "s.duckdb"), "--out", str(tmp_path / "r")], capsys
    )
    assert code == 1
    assert "Traceback" not in err
    assert "store is empty" in err and "--data DIR" in err and "TECHTIES_DATA" in err
    assert sum(line.startswith("error:") for line in err.splitlines()) == 1
    assert not (tmp_path / "r" / "report.html").exists()


def test_report_from_a_data_folder_offline(
    offline: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_path = tmp_path / "s.duckdb"
    code, out, _err = _run(
        [
            "report",
            "--data",
            str(DATA),
            "--store",
            str(store_path),
            "--out",
            str(tmp_path / "r"),
            "--json",
        ],
        capsys,
    )
    assert code == 0
    doc = json.loads(out)
    statuses = {v["claim_id"]: v["status"] for v in doc["verdicts"]}
    # 5 vs 2 third-country entries: a 2.5× rise, but 7 entries cannot tell it from noise
    # (90 % quasi-Poisson interval 0.49–12.7 straddles the 1.25 threshold)
    assert statuses["us-extends-rules-third-parties"] == "mixed"
    assert len(statuses) == len(load_catalog())
    html = Path(doc["html"]).read_text("utf-8")
    sha = json.loads(json.dumps(doc["verdicts"]))  # JSON-safe
    assert sha
    with open_store(store_path, read_only=True) as st:
        digest = st.scalar("SELECT sha256 FROM provenance WHERE source = 'export_lists'")
    assert digest in html and "bis_entity_list.json" in html


def test_html_is_self_contained_with_a_section_per_claim(store: Store, tmp_path: Path) -> None:
    from techties.store.manifest import ingest_folder

    ingest_folder(store, DATA)
    html = build_report(store, tmp_path).html.read_text("utf-8")
    for claim in load_catalog():
        assert f'id="{claim.id}"' in html
    assert html.count('<section class="claim"') == len(load_catalog())
    assert "<svg" in html  # the Entity List chart, inline
    # nothing is fetched when the file is opened: no external scripts, styles, images or fonts
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "<script" not in html and "@import" not in html
    assert "1,105" not in html  # the fixture, not the real list
    assert "entries" in html and "×" in html  # numbers carry units


def test_claims_and_check_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_path = tmp_path / "s.duckdb"
    with open_store(store_path) as st:
        from techties.store.manifest import ingest_folder

        ingest_folder(st, DATA)
    code, out, _ = _run(["claims", "--store", str(store_path), "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert [r["claim_id"] for r in rows] == [c.id for c in load_catalog()]
    code, out, _ = _run(["check", "9", "--store", str(store_path), "--json"], capsys)
    v = json.loads(out)
    assert code == 0 and v["status"] == "mixed" and v["kind"] == "estimated"
    assert {f["term"]: f["estimate"] for f in v["figures"]}["ratio"] == pytest.approx(2.5)
    assert v["tests"][0]["low"] < 1.25 < v["tests"][0]["high"]
    assert v["provenance"][0]["location"].endswith("bis_entity_list.json")
    assert len(v["evidence"]) > 0
    code, _, err = _run(["check", "no-such-claim", "--store", str(store_path)], capsys)
    assert code == 1 and "No claim named 'no-such-claim'" in err


def test_report_downloads_from_the_official_endpoint_when_the_store_is_empty(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --data and with an empty store the report fetches (here a MockTransport)."""
    import techties.sources as sources_pkg
    from techties.sources import REGISTRY, get_source
    from techties.sources.base import Source, fetch_bytes

    url = "https://example.test/bis_entity_list.json"
    body = (DATA / "tech-export-controls" / "bis_entity_list.json").read_bytes()
    seen: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=body)

    class EntityListEndpoint(Source):
        name = "fixture_bis"
        table = "entity_list"
        title = "BIS Entity List (test endpoint)"
        patterns = ("*.json",)

        def read(self, path: Path) -> object:  # type: ignore[override]
            return get_source("export_lists").read(path)

        def download(self, dest: Path, *, years: object = None, client: httpx.Client) -> list[Path]:  # type: ignore[override]
            out = dest / "bis_entity_list.json"
            out.write_bytes(fetch_bytes(client, url))
            return [out]

    monkeypatch.setitem(REGISTRY, "fixture_bis", EntityListEndpoint)
    monkeypatch.setattr(sources_pkg, "all_sources", lambda: {"fixture_bis": EntityListEndpoint()})
    monkeypatch.setattr(
        cli_app, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(serve))
    )
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))
    store_path = tmp_path / "s.duckdb"
    code, out, _ = _run(
        ["report", "--store", str(store_path), "--out", str(tmp_path / "r"), "--json"], capsys
    )
    assert code == 0 and seen == [url], _
    doc = json.loads(out)
    assert {v["claim_id"]: v["status"] for v in doc["verdicts"]}[
        "us-extends-rules-third-parties"
    ] == "mixed"
    with open_store(store_path, read_only=True) as st:
        assert st.provenance()["source"].tolist() == ["fixture_bis"]
