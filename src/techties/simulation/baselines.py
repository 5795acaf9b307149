"""Baselines for the general-equilibrium engines, built from the model inputs in the store.

Every loader takes a :class:`~techties.store.Store` (the files reach it through the sources of
:mod:`techties.sources.model_inputs` and ``gravity``) and records the provenance ids of the
rows it used in ``provenance_ids``.

Multi-sector (:class:`~techties.simulation.caliendo_parro.MultiSectorBaseline`):

* :func:`load_cp2015` — the original Caliendo–Parro (2015) data (31 regions × 40 sectors, 1993),
  built exactly as their replication code does (domestic sales = gross output − exports, final
  demand shares from absorption net of intermediate use, negative shares set to zero).
* :func:`load_eora2017` — the Eora26 2017 Caliendo–Parro-ready baseline (37 × 23); by default
  returned *calibrated* (the model's own zero-shock equilibrium, see
  :func:`~techties.simulation.caliendo_parro.calibrate_baseline`).
* :func:`load_icio_flows` — OECD ICIO 2023 sectoral flows and tariffs (81 × 28) for checks.

One-sector: :func:`load_wiod2014_onesector` (44-country GE_gravity example data, 2014) and
:func:`load_liberation_day` (194-country 2023 matrix with the 2 April 2025 schedule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from techties.errors import ConfigError, NoDataError
from techties.simulation.caliendo_parro import (
    MultiSectorBaseline,
    calibrate_baseline,
    country_index,
)
from techties.store.core import Store
from techties.store.gravity import gravity_frame
from techties.store.model_inputs import model_datasets, model_inputs

CP2015_REGIONS = (
    "ARG",
    "AUS",
    "AUT",
    "BRA",
    "CAN",
    "CHL",
    "CHN",
    "DNK",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "IND",
    "IDN",
    "IRL",
    "ITA",
    "JPN",
    "KOR",
    "MEX",
    "NLD",
    "NZL",
    "NOR",
    "PRT",
    "ZAF",
    "ESP",
    "SWE",
    "TUR",
    "GBR",
    "USA",
    "ROW",
)
CP2015_SECTORS = (
    "Agriculture",
    "Mining",
    "Food",
    "Textile",
    "Wood",
    "Paper",
    "Petroleum",
    "Chemicals",
    "Plastic",
    "Minerals",
    "Basic metals",
    "Metal products",
    "Machinery n.e.c.",
    "Office",
    "Electrical",
    "Communication",
    "Medical",
    "Auto",
    "Other transport",
    "Other",
    "Electricity",
    "Construction",
    "Retail",
    "Hotels",
    "Land transport",
    "Water transport",
    "Air transport",
    "Auxiliary transport",
    "Post",
    "Finance",
    "Real estate",
    "Renting of machinery",
    "Computer",
    "R&D",
    "Other business",
    "Public",
    "Education",
    "Health",
    "Other services",
    "Private households",
)
CP2015_NONTRADABLE_THETA = 8.22


def _stacked(arr: np.ndarray, blocks: int, size: int) -> np.ndarray:
    """(blocks*size, size2) stacked blocks → (blocks, size, size2)."""
    return arr.reshape(blocks, size, -1)


@dataclass(frozen=True)
class CP2015Data:
    """The CP (2015) inputs: the 1993 baseline and the 1993 and 2005 tariff factors [n, i, j]."""

    baseline: MultiSectorBaseline
    tau1993: np.ndarray
    tau2005: np.ndarray

    def nafta_tariffs(self, members: tuple[str, ...] = ("CAN", "MEX", "USA")) -> np.ndarray:
        """1993 tariffs everywhere except among ``members``, which take their 2005 values."""
        idx = [self.baseline.index_of(c) for c in members]
        tau = self.tau1993.copy()
        block = np.ix_(idx, idx)
        tau[block] = self.tau2005[block]
        return tau


def load_cp2015(store: Store) -> CP2015Data:
    """The CP (2015) data of the store (source ``cp2015``, catalog §9) as a 31 × 40 baseline,
    built as the replication code does.

    Trade flows are thousands of USD (scaled × 1000 to USD like ``GO.txt``); services (sectors
    21–40) have no trade. Domestic sales = max(GO, exports) − exports. ``X_n^j`` = tariff-
    inclusive absorption; ``α_n^j ∝ max(X_n^j − Σ_k G_n^{jk}(1 − B_n^k) GO_n^k, 0)``; value
    added = B · GO; deficits = imports − exports at producer prices.
    """
    d = model_inputs(store, "cp2015")
    n, j, jt = len(CP2015_REGIONS), len(CP2015_SECTORS), 20
    flows = _stacked(d.array("xbilat1993"), jt, n) * 1000
    t93 = _stacked(d.array("tariffs1993"), jt, n)
    t05 = _stacked(d.array("tariffs2005"), jt, n)
    io = _stacked(d.array("IO"), n, j)  # [n, k(input), j(user)]
    va_share = d.array("B").T  # [n, j]
    gross_output = d.array("GO").T
    theta_t = d.array("T").ravel()
    theta = np.concatenate([theta_t, np.full(j - jt, CP2015_NONTRADABLE_THETA)])

    m = np.zeros((n, n, j))  # [importer, exporter, sector] at producer prices
    m[:, :, :jt] = flows.transpose(1, 2, 0)
    tau93 = np.ones((n, n, j))
    tau93[:, :, :jt] = 1 + t93.transpose(1, 2, 0) / 100
    tau05 = np.ones((n, n, j))
    tau05[:, :, :jt] = 1 + t05.transpose(1, 2, 0) / 100
    diag = np.arange(n)
    m[diag, diag, :] = 0.0
    exports = m.sum(axis=0)  # [i, j]
    gross_output = np.maximum(gross_output, exports)
    m[diag, diag, :] = gross_output - exports
    spend = m * tau93  # tariff-inclusive
    expenditure = spend.sum(axis=1)
    pi = np.divide(
        spend, expenditure[:, None, :], out=np.zeros_like(spend), where=expenditure[:, None, :] > 0
    )
    # sectors nobody buys in a country (zero absorption): treat as fully domestic
    empty = expenditure <= 0
    pi[np.nonzero(empty)[0], np.nonzero(empty)[0], np.nonzero(empty)[1]] = 1.0
    deficit = m.sum(axis=(1, 2)) - m.sum(axis=(0, 2))
    # IO columns sum to 1 up to rounding (≤ 4e-7); rescale so that costs add up exactly
    # (β + Σ_k γ = 1), otherwise value leaks and world value added is not conserved.
    col = io.sum(axis=1, keepdims=True)
    io = np.divide(io, col, out=np.zeros_like(io), where=col > 0)
    va_share = np.where(col[:, 0, :] > 0, va_share, 1.0)
    gamma = io * (1 - va_share)[:, None, :]
    intermediate = np.einsum("nkj,nj->nk", gamma, gross_output)
    final = np.maximum(expenditure - intermediate, 0.0)
    alpha = final / final.sum(axis=1, keepdims=True)
    value_added = (va_share * gross_output).sum(axis=1)
    base = MultiSectorBaseline(
        countries=CP2015_REGIONS,
        sectors=CP2015_SECTORS,
        pi=pi,
        tau=tau93,
        expenditure=expenditure,
        alpha=alpha,
        beta=va_share,
        gamma=gamma,
        theta=theta,
        value_added=value_added,
        deficit=deficit,
        name="Caliendo–Parro 1993 (31 × 40)",
        unit="USD",
        notes=("Caliendo & Parro (2015) replication data, 1993; θ = 8.22 for services",),
        goods=CP2015_SECTORS[:jt],
        provenance_ids=tuple(d.provenance_ids),
    )
    return CP2015Data(base, tau93, tau05)


def load_eora2017(store: Store, *, calibrate: bool = True) -> MultiSectorBaseline:
    """The Eora26 2017 Caliendo–Parro baseline of the store (source ``eora_cp``, catalog §10.1;
    thousand USD; 37 × 23).

    ``calibrate=True`` (default) returns the model's own zero-shock equilibrium under the
    file's parameters, tariffs and deficits (the stored shares do not clear goods markets).
    """
    d = model_inputs(store, "eora2017")
    sectors = d.text("sector_list")
    base = MultiSectorBaseline(
        countries=d.text("country_list"),
        sectors=sectors,
        pi=d.array("pi"),
        tau=d.array("tilde_tau"),
        expenditure=d.array("X"),
        alpha=d.array("alpha"),
        beta=d.array("beta"),
        gamma=d.array("gamma"),
        theta=d.array("theta"),
        value_added=d.array("V"),
        deficit=d.array("D"),
        name="Eora26 2017 (37 × 23)",
        unit="thousand USD",
        notes=(
            "Eora26 2017 basic prices (Lenzen et al. 2012, 2013); Teti GTD 2017 tariffs "
            "(no Section 301); VNM and TWN flows are poor in Eora",
        ),
        goods=sectors[:10],
        provenance_ids=tuple(d.provenance_ids),
    )
    return calibrate_baseline(base) if calibrate else base


# --------------------------------------------------------------------------- one-sector


@dataclass(frozen=True)
class OneSectorBaseline:
    """One-sector baseline: ``trade[i, j]`` exporter × importer incl. domestic flows (diagonal).

    ``tariff[i, j]``: baseline ad-valorem tariff (fraction) levied by importer j on i, or None.
    ``pairs``: optional long frame of pair covariates (exporter, importer, …) for coefficient
    shocks. ``has_domestic`` is False when the file has no domestic flows (GE needs them).
    """

    countries: tuple[str, ...]
    trade: np.ndarray
    tariff: np.ndarray | None = None
    pairs: pd.DataFrame | None = None
    name: str = "baseline"
    unit: str = "USD"
    has_domestic: bool = True
    notes: tuple[str, ...] = ()
    provenance_ids: tuple[int, ...] = ()

    def index_of(self, country: str) -> int:
        return country_index(self.countries, country, self.name)


#: the gravity dataset of Zylkin's ``ge_gravity`` example (source ``gravity``)
WIOD_ONESECTOR = "ge_gravity_example_data"


def load_wiod2014_onesector(store: Store, *, year: int = 2014) -> OneSectorBaseline:
    """The WIOD-based 44-economy aggregate of Zylkin's ``ge_gravity`` example (catalog §2),
    from the store's ``gravity`` table (``GE_gravity_example_data.dta``): exporter, importer,
    year, trade (millions USD, domestic flows included), FTA / eu_enlargement / other_fta pair
    dummies (kept in ``pairs``).
    """
    df = gravity_frame(store, WIOD_ONESECTOR)
    ids = tuple(df.attrs.get("provenance_ids", ()))
    years = sorted(int(y) for y in set(df.year))
    df = df[df.year == year]
    if df.empty:
        raise NoDataError(
            f"The gravity dataset {WIOD_ONESECTOR!r} has no rows for year {year}.",
            hint=f"Years in the store: {', '.join(map(str, years)) or 'none'}.",
        )
    countries = tuple(sorted(set(df.exporter)))
    wide = df.pivot_table(index="exporter", columns="importer", values="trade", aggfunc="sum")
    wide = wide.reindex(index=countries, columns=countries).fillna(0.0)
    pairs = df.drop(columns=["expcode", "impcode"], errors="ignore").reset_index(drop=True)
    return OneSectorBaseline(
        countries=countries,
        trade=wide.to_numpy(dtype=float),
        pairs=pairs,
        name=f"WIOD one-sector {year} (44 economies)",
        unit="million USD",
        notes=("ge_gravity example data (WIOD 2016 release aggregate; FTAs from NSF-Kellogg)",),
        provenance_ids=ids,
    )


def load_liberation_day(store: Store) -> OneSectorBaseline:
    """194-country trade matrix (≈2023, thousand USD) and the 2 April 2025 US schedule (§10.4),
    from the store (source ``liberation_day``).

    The file has no domestic flows (``has_domestic=False``): a GE counterfactual needs them, so
    supply them (e.g. GDP − exports) before solving. ``tariff[i, USA]`` holds the schedule.
    """
    d = model_inputs(store, "liberation_day")
    countries = d.text("iso3")
    trade = d.array("trade")
    schedule = d.array("applied_tariff")
    n = len(countries)
    if trade.shape != (n, n) or schedule.shape != (n,):
        raise NoDataError(
            f"Liberation Day inputs disagree: trade {trade.shape}, schedule {schedule.shape}, "
            f"{n} countries.",
            hint="Ingest the three files of one release together (trade_cepii.csv, "
            "country_labels.csv, tariffs.csv) with --replace.",
        )
    tariff = np.zeros((n, n))
    usa = countries.index("USA")
    tariff[:, usa] = schedule
    tariff[usa, usa] = 0.0
    return OneSectorBaseline(
        countries=countries,
        trade=trade,
        tariff=tariff,
        name="CEPII 194-country matrix (2023 levels) with the 2 April 2025 US schedule",
        unit="thousand USD",
        has_domestic=False,
        notes=("Ignatenko, Lashkaripour, Macedoni & Simonovska (2025) data; no domestic flows",),
        provenance_ids=tuple(d.provenance_ids),
    )


# --------------------------------------------------------------------------- ICIO flows (checks)


@dataclass(frozen=True)
class SectoralFlows:
    """Bilateral sectoral flows ``flows[s, j, i]`` (sector, destination, origin), with tariffs."""

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    flows: np.ndarray
    tariff: np.ndarray
    elasticities: dict[str, np.ndarray]
    year: int
    unit: str = "million USD"
    provenance_ids: tuple[int, ...] = ()

    def bilateral(self, origin: str, destination: str, sectors: slice | None = None) -> float:
        i, j = self.countries.index(origin), self.countries.index(destination)
        return float(self.flows[sectors or slice(None), j, i].sum())


def load_icio_flows(store: Store, dataset: str) -> SectoralFlows:
    """OECD ICIO 2023 (81 × 28, ``icio2014`` … ``icio2022``) or WIOD 2014 (44 × 16,
    ``wiod2014``) cube of the store (source ``icio_tariffwar``, §10.2).

    ``flows[s, j, i]`` = sector-s goods from i to j (USD million, basic prices, domestic on the
    diagonal); ``tariff`` (decimals, no Section 301); ``elasticities[<SRC>]`` trade elasticities
    by source. No IO or value added.
    """
    d = model_inputs(store, dataset)
    el = {k.split(":", 1)[1]: d.array(k) for k in sorted(d.items) if k.startswith("sigma:")}
    return SectoralFlows(
        countries=d.text("countries"),
        sectors=d.text("sectors"),
        flows=d.array("Xjik_3D"),
        tariff=d.array("tjik_3D"),
        elasticities=el,
        year=int(d.array("year").ravel()[0]),
        provenance_ids=tuple(d.provenance_ids),
    )


def load_icio_multisector(store: Store, dataset: str = "icio2022", *,
                          elasticities: str = "FGO") -> MultiSectorBaseline:
    """A Caliendo–Parro baseline from an ICIO 2023 cube (81 × 28): every flow treated as final
    demand (no input–output linkages: ``β = 1``, ``γ = 0``, as in the tariffwar package the cube
    comes from), Teti GTD tariffs, trade elasticities ``elasticities`` (default Fontagné,
    Guimbard & Orefice 2022), deficits = imports − exports; calibrated (zero shock → no change).
    """
    f = load_icio_flows(store, dataset)
    if elasticities not in f.elasticities:
        raise ConfigError(f"{dataset} has no elasticities {elasticities!r}",
                          hint=f"have: {', '.join(sorted(f.elasticities))}")  # fmt: skip
    n, s = len(f.countries), len(f.sectors)
    flows = f.flows.transpose(1, 2, 0)  # [importer n, exporter i, sector]
    final = flows.transpose(1, 2, 0).reshape(n * s, n)  # [(i, k), n]
    base = baseline_from_mrio(
        np.zeros((n * s, n * s)), final, f.countries, f.sectors,
        f.elasticities[elasticities].ravel(), tariff=f.tariff.transpose(1, 2, 0),
        goods=f.sectors[:-1], name=f"OECD ICIO {f.year} ({n} × {s}, no IO linkages)",
    )  # fmt: skip
    note = (f"OECD ICIO 2023 ed. {f.year}, basic prices, USD million; Teti GTD tariffs (no "
            f"Section 301); no input-output linkages; θ: {elasticities}")  # fmt: skip
    from dataclasses import replace

    return replace(base, notes=(note,), provenance_ids=f.provenance_ids)


def load_liberation_day_onesector(store: Store, *, gdp_year: int = 2023,
                                  floor: float = 0.1) -> OneSectorBaseline:
    """The 194-country matrix (§10.4) with domestic flows, zero baseline tariffs.

    The file has no domestic flows: ``X_ii = GDP_i − exports_i`` from WDI GDP (current USD,
    ``gdp_year`` or the latest earlier year), floored at ``floor`` × GDP (entrepôt and very
    open economies; a country without any WDI GDP gets 1 / floor × its exports as GDP).
    """
    lib = load_liberation_day(store)
    rows = store.df(
        "SELECT country, year, value FROM indicators WHERE indicator = 'NY.GDP.MKTP.CD' "
        "AND year <= ? AND value > 0 ORDER BY year", [gdp_year])
    if rows.empty:
        raise NoDataError("no WDI GDP (NY.GDP.MKTP.CD) in the store",
                          hint="ingest tech-wdi/ny.gdp.mktp.cd/data.csv (source wdi)")  # fmt: skip
    latest = rows.groupby("country")["value"].last()
    trade = lib.trade.copy()
    exports = trade.sum(axis=1)
    gdp = np.array([latest.get(c, np.nan) for c in lib.countries]) / 1000.0  # thousand USD
    gdp = np.where(np.isfinite(gdp), gdp, exports / floor)
    np.fill_diagonal(trade, np.maximum(gdp - exports, floor * gdp))
    return OneSectorBaseline(
        countries=lib.countries, trade=trade, tariff=None,
        name="CEPII 194-country matrix (2023) with domestic flows from WDI GDP",
        unit="thousand USD",
        notes=(f"Ignatenko et al. (2025) trade matrix; domestic = WDI GDP {gdp_year} − exports, "
               f"floored at {floor:g} × GDP; baseline tariffs 0",),
        provenance_ids=tuple(sorted({*lib.provenance_ids,
                                     *(int(i) for i in store.df("SELECT DISTINCT provenance_id FROM indicators WHERE indicator = 'NY.GDP.MKTP.CD'")["provenance_id"])})),
    )  # fmt: skip


def icio_datasets(store: Store) -> list[str]:
    """The ICIO cubes in the store (``icio2014`` …), oldest first."""
    return [d for d in model_datasets(store) if d.startswith("icio")]


# --------------------------------------------------------------------------- from a full MRIO


def baseline_from_mrio(
    intermediate: np.ndarray,
    final: np.ndarray,
    countries: tuple[str, ...],
    sectors: tuple[str, ...],
    theta: np.ndarray,
    *,
    tariff: np.ndarray | None = None,
    goods: tuple[str, ...] = (),
    name: str = "MRIO baseline",
    unit: str = "million USD",
    calibrate: bool = True,
) -> MultiSectorBaseline:
    """A Caliendo–Parro baseline from a multi-regional input–output table (OECD ICIO, WIOD…).

    ``intermediate[(i,k), (n,j)]`` (NS × NS): sector-k inputs from country i used by sector j in
    n; ``final[(i,k), n]`` (NS × N): final demand of n (all categories summed) for i's sector k;
    rows and columns ordered country-major (country 0 sectors 0…S−1, country 1 …), basic prices.
    ``tariff[n, i, k]``: ad-valorem tariffs (decimals) levied by n, default 0.

    Derived: flows ``M[n,i,k] = Σ_j Z + F``; spending ``X = Σ_i τ M``, shares ``π = τM/X``;
    gross output ``GO[i,k]`` = row sums; input cost shares ``γ[n,k,j] = Σ_i τ Z / GO[n,j]`` and
    ``β = 1 − Σ_k γ`` (inputs valued tariff-inclusive; negative value added clipped to 0 and the
    shares rescaled); ``α`` = final spending shares; deficits = imports − exports. The table is
    not an equilibrium of the model, so by default the result is :func:`calibrate_baseline`-d.
    """
    n, s = len(countries), len(sectors)
    z = np.asarray(intermediate, dtype=float).reshape(n, s, n, s)  # [i, k, n, j]
    f = np.asarray(final, dtype=float).reshape(n, s, n)  # [i, k, n]
    if np.any(z < 0) or np.any(f < 0):
        raise ConfigError("intermediate and final demand must be non-negative (inventory "
                          "changes: set negative cells to 0 and recompute output first)")  # fmt: skip
    tau = np.ones((n, n, s)) if tariff is None else 1 + np.asarray(tariff, dtype=float)
    flows = z.sum(axis=3).transpose(2, 0, 1) + f.transpose(2, 0, 1)  # [n, i, k]
    spend = flows * tau
    expenditure = spend.sum(axis=1)
    pi = np.divide(spend, expenditure[:, None, :], out=np.zeros_like(spend),
                   where=expenditure[:, None, :] > 0)  # fmt: skip
    idx = np.arange(n)
    for j in np.argwhere(expenditure <= 0):
        pi[j[0], j[0], j[1]] = 1.0  # nothing bought: treat as domestic
    output = z.sum(axis=(2, 3)) + f.sum(axis=2)  # [i, k]
    inputs = np.einsum("iknj,nik->nkj", z, tau)  # tariff-inclusive input purchases [n, k, j]
    safe = np.where(output > 0, output, 1.0)[:, None, :]
    gamma = inputs / safe
    total = gamma.sum(axis=1)
    over = total > 1
    gamma[:, :, :] = np.where(over[:, None, :], gamma / np.where(over, total, 1)[:, None, :], gamma)
    beta = 1 - gamma.sum(axis=1)
    fin = (f.transpose(2, 0, 1) * tau).sum(axis=1)  # [n, k]
    alpha = fin / np.where(fin.sum(axis=1, keepdims=True) > 0, fin.sum(axis=1, keepdims=True), 1)
    value_added = (beta * output).sum(axis=1)
    off = flows.copy()
    off[idx, idx, :] = 0
    deficit = off.sum(axis=(1, 2)) - off.sum(axis=(0, 2))
    base = MultiSectorBaseline(
        countries=countries, sectors=sectors, pi=pi, tau=tau, expenditure=expenditure,
        alpha=alpha, beta=beta, gamma=gamma, theta=np.asarray(theta, dtype=float),
        value_added=value_added, deficit=deficit - deficit.mean(), name=name, unit=unit,
        notes=("built from an MRIO table with baseline_from_mrio",), goods=goods,
    )  # fmt: skip
    return calibrate_baseline(base) if calibrate else base
