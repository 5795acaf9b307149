"""CLI: `techties ingest` for the trade-flow sources — no-op re-ingest, --replace, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from conftest import FIXTURES
from techties.cli.main import app

runner = CliRunner()
BACI = FIXTURES / "baci" / "BACI_HS17_Y2017_V202201.csv"


def _ingest(db: Path, *args: str) -> list[dict[str, object]]:
    res = runner.invoke(app, ["ingest", *args, "--store", str(db), "--json"])
    assert res.exit_code == 0, res.output
    out: list[dict[str, object]] = json.loads(res.stdout)
    return out


def test_ingest_again_is_noop_and_replace_supersedes(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = _ingest(db, "baci", str(BACI))
    assert first[0]["rows"] == 4 and first[0]["skipped"] is False
    again = _ingest(db, "baci", str(BACI))
    assert again[0]["skipped"] is True and again[0]["provenance_id"] == first[0]["provenance_id"]
    rep = _ingest(db, "baci", str(BACI), "--replace")
    assert rep[0]["replaced"] == first[0]["provenance_id"] and rep[0]["rows"] == 4
    res = runner.invoke(
        app, ["sql", "SELECT count(*) AS n FROM trade_flows", "--store", str(db), "--json"]
    )
    assert json.loads(res.stdout) == [{"n": 4}]


def test_folder_ingest_uses_source_patterns(tmp_path: Path) -> None:
    got = _ingest(tmp_path / "s.duckdb", "census", str(FIXTURES / "census"))
    assert sorted(r["rows"] for r in got) == [3, 10]


def test_bad_file_prints_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "imports.json"
    bad.write_text('[["CTY_CODE","I_COMMODITY","CON_VAL_YR","time"],["5700","0101","x","2024-12"]]')
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "techties.cli.main",
            "ingest",
            "census",
            str(bad),
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: value 'x' is not a number")
    assert "row 2, column 'CON_VAL_YR'" in proc.stderr


def test_sources_lists_trade_flow_sources() -> None:
    res = runner.invoke(app, ["sources", "--json"])
    names = {row["source"] for row in json.loads(res.stdout)}
    assert {
        "census",
        "census_naics_monthly",
        "tradewar_naics",
        "comtrade",
        "usitc_dataweb",
        "baci",
        "gravity",
    } <= names
