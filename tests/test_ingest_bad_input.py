"""Bad input for every trade-flow source: typed error naming file/row/column; store unchanged."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from techties.errors import SourceFormatError, UnknownCodeError
from techties.sources import get_source
from techties.store import Store
from techties.store.ingest import ingest_files

CENSUS = FIXTURES / "census" / "imports-hs10-2024.json"
COMTRADE = FIXTURES / "comtrade" / "TradeData_USA_China.csv"
BACI = FIXTURES / "baci" / "BACI_HS17_Y2017_V202201.csv"
DLM = FIXTURES / "gravity" / "sample_data_set.dlm"
USITC = FIXTURES / "usitc" / "us_taiwan_usitc.csv"


def _copy(src: Path, tmp: Path, edit: Callable[[str], str] | None = None) -> Path:
    """A copy of a fixture (BACI keeps its country code list beside it), optionally edited."""
    if src == BACI:
        shutil.copy(FIXTURES / "baci" / "country_codes_V202201.csv", tmp)
    out = tmp / src.name
    text = src.read_text("utf-8-sig" if src == USITC else "utf-8")
    out.write_text(edit(text) if edit else text, "utf-8")
    return out


def _census_cell(text: str, row: int, col: str, value: str) -> str:
    rows = json.loads(text)
    rows[row][rows[0].index(col)] = value
    return json.dumps(rows)


def _csv_cell(text: str, row: int, col: int, value: str) -> str:
    lines = text.splitlines()
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


# (source, fixture, edit, error type, row, column)
CASES = {
    "census missing column": (
        "census",
        CENSUS,
        lambda t: t.replace('"I_COMMODITY"', '"ITEM"'),
        SourceFormatError,
        None,
        "I_COMMODITY",
    ),
    "census non-numeric": (
        "census",
        CENSUS,
        lambda t: _census_cell(t, 3, "CAL_DUT_YR", "n/a"),
        SourceFormatError,
        4,
        "CAL_DUT_YR",
    ),
    "census unknown code": (
        "census",
        CENSUS,
        lambda t: _census_cell(t, 2, "CTY_CODE", "5701"),
        UnknownCodeError,
        3,
        "CTY_CODE",
    ),
    "census truncated": (
        "census",
        CENSUS,
        lambda t: t[: len(t) // 2],
        SourceFormatError,
        None,
        None,
    ),
    "comtrade missing column": (
        "comtrade",
        COMTRADE,
        lambda t: t.replace("primaryValue", "value", 1),
        SourceFormatError,
        None,
        "primaryValue",
    ),
    "comtrade non-numeric": (
        "comtrade",
        COMTRADE,
        lambda t: _csv_cell(t, 2, 43, '"12x"'),
        SourceFormatError,
        3,
        "primaryValue",
    ),
    "comtrade unknown code": (
        "comtrade",
        COMTRADE,
        lambda t: t.replace('"CHN"', '"C1N"', 1),
        UnknownCodeError,
        2,
        "partnerISO",
    ),
    "baci missing column": (
        "baci",
        BACI,
        lambda t: t.replace("t,i,j,k,v,q", "t,i,j,k,q", 1),
        SourceFormatError,
        1,
        "v",
    ),
    "baci non-numeric": (
        "baci",
        BACI,
        lambda t: _csv_cell(t, 3, 4, "9OO"),
        SourceFormatError,
        4,
        "v",
    ),
    "baci unknown code": (
        "baci",
        BACI,
        lambda t: _csv_cell(t, 2, 2, "999"),
        UnknownCodeError,
        3,
        "j",
    ),
    "baci truncated": (
        "baci",
        BACI,
        lambda t: t[: t.index("220421") + 4],
        SourceFormatError,
        None,
        None,
    ),
    "baci row missing its last field mid-file": (
        "baci",
        BACI,
        lambda t: (
            "\n".join(
                line.rsplit(",", 1)[0] if i == 3 else line for i, line in enumerate(t.splitlines())
            )
            + "\n"
        ),
        SourceFormatError,
        4,
        "q",
    ),
    "gravity missing column": (
        "gravity",
        DLM,
        lambda t: t.replace("trade,", "flow,", 1),
        SourceFormatError,
        None,
        "trade",
    ),
    "gravity non-numeric": (
        "gravity",
        DLM,
        lambda t: _csv_cell(t, 2, 3, "lots"),
        SourceFormatError,
        3,
        "trade",
    ),
    "usitc missing column": (
        "usitc_dataweb",
        USITC,
        lambda t: t.replace("HTS Number", "HTS"),
        SourceFormatError,
        None,
        "HTS Number",
    ),
    "usitc non-numeric": (
        "usitc_dataweb",
        USITC,
        lambda t: t.replace("106500.00", "1O6500"),
        SourceFormatError,
        2,
        "Customs Value",
    ),
}


def _counts(store: Store) -> tuple[int, int]:
    return store.count("trade_flows") + store.count("gravity"), store.count("provenance")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_fails_and_store_is_unchanged(case: str, tmp_path: Path, store: Store) -> None:
    source, fixture, edit, kind, row, column = CASES[case]
    good_dir, bad_dir = tmp_path / "good", tmp_path / "bad"
    good_dir.mkdir(), bad_dir.mkdir()
    ingest_files(store, source, [_copy(fixture, good_dir)])
    before = _counts(store)
    good_again = _copy(fixture, good_dir, lambda t: t + ("\n" if not t.endswith("]") else ""))
    bad = _copy(fixture, bad_dir, edit)
    with pytest.raises(kind) as err:  # good_again supersedes the first copy, then bad fails
        ingest_files(store, source, [good_again, bad], replace=True)
    assert err.value.path == str(bad)
    assert str(bad) in str(err.value)
    if row is not None:
        assert err.value.row == row
    if column is not None:
        assert err.value.column == column
    assert err.value.expected
    assert _counts(store) == before


def test_unknown_codes_are_counted(tmp_path: Path) -> None:
    p = _copy(
        BACI,
        tmp_path,
        lambda t: t.replace("2017,490,", "2017,491,").replace("2017,156,842", "2017,491,842"),
    )
    with pytest.raises(UnknownCodeError) as err:
        get_source("baci").read(p)
    assert err.value.counts == {"491": 2}


@pytest.mark.parametrize(
    ("source", "fixture"), [("usitc_dataweb", USITC), ("baci", BACI), ("comtrade", COMTRADE)]
)
def test_wrong_encoding(source: str, fixture: Path, tmp_path: Path, store: Store) -> None:
    p = _copy(fixture, tmp_path)
    p.write_bytes(
        p.read_bytes()
        .replace(b"2017,", "2017\xe9,".encode("latin-1"), 1)
        .replace(b"HORSES", "CHEVAUX \xc9".encode("latin-1"))
        .replace(b'"World"', '"Monde \xc9"'.encode("latin-1"))
    )
    assert b"\xc9" in p.read_bytes() or b"\xe9" in p.read_bytes()
    with pytest.raises(SourceFormatError) as err:
        ingest_files(store, source, [p])
    assert str(p) in str(err.value)
    assert _counts(store) == (0, 0)


@pytest.mark.parametrize("suffix", [".dta", ".rda", ".parquet"])
def test_truncated_container(suffix: str, tmp_path: Path) -> None:
    df = pd.read_csv(DLM)
    p = tmp_path / f"sample{suffix}"
    if suffix == ".dta":
        df.to_stata(p, write_index=False)
    elif suffix == ".parquet":
        df.to_parquet(p)
    else:
        import pyreadr

        pyreadr.write_rdata(str(p), df, df_name="sample", compress="gzip")
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    with pytest.raises(SourceFormatError, match=r"truncated|cannot read") as err:
        get_source("gravity").read(p)
    assert err.value.path == str(p)


# -- property tests: a malformed row is never silently accepted -------------------------------
NOT_A_NUMBER = st.text(
    alphabet=st.characters(blacklist_characters=',"\n\r\x00', blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
).filter(lambda s: s.strip() != "" and not _is_number(s) and s.strip() == s)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


FAST = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FAST
@given(value=NOT_A_NUMBER, row=st.integers(1, 4), col=st.sampled_from([0, 1, 2, 4]))
def test_baci_rejects_any_non_number(value: str, row: int, col: int, tmp_path: Path) -> None:
    # a fresh folder per example (hypothesis may run the same example twice in one tmp_path)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    p = _copy(BACI, folder, lambda t: _csv_cell(t, row, col, value))
    with pytest.raises(SourceFormatError) as err:
        get_source("baci").read(p)
    assert err.value.row == row + 1


@FAST
@given(
    value=NOT_A_NUMBER,
    row=st.integers(1, 5),
    col=st.sampled_from(["CON_VAL_YR", "CAL_DUT_YR", "CON_QY1_YR", "GEN_VAL_YR"]),
)
def test_census_rejects_any_non_number(value: str, row: int, col: str, tmp_path: Path) -> None:
    p = tmp_path / "c.json"
    p.write_text(_census_cell(CENSUS.read_text(), row, col, value))
    with pytest.raises(SourceFormatError) as err:
        get_source("census").read(p)
    assert (err.value.row, err.value.column) == (row + 1, col)


@FAST
@given(
    code=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=5),
    row=st.integers(1, 5),
)
def test_census_rejects_any_unknown_country(code: str, row: int, tmp_path: Path) -> None:
    from techties.sources.countries import CENSUS_TO_ISO3

    p = tmp_path / "c.json"
    p.write_text(_census_cell(CENSUS.read_text(), row, "CTY_CODE", code))
    if code in CENSUS_TO_ISO3:
        assert get_source("census").read(p).num_rows == 10
        return
    with pytest.raises(UnknownCodeError) as err:
        get_source("census").read(p)
    assert err.value.counts == {code: 1} and err.value.row == row + 1


@FAST
@given(value=NOT_A_NUMBER, row=st.integers(1, 3), col=st.sampled_from([2, 3, 4, 9]))
def test_gravity_rejects_any_non_number(value: str, row: int, col: int, tmp_path: Path) -> None:
    p = tmp_path / "g.dlm"
    p.write_text(_csv_cell(DLM.read_text(), row, col, value))
    with pytest.raises(SourceFormatError) as err:
        get_source("gravity").read(p)
    assert err.value.row == row + 1


@FAST
@given(value=NOT_A_NUMBER, row=st.integers(1, 2))  # row 3 has a quoted comma
def test_comtrade_rejects_any_non_number(value: str, row: int, tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text(_csv_cell(COMTRADE.read_text(), row, 43, value))
    with pytest.raises(SourceFormatError) as err:
        get_source("comtrade").read(p)
    assert (err.value.row, err.value.column) == (row + 1, "primaryValue")
