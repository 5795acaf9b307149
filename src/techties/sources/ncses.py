"""NSF/NCSES Science & Engineering Indicators tables (ncses_stats_explorer CSV) → ``indicators``.

Each table is a folder ``<modal_id>_<table_number>/`` with ``data.csv`` and ``README.md`` (title,
units). The converter dropped the column headers of several tables and wrote one row per cell
(``table_id,row_id,time_period,value``) with the row label in ``time_period``: the year or partner
of each value is its **position inside the group of rows sharing a label**. That order is not in
the file, so it is encoded explicitly, per table, as data in ``ncses_tables.yaml`` (loaded into
:data:`SPECS`; from CATALOG-tech.md §3 and the published SEI tables), and checked: every label
group must have exactly the encoded number of cells, otherwise the read fails naming the row.

Layouts (``SPECS[table]["layout"]``):

- ``cells``: lost headers; ``slots`` lists what each position holds — a year, or a named
  non-year slot (``income_group``, ``total``) that is skipped (with its reason in the spec).
- ``pairs``: lost headers, country × partner matrix; label ``"World -> <country> -> <year>"``;
  the partners are the row countries in row order (``with_world``: the first column is World).
- ``measures``: lost headers; each label group holds ``measures`` in order, repeated per block
  (``blocks``: e.g. PPP US$ bn, then % shares); the year is in the label (``"China (2019)"``).
- ``wide``: ``<dim>_full_path`` + ``field_<year>`` columns; the geography is the first
  ``geo_depth`` path segments (or everything before ``measure_start``).
- ``wide_years``: one row per partner, columns are years (SPBS-36); ``country`` fixed.
- ``levels``: long with ``*_level_N`` columns (SRD-1): measure levels, the last one the year.
- ``mne``: US companies' R&D or employment abroad by host location, cells ``"['13,052', 'i']"``
  (value, flag); the survey year is read from the README title.

Values: ``na``/``NA``/``D``/``-`` become NULL with the code kept in ``flag``; thousands
separators are removed; labels lose HTML and footnote markers. "China" in SEI tables includes
Hong Kong unless noted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml

from techties.errors import SourceFormatError
from techties.sources._tech_common import clean_label, indicator_table, iso3
from techties.sources.base import Source, register
from techties.sources.containers import read_frame, require_columns


def _expand_slots(slots: list[Any]) -> list[int | str]:
    """``['income_group', '2003-2022']`` → ``['income_group', 2003, 2004, …, 2022]``."""
    out: list[int | str] = []
    for s in slots:
        m = re.fullmatch(r"(\d{4})-(\d{4})", str(s))
        if m:
            out.extend(range(int(m.group(1)), int(m.group(2)) + 1))
        elif isinstance(s, int) or str(s).isdigit():
            out.append(int(s))
        else:
            out.append(str(s))
    return out


def load_specs(text: str | None = None) -> dict[str, dict[str, Any]]:
    """The table structures from ``ncses_tables.yaml`` (or ``text`` in the same layout)."""
    if text is None:
        text = resources.files("techties.sources").joinpath("ncses_tables.yaml").read_text("utf-8")
    raw = yaml.safe_load(text) or {}
    specs: dict[str, dict[str, Any]] = {}
    for key, spec in raw.items():
        spec = dict(spec)
        if "slots" in spec:
            spec["slots"] = _expand_slots(spec["slots"])
        if "blocks" in spec:
            spec["blocks"] = [tuple(b) for b in spec["blocks"]]
        specs[str(key)] = spec
    return specs


#: Explicit structure of each supported NCSES table, as data (``ncses_tables.yaml``).
SPECS: dict[str, dict[str, Any]] = load_specs()

_MISSING = {"", "na", "NA", "n/a", "ne", "D", "S", "-", "—", "–", "*", "X", "x"}
_LIST_CELL = re.compile(r"^\[\s*'([^']*)'\s*,\s*'([^']*)'\s*\]$")
_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
_LABEL_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")


def parse_cell(raw: Any) -> tuple[float | None, str | None]:
    """``'13,052'`` → 13052.0; ``"['6,265', 'i']"`` → (6265.0, 'i'); ``'na'`` → (None, 'na')."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None, None
    text = str(raw).strip()
    flag: str | None = None
    m = _LIST_CELL.match(text)
    if m:
        text, flag = m.group(1).strip(), (m.group(2).replace("&nbsp;", "").strip() or None)
    if text in _MISSING:
        return None, (text or flag) or None
    if "," in text and not _THOUSANDS.fullmatch(text):
        raise ValueError(text)  # '2,5' is not a thousands-separated number
    try:
        return float(text.replace(",", "")), flag
    except ValueError:
        raise ValueError(text) from None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", clean_label(text).lower()).strip("_")


def _geo(label: str) -> tuple[str | None, str]:
    """Country ISO3 (or WLD) and clean label from an NCSES geography path segment."""
    text = _LABEL_YEAR.sub("", clean_label(label))
    return iso3(text), text


def _readme(folder: Path) -> tuple[str, str]:
    readme = folder / "README.md"
    if not readme.exists():
        return "", ""
    text = readme.read_text("utf-8", errors="replace")
    title = clean_label(text.splitlines()[0].lstrip("# ")) if text else ""
    units = re.search(r"\*\*Units:\*\*\s*(.+)", text)
    return title, clean_label(units.group(1)) if units else ""


def table_key(path: Path) -> str:
    """The SPECS key of a ``data.csv``: the table number of its folder, or MNE-* by title."""
    folder = path.parent
    title, _ = _readme(folder)
    for key, spec in SPECS.items():
        if "title" in spec and title.startswith(spec["title"]):
            return key
    m = re.match(r"^\d+_(.+)$", folder.name)
    key = m.group(1) if m else folder.name
    if key not in SPECS or "title" in SPECS[key]:  # titled specs match by title only
        raise SourceFormatError(
            path,
            f"NCSES table {key!r} ({title or 'no README title'}) has no encoded structure",
            expected=f"one of {', '.join(sorted(SPECS))}",
            hint="Lost-header tables need their row/column order encoded in "
            "techties/sources/ncses_tables.yaml before they can be read.",
        )
    return key


class _Rows:
    """Collects indicator rows for one table."""

    def __init__(self, path: Path, key: str, title: str) -> None:
        self.path, self.key, self.title = path, key, title
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        code: str,
        name: str,
        unit: str,
        label: str,
        year: int,
        raw: Any,
        *,
        file_row: int,
        column: str,
        partner: str | None = None,
        path: str | None = None,
    ) -> None:
        """One cell; ``path`` is the label's full path (``World -> Europe -> Other Europe``),
        used only to tell apart two labels that read the same (:meth:`disambiguate`)."""
        try:
            value, flag = parse_cell(raw)
        except ValueError:
            raise SourceFormatError(
                self.path,
                f"value {raw!r} is not a number",
                row=file_row,
                column=column,
                expected="a number or na/NA/D",
            ) from None
        iso, clean = _geo(label)
        p_iso, p_clean = _geo(partner) if partner else (None, None)
        self.rows.append(
            {
                "source": "ncses",
                "indicator": f"ncses:{self.key}:{code}",
                "name": f"{self.title} — {name}" if name else self.title,
                "unit": unit,
                "country": iso,
                "country_label": clean,
                "partner": p_iso,
                "partner_label": p_clean,
                "year": year,
                "value": value,
                "flag": flag,
                "_row": file_row,
                "_path": path,
            }
        )

    def disambiguate(self) -> None:
        """Qualify labels that collide: two paths with the same last segment (``Europe -> Other
        Europe`` and ``Europe -> Other Europe (2020)`` both read "Other Europe"; ``Africa ->
        Other`` and ``Asia -> Other``) become ``<parent> -> <label>`` — otherwise one indicator
        would hold two values for one label and year."""
        groups: dict[tuple[Any, ...], set[str | None]] = {}
        for r in self.rows:
            key = (r["indicator"], r["country_label"], r["partner_label"], r["year"])
            groups.setdefault(key, set()).add(r["_path"])
        for r in self.rows:
            key = (r["indicator"], r["country_label"], r["partner_label"], r["year"])
            if len(groups[key]) > 1 and r["_path"]:
                parts = [clean_label(p) for p in str(r["_path"]).split(" -> ")]
                r["country_label"] = " -> ".join(parts[-2:])


def _cells(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    require_columns(df, ["time_period", "value"], out.path, what="NCSES lost-header")
    slots = spec["slots"]
    for label, grp in df.groupby("time_period", sort=False):
        if len(grp) != len(slots):
            raise SourceFormatError(
                out.path,
                f"label {label!r} has {len(grp)} cells",
                row=int(grp.index[0]) + 2,
                column="time_period",
                expected=f"{len(slots)} cells per label ({slots[0]} … {slots[-1]})",
                hint="The table layout changed; update techties/sources/ncses_tables.yaml.",
            )
        for (i, raw), slot in zip(grp["value"].items(), slots, strict=True):
            if isinstance(slot, int):
                seg = str(label).split(" -> ")[-1]
                out.add(
                    spec["code"],
                    "",
                    spec["unit"],
                    seg,
                    slot,
                    raw,
                    file_row=int(str(i)) + 2,
                    column="value",
                    path=str(label),
                )


def _pairs(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    require_columns(df, ["time_period", "value"], out.path, what="NCSES lost-header")
    labels = list(dict.fromkeys(df["time_period"]))
    countries = list(dict.fromkeys(str(lb).split(" -> ")[-2] for lb in labels))
    partners = (["World"] if spec["with_world"] else []) + [c for c in countries if c != "World"]
    for label, grp in df.groupby("time_period", sort=False):
        parts = str(label).split(" -> ")
        if len(grp) != len(partners) or not parts[-1].isdigit():
            raise SourceFormatError(
                out.path,
                f"label {label!r} has {len(grp)} cells",
                row=int(grp.index[0]) + 2,
                column="time_period",
                expected=f"'<country> -> <year>' with {len(partners)} partner cells",
            )
        for (i, raw), partner in zip(grp["value"].items(), partners, strict=True):
            out.add(
                spec["code"],
                "",
                spec["unit"],
                parts[-2],
                int(parts[-1]),
                raw,
                file_row=int(str(i)) + 2,
                column="value",
                partner=partner,
            )


def _measures(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    require_columns(df, ["time_period", "value"], out.path, what="NCSES lost-header")
    df = df.assign(_key=df["time_period"].map(lambda s: _LABEL_YEAR.sub("", clean_label(str(s)))))
    n = len(spec["measures"])
    for key, grp in df.groupby("_key", sort=False):
        if len(grp) % n or len(grp) // n > len(spec["blocks"]):
            raise SourceFormatError(
                out.path,
                f"label {key!r} has {len(grp)} cells",
                row=int(grp.index[0]) + 2,
                column="time_period",
                expected=f"{n} cells per block ({', '.join(spec['measures'])})",
            )
        year_m = _LABEL_YEAR.search(clean_label(str(grp["time_period"].iloc[0])))
        if not year_m:
            raise SourceFormatError(
                out.path,
                f"label {grp['time_period'].iloc[0]!r} has no year",
                row=int(grp.index[0]) + 2,
                column="time_period",
                expected="'Country (YYYY)'",
            )
        for k, (i, raw) in enumerate(grp["value"].items()):
            block_code, unit = spec["blocks"][k // n]
            measure = spec["measures"][k % n]
            out.add(
                f"{spec['code']}_{measure}_{block_code}",
                f"{measure} ({unit})",
                unit,
                str(key),
                int(year_m.group(1)),
                raw,
                file_row=int(str(i)) + 2,
                column="value",
            )


def _path_column(df: pd.DataFrame, path: Path) -> str:
    cols = [c for c in df.columns if str(c).endswith("full_path")]
    if not cols:
        raise SourceFormatError(
            path, "no '*_full_path' column", column="full_path", expected="the NCSES wide layout"
        )
    return str(cols[0])


def _records(df: pd.DataFrame) -> Iterator[tuple[Any, dict[Any, Any]]]:
    """``df.iterrows()`` with each row as a dict of the same cells (the objects of
    ``df.to_numpy(dtype=object)``, as iterrows gives them) instead of a Series built per row."""
    columns = list(df.columns)
    for i, row in zip(df.index, df.to_numpy(dtype=object), strict=True):
        yield i, dict(zip(columns, row, strict=True))


def _wide(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    pcol = _path_column(df, out.path)
    ycols = [c for c in df.columns if re.fullmatch(r"field_\d{4}", str(c))]
    if not ycols:
        raise SourceFormatError(
            out.path,
            "no 'field_<year>' columns",
            column="field_YYYY",
            expected="year columns field_2003 …",
        )
    for i, rec in _records(df):
        parts = [clean_label(p) for p in str(rec[pcol]).split(" -> ")]
        if "measure_start" in spec:
            if spec["measure_start"] not in parts:
                continue  # geography header rows carry no values
            k = parts.index(spec["measure_start"])
            geo, measure = parts[k - 1], " -> ".join(parts[k:]) or "Total"
        elif spec.get("geo") == "last":  # "Exports -> World -> China": measure = first segment
            geo, measure = parts[-1], parts[0]
        else:
            k = spec["geo_depth"]
            geo, measure = parts[k - 1], " -> ".join(parts[k:]) or "Total"
        for c in ycols:
            raw = rec[c]
            if raw is None or (isinstance(raw, float) and pd.isna(raw)) or str(raw).strip() == "":
                continue  # header rows hold no cells
            out.add(
                f"{spec['code']}:{_slug(measure)}",
                measure,
                spec["unit"],
                geo,
                int(str(c)[-4:]),
                raw,
                file_row=int(str(i)) + 2,
                column=str(c),
            )


def _wide_years(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    label_col = df.columns[2]
    ycols = [c for c in df.columns if re.fullmatch(r"\d{4}", str(c))]
    if not ycols:
        raise SourceFormatError(
            out.path, "no year columns", column="2003", expected="columns named by year"
        )
    for i, rec in _records(df):
        for c in ycols:
            out.add(
                spec["code"],
                "",
                spec["unit"],
                spec["country"],
                int(str(c)),
                rec[c],
                file_row=int(str(i)) + 2,
                column=str(c),
                partner=str(rec[label_col]),
            )


def _levels(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    lcols = [c for c in df.columns if re.search(r"_level_\d$", str(c))]
    require_columns(df, ["time_period", "value"], out.path, what="NCSES long")
    for i, rec in _records(df):
        levels = [
            clean_label(str(rec[c])) for c in lcols if isinstance(rec[c], str) and rec[c].strip()
        ]
        if not levels:
            continue
        when, measure = levels[-1], levels[:-1]
        label = clean_label(str(rec["time_period"]))
        label_year = _LABEL_YEAR.search(label)
        span = re.fullmatch(r"(\d{4})\s*[–-]\s*(\d{2,4})a?", when)
        if span:
            end = span.group(2)
            year = int(end) if len(end) == 4 else int(span.group(1)[:2] + end)
            measure = [*measure, f"{span.group(1)}-{year}"]
        elif re.fullmatch(r"\d{4}a?", when):
            year = int(when[:4])
            if when.endswith("a") and label_year:  # "2021a" = 2021 or the latest year in label
                year = int(label_year.group(1))
        else:
            raise SourceFormatError(
                out.path,
                f"level {when!r} is not a year or period",
                row=int(str(i)) + 2,
                column=str(lcols[-1]),
                expected="YYYY, YYYYa or YYYY–YY",
            )
        name = " -> ".join(measure)
        out.add(
            f"{spec['code']}:{_slug(name)}",
            name,
            spec["unit"],
            label.split(" -> ")[-1],
            year,
            rec["value"],
            file_row=int(str(i)) + 2,
            column="value",
        )


def _mne(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    pcol = _path_column(df, out.path)
    fcols = [c for c in df.columns if str(c).startswith("field_")]
    m = re.search(r":\s*(\d{4})\s*$", out.title)
    if not m:
        raise SourceFormatError(
            out.path,
            f"README title {out.title!r} names no survey year",
            expected="a title ending ': YYYY'",
        )
    year = int(m.group(1))
    for i, rec in _records(df):
        parts = [clean_label(p) for p in str(rec[pcol]).split(" -> ")]
        geo = parts[-1]
        geo = "World" if geo in {"Total", "All locations"} else geo
        for c in fcols:
            measure = str(c).removeprefix("field_")
            out.add(
                f"{spec['code']}:{measure}",
                measure.replace("_", " "),
                spec["unit"],
                geo,
                year,
                rec[c],
                file_row=int(str(i)) + 2,
                column=str(c),
            )


_PAIR_COL = re.compile(r"field_(\d{4})(?:_(\d{2}))?_([a-z_]+)")


def _year_measure_cols(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    """Columns ``field_<year>_<measure>`` (and pooled ``field_<y1>_<yy>_<measure>``)."""
    pcol = _path_column(df, out.path)
    cols = [(c, m) for c in df.columns if (m := _PAIR_COL.fullmatch(str(c)))]
    if not cols:
        raise SourceFormatError(
            out.path,
            "no 'field_<year>_<measure>' columns",
            column="field_YYYY_x",
            expected="e.g. field_2017_number",
        )
    for i, rec in _records(df):
        geo = clean_label(str(rec[pcol]).split(" -> ")[-1])
        for c, m in cols:
            measure = m.group(3)
            year = int(m.group(1))
            if m.group(2):  # pooled period, e.g. 2017_23
                year = int(m.group(1)[:2] + m.group(2))
                measure = f"{measure}_pooled_{m.group(1)}_{year}"
            unit = spec["units"].get(m.group(3), "")
            out.add(
                f"{spec['code']}:{measure}",
                measure.replace("_", " "),
                unit,
                geo,
                year,
                rec[c],
                file_row=int(str(i)) + 2,
                column=str(c),
                path=str(rec[pcol]),
            )


def _blocks(df: pd.DataFrame, spec: dict[str, Any], out: _Rows) -> None:
    """Stacked blocks: a row with an empty path names the block (text in the first year cell)."""
    pcol = _path_column(df, out.path)
    ycols = [c for c in df.columns if re.fullmatch(r"field_\d{4}", str(c))]
    block = ""
    for i, rec in _records(df):
        path = clean_label(str(rec[pcol]))
        if not path:
            block = clean_label(str(rec[ycols[0]]))
            continue
        if not block:
            raise SourceFormatError(
                out.path,
                "data row before any block label row",
                row=int(str(i)) + 2,
                column=pcol,
                expected="a label row opening each block",
            )
        measure = f"{block} -> {path.split(' -> ')[-1]}"
        for c in ycols:
            out.add(
                f"{spec['code']}:{_slug(measure)}",
                measure,
                spec["unit"],
                spec["country"],
                int(str(c)[-4:]),
                rec[c],
                file_row=int(str(i)) + 2,
                column=str(c),
            )


_LAYOUTS = {
    "cells": _cells,
    "pairs": _pairs,
    "measures": _measures,
    "wide": _wide,
    "wide_years": _wide_years,
    "levels": _levels,
    "mne": _mne,
    "year_measure_cols": _year_measure_cols,
    "blocks": _blocks,
}


@register
class NCSES(Source):
    """NSF/NCSES S&E Indicators and BERD tables in the ncses_stats_explorer CSV layout."""

    name = "ncses"
    table = "indicators"
    title = "NSF/NCSES Science & Engineering Indicators tables"
    homepage = "https://ncses.nsf.gov/indicators"
    patterns = ("*/data.csv", "data.csv")

    def read(self, path: Path) -> pa.Table:
        key = table_key(path)
        spec = SPECS[key]
        title, _ = _readme(path.parent)
        df = read_frame(path, dtype_str=True)
        out = _Rows(path, key, title or key)
        _LAYOUTS[spec["layout"]](df, spec, out)
        if not out.rows:
            raise SourceFormatError(path, "no values found", expected=f"the {key} layout")
        out.disambiguate()
        return indicator_table(out.rows)

    def version(self, path: Path) -> str | None:
        title, _ = _readme(path.parent)
        return f"{path.parent.name}: {title}" if title else path.parent.name
