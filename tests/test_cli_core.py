"""Core CLI commands: tables, sql (read-only, --json/--csv), provenance, export, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from techties.cli.main import app
from techties.store import open_store

runner = CliRunner()


def _seed(path: Path) -> None:
    data = pa.table(
        {
            "source": ["t", "t"],
            "reporter": ["USA", "USA"],
            "partner": ["CHN", "VNM"],
            "flow": ["import", "import"],
            "year": [2024, 2024],
            "month": [None, None],
            "classification": ["HTS", "HTS"],
            "vintage": ["HTS2024", "HTS2024"],
            "product_code": ["8542310000", "8542310000"],
            "product_level": [10, 10],
            "value_usd": [100.0, 50.0],
            "quantity": [None, None],
            "quantity_unit": [None, None],
            "duties_usd": [25.0, 0.0],
            "value_basis": ["customs_consumption"] * 2,
        }
    )
    with open_store(path) as st, st.transaction():
        st.write(
            source="t", table="trade_flows", data=data, location="/f", sha256="c" * 64, nbytes=1
        )


def test_sql_json_and_csv(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _seed(db)
    q = "SELECT partner, sum(duties_usd)/sum(value_usd) AS rate FROM trade_flows GROUP BY 1 ORDER BY 1"
    res = runner.invoke(app, ["sql", q, "--store", str(db), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == [
        {"partner": "CHN", "rate": 0.25},
        {"partner": "VNM", "rate": 0.0},
    ]
    res = runner.invoke(app, ["sql", q, "--store", str(db), "--csv"])
    assert res.stdout.splitlines() == ["partner,rate", "CHN,0.25", "VNM,0.0"]


def test_tables_and_provenance_json(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _seed(db)
    tables = {
        r["table"]: r["rows"]
        for r in json.loads(runner.invoke(app, ["tables", "--store", str(db), "--json"]).stdout)
    }
    assert tables["trade_flows"] == 2 and tables["provenance"] == 1
    prov = json.loads(runner.invoke(app, ["provenance", "--store", str(db), "--json"]).stdout)
    assert prov[0]["sha256"] == "c" * 64 and prov[0]["rows_written"] == 2


def test_export_parquet(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _seed(db)
    out = tmp_path / "flows.parquet"
    res = runner.invoke(app, ["export", "trade_flows", "--parquet", str(out), "--store", str(db)])
    assert res.exit_code == 0, res.output
    assert pq.read_table(out).column("value_usd").to_pylist() == [100.0, 50.0]


def test_errors_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    open_store(db).close()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "techties.cli.main",
            "sql",
            "DELETE FROM provenance",
            "--store",
            str(db),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: Only read-only queries are allowed")
    assert "hint:" in proc.stderr


def test_unknown_source_suggests_name(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "techties.cli.main",
            "ingest",
            "nosuchsource",
            str(tmp_path),
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "No source named 'nosuchsource'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_report_without_data_says_how_to_provide_it(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "techties.cli.main",
            "report",
            "--data",
            str(tmp_path / "missing"),
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "does not exist" in proc.stderr


def test_data_warnings_print_as_one_line(capsys) -> None:
    from techties.cli.output import show_warning
    from techties.errors import DataWarning

    show_warning(DataWarning("f.csv: 3 rows dropped"), DataWarning, "/x/ingest.py", 71)
    err = capsys.readouterr().err
    assert err.strip() == "warning: f.csv: 3 rows dropped"
    assert "ingest.py" not in err


def test_usage_errors_are_click_messages_not_a_traceback() -> None:
    """typer bundles its own click: its usage errors must still print as one message."""
    for args, said in (
        (["claimz"], "No such command 'claimz'. Did you mean 'claims'?"),
        (["tables", "--json", "true"], "Got unexpected extra argument(s) (true)"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "techties.cli.main", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr
        assert said in proc.stderr


def test_reading_commands_never_create_or_migrate_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    from techties.cli.main import main

    typo = tmp_path / "typo.duckdb"
    for argv in (["tables"], ["sql", "SELECT 1"], ["provenance"], ["tariff", "8471"]):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--store", str(typo)])
        assert exc.value.code == 1
        assert f"There is no store at {typo}." in capsys.readouterr().err
    assert not typo.exists()
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()  # a DuckDB file without techties' schema
    before = old.read_bytes()
    with pytest.raises(SystemExit):
        main(["tables", "--store", str(old)])
    err = capsys.readouterr().err
    assert "schema migration(s) (0001_" in err and f"techties migrate --store {old}" in err
    assert old.read_bytes() == before
    main(["migrate", "--store", str(old)])
    assert "up to date" in capsys.readouterr().out
    main(["tables", "--store", str(old), "--json"])
    assert "provenance" in capsys.readouterr().out


def test_start_up_loads_no_data_library() -> None:
    """`techties --help` and argument parsing import no pandas, numpy, duckdb, polars or pyarrow
    (they load when a command runs); checked on sys.modules, not timed."""
    code = (
        "import sys, techties.cli.main as m\n"
        "heavy = {'pandas', 'numpy', 'duckdb', 'polars', 'pyarrow'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
