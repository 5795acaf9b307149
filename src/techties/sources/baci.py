"""CEPII BACI: reconciled bilateral trade by HS6 product, one CSV per year.

Layout (BACI release notes): ``t`` year, ``i`` exporter, ``j`` importer (BACI numeric country
codes, mostly ISO 3166 numeric), ``k`` HS6 product (6 digits with leading zero), ``v`` value in
**thousands of current USD** (FOB), ``q`` quantity in **metric tonnes** (``NA`` when unknown).
Each release zip holds ``BACI_HS17_Y2017_V202201.csv``-style files next to
``country_codes_V202201.csv``; the exporter/importer codes are mapped to ISO3 through that file
(found beside the data file), so the mapping always matches the release.

Canonical rows: reporter = exporter ``i``, partner = importer ``j``, flow = ``export``,
value_usd = 1000·v, quantity = q with unit ``t``, value_basis ``FOB``.

Large files (10M+ rows) are loaded by the store's CSV plan (:meth:`Baci.csv_plan`): Polars'
streaming CSV reader maps and checks every row and writes one Parquet part per file, which the
store keeps beside its database file (see :mod:`techties.store.parts`). ``read`` streams the same
file in blocks and is what reports bad rows by file, row and column.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from techties.errors import SourceFormatError
from techties.sources._flows import FLOW_SCHEMA, flows_table
from techties.sources.base import Source, register
from techties.sources.containers import (
    CsvPlan,
    FileRows,
    file_row,
    file_rows,
    map_codes,
    name_columns,
    read_frame,
    require_columns,
    to_number,
    to_year,
)
from techties.sources.http import download_file, extract_member

COLUMNS = ("t", "i", "j", "k", "v", "q")
#: canonical column → BACI column (value_usd = 1000·v, quantity = q), for error messages
FILE_COLUMNS = {"reporter": "i", "partner": "j", "year": "t", "product_code": "k",
                "value_usd": "v", "quantity": "q"}  # fmt: skip
HS_NAMES = {
    "92": "HS1992",
    "96": "HS1996",
    "02": "HS2002",
    "07": "HS2007",
    "12": "HS2012",
    "17": "HS2017",
    "22": "HS2022",
}
_NAME = re.compile(r"BACI_HS(\d{2})_Y(\d{4})_(V\d{6}\w*)", re.IGNORECASE)
BLOCK = 1 << 24
#: CEPII's download folder; one zip per HS revision and release holds every year
DOWNLOAD_URL = "https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_{hs}_{release}.zip"
DEFAULT_RELEASE = "V202501"


def release(path: Path) -> tuple[str | None, str | None]:
    """(HS vintage, BACI version) from a file name such as ``BACI_HS17_Y2017_V202201.csv``."""
    m = _NAME.search(path.name)
    if not m:
        return None, None
    return HS_NAMES.get(m.group(1)), m.group(3).upper()


def file_year(path: Path) -> int | None:
    """The year in a BACI file name (``BACI_HS17_Y2017_V202201.csv`` → 2017), or None."""
    m = _NAME.search(path.name)
    return int(m.group(2)) if m else None


def country_codes_file(path: Path) -> Path:
    """The ``country_codes_V*.csv`` shipped beside a BACI data file (same version preferred)."""
    _, version = release(path)
    found = sorted(path.parent.glob("country_codes*.csv"))
    same = [f for f in found if version and version.lower() in f.name.lower()]
    if same or found:
        return (same or found)[-1]
    raise SourceFormatError(
        path,
        "no BACI country code list beside the data file",
        column="i",
        expected="country_codes_V<release>.csv in the same folder",
        hint="Unpack the whole BACI zip (it ships country_codes_*.csv with the yearly files).",
    )


def country_table(path: Path) -> dict[str, str]:
    """BACI numeric code (as text) → ISO3 from a country_codes file (both header styles)."""
    df = read_frame(path, dtype_str=True)
    iso_col = "iso_3digit_alpha" if "iso_3digit_alpha" in df.columns else "country_iso3"
    require_columns(df, ["country_code", iso_col], path, what="BACI country_codes")
    codes = df["country_code"].astype("string").str.strip()
    iso = df[iso_col].astype("string").str.strip().str.upper()
    iso = iso.where(iso.str.fullmatch(r"[A-Z0-9]{3}").fillna(False), "N" + codes)
    return dict(zip(codes.astype(str), iso.astype(str), strict=True))


def _check_header(path: Path) -> None:
    try:
        with open(path, "rb") as fh:
            first = fh.readline(4096)
        names = first.decode("utf-8-sig").strip().replace('"', "").split(",")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            path, "header is not UTF-8 text", row=1, expected="UTF-8 text with header t,i,j,k,v,q"
        ) from exc
    except OSError as exc:
        raise SourceFormatError(path, f"cannot open file: {exc.strerror}") from exc
    names = [n.strip() for n in names]
    if tuple(names) != COLUMNS:
        missing = [c for c in COLUMNS if c not in names]
        raise SourceFormatError(
            path,
            f"header is {','.join(names)!r}",
            row=1,
            column=missing[0] if missing else None,
            expected="the BACI header t,i,j,k,v,q",
        )


def _products(k: pd.Series, path: Path, header: FileRows) -> pd.Series:
    codes = k.astype("string").str.strip().str.zfill(6)
    ok = codes.str.fullmatch(r"\d{6}").fillna(False).to_numpy()
    if not ok.all():
        i = int(np.argmax(~ok))
        raise SourceFormatError(
            path,
            f"product {k.iloc[i]!r} is not an HS6 code",
            row=file_row(i, header),
            column="k",
            expected="6 digits",
        )
    return codes


def _years(t: pd.Series, path: Path, header: FileRows, expect: int | None) -> np.ndarray:
    """``t`` as whole years; each file holds one year, the one in its name (when named)."""
    year = to_year(t, path, "t", first=1900, last=2100, expected="a year such as 2017",
                   header_rows=header)  # fmt: skip
    off = year != expect if expect is not None else np.zeros(len(year), dtype=bool)
    if off.any():
        i = int(np.argmax(off))
        raise SourceFormatError(
            path, f"year {t.iloc[i]!r} is not the file's year {expect} "
            f"({int(off.sum()):,} rows)", row=file_row(i, header), column="t",
            expected=f"t = {expect}, the year in the file name",
            hint="Each BACI file holds one year: the file was renamed or edited.",
        )  # fmt: skip
    return year


def _batch(
    df: pd.DataFrame,
    path: Path,
    header: FileRows,
    codes: dict[str, str],
    vintage: str | None,
    expect_year: int | None = None,
) -> pa.Table:
    """One block of the CSV (all strings) → canonical rows; ``header`` says where its rows are
    in the file (lines before it, or each row's file line)."""
    year = _years(df["t"], path, header, expect_year)
    q = df["q"].astype("string").str.strip()
    qty = to_number(q.where(q != "NA", ""), path, "q", header_rows=header)
    how = {"header_rows": header, "expected": "a code in the BACI country_codes file"}
    for col in ("i", "j"):
        to_number(df[col], path, col, header_rows=header, allow_missing=False)
    return flows_table(
        len(df),
        row=file_rows(len(df), header),
        source="baci",
        reporter=map_codes(df["i"], codes, path, "i", **how),  # type: ignore[arg-type]
        partner=map_codes(df["j"], codes, path, "j", **how),  # type: ignore[arg-type]
        flow="export",
        year=year,
        month=None,
        classification="HS",
        vintage=vintage,
        product_code=_products(df["k"], path, header),
        product_level=6,
        value_usd=to_number(df["v"], path, "v", header_rows=header, allow_missing=False) * 1000.0,
        quantity=qty,
        quantity_unit="t",
        duties_usd=None,
        value_basis="FOB",
    )


def iter_batches(path: Path) -> Iterator[pa.Table]:
    """Stream a BACI CSV in blocks, validating every row (bad rows raise with file row)."""
    _check_header(path)
    codes = country_table(country_codes_file(path))
    vintage, _ = release(path)
    opts = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=False
    )
    try:
        reader = pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(block_size=BLOCK), convert_options=opts
        )
        done, lines = 0, _data_lines(path)
        for batch in reader:
            rows = lines(np.arange(batch.num_rows) + done)
            table = _batch(batch.to_pandas(), path, rows, codes, vintage, file_year(path))
            yield name_columns(table, FILE_COLUMNS)
            done += batch.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        text = str(exc).splitlines()[0]
        row, column = _row_in(text), None
        if row is None and "columns, got" in text:
            row, column = _short_line(path)
        raise SourceFormatError(
            path,
            f"malformed CSV: {text}",
            row=row,
            column=column,
            expected="UTF-8 CSV with 6 fields per line (t,i,j,k,v,q)",
            hint="The file may be truncated or not a BACI CSV; download it again.",
        ) from exc


def _data_lines(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """Data row positions (0-based, header excluded) → 1-based file lines.

    The CSV reader skips empty lines, so after one the position alone would name the line
    above the bad row; the empty lines are found once (NumPy over a memory map, in blocks).
    """
    size = path.stat().st_size
    blanks: list[np.ndarray] = []
    if size:
        data = np.memmap(path, dtype=np.uint8, mode="r")
        prev_end, line0 = -1, 0  # offset of the last newline seen; lines before this block
        for start in range(0, size, 1 << 24):
            ends = np.flatnonzero(data[start : start + (1 << 24)] == ord("\n")) + start
            starts = np.concatenate(([prev_end + 1], ends[:-1] + 1))
            width = ends - starts
            crlf = (width == 1) & (data[np.minimum(starts, size - 1)] == ord("\r"))
            blanks.append(np.flatnonzero((width == 0) | crlf) + line0 + 1)
            if len(ends):
                prev_end, line0 = int(ends[-1]), line0 + len(ends)
        del data
    blank = np.concatenate(blanks) if blanks else np.zeros(0, dtype=np.int64)
    # the k-th non-empty line (1-based) is line k + (empty lines b_j with b_j - j <= k)
    key = blank - np.arange(len(blank))

    def lines(positions: np.ndarray) -> np.ndarray:
        k = positions.astype(np.int64) + 2  # the header is the first non-empty line
        return k + np.searchsorted(key, k, side="right")

    return lines


def _short_line(path: Path) -> tuple[int | None, str | None]:
    """(file row, first missing column) of the first non-blank line without six fields (the
    CSV reader says what it expected but not where; only called on that error)."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            fields = line.rstrip(b"\r\n").split(b",")
            if line.strip() and len(fields) != len(COLUMNS):
                return number, COLUMNS[len(fields)] if len(fields) < len(COLUMNS) else None
    return None, None


def stream_to_file(client: httpx.Client, url: str, target: Path) -> Path:
    """GET the release zip ``url`` into ``target`` (gigabytes): streamed to a part file with
    retries and ``Range`` resume, checked with ``zipfile.testzip``, then renamed over
    ``target`` (a failed download leaves the previous zip as it was); errors → FetchError."""
    return download_file(
        client, url, target, expect="zip", resume=True,
        hints={404: "Check the release name (e.g. V202501) and HS vintage on the CEPII BACI page."},
    )  # fmt: skip


def _unpack(archive: Path, dest: Path, years: Sequence[int] | None) -> list[Path]:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            wanted = [
                n
                for n in names
                if _NAME.search(n) and (not years or int(_NAME.search(n).group(2)) in years)  # type: ignore[union-attr]
            ]
            codes = [n for n in names if Path(n).name.startswith("country_codes")]
            for name in wanted + codes:
                extract_member(zf, name, dest / Path(name).name)  # streamed, never whole
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(
            archive,
            "not a zip archive",
            expected="the BACI release zip",
            hint="The download may be incomplete; fetch it again.",
        ) from exc
    if not wanted:
        raise SourceFormatError(
            archive,
            f"no yearly files for {list(years or [])}",
            expected="BACI_<HS>_Y<year>_<release>.csv members",
        )
    return [dest / Path(n).name for n in wanted]


def _row_in(text: str) -> int | None:
    m = re.search(r"[Rr]ow #?(\d+)", text)
    return int(m.group(1)) if m else None


@register
class Baci(Source):
    """CEPII BACI bilateral trade by HS6 (values in thousand USD, quantities in tonnes)."""

    name = "baci"
    table = "trade_flows"
    title = "CEPII BACI reconciled bilateral trade by HS6"
    homepage = "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"
    patterns = ("BACI_*.csv",)

    def read(self, path: Path) -> pa.Table:
        parts = list(iter_batches(path))
        return pa.concat_tables(parts) if parts else FLOW_SCHEMA.empty_table()

    def version(self, path: Path) -> str | None:
        return release(path)[1]

    def download(
        self,
        dest: Path,
        *,
        years: Sequence[int] | None = None,
        client: httpx.Client,
        hs: str = "HS17",
        release_name: str = DEFAULT_RELEASE,
    ) -> list[Path]:
        """Stream the release zip to ``dest`` and unpack the requested years + country codes."""
        dest.mkdir(parents=True, exist_ok=True)
        url = DOWNLOAD_URL.format(hs=hs, release=release_name)
        archive = dest / url.rsplit("/", 1)[-1]
        stream_to_file(client, url, archive)
        return _unpack(archive, dest, years)

    def csv_plan(self, path: Path) -> CsvPlan:
        """Direct load by the store: the same mapping as :func:`iter_batches`, as a Parquet part.

        Per row the part keeps reporter, partner (ISO3, dictionary-encoded), year, product_code,
        value_usd (= 1000·v) and quantity; the columns that are the same for the whole file
        (source, flow, classification, vintage, product_level, units, basis) are constants of the
        part. Unknown country codes, non-numeric values, product codes outside 0–999999 and
        missing t/i/j/k/v reject the load (the reader then names the row).
        """
        _check_header(path)
        codes_file = country_codes_file(path)
        vintage, _ = release(path)
        return CsvPlan(
            path=path,
            write=_part_writer(path, country_table(codes_file), padded=_padded(path)),
            columns=PART_COLUMNS,
            constants={
                "source": "'baci'",
                "flow": "'export'",
                "month": "NULL",
                "classification": "'HS'",
                "vintage": "NULL" if vintage is None else f"'{vintage}'",
                "product_level": "6",
                "quantity_unit": "'t'",
                "duties_usd": "NULL",
                "value_basis": "'FOB'",
            },
            not_null=("reporter", "partner", "year", "product_code", "value_usd"),
            batches=lambda: iter_batches(path),
            details={"country_codes": codes_file.name},
            row_base=2,  # part row 0 is file line 2 (the writer only runs on six-field lines)
            source_columns=FILE_COLUMNS,
        )


#: columns a BACI part stores per row (canonical name → canonical SQL type)
PART_COLUMNS = {
    "reporter": "VARCHAR",
    "partner": "VARCHAR",
    "year": "SMALLINT",
    "product_code": "VARCHAR",
    "value_usd": "DOUBLE",
    "quantity": "DOUBLE",
}
#: the part's key in the order CEPII sorts its files (t, i, j, k); the store checks that order
#: row by row and, when it holds, needs no hash of every key to rule out repeats
SORTED_BY = ("year", "reporter", "partner", "product_code")
#: Parquet metadata key of that order (``techties.store.validate.KEY_ORDER``)
KEY_ORDER = "techties.key_order"
#: CSV types of the direct load; unsigned codes so a sign is a parse error, not an index
_TYPES = {"t": pl.Int16, "i": pl.UInt32, "j": pl.UInt32, "k": pl.UInt32, "v": pl.Float64}


def _padded(path: Path) -> bool:
    """True if fields carry blanks (some releases pad numbers and ``NA`` with spaces)."""
    with open(path, "rb") as fh:
        fh.readline()
        head = fh.read(1 << 16)
    return re.search(rb"[ \t]", head) is not None


def _complete_tail(path: Path) -> bool:
    """True if the last line has all six fields (a cut-off download fails this)."""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 4096))
        lines = fh.read().rstrip(b"\r\n").splitlines()
    return bool(lines) and lines[-1].count(b",") == len(COLUMNS) - 1


def _five_commas_per_line(path: Path) -> bool:
    """True if the file has exactly five commas per line, as six-field BACI lines have.

    Polars reads a line that lost its last field(s) with nulls (q would silently be unknown),
    so the direct load first counts commas and line ends over the whole file (NumPy over a
    memory map, ~0.1 s per 300 MB). A short line makes the total fall short; False sends the
    file through the row-by-row reader, which names the row (blank lines or quoted commas also
    give False, and that reader accepts them).
    """
    size = path.stat().st_size
    if size == 0:
        return True
    data = np.memmap(path, dtype=np.uint8, mode="r")
    commas = ends = 0
    for start in range(0, size, 1 << 24):
        block = data[start : start + (1 << 24)]
        commas += int(np.count_nonzero(block == ord(",")))
        ends += int(np.count_nonzero(block == ord("\n")))
    lines = ends + int(data[-1] != ord("\n"))
    del data
    return commas == (len(COLUMNS) - 1) * lines


@lru_cache(maxsize=1)
def _hs6_codes() -> pl.Series:
    """``"000000"`` … ``"999999"``: position k holds product k as 6 digits (leading zeros)."""
    return pl.int_range(1_000_000, 2_000_000, eager=True).cast(pl.String).str.slice(1)


def _iso_order(codes: dict[str, str]) -> list[str]:
    """The ISO3 codes ordered by their lowest BACI code: a file sorted by BACI codes is then
    sorted by these ISO3 too (unless it uses a second code of one ISO3, e.g. 280 for DEU)."""
    lowest: dict[str, int] = {}
    for code, name in codes.items():
        lowest[name] = min(int(code), lowest.get(name, int(code)))
    return sorted(lowest, key=lambda name: (lowest[name], name))


def _country_slots(codes: dict[str, str]) -> pl.Series:
    """Position c holds the ISO3 of BACI code c (an Enum); codes not in the list hold null."""
    iso = pl.Enum(_iso_order(codes))
    slots: list[str | None] = [None] * (max(int(c) for c in codes) + 1)
    for code, name in codes.items():
        slots[int(code)] = name
    return pl.Series("iso3", slots, dtype=iso)


def year_check(t: pl.Expr, expect: int | None) -> pl.Expr:
    """``t``, or null where it is not the file's year (the store's not-null check then sends
    the file to the row-by-row reader, which names the row)."""
    return t if expect is None else pl.when(t == expect).then(t).otherwise(None)


def _part_writer(path: Path, codes: dict[str, str], *, padded: bool) -> Callable[[Path], None]:
    """CSV → canonical Parquet columns with Polars' streaming engine (memory flat in rows).

    Codes become positions: ``reporter = slots[i]`` (null for a code missing from the list,
    out-of-range raises), ``product_code = hs6[k]`` (k above 999999 raises). Nulls are then
    caught by the store's ``not_null`` check on the Parquet statistics.
    """

    def write(target: Path) -> None:
        if not _complete_tail(path):
            raise SourceFormatError(path, "the last line does not have six fields")
        if not _five_commas_per_line(path):
            # a short line, a blank line or a quoted comma: the store then writes the part from
            # the row-by-row reader, which names a bad row and keeps file rows for its checks
            raise SourceFormatError(path, "not five commas on every line: read row by row")
        slots, hs6 = pl.lit(_country_slots(codes)), pl.lit(_hs6_codes())
        iso = _iso_order(codes)
        key_order = {KEY_ORDER: json.dumps({"columns": list(SORTED_BY),
                                            "ranks": {"reporter": iso, "partner": iso}})}  # fmt: skip
        if padded:  # read text, strip blanks, then convert strictly
            col = {c: pl.col(c).str.strip_chars() for c in COLUMNS}
            num = {c: col[c].cast(t, strict=True) for c, t in _TYPES.items()}
            blank = col["q"].is_in(["NA", ""])
            num["q"] = pl.when(blank).then(None).otherwise(col["q"]).cast(pl.Float64, strict=True)
            schema: dict[str, pl.DataType | type[pl.DataType]] = dict.fromkeys(COLUMNS, pl.String)
        else:
            num = {c: pl.col(c) for c in COLUMNS}
            schema = {**_TYPES, "q": pl.Float64}
        frame = pl.scan_csv(path, schema=schema, null_values=["", "NA"], quote_char='"')
        try:
            frame.select(
                slots.gather(num["i"]).alias("reporter"),
                slots.gather(num["j"]).alias("partner"),
                year_check(num["t"], file_year(path)).alias("year"),
                hs6.gather(num["k"]).alias("product_code"),
                (num["v"] * 1000.0).alias("value_usd"),
                num["q"].alias("quantity"),
            ).sink_parquet(target, compression="lz4", statistics=True, metadata=key_order)
        except pl.exceptions.PolarsError as exc:
            raise SourceFormatError(
                path, f"the direct load rejected a value: {str(exc).splitlines()[0]}"
            ) from exc

    return write
