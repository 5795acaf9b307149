"""The model inputs of the sourcing checkers (claims 2 and 4): the OECD ICIO 2023 cubes and the
ICIO 2021 input–output and value-added shares, read from the store (sources ``icio_tariffwar``
and ``ruv_icio``) with the provenance ids of their rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from techties.claims.base import Missing
from techties.claims.shared import icio_flows, read_only, shared
from techties.errors import TechtiesError
from techties.simulation.baselines import SectoralFlows, icio_datasets
from techties.store.core import Store
from techties.store.model_inputs import model_datasets, model_inputs

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
    provenance_ids: tuple[int, ...] = ()
    #: the WIOD 2014 cube of the same package (44 × 16), when staged
    wiod: SectoralFlows | None = None

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


def load_icio(store: Store) -> Icio:
    """The ICIO 2023 cubes 2014–2022 (and WIOD 2014) in the store."""
    names = icio_datasets(store)
    if not names:
        raise Missing(
            "no_data",
            "the store has no ICIO cubes (ingest trade-ge-baseline/icio2023-tariffwar/ICIO20xx.mat "
            "with `techties ingest icio_tariffwar`).",
        )
    flows: dict[int, np.ndarray] = {}
    ids: set[int] = set()
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    for name in names:
        f = icio_flows(store, name)
        if countries and (f.countries != countries or f.sectors != sectors):
            raise Missing("no_data", f"the ICIO cube {name} has another country or sector list.")
        countries, sectors = f.countries, f.sectors
        flows[f.year] = f.flows
        ids.update(f.provenance_ids)
    wiod = icio_flows(store, "wiod2014") if "wiod2014" in model_datasets(store) else None
    if wiod is not None:
        ids.update(wiod.provenance_ids)
    return Icio(countries, sectors, flows, tuple(sorted(ids)), wiod)


def _frozen(icio: Icio) -> Icio:
    """The cubes made read-only (one :class:`Icio` serves every checker of a run)."""
    read_only(*icio.flows.values())
    if icio.wiod is not None:
        read_only(icio.wiod.flows, icio.wiod.tariff, *icio.wiod.elasticities.values())
    return icio


@dataclass(frozen=True)
class RuvChina:
    """China's intermediate cost shares ``io[k, s]`` and value-added shares ``beta[s]`` by year
    on the 14 RUV sectors (ICIO 2021 edition, 2015–2018)."""

    io: dict[int, np.ndarray]
    beta: dict[int, np.ndarray]
    provenance_ids: tuple[int, ...] = ()


def load_ruv_china(store: Store) -> RuvChina:
    """China's cost and value-added shares by year from the store (source ``ruv_icio``)."""
    if "ruv_icio2021" not in model_datasets(store):
        raise Missing(
            "no_data",
            "the store has no ICIO input–output shares (ingest trade-ge-baseline/"
            "ruv-icio2021-14sec/io_allyears.xlsx and va_shares_allyears.xlsx with "
            "`techties ingest ruv_icio`).",
        )
    d = model_inputs(store, "ruv_icio2021")
    va = d.frame("va")
    io, beta = {}, {}
    for item in sorted(d.items):
        if not (item.startswith("io") and item[2:].isdigit()):
            continue
        year = int(item[2:])
        t = d.frame(item)
        chn = t[t["country"] == "CHN"].assign(sector=lambda x: x["sector"].astype(int))
        chn = chn.set_index("sector").reindex(list(RUV_SECTORS))
        io[year] = chn[[f"io{s}" for s in RUV_SECTORS]].to_numpy(dtype=float)
        row = va[(va["region"] == "CHN") & (va["year"].astype(int) == year)]
        beta[year] = row[[f"sector_{s}" for s in RUV_SECTORS]].to_numpy(dtype=float).ravel()
    return RuvChina(io, beta, tuple(d.provenance_ids))


def icio_or_why(store: Store) -> tuple[Icio | None, str, list[int]]:
    """The ICIO cubes in the store and their provenance ids, or ``(None, why, [])``."""
    try:
        icio = shared(store, "icio", lambda: _frozen(load_icio(store)))
    except (Missing, TechtiesError) as exc:
        return None, getattr(exc, "what", None) or str(exc), []
    return icio, "", list(icio.provenance_ids)


def ruv_or_why(store: Store) -> tuple[RuvChina | None, str, list[int]]:
    """China's ICIO input–output and value-added shares and their provenance ids, or
    ``(None, why, [])``."""
    try:
        ruv = load_ruv_china(store)
    except (Missing, TechtiesError, ValueError, KeyError) as exc:
        return None, getattr(exc, "what", None) or str(exc), []
    return ruv, "", list(ruv.provenance_ids)
