"""Model inputs: the GE baselines and input–output tables the simulations and checkers use.

Each file becomes rows of the ``model_inputs`` table (named arrays, see
:mod:`techties.sources._arrays`), so a model result traces back to files through provenance
like any other number. The sources and their files (CATALOG-trade §9–10):

* ``cp2015`` — Caliendo & Parro (2015) replication data, 1993: ``xbilat1993.txt`` (thousand
  USD), ``tariffs1993.txt``, ``tariffs2005.txt`` (percent), ``IO.txt``, ``B.txt``, ``GO.txt``
  (USD), ``T.txt`` (θ): tab-separated matrices, one array each named after the file stem.
* ``eora_cp`` — the Eora26 2017 Caliendo–Parro-ready baseline ``data.npz`` (37 × 23, thousand
  USD): every array of the file (``pi``, ``tilde_tau``, ``gamma`` …) under dataset ``eora2017``.
* ``icio_tariffwar`` — OECD ICIO 2023 cubes ``ICIO20xx.mat`` (81 × 28) and ``WIOD2014.mat``
  (44 × 16), MATLAB v7.3: ``Xjik_3D[s, j, i]`` flows (USD million), ``tjik_3D`` tariffs
  (decimals), ``sigma:<SRC>`` trade elasticities; dataset = file stem in lower case.
* ``liberation_day`` — the 194-country 2023 matrix ``trade_cepii.csv`` (thousand USD; blank
  cells are pairs with no recorded trade, stored as 0), ``country_labels.csv`` and the 2 April
  2025 US schedule ``tariffs.csv`` (decimals).
* ``ruv_icio`` — ICIO 2021 input–output shares by year (``io_allyears.xlsx``, sheets IO20xx) and
  value-added shares (``va_shares_allyears.xlsx``) on 14 sectors: one matrix per sheet with its
  row labels and column names.
* ``bown_waves`` — Bown (2021) ``TrumpTariffs-CHN-hs6.dta``: the change in the US tariff on
  Chinese goods (pp, HS6 mean of HTS8) in each trade-war wave, one column per wave
  (``TT301_a`` … ``TT301_f``, ``TT232_1`` …; signed: the Phase One cut is −7.5), dataset
  ``bown_waves_hs6``, frame ``waves`` with label ``waves:hs06`` (six-digit codes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import ConfigError, SourceFormatError
from techties.sources._arrays import array_rows, concat, text_rows
from techties.sources.base import Source, register
from techties.sources.containers import read_frame, require_columns, to_number

#: CP (2015): 31 regions, 40 sectors of which 20 traded; the shape of each file (rows, columns)
CP_N, CP_J, CP_JT = 31, 40, 20
CP_SHAPES = {
    "xbilat1993": (CP_JT * CP_N, CP_N),
    "tariffs1993": (CP_JT * CP_N, CP_N),
    "tariffs2005": (CP_JT * CP_N, CP_N),
    "IO": (CP_N * CP_J, CP_J),
    "B": (CP_J, CP_N),
    "GO": (CP_J, CP_N),
    "T": (CP_JT, 1),
}
#: the published IO.txt has one negative coefficient (−0.00085, region 5 × sector 20); the
#: replication code keeps it, and so do we
CP_SIGNED = {"IO"}
CP_UNITS = {"xbilat1993": "thousand USD", "GO": "USD", "tariffs1993": "percent",
            "tariffs2005": "percent"}  # fmt: skip
#: Eora arrays the baseline needs, and the ones that may be negative (trade deficits)
EORA_NEED = ("country_list", "sector_list", "alpha", "beta", "gamma", "theta", "pi", "X",
             "tilde_tau", "V", "D")  # fmt: skip
EORA_SIGNED = {"D"}


def _matrix(path: Path, shape: tuple[int, int]) -> np.ndarray:
    try:
        arr = np.loadtxt(path, dtype=float, ndmin=2)
    except ValueError as exc:
        raise SourceFormatError(path, f"not a numeric tab-separated matrix: {exc}") from None
    if arr.shape != shape and arr.size == shape[0] * shape[1]:
        arr = arr.reshape(shape)
    if arr.shape != shape:
        raise SourceFormatError(
            path, f"matrix has shape {arr.shape}", expected=f"{shape[0]} x {shape[1]} numbers"
        )
    return arr


@register
class CP2015(Source):
    """Caliendo–Parro (2015) replication matrices (one file per array)."""

    name = "cp2015"
    table = "model_inputs"
    title = "Caliendo & Parro (2015) replication data, 1993 (31 regions x 40 sectors)"
    homepage = "https://academic.oup.com/restud/article/82/1/1/1547758"
    patterns = ("*.txt",)

    def read(self, path: Path) -> pa.Table:
        stem = path.stem
        if stem not in CP_SHAPES:
            raise SourceFormatError(
                path, "not one of the Caliendo–Parro replication files",
                expected=", ".join(f"{k}.txt" for k in CP_SHAPES),
            )  # fmt: skip
        arr = _matrix(path, CP_SHAPES[stem])
        return array_rows(
            path, "cp2015", stem, arr, unit=CP_UNITS.get(stem), signed=stem in CP_SIGNED
        )

    def version(self, path: Path) -> str | None:
        return "1993"


@register
class EoraCP(Source):
    """The Eora26 2017 Caliendo–Parro-ready arrays (``data.npz``)."""

    name = "eora_cp"
    table = "model_inputs"
    title = "Eora26 2017 Caliendo-Parro baseline (37 regions x 23 sectors)"
    homepage = "https://worldmrio.com/"
    patterns = ("data.npz",)

    def read(self, path: Path) -> pa.Table:
        try:
            d = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise SourceFormatError(path, f"cannot read npz: {exc}") from None
        missing = [k for k in EORA_NEED if k not in d.files]
        if missing:
            raise SourceFormatError(
                path, f"missing arrays {missing}", expected=", ".join(EORA_NEED)
            )
        parts = []
        for key in d.files:
            a = d[key]
            if a.dtype.kind in "US":
                parts.append(text_rows(path, "eora2017", key, list(a)))
            else:
                unit = "thousand USD" if key in {"X", "Xf", "Xm", "V", "D"} else None
                parts.append(array_rows(path, "eora2017", key, a, unit=unit,
                                        signed=key in EORA_SIGNED))  # fmt: skip
        return concat(parts)

    def version(self, path: Path) -> str | None:
        return "2017"


@register
class IcioTariffwar(Source):
    """OECD ICIO 2023 and WIOD 2014 sectoral flow and tariff cubes (MATLAB v7.3)."""

    name = "icio_tariffwar"
    table = "model_inputs"
    title = "OECD ICIO 2023 / WIOD 2014 sectoral flows, tariffs and trade elasticities"
    homepage = "https://www.oecd.org/en/data/datasets/inter-country-input-output-tables.html"
    patterns = ("*.mat",)

    def read(self, path: Path) -> pa.Table:
        try:
            import h5py
        except ImportError:  # pragma: no cover - h5py is a dependency
            raise ConfigError(
                "reading ICIO .mat files needs h5py", hint="pip install h5py"
            ) from None
        dataset = path.stem.lower()

        def text(f: Any, ref: Any) -> str:
            return "".join(chr(c) for c in f[ref][()].ravel())

        try:
            with h5py.File(path, "r") as f:
                d = f["data"]
                parts = [
                    text_rows(path, dataset, "countries", [text(f, r) for r in d["countries"][()].ravel()]),
                    text_rows(path, dataset, "sectors", [text(f, r) for r in d["sectors"][()].ravel()]),
                    array_rows(path, dataset, "Xjik_3D", d["Xjik_3D"][()], unit="USD million"),
                    array_rows(path, dataset, "tjik_3D", d["tjik_3D"][()], unit="decimal"),
                    array_rows(path, dataset, "year", d["year"][()].ravel()[:1]),
                ]  # fmt: skip
                parts += [
                    array_rows(path, dataset, f"sigma:{k}", d["sigma"][k]["epsilon_S"][()].ravel())
                    for k in d["sigma"]
                ]
        except (OSError, KeyError) as exc:
            raise SourceFormatError(path, f"not an ICIO/WIOD tariffwar .mat file ({exc})") from None
        return concat(parts)

    def version(self, path: Path) -> str | None:
        m = re.search(r"(\d{4})", path.stem)
        return m.group(1) if m else None


@register
class LiberationDay(Source):
    """The 194-country trade matrix and the 2 April 2025 US tariff schedule."""

    name = "liberation_day"
    table = "model_inputs"
    title = "CEPII 194-country trade matrix (2023) and the 2 April 2025 US schedule"
    homepage = "https://www.nber.org/papers/w33792"
    patterns = ("trade_cepii.csv", "country_labels.csv", "tariffs.csv")

    def read(self, path: Path) -> pa.Table:
        df = _csv(path)
        if path.name == "country_labels.csv":
            require_columns(df, ("iso3", "CountryName"), path)
            return concat([text_rows(path, "liberation_day", "iso3", list(df["iso3"])),
                           text_rows(path, "liberation_day", "names", list(df["CountryName"]))])  # fmt: skip
        if path.name == "tariffs.csv":
            require_columns(df, ("applied_tariff",), path)
            return array_rows(path, "liberation_day", "applied_tariff",
                              _numbers(df[["applied_tariff"]], path).ravel(), unit="decimal")  # fmt: skip
        if path.name == "trade_cepii.csv":
            if df.shape[0] != df.shape[1]:
                raise SourceFormatError(path, f"shape {df.shape}", expected="a square matrix")
            trade = np.nan_to_num(_numbers(df, path))  # blank: no recorded trade
            return array_rows(path, "liberation_day", "trade", trade, unit="thousand USD")
        raise SourceFormatError(path, "not a file of the Liberation Day package",
                                expected="trade_cepii.csv, country_labels.csv or tariffs.csv")  # fmt: skip


@register
class RuvIcio(Source):
    """ICIO 2021 input–output and value-added shares on 14 sectors (Excel workbooks)."""

    name = "ruv_icio"
    table = "model_inputs"
    title = "ICIO 2021 input-output and value-added shares, 14 sectors (2015-2018)"
    homepage = "https://www.oecd.org/en/data/datasets/inter-country-input-output-tables.html"
    patterns = ("io_allyears.xlsx", "va_shares_allyears.xlsx")

    def read(self, path: Path) -> pa.Table:
        try:  # calamine: what openpyxl gives on the published workbooks (test), ~8x faster
            sheets = pd.read_excel(path, sheet_name=None, engine="calamine")
        except Exception as exc:  # a truncated or non-xlsx file (CalamineError, OSError …)
            raise SourceFormatError(path, f"cannot read the workbook: {exc}") from None
        if path.name == "io_allyears.xlsx":
            parts = []
            for sheet, t in sheets.items():
                m = re.fullmatch(r"IO(\d{4})", str(sheet))
                if m is None:
                    continue
                parts.append(_frame_rows(path, f"io{m.group(1)}", t, ("country", "sector"), "io"))
            if not parts:
                raise SourceFormatError(path, "no IO20xx sheets", expected="sheets IO2015 … IO2018")
            return concat(parts)
        if path.name == "va_shares_allyears.xlsx":
            t = next(iter(sheets.values()))
            return _frame_rows(path, "va", t, ("region", "year"), "sector_")
        raise SourceFormatError(path, "not a workbook of the ICIO 2021 share package",
                                expected="io_allyears.xlsx or va_shares_allyears.xlsx")  # fmt: skip


def _frame_rows(path: Path, prefix: str, t: pd.DataFrame, labels: tuple[str, ...],
                value_prefix: str, *, dataset: str = "ruv_icio2021", unit: str = "share",
                signed: bool = False, missing_ok: bool = False,
                header_rows: int = 1) -> pa.Table:  # fmt: skip
    """A frame → its numeric block ``prefix`` plus label arrays ``prefix:<label>`` and the
    column names ``prefix:columns``."""
    require_columns(t, labels, path)
    cols = [c for c in t.columns if str(c).startswith(value_prefix)]
    if not cols:
        raise SourceFormatError(path, f"{prefix}: no {value_prefix}… columns")
    parts = [array_rows(path, dataset, prefix, _numbers(t[cols], path, header_rows=header_rows), unit=unit, signed=signed,
                        missing_ok=missing_ok),
             text_rows(path, dataset, f"{prefix}:columns", [str(c) for c in cols])]  # fmt: skip
    parts += [text_rows(path, dataset, f"{prefix}:{lab}", [str(x) for x in t[lab]])
              for lab in labels]  # fmt: skip
    return concat(parts)


@register
class BownWaves(Source):
    """Bown (2021): the US tariff change on China by HS6 in each 2018–2020 trade-war wave."""

    name = "bown_waves"
    table = "model_inputs"
    title = "Bown (2021) US tariff changes on China by HS6 and trade-war wave (pp)"
    homepage = "https://www.piie.com/research/piie-charts/us-china-trade-war-tariffs-date-chart"
    patterns = ("TrumpTariffs-CHN-hs6.dta",)

    def read(self, path: Path) -> pa.Table:
        d = read_frame(path)
        require_columns(d, ("hs06",), path)
        codes = d["hs06"].astype(str).str.strip()
        bad = ~codes.str.fullmatch(r"\d{1,6}")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SourceFormatError(path, f"not an HS6 code: {codes.iloc[row]!r}", row=row + 1,
                                    column="hs06", expected="up to six digits")  # fmt: skip
        if codes.duplicated().any():
            row = int(np.flatnonzero(codes.duplicated().to_numpy())[0])
            raise SourceFormatError(path, f"HS6 code {codes.iloc[row]!r} appears twice",
                                    row=row + 1, column="hs06", expected="one row per HS6")  # fmt: skip
        d = d.assign(hs06=codes.str.zfill(6))
        # 26 HS6 lines are blank in the waves up to TT301_d (and both 201/232 first waves); the
        # blanks stay missing (NULL), so the store holds the file as published
        waves = d[["hs06"] + [c for c in d.columns if str(c).startswith("TT")]]
        return _frame_rows(path, "waves", waves, ("hs06",), "TT", dataset="bown_waves_hs6",
                           unit="pp", signed=True, missing_ok=True, header_rows=0)  # fmt: skip


def _csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise SourceFormatError(path, f"cannot read CSV: {exc}") from None


def _numbers(df: pd.DataFrame, path: Path, *, header_rows: int = 1) -> np.ndarray:
    """A numeric block, column by column (:func:`to_number`: the first non-numeric cell is
    named by file row and column; blanks stay NaN)."""
    return np.column_stack(
        [to_number(df[c], path, str(c), header_rows=header_rows) for c in df.columns]
    )
