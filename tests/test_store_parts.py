"""Bulk files as Parquet parts: view counts, all-or-nothing, replace, provenance, moves."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import FIXTURES
from techties.errors import SourceFormatError
from techties.sources import get_source
from techties.store import Store, open_store
from techties.store.ingest import ingest_files
from techties.store.migrations import available

BACI = FIXTURES / "baci" / "BACI_HS17_Y2017_V202201.csv"
CODES = FIXTURES / "baci" / "country_codes_V202201.csv"


def _baci(folder: Path, text: str | None = None, name: str = BACI.name) -> Path:
    """A BACI file (the fixture, or ``text``) with its country code list in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CODES, folder)
    path = folder / name
    path.write_text(BACI.read_text() if text is None else text)
    return path


def _files(store: Store) -> list[str]:
    root = store.parts_root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _state(store: Store) -> tuple[int, int, int, list[str]]:
    return (
        store.count("trade_flows"),
        store.count("provenance"),
        int(store.scalar("SELECT count(*) FROM store_parts")),
        _files(store),
    )


def test_part_file_and_view_counts(store: Store) -> None:
    res = ingest_files(store, "baci", [BACI])[0]
    pid = res.provenance_id
    assert res.rows == 4 and res.details["storage"] == "parquet part"
    assert _files(store) == [f"trade_flows/{pid}.parquet"]
    part = pq.read_table(store.parts_root / "trade_flows" / f"{pid}.parquet")
    assert part.column_names == [
        "reporter",
        "partner",
        "year",
        "product_code",
        "value_usd",
        "quantity",
    ]
    assert store.scalar("SELECT count(*) FROM trade_flows_rows") == 0
    flows = pa.table(
        {
            "source": ["t"],
            "reporter": ["USA"],
            "partner": ["CHN"],
            "flow": ["import"],
            "year": pa.array([2024], pa.int16()),
            "month": pa.array([None], pa.int8()),
            "classification": ["HS"],
            "vintage": ["HS2017"],
            "product_code": ["8542"],
            "product_level": pa.array([4], pa.int8()),
            "value_usd": [10.0],
            "quantity": [None],
            "quantity_unit": [None],
            "duties_usd": [1.0],
            "value_basis": ["customs_consumption"],
        }
    )
    with store.transaction():
        store.write(
            source="t", table="trade_flows", data=flows, location="/f", sha256="a" * 64, nbytes=1
        )
    assert store.count("trade_flows") == 5
    by_source = store.df("SELECT source, count(*) AS n FROM trade_flows GROUP BY 1 ORDER BY 1")
    assert by_source.values.tolist() == [["baci", 4], ["t", 1]]
    tables = store.tables().set_index("table")
    assert tables.loc["trade_flows", "rows"] == 5 and tables.loc["trade_flows", "kind"] == "table"
    assert "trade_flows_rows" not in tables.index and "store_parts" not in tables.index
    # the constants of the part come back per row, typed as the canonical table
    row = store.df("SELECT * FROM trade_flows WHERE product_code = '010121'").iloc[0]
    assert (row.flow, row.vintage, row.product_level, row.value_basis) == (
        "export",
        "HS2017",
        6,
        "FOB",
    )
    assert row.value_usd == 12_500.0 and row.provenance_id == pid


def test_provenance_traces_every_row_to_its_file(store: Store, tmp_path: Path) -> None:
    second = _baci(
        tmp_path / "b", BACI.read_text().replace("2017,", "2018,"), "BACI_HS17_Y2018_V202201.csv"
    )
    ingest_files(store, "baci", [BACI, second])
    trace = store.df(
        "SELECT p.location, p.sha256, p.rows_written, count(*) AS n FROM trade_flows f "
        "JOIN provenance p ON p.id = f.provenance_id GROUP BY ALL ORDER BY p.location"
    )
    assert len(trace) == 2 and store.count("trade_flows") == 8
    for r in trace.itertuples():
        assert r.sha256 == hashlib.sha256(Path(r.location).read_bytes()).hexdigest()
        assert r.rows_written == r.n == 4
    years = store.df("SELECT DISTINCT year FROM trade_flows ORDER BY 1").year.tolist()
    assert years == [2017, 2018]


def test_failed_ingest_leaves_no_part_behind(store: Store, tmp_path: Path) -> None:
    ingest_files(store, "baci", [BACI])
    before = _state(store)
    good = _baci(
        tmp_path / "good", BACI.read_text().replace("2017,", "2019,"), "BACI_HS17_Y2019_V202201.csv"
    )
    bad = _baci(tmp_path / "bad", BACI.read_text().replace("842,220421", "999,220421"))
    with pytest.raises(SourceFormatError) as err:
        ingest_files(store, "baci", [good, bad])  # the good file's part is written first
    assert err.value.path == str(bad) and err.value.column == "j" and err.value.row == 4
    assert _state(store) == before


def test_replace_removes_the_old_part(store: Store) -> None:
    first = ingest_files(store, "baci", [BACI])[0]
    again = ingest_files(store, "baci", [BACI])[0]
    assert again.skipped and _files(store) == [f"trade_flows/{first.provenance_id}.parquet"]
    new = ingest_files(store, "baci", [BACI], replace=True)[0]
    assert new.replaced == first.provenance_id
    assert _files(store) == [f"trade_flows/{new.provenance_id}.parquet"]
    assert store.count("trade_flows") == 4
    assert store.scalar("SELECT DISTINCT provenance_id FROM trade_flows") == new.provenance_id


def test_failed_replace_keeps_the_old_part(store: Store, tmp_path: Path) -> None:
    first = ingest_files(store, "baci", [BACI])[0]
    before = _state(store)
    bad = _baci(tmp_path / "bad", BACI.read_text().replace("5000,", "five thousand,"))
    with pytest.raises(SourceFormatError, match="v"):
        ingest_files(store, "baci", [BACI, bad], replace=True)
    assert _state(store) == before
    assert store.scalar("SELECT DISTINCT provenance_id FROM trade_flows") == first.provenance_id


def test_blank_lines_fall_back_to_the_reader(store: Store, tmp_path: Path) -> None:
    path = _baci(tmp_path, BACI.read_text().replace("\n2017,251", "\n\n2017,251") + "\n")
    res = ingest_files(store, "baci", [path])[0]
    assert res.rows == 4 and store.count("trade_flows") == 4
    want = get_source("baci").read(BACI).column("value_usd").to_pylist()
    got = store.df("SELECT value_usd FROM trade_flows").value_usd.tolist()
    assert sorted(got) == sorted(want)


def test_read_only_export_and_sql(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db) as st:
        ingest_files(st, "baci", [BACI])
    with open_store(db, read_only=True) as ro:
        assert ro.count("trade_flows") == 4
        got = ro.read_only_query(
            "SELECT sum(value_usd) AS v FROM trade_flows WHERE reporter = 'CHN'"
        )
        assert got.v[0] == 12_500.0
        out = ro.export("trade_flows", tmp_path / "flows.parquet")
    exported = pq.read_table(out)
    assert exported.num_rows == 4 and "provenance_id" in exported.column_names
    assert sorted(exported.column("reporter").to_pylist()) == ["CHN", "FRA", "S19", "USA"]


def test_moved_store_finds_its_parts(tmp_path: Path) -> None:
    old = tmp_path / "old" / "s.duckdb"
    with open_store(old) as st:
        ingest_files(st, "baci", [BACI])
    new = tmp_path / "new" / "s.duckdb"
    new.parent.mkdir()
    shutil.move(old, new)
    shutil.move(f"{old}.parts", f"{new}.parts")
    with open_store(new, read_only=True) as ro:  # a temporary view points at the new folder
        assert ro.scalar("SELECT sum(value_usd) FROM trade_flows") == 19_912_875.0
    with open_store(new) as st:  # a writable open rewrites the stored view
        assert st.count("trade_flows") == 4
    with duckdb.connect(str(new), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trade_flows").fetchall()[0][0] == 4


def test_orphan_parts_are_swept_on_open(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db) as st:
        pid = ingest_files(st, "baci", [BACI])[0].provenance_id
        orphan = st.parts_root / "trade_flows" / "999.parquet"
        shutil.copy(st.parts_root / "trade_flows" / f"{pid}.parquet", orphan)
    with open_store(db) as st:
        assert _files(st) == [f"trade_flows/{pid}.parquet"] and st.count("trade_flows") == 4


def test_a_store_opened_during_an_ingest_keeps_its_parts(tmp_path: Path) -> None:
    """DuckDB lets one process open the file twice: a store opened while another one's ingest
    is between writing a part and committing must not sweep that part as an orphan."""
    db = tmp_path / "s.duckdb"
    first = _baci(tmp_path / "in")
    second = _baci(
        tmp_path / "in", BACI.read_text().replace("2017,", "2018,"), "BACI_HS17_Y2018_V202201.csv"
    )
    seen: list[list[str]] = []
    with open_store(db) as st:

        def meanwhile(_: Path) -> None:
            if not seen:
                with open_store(db) as other:  # sweeps orphans on open
                    seen.append(_files(other))

        got = ingest_files(st, "baci", [first, second], progress=meanwhile)
        assert seen == [[f"trade_flows/{got[0].provenance_id}.parquet"]]
        assert st.count("trade_flows") == 8
        assert st.scalar("SELECT count(DISTINCT year) FROM trade_flows") == 2
    with open_store(db) as st:  # committed: both parts are live, nothing swept
        assert len(_files(st)) == 2 and st.count("trade_flows") == 8


def test_in_memory_store_uses_a_scratch_folder() -> None:
    st = open_store(":memory:")
    ingest_files(st, "baci", [BACI])
    root = st.parts_root
    assert st.count("trade_flows") == 4 and root.is_dir()
    st.close()
    assert not root.exists()


def test_rows_of_an_older_store_stay_visible(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    for mg in available():
        if mg.version < 10:
            con.execute(mg.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [mg.version, mg.name]
            )
    con.execute(
        "INSERT INTO trade_flows (source, reporter, partner, flow, year, classification, product_code, "
        "product_level, value_usd, value_basis, provenance_id) "
        "VALUES ('t', 'USA', 'CHN', 'import', 2017, 'HS', '85', 2, 5.0, 'customs_consumption', 1)"
    )
    con.close()
    with open_store(db) as st:
        assert st.scalar("SELECT sum(value_usd) FROM trade_flows") == 5.0
        ingest_files(st, "baci", [BACI])
        assert st.count("trade_flows") == 5


def test_padded_numbers_and_cut_last_line(store: Store, tmp_path: Path) -> None:
    padded = _baci(
        tmp_path / "p", BACI.read_text().replace(",12.5,", ",      12.5,").replace(",NA", ",   NA")
    )
    ingest_files(store, "baci", [padded])
    assert store.scalar("SELECT value_usd FROM trade_flows WHERE reporter = 'CHN'") == 12_500.0
    cut = _baci(tmp_path / "c", BACI.read_text().rstrip("\n").rsplit(",", 1)[0] + "\n")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(store, "baci", [cut])
    assert err.value.path == str(cut) and "Expected 6 columns, got 5" in str(err.value)
    assert store.count("trade_flows") == 4 and len(_files(store)) == 1


def test_cli_ingest_sql_and_export_over_parts(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from techties.cli.main import app

    runner, db, out = CliRunner(), str(tmp_path / "s.duckdb"), tmp_path / "flows.parquet"
    res = runner.invoke(app, ["ingest", "baci", str(BACI), "--store", db])
    assert res.exit_code == 0, res.output
    q = "SELECT reporter, value_usd FROM trade_flows WHERE partner = 'USA' ORDER BY value_usd"
    res = runner.invoke(app, ["sql", q, "--store", db, "--csv"])
    assert res.stdout.splitlines() == [
        "reporter,value_usd",
        "CHN,12500.0",
        "FRA,900125.0",
        "S19,5000000.0",
    ]
    res = runner.invoke(app, ["export", "trade_flows", "--parquet", str(out), "--store", db])
    assert res.exit_code == 0, res.output
    assert pq.read_table(out).num_rows == 4
