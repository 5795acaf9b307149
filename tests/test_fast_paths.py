"""The ingest's fast paths give what the simple paths give, row for row.

- ``per_unique`` (a function of each value computed once per distinct value) against the
  function applied to every row;
- ``map_codes`` against a plain ``Series.map`` of the stripped codes;
- the cross-file repeat check (hash pre-check, then the key join on the source's own ingests)
  against the full key join over the whole table it replaced, on generated flows with NULL
  keys, same-valued and revised repeats, and files of other sources.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import FIXTURES
from techties.errors import UnknownCodeError
from techties.sources import get_source
from techties.sources._flows import flows_table
from techties.sources.containers import map_codes, per_unique
from techties.store import Store, open_store
from techties.store.ingest import ingest_files
from techties.store.repeats import Repeat, find
from techties.store.schemas import SCHEMAS

RNG = np.random.default_rng(16)
ORDER = "year, partner, product_code, value_basis"


def _text(n: int) -> pd.Series:
    pool = [" 2024-12", "2024-11 ", "2023-01-15", "bad", None, "2022-07 00:00", "HS10", " hs6"]
    picks = RNG.integers(0, len(pool), n)
    return pd.Series([pool[i] for i in picks], dtype="string", index=np.arange(n) * 3 + 7)


def test_per_unique_equals_the_function_on_every_row() -> None:
    s = _text(5_000)

    def month(u: pd.Series) -> pd.DataFrame:
        return (
            u.astype("string").str.strip().str.extract(r"^(\d{4})-(\d{2})(?:-\d{2})?(?:[ T].*)?$")
        )

    pd.testing.assert_frame_equal(per_unique(s, month), month(s))
    level = per_unique(s, lambda u: u.str.strip().str.upper().str.extract(r"^HS(\d+)$")[0])
    pd.testing.assert_series_equal(level, s.str.strip().str.upper().str.extract(r"^HS(\d+)$")[0])
    nums = pd.Series(RNG.integers(0, 50, 2_000).astype(float))
    nums[::7] = np.nan
    pd.testing.assert_series_equal(per_unique(nums, lambda u: u * 2 + 1), nums * 2 + 1)


def test_map_codes_equals_a_plain_map() -> None:
    mapping = {"0003": "EUN", "5700": "CHN", "1220": "CAN"}
    codes = pd.Series(
        [list(mapping)[i] + (" " if i == 1 else "") for i in RNG.integers(0, 3, 3_000)],
        dtype="string",
        name="CTY_CODE",
    )
    codes[::11] = pd.NA  # missing codes stay missing, as in the plain map
    got = map_codes(codes, mapping, Path("x.json"), "CTY_CODE")
    pd.testing.assert_series_equal(got, codes.str.strip().map(mapping).astype("string"))
    assert pd.isna(got.iloc[0]) and got.iloc[1] == mapping[codes.iloc[1].strip()]

    bad = codes.copy()
    bad.iloc[[5, 9, 400]] = ["9999", "9999", "ZZ"]
    with pytest.raises(UnknownCodeError) as err:
        map_codes(bad, mapping, Path("x.json"), "CTY_CODE", header_rows=0)
    assert err.value.counts == {"9999": 2, "ZZ": 1} and err.value.row == 6


def _flows(rows: pd.DataFrame) -> object:
    n = len(rows)
    return flows_table(
        n, source="census", reporter="USA", partner=rows["partner"].to_numpy(object),
        flow="import", year=rows["year"].to_numpy(), month=rows["month"].to_numpy(float),
        classification="HS", vintage="HS2017", product_code=rows["code"].to_numpy(object),
        product_level=6, value_usd=rows["value"].to_numpy(float), quantity=None,
        quantity_unit=None, duties_usd=None, value_basis="customs_consumption",
    )  # fmt: skip


def _generated(n: int) -> pd.DataFrame:
    keys = pd.MultiIndex.from_product(
        [["CHN", "VNM", "MEX"], [2017, 2018], [np.nan, 1.0, 2.0], [f"{i:06d}" for i in range(n)]],
        names=["partner", "year", "month", "code"],
    ).to_frame(index=False)
    keys["value"] = RNG.uniform(1, 1e6, len(keys)).round(0)
    return keys


def _reference(con: object, table: str, source: str, pid: int) -> list[Repeat]:
    """The full key join over the whole table (the check before the fast path)."""
    schema = SCHEMAS[table]
    key = [*schema.key, *schema.file_key]
    values = [c for c in schema.columns if c not in key]
    on = " AND ".join(f'n."{k}" IS NOT DISTINCT FROM o."{k}"' for k in key)
    same = " AND ".join(f'n."{c}" IS NOT DISTINCT FROM o."{c}"' for c in values)
    rows = con.execute(  # type: ignore[attr-defined]
        f'WITH n AS (SELECT * FROM "{table}" WHERE provenance_id = ?) '
        f"SELECT o.provenance_id, any_value(p.location), count(*), count(*) FILTER (WHERE NOT "
        f'({same})) FROM n JOIN "{table}" o ON {on} JOIN provenance p ON p.id = o.provenance_id '
        f'WHERE p.source = ? AND o.provenance_id <> ? AND o."year" IN (SELECT DISTINCT "year" '
        f"FROM n) GROUP BY 1 ORDER BY 1",
        [pid, source, pid],
    ).fetchall()
    return [Repeat(int(e), str(loc), int(n), int(d)) for e, loc, n, d in rows]


def test_repeat_check_equals_the_full_key_join(store: Store) -> None:
    base = _generated(40)  # 3 · 2 · 3 · 40 = 720 rows, a third with a NULL month
    revised = base.sample(frac=0.3, random_state=1).copy()
    revised.loc[revised.index[::4], "value"] += 1  # some repeats carry other values
    fresh = base.copy()
    fresh["code"] = fresh["code"].str.replace("0", "9", n=1)  # no key in common
    unseen = base.assign(code=base["code"].str.replace("0", "7", n=1))
    files = {
        "a.json": ("census", base),
        "b.json": ("census_b", pd.concat([revised, fresh.head(50)])),  # repeats part of a
        "c.json": ("census_c", fresh),  # repeats nothing of a
        "d.json": ("other", base),  # another source: never a repeat of a
        "e.json": ("census_e", base[base["year"] == 2018]),  # one year only
        "f.json": ("census_f", unseen),  # no key of any other file
    }
    pids = {}
    with store.transaction():
        for i, (name, (source, rows)) in enumerate(files.items()):
            pids[name] = store.write(
                source=source, table="trade_flows", data=_flows(rows), location=name,
                sha256=f"{i:064d}", nbytes=1,
            ).provenance_id  # fmt: skip
        # every census file as one source (written under other names: no check ran yet)
        store.con.execute("UPDATE provenance SET source = 'census' WHERE source LIKE 'census%'")
    for name in ("a.json", "b.json", "c.json", "e.json", "f.json"):
        got = find(store.con, "trade_flows", "census", pids[name])
        assert got == _reference(store.con, "trade_flows", "census", pids[name]), name
    b = find(store.con, "trade_flows", "census", pids["b.json"])
    assert [(r.location, r.rows, r.differ) for r in b] == [
        ("a.json", len(revised), len(revised.index[::4])),
        ("c.json", 50, 0),
        ("e.json", int((revised["year"] == 2018).sum()),
         int((revised.loc[revised.index[::4], "year"] == 2018).sum())),
    ]  # fmt: skip
    assert [r.location for r in find(store.con, "trade_flows", "census", pids["c.json"])] == [
        "b.json"
    ]
    assert find(store.con, "trade_flows", "census", pids["f.json"]) == []  # hash pre-check


CENSUS = FIXTURES / "census" / "imports-hs10-2024.json"


def _census_files(folder: Path) -> list[Path]:
    """Three Census files of other years (the fixture with its year replaced)."""
    out = []
    for year in (2021, 2022, 2023):
        f = folder / f"imports-hs10-{year}.json"
        f.write_text(CENSUS.read_text().replace('"2024-12"', f'"{year}-12"'))
        out.append(f)
    return out


def test_read_ahead_gives_the_rows_of_one_file_at_a_time(tmp_path: Path, store: Store) -> None:
    files = _census_files(tmp_path)
    with open_store(tmp_path / "plain.duckdb") as plain:
        for f in files:  # one call per file: nothing is read ahead
            ingest_files(plain, "census", [f])
        want = plain.df(f"SELECT * EXCLUDE (provenance_id) FROM trade_flows ORDER BY {ORDER}")
    got = ingest_files(store, "census", files)
    assert [r.rows for r in got] == [10, 10, 10]
    have = store.df(f"SELECT * EXCLUDE (provenance_id) FROM trade_flows ORDER BY {ORDER}")
    pd.testing.assert_frame_equal(have, want)


def test_read_ahead_keeps_skips_and_errors_in_file_order(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = _census_files(tmp_path)
    copy = tmp_path / "copy-of-2021.json"
    copy.write_bytes(a.read_bytes())
    read: list[str] = []
    census = type(get_source("census"))
    original = census.read

    def spy(self: object, p: Path) -> object:
        read.append(p.name)
        return original(self, p)

    monkeypatch.setattr(census, "read", spy)
    got = ingest_files(store, "census", [a, copy, b])
    assert [(r.rows, r.skipped) for r in got] == [(10, False), (0, True), (10, False)]
    assert got[1].provenance_id == got[0].provenance_id  # the copy is the file just written
    read.clear()
    again = ingest_files(store, "census", [a, copy, b])
    assert all(r.skipped for r in again) and read == []  # files already stored: never parsed

    c.write_text(c.read_text().replace('"5700","CHINA"', '"5700X","CHINA"'))
    d = tmp_path / "imports-hs10-2020.json"
    d.write_text(CENSUS.read_text().replace('"2024-12"', '"2020-12"'))
    before = store.count("trade_flows")
    with pytest.raises(UnknownCodeError, match="5700X") as err:  # c is read while d is written
        ingest_files(store, "census", [d, c])
    assert err.value.path == str(c) and err.value.row == 2
    assert store.count("trade_flows") == before  # d rolled back with the failed call


def test_arrow_text_columns_equal_the_object_path() -> None:
    from techties.sources._flows import _column

    s = pd.Series(
        ["CHN", None, " VNM", "MEX", ""] * 100, dtype="string[pyarrow]", index=range(7, 507)
    )
    slow = pa.array(np.asarray(s.astype(object).where(s.notna(), None)), type=pa.string())
    fast = _column(s, len(s), pa.string())
    assert fast.equals(slow) and fast.null_count == 100 and fast[2].as_py() == " VNM"
    py = s.astype("string[python]")  # other text storage still takes the object path
    assert _column(py, len(py), pa.string()).equals(slow)
