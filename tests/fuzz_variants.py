"""Malformed and valid variants of the reader fixtures, as Hypothesis strategies.

Shared by tests/test_fuzz_readers.py (the properties) and by scripts that count how many
variants each reader refuses. A :class:`Variant` is a set of files (the first one is ingested)
and a label: ``bad:<what>`` must be refused, ``ok:<what>`` must go in.

Malformed variants: bad numbers (NaN, inf, 1e400, a negative amount, text), a repeated row,
a bad year, an unknown code, a repeated header name, a dropped column, and per-source breaks
(duties above 3.5 x value, an unreadable date, a rate without a number …). Valid variants: rows
reordered or left out, amounts rescaled, the publisher's own missing-value markers.
"""

from __future__ import annotations

import csv
import io
import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

from conftest import FIXTURES
from techties.countries import WB_AGGREGATES, country_codes
from techties.sources.countries import CENSUS_TO_ISO3
from techties.sources.section301 import SCHEDULES


@dataclass(frozen=True)
class Variant:
    label: str  # "bad:<what>" (must be refused) or "ok:<what>" (must go in)
    files: tuple[tuple[str, bytes], ...]  # (relative path, content); the first is ingested

    @property
    def malformed(self) -> bool:
        return self.label.startswith("bad:")

    def __repr__(self) -> str:  # Hypothesis prints failing examples: text files as text
        shown = []
        for name, data in self.files[:1]:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = f"<{len(data):,} bytes>"
            shown.append(f"{name}:\n{text if len(text) < 4000 else text[:4000] + ' …'}")
        return f"Variant({self.label!r}, {shown[0]})"


@dataclass
class Grid:
    """A table of text cells: ``header`` and ``rows`` (file row of rows[i] = i + 2)."""

    header: list[str]
    rows: list[list[str]]

    def copy(self) -> Grid:
        return Grid(list(self.header), [list(r) for r in self.rows])

    def col(self, name: str) -> int:
        return self.header.index(name)

    def set(self, row: int, name: str, value: str) -> Grid:
        out = self.copy()
        out.rows[row][out.col(name)] = value
        return out

    def drop(self, name: str) -> Grid:
        out, i = self.copy(), self.col(name)
        del out.header[i]
        for r in out.rows:
            del r[i]
        return out

    def rename(self, name: str, to: str) -> Grid:
        out = self.copy()
        out.header[out.col(name)] = to
        return out

    def repeat(self, row: int, at: int) -> Grid:
        out = self.copy()
        out.rows.insert(at, list(self.rows[row]))
        return out

    def keep(self, rows: list[int]) -> Grid:
        return Grid(list(self.header), [list(self.rows[i]) for i in rows])


def read_csv(path: Path, encoding: str = "utf-8") -> Grid:
    lines = list(csv.reader(io.StringIO(path.read_text(encoding))))
    return Grid(lines[0], [r for r in lines[1:] if r])


def to_csv(grid: Grid, *, quote_all: bool = False, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writerow(grid.header)
    w.writerows(grid.rows)
    return buf.getvalue().encode(encoding)


# -- cell strategies ------------------------------------------------------------------------
NON_FINITE = st.sampled_from(["NaN", "nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1E999"])
NEGATIVE = st.floats(1e-3, 1e12).map(lambda x: f"-{x:.6g}")
BAD_YEARS = st.sampled_from(["0", "1800", "2017.5", "20170", "-2017", "2101", "19x9", "abc"])
_TEXT = st.text(alphabet=string.ascii_letters + "#?!/", min_size=1, max_size=6)


def not_a_number(allowed: frozenset[str] = frozenset()) -> st.SearchStrategy[str]:
    """Text that is not a number (and not one of the publisher's ``allowed`` missing markers)."""
    return _TEXT.filter(lambda s: s not in allowed and s.strip() == s)


def bad_amount(allowed: frozenset[str] = frozenset()) -> st.SearchStrategy[str]:
    """A cell no unsigned amount may hold: not finite, negative or text."""
    return st.one_of(NON_FINITE, NEGATIVE, not_a_number(allowed))


def bad_signed(allowed: frozenset[str] = frozenset()) -> st.SearchStrategy[str]:
    """A cell no signed value may hold: not finite or text."""
    return st.one_of(NON_FINITE, not_a_number(allowed))


def unknown_code(known: set[str] | frozenset[str], *, alphabet: str = string.ascii_uppercase,
                 size: tuple[int, int] = (2, 4)) -> st.SearchStrategy[str]:  # fmt: skip
    return st.text(alphabet=alphabet, min_size=size[0], max_size=size[1]).filter(
        lambda c: c not in known
    )


SIGNED = st.floats(-1e12, 1e12).map(lambda x: f"{x:.4g}")


def _files(name: str, content: bytes, *extra: tuple[str, bytes]) -> tuple[tuple[str, bytes], ...]:
    return ((name, content), *extra)


# -- generic table operations ---------------------------------------------------------------
@dataclass(frozen=True)
class TableSpec:
    """How to vary one CSV-like fixture."""

    name: str  # file name written (relative path)
    grid: Grid
    write: Callable[[Grid], bytes]
    amounts: tuple[str, ...] = ()  # unsigned numeric columns
    signed: tuple[str, ...] = ()  # signed numeric columns
    years: tuple[str, ...] = ()
    codes: tuple[tuple[str, st.SearchStrategy[str]], ...] = ()
    required: tuple[str, ...] = ()  # columns whose loss is refused
    missing: frozenset[str] = frozenset()  # markers the publisher uses for "no value"
    rows: tuple[int, ...] | None = None  # rows whose cells are read (default: all)
    extra: tuple[tuple[str, bytes], ...] = ()  # sidecar files
    repeat_refused: bool = True
    scale: tuple[float, float] = (0.0, 1000.0)  # valid variants rescale all amounts by one factor
    reorder: bool = True  # False where a row's position carries meaning (NCSES lost headers)


@st.composite
def table_variant(draw: st.DrawFn, spec: TableSpec) -> Variant:
    rows = list(spec.rows if spec.rows is not None else range(len(spec.grid.rows)))
    ops: list[str] = ["dup_header"]
    ops += ["amount"] * bool(spec.amounts) + ["signed"] * bool(spec.signed)
    ops += ["year"] * bool(spec.years) + ["code"] * bool(spec.codes)
    ops += ["drop"] * bool(spec.required) + ["repeat"] * spec.repeat_refused
    ops = ops * 3 + ["ok_order"] * spec.reorder + ["ok_subset", "ok_values"]  # mostly malformed
    op = draw(st.sampled_from(ops))
    g, label = spec.grid, op
    r = draw(st.sampled_from(rows))
    if op == "amount":
        col = draw(st.sampled_from(spec.amounts))
        g = g.set(r, col, draw(bad_amount(spec.missing)))
        label = f"bad number in {col}"
    elif op == "signed":
        col = draw(st.sampled_from(spec.signed))
        g = g.set(r, col, draw(bad_signed(spec.missing)))
        label = f"bad number in {col}"
    elif op == "year":
        col = draw(st.sampled_from(spec.years))
        g = g.set(r, col, draw(BAD_YEARS))
        label = f"bad year in {col}"
    elif op == "code":
        col, codes = draw(st.sampled_from(spec.codes))
        g = g.set(r, col, draw(codes))
        label = f"unknown code in {col}"
    elif op == "drop":
        col = draw(st.sampled_from(spec.required))
        g, label = g.drop(col), f"dropped column {col}"
    elif op == "repeat":
        g, label = g.repeat(r, draw(st.integers(0, len(g.rows)))), "repeated row"
    elif op == "dup_header":
        names = [h for h in g.header if h]
        a, b = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
        g, label = g.rename(a, b), "repeated header name"
    else:
        return ok_table(draw, spec, op)
    return Variant(f"bad:{label}", _files(spec.name, spec.write(g), *spec.extra))


def ok_table(draw: st.DrawFn, spec: TableSpec, op: str) -> Variant:
    g = spec.grid
    if op == "ok_order":
        order = draw(st.permutations(range(len(g.rows))))
        g = g.keep(list(order))
    elif op == "ok_subset" and spec.rows is None:
        keep = draw(st.lists(st.sampled_from(range(len(g.rows))), min_size=1, unique=True))
        g = g.keep(sorted(keep))
    else:  # one factor for every amount keeps cross-column rules (duties <= 3.5 x value)
        k = draw(st.floats(*spec.scale))
        for col in spec.amounts:
            for r in spec.rows if spec.rows is not None else range(len(g.rows)):
                if g.rows[r][g.col(col)] not in spec.missing | {""}:
                    g = g.set(r, col, f"{float(g.rows[r][g.col(col)]) * k:.10g}")
        for col in spec.signed:
            for r in spec.rows if spec.rows is not None else range(len(g.rows)):
                if g.rows[r][g.col(col)] not in spec.missing | {""}:
                    g = g.set(r, col, draw(SIGNED))
    return Variant(f"ok:{op}", _files(spec.name, spec.write(g), *spec.extra))


# -- readers --------------------------------------------------------------------------------
def _census() -> st.SearchStrategy[Variant]:
    rows = json.loads((FIXTURES / "census" / "imports-hs10-2024.json").read_text())
    grid = Grid([str(c) for c in rows[0]], [[str(c) for c in r] for r in rows[1:]])
    spec = TableSpec(
        "census-imports.json", grid, lambda g: json.dumps([g.header, *g.rows]).encode(),
        amounts=("CON_VAL_YR", "GEN_VAL_YR", "CAL_DUT_YR", "CON_QY1_YR"),
        codes=(("CTY_CODE", unknown_code(set(CENSUS_TO_ISO3), alphabet=string.digits + "AB",
                                          size=(1, 4))),),
        required=("I_COMMODITY", "time"),
    )  # fmt: skip

    @st.composite
    def extra(draw: st.DrawFn) -> Variant:
        r = draw(st.integers(0, len(grid.rows) - 1))
        kind = draw(st.sampled_from(["duties", "time"]))
        if kind == "duties":  # duties above 3.5 x value (the highest US rate) + rounding
            value = float(grid.rows[r][grid.col("CON_VAL_YR")])
            g = grid.set(r, "CAL_DUT_YR", f"{value * 3.5 + draw(st.integers(3, 10**9)):.0f}")
            g = g.set(r, "GEN_VAL_YR", g.rows[r][g.col("CON_VAL_YR")])
        else:
            g = grid.set(r, "time", draw(st.sampled_from(
                ["0000-12", "1800-12", "2024-13", "2024.5-12", "24-12", "2101-12"])))  # fmt: skip
        return Variant(f"bad:{kind}", _files(spec.name, spec.write(g)))

    return st.one_of(table_variant(spec), extra())


def _comtrade() -> st.SearchStrategy[Variant]:
    grid = read_csv(FIXTURES / "comtrade" / "TradeData_USA_China.csv")
    known = set(country_codes()) | {"W00", "EUR", "S19", "_X", "X1"}
    qty_rows = tuple(i for i, r in enumerate(grid.rows) if r[grid.col("qtyUnitAbbr")] != "N/A")
    spec = TableSpec(
        "TradeData_fuzz.csv", grid, lambda g: to_csv(g, quote_all=True),
        amounts=("primaryValue",), years=("period",),
        codes=(("reporterISO", unknown_code(known, size=(3, 3))),
               ("partnerISO", unknown_code(known, size=(3, 3))),
               ("flowCode", unknown_code({"M", "X", "RM", "RX"}, size=(1, 2))),
               ("classificationCode", unknown_code(set(), alphabet="HSX9", size=(3, 3))),
               ("cmdCode", st.sampled_from(["12A", "1234567", "1", "TOTALS"]))),
        required=("reporterISO", "partnerISO", "flowCode", "classificationCode", "cmdCode",
                  "primaryValue"),
    )  # fmt: skip
    qty = TableSpec(spec.name, grid, spec.write, amounts=("qty",), rows=qty_rows)
    return st.one_of(table_variant(spec), table_variant(qty))


def _baci() -> st.SearchStrategy[Variant]:
    folder = FIXTURES / "baci"
    grid = read_csv(folder / "BACI_HS17_Y2017_V202201.csv")
    codes = {r[0] for r in read_csv(folder / "country_codes_V202201.csv").rows}
    spec = TableSpec(
        "BACI_HS17_Y2017_V202201.csv", grid, to_csv,
        amounts=("v", "q"), years=("t",), missing=frozenset({"NA"}),
        codes=(("i", st.integers(0, 99999).map(str).filter(lambda c: c not in codes)),
               ("j", st.one_of(st.integers(0, 99999).map(str).filter(lambda c: c not in codes),
                               st.sampled_from(["x", "15 6", "1e2", "-156"]))),
               ("k", st.sampled_from(["1234567", "12a456", "-10121", "x"]))),
        required=("t", "i", "j", "k", "v", "q"),
        extra=(("country_codes_V202201.csv", (folder / "country_codes_V202201.csv").read_bytes()),),
    )  # fmt: skip

    @st.composite
    def other_year(draw: st.DrawFn) -> Variant:  # a year the file name contradicts
        year = draw(st.integers(1995, 2030).filter(lambda y: y != 2017))
        g = grid.set(draw(st.integers(0, len(grid.rows) - 1)), "t", str(year))
        return Variant("bad:year not the file's", _files(spec.name, to_csv(g), *spec.extra))

    return st.one_of(table_variant(spec), other_year())


def _gravity() -> st.SearchStrategy[Variant]:
    grid = read_csv(FIXTURES / "gravity" / "sample_data_set.dlm")
    known = set(country_codes()) | {"ROM", "ROW", "ZZZ"}  # ZZZ: the Guide's DEU (no DEU here)
    covariates = tuple(h for h in grid.header if h not in {"exporter", "importer", "year", "trade"})
    spec = TableSpec(
        "sample_fuzz.dlm", grid, to_csv, amounts=("trade",), signed=covariates, years=("year",),
        codes=(("exporter", unknown_code(known, alphabet=string.ascii_uppercase + "1_")),
               ("importer", st.sampled_from(["G1", "QQQ", "TOOLONG", "a b"]))),
        required=("exporter", "importer", "year", "trade"),
    )  # fmt: skip
    return table_variant(spec)


def _export_lists() -> st.SearchStrategy[Variant]:
    base = json.loads((FIXTURES / "tech" / "bis_entity_list_small.json").read_text())
    n = len(base["entities"])

    def out(payload: dict[str, object], label: str, text: str | None = None) -> Variant:
        data = (text if text is not None else json.dumps(payload)).encode()
        return Variant(label, _files("bis_fuzz.json", data))

    @st.composite
    def variant(draw: st.DrawFn) -> Variant:
        p = json.loads(json.dumps(base))
        ents: list[dict[str, object]] = p["entities"]
        i = draw(st.integers(0, n - 1))
        op = draw(st.sampled_from(2 * ["name", "date", "future", "snapshot", "count", "aliases",
                                       "dup_key", "no_list_id", "not_object"]
                                  + ["ok_order", "ok_twice", "ok_names"]))  # fmt: skip
        if op == "name":
            ents[i]["name"] = draw(st.sampled_from(["", "   ", "12345", "7-28", "1.5", "0"]))
        elif op == "date":
            ents[i]["effective_date"] = draw(st.sampled_from(
                ["31/31/2020", "June 40, 2021", "soon", "2021-02-30", "13/45/19"]))  # fmt: skip
        elif op == "future":  # added after the list's snapshot (2026-07-09)
            ents[i]["federal_register"] = f"84 FR 1, 5/21/{draw(st.integers(2027, 2099))}"
        elif op == "snapshot":
            p["extracted"] = draw(st.sampled_from(["yesterday", "2026-13-01", "09/07/2O26"]))
        elif op == "count":
            p["count"] = n + draw(st.integers(1, 5))
        elif op == "aliases":
            ents[i]["aliases"] = draw(st.sampled_from(["Huawei", 3, {"a": 1}]))
        elif op == "dup_key":
            text = json.dumps(p).replace('"name": ', '"name": "X", "name": ', 1)
            return out(p, "bad:repeated JSON key", text)
        elif op == "no_list_id":
            del p["list_id"]
        elif op == "not_object":
            ents[i] = draw(st.sampled_from([[], "entity", 7]))  # type: ignore[call-overload]
        elif op == "ok_order":
            p["entities"] = draw(st.permutations(ents))
        elif op == "ok_twice":  # entries are not entities: one entity may be listed twice
            ents.insert(i, dict(ents[i]))
            p["count"] = n + 1
        else:
            ents[i]["name"] = draw(st.text(alphabet=string.ascii_letters + " .,-", min_size=1,
                                           max_size=30).filter(lambda s: any(c.isalpha() for c in s)))  # fmt: skip
        return out(p, ("ok:" if op.startswith("ok_") else "bad:") + op)

    return variant()


def _wdi() -> st.SearchStrategy[Variant]:
    folder = FIXTURES / "tech" / "wdi" / "tx.val.tech.cd"
    grid = read_csv(folder / "data.csv")
    valued = tuple(i for i, r in enumerate(grid.rows) if r[grid.col("Value")] != "")
    known = set(country_codes()) | set(WB_AGGREGATES)
    pkg = ("tx.val.tech.cd/datapackage.json", (folder / "datapackage.json").read_bytes())
    spec = TableSpec(
        "tx.val.tech.cd/data.csv", grid, to_csv, signed=("Value",), years=("Year",),
        codes=(("Country Code", unknown_code(known, size=(2, 3))),),
        required=("Country Name", "Country Code", "Year", "Value"), rows=valued, extra=(pkg,),
    )  # fmt: skip
    return table_variant(spec)


def _hts_export() -> st.SearchStrategy[Variant]:
    grid = read_csv(FIXTURES / "tariffs" / "hts_2018_revision_1_csv.csv")
    rated = tuple(
        i for i, r in enumerate(grid.rows)
        if r[grid.col("General Rate of Duty")] and len(r[0].replace(".", "")) >= 8
        and not r[0].startswith("99")
    )  # fmt: skip
    name = "hts_2018_revision_1_csv.csv"

    @st.composite
    def variant(draw: st.DrawFn) -> Variant:
        r = draw(st.sampled_from(rated))
        op = draw(
            st.sampled_from(3 * ["rate", "code", "repeat", "dup_header", "drop"] + ["ok_order"])
        )
        g = grid
        if op == "rate":
            g = g.set(r, "General Rate of Duty", draw(st.one_of(
                st.sampled_from(["-5%", "1e400%", "NaN%", "%", "-0.5¢/kg"]),
                st.integers(1001, 10**9).map(lambda x: f"{x}%"))))  # fmt: skip
        elif op == "code":
            g = g.set(r, "HTS Number", draw(st.sampled_from(["01A1.30.00", "12345", "0101.3"])))
        elif op == "repeat":
            g = g.repeat(r, draw(st.integers(0, len(g.rows))))
        elif op == "dup_header":
            g = g.rename("Description", "General Rate of Duty")
        elif op == "drop":
            g = g.drop(draw(st.sampled_from(["HTS Number", "General Rate of Duty"])))
        else:
            g = g.keep(list(draw(st.permutations(range(len(g.rows))))))
        label = ("ok:" if op.startswith("ok_") else "bad:") + op
        return Variant(label, _files(name, to_csv(g, quote_all=True)))

    return variant()


def _annual_db() -> st.SearchStrategy[Variant]:
    df = pd.read_excel(FIXTURES / "tariffs" / "tariff_database_2017.xlsx", dtype=str,
                       engine="calamine")  # fmt: skip
    grid = Grid([str(c) for c in df.columns], df.fillna("").astype(str).values.tolist())

    def write(g: Grid) -> bytes:
        return ("\n".join("|".join(r) for r in [g.header, *g.rows]) + "\n").encode()

    spec = TableSpec(
        "tariff_database_2017.txt", grid, write,
        amounts=("mfn_ad_val_rate", "mfn_specific_rate", "mfn_other_rate"),
        codes=(("hts8", st.sampled_from(["123456789", "12a4", "x"])),
               ("begin_effect_date", st.sampled_from(["2017-02-30", "someday", "20170101x"]))),
        required=("hts8", "mfn_ad_val_rate", "begin_effect_date", "end_effective_date"),
        scale=(0.5, 1.0),  # the 9999.999999 placeholder must stay >= 100 (a fraction)
    )  # fmt: skip
    return table_variant(spec)


def _section301() -> st.SearchStrategy[Variant]:
    raw = pd.read_excel(FIXTURES / "tariffs" / "China-Tariffs.xlsx", header=None, dtype=str,
                        engine="calamine").fillna("")  # fmt: skip
    cells = raw.values.tolist()
    head = next(i for i, r in enumerate(cells) if str(r[0]).startswith("Harmonized"))
    body = list(range(head + 1, len(cells)))
    listed = [  # product lines (a chapter-99 heading; not a repeated header line)
        i for i in body if str(cells[i][1]).strip() and not str(cells[i][0]).startswith("Harm")
    ]

    def xlsx(rows: list[list[str]]) -> bytes:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Table 1")
        for r in rows:
            ws.append([c if c != "" else None for c in r])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    @st.composite
    def variant(draw: st.DrawFn) -> Variant:
        rows = [list(r) for r in cells]
        r = draw(st.sampled_from(listed))
        op = draw(st.sampled_from(3 * ["code", "heading", "repeat", "one_column"]
                                  + ["ok_header", "ok_order"]))  # fmt: skip
        if op == "code":  # not an 8- or 10-digit dotted HTS code
            rows[r][0] = draw(st.one_of(
                st.sampled_from(["ABCD.12.34", "12345", "0101.2", "8471.50.01.5"]),
                st.from_regex(r"\A\d{1,3}(\.\d{2}){1,3}\Z"),
                st.from_regex(r"\A\d{4}\.[A-Z]\d\.\d{2}\Z")))  # fmt: skip
        elif op == "heading":  # a chapter-99 heading without a Section 301 schedule
            rows[r][1] = draw(st.from_regex(r"\A99\d{2}\.\d{2}\.\d{2}\Z").filter(
                lambda h: h not in SCHEDULES))  # fmt: skip
        elif op == "repeat":
            rows.insert(draw(st.sampled_from(body)), list(rows[r]))
        elif op == "one_column":
            rows = [[c[0]] for c in rows]
        elif op == "ok_header":  # the publisher repeats the header line inside the table
            rows.insert(draw(st.sampled_from(body)), list(cells[head]))
        else:
            tail = draw(st.permutations([rows[i] for i in body]))
            rows = rows[: head + 1] + list(tail)
        label = ("ok:" if op.startswith("ok_") else "bad:") + op
        return Variant(label, _files("China-Tariffs-fuzz.xlsx", xlsx(rows)))

    return variant()


def _ncses() -> st.SearchStrategy[Variant]:
    folder = FIXTURES / "tech" / "ncses" / "9970_SPBS-2"
    grid = read_csv(folder / "data.csv")
    labels = grid.col("time_period")
    first = {r[labels]: i for i, r in reversed(list(enumerate(grid.rows)))}
    years = tuple(i for i, r in enumerate(grid.rows) if first[r[labels]] != i)  # not income slot
    missing = frozenset({"na", "NA", "n/a", "ne", "D", "S", "X", "x"})
    spec = TableSpec(
        "9970_SPBS-2/data.csv", grid, to_csv, signed=("value",), rows=years, missing=missing,
        required=("time_period", "value"), reorder=False,
        extra=(("9970_SPBS-2/README.md", (folder / "README.md").read_bytes()),),
    )  # fmt: skip

    @st.composite
    def lost_cell(draw: st.DrawFn) -> Variant:  # a label group one cell short
        drop = draw(st.integers(0, len(grid.rows) - 1))
        g = grid.keep([i for i in range(len(grid.rows)) if i != drop])
        return Variant("bad:label group one cell short", _files(spec.name, to_csv(g), *spec.extra))

    return st.one_of(table_variant(spec), lost_cell())


#: reader name → (techties source, strategy of variants)
READERS: dict[str, tuple[str, Callable[[], st.SearchStrategy[Variant]]]] = {
    "census": ("census", _census),
    "comtrade": ("comtrade", _comtrade),
    "baci": ("baci", _baci),
    "gravity": ("gravity", _gravity),
    "export_lists": ("export_lists", _export_lists),
    "wdi": ("wdi", _wdi),
    "usitc_tariffs": ("usitc_tariffs", lambda: st.one_of(_hts_export(), _annual_db())),
    "section301": ("section301", _section301),
    "ncses": ("ncses", _ncses),
}
