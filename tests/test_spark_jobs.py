"""Parallel jobs as Spark tasks give the local numbers: product-by-product PPML fits and a
200-draw Monte Carlo; a failing task is reported with its key without losing the others, and a
killed Python worker is retried by Spark. Skipped without pyspark or Java 17+."""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import spark_helpers
from conftest import shared
from techties.errors import ConfigError, TaskFailedError
from techties.models.gravity import GravitySpec
from techties.models.products import _fit_one, fit_by_product
from techties.simulation.baselines import OneSectorBaseline
from techties.simulation.options import SolverOptions
from techties.simulation.scenario import Scenario
from techties.simulation.uncertainty import draw_onesector
from techties.spark.jobs import apply_by_key, map_tasks
from test_models_ppml_fast import SPEC3, assert_same, panel
from test_simulation_onesector_draws import inputs

spark = spark_helpers.spark  # the one SparkSession of the test process

SPEC = GravitySpec(**{**SPEC3.__dict__, "regressors": ("rta",)})


@pytest.fixture(scope="module")
def products() -> pd.DataFrame:
    parts = []
    for k, scale in enumerate([1.0, 3.0, 0.5, 2.0]):
        p = panel(12, 4, seed=20 + k, scale=scale).assign(product=f"HS{k + 1:02d}")
        parts.append(p.sample(frac=1.0, random_state=k))  # rows in any order
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def local(products: pd.DataFrame) -> dict[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_by_product(products, SPEC, "product", workers=1)


def test_product_fits_on_spark_equal_the_local_fits(
    spark: Any, products: pd.DataFrame, local: dict[Any, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        on_spark = fit_by_product(products, SPEC, "product", engine="spark")
    assert list(on_spark) == list(local) == ["HS01", "HS02", "HS03", "HS04"]
    for p, ref in local.items():
        assert_same(on_spark[p], ref)  # coefficients and standard errors, 1e-9 relative
        assert on_spark[p].model is None and on_spark[p].spec == SPEC


def test_a_failing_product_is_reported_with_its_key_and_the_others_are_kept(
    spark: Any, products: pd.DataFrame, local: dict[Any, Any]
) -> None:
    bad = products[products["product"] == "HS01"].assign(product="HS00", trade=0.0)
    data = pd.concat([products, bad], ignore_index=True)  # all-zero trade: nothing to fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(
            TaskFailedError, match=r"1 product fit\(s\) of 5 failed — 'HS00': "
        ) as err:
            fit_by_product(data, SPEC, "product", engine="spark")
    assert list(err.value.failures) == ["HS00"]
    assert sorted(err.value.results) == ["HS01", "HS02", "HS03", "HS04"]
    for p, ref in local.items():
        assert_same(err.value.results[p], ref)


def test_a_killed_python_worker_is_retried_and_the_job_completes(
    spark: Any, products: pd.DataFrame, local: dict[Any, Any]
) -> None:
    def fit_or_die(part: pd.DataFrame) -> Any:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        if part["product"].iloc[0] == "HS02" and ctx is not None and ctx.attemptNumber() == 0:
            os._exit(1)  # the executor's Python worker dies on the first attempt
        return _fit_one(part, SPEC)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = apply_by_key(products, "product", fit_or_die, spark=spark)
    fits = done.complete("product fit")
    assert sorted(fits) == sorted(local)
    for p, ref in local.items():
        assert_same(fits[p], ref)


def _toy_scenario() -> tuple[Scenario, OneSectorBaseline]:
    trade = np.array([[300.0, 20.0, 15.0], [40.0, 400.0, 10.0], [12.0, 8.0, 100.0]])
    tariff = np.full((3, 3), 0.05)
    np.fill_diagonal(tariff, 0.0)
    base = OneSectorBaseline(countries=("USA", "CHN", "MEX"), trade=trade, tariff=tariff,
                             name="toy")  # fmt: skip
    sc = Scenario.from_dict({
        "name": "toy", "baseline": "wiod2014",  # one-sector; the toy is passed
        "shocks": [{"tariff": {"imposer": "USA", "target": "CHN", "add": 20}},
                   {"export_control": {"from": "USA", "to": "CHN", "cost": 50,
                                       "share_range": [0.2, 0.4]}}],
        "elasticities": {"sigma": 5, "sigma_range": [4, 6]},
    })  # fmt: skip
    return sc, base


def test_a_200_draw_monte_carlo_on_spark_equals_the_local_run(
    spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, base = _toy_scenario()
    local = sc.run(base=base, draws=200, seed=5, workers=1)
    monkeypatch.setenv("TECHTIES_ENGINE", "duckdb")  # the explicit engine wins over the setting
    on_spark = sc.run(base=base, draws=200, seed=5, workers=2, engine="spark")
    assert local.draws is not None and on_spark.draws is not None
    assert local.draws.shape == on_spark.draws.shape == (200, 3, local.draws.shape[2])
    np.testing.assert_allclose(on_spark.draws, local.draws, rtol=1e-12, atol=0)
    assert np.ptp(local.draws[:, 0, 0]) > 0  # the draws differ from each other
    pd.testing.assert_frame_equal(on_spark.tidy(), local.tidy(), rtol=1e-12)
    assert "200 draws (seed 5, 2 Spark partitions)" in on_spark.steps
    assert "200 draws (seed 5, 1 processes)" in local.steps


def test_failed_draws_are_named_and_the_other_draws_kept(spark: Any) -> None:
    def _square_or_fail(shared: dict[str, Any], item: int) -> int:
        if item in shared["bad"]:
            raise ValueError(f"draw {item} did not converge")
        return int(item * item + shared["offset"])

    items = [(k, k) for k in range(40)]
    done = map_tasks(_square_or_fail, items, shared={"bad": {7, 31}, "offset": 1}, spark=spark,
                     partitions=3)  # fmt: skip
    assert done.failures == {7: "ValueError: draw 7 did not converge",
                             31: "ValueError: draw 31 did not converge"}  # fmt: skip
    assert done.results == {k: k * k + 1 for k in range(40) if k not in (7, 31)}
    with pytest.raises(TaskFailedError, match=r"2 draw\(s\) of 40 failed — 7: ValueError"):
        done.complete("draw")


def test_simulate_engine_spark_without_pyspark_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from techties.cli.main import main

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark fails as uninstalled
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "uschina_escalation", "--draws", "10", "--engine", "spark",
              "--store", str(tmp_path / "s.duckdb")])  # fmt: skip
    assert exc.value.code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: The Spark engine needs pyspark: pip install 'techties[spark]'"]


def test_one_sector_uncertainty_draws_on_spark_equal_the_local_ones(spark: Any) -> None:
    x, cov, coef = inputs()
    kw: dict[str, Any] = {"n_draws": 12, "sigma": (4.0, 6.0), "seed": 3, "levels": {"rta": cov["rta"]}}
    local = draw_onesector(x, cov, coef, workers=1, **kw)
    on_spark = draw_onesector(x, cov, coef, workers=3, engine="spark", **kw)
    for got, ref in ((on_spark.real_gdp_pct, local.real_gdp_pct),
                     (on_spark.welfare_pct, local.welfare_pct)):  # fmt: skip
        assert got.shape == ref.shape == (12, 6)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=0)
    assert np.ptp(local.real_gdp_pct[:, 0]) > 0.01  # the draws differ from each other
    np.testing.assert_array_equal(on_spark.iterations, local.iterations)
    pd.testing.assert_frame_equal(on_spark.tidy(), local.tidy(), rtol=1e-12)
    # a draw that does not converge is named with its key; on Spark every failed draw is
    with pytest.raises(TaskFailedError, match=r"12 draw\(s\) of 12 failed — 0: SolverError"):
        draw_onesector(x, cov, coef, workers=2, engine="spark",
                       options=SolverOptions(max_iter=1), **kw)  # fmt: skip
    with pytest.raises(ConfigError, match="workers must be at least 1"):
        draw_onesector(x, cov, coef, workers=0, engine="spark", **kw)


def test_simulate_engine_spark_passes_the_engine_down_not_through_the_environment(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from techties.cli.main import app
    from techties.store import open_store
    from techties.store.ingest import ingest_files

    store = tmp_path / "s.duckdb"
    with open_store(store) as st:
        ingest_files(st, "gravity", [shared("trade-gegravity", "GE_gravity_example_data.dta")])
    scenario = tmp_path / "fta.yaml"
    scenario.write_text(
        "name: fta\nbaseline: wiod2014\nelasticities: {sigma: 5, sigma_range: [4, 6]}\n"
        "shocks:\n  - tariff: {imposer: USA, target: CHN, add: 20}\n"
    )
    monkeypatch.setenv("TECHTIES_ENGINE", "duckdb")
    args = ["simulate", str(scenario), "--draws", "6", "--seed", "2", "--store", str(store),
            "--json"]  # fmt: skip
    runs = {}
    for extra in ([], ["--engine", "spark", "--workers", "2"]):
        r = CliRunner().invoke(app, [*args, *extra])
        assert r.exit_code == 0, r.output
        runs[bool(extra)] = json.loads(r.output)
        assert os.environ["TECHTIES_ENGINE"] == "duckdb"  # the setting is left as it was
    assert "6 draws (seed 2, 2 Spark partitions)" in runs[True]["steps"]
    assert not any("Spark" in step for step in runs[False]["steps"])
    local, on_spark = (pd.DataFrame(runs[k]["table"]).set_index("country") for k in (False, True))
    assert len(local) == 44 and list(local.columns) == list(on_spark.columns)
    pd.testing.assert_frame_equal(on_spark, local, rtol=1e-12)
    assert local.loc["CHN"].filter(like="_low").notna().all()
