"""The ingest's fast paths give what the simple paths give (issue 16).

- the repeats pre-check with the transaction's kept key hashes (:class:`repeats.KeyHashes`)
  answers as the per-file query (:func:`repeats._may_repeat`), and :func:`repeats.find` the same;
- a table with a MAP column checked and inserted from its staged DuckDB copy equals the Arrow
  path: same checks passed, same errors, same rows;
- one read-ahead for a data folder gives the store per-entry ingests give, and a failing entry
  still rolls back alone;
- an Excel sheet parsed once still refuses a repeated header name;
- on the real data folder: the fast ingest loop equals a plain loop of ``Store.write`` calls
  (no read-ahead, no transaction, so no kept hashes), table by table and in provenance.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import FIXTURES, shared
from techties.errors import InvalidValueError, SourceFormatError, UnknownCodeError
from techties.sources import get_source
from techties.sources.containers import read_frame
from techties.sources.gravity import GRAVITY_SCHEMA
from techties.store import Store, open_store
from techties.store.core import file_sha256
from techties.store.ingest import ingest_files
from techties.store.manifest import ingest_folder
from techties.store.repeats import KeyHashes, _may_repeat, find
from techties.store.validate import stage, validate_table

INDICATOR_KEY = ["source", "indicator", "country_label", "partner_label", "year"]


def _indicators(rng: np.random.Generator, n: int, years: range, value: float) -> pa.Table:
    """n indicator rows; keys drawn from a small space so files overlap (NULL partner too)."""
    label = rng.choice(["A", "B", "C", "D"], n)
    partner = rng.choice(np.array(["X", "Y", None], dtype=object), n)
    year = rng.choice(np.array(years), n)
    df = pd.DataFrame({"c": label, "p": partner, "y": year}).drop_duplicates()
    k = len(df)
    return pa.table(
        {
            "source": ["gen"] * k,
            "indicator": ["ind"] * k,
            "name": ["Indicator"] * k,
            "unit": ["USD"] * k,
            "country": [None] * k,
            "country_label": df["c"].tolist(),
            "partner": [None] * k,
            "partner_label": pa.array(df["p"], pa.string(), from_pandas=True),
            "year": pa.array(df["y"].to_numpy(), pa.int16()),
            "value": [value] * k,
            "flag": [None] * k,
        }
    )


def _write(store: Store, data: pa.Table, name: str) -> int:
    res = store.write(source="gen", table="indicators", data=data, location=name,
                      sha256=name, nbytes=1)  # fmt: skip
    assert res.provenance_id is not None
    return res.provenance_id


def test_kept_key_hashes_answer_as_the_query(store: Store) -> None:
    rng = np.random.default_rng(16)
    spans = [range(2000 + i % 3, 2003 + i % 3) for i in range(7)] + [range(2050, 2052)]
    with store.transaction():
        pids = [_write(store, _indicators(rng, 1, range(1901 + i, 1902 + i), 1.0), f"f{i}")
                for i in range(len(spans))]  # fmt: skip
        for pid, years in zip(pids, spans, strict=True):  # a stored ingest never repeats
            store.con.register("more", _indicators(rng, 30, years, float(pid)))  # another:
            store.con.execute(f"INSERT INTO indicators SELECT *, {pid} FROM more")  # set up
            store.con.unregister("more")  # the state the check sees during a write
        kept = KeyHashes()  # grows file by file, as the store's own does
        answers = []
        for pid in pids:
            others = [p for p in pids if p != pid]
            earlier = [p for p in others if p < pid]
            want = _may_repeat(store.con, "indicators", INDICATOR_KEY, pid, others)
            fresh = KeyHashes().may_repeat(store.con, "indicators", "gen", INDICATOR_KEY, pid,
                                           others)  # fmt: skip
            grown = kept.may_repeat(store.con, "indicators", "gen", INDICATOR_KEY, pid, earlier)
            assert fresh == want
            assert grown == _may_repeat(store.con, "indicators", INDICATOR_KEY, pid, earlier)
            assert find(store.con, "indicators", "gen", pid, KeyHashes()) == find(
                store.con, "indicators", "gen", pid
            )
            answers.append(want)
    assert any(answers) and not answers[-1]  # some files repeat others; 2050-51 none


def test_kept_key_hashes_refuse_a_repeat_as_before(store: Store) -> None:
    """A second file repeating the first's keys with other values is refused, in one
    transaction (kept hashes) as in two (the query)."""
    rng = np.random.default_rng(3)
    first = _indicators(rng, 20, range(2001, 2003), 1.0)
    other = first.set_column(9, "value", pa.array([2.0] * first.num_rows))
    kw = {"source": "gen", "table": "indicators", "nbytes": 1}
    with pytest.raises(SourceFormatError) as one, store.transaction():
        store.write(data=first, location="a", sha256="a", **kw)  # type: ignore[arg-type]
        store.write(data=other, location="b", sha256="b", **kw)  # type: ignore[arg-type]
    assert store.count("indicators") == 0
    store.write(data=first, location="a", sha256="a", **kw)  # type: ignore[arg-type]
    with pytest.raises(SourceFormatError) as two:
        store.write(data=other, location="b", sha256="b", **kw)  # type: ignore[arg-type]
    same = re.compile(r"ingest \d+")
    assert same.sub("ingest N", one.value.message) == same.sub("ingest N", two.value.message)
    assert "with other values" in one.value.message


def _gravity(n: int, cov: np.ndarray) -> pa.Table:
    codes = np.array(["USA", "CHN", "DEU", "FRA", "JPN"])
    exp = codes[np.arange(n) % 5]
    imp = codes[(np.arange(n) // 5) % 5]
    year = 1990 + np.arange(n) // 25
    names = ["DIST", "RTA", "LANG"]
    k = len(names)
    offsets = pa.array(np.arange(0, n * k + 1, k, dtype="int32"))
    flat = cov.ravel()
    items = pa.array(flat, mask=np.isnan(flat), type=pa.float64())
    covariates = pa.MapArray.from_arrays(offsets, pa.array(names * n), items)
    arrays = [pa.array(["gen"] * n), pa.array(exp), pa.array(imp), pa.array(year, pa.int16()),
              pa.array(np.linspace(0, 5, n)), pa.array(["USD million"] * n), covariates,
              pa.array(np.arange(n, dtype=np.int64) + 2)]  # fmt: skip
    schema = GRAVITY_SCHEMA.append(pa.field("_row", pa.int64()))
    return pa.Table.from_arrays(arrays, schema=schema)


def _check(store: Store, data: pa.Table, staged: bool) -> tuple[str, object]:
    name = stage(store.con, data) if staged else None
    try:
        got = validate_table(store.con, data, table="gravity", source="gravity", path="g.dta",
                             staged=name)  # fmt: skip
        return "ok", (got.data.equals(data), got.details, got.dropped)
    except SourceFormatError as exc:
        return type(exc).__name__, (exc.message, exc.row, exc.column)
    finally:
        if name:
            store.con.execute(f'DROP TABLE "{name}"')


def test_staged_map_table_checks_as_the_arrow_table(store: Store) -> None:
    rng = np.random.default_rng(5)
    n = 200
    good = _gravity(n, rng.uniform(0, 10, (n, 3)))
    cov = rng.uniform(0, 10, (n, 3))
    cov[[7, 50], 1] = np.inf
    cov[9, 2] = np.nan  # a missing covariate is allowed
    bad_value = _gravity(n, cov)
    bad_code = good.set_column(1, "exporter", pa.array(["USA", "ZZZ"] * (n // 2)))
    repeated = pa.concat_tables([good, good.slice(3, 2)])
    cases = {"good": good, "value": bad_value, "code": bad_code, "repeat": repeated}
    got = {k: (_check(store, t, False), _check(store, t, True)) for k, t in cases.items()}
    for arrow, staged in got.values():
        assert arrow == staged
    assert got["good"][0] == ("ok", (True, {}, []))
    assert got["value"][0][0] == InvalidValueError.__name__
    assert "covariates_finite" in str(got["value"][0][1][0]) and got["value"][0][1][1] == 9
    assert got["code"][0][0] == UnknownCodeError.__name__


def test_staged_map_rows_are_stored_as_read(store: Store) -> None:
    rng = np.random.default_rng(6)
    n = 300
    cov = rng.uniform(0, 10, (n, 3))
    cov[::7, 0] = np.nan
    data = _gravity(n, cov)
    with store.transaction():
        res = store.write(source="gravity", table="gravity", data=data, location="g.dta",
                          sha256="g", nbytes=1)  # fmt: skip
    assert res.rows == n
    have = store.arrow("SELECT * EXCLUDE (provenance_id) FROM gravity")  # insertion order
    want = data.drop_columns(["_row"])
    assert have.column_names == want.column_names
    for name in want.column_names:
        assert have.column(name).to_pylist() == want.column(name).to_pylist(), name
    assert store.scalar("SELECT count(*) FROM duckdb_tables() WHERE temporary") == 0


def _folder(tmp: Path) -> Path:
    data = tmp / "data"
    census = data / "census"
    census.mkdir(parents=True)
    text = (FIXTURES / "census" / "imports-hs10-2024.json").read_text()
    for year in (2021, 2022, 2023):
        (census / f"imports-{year}.json").write_text(text.replace('"2024-12"', f'"{year}-12"'))
    tech = data / "tech"
    tech.mkdir()
    for f in ("bis_entity_list_small.json", "bis_meu_small.json"):
        (tech / f).write_bytes((FIXTURES / "tech" / f).read_bytes())
    (data / "techties-manifest.yaml").write_text(
        "- source: census\n  files: [census/*.json]\n"
        "- source: export_lists\n  files: [tech/*.json]\n"
    )
    return data


def _dump(store: Store) -> dict[str, pd.DataFrame]:
    out = {}
    for table in ("trade_flows", "entity_list"):
        df = store.df(f"SELECT * FROM {table}").astype(str)
        out[table] = df.sort_values(list(df.columns), ignore_index=True)
    out["provenance"] = store.df(
        "SELECT * EXCLUDE (ingested_at, location), regexp_extract(location, '[^/]+$') AS f "
        "FROM provenance ORDER BY id"
    )
    return out


def test_folder_read_ahead_equals_one_entry_at_a_time(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    with open_store(tmp_path / "a.duckdb") as fast, open_store(tmp_path / "b.duckdb") as plain:
        got = ingest_folder(fast, data)
        want = [r for src, g in (("census", "census"), ("export_lists", "tech"))
                for r in ingest_files(plain, src, sorted((data / g).glob("*.json")))]  # fmt: skip
        assert [(r.rows, r.skipped) for r in got] == [(r.rows, r.skipped) for r in want]
        a, b = _dump(fast), _dump(plain)
        for name in a:
            pd.testing.assert_frame_equal(a[name], b[name], obj=name)
        again = ingest_folder(fast, data)  # everything stored: skipped, nothing parsed again
        assert all(r.skipped for r in again) and len(again) == len(got)


def test_folder_read_ahead_keeps_entries_all_or_nothing(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    bad = data / "tech" / "bis_meu_small.json"
    bad.write_text(bad.read_text()[: len(bad.read_text()) // 2])  # truncated: read while
    with open_store(tmp_path / "a.duckdb") as st:  # the census entry is written
        with pytest.raises(SourceFormatError) as err:
            ingest_folder(st, data)
        assert err.value.path == str(bad)
        assert st.count("trade_flows") == 30  # the first entry committed
        assert st.count("entity_list") == 0  # the failing entry rolled back whole
    with open_store(tmp_path / "b.duckdb") as plain, pytest.raises(SourceFormatError) as one:
        ingest_files(plain, "export_lists", sorted((data / "tech").glob("*.json")))
    assert one.value.message == err.value.message


def test_excel_parsed_once_still_refuses_repeated_names(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": ["1", "2"], "b": ["x", "y"], "c": ["3", "4"]})
    for names, refused in ((["a", "b", "a"], "a"), (["a", " a", "c"], "a"),
                           (["a", "a.1", "c"], None), (["x.2", "b", "c"], None)):  # fmt: skip
        f = tmp_path / f"t{len(list(tmp_path.iterdir()))}.xlsx"
        df.set_axis(names, axis=1).to_excel(f, index=False)
        if refused is None:
            got = read_frame(f, dtype_str=True)
            assert list(got.columns) == names and got.iloc[1, 0] == "2"
        else:
            with pytest.raises(SourceFormatError, match=f"column name '{refused}' appears twice"):
                read_frame(f, dtype_str=True)


REAL = {
    "census": ("trade-flows/us-imports-hs10-2024", "2024-hs10-imports5*.parquet"),
    "gravity": ("trade-agtpa", "Chapter1*.dta"),
    "comtrade": ("trade-flows/us-comtrade-hs6-2015-2025", "us_vietnam*.rds"),
    "icio_tariffwar": ("trade-ge-baseline/icio2023-tariffwar", "ICIO201[45].mat"),
}


def test_real_files_fast_loop_equals_plain_writes(shared_data: Path, tmp_path: Path) -> None:
    files = {}
    for source, (folder, pattern) in REAL.items():
        files[source] = sorted(shared(folder).glob(pattern))
        assert files[source], f"{folder}/{pattern} is empty"
    with open_store(tmp_path / "fast.duckdb") as fast, open_store(tmp_path / "p.duckdb") as plain:
        for source, paths in files.items():
            ingest_files(fast, source, paths)
            src = get_source(source)
            for f in paths:  # no transaction: no kept hashes; Arrow read here, in order
                plain.write(source=source, table=src.table, data=src.read(f),
                            location=str(f.resolve()), sha256=file_sha256(f),
                            nbytes=f.stat().st_size, version=src.version(f))  # fmt: skip
        prov = "SELECT * EXCLUDE (ingested_at) FROM provenance ORDER BY id"
        pd.testing.assert_frame_equal(fast.df(prov), plain.df(prov))
        for table in ("trade_flows_rows", "gravity", "model_inputs"):
            q = f"SELECT * FROM {table} ORDER BY rowid"  # rows in insertion order
            a, b = fast.arrow(q), plain.arrow(q)
            assert a.num_rows > 0 and a.equals(b), table
