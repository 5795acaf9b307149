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

import re
import zipfile
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
    head, body = _sections(text, where)
    n = int(head[1])
    labels: list[str] = []
    for i, ln in enumerate(body[:n], start=2):
        m = re.match(r'^(\d+)\s+"([^"]*)"', ln)
        if not m or int(m.group(1)) != len(labels) + 1:
            raise SourceFormatError(
                where, f"bad vertex line {ln!r}", row=i, expected="'<number> \"<ISO2>\"' in order"
            )
        labels.append(m.group(2))
    rest = body[n:]
    if not rest or not rest[0].lower().startswith(("*arcs", "*edges")):
        raise SourceFormatError(where, "no '*arcs' section", row=n + 2, expected="*arcs")
    try:
        arr = np.array([ln.split()[:3] for ln in rest[1:]], dtype=float)
    except ValueError as exc:
        raise SourceFormatError(
            where, f"arc line is not 'i j weight': {exc}", expected="three numbers per arc"
        ) from exc
    if arr.size and (arr[:, :2].min() < 1 or arr[:, :2].max() > n):
        raise SourceFormatError(
            where, "arc refers to a vertex that does not exist", expected=f"vertex numbers 1..{n}"
        )
    df = (
        pd.DataFrame(
            {
                "i": arr[:, 0].astype(int) - 1,
                "j": arr[:, 1].astype(int) - 1,
                "w": arr[:, 2],
                "year": year,
            }
        )
        if arr.size
        else pd.DataFrame(columns=["i", "j", "w", "year"])
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
        lab = np.array(labels, dtype=object)
        iso = np.array([iso3_from_iso2(x) for x in labels], dtype=object)
        loop = arcs["i"].to_numpy() == arcs["j"].to_numpy()
        pair = pd.DataFrame(
            {
                "indicator": np.where(loop, "openalex:loop", "openalex:coauthored_works"),
                "country": iso[arcs["i"]],
                "country_label": lab[arcs["i"]],
                "partner": pd.Series(iso[arcs["j"]]).mask(loop),
                "partner_label": pd.Series(lab[arcs["j"]]).mask(loop),
                "year": arcs["year"].astype("int16"),
                "value": arcs["w"].astype(float),
            }
        )
        parts = [pair]
        for v in vecs:
            parts.append(
                pd.DataFrame(
                    {
                        "indicator": v["indicator"],
                        "country": iso[v["i"]],
                        "country_label": lab[v["i"]],
                        "partner": None,
                        "partner_label": None,
                        "year": v["year"].astype("int16"),
                        "value": v["w"],
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True)
        out["source"] = "openalex"
        out["name"] = out["indicator"].map(lambda c: NAMES[c][0])
        out["unit"] = out["indicator"].map(lambda c: NAMES[c][1])
        out["flag"] = None
        return pa.Table.from_pandas(
            out[INDICATOR_SCHEMA.names], schema=INDICATOR_SCHEMA, preserve_index=False
        )
