"""CLI: `techties gravity` on the gegravity sample ingested into a fresh store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import shared
from techties.cli.main import app
from techties.errors import ModelError
from techties.models.gravity import load_coefficients
from techties.store import open_store
from techties.store.ingest import ingest_files

runner = CliRunner()


def test_gravity_command_reproduces_gegravity_and_exports(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db) as st:
        ingest_files(st, "gravity", [shared("trade-gegravity", "sample_data_set.dlm")])
        name = st.df("SELECT DISTINCT dataset FROM gravity")["dataset"].iloc[0]
    coef = tmp_path / "coef.json"
    args = ["gravity", "--dataset", name, "-r", "lndist,contiguity,common_language,pta,international",
            "--fe", "exporter,importer", "--se", "hetero", "--store", str(db)]  # fmt: skip
    res = runner.invoke(app, [*args, "--export", str(coef), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    est = {r["term"]: r["estimate"] for r in out["table"]}
    assert abs(est["pta"] - 0.4711383) < 1e-5 and out["nobs"] == 900
    assert load_coefficients(coef)["terms"][0] == "lndist"
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "HC1" in res.stdout
    bad = runner.invoke(app, [*args[:4], "lndistt", *args[5:]])
    assert isinstance(bad.exception, ModelError)  # main() prints it as one line + hint
    assert "Did you mean 'lndist'" in str(bad.exception)
