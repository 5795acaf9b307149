"""Classification tables: HS6 across HS vintages, HS6 → BEC, HS6 → US HTS8.

- ``hs_correlation`` reads the consolidated UN/WCO correlation tables of the Comtrade
  conversion-weights project (``code.after, code.before, Relationship, adjustment`` with
  ``adjustment`` = ``"2022 to 2017"`` …). Each HS step is written in both directions; the
  weight of a link is **equal split**: 1 / (number of target codes of the source code), so the
  weights of every source code sum to 1 (trade-weighted splits are computed at conversion time,
  see :mod:`techties.indicators.concordance`). Steps to SITC (``1992 to 1988`` …) are not HS
  vintages and are outside this table; they are counted in the version string.
  Caveat: the 2022→2017 step lists every pair inside n:n groups, so splits there spread over
  the whole group.
- ``hs_bec`` reads the UN HS2017 → BEC Rev.4 correlation (``HS 2017, BEC, Relationship``).
- ``hs_hts_tree`` reads HS6 → HTS8 membership files (``hs6_<year>, hts8_<year>``).

Codes arrive numeric-looking (leading zeros lost): they are left-padded to 6 (HS) / 8 (HTS)
digits; anything that is not 1–6 (1–8) digits is an error naming the row.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import SourceFormatError, UnknownCodeError
from techties.sources.base import Source, register
from techties.sources.containers import (
    map_codes,
    read_frame,
    require_columns,
    require_no_blanks,
    require_pattern,
)

HS_STEPS = {
    "2022 to 2017": ("HS2022", "HS2017"),
    "2017 to 2012": ("HS2017", "HS2012"),
    "2012 to 2007": ("HS2012", "HS2007"),
    "2007 to 2002": ("HS2007", "HS2002"),
    "2002 to 1996": ("HS2002", "HS1996"),
    "1996 to 1992": ("HS1996", "HS1992"),
}
NON_HS_STEPS = {"1992 to 1988", "1988 to 1976", "1976 to 1962"}
_FLIP = {"1:1": "1:1", "1:n": "n:1", "n:1": "1:n", "n:n": "n:n"}
#: columns of the ``hs_concordance`` table, in order
LINK_COLUMNS = [
    "from_vintage",
    "from_code",
    "to_vintage",
    "to_code",
    "relationship",
    "weight",
    "weight_basis",
]


def pad_codes(
    s: pd.Series, width: int, path: Path, column: str, *, header_rows: int = 1
) -> pd.Series:
    """Left-pad numeric-looking codes with zeros; reject anything that is not 1–width digits."""
    text = require_pattern(
        s, rf"\d{{1,{width}}}", path, column, label="code", kind=f"a {width}-digit code",
        expected=f"1–{width} digits", header_rows=header_rows,
    )  # fmt: skip
    return text.str.zfill(width)


def relationship(s: pd.Series, path: Path, column: str) -> pd.Series:
    """Normalise relationship labels ('1:01' Excel artefacts → '1:1'); unknown → error."""
    text = s.astype("string").str.strip().str.lower().str.replace(r":0(\d)", r":\1", regex=True)
    bad = ~text.isin(list(_FLIP))
    if bad.any():
        counts = text[bad].fillna("<blank>").value_counts().to_dict()
        raise UnknownCodeError(
            path,
            column,
            {str(k): int(v) for k, v in counts.items()},
            first_row=int(np.argmax(bad.to_numpy())) + 2,
            expected="1:1, 1:n, n:1 or n:n",
        )
    return text


def _links(frm: pd.Series, to: pd.Series, rel: pd.Series, fv: str, tv: str) -> pd.DataFrame:
    df = pd.DataFrame(
        {"from_code": frm.to_numpy(), "to_code": to.to_numpy(), "relationship": rel.to_numpy()}
    ).drop_duplicates(["from_code", "to_code"])
    df["weight"] = 1.0 / df.groupby("from_code")["to_code"].transform("size")
    df["from_vintage"], df["to_vintage"], df["weight_basis"] = fv, tv, "equal"
    return df


@register
class HSCorrelation(Source):
    """UN/WCO HS correlation tables (consolidated Comtrade layout), all HS steps 1992–2022."""

    name = "hs_correlation"
    table = "hs_concordance"
    title = "HS6 correlation across HS vintages (UN/WCO tables, consolidated)"
    homepage = "https://unstats.un.org/unsd/classifications/Econ"
    patterns = ("HS_consolidated*.csv",)

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, dtype_str=True)
        cols = ["code.after", "code.before", "Relationship", "adjustment"]
        require_columns(df, cols, path, what="consolidated HS correlation")
        for c in cols:
            require_no_blanks(df[c], path, c)
        known = {step: step for step in [*HS_STEPS, *NON_HS_STEPS]}
        steps = map_codes(
            df["adjustment"], known, path, "adjustment", expected=f"one of {', '.join(HS_STEPS)}"
        )
        hs = df[steps.isin(list(HS_STEPS))].reset_index(drop=True)
        after = pad_codes(hs["code.after"], 6, path, "code.after")
        before = pad_codes(hs["code.before"], 6, path, "code.before")
        rel = relationship(hs["Relationship"], path, "Relationship")
        parts = []
        for step, (new, old) in HS_STEPS.items():
            m = (hs["adjustment"].str.strip() == step).to_numpy()
            if not m.any():
                continue
            parts.append(_links(after[m], before[m], rel[m], new, old))
            parts.append(_links(before[m], after[m], rel[m].map(_FLIP), old, new))
        out = pd.concat(parts, ignore_index=True)
        return pa.Table.from_pandas(out[LINK_COLUMNS], preserve_index=False)

    def version(self, path: Path) -> str | None:
        return "UN/WCO HS correlation tables 1992–2022 (consolidated); SITC steps not loaded"


@register
class HSBec(Source):
    """UN correlation HS2017 → BEC Rev.4."""

    name = "hs_bec"
    table = "hs_bec"
    title = "HS 2017 → BEC Rev.4 correlation (UN)"
    homepage = "https://unstats.un.org/unsd/classifications/Econ"
    patterns = ("hs*_bec.csv",)

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, dtype_str=True)
        hs_col = next((c for c in df.columns if re.fullmatch(r"HS ?\d{4}", str(c).strip())), None)
        if hs_col is None:
            raise SourceFormatError(
                path,
                "no 'HS <year>' column",
                column="HS 2017",
                expected="columns 'HS 2017', 'BEC', 'Relationship'",
            )
        require_columns(df, ["BEC"], path, what="HS → BEC correlation")
        require_no_blanks(df["BEC"], path, "BEC")
        vintage = "HS" + re.sub(r"\D", "", str(hs_col))
        out = pd.DataFrame(
            {
                "hs_vintage": vintage,
                "hs_code": pad_codes(df[hs_col], 6, path, str(hs_col)),
                "bec_code": df["BEC"].str.strip(),
                "relationship": relationship(df["Relationship"], path, "Relationship")
                if "Relationship" in df.columns
                else None,
            }
        )
        return pa.Table.from_pandas(out, preserve_index=False)


@register
class HSHtsTree(Source):
    """HS6 → US HTS8 membership for one HS revision (``hs6_<year>, hts8_<year>``)."""

    name = "hs_hts_tree"
    table = "hs6_hts8"
    title = "HS6 → US HTS8 trees (by HS revision)"
    homepage = "https://hts.usitc.gov"
    patterns = ("hs_tree_*.csv",)

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, dtype_str=True)
        hs_col = next((c for c in df.columns if re.fullmatch(r"hs6_\d{4}", str(c))), None)
        hts_col = next((c for c in df.columns if re.fullmatch(r"hts8_\d{4}", str(c))), None)
        if hs_col is None or hts_col is None:
            raise SourceFormatError(
                path,
                "no 'hs6_<year>'/'hts8_<year>' columns",
                column="hs6_YYYY",
                expected="hs6_2017, hts8_2017",
            )
        hs6 = pad_codes(df[hs_col], 6, path, str(hs_col))
        hts8 = pad_codes(df[hts_col], 8, path, str(hts_col))
        bad = (hts8.str[:6] != hs6).to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise SourceFormatError(
                path,
                f"HTS8 {hts8.iloc[i]} is not under HS6 {hs6.iloc[i]}",
                row=i + 2,
                column=str(hts_col),
                expected="an HTS8 code starting with its HS6 code",
            )
        out = pd.DataFrame({"vintage": "HS" + str(hs_col)[-4:], "hs6": hs6, "hts8": hts8})
        return pa.Table.from_pandas(out.drop_duplicates(), preserve_index=False)


@register
class HSConversion(Source):
    """UN HS conversion (new → old, one old code per new code), e.g. HS2022 → HS2017.

    Written in both directions: new → old with weight 1 (n:1 or 1:1) and old → new split equally
    over the new codes converted to it. For a pair of vintages where both this table and
    ``hs_correlation`` are in the store, :mod:`techties.indicators.concordance` uses this one:
    the consolidated 2022→2017 correlation links every pair inside n:n groups (HS2017 854110
    diodes would be spread over seven HS2022 codes), the conversion does not.
    """

    name = "hs_conversion"
    table = "hs_concordance"
    title = "HS6 conversion between adjacent HS vintages (UN conversion tables)"
    homepage = "https://unstats.un.org/unsd/classifications/Econ"
    patterns = ("concord_hs6_*_to_*.csv",)

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, dtype_str=True)
        cols = [c for c in df.columns if re.fullmatch(r"hs6_\d{4}", str(c).strip())]
        if len(cols) != 2:
            raise SourceFormatError(
                path,
                "expected two 'hs6_<year>' columns",
                column="hs6_YYYY",
                expected="hs6_2022, hs6_2017",
            )
        new_col, old_col = sorted(cols, key=lambda c: -int(str(c)[-4:]))
        return conversion_links(df[new_col], df[old_col], path, str(new_col), str(old_col))


def conversion_links(
    new_raw: pd.Series,
    old_raw: pd.Series,
    path: Path,
    new_col: str,
    old_col: str,
    *,
    header_rows: int = 1,
) -> pa.Table:
    """Links of a conversion table (one old code per new code), both directions."""
    new = pad_codes(new_raw.reset_index(drop=True), 6, path, new_col, header_rows=header_rows)
    old = pad_codes(old_raw.reset_index(drop=True), 6, path, old_col, header_rows=header_rows)
    dup = new.duplicated().to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        raise SourceFormatError(
            path,
            f"{new_col} code {new.iloc[i]} converted twice",
            row=i + 1 + header_rows,
            column=new_col,
            expected="one row per new code",
        )
    n_new = old.map(old.value_counts())
    rel_new_old = pd.Series(np.where(n_new > 1, "n:1", "1:1"))
    nv = "HS" + re.sub(r"\D", "", new_col)[-4:]
    ov = "HS" + re.sub(r"\D", "", old_col)[-4:]
    out = pd.concat(
        [_links(new, old, rel_new_old, nv, ov), _links(old, new, rel_new_old.map(_FLIP), ov, nv)],
        ignore_index=True,
    )
    return pa.Table.from_pandas(out[LINK_COLUMNS], preserve_index=False)


@register
class HSConversionUN(Source):
    """The conversion sheet of a UN 'HS <new> to HS <old>' correlation/conversion workbook.

    The header may span two rows ('From'/'To' above 'HS 2012'/'HS 2007') or one ('From HS2022',
    'To HS2017'); the vintages are read from it. Written like ``hs_conversion`` (preferred over
    correlation links for the codes it has).
    """

    name = "hs_conversion_un"
    table = "hs_concordance"
    title = "HS6 conversion, UN correlation/conversion workbooks (.xls/.xlsx)"
    homepage = "https://unstats.un.org/unsd/classifications/Econ"
    patterns = ("HS * to HS *.xls*",)

    def read(self, path: Path) -> pa.Table:
        import pandas as _pd

        try:
            sheets = _pd.ExcelFile(path, engine="calamine").sheet_names
        except Exception as exc:
            raise SourceFormatError(
                path, f"not a readable workbook: {exc}", expected="the UN .xls/.xlsx workbook"
            ) from exc
        sheet = next((sh for sh in sheets if "conversion" in str(sh).lower()), None)
        if sheet is None:
            raise SourceFormatError(
                path,
                f"no conversion sheet among {sheets}",
                expected="a sheet named like 'Conversion HS12-HS07'",
            )
        df = read_frame(path, dtype_str=True, sheet=sheet)
        grid = [[str(c) for c in df.columns], *df.head(4).astype(str).values.tolist()]
        for k, row in enumerate(grid):
            years = [re.search(r"(?:19|20)\d{2}", str(c)) for c in row[:2]]
            if all(years):
                new_col, old_col = (f"HS{y.group(0)}" for y in years if y)
                data = df.iloc[k:, :2]  # grid row k = header (k=0) or data row k-1
                return conversion_links(
                    data.iloc[:, 0], data.iloc[:, 1], path, new_col, old_col, header_rows=k + 1
                )
        raise SourceFormatError(
            path,
            "no header naming the two HS vintages",
            row=1,
            column=str(df.columns[0]),
            expected="headers like 'HS 2012' / 'HS 2007'",
        )
