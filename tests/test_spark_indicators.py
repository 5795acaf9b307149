"""The indicator suite on Spark gives the DuckDB numbers: one definition (the store's DuckDB SQL,
transpiled by sqlglot), two engines. Skipped without pyspark or Java 17+."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import spark_helpers
from fixtures.indicators.flows import write_flows
from fixtures.indicators.real import real_store
from techties import config
from techties.errors import ConfigError
from techties.indicators.concentration import chokepoints, supplier_concentration
from techties.indicators.shares import partner_shares
from techties.spark.sql import to_spark
from techties.spark.store import SparkStore, spark_store
from techties.store import Store, open_store

spark = spark_helpers.spark  # the one SparkSession of the test process

PARTNERS = ["CHN", "VNM", "MEX", "DEU", "EUN", "KOR", "TWN"]
PRODUCTS = ["854231", "854232", "847130", "850760", "851712", "854140"]

Indicator = Callable[..., Any]
SUITE: list[tuple[str, Indicator, dict[str, Any]]] = [
    ("share HS4 world", partner_shares, {"level": 4}),
    ("share HS6 partners", partner_shares, {"level": 6, "denominator": "partners"}),
    ("share mirrored", partner_shares, {"level": 6, "mirror": True, "denominator": "partners"}),
    ("share monthly", partner_shares, {"level": 2, "frequency": "monthly", "source": "monthly",
                                       "denominator": "partners"}),
    ("share of annual months", partner_shares, {"level": 2, "source": "monthly",
                                                "denominator": "partners"}),
    ("concentration", supplier_concentration, {"level": 6}),
    ("concentration world", supplier_concentration, {"level": 6, "denominator": "world"}),
    ("concentration group", supplier_concentration, {"level": 0, "group": "semiconductors"}),
    ("chokepoints", chokepoints, {"level": 6, "thresholds": (0.3, 0.5)}),
]  # fmt: skip


def _generated(store: Store) -> None:
    """Two years of annual HS6 imports (with world totals, ties and an EU member) and monthly
    HS2 rows of a second source."""
    rng = np.random.default_rng(17)
    rows: list[dict[str, Any]] = []
    for year in (2019, 2020, 2021):
        for k in PRODUCTS:
            values = {p: float(rng.gamma(0.8, 1e6)) for p in PARTNERS}
            if k == "854232":
                values["VNM"] = values["CHN"] = 2 * max(
                    values.values()
                )  # a tie: the larger code wins on both engines
            rows += [{"year": year, "partner": p, "product_code": k, "value_usd": v}
                     for p, v in values.items()]  # fmt: skip
            rows.append({"year": year, "partner": "WLD", "product_code": k,
                         "value_usd": sum(values.values()) * 1.25})  # fmt: skip
            rows.append({"reporter": "CHN", "flow": "export", "year": year, "partner": "USA",
                         "product_code": k, "value_usd": float(rng.gamma(1, 1e5))})  # fmt: skip
    for month in range(1, 8):
        for p in PARTNERS[:4]:
            rows.append({"source": "monthly", "year": 2021, "month": month, "partner": p,
                         "product_code": "85", "value_usd": float(rng.gamma(1, 1e4))})  # fmt: skip
    base = {"source": "test", "reporter": "USA", "flow": "import", "month": None}
    write_flows(store, [{**base, **row} for row in rows])


@pytest.fixture(scope="module")
def engines(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, SparkStore]]:
    st = open_store(tmp_path_factory.mktemp("spark") / "gen.duckdb")
    _generated(st)
    yield st, spark_store(st, spark)
    st.close()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal tables: the same rows, columns and types; numbers to 1e-9 relative."""
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=0)


@pytest.mark.parametrize(("name", "func", "kwargs"), SUITE, ids=[s[0] for s in SUITE])
def test_the_indicator_suite_is_the_same_on_both_engines(
    engines: tuple[Store, SparkStore], name: str, func: Indicator, kwargs: dict[str, Any]
) -> None:
    duck, spark = engines
    kwargs = {"reporter": "USA", "source": "test", **kwargs}
    a, b = func(duck, **kwargs), func(spark, **kwargs)
    _same(a.tidy(), b.tidy())
    assert (a.notes, a.provenance_ids, a.source) == (b.notes, b.provenance_ids, b.source)


def test_the_tie_and_the_numbers_are_the_published_formulas(
    engines: tuple[Store, SparkStore],
) -> None:
    # on Spark, by hand: the tied product's top supplier is VNM (the larger code), and the HHI
    # is the sum of squared partner shares of the same rows
    _, spark = engines
    conc = supplier_concentration(spark, reporter="USA", source="test", level=6).tidy()
    tied = conc[(conc["product"] == "854232") & (conc["year"] == 2020)].iloc[0]
    assert tied["top_supplier"] == "VNM"
    shares = partner_shares(
        spark, reporter="USA", source="test", level=6, denominator="partners"
    ).tidy()
    one = shares[(shares["product"] == "854232") & (shares["year"] == 2020)]
    one = one[one["partner"] != "DEU"]  # a member of the listed EU, counted inside it
    assert tied["hhi"] == pytest.approx(float((one["share"] ** 2).sum()), rel=1e-12)


def test_spark_sql_is_transpiled_from_the_store_sql() -> None:
    # DuckDB's list parameters and tuple ordering become Spark's arrays and structs
    text = to_spark(
        "SELECT arg_max(p, (round(v * 1000), p)) FROM t WHERE list_contains(?::VARCHAR[], p)",
        [["CHN", "O'Brien"]],
    )
    assert "MAX_BY(p, STRUCT(ROUND(v * 1000), p))" in text
    assert "ARRAY('CHN', 'O\\'Brien')" in text
    with pytest.raises(ConfigError, match="more parameters than the 1 given"):
        to_spark("SELECT ? + ?", [1])
    with pytest.raises(ConfigError, match="columns of the table"):
        to_spark("SELECT * REPLACE (1 AS a) FROM t")


@pytest.mark.realdata
@pytest.mark.slow
def test_real_census_hs10_2024_indicators_are_the_same_on_spark(
    shared_data: Path, spark: Any, tmp_path: Path
) -> None:
    st = real_store(shared_data, "hs10_2024_all")
    on_spark = spark_store(st, spark, folder=tmp_path / "parquet")
    kw: dict[str, Any] = {"source": "census", "years": (2024, 2024), "denominator": "partners"}
    for func, extra in [
        (partner_shares, {"level": 4, "products": ("8541", "8542", "8471")}),
        (supplier_concentration, {"level": 6}),
        (supplier_concentration, {"level": 0, "group": "semiconductors"}),
        (chokepoints, {"level": 6}),
    ]:
        a, b = func(st, **kw, **extra), func(on_spark, **kw, **extra)
        _same(a.tidy(), b.tidy())
    # the published check of the DuckDB tests holds on Spark: MYS has 20.236 % of 8541/8542
    semis = partner_shares(on_spark, **kw, level=0, products=("8541", "8542"))
    assert semis.share("MYS", "TOTAL", 2024) == pytest.approx(0.202360, abs=1e-5)


def test_the_engine_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHTIES_ENGINE", "spark")
    assert config.engine() == "spark"
    assert config.engine("DuckDB") == "duckdb"
    with pytest.raises(ConfigError, match="Unknown engine 'polars'"):
        config.engine("polars")


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    from techties.cli.main import main

    main(argv)
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("spark-cli") / "cli.duckdb"
    with open_store(path) as st:
        _generated(st)
    return str(path)


def test_cli_engine_option_gives_the_duckdb_numbers(
    spark: Any,
    cli_store: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = ["indicator", "concentration", "--source", "test", "--level", "6", "--store",
            cli_store, "--json"]  # fmt: skip
    local = pd.DataFrame(_cli(argv, capsys)["table"])
    _same(local, pd.DataFrame(_cli([*argv, "--engine", "spark"], capsys)["table"]))
    monkeypatch.setenv("TECHTIES_ENGINE", "spark")  # the same through the environment
    _same(local, pd.DataFrame(_cli(argv, capsys)["table"]))


def test_without_pyspark_the_cli_says_how_to_install_it(
    cli_store: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from techties.cli.main import main

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark fails as uninstalled
    with pytest.raises(SystemExit) as exc:
        main(["indicator", "concentration", "--source", "test", "--level", "6", "--store",
              cli_store, "--engine", "spark"])  # fmt: skip
    assert exc.value.code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: The Spark engine needs pyspark: pip install 'techties[spark]'"]
