"""Reading file containers (CSV, Parquet, JSON, Stata, R, Excel) into pandas, and validation.

Container reading is kept apart from each source's column mapping: a source asks for a
DataFrame of strings or numbers and then maps and validates columns with the helpers below, which
raise :class:`SourceFormatError` naming file, row and column.

The container is recognised from the file's first bytes where possible, not only its extension
(the Advanced Guide ships an ``.xls`` that is really xlsx; gegravity's ``.dlm`` is a CSV).
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError, UnknownCodeError

_MAGIC = {
    b"PAR1": "parquet",
    b"PK\x03\x04": "zip",  # xlsx or zip
    b"\xd0\xcf\x11\xe0": "xls",
    b"RDX": "rdata",
    b"\x1f\x8b": "gzip",  # .rds is usually gzip
    b"BZh": "bzip2",
    b"\xfd7zXZ": "xz",
}


def sniff(path: Path) -> str:
    """Guess the container: parquet, xlsx, xls, stata, r, json, csv."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise SourceFormatError(path, f"cannot open file: {exc.strerror}") from exc
    if not head:
        raise SourceFormatError(path, "file is empty", expected="a data file")
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            if kind == "zip":
                return "xlsx" if _is_xlsx(path) else "zip"
            if kind in {"gzip", "bzip2", "xz", "rdata"}:
                return "r"
            return kind
    suffix = path.suffix.lower()
    if suffix == ".dta" or head.startswith(b"<stata_dta>"):
        return "stata"
    if head.lstrip()[:1] in {b"{", b"["}:
        return "json"
    return "csv"


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "[Content_Types].xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


def read_frame(
    path: Path, *, dtype_str: bool = False, sheet: str | int = 0, **csv_kw: object
) -> pd.DataFrame:
    """Read any supported container into a DataFrame (strings if ``dtype_str``)."""
    kind = sniff(path)
    try:
        if kind == "parquet":
            refuse_duplicate_names(path, _parquet_names(path), row=None)
            df = pd.read_parquet(path)
        elif kind == "stata":
            df = pd.read_stata(path, convert_categoricals=False)
        elif kind == "r":
            df = _read_r(path)
        elif kind in {"xlsx", "xls"}:
            df = pd.read_excel(
                path, sheet_name=sheet, engine="calamine", dtype=str if dtype_str else None
            )
            if _may_repeat_names(df.columns):  # pandas renamed a repeat: find it as written
                head = pd.read_excel(
                    path, sheet_name=sheet, engine="calamine", header=None, nrows=1
                )
                refuse_duplicate_names(path, head.iloc[0] if len(head) else [], row=1)
        elif kind == "json":
            df = _read_json(path)
        elif kind == "csv":
            df = _read_csv(path, dtype_str=dtype_str, **csv_kw)
        else:
            raise SourceFormatError(
                path,
                f"unsupported container {kind!r}",
                expected="CSV, Parquet, JSON, Stata, R or Excel",
            )
    except SourceFormatError:
        raise
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            path,
            f"text is not valid UTF-8 (byte {exc.start})",
            expected="UTF-8 text",
            hint="Re-save the file as UTF-8.",
        ) from exc
    except Exception as exc:  # container libraries raise many types for truncated files
        raise SourceFormatError(
            path,
            f"cannot read as {kind}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            expected=f"a complete {kind} file",
            hint="The file may be truncated or have the wrong extension; download it again.",
        ) from exc
    if kind not in {"csv", "xlsx", "xls"}:  # those two are checked on their raw header line
        refuse_duplicate_names(path, df.columns, row=1 if kind == "json" else None)
    if dtype_str and kind not in {"csv", "xlsx", "xls"}:
        df = df.astype({c: "string" for c in df.columns if df[c].dtype == object})
    return df


def _read_csv(path: Path, *, dtype_str: bool, **kw: object) -> pd.DataFrame:
    with open(path, "rb") as fh:
        raw = fh.read(1 << 16)
    if raw.startswith(b"\xef\xbb\xbf"):
        kw.setdefault("encoding", "utf-8-sig")
    else:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(raw) - 4:  # not just a cut multibyte char at the buffer end
                raise
    kw.setdefault("encoding", "utf-8")
    header = kw.get("header", 0)
    if isinstance(header, int):  # pandas renames a repeated name ("v" -> "v.1"): check the line
        refuse_duplicate_names(path, _csv_header(path, kw, header), row=header + 1)
    return pd.read_csv(path, dtype=str if dtype_str else None, keep_default_na=not dtype_str, **kw)  # type: ignore[call-overload]


def _may_repeat_names(columns: Iterable[object]) -> bool:
    """False when the header pandas read cannot have held a repeated name.

    pandas renames a repeated header ``x`` to ``x.1``, ``x.2`` …, and :func:`refuse_duplicate_names`
    compares names stripped of spaces; so a header with a repeat gives two names equal once
    stripped, or a name ``<another name>.<n>``. Only then is the raw header line read again
    (parsing a large sheet twice to look at its first line cost ~0.3 s a file)."""
    names = [str(c).strip() for c in columns]
    seen = set(names)
    if len(seen) < len(names):
        return True
    return any(
        base.strip() in seen for base, _, n in (x.rpartition(".") for x in names) if n.isdigit()
    )


def _csv_header(path: Path, kw: dict[str, object], header: int) -> list[str]:
    """The raw names on header line ``header`` (0-based) of a CSV, as written."""
    sep = kw.get("sep") or kw.get("delimiter") or ","
    with open(path, encoding=str(kw["encoding"]), errors="replace", newline="") as fh:
        for i, fields in enumerate(csv.reader(fh, delimiter=str(sep))):
            if i == header:
                return fields
    return []


def refuse_duplicate_header(path: Path, *, encoding: str = "utf-8", sep: str = ",") -> None:
    """:func:`refuse_duplicate_names` on the first line of a CSV read by other means."""
    names = _csv_header(path, {"encoding": encoding, "sep": sep}, 0)
    refuse_duplicate_names(path, names, row=1)


def _parquet_names(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def refuse_duplicate_names(path: Path, names: Iterable[object], *, row: int | None) -> None:
    """Raise if a column name appears twice (blank names are ignored): a reader would silently
    use one of the two columns, or fail on a two-column selection."""
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            continue
        name = str(raw).strip()
        if not name:
            continue
        if name in seen:
            raise SourceFormatError(
                path,
                f"column name {name!r} appears twice (columns {seen[name]} and {i})",
                row=row,
                column=name,
                expected="unique column names in the header",
                hint="Rename or remove one of the two columns; techties does not guess which "
                "one holds the data.",
            )
        seen[name] = i


def _read_r(path: Path) -> pd.DataFrame:
    import pyreadr

    result = pyreadr.read_r(str(path))
    frames = [v for v in result.values() if isinstance(v, pd.DataFrame)]
    if len(frames) != 1:
        raise SourceFormatError(
            path, f"R file holds {len(frames)} data frames", expected="exactly one"
        )
    return frames[0]


def _read_json(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8") as fh:
        payload = json.load(fh, object_pairs_hook=unique_keys(path))
    if isinstance(payload, dict):
        for key in ("data", "results", "records"):
            if isinstance(payload.get(key), list):
                payload = payload[key]
                break
    if isinstance(payload, list) and payload and isinstance(payload[0], list):
        # Census API style: first row is the header
        refuse_duplicate_names(path, payload[0], row=1)
        return pd.DataFrame(payload[1:], columns=payload[0])
    if isinstance(payload, list):
        return pd.DataFrame.from_records(payload)
    raise SourceFormatError(path, "JSON is neither a list of records nor a header+rows array")


def unique_keys(path: Path) -> Callable[[list[tuple[str, object]]], dict[str, object]]:
    """A ``json.load`` hook refusing an object that repeats a key (JSON keeps the last one)."""

    def hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in pairs:
            if key in out:
                raise SourceFormatError(
                    path,
                    f"key {key!r} appears twice in one JSON object",
                    column=key,
                    expected="each key once per object",
                    hint="Remove one of the two keys; techties does not guess which one holds "
                    "the data.",
                )
            out[key] = value
        return out

    return hook


# -- validation helpers ---------------------------------------------------------------------
#: Arrow schema metadata a reader may set: JSON {canonical column: the file's column}, so the
#: store's checks (techties.store.validate) name the column as the file does
COLUMNS_KEY = b"techties.columns"


def name_columns(table: pa.Table, names: Mapping[str, str]) -> pa.Table:
    """``table`` with the file's name of its canonical columns recorded (see COLUMNS_KEY)."""
    meta = dict(table.schema.metadata or {})
    meta[COLUMNS_KEY] = json.dumps(dict(names)).encode()
    return table.replace_schema_metadata(meta)


def records(df: pd.DataFrame) -> list[dict[Any, Any]]:
    """``df.to_dict(orient="records")``: for a frame of ``str`` columns (``dtype_str``) built from
    the cells of ``df.to_numpy(dtype=object)`` (the same str and NaN objects) instead of pandas
    boxing every cell (~4x faster on OFAC's 15,000 rows); other frames ask pandas."""
    if not all(isinstance(t, pd.StringDtype) and t.na_value is np.nan for t in df.dtypes):
        return df.to_dict(orient="records")
    columns = list(df.columns)
    return [dict(zip(columns, row, strict=True)) for row in df.to_numpy(dtype=object)]


def require_columns(
    df: pd.DataFrame, columns: Iterable[str], path: Path, *, what: str = ""
) -> None:
    """Raise if any of ``columns`` is missing, listing what the file does have."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns[:20]))
        raise SourceFormatError(
            path,
            f"missing column {missing[0]!r}"
            + (f" ({len(missing)} missing)" if len(missing) > 1 else ""),
            column=missing[0],
            expected=f"the {what or 'official'} layout with columns {list(columns)}; found {have}",
        )


FileRows = int | np.ndarray
"""Where data rows sit in their file: the number of lines before the first data row (data row
i is then on line i + 1 + n), or each data row's 1-based file line (readers that skip blank
lines)."""


def file_row(i: int, header_rows: FileRows) -> int:
    """The 1-based file line of data row ``i`` (0-based position)."""
    if isinstance(header_rows, np.ndarray):
        return int(header_rows[i])
    return i + 1 + header_rows


def file_rows(n: int, header_rows: FileRows) -> np.ndarray:
    """The 1-based file lines of data rows ``0 … n-1``."""
    if isinstance(header_rows, np.ndarray):
        return header_rows[:n].astype(np.int64)
    return np.arange(n, dtype=np.int64) + 1 + header_rows


def to_number(
    s: pd.Series,
    path: Path,
    column: str,
    *,
    header_rows: FileRows = 1,
    allow_missing: bool = True,
    row_offset: pd.Index | None = None,
) -> np.ndarray:
    """Convert a column to float64; the first non-numeric cell is reported by file row.

    Empty cells become NaN when ``allow_missing``; thousands separators are not accepted. Text
    that parses to no finite number (``NaN``, ``inf``, ``1e400``) is refused like any other
    non-number; in a numeric column NaN is the container's missing value and ±inf is refused.
    ``header_rows`` converts positional index to 1-based file line numbers (CSV with one header
    line: data row i is on line i + 2).
    """
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        out = s.to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isinf(out) | (np.isnan(out) if not allow_missing else False)
    elif (fast := _whole_numbers(s, allow_missing)) is not None:
        return fast
    else:
        text = s.astype("string").str.strip()
        out = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        blank = text.isna() | (text == "")
        bad = ~np.isfinite(out) & ~(
            blank.to_numpy() if allow_missing else np.zeros(len(out), dtype=bool)
        )
    if bad.any():
        i = int(np.argmax(bad))
        n = int(np.count_nonzero(bad))
        raise SourceFormatError(
            path,
            f"value {s.iloc[i]!r} is not a number"
            + (f" ({n:,} such cells in the column)" if n > 1 else ""),
            row=file_row(i, header_rows),
            column=column,
            expected="a finite number" + ("" if allow_missing else " (no blanks)"),
        )
    return out


#: a cell :func:`_whole_numbers` converts: at most 15 digits, with a minus if not zero (so exactly a
#: float64, whatever the parser), nothing else: no sign "+", point, exponent, hex or separator
_WHOLE = r"^(?:[0-9]{1,15}|-[1-9][0-9]{0,14})$"


def _whole_numbers(s: pd.Series, allow_missing: bool) -> np.ndarray | None:
    """:func:`to_number` of an Arrow-backed text column whose every cell (ASCII spaces
    stripped) is a whole number of at most 15 digits or, if ``allow_missing``, blank; else None
    (the general path then converts it and names the first bad cell).

    Vectorised in Arrow (one regex test, one integer cast) instead of pandas' per-cell parse;
    the same float64 values: such a number is exact in float64 for any parser."""
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        return None
    import pyarrow.compute as pc

    text = pc.ascii_trim_whitespace(pa.chunked_array(pa.array(s.array)).combine_chunks())
    blank = pc.or_kleene(pc.is_null(text), pc.equal(text, ""))
    if pc.any(blank).as_py():
        if not allow_missing:
            return None
        text = pc.if_else(blank, pa.scalar(None, text.type), text)
    if not pc.all(pc.match_substring_regex(text, _WHOLE)).as_py():  # nulls are skipped
        return None
    return np.asarray(pc.cast(text, pa.int64()).cast(pa.float64()).to_numpy(zero_copy_only=False))


def to_year(
    s: pd.Series,
    path: Path,
    column: str,
    *,
    first: int,
    last: int,
    expected: str,
    header_rows: FileRows = 1,
) -> np.ndarray:
    """Convert a year column (no blanks) to float64; whole numbers ``first``–``last`` only.

    A non-number is reported as by :func:`to_number`; the first year out of range or not whole
    raises ``"year <cell>!r is out of range"`` naming its file row.
    """
    years = to_number(s, path, column, header_rows=header_rows, allow_missing=False)
    bad = (years < first) | (years > last) | (years != np.round(years))
    if bad.any():
        i = int(np.argmax(bad))
        raise SourceFormatError(
            path,
            f"year {s.iloc[i]!r} is out of range",
            row=file_row(i, header_rows),
            column=column,
            expected=expected,
        )
    return years


def per_unique(s: pd.Series, fn: Callable[[pd.Series], Any]) -> Any:
    """``fn(s)`` computed once per distinct value of ``s`` and spread back to every row.

    The same result as ``fn(s)`` row for row, for any ``fn`` that treats each value alone (text
    clean-up, a regex, a dict lookup): a 500,000-row column with a few thousand distinct codes
    costs a few thousand Python-level calls instead of 500,000. Missing values are one distinct
    value. ``fn`` returns a Series or a DataFrame indexed like its argument.
    """
    codes, uniques = s.factorize(use_na_sentinel=False)
    out = fn(pd.Series(uniques, dtype=s.dtype))
    spread = out.take(codes)
    spread.index = s.index
    return spread


def map_codes(
    s: pd.Series,
    mapping: Mapping[str, str],
    path: Path,
    column: str,
    *,
    header_rows: FileRows = 1,
    expected: str = "a known code",
    hint: str | None = None,
) -> pd.Series:
    """Map codes through ``mapping``; unknown codes raise with their counts (never dropped)."""
    both = per_unique(
        s,
        lambda u: pd.DataFrame(
            {"key": (k := u.astype("string").str.strip()), "to": k.map(mapping)}
        ),
    )
    keys, mapped = both["key"].rename(s.name), both["to"].rename(s.name)
    unknown = mapped.isna() & keys.notna()
    if unknown.any():
        counts = keys[unknown].value_counts().to_dict()
        first = file_row(int(np.argmax(unknown.to_numpy())), header_rows)
        known = set(map(str, mapping))
        raise UnknownCodeError(
            path,
            column,
            {str(k): int(v) for k, v in counts.items()},
            first_row=first,
            expected=expected,
            hint=hint,
            nearest={str(k): _nearest(str(k), known) for k in list(counts)[:5]},
        )
    return mapped.astype("string")


def _nearest(code: str, known: set[str], n: int = 3) -> list[str]:
    """Known codes closest to ``code`` (case-insensitive), as they are written in ``known``."""
    import difflib

    upper = {k.upper(): k for k in known}
    close = difflib.get_close_matches(code.strip().upper(), list(upper), n=n, cutoff=0.3)
    return [upper[c] for c in close]


def require_pattern(
    s: pd.Series,
    pattern: str,
    path: Path,
    column: str,
    *,
    label: str,
    kind: str,
    expected: str,
    header_rows: FileRows = 1,
) -> pd.Series:
    """The stripped text of ``s``; raise at the first cell that does not fully match ``pattern``.

    Blank (NA) cells do not match. The error reads ``"<label> <cell>!r is not <kind>"`` with the
    cell as it is in ``s`` and its 1-based file row (``header_rows`` lines before the data).
    """
    text = s.astype("string").str.strip()
    ok = text.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    if not ok.all():
        i = int(np.argmax(~ok))
        raise SourceFormatError(
            path,
            f"{label} {s.iloc[i]!r} is not {kind}",
            row=file_row(i, header_rows),
            column=column,
            expected=expected,
        )
    return text


def require_no_blanks(s: pd.Series, path: Path, column: str, *, header_rows: FileRows = 1) -> None:
    blank = s.isna() | (s.astype("string").str.strip() == "")
    if blank.any():
        i = int(np.argmax(blank.to_numpy()))
        raise SourceFormatError(
            path, "empty value", row=file_row(i, header_rows), column=column, expected="a value"
        )


# -- direct CSV loading (large files) ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CsvPlan:
    """How the store may load a large CSV as one Parquet *part* instead of inserting rows.

    ``write(target)`` converts the whole file (streaming, memory flat in rows) into a Parquet file
    at ``target`` holding the per-row canonical ``columns`` (name → canonical SQL type); it raises
    on any value it cannot convert or map. Columns that are the same for every row of the file
    (source, flow, vintage…) are not written per row: ``constants`` gives their SQL literal and the
    store's view adds them. ``not_null`` columns are checked from the part's Parquet statistics.
    If the conversion or a check fails, the store writes the part from ``batches`` instead (the
    source's validating reader, streamed: canonical tables, block by block), which raises the
    error naming file, row and column — or accepts what the fast path could not (blank lines).
    Without ``batches`` the store calls the source's ``read`` to name the bad row.
    """

    path: Path
    write: Callable[[Path], None]
    columns: dict[str, str]  # part column → canonical SQL type
    constants: dict[str, str] = field(default_factory=dict)  # canonical column → SQL literal
    not_null: tuple[str, ...] = ()
    batches: Callable[[], Iterator[pa.Table]] | None = None
    details: dict[str, object] = field(default_factory=dict)
    #: file row of the part's first row (BACI: 2, after the header), so the store's checks name
    #: file rows; None if rows cannot be located (the batches then carry ``_row``)
    row_base: int | None = None
    #: the file's name of each canonical column (``value_usd`` → ``v``), for error messages
    source_columns: dict[str, str] = field(default_factory=dict)
