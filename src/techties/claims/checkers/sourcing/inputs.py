"""The file inputs of the sourcing checkers (claims 2 and 4): the OECD ICIO 2023 cubes and the
ICIO 2021 input–output and value-added shares, read from the data folder (not the store) and
listed with their sha256. The checkers call :func:`load_icio` and :func:`load_ruv_china`
through this module (``inputs.load_icio``), so tests can replace them here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from techties.claims.base import (
    Missing,
    data_folder,
)
from techties.errors import TechtiesError
from techties.store.core import file_sha256

ICIO_DIR = ("trade-ge-baseline", "icio2023-tariffwar")
RUV_DIR = ("trade-ge-baseline", "ruv-icio2021-14sec")
SERVICES = "Services (aggregate)"
#: ICIO 2023 sectors → the 14 RUV sectors (CATALOG-trade §10.3)
RUV_MAP: dict[int, tuple[str, ...]] = {
    101: ("C10T12",), 102: ("C13T15",), 103: ("C16", "C17_18"),
    104: ("B05", "B06", "B07", "B08", "B09", "C19"), 105: ("C20", "C21"), 106: ("C22",),
    107: ("C23",), 108: ("C24A", "C24B", "C25"), 109: ("C28",), 110: ("C26", "C27"),
    111: ("C29", "C301", "C302T309"), 112: ("C31T33",), 113: (SERVICES,),
    114: ("A01", "A02", "A03"),
}  # fmt: skip
RUV_SECTORS = tuple(sorted(RUV_MAP))
RUV_ELECTRONICS = 110


@dataclass(frozen=True)
class Icio:
    """ICIO cubes by year (``flows[s, j, i]``: sector s from origin i to destination j, USD mn)."""

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    flows: dict[int, np.ndarray]
    files: tuple[tuple[str, str, str], ...] = ()
    #: the WIOD 2014 cube of the same package (44 × 16), when staged
    wiod: Any = None

    @property
    def years(self) -> list[int]:
        return sorted(self.flows)

    def idx(self, country: str) -> int:
        return self.countries.index(country)

    def sector_idx(self, codes: Sequence[str] | None) -> list[int]:
        """Indices of ``codes`` (None: every goods sector, i.e. all but services)."""
        if codes is None:
            return [i for i, s in enumerate(self.sectors) if s != SERVICES]
        return [self.sectors.index(c) for c in codes if c in self.sectors]

    def flow(
        self, year: int, origin: str, dest: Sequence[str], sectors: Sequence[str] | None
    ) -> float:
        """Σ over ``sectors`` and destinations of origin → destination (USD million)."""
        x = self.flows[year]
        s = self.sector_idx(sectors)
        return float(x[np.ix_(s, [self.idx(d) for d in dest], [self.idx(origin)])].sum())

    def sales(self, year: int, origin: str, sectors: Sequence[str] | None) -> float:
        """Origin's sales to every destination, itself included (its output of those sectors)."""
        x = self.flows[year]
        return float(
            x[
                np.ix_(self.sector_idx(sectors), range(len(self.countries)), [self.idx(origin)])
            ].sum()
        )


def load_icio(folder: Path) -> Icio:
    """The ICIO 2023 cubes 2014–2022 (and WIOD 2014) of ``folder`` (read once per folder)."""
    return _load_icio(str(folder))


@lru_cache(maxsize=2)
def _load_icio(folder: str) -> Icio:
    from techties.simulation.baselines import load_icio_flows

    root = Path(folder)
    paths = sorted(root.glob("ICIO*.mat"))
    if not paths:
        raise Missing("no_data", f"no ICIO cubes (ICIO20xx.mat) in {root}.")
    flows, files = {}, []
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    for p in paths:
        f = load_icio_flows(p)
        if countries and (f.countries != countries or f.sectors != sectors):
            raise Missing("no_data", f"{p.name} has another country or sector list.")
        countries, sectors = f.countries, f.sectors
        flows[f.year] = f.flows
        files.append(("OECD ICIO 2023 (icio2023-tariffwar)", str(p), file_sha256(p)))
    wiod = None
    wp = root / "WIOD2014.mat"
    if wp.is_file():
        wiod = load_icio_flows(wp)
        files.append(("WIOD 2016 release, 2014 (icio2023-tariffwar)", str(wp), file_sha256(wp)))
    return Icio(countries, sectors, flows, tuple(files), wiod)


@dataclass(frozen=True)
class RuvChina:
    """China's intermediate cost shares ``io[k, s]`` and value-added shares ``beta[s]`` by year
    on the 14 RUV sectors (ICIO 2021 edition, 2015–2018)."""

    io: dict[int, np.ndarray]
    beta: dict[int, np.ndarray]
    files: tuple[tuple[str, str, str], ...] = ()


def load_ruv_china(folder: Path) -> RuvChina:
    return _load_ruv(str(folder))


@lru_cache(maxsize=2)
def _load_ruv(folder: str) -> RuvChina:
    root = Path(folder)
    io_path, va_path = root / "io_allyears.xlsx", root / "va_shares_allyears.xlsx"
    if not (io_path.is_file() and va_path.is_file()):
        raise Missing(
            "no_data", f"no ICIO input–output shares (io/va_shares_allyears.xlsx) in {root}."
        )
    sheets = pd.read_excel(io_path, sheet_name=None, engine="openpyxl")
    va = pd.read_excel(va_path, engine="openpyxl")
    io, beta = {}, {}
    for name, t in sheets.items():
        year = int(str(name)[2:])
        chn = t[t["country"] == "CHN"].set_index("sector").reindex(list(RUV_SECTORS))
        io[year] = chn[[f"io{s}" for s in RUV_SECTORS]].to_numpy(dtype=float)
        row = va[(va["region"] == "CHN") & (va["year"] == year)]
        beta[year] = row[[f"sector_{s}" for s in RUV_SECTORS]].to_numpy(dtype=float).ravel()
    files = tuple(
        ("ICIO 2021 IO and value-added shares (ruv-icio2021-14sec)", str(p), file_sha256(p))
        for p in (io_path, va_path)
    )
    return RuvChina(io, beta, files)


def _folder(*parts: str) -> Path:
    root = data_folder()
    if root is None:
        raise Missing(
            "no_data",
            "the ICIO tables are read from the data folder (pass data= or set TECHTIES_DATA).",
        )
    return root.joinpath(*parts)


def _files(*groups: Sequence[tuple[str, str, str]]) -> list[dict[str, str]]:
    out = []
    for g in groups:
        out += [{"source": s, "location": loc, "sha256": h} for s, loc, h in g]
    return out


def icio_or_why() -> tuple[Icio | None, str, list[dict[str, str]]]:
    """The ICIO cubes of the data folder and their files, or ``(None, why, [])``."""
    try:
        icio = load_icio(_folder(*ICIO_DIR))
        files = _files(icio.files)
    except (Missing, TechtiesError) as exc:
        return None, getattr(exc, "what", None) or str(exc), []
    return icio, "", files


def ruv_or_why() -> tuple[RuvChina | None, str, list[dict[str, str]]]:
    """China's ICIO input–output and value-added shares and their files, or
    ``(None, why, [])``."""
    try:
        ruv = load_ruv_china(_folder(*RUV_DIR))
        files = _files(ruv.files)
    except (Missing, TechtiesError, OSError, ValueError, KeyError) as exc:
        return None, getattr(exc, "what", None) or str(exc), []
    return ruv, "", files
