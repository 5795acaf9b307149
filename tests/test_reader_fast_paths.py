"""The readers' vectorised paths give what the simple paths give (issue 16).

- constant columns (:func:`_arrays.constant`, :func:`_arrays.same_list`) equal the Arrow arrays
  built from Python lists of ``n`` items;
- :func:`containers.to_number` on Arrow-backed text takes the whole-number fast path only where
  pandas' per-cell parse gives the same float64 bits, and still names the first bad cell;
- gravity's covariate MAP equals the one built from Python objects;
- on the real data folder: every text column that to_number converts in the Census files
  converts to the bits pandas gives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from techties.errors import SourceFormatError
from techties.sources._arrays import array_rows, constant, same_list, text_rows
from techties.sources.containers import _whole_numbers, read_frame, to_number
from techties.sources.gravity import _covariate_map


def _pandas_number(s: pd.Series, allow_missing: bool) -> np.ndarray | None:
    """The general path of to_number: the values, or None where it refuses a cell."""
    text = s.astype("string").str.strip()
    out = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    blank = (text.isna() | (text == "")).to_numpy()
    bad = ~np.isfinite(out) & ~(blank if allow_missing else np.zeros(len(out), dtype=bool))
    return None if bad.any() else out


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype == np.float64 and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize(
    ("value", "typ"),
    [("x", pa.string()), (None, pa.string()), (np.str_("y"), pa.string()), (2021, pa.int16()),
     (np.int64(3), pa.int8()), (None, pa.float64()), (2.5, pa.float64())],
)  # fmt: skip
@pytest.mark.parametrize("n", [0, 1, 7])
def test_constant_equals_a_list_of_n(value: object, typ: pa.DataType, n: int) -> None:
    got, want = constant(value, n, typ), pa.array([value] * n, typ)
    assert got.type == want.type and got.equals(want)


@pytest.mark.parametrize(("shape", "n"), [((44, 44, 90), 5), ((), 3), ((3,), 0), ((2, 3), 4)])
def test_same_list_equals_a_list_of_n(shape: tuple[int, ...], n: int) -> None:
    got, want = same_list(shape, n), pa.array([list(shape)] * n, pa.list_(pa.int32()))
    assert got.type == want.type and got.equals(want)


def test_array_and_text_rows_equal_rows_built_from_lists() -> None:
    values = np.arange(24, dtype=float).reshape(2, 3, 4)
    got = array_rows(Path("f"), "d", "x", values, unit="USD")
    n = values.size
    assert got["shape"].to_pylist() == [[2, 3, 4]] * n
    assert got["dataset"].to_pylist() == ["d"] * n and got["unit"].to_pylist() == ["USD"] * n
    assert got["value"].to_pylist() == values.ravel().tolist()
    labels = text_rows(Path("f"), "d", "countries", ["USA", "CHN"])
    assert labels["shape"].to_pylist() == [[2], [2]] and labels["text"].to_pylist() == [
        "USA",
        "CHN",
    ]


CELLS = ["1", " 2 ", "", None, "+3", "007", "-4", "-0", "-00", "0", "5.0", "1e3", "0x10", "1_0",
         "\u00a012", "12\t", "999999999999999", "1000000000000000", "-999999999999999", "nan",
         "inf", "-", "\u0661\u0662", "3 4", "12345678901234567890"]  # fmt: skip


def test_whole_numbers_give_the_bits_pandas_gives() -> None:
    rng = np.random.default_rng(16)
    fast = 0
    for _ in range(2000):
        cells = list(rng.choice(np.array(CELLS, dtype=object), int(rng.integers(0, 6))))
        cells += [str(x) for x in rng.integers(-(10**6), 10**6, int(rng.integers(0, 4)))]
        s = pd.Series(cells, dtype="string")
        for allow in (True, False):
            want = _pandas_number(s, allow)
            got = _whole_numbers(s, allow)
            if got is not None:
                fast += 1
                assert want is not None and _same_bits(got, want), cells
            try:
                full = to_number(s, Path("f.csv"), "v", allow_missing=allow)
            except SourceFormatError:
                assert want is None, cells
            else:
                assert want is not None and _same_bits(full, want), cells
    assert fast > 500  # the fast path was taken often enough to mean something


def test_whole_numbers_leave_other_columns_to_the_general_path() -> None:
    assert _whole_numbers(pd.Series(["1", "2"], dtype=object), True) is None  # not Arrow text
    assert _whole_numbers(pd.Series(["1", "2.5"], dtype="string"), True) is None
    assert _whole_numbers(pd.Series(["1", ""], dtype="string"), False) is None


def test_to_number_still_names_the_first_bad_cell() -> None:
    s = pd.Series(["10", "20", "x1", "30", "y"], dtype="string")
    with pytest.raises(SourceFormatError) as err:
        to_number(s, Path("f.csv"), "VAL", header_rows=1)
    assert err.value.row == 4 and err.value.column == "VAL"
    assert "'x1' is not a number (2 such cells" in err.value.message
    with pytest.raises(SourceFormatError) as err:
        to_number(pd.Series(["1", " "], dtype="string"), Path("f.csv"), "V", allow_missing=False)
    assert err.value.row == 3


def test_covariate_map_equals_the_object_built_map() -> None:
    rng = np.random.default_rng(3)
    values = rng.random((50, 3))
    values[rng.random((50, 3)) < 0.2] = np.nan
    names = ["DIST", "CNTG", "RTA"]
    flat = values.ravel()
    want = pa.MapArray.from_arrays(
        pa.array(np.arange(0, 151, 3, dtype="int32")),
        pa.array(np.tile(np.array(names, dtype=object), 50), type=pa.string()),
        pa.array(flat, mask=np.isnan(flat), type=pa.float64()),
    )
    got = _covariate_map(values, names)
    assert got.type == want.type and got.equals(want)


def test_real_census_numbers_convert_as_pandas_does(shared_data: Path) -> None:
    files = sorted(shared_data.glob("trade-flows/**/*.parquet"))[:40]
    if not files:
        pytest.skip("no Census Parquet files in the data folder")
    checked = 0
    for f in files:
        df = read_frame(f, dtype_str=True)
        for c in df.columns:
            if not str(c).endswith(("_YR", "_MO")):  # the value, duty and quantity columns
                continue
            want = _pandas_number(df[c], True)
            if want is None:
                continue
            assert _same_bits(to_number(df[c], f, str(c)), want), (f, c)
            checked += 1
    assert checked


def test_ruv_icio_workbooks_read_by_calamine_as_by_openpyxl(shared_data: Path) -> None:
    from techties.sources import get_source

    files = [
        f
        for n in ("io", "va_shares")
        for f in shared_data.glob(f"**/ruv-icio2021-14sec/{n}_allyears.xlsx")
    ]
    if not files:
        pytest.skip("the ICIO 2021 share workbooks are absent")
    for f in files:
        want = pd.read_excel(f, sheet_name=None, engine="openpyxl")
        got = pd.read_excel(f, sheet_name=None, engine="calamine")
        assert list(got) == list(want)
        for name, frame in want.items():
            pd.testing.assert_frame_equal(got[name], frame, check_exact=True)
        assert get_source("ruv_icio").read(f).num_rows > 0


def test_ruv_icio_refuses_a_broken_workbook(tmp_path: Path) -> None:
    from techties.sources import get_source

    bad = tmp_path / "io_allyears.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(SourceFormatError, match="cannot read the workbook"):
        get_source("ruv_icio").read(bad)


def test_ncses_rows_as_dicts_read_as_iterrows(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from techties.sources import get_source, ncses
    from techties.store.manifest import load_manifest

    files = [
        f for e in load_manifest(shared_data) if e.source == "ncses" for f in e.resolve(shared_data)
    ]
    if not files:
        pytest.skip("no NCSES tables in the data folder")
    src = get_source("ncses")
    fast = {f: src.read(f) for f in files}
    monkeypatch.setattr(ncses, "_records", lambda df: df.iterrows())
    assert fast
    for f, table in fast.items():
        assert table.equals(src.read(f)), f


def test_records_equal_pandas_records(shared_data: Path) -> None:
    from techties.sources.containers import records
    from techties.store.manifest import load_manifest

    def same(a: object, b: object) -> bool:
        return type(a) is type(b) and (a == b or (a != a and b != b))  # NaN is NaN

    frames = [pd.DataFrame({"a": ["x", None, " y"], "b": ["1", "2", None]}, dtype="str"),
              pd.DataFrame({"a": ["x", None]}, dtype="string"),  # NA, not NaN: pandas' path
              pd.DataFrame({"a": [1, 2], "b": ["x", None]})]  # fmt: skip
    for e in load_manifest(shared_data):
        if e.source in ("ofac_sdn", "mofcom_countermeasures"):
            header = None if e.source == "ofac_sdn" else 0
            frames += [read_frame(f, dtype_str=True, header=header) for f in e.resolve(shared_data)]
    assert len(frames) > 2
    for df in frames:
        got, want = records(df), df.to_dict(orient="records")
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert list(g) == list(w) and all(same(g[k], w[k]) for k in w)
