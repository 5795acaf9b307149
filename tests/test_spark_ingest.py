"""BACI CSV files ingested by Spark into Parquet partitioned by year and reporter hold the rows
the DuckDB ingest stores, and are refused for the values the DuckDB ingest refuses, with the same
error naming file, row and column. Skipped without pyspark or Java 17+."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import spark_helpers
from techties.errors import (
    DuplicateKeyError,
    InvalidValueError,
    SourceFormatError,
    UnknownCodeError,
)
from techties.indicators.concentration import supplier_concentration
from techties.spark.ingest import ingest_baci, parquet_store
from techties.spark.store import spark_store
from techties.store import open_store
from techties.store.ingest import ingest_files

spark = spark_helpers.spark  # the one SparkSession of the test process

#: BACI numeric code → ISO3 (490 'Other Asia, nes' is S19 in the releases)
CODES = {"156": "CHN", "251": "FRA", "276": "DEU", "392": "JPN", "410": "KOR", "490": "S19",
         "704": "VNM", "842": "USA"}  # fmt: skip
PRODUCTS = ["010121", "120190", "847130", "854231", "854232", "851712", "220421", "300490"]
YEARS = (2019, 2020)
FLOW_COLUMNS = ["source", "reporter", "partner", "flow", "year", "month", "classification",
                "vintage", "product_code", "product_level", "value_usd", "quantity",
                "quantity_unit", "duties_usd", "value_basis"]  # fmt: skip


def write_baci(folder: Path, seed: int = 3) -> list[Path]:
    """Two BACI yearly files (HS17, release V202501) and their country_codes file."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,"
             "iso_3digit_alpha"] + [f"{c},{iso},{iso},XX,{iso}" for c, iso in CODES.items()]  # fmt: skip
    (folder / "country_codes_V202501.csv").write_text("\n".join(lines) + "\n")
    rng = np.random.default_rng(seed)
    files = []
    for year in YEARS:
        rows = ["t,i,j,k,v,q"]
        for i in CODES:
            for j in CODES:
                for k in PRODUCTS:
                    if i == j or rng.random() < 0.3:
                        continue
                    q = "NA" if rng.random() < 0.2 else f"{rng.gamma(1, 50):.3f}"
                    rows.append(f"{year},{i},{j},{k},{rng.gamma(0.7, 800):.3f},{q}")
        path = folder / f"BACI_HS17_Y{year}_V202501.csv"
        path.write_text("\n".join(rows) + "\n")
        files.append(path)
    return files


@pytest.fixture(scope="module")
def baci_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_baci(tmp_path_factory.mktemp("baci"))


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[FLOW_COLUMNS].sort_values(["year", "reporter", "partner", "product_code"])
    return out.reset_index(drop=True).astype({"year": "int64", "product_level": "int64"})


def test_spark_ingest_writes_the_rows_the_duckdb_ingest_stores(
    spark: Any, baci_files: list[Path], tmp_path: Path
) -> None:
    with open_store(":memory:") as duck:
        ingest_files(duck, "baci", baci_files)
        local = _rows(duck.df("SELECT * FROM trade_flows"))
        done = ingest_baci([baci_files[0].parent], tmp_path / "pq", spark=spark)
        assert done.rows == len(local) > 500
        # the hive layout: one folder per year, one per reporter inside it
        years = sorted(p.name for p in done.flows.iterdir() if p.is_dir())
        assert years == ["year=2019", "year=2020"]
        assert sorted(p.name for p in (done.flows / "year=2019").iterdir()) == sorted(
            f"reporter={iso}" for iso in CODES.values()
        )
        on_spark = parquet_store(done.folder, spark)
        got = _rows(on_spark.df("SELECT * FROM trade_flows"))
        pd.testing.assert_frame_equal(local, got, check_dtype=False)
        prov = on_spark.provenance()
        assert list(prov["rows_written"]) == [int((local["year"] == y).sum()) for y in YEARS]
        assert list(prov["location"]) == [str(p) for p in baci_files]
        # the indicators computed on Spark from that Parquet are DuckDB's
        kw: dict[str, Any] = {"reporter": None, "flow": "export", "level": 6, "source": "baci"}
        a = supplier_concentration(duck, **kw).tidy()
        b = supplier_concentration(on_spark, **kw).tidy()
        assert len(a) > 100
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def test_export_partitioned_by_year_and_reporter_is_read_by_the_spark_store(
    spark: Any, baci_files: list[Path], tmp_path: Path
) -> None:
    with open_store(tmp_path / "s.duckdb") as duck:
        ingest_files(duck, "baci", baci_files[:1])
        on_spark = spark_store(duck, spark)
        folder = Path(f"{duck.path}.spark") / "trade_flows"
        assert sorted(p.name for p in folder.iterdir()) == ["year=2019"]
        assert (folder / "year=2019" / "reporter=USA").is_dir()
        sql = "SELECT reporter, count(*) AS n, sum(value_usd) AS v FROM trade_flows GROUP BY 1 ORDER BY 1"
        local, got = duck.df(sql), on_spark.df(sql)
        pd.testing.assert_frame_equal(local, got, check_dtype=False, rtol=1e-12)
        assert len(local) == len(CODES)


#: one bad line inserted as file line 4: (the line, error type, the file's column)
BAD = {
    "negative value": ("2019,156,842,854239,-5.0,1", InvalidValueError, "v"),
    "NaN value": ("2019,156,842,854239,NaN,1", InvalidValueError, "v"),
    "year of another file": ("2018,156,842,854239,5.0,1", SourceFormatError, "t"),
    "unknown country code": ("2019,999,842,854239,5.0,1", UnknownCodeError, "i"),
    "repeated row": (None, DuplicateKeyError, "source, reporter, partner, flow, year, "
                     "classification, vintage, product_code, value_basis"),
    # Spark's CSV reader would read these as an unknown quantity / drop the seventh field
    "line cut before q": ("2019,156,842,854239,5.0", SourceFormatError, "q"),
    "line cut before k": ("2019,156,842", SourceFormatError, "k"),
}  # fmt: skip


@pytest.mark.parametrize(("line", "error", "column"), BAD.values(), ids=list(BAD))
def test_spark_ingest_refuses_what_the_duckdb_ingest_refuses(
    spark: Any, baci_files: list[Path], tmp_path: Path, line: str | None, error: type, column: str
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(baci_files[0].parent / "country_codes_V202501.csv", folder)
    good = baci_files[0].read_text().splitlines()
    bad = folder / baci_files[0].name
    bad.write_text("\n".join([*good[:3], line or good[1], *good[3:]]) + "\n")
    with open_store(":memory:") as duck, pytest.raises(error) as local:
        ingest_files(duck, "baci", [bad])
    out = tmp_path / "pq"
    with pytest.raises(error) as on_spark:
        ingest_baci([bad], out, spark=spark)
    for err in (local.value, on_spark.value):
        assert (err.path, err.row, err.column) == (str(bad), 4, column)
        assert f"file {bad}, row 4, column '{column}'" in str(err)
    if line is None:  # the repeat of file line 2, found at line 4
        assert local.value.rows == on_spark.value.rows == [2, 4]
    assert type(on_spark.value) is type(local.value)
    assert not (out / "trade_flows").exists()  # nothing written


@pytest.mark.parametrize("line", ["2019,156,842,854239,5.0", "2019,156,842,854239,5.0,1,7"])
def test_a_line_without_six_fields_gets_the_duckdb_ingest_error_word_for_word(
    spark: Any, baci_files: list[Path], tmp_path: Path, line: str
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(baci_files[0].parent / "country_codes_V202501.csv", folder)
    good = baci_files[0].read_text().splitlines()
    bad = folder / baci_files[0].name
    # the bad line at file line 7, and a negative value further down that is reported as well
    negative = good[20].rsplit(",", 2)[0] + ",-5.0,1"
    bad.write_text("\n".join([*good[:6], line, *good[6:20], negative, *good[21:]]) + "\n")
    with open_store(":memory:") as duck, pytest.raises(SourceFormatError) as local:
        ingest_files(duck, "baci", [bad])
    with pytest.raises(SourceFormatError) as on_spark:
        ingest_baci([bad], tmp_path / "pq", spark=spark)
    first, _, also = on_spark.value.message.partition("\nalso: ")
    assert first == local.value.message
    assert (on_spark.value.row, on_spark.value.column) == (7, None if line.count(",") > 5 else "q")
    assert f"Expected 6 columns, got {line.count(',') + 1}: {line} (file {bad}, row 7" in first
    assert local.value.hint == on_spark.value.hint
    assert "download it again" in str(on_spark.value)
    # the other problems are counted without the short line's own NULLs
    assert also == "1 rows: v negative value_usd"
