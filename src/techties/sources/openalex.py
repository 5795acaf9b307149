"""OpenAlex country co-authorship networks (Batagelj, Pajek files in ``WrldCo_years.zip``).

The zip holds one network per year 1990–2023: ``WrldCo<YEAR>.net`` (251 vertices labelled by
ISO-2 code; symmetric weighted arcs = number of works co-authored by the two countries, listed in
both directions; the loop on a vertex is that country's own value), ``WrldCo<YEAR>T.vec`` (number
of co-authored works per country) and ``WrldCo<YEAR>G.clu`` (number of partner countries).

Rows written to ``indicators`` (source ``openalex``):

- ``openalex:coauthored_works`` — country × partner × year, works with at least one author from
  each (whole counting; both directions stored, so filter ``country='USA' AND partner='CHN'``);
- ``openalex:loop`` — the loop value of each country (meaning per the author's countries.pdf,
  not staged; not used for pair counts);
- ``openalex:coauthored_works_total`` (T.vec) and ``openalex:partner_countries`` (G.clu).

Vertices whose ISO-2 label has no ISO-3 code keep the label and a NULL code.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources._tech_common import INDICATOR_SCHEMA, iso3_from_iso2
from techties.sources.base import Source, register

_NET = re.compile(r"^WrldCo(\d{4})\.net$")
_VEC = re.compile(r"^WrldCo(\d{4})([TG])\.(vec|clu)$")
NAMES = {
    "openalex:coauthored_works": ("Works co-authored by the two countries", "works"),
    "openalex:loop": ("Loop value of the country in the co-authorship network", "works"),
    "openalex:coauthored_works_total": ("Co-authored works of the country", "works"),
    "openalex:partner_countries": ("Number of co-authoring partner countries", "countries"),
}


def _sections(text: str, where: str) -> tuple[list[str], list[str]]:
    """Vertex labels and the lines after ``*arcs``/``*edges`` (or the vector values)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("%")]
    if not lines or not lines[0].lower().startswith("*vertices"):
        raise SourceFormatError(where, "no '*vertices' line", row=1, expected="a Pajek file")
    return lines[0].split(), lines[1:]


def _parse_net(text: str, where: str, year: int) -> tuple[list[str], pd.DataFrame]:
    m = re.search(r"^\*(arcs|edges)\b.*$", text, flags=re.IGNORECASE | re.MULTILINE)
    if not m:
        raise SourceFormatError(where, "no '*arcs' section", expected="*arcs")
    head, body = _sections(text[: m.start()], where)
    n = int(head[1])
    labels: list[str] = []
    for i, ln in enumerate(body[:n], start=2):
        vm = re.match(r'^(\d+)\s+"([^"]*)"', ln)
        if not vm or int(vm.group(1)) != len(labels) + 1:
            raise SourceFormatError(
                where, f"bad vertex line {ln!r}", row=i, expected="'<number> \"<ISO2>\"' in order"
            )
        labels.append(vm.group(2))
    arcs_text = text[m.end() :].strip()
    if not arcs_text:
        return labels, pd.DataFrame({"i": [], "j": [], "w": [], "year": []})
    try:
        arr = pd.read_csv(
            io.StringIO(arcs_text),
            sep=r"\s+",
            header=None,
            usecols=[0, 1, 2],
            dtype=float,
            engine="c",
        ).to_numpy()
    except (ValueError, pd.errors.ParserError) as exc:
        raise SourceFormatError(
            where, f"arc line is not 'i j weight': {exc}", expected="three numbers per arc"
        ) from exc
    if np.isnan(arr).any():
        raise SourceFormatError(
            where, "arc line with a missing number", expected="three numbers per arc"
        )
    if arr[:, :2].min() < 1 or arr[:, :2].max() > n:
        raise SourceFormatError(
            where, "arc refers to a vertex that does not exist", expected=f"vertex numbers 1..{n}"
        )
    df = pd.DataFrame(
        {
            "i": arr[:, 0].astype(int) - 1,
            "j": arr[:, 1].astype(int) - 1,
            "w": arr[:, 2],
            "year": year,
        }
    )
    return labels, df


def _parse_vec(text: str, where: str) -> np.ndarray:
    head, body = _sections(text, where)
    try:
        vals = np.array(body[: int(head[1])], dtype=float)
    except ValueError as exc:
        raise SourceFormatError(where, f"value is not a number: {exc}", expected="numbers") from exc
    return vals


@register
class OpenAlexCoauthorship(Source):
    """OpenAlex world co-authorship networks by year (Pajek files in a zip)."""

    name = "openalex_coauthorship"
    table = "indicators"
    title = "OpenAlex country co-authorship networks 1990–2023 (Batagelj)"
    homepage = "https://github.com/bavla/OpenAlex/tree/main/Countries"
    patterns = ("WrldCo*.zip",)

    def read(self, path: Path) -> pa.Table:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceFormatError(
                path, f"not a zip archive: {exc}", expected="WrldCo_years.zip"
            ) from exc
        frames: list[pd.DataFrame] = []
        labels: list[str] | None = None
        vecs: list[pd.DataFrame] = []
        with zf:
            names = sorted(zf.namelist())
            if not any(_NET.match(n) for n in names):
                raise SourceFormatError(
                    path,
                    "no WrldCo<YEAR>.net member",
                    expected="Pajek networks named WrldCo<YEAR>.net",
                )
            for member in names:
                text = zf.read(member).decode("utf-8-sig", errors="strict")
                where = f"{path}!{member}"
                if m := _NET.match(member):
                    labels, df = _parse_net(text, where, int(m.group(1)))
                    frames.append(df)
                elif m := _VEC.match(member):
                    vals = _parse_vec(text, where)
                    code = (
                        "openalex:coauthored_works_total"
                        if m.group(2) == "T"
                        else "openalex:partner_countries"
                    )
                    vecs.append(
                        pd.DataFrame(
                            {
                                "i": np.arange(len(vals)),
                                "w": vals,
                                "year": int(m.group(1)),
                                "indicator": code,
                            }
                        )
                    )
        assert labels is not None
        return self._table(labels, pd.concat(frames, ignore_index=True), vecs)

    def _table(self, labels: list[str], arcs: pd.DataFrame, vecs: list[pd.DataFrame]) -> pa.Table:
        iso = [iso3_from_iso2(x) for x in labels]
        loop = arcs["i"].to_numpy() == arcs["j"].to_numpy()
        parts = [
            _part("openalex:coauthored_works", arcs[~loop], labels, iso, with_partner=True),
            _part("openalex:loop", arcs[loop], labels, iso, with_partner=False),
        ]
        parts += [
            _part(str(v["indicator"].iloc[0]), v, labels, iso, with_partner=False) for v in vecs
        ]
        return pa.concat_tables(parts)


def _coded(idx: np.ndarray, values: Sequence[str | None]) -> pa.Array:
    """Strings looked up by integer index, built as a dictionary array then cast (fast)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(idx, pa.int32()), pa.array(values, pa.string())
    ).cast(pa.string())


def _const(n: int, value: str | None) -> pa.Array:
    return _coded(np.zeros(n, dtype=np.int32), [value])


def _part(
    code: str, df: pd.DataFrame, labels: list[str], iso: list[str | None], *, with_partner: bool
) -> pa.Table:
    n = len(df)
    i = df["i"].to_numpy()
    j = df["j"].to_numpy() if with_partner else None
    name, unit = NAMES[code]
    cols = {
        "source": _const(n, "openalex"),
        "indicator": _const(n, code),
        "name": _const(n, name),
        "unit": _const(n, unit),
        "country": _coded(i, iso),
        "country_label": _coded(i, labels),
        "partner": _coded(j, iso) if j is not None else _const(n, None),
        "partner_label": _coded(j, labels) if j is not None else _const(n, None),
        "year": pa.array(df["year"].to_numpy().astype(np.int16)),
        "value": pa.array(df["w"].to_numpy().astype(float)),
        "flag": _const(n, None),
    }
    return pa.table(cols, schema=INDICATOR_SCHEMA)
