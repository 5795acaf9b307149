"""CLI: `techties entities` and `techties screen` on a small fixture store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import FIXTURES
from techties.cli.main import app
from techties.store import open_store
from techties.store.ingest import ingest_files

runner = CliRunner()


def _store(tmp_path: Path) -> str:
    db = tmp_path / "s.duckdb"
    with open_store(db) as st:
        ingest_files(st, "export_lists", [FIXTURES / "tech" / "bis_entity_list_small.json"])
    return str(db)


def test_entities_json_states_survivor_basis(tmp_path: Path) -> None:
    db = _store(tmp_path)
    res = runner.invoke(
        app, ["entities", "--country", "China", "--since", "2020", "--json", "--store", db]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert "Survivor counts" in out["basis"]
    assert [(r["date_added"], r["rule_citation"]) for r in out["rows"]] == [
        ("2020-12-22", "85 FR 83420"),
        ("2024-12-05", "89 FR 96837"),
    ]
    res = runner.invoke(app, ["entities", "--by-year", "--country", "China", "--store", db])
    assert res.exit_code == 0 and "Survivor counts" in res.stdout


def test_screen_command(tmp_path: Path) -> None:
    db = _store(tmp_path)
    res = runner.invoke(app, ["screen", "Hik Vision", "--json", "--store", db])
    assert res.exit_code == 0, res.output
    assert [r["name"] for r in json.loads(res.stdout)] == [
        "Hangzhou Hikvision Digital Technology Co., Ltd."
    ]
    res = runner.invoke(app, ["screen", "Apple Inc", "--json", "--store", db])
    assert json.loads(res.stdout) == []


def test_additions_chart_states_survivor_basis(tmp_path: Path) -> None:
    from techties.charts import to_svg
    from techties.indicators.entities import additions_chart

    with open_store(_store(tmp_path)) as st:
        chart = additions_chart(st, country="China", since=2019)
        spec = chart.to_dict()
    text = json.dumps(spec)
    assert "Survivor counts" in text and "2026-07-09" in text
    values = next(iter(spec["datasets"].values()))
    assert [(r["year_added"], r["entries_still_listed"]) for r in values] == [
        (2019, 2),
        (2020, 1),
        (2024, 1),
    ]
    assert "<svg" in to_svg(chart)


def test_tech_indicators_lists_and_filters(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db) as st:
        ingest_files(st, "wdi", [FIXTURES / "tech" / "wdi" / "tx.val.tech.cd" / "data.csv"])
    res = runner.invoke(app, ["tech-indicators", "--json", "--store", str(db)])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.stdout)
    assert (row["indicator"], row["countries"], row["rows"]) == ("TX.VAL.TECH.CD", 3, 3)
    res = runner.invoke(app, ["tech-indicators", "--country", "CHN", "--json", "--store", str(db)])
    assert [r["value"] for r in json.loads(res.stdout)] == [924393306845.58]
