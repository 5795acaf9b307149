"""The store: migrations, provenance, all-or-nothing writes, read-only queries, export."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from techties.errors import ReadOnlyQueryError, StoreError, UnknownNameError
from techties.store import Store, file_sha256, open_store
from techties.store.migrations import available


def _flows(n: int = 3, value: float = 1.0) -> pa.Table:
    return pa.table(
        {
            "source": ["test"] * n,
            "reporter": ["USA"] * n,
            "partner": ["CHN"] * n,
            "flow": ["import"] * n,
            "year": [2017] * n,
            "month": [None] * n,
            "classification": ["HS"] * n,
            "vintage": ["HS2017"] * n,
            "product_code": [f"85{i:04d}" for i in range(n)],
            "product_level": [6] * n,
            "value_usd": [value] * n,
            "quantity": [None] * n,
            "quantity_unit": [None] * n,
            "duties_usd": [None] * n,
            "value_basis": ["CIF"] * n,
        }
    )


def _write(store: Store, data: pa.Table, sha: str = "a" * 64, replace: bool = False):
    with store.transaction():
        return store.write(
            source="test",
            table="trade_flows",
            data=data,
            location="/x.csv",
            sha256=sha,
            nbytes=10,
            version="v1",
            replace=replace,
        )


def test_migrations_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as st:
        versions = st.df("SELECT version FROM schema_migrations ORDER BY 1")["version"].tolist()
    assert versions == [m.version for m in available()]
    with open_store(path) as st:  # reopening applies nothing new
        assert st.count("schema_migrations") == len(versions)


def test_write_records_provenance_for_every_row(store: Store) -> None:
    res = _write(store, _flows(3, 2.5))
    assert res.rows == 3 and not res.skipped
    prov = store.provenance()
    assert prov.loc[0, "rows_written"] == 3
    assert prov.loc[0, "sha256"] == "a" * 64
    assert prov.loc[0, "techties_version"]
    orphan = store.df(
        "SELECT count(*) n FROM trade_flows f LEFT JOIN provenance p ON f.provenance_id = p.id WHERE p.id IS NULL"
    )
    assert orphan["n"][0] == 0


def test_same_bytes_twice_is_noop_unless_replace(store: Store) -> None:
    first = _write(store, _flows(3))
    again = _write(store, _flows(3))
    assert again.skipped and again.provenance_id == first.provenance_id
    assert store.count("trade_flows") == 3
    replaced = _write(store, _flows(2, 9.0), replace=True)
    assert replaced.replaced == first.provenance_id
    assert store.count("trade_flows") == 2
    assert store.df("SELECT sum(value_usd) s FROM trade_flows")["s"][0] == 18.0
    assert store.count("provenance") == 2  # append-only: the old row stays


def test_failure_inside_transaction_leaves_store_unchanged(store: Store) -> None:
    _write(store, _flows(3))
    before = (store.count("trade_flows"), store.count("provenance"))
    with pytest.raises(RuntimeError, match="boom"), store.transaction():
        store.write(
            source="test",
            table="trade_flows",
            data=_flows(5),
            location="/y.csv",
            sha256="b" * 64,
            nbytes=1,
        )
        raise RuntimeError("boom")
    assert (store.count("trade_flows"), store.count("provenance")) == before


def test_write_rejects_missing_columns(store: Store) -> None:
    with pytest.raises(StoreError, match="lacks columns"):
        _write(store, _flows(1).drop(["value_basis"]))
    assert store.count("provenance") == 0


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE provenance",
        "select 1; drop table provenance",
        "WITH x AS (SELECT 1) DELETE FROM provenance",
        "COPY provenance TO '/tmp/x.csv'",
    ],
)
def test_read_only_query_refuses_writes(store: Store, sql: str) -> None:
    with pytest.raises(ReadOnlyQueryError):
        store.read_only_query(sql)


def test_read_only_query_returns_rows(store: Store) -> None:
    _write(store, _flows(3, 2.0))
    df = store.read_only_query("SELECT partner, sum(value_usd) AS v FROM trade_flows GROUP BY 1")
    assert df.to_dict("records") == [{"partner": "CHN", "v": 6.0}]


def test_export_parquet_round_trip(store: Store, tmp_path: Path) -> None:
    _write(store, _flows(4))
    out = store.export("trade_flows", tmp_path / "f.parquet")
    import pyarrow.parquet as pq

    assert pq.read_table(out).num_rows == 4
    with pytest.raises(UnknownNameError, match="Did you mean 'trade_flows'"):
        store.export("trade_flow", tmp_path / "g.parquet")


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    import hashlib

    p = tmp_path / "f.bin"
    p.write_bytes(b"x" * 10_000_001)
    assert file_sha256(p) == hashlib.sha256(p.read_bytes()).hexdigest()


def test_store_env_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "env.duckdb"
    monkeypatch.setenv("TECHTIES_STORE", str(target))
    with open_store() as st:
        assert st.path == str(target)
    assert target.exists()
