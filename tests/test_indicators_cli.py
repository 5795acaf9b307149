"""`techties indicator KIND` on a small store: JSON, table, chart file, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.indicators.flows import write_flows
from techties.cli.main import main
from techties.store import open_store


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "cli.duckdb"
    with open_store(path) as st:
        rows = [
            {"year": 2024, "partner": p, "product_code": code, "value_usd": v, "duties_usd": d}
            for p, code, v, d in (
                ("CHN", "854231", 30.0, 3.0), ("VNM", "854231", 50.0, 1.0),
                ("WLD", "854231", 100.0, 4.5), ("CHN", "847130", 70.0, 7.0),
                ("WLD", "847130", 100.0, 7.0),
            )
        ]  # fmt: skip
        write_flows(st, rows, location="cli.csv")
    return path


def test_share_json_and_plot(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "share.svg"
    main(
        [
            "indicator",
            "share",
            "--group",
            "semiconductors",
            "--partner",
            "CHN",
            "--level",
            "0",
            "--store",
            str(store_path),
            "--json",
            "--plot",
            str(out),
        ]
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["name"] == "partner_share"
    assert payload["table"][0]["share"] == pytest.approx(0.3)  # 30 of the world's 100
    assert payload["source"].startswith("test: cli.csv (sha256 ")
    assert out.read_text().startswith("<svg")


def test_duty_rate_table(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["indicator", "duty-rate", "--level", "0", "--partner", "CHN", "--store", str(store_path)])
    text = capsys.readouterr().out
    assert "Effective duty rate on USA's imports" in text
    assert "0.1" in text  # (3 + 7) / (30 + 70)
    assert "formula: edr = Σ duties_usd / Σ value_usd" in text


def test_unknown_kind_names_the_choices(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["indicator", "sharez", "--store", str(store_path)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "No indicator named 'sharez'" in err and "Did you mean 'share'" in err
