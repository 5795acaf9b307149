"""A BACI part's fast checks agree with the simple ones: key order, checks per distinct code.

CEPII sorts each year by (t, i, j, k); the part writer declares that order (Parquet metadata)
and :func:`techties.store.validate.key_increasing` checks it row by row. When it holds the
repeat check is skipped (no repeats are possible); otherwise the hash check runs as before.
These tests compare both paths on generated files: same errors (message, rows, key), same rows
stored, and the order proof never accepts a file that has a repeated key. Checks of a coded text
column (dictionary-encoded in the part) run once per distinct value: same errors as per row.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import shared
from techties.errors import DuplicateKeyError, InvalidValueError, SourceFormatError
from techties.sources import baci
from techties.sources.baci import Baci
from techties.sources.containers import name_columns
from techties.store import open_store
from techties.store.ingest import ingest_files
from techties.store.validate import (
    KEY_ORDER,
    _coded_text,
    key_increasing,
    validate_part,
    validate_table,
)

NAME = "BACI_HS17_Y2017_V202201.csv"
KEY = ["reporter", "partner", "year", "product_code"]
# 276 and 280 are both Germany, as in CEPII's list: one ISO3, two BACI codes
CODES = {4: "AFG", 8: "ALB", 12: "DZA", 156: "CHN", 251: "FRA", 276: "DEU", 280: "DEU",
         490: "S19", 842: "USA"}  # fmt: skip


def _write(folder: Path, rows: list[tuple[int, int, int]], codes: Path | None = None) -> Path:
    """A BACI CSV of (i, j, k) rows (t = 2017) and its country code list in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if codes is None:
        lines = ["country_code,country_name_abbreviation,iso_3digit_alpha"]
        lines += [f"{c},{iso},{iso}" for c, iso in CODES.items()]
        (folder / "country_codes_V202201.csv").write_text("\n".join(lines) + "\n")
    else:
        (folder / "country_codes_V202201.csv").write_bytes(codes.read_bytes())
    body = [f"2017,{i},{j},{k:06d},{(i * 7 + j * 3 + k) / 8},{'NA' if k % 7 else (i + k) / 4}"
            for i, j, k in rows]  # values follow the key, whatever the row order  # fmt: skip
    path = folder / NAME
    path.write_text("t,i,j,k,v,q\n" + "\n".join(body) + "\n")
    return path


def _cells(n: int, seed: int, codes: list[int]) -> list[tuple[int, int, int]]:
    """n distinct (i, j, k), sorted as CEPII sorts them."""
    rng = np.random.default_rng(seed)
    cube = [(i, j, k) for i in codes for j in codes for k in range(10_000, 10_000 + 50)]
    picked = rng.choice(len(cube), n, replace=False)
    return sorted(cube[p] for p in picked)


def _part(csv: Path, tmp: Path) -> tuple[Path, Path]:
    """(the part the writer makes, the same rows rewritten without the declared order)."""
    part, plain = tmp / "part.parquet", tmp / "plain.parquet"
    Baci().csv_plan(csv).write(part)
    pq.write_table(pq.read_table(part), plain)
    assert KEY_ORDER in (pq.read_metadata(part).metadata or {})
    assert KEY_ORDER not in (pq.read_metadata(plain).metadata or {})
    return part, plain


def _error(part: Path, csv: Path) -> Exception | None:
    plan = Baci().csv_plan(csv)
    with duckdb.connect() as con:
        try:
            validate_part(con, part, table="trade_flows", source="baci", path=str(csv),
                          constants=plan.constants, row_base=plan.row_base,
                          names=plan.source_columns)  # fmt: skip
        except Exception as err:  # compared whole below
            return err
    return None


def _check(part: Path, csv: Path) -> DuplicateKeyError | None:
    """The repeated-key error of :func:`_error` (any other error fails the test)."""
    err = _error(part, csv)
    assert err is None or isinstance(err, DuplicateKeyError), err
    return err


def _same_error(a: DuplicateKeyError | None, b: DuplicateKeyError | None) -> DuplicateKeyError:
    assert a is not None and b is not None
    assert str(a) == str(b)
    assert (a.count, a.key, a.rows, a.row) == (b.count, b.key, b.rows, b.row)
    return a


def _codes() -> list[int]:
    return [c for c in CODES if c != 280]


def test_the_writer_declares_the_order_cepii_sorts_by(tmp_path: Path) -> None:
    part, _ = _part(_write(tmp_path, _cells(300, 1, _codes())), tmp_path)
    order = json.loads(pq.read_metadata(part).metadata[KEY_ORDER])
    iso = ["AFG", "ALB", "DZA", "CHN", "FRA", "DEU", "S19", "USA"]  # by lowest BACI code
    assert order == {"columns": list(baci.SORTED_BY), "ranks": {"reporter": iso, "partner": iso}}
    assert baci.KEY_ORDER.encode() == KEY_ORDER
    assert key_increasing(part, KEY) is True
    assert key_increasing(part, KEY[:3]) is False  # not the key the store checks
    assert key_increasing(tmp_path / "plain.parquet", KEY) is False  # no order declared
    odd = tmp_path / "store [1]*" / "part.tmp"  # a part's path is not a glob pattern
    odd.parent.mkdir()
    odd.write_bytes(part.read_bytes())
    assert key_increasing(odd, KEY) is True


def test_sorted_file_stores_the_rows_a_shuffled_copy_stores(tmp_path: Path) -> None:
    rows = _cells(2_000, 2, _codes())
    shuffled = [rows[p] for p in np.random.default_rng(3).permutation(len(rows))]
    tables = []
    for name, cells, ordered in (("sorted", rows, True), ("shuffled", shuffled, False)):
        csv = _write(tmp_path / name, cells)
        part, plain = _part(csv, tmp_path / name)
        assert key_increasing(part, KEY) is ordered  # the shuffled copy takes the hash check
        assert _check(part, csv) is None and _check(plain, csv) is None
        with open_store(tmp_path / name / "store.duckdb") as st:
            assert ingest_files(st, "baci", [csv])[0].rows == len(rows)
            tables.append(st.con.execute(
                "SELECT * EXCLUDE (provenance_id) FROM trade_flows ORDER BY reporter, partner, "
                "product_code").fetchall())  # fmt: skip
    assert tables[0] == tables[1] and len(tables[0]) == len(rows)


@pytest.mark.parametrize("where", ["adjacent", "apart"])
def test_repeated_key_gives_the_hash_checks_error(where: str, tmp_path: Path) -> None:
    rows = _cells(1_000, 4, _codes())
    if where == "adjacent":  # still sorted: (… a, a …) is not strictly increasing
        rows.insert(501, rows[500])
    else:
        rows.insert(20, rows[900])
    csv = _write(tmp_path, rows)
    part, plain = _part(csv, tmp_path)
    assert key_increasing(part, KEY) is False
    err = _same_error(_check(part, csv), _check(plain, csv))
    first = 502 if where == "adjacent" else 22  # file lines of the first repeated key
    assert err.count == 1 and err.rows[0] == first and "1 repeated row(s)" in str(err)
    with open_store(tmp_path / "store.duckdb") as st, pytest.raises(DuplicateKeyError) as got:
        ingest_files(st, "baci", [csv])
    assert got.value.rows == err.rows and got.value.key == err.key


def test_two_codes_of_one_country_never_pass_as_ordered(tmp_path: Path) -> None:
    # sorted by BACI code, no (i, j, k) repeats, but 276 and 280 are both DEU: rows repeat
    rows = sorted([(276, 842, 10_001), (276, 842, 10_002), (280, 842, 10_001), (490, 842, 10_001)])
    csv = _write(tmp_path, rows)
    part, plain = _part(csv, tmp_path)
    assert key_increasing(part, KEY) is False
    err = _same_error(_check(part, csv), _check(plain, csv))
    assert err.key["reporter"] == "DEU" and err.rows == [2, 4]


def test_second_code_of_a_country_alone_still_orders(tmp_path: Path) -> None:
    # a file using only 280 for DEU: ranks go by the lowest code (276), so 280 sorts as 276
    csv = _write(tmp_path, sorted([(251, 842, 10_001), (280, 842, 10_001), (490, 4, 10_001)]))
    part, _ = _part(csv, tmp_path)
    assert key_increasing(part, KEY) is True and _check(part, csv) is None


def test_value_outside_the_ranks_or_null_falls_back(tmp_path: Path) -> None:
    csv = _write(tmp_path, _cells(50, 5, _codes()))
    part, _ = _part(csv, tmp_path)
    meta = dict(pq.read_metadata(part).metadata)
    order = json.loads(meta[KEY_ORDER])
    table = pq.read_table(part)
    for name, ranks in (("short", {"reporter": ["AFG"], "partner": ["AFG"]}), ("none", {})):
        other = tmp_path / f"{name}.parquet"
        meta[KEY_ORDER] = json.dumps({**order, "ranks": ranks}).encode()
        pq.write_table(table.replace_schema_metadata(meta), other)
        # without ranks ISO3 compare as text: DZA before CHN is not increasing
        assert key_increasing(other, KEY) is False
    nulls = tmp_path / "nulls.parquet"
    column = table.column("year").to_pylist()
    column[10] = None  # a NULL in the first key column leaves rows 10-11 undecided
    year = pa.array(column, pa.int16())
    pq.write_table(table.set_column(2, "year", year).replace_schema_metadata(
        {KEY_ORDER: json.dumps(order).encode()}), nulls)  # fmt: skip
    assert key_increasing(nulls, KEY) is False
    meta[KEY_ORDER] = json.dumps(order).encode()
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "same.parquet")
    assert key_increasing(tmp_path / "same.parquet", KEY) is True


def test_real_country_list_sorted_file(tmp_path: Path) -> None:
    """CEPII's own code list (four ISO3 with two codes each): a file sorted by code over the
    codes in use orders by the declared ranks when it uses one code per country."""
    codes = shared("trade-concordances", "onecampaign", "country_codes.csv")
    table = baci.country_table(codes)
    lowest = sorted({min(int(c) for c, v in table.items() if v == iso) for iso in table.values()})
    rows = _cells(3_000, 6, lowest[:40] + lowest[-40:])
    csv = _write(tmp_path, rows, codes)
    part, plain = _part(csv, tmp_path)
    assert key_increasing(part, KEY) is True
    assert _check(part, csv) is None and _check(plain, csv) is None
    dup = _write(tmp_path / "d", [*rows[:100], (56, 4, 10_000), (58, 4, 10_000)], codes)
    part, plain = _part(dup, tmp_path / "d")  # 56 and 58 are both BEL
    assert key_increasing(part, KEY) is False
    assert _same_error(_check(part, dup), _check(plain, dup)).key["reporter"] == "BEL"


@pytest.mark.parametrize("bad", ["12a456", "1234567", None])
def test_code_checks_per_distinct_value_give_the_row_checks_error(
    bad: str | None, tmp_path: Path
) -> None:
    """Product code checks run once per distinct code of a dictionary column; the same part
    without dictionaries runs them on every row: same error, same count and first row."""
    csv = _write(tmp_path, _cells(3_000, 7, _codes()))
    part, _ = _part(csv, tmp_path)
    table = pq.read_table(part)
    codes = table.column("product_code").to_pylist()
    for at in (40, 41, 2_500):
        codes[at] = bad
    table = table.set_column(3, "product_code", pa.array(codes, pa.large_string()))
    coded, plain = tmp_path / "coded.parquet", tmp_path / "plain.parquet"
    pq.write_table(table, coded)
    pq.write_table(table, plain, use_dictionary=False)
    with duckdb.connect() as con:
        assert _coded_text(con, coded, table.schema) == {"reporter", "partner", "product_code"}
        assert _coded_text(con, plain, table.schema) == set()
    a, b = _error(coded, csv), _error(plain, csv)
    assert type(a) is type(b) is InvalidValueError
    assert str(a) == str(b) and "3 rows" in str(a) and "row 42" in str(a)
    got = (a.count, a.row, a.value, a.check)  # type: ignore[union-attr]
    assert got == (b.count, b.row, b.value, b.check) and got[:2] == (3, 42)  # type: ignore[union-attr]
    value = got[2]["product_code"] if isinstance(got[2], dict) else got[2]
    assert value == bad
    assert _error(part, csv) is None  # the part as written passes either way


def _as_table(part: Path, constants: dict[str, str]) -> pa.Table:
    """The part's rows with its constants as columns and file rows: what validate_table checks
    row by row."""
    with duckdb.connect() as con:
        con.execute(
            f"CREATE VIEW rows AS SELECT * FROM read_parquet('{part}', file_row_number = true)"
        )
        cols = ", ".join(f"{v} AS {k}" for k, v in constants.items())
        sql = f"SELECT *, {cols}, file_row_number + 2 AS _row FROM rows ORDER BY file_row_number"
        table = con.sql(sql).to_arrow_table()
    for name, typ in (("month", pa.int8()), ("duties_usd", pa.float64())):
        table = table.set_column(table.schema.get_field_index(name), name,
                                 table.column(name).cast(typ))  # fmt: skip
    return name_columns(table.drop_columns(["file_row_number"]), baci.FILE_COLUMNS)


@pytest.mark.parametrize(
    ("constant", "value", "what"),
    [("month", "13", "month above 12"), ("flow", "'exports'", "'exports'"),
     ("product_level", "7", "level_is_code_length"), ("quantity_unit", "NULL", "has_unit")],
)  # fmt: skip
def test_checks_of_constants_give_the_row_checks_error(
    constant: str, value: str, what: str, tmp_path: Path
) -> None:
    """Checks that read only the part's constants run on one row; the same rows as a table,
    constants as columns, are checked on every row: same error."""
    csv = _write(tmp_path, _cells(500, 8, _codes()))
    part, _ = _part(csv, tmp_path)
    plan = Baci().csv_plan(csv)
    constants = {**plan.constants, constant: value}
    with duckdb.connect() as con:
        with pytest.raises(SourceFormatError) as by_part:
            validate_part(con, part, table="trade_flows", source="baci", path=str(csv),
                          constants=constants, row_base=plan.row_base,
                          names=plan.source_columns)  # fmt: skip
        with pytest.raises(SourceFormatError) as by_row:
            validate_table(con, _as_table(part, constants), table="trade_flows",
                           source="baci", path=str(csv))  # fmt: skip
    assert type(by_part.value) is type(by_row.value)
    assert str(by_part.value) == str(by_row.value)
    assert what in str(by_part.value)
