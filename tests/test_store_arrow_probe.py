"""The validation probe asked of Arrow and Polars answers as the DuckDB probe (issue 16).

:func:`arrow_probe` replaces ``list(DISTINCT code)`` and ``count(*) - count(DISTINCT
hash(key))`` for Arrow tables: on generated tables (NULLs, repeated keys, repeated rows) it
finds the same code values and a repeat exactly when DuckDB's GROUP BY does, and
:func:`validate._run` with and without it raises the same errors and drops the same rows.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from techties.errors import SourceFormatError
from techties.store.arrow_probe import arrow_probe, indexed, key_numbers
from techties.store.schemas import SCHEMAS
from techties.store.validate import ROW, _Ctx, _run


def _table(rng: np.random.Generator, n: int) -> pa.Table:
    a = rng.choice(np.array(["x", "y", None], dtype=object), n)
    b = rng.integers(0, 4, n)
    mask = rng.random(n) < 0.2
    return pa.table(
        {
            "a": pa.array(a, pa.string()),
            "b": pa.array(b, pa.int16(), mask=mask),
            "c": pa.array(
                rng.choice(np.array(["p", "q", "r", None], dtype=object), n), pa.string()
            ),
        }
    )


def test_arrow_probe_answers_as_duckdb() -> None:
    rng = np.random.default_rng(16)
    con = duckdb.connect()
    seen = set()
    for _ in range(300):
        t = _table(rng, int(rng.integers(0, 12)))
        con.register("t", t)
        dup = con.execute(
            "SELECT count(*) FROM (SELECT a, b FROM t GROUP BY a, b HAVING count(*) > 1)"
        ).fetchall()[0][0]
        codes = con.execute("SELECT list(DISTINCT c) FROM t").fetchall()[0][0] or []
        con.unregister("t")
        got = arrow_probe(t, ["a", "b"], ["c"], False)
        assert got is not None
        assert got[0] == int(dup > 0)
        assert sorted(got[1]) == sorted(v for v in codes if v is not None)  # _codes skips NULL
        assert arrow_probe(t, ["a", "b"], [], True) == (0,)
        seen.add(got[0])
    assert seen == {0, 1}


def test_arrow_probe_leaves_float_keys_to_duckdb() -> None:
    t = pa.table({"k": pa.array([0.0, -0.0]), "c": ["a", "b"]})
    assert arrow_probe(t, ["k"], ["c"], False) is None
    d = pa.table({"k": pa.array(["a", "a"]).dictionary_encode()})
    assert arrow_probe(d, ["k"], [], False) is None


def _indicators(n: int, rng: np.random.Generator) -> pa.Table:
    return pa.table(
        {
            "source": ["wdi"] * n,
            "indicator": rng.choice(["a", "b"], n).tolist(),
            "name": ["Name"] * n,
            "unit": ["USD"] * n,
            "country": rng.choice(np.array(["USA", "CHN", "ZZZ", None], dtype=object), n).tolist(),
            "country_label": rng.choice(["A", "B", "C"], n).tolist(),
            "partner": [None] * n,
            "partner_label": rng.choice(np.array(["P", None], dtype=object), n).tolist(),
            "year": pa.array(rng.integers(2000, 2003, n), pa.int16()),
            "value": rng.random(n).tolist(),
            "flag": [None] * n,
            ROW: pa.array(np.arange(n, dtype=np.int64) + 2),
        }
    )


@pytest.mark.parametrize("seed", range(40))
def test_run_with_the_arrow_probe_raises_and_drops_as_without(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = _indicators(int(rng.integers(1, 30)), rng)
    rules = SCHEMAS["indicators"].for_source("wdi")
    con = duckdb.connect()
    con.register("d", indexed(data))
    outcomes = []
    for arrow in (None, data):
        try:
            outcomes.append(("ok", _run(con, '"d"', rules, _Ctx("f.csv"), arrow=arrow)))
        except SourceFormatError as exc:
            outcomes.append((type(exc).__name__, exc.message))
    assert outcomes[0] == outcomes[1]


def test_key_numbers_are_equal_exactly_for_equal_keys() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(0, 15))
        t = _table(rng, n)
        chunked = pa.concat_tables([t.slice(0, n // 2), t.slice(n // 2)])  # two chunks
        number = key_numbers(chunked, ["a", "b", "c"])
        assert number is not None
        rows = list(zip(*(t[c].to_pylist() for c in ("a", "b", "c")), strict=True))
        for i in range(n):
            for j in range(n):
                assert (number[i] == number[j]) == (rows[i] == rows[j])
    wide = pa.table({"k": pa.array([-(2**62), 2**62], pa.int64()), "m": [1, 2]})
    assert key_numbers(wide, ["k", "m"]) is None  # does not fit: Polars compares the rows
    assert key_numbers(pa.table({"d": pa.array([1.0])}), ["d"]) is None
