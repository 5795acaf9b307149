"""Checkers on where US imports and China's inputs come from: rerouting through third
countries (claim 4) and China's reliance on imported inputs (claim 2).

Both read the OECD ICIO 2023 sectoral trade cubes (``trade-ge-baseline/icio2023-tariffwar``,
through :func:`techties.simulation.baselines.load_icio_flows`) and, for claim 2, the ICIO-based
input–output and value-added shares of ``trade-ge-baseline/ruv-icio2021-14sec``. Those files are
not ingested into the store: they are read from the data folder and listed with their sha256 in
:attr:`Verdict.files`; US imports by HS6 product, the Section 301 lists and the WIOD value-added
rows come from the store (provenance ids).

Claim 4 — *decoupling has not cut trade with China; it has been rerouted* — is a conjunction of
three tests, fixed before the data were looked at:

(a) **not cut**: China's goods reaching the US directly *and* through the connectors (Vietnam,
    Mexico) rose from 2017 to the last ICIO year (2022)::

        reach[t] = X[CHN→USA, t] + Σ_c X[CHN→c, t] · u[c, t],
        u[c, t]  = X[c→USA, t] / Σ_j X[c→j, t]           (goods; j includes c itself)

    i.e. China's exports to a connector are attributed to the US in proportion to the US share of
    the connector's goods sales (proportionality assumption). Supported if the change is ≥ 0 %,
    contradicted if ≤ −10 %.
(b1) **the connectors' US sales grew because of the tariffs**: growth of the connectors' US sales
    2017→2024 in the Section 301-listed HS6 products minus the growth in unlisted products (the
    comparator), in pp, with a 90 % bootstrap interval over products; products harmonised to
    HS2017 so the HS2022 renumbering is not read as China falling to zero. Supported if the whole
    interval is ≥ +10 pp, contradicted if ≤ 0 pp.
(b2) **the connectors' growth is linked to inputs from China**: China's goods exports to the
    connectors against its exports to other destinations, ``y_t = 100·(ln X[CHN→conn] −
    ln X[CHN→others])``, the 2022 gap to the 2014–2017 trend with its 90 % prediction interval
    (models.breaks.pre_trend_gap). Supported if the whole interval is ≥ +10 log points,
    contradicted if ≤ 0.

Claim 2 — *China's high-technology exports depend on imported inputs, a good part of which come
from the US* — is a conjunction of two observed accounting numbers:

(A) the foreign value-added share of China's electronics exports (ICIO sector group D26–D27,
    computers, electronic and electrical equipment), single-country Hummels–Ishii–Yi measure::

        A[k, s] = (1 − β_s) · io[k, s];  d_k = China's domestic share of its use of k (ICIO)
        FVA_s   = [1' (A ∘ (1 − d)) (I − A ∘ d)⁻¹]_s

    supported if ≥ 15 %, contradicted if < 10 %;
(B) the US share of China's imports of computer and electronic goods (ICIO C26, intermediate and
    final use together — the cube does not split them), latest year: supported if ≥ 10 %,
    contradicted if < 5 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from techties import charts
from techties.claims.base import (
    Checker,
    Missing,
    data_folder,
    provenance_of,
    register,
    require_table,
)
from techties.claims.checkers.trade import BASE_YEAR, LOAD_FLOWS
from techties.claims.rules import Decision, Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError, TechtiesError
from techties.store import Store
from techties.store.core import file_sha256

# -- claim 4: rule (fixed before looking at the data) ------------------------------------------
REACH_SUPPORT = Threshold(">=", 0.0)
REACH_CONTRA = Threshold("<=", -10.0)
LISTED_SUPPORT = Threshold(">=", 10.0)
LISTED_CONTRA = Threshold("<=", 0.0)
LINK_SUPPORT = Threshold(">=", 10.0)
LINK_CONTRA = Threshold("<=", 0.0)
REROUTE_END = 2024
ICIO_END = 2022
ICIO_FIRST = 2014
CONNECTORS = ("VNM", "MEX")
#: every connector the ICIO has (the rerouting indicator's list)
ALL_CONNECTORS = ("VNM", "MEX", "TWN", "KOR", "IND", "THA", "MYS")
HARMONISE_TO = "HS2017"
#: the HS vintage the Section 301 lists are written in (HTS2018 lines)
LIST_VINTAGE = "HS2017"
DRAWS = 1000
SEED = 20180706
LEVEL = 0.90
LISTS_301 = ("301_list1", "301_list2", "301_list3", "301_list4a")

# -- claim 2: rule ------------------------------------------------------------------------------
FVA_SUPPORT = Threshold(">=", 15.0)
FVA_CONTRA = Threshold("<", 10.0)
US_SUPPORT = Threshold(">=", 10.0)
US_CONTRA = Threshold("<", 5.0)
FVA_LOAD = "ingest tech-gvc/dva_gtrade.dta (source wiod_dva) with `techties report --data DIR`"
COMPONENTS = ("8541", "8542")

ICIO_DIR = ("trade-ge-baseline", "icio2023-tariffwar")
RUV_DIR = ("trade-ge-baseline", "ruv-icio2021-14sec")
SERVICES = "Services (aggregate)"
ELECTRONICS = ("C26",)
ELECTRONICS_WIDE = ("C26", "C27")
MACHINERY = ("C26", "C27", "C28")
WIOD_ELECTRONICS = "Computer, electronic, optical"
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


# ============================================================================ file inputs
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


def _absent(
    key: str, label: str, unit: str, support: Threshold, contra: Threshold, why: str
) -> Test:
    return Test(key, label, None, unit, support, contra, missing=why)


# ============================================================================ claim 4
def _hs6_import_source(store: Store, years: Sequence[int]) -> str:
    """The source of US imports by HS6 product covering every year in ``years``."""
    require_table(store, "trade_flows", needed_for="US imports by product", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, count(DISTINCT partner) AS partners FROM trade_flows "
        "WHERE reporter = 'USA' AND flow = 'import' AND classification = 'HS' "
        "AND product_level = 6 AND month IS NULL AND list_contains(?::SMALLINT[], year) "
        "GROUP BY source HAVING count(DISTINCT year) = ? ORDER BY partners DESC, source",
        [list(years), len(set(years))],
    )
    if found.empty:
        raise Missing(
            "no_data",
            f"no US imports by HS6 product for {', '.join(map(str, sorted(set(years))))}; "
            f"{LOAD_FLOWS}.",
        )
    return str(found["source"].iloc[0])


@dataclass(frozen=True)
class Panel:
    """US imports by product (rows), partner and year: ``values[(partner, year)]``."""

    values: pd.DataFrame
    listed: pd.Series
    ids: tuple[int, ...]
    source: str
    notes: tuple[str, ...]


def _panel(
    store: Store, years: Sequence[int], *, hs_vintage: str | None, measures: Sequence[str]
) -> Panel:
    from techties.indicators.decoupling import EXPOSED, exposure_flags
    from techties.indicators.rerouting import product_panel

    source = _hs6_import_source(store, (BASE_YEAR, REROUTE_END))
    values, ids, notes = product_panel(
        store, source=source, years=(min(years), max(years)), hs_vintage=hs_vintage
    )
    flags, note = exposure_flags(store, list(values.index), measures)
    if note:
        raise Missing("no_data", f"{note} (the Section 301 lists are needed to split products).")
    listed = flags.reindex(values.index) == EXPOSED
    if hs_vintage not in (None, LIST_VINTAGE):
        # the lists are written in HTS2018 (HS2017) lines: a code of another vintage is listed
        # when a HS2017 code it is linked to is listed
        from techties.indicators.concordance import load_concordance

        links = load_concordance(store, str(hs_vintage), LIST_VINTAGE).links
        back, _ = exposure_flags(store, sorted(set(links["to_code"])), measures)
        hit = set(links.loc[links["to_code"].map(back == EXPOSED).fillna(False), "from_code"])
        listed = listed | pd.Series(values.index.isin(list(hit)), index=values.index)
    return Panel(values, listed, tuple(ids), source, tuple(notes))


def _group_sum(panel: Panel, partners: Sequence[str], year: int, mask: pd.Series) -> float:
    cols = [(p, year) for p in partners if (p, year) in panel.values.columns]
    if not cols:
        return math.nan
    return float(panel.values.loc[mask.to_numpy(), cols].to_numpy().sum())


def _growth(v1: float, v0: float) -> float:
    return 100.0 * (v1 / v0 - 1.0) if v0 > 0 else math.nan


def listed_gap(
    panel: Panel, connectors: Sequence[str], t0: int, t1: int, *, draws: int = DRAWS
) -> dict[str, float]:
    """Connectors' US sales growth t0→t1 in listed minus unlisted products (pp), with a
    percentile bootstrap over products within each group (``LEVEL`` interval)."""
    cols0 = [(c, t0) for c in connectors if (c, t0) in panel.values.columns]
    cols1 = [(c, t1) for c in connectors if (c, t1) in panel.values.columns]
    if not cols0 or not cols1:
        raise NoDataError(f"no US imports from {', '.join(connectors)} in {t0} and {t1}")
    v0 = panel.values[cols0].sum(axis=1).to_numpy()
    v1 = panel.values[cols1].sum(axis=1).to_numpy()
    keep = (v0 + v1) > 0
    listed = panel.listed.to_numpy() & keep
    other = ~panel.listed.to_numpy() & keep
    if listed.sum() < 2 or other.sum() < 2:
        raise NoDataError("the listed/unlisted split needs at least two products on each side")

    def grow(a0: np.ndarray, a1: np.ndarray) -> np.ndarray:
        return 100.0 * (a1 / a0 - 1.0)

    rng = np.random.default_rng(SEED)
    out = {}
    boot = []
    for name, m in (("listed", listed), ("unlisted", other)):
        x0, x1 = v0[m], v1[m]
        out[f"{name}_growth"] = float(grow(np.array(x0.sum()), np.array(x1.sum())))
        out[f"{name}_products"] = float(m.sum())
        pick = rng.integers(0, len(x0), size=(draws, len(x0)))
        boot.append(grow(x0[pick].sum(axis=1), x1[pick].sum(axis=1)))
    est = out["listed_growth"] - out["unlisted_growth"]
    diff = boot[0] - boot[1]
    diff = diff[np.isfinite(diff)]
    a = (1 - LEVEL) / 2
    lo, hi = float(np.quantile(diff, a)), float(np.quantile(diff, 1 - a))
    out.update(estimate=est, low=min(lo, est), high=max(hi, est))
    return out


def china_reach(
    icio: Icio,
    connectors: Sequence[str],
    t0: int,
    t1: int,
    *,
    sectors: Sequence[str] | None = None,
    attribute: bool = True,
) -> dict[str, float]:
    """China's goods reaching the US directly and through ``connectors`` (module doc, test a)."""
    out: dict[str, float] = {}
    for t in (t0, t1):
        direct = icio.flow(t, "CHN", ["USA"], sectors)
        indirect = 0.0
        if attribute:
            for c in (c for c in connectors if c in icio.countries):
                sold = icio.sales(t, c, sectors)
                u = icio.flow(t, c, ["USA"], sectors) / sold if sold > 0 else 0.0
                indirect += icio.flow(t, "CHN", [c], sectors) * u
        out[f"direct_{t}"] = direct
        out[f"indirect_{t}"] = indirect
        out[f"reach_{t}"] = direct + indirect
    out["direct_change_pct"] = _growth(out[f"direct_{t1}"], out[f"direct_{t0}"])
    out["change_pct"] = _growth(out[f"reach_{t1}"], out[f"reach_{t0}"])
    return out


def link_series(
    icio: Icio,
    connectors: Sequence[str],
    *,
    sectors: Sequence[str] | None = None,
    comparator: bool = True,
) -> pd.Series:
    """``100·(ln X[CHN→connectors] − ln X[CHN→others])`` by year (others: every destination but
    China, the US and the connectors); without ``comparator`` ``100·ln X[CHN→connectors]``."""
    connectors = [c for c in connectors if c in icio.countries]
    others = [c for c in icio.countries if c not in ("CHN", "USA", *connectors)]
    vals = {}
    for y in icio.years:
        conn = icio.flow(y, "CHN", connectors, sectors)
        rest = icio.flow(y, "CHN", others, sectors) if comparator else 1.0
        if conn > 0 and rest > 0:
            vals[y] = 100.0 * (math.log(conn) - math.log(rest))
    return pd.Series(vals, dtype=float)


def _link_test(
    icio: Icio | None,
    connectors: Sequence[str],
    *,
    last_pre: int,
    end: int,
    sectors: Sequence[str] | None = None,
    comparator: bool = True,
    why: str = "",
) -> tuple[Test, Any]:
    from techties.models.breaks import pre_trend_gap

    label = "China's exports to the connectors vs its pre-2018 trend"
    unit = "log points"
    if icio is None:
        return _absent("link", label, unit, LINK_SUPPORT, LINK_CONTRA, why), None
    s = link_series(icio, connectors, sectors=sectors, comparator=comparator)
    try:
        r = pre_trend_gap(s.index, s.to_numpy(), last_pre=last_pre, year=end, level=LEVEL)
    except NoDataError as exc:
        return _absent("link", label, unit, LINK_SUPPORT, LINK_CONTRA, exc.message), None
    test = Test(
        "link", label, r.estimate, unit, LINK_SUPPORT, LINK_CONTRA, kind="estimated",
        low=r.conf_low, high=r.conf_high,
        interval=f"{LEVEL:.0%} prediction interval of the {min(s.index)}–{last_pre} trend",
        digits=1,
    )  # fmt: skip
    return test, r


def _reach_test(
    icio: Icio | None,
    connectors: Sequence[str],
    t0: int,
    t1: int,
    *,
    sectors: Sequence[str] | None = None,
    attribute: bool = True,
    why: str = "",
) -> tuple[Test, dict[str, float]]:
    label = "China's goods reaching the US (direct + via connectors), change"
    if icio is None or t0 not in icio.flows or t1 not in icio.flows:
        why = why or f"the ICIO cubes have no {t0} or {t1}"
        return _absent("reach", label, "%", REACH_SUPPORT, REACH_CONTRA, why), {}
    r = china_reach(icio, connectors, t0, t1, sectors=sectors, attribute=attribute)
    return Test("reach", label, r["change_pct"], "%", REACH_SUPPORT, REACH_CONTRA, digits=1), r


def _listed_test(
    panel: Panel | None, connectors: Sequence[str], t0: int, t1: int, *, why: str = ""
) -> tuple[Test, dict[str, float]]:
    label = "Connectors' US sales growth, listed minus unlisted products"
    if panel is None:
        return _absent("listed", label, "pp", LISTED_SUPPORT, LISTED_CONTRA, why), {}
    try:
        g = listed_gap(panel, connectors, t0, t1)
    except NoDataError as exc:
        return _absent("listed", label, "pp", LISTED_SUPPORT, LISTED_CONTRA, exc.message), {}
    test = Test(
        "listed", label, g["estimate"], "pp", LISTED_SUPPORT, LISTED_CONTRA, kind="estimated",
        low=g["low"], high=g["high"],
        interval=f"{LEVEL:.0%} bootstrap interval over HS6 products ({DRAWS:,} draws)", digits=1,
    )  # fmt: skip
    return test, g


def _china_share(panel: Panel, t0: int, t1: int, mask: pd.Series) -> dict[str, float]:
    partners = sorted({col[0] for col in panel.values.columns})
    out = {}
    for t in (t0, t1):
        total = _group_sum(panel, partners, t, mask)
        out[f"share_{t}"] = 100 * _group_sum(panel, ["CHN"], t, mask) / total if total else math.nan
        out[f"china_{t}"] = _group_sum(panel, ["CHN"], t, mask)
    out["change_pp"] = out[f"share_{t1}"] - out[f"share_{t0}"]
    out["china_change_pct"] = _growth(out[f"china_{t1}"], out[f"china_{t0}"])
    cols0 = [(p, t0) for p in partners if (p, t0) in panel.values.columns]
    cols1 = [(p, t1) for p in partners if (p, t1) in panel.values.columns]
    sub = panel.values.loc[mask.to_numpy()]
    out["vanished"] = float(((sub[cols0].sum(axis=1) > 0) & (sub[cols1].sum(axis=1) == 0)).sum())
    out["products"] = float(mask.sum())
    return out


@register
class Rerouting(Checker):
    """Claim 4: trade with China was rerouted through connector countries rather than cut."""

    name = "rerouting"
    claim_id = "rerouting-not-decoupling"
    method = (
        "Three tests decide, and all are needed. (a) China's goods reaching the US directly and through Vietnam "
        f"and Mexico (OECD ICIO 2023, connectors' Chinese imports attributed by the US share of "
        f"their sales) did not fall {BASE_YEAR}–{ICIO_END}; (b1) the connectors' US sales grew "
        f"more in the Section 301-listed HS6 products than in unlisted ones {BASE_YEAR}–"
        f"{REROUTE_END} (codes harmonised to {HARMONISE_TO}, bootstrap over products); (b2) "
        "China's exports to the connectors rose above their 2014–2017 trend relative to its "
        "exports elsewhere (pre-trend gap with a prediction interval)."
    )

    def evaluate(self, store: Store) -> Verdict:
        years = sorted({2015, 2016, BASE_YEAR, 2018, 2023, REROUTE_END})
        panels: dict[tuple[str | None, tuple[str, ...]], Panel] = {}

        def panel(hs: str | None = HARMONISE_TO, measures: Sequence[str] = LISTS_301) -> Panel:
            key = (hs, tuple(measures))
            if key not in panels:
                panels[key] = _panel(store, years, hs_vintage=hs, measures=measures)
            return panels[key]

        main = panel()  # raises Missing without US HS6 imports or the 301 lists
        icio: Icio | None
        icio_why = ""
        files: list[dict[str, str]] = []
        try:
            icio = load_icio(_folder(*ICIO_DIR))
            files = _files(icio.files)
        except (Missing, TechtiesError) as exc:
            icio, icio_why = None, getattr(exc, "what", None) or str(exc)

        reach, reach_n = _reach_test(icio, CONNECTORS, BASE_YEAR, ICIO_END, why=icio_why)
        listed, gap = _listed_test(main, CONNECTORS, BASE_YEAR, REROUTE_END)
        link, link_fit = _link_test(
            icio, CONNECTORS, last_pre=BASE_YEAR, end=ICIO_END, why=icio_why
        )
        tests = [reach, listed, link]

        def alt(
            *,
            connectors: Sequence[str] = CONNECTORS,
            t0: int = BASE_YEAR,
            t1: int = REROUTE_END,
            i1: int = ICIO_END,
            hs: str | None = HARMONISE_TO,
            measures: Sequence[str] = LISTS_301,
            sectors: Sequence[str] | None = None,
            attribute: bool = True,
            comparator: bool = True,
        ) -> list[Test]:
            us = [c for c in connectors if c in {col[0] for col in main.values.columns}]
            try:
                p: Panel | None = panel(hs, measures)
                why = ""
            except (Missing, TechtiesError) as exc:
                p, why = None, getattr(exc, "what", None) or str(exc)
            return [
                _reach_test(icio, connectors, t0, i1, sectors=sectors, attribute=attribute,
                            why=icio_why)[0],
                _listed_test(p, us, t0, t1, why=why)[0] if us else _absent(
                    "listed", listed.label, "pp", LISTED_SUPPORT, LISTED_CONTRA,
                    f"no US HS6 imports from {', '.join(connectors)} by product"),
                _link_test(icio, connectors, last_pre=t0, end=i1, sectors=sectors,
                           comparator=comparator, why=icio_why)[0],
            ]  # fmt: skip

        alternatives = {
            "base year 2018": alt(t0=2018),
            "end year 2023 (HS6) / 2021 (ICIO)": alt(t1=2023, i1=2021),
            "codes harmonised to HS2022": alt(hs="HS2022"),
            "Section 301 lists 1–3 only": alt(measures=LISTS_301[:3]),
            "connector Vietnam only": alt(connectors=("VNM",)),
            "connector Mexico only": alt(connectors=("MEX",)),
            "all seven ICIO connectors": alt(connectors=ALL_CONNECTORS),
            "ICIO electronics and machinery (C26–C28) only": alt(sectors=MACHINERY),
            "(b2) own pre-trend, no comparator": alt(comparator=False),
            "(a) direct trade only (no attribution)": alt(attribute=False),
        }
        notes = {
            "main specification": f"{BASE_YEAR}→{REROUTE_END} HS6 (harmonised to {HARMONISE_TO}); "
            f"ICIO {BASE_YEAR}→{ICIO_END}; connectors {', '.join(CONNECTORS)}",
            "all seven ICIO connectors": "(b1) has US HS6 series for Vietnam and Mexico only",
            "(a) direct trade only (no attribution)": "a lower bound on China's reach",
        }
        decision = decide(tests, alternatives, notes=notes)

        # -- figures and context ----------------------------------------------------------
        all_goods = pd.Series(True, index=main.values.index)
        sh_l = _china_share(main, BASE_YEAR, REROUTE_END, main.listed)
        sh_a = _china_share(main, BASE_YEAR, REROUTE_END, all_goods)
        raw = panel(None)
        sh_raw = _china_share(raw, BASE_YEAR, REROUTE_END, raw.listed)
        pre = _listed_test(main, CONNECTORS, 2015, BASE_YEAR)[1]
        figs = [
            Figure("china_share_change", f"China's share among US suppliers in the data, listed "
                   f"products, {BASE_YEAR}–{REROUTE_END}", sh_l["change_pp"], "pp"),
            Figure("china_share_change_all", f"China's share, all goods, {BASE_YEAR}–{REROUTE_END}",
                   sh_a["change_pp"], "pp"),
            Figure("china_listed_change", f"US imports from China, listed products, change "
                   f"{BASE_YEAR}–{REROUTE_END}", sh_l["china_change_pct"], "% change"),
            Figure("listed_products", "Listed HS6 products (harmonised)", sh_l["products"], "count"),
            Figure("vanished_harmonised", f"Listed products with {BASE_YEAR} but no {REROUTE_END} "
                   f"imports, harmonised to {HARMONISE_TO}", sh_l["vanished"], "count"),
            Figure("vanished_as_written", "…the same with codes as written (HS2017 vs HS2022)",
                   sh_raw["vanished"], "count"),
        ]  # fmt: skip
        if gap:
            figs += [
                Figure("listed_gap", "Connectors' US sales growth, listed − unlisted",
                       gap["estimate"], "pp"),
                Figure("listed_gap_low", "…lower end of the 90 % interval", gap["low"], "pp"),
                Figure("listed_gap_high", "…upper end of the 90 % interval", gap["high"], "pp"),
                Figure("connectors_listed_growth", "Connectors' US sales growth, listed products",
                       gap["listed_growth"], "% change"),
                Figure("connectors_unlisted_growth", "Connectors' US sales growth, unlisted "
                       "products", gap["unlisted_growth"], "% change"),
            ]  # fmt: skip
        if pre:
            figs.append(
                Figure("placebo_listed_gap", "Placebo: the same gap 2015–2017 (before the tariffs)",
                       pre["estimate"], "pp")
            )  # fmt: skip
        if reach_n:
            figs += [
                Figure("reach_change", f"China's goods reaching the US, change {BASE_YEAR}–{ICIO_END}",
                       reach_n["change_pct"], "% change"),
                Figure("direct_change", f"China's direct goods exports to the US (ICIO), change "
                       f"{BASE_YEAR}–{ICIO_END}", reach_n["direct_change_pct"], "% change"),
                Figure("indirect_base", f"China's goods reaching the US via connectors {BASE_YEAR}",
                       reach_n[f"indirect_{BASE_YEAR}"] / 1e3, "USD bn"),
                Figure("indirect_end", f"China's goods reaching the US via connectors {ICIO_END}",
                       reach_n[f"indirect_{ICIO_END}"] / 1e3, "USD bn"),
            ]  # fmt: skip
            for c in CONNECTORS:
                assert icio is not None
                figs.append(Figure(f"chn_to_{c.lower()}_growth", f"China's goods exports to {c}, "
                                   f"change {BASE_YEAR}–{ICIO_END}",
                                   _growth(icio.flow(ICIO_END, "CHN", [c], None),
                                           icio.flow(BASE_YEAR, "CHN", [c], None)), "% change"))  # fmt: skip
        if link.estimate is not None:
            figs += [
                Figure("link_gap", f"China → connectors vs other destinations, {ICIO_END} gap to the "
                       "2014–2017 trend", link.estimate, "log points"),
                Figure("link_gap_low", "…lower end of the 90 % interval", link.bounds[0], "log points"),
                Figure("link_gap_high", "…upper end of the 90 % interval", link.bounds[1], "log points"),
            ]  # fmt: skip

        evidence = pd.DataFrame([t.to_dict() for t in tests])
        for_, against = _reroute_evidence(sh_l, gap, pre, reach_n, link, tests)
        chart = (
            _link_chart(link_fit, source="OECD ICIO 2023 (tariffwar cubes)")
            if link_fit is not None
            else None
        )
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=_rationale(decision, tests),
            figures=figs,
            evidence=evidence,
            method=self.method,
            provenance_ids=sorted(set(main.ids) | set(_tariff_ids(store))),
            files=files,
            chart=chart,
            evidence_for=for_,
            evidence_against=against,
            design=(
                "Conjunction of China's direct-plus-indirect reach of the US (ICIO accounting), "
                "connectors' US sales in listed vs unlisted products (comparator, bootstrap over "
                "HS6 products) and China's exports to the connectors vs the 2014–2017 trend "
                "relative to other destinations (pre-trend gap, prediction interval)."
            ),
        )


def _tariff_ids(store: Store) -> list[int]:
    if not store.has_table("tariff_measures"):
        return []
    return provenance_of(
        store, "tariff_measures", "imposer = 'USA' AND list_contains(?::VARCHAR[], measure)",
        [list(LISTS_301)],
    )  # fmt: skip


def _rationale(decision: Decision, tests: Sequence[Test]) -> str:
    parts = []
    for t in tests:
        if t.estimate is None:
            parts.append(f"{t.label}: not measured ({t.missing})")
        else:
            parts.append(
                f"{t.label}: {t.estimate:+,.{t.digits}f} {t.unit} ({t.interval_text()}) → {t.status}"
            )
    text = "; ".join(parts) + "."
    if decision.fragile:
        text += (
            f" The main specification gives {decision.main_status}, but an alternative in the "
            "robustness panel changes it, so the verdict is mixed."
        )
    return text


def _reroute_evidence(
    share: dict[str, float],
    gap: dict[str, float],
    pre: dict[str, float],
    reach: dict[str, float],
    link: Test,
    tests: Sequence[Test],
) -> tuple[list[str], list[str]]:
    for_: list[str] = []
    against: list[str] = []
    ch = share["change_pp"]
    (for_ if ch < 0 else against).append(
        f"China's share among the US suppliers in the data fell {-ch:.1f} pp in the listed "
        f"products {BASE_YEAR}–{REROUTE_END}, so direct trade did shift."
        if ch < 0
        else f"China's share of the listed products did not fall ({ch:+.1f} pp), so there was "
        "little decoupling to reroute."
    )
    if reach:
        r = reach["change_pct"]
        (for_ if r >= 0 else against).append(
            f"China's goods reaching the US directly and through Vietnam and Mexico changed "
            f"{r:+.1f} % {BASE_YEAR}–{ICIO_END} (ICIO), of which the direct flow {reach['direct_change_pct']:+.1f} %."
        )
    if gap:
        d = gap["estimate"]
        s = (
            f"Vietnam's and Mexico's US sales grew {gap['listed_growth']:.0f} % in listed products "
            f"against {gap['unlisted_growth']:.0f} % in unlisted ones ({d:+.1f} pp, 90 % interval "
            f"{gap['low']:+.1f} to {gap['high']:+.1f})."
        )
        (for_ if tests[1].status == "supported" else against if d <= 0 else for_).append(s)
        if tests[1].status == "mixed":
            against.append(
                "The listed-minus-unlisted interval includes values below the +10 pp threshold, so "
                "the tariff-driven part of the connectors' growth is not pinned down."
            )
    if pre:
        against.append(
            f"Placebo: before the tariffs (2015–2017) the same listed-minus-unlisted gap was "
            f"{pre['estimate']:+.1f} pp, a benchmark for how much of the later gap is pre-existing."
        ) if pre["estimate"] > 0 else for_.append(
            f"Placebo: before the tariffs (2015–2017) the listed-minus-unlisted gap was "
            f"{pre['estimate']:+.1f} pp, so the later gap is not a pre-existing pattern."
        )
    if link.estimate is not None:
        lo, hi = link.bounds
        s = (
            f"China's exports to the connectors relative to other destinations were "
            f"{link.estimate:+.1f} log points off their 2014–2017 trend in {ICIO_END} (90 % "
            f"prediction interval {lo:+.1f} to {hi:+.1f})."
        )
        (for_ if link.status == "supported" else against).append(s)
    return for_, against


def _link_chart(fit: Any, *, source: str) -> Any:
    from techties.models.breaks import counterfactual_chart

    return counterfactual_chart(
        fit.frame, last_pre=fit.last_pre, source=source, level=fit.level,
        title="China's goods exports to Vietnam and Mexico vs other destinations",
        unit="100 × ln(exports to VNM+MEX / exports to others)",
    )  # fmt: skip


# ============================================================================ claim 2
def fva_share(icio: Icio, ruv: RuvChina, year: int) -> dict[str, float]:
    """China's foreign value-added share by RUV sector (module doc, test A), with the
    export-weighted shares of all exports and of goods exports; percent."""
    c = icio.idx("CHN")
    x = icio.flows[year]
    d, ex = [], []
    for s in RUV_SECTORS:
        idx = icio.sector_idx(RUV_MAP[s])
        use = x[idx, c, :].sum(axis=0)
        d.append(use[c] / use.sum() if use.sum() > 0 else 1.0)
        sold = x[idx, :, c].sum(axis=0)
        ex.append(sold.sum() - sold[c])
    dom, exports = np.array(d), np.array(ex)
    a = ruv.io[year] * (1.0 - ruv.beta[year])[None, :]
    leontief = np.linalg.inv(np.eye(len(RUV_SECTORS)) - a * dom[:, None])
    fva = 100.0 * (np.ones(len(RUV_SECTORS)) @ (a * (1.0 - dom)[:, None]) @ leontief)
    goods = [i for i, s in enumerate(RUV_SECTORS) if s != 113]
    e = RUV_SECTORS.index(RUV_ELECTRONICS)
    return {
        "electronics": float(fva[e]),
        "first_round": float(100.0 * (a[:, e] * (1.0 - dom)).sum()),
        "all": float((fva * exports).sum() / exports.sum()),
        "goods": float((fva[goods] * exports[goods]).sum() / exports[goods].sum()),
    }


def us_share(icio_like: Any, year: int | None, sectors: Sequence[str]) -> float:
    """US share (%) of China's imports of ``sectors`` (origin ≠ China)."""
    if year is None:  # a SectoralFlows cube (WIOD 2014)
        countries, x, secs = icio_like.countries, icio_like.flows, icio_like.sectors
    else:
        countries, x, secs = icio_like.countries, icio_like.flows[year], icio_like.sectors
    c, u = countries.index("CHN"), countries.index("USA")
    idx = [secs.index(s) for s in sectors]
    imp = x[idx, c, :].sum(axis=0)
    imp[c] = 0.0
    return float(100.0 * imp[u] / imp.sum())


def us_input_share(icio: Icio, ruv: RuvChina, year: int) -> float | None:
    """US share (%) of the imported inputs of China's electronics industry: origin shares of
    China's imports of each input k weighted by the industry's imported-input cost k."""
    c, u = icio.idx("CHN"), icio.idx("USA")
    x = icio.flows[year]
    e = RUV_SECTORS.index(RUV_ELECTRONICS)
    num = den = 0.0
    for i, s in enumerate(RUV_SECTORS):
        use = x[icio.sector_idx(RUV_MAP[s]), c, :].sum(axis=0)
        imported = use.sum() - use[c]
        if imported <= 0:
            continue
        w = ruv.io[year][i, e] * imported / use.sum()
        num += w * use[u] / imported
        den += w
    return 100.0 * num / den if den > 0 else None


def _fva_test(value: float | None, label: str, why: str = "") -> Test:
    if value is None:
        return _absent("fva", label, "%", FVA_SUPPORT, FVA_CONTRA, why)
    return Test("fva", label, value, "%", FVA_SUPPORT, FVA_CONTRA, digits=1)


def _us_test(value: float | None, label: str, why: str = "") -> Test:
    if value is None:
        return _absent("us", label, "%", US_SUPPORT, US_CONTRA, why)
    return Test("us", label, value, "%", US_SUPPORT, US_CONTRA, digits=1)


@register
class ChinaImportReliance(Checker):
    """Claim 2: China's high-tech exports embody much foreign value added, with a large US part."""

    name = "china_import_reliance"
    claim_id = "china-hightech-relies-on-imports"
    method = (
        "Foreign value-added share of China's electronics exports (ICIO sectors D26–D27) from the "
        "ICIO 2021 input–output and value-added shares with China's domestic shares of each "
        "input from the OECD ICIO 2023 cube (single-country Leontief measure), and the US share "
        "of China's imports of computer and electronic goods (ICIO C26), latest year. "
        f"Supported when the first is ≥ {FVA_SUPPORT.value:.0f} % and the second "
        f"≥ {US_SUPPORT.value:.0f} %; contradicted when either is below "
        f"{FVA_CONTRA.value:.0f} % / {US_CONTRA.value:.0f} %."
    )

    def evaluate(self, store: Store) -> Verdict:
        files: list[dict[str, str]] = []
        icio: Icio | None = None
        ruv: RuvChina | None = None
        why_i = why_r = ""
        try:
            icio = load_icio(_folder(*ICIO_DIR))
            files += _files(icio.files)
        except (Missing, TechtiesError) as exc:
            why_i = getattr(exc, "what", None) or str(exc)
        try:
            ruv = load_ruv_china(_folder(*RUV_DIR))
            files += _files(ruv.files)
        except (Missing, TechtiesError, OSError, ValueError, KeyError) as exc:
            why_r = getattr(exc, "what", None) or str(exc)
        wiod, wiod_ids = _wiod_fva(store)

        def fva(year: int | None, which: str = "electronics") -> Test:
            label = (
                "Foreign value added, China's electronics exports"
                if which == "electronics"
                else "Foreign value added, all of China's exports"
            )
            if icio is None or ruv is None:
                return _fva_test(None, label, why_i or why_r)
            yrs = sorted(set(ruv.io) & set(icio.flows))
            if not yrs:
                return _fva_test(None, label, "no common year of the ICIO cube and the IO shares")
            y = yrs[-1] if year is None else year
            if y not in yrs:
                return _fva_test(None, label, f"no ICIO input–output shares for {y}")
            return _fva_test(fva_share(icio, ruv, y)[which], f"{label} {y}")

        def us(year: int | None, sectors: Sequence[str] = ELECTRONICS) -> Test:
            label = "US share of China's imports of computer and electronic goods"
            if icio is None:
                return _us_test(None, label, why_i)
            y = icio.years[-1] if year is None else year
            if y not in icio.flows:
                return _us_test(None, label, f"the ICIO cubes have no {y}")
            return _us_test(us_share(icio, y, sectors), f"{label} {y}")

        tests = [fva(None), us(None)]
        alternatives: dict[str, list[Test]] = {
            "all exports, not electronics only": [fva(None, "all"), tests[1]],
            "year 2018 (before the 2019–2022 controls)": [fva(2018), us(2018)],
            "year 2015": [fva(2015), us(2015)],
            "electronics and electrical (C26–C27) imports": [tests[0], us(None, ELECTRONICS_WIDE)],
        }
        if icio is not None and ruv is not None and 2018 in ruv.io and 2018 in icio.flows:
            alternatives["US share of all imported inputs of the electronics industry 2018"] = [
                tests[0],
                _us_test(us_input_share(icio, ruv, 2018),
                         "US share of the electronics industry's imported inputs 2018"),
            ]  # fmt: skip
        w_us = None
        if icio is not None and icio.wiod is not None and WIOD_ELECTRONICS in icio.wiod.sectors:
            w_us = us_share(icio.wiod, None, [WIOD_ELECTRONICS])
        w_last = wiod[wiod["year"] == wiod["year"].max()] if not wiod.empty else wiod
        alternatives["WIOD 2014 instead of ICIO (all exports)"] = [
            _fva_test(
                float(w_last["share_pct"].iloc[0]) if not w_last.empty else None,
                "Foreign value added, all of China's exports (WIOD 2014)", FVA_LOAD,
            ),
            _us_test(w_us, "US share of China's computer/electronic imports (WIOD 2014)",
                     "the WIOD 2014 cube (WIOD2014.mat) is not in the data folder"),
        ]  # fmt: skip
        comp, comp_year, comp_ids = _us_component_share(store)
        if comp is not None:
            alternatives[f"China-reported HS 8541/8542 imports {comp_year}"] = [
                tests[0], _us_test(comp, f"US share of China's HS 8541/8542 imports {comp_year}")
            ]  # fmt: skip
        decision = decide(
            tests, alternatives,
            notes={"main specification": "ICIO: FVA latest year with IO shares (2018), US share "
                   "latest cube year (2022)"},
        )  # fmt: skip

        figs: list[Figure] = []
        series: list[pd.DataFrame] = []
        if icio is not None and ruv is not None:
            yrs = sorted(set(ruv.io) & set(icio.flows))
            rows = {y: fva_share(icio, ruv, y) for y in yrs}
            last = yrs[-1]
            figs += [
                Figure("fva_electronics_pct", f"Foreign VA share, China's electronics exports {last}",
                       rows[last]["electronics"], "%"),
                Figure("fva_first_round_pct", f"…of which direct (first-round) imported inputs {last}",
                       rows[last]["first_round"], "%"),
                Figure("fva_all_pct", f"Foreign VA share, all of China's exports {last} (ICIO)",
                       rows[last]["all"], "%"),
                Figure("fva_electronics_first_pct", f"Foreign VA share, electronics exports {yrs[0]}",
                       rows[yrs[0]]["electronics"], "%"),
            ]  # fmt: skip
            series.append(pd.DataFrame({
                "year": yrs, "value": [rows[y]["electronics"] for y in yrs],
                "series": "Foreign VA share, electronics exports (ICIO)"}))  # fmt: skip
        if icio is not None:
            us_s = {y: us_share(icio, y, ELECTRONICS) for y in icio.years}
            figs += [
                Figure("us_c26_share_pct", f"US share of China's C26 imports {icio.years[-1]}",
                       us_s[icio.years[-1]], "%"),
                Figure("us_c26_share_first_pct", f"US share of China's C26 imports {icio.years[0]}",
                       us_s[icio.years[0]], "%"),
            ]  # fmt: skip
            series.append(pd.DataFrame({
                "year": list(us_s), "value": list(us_s.values()),
                "series": "US share of China's electronics (C26) imports (ICIO)"}))  # fmt: skip
        if not wiod.empty:
            figs.append(Figure("fva_wiod_pct", f"Foreign VA share, all of China's exports "
                               f"{int(w_last['year'].iloc[0])} (WIOD)",
                               float(w_last["share_pct"].iloc[0]), "%"))  # fmt: skip
            series.append(pd.DataFrame({"year": wiod["year"], "value": wiod["share_pct"],
                                        "series": "Foreign VA share, all exports (WIOD)"}))  # fmt: skip
        if comp is not None:
            figs.append(Figure("us_component_pct", f"US share of China's HS 8541/8542 imports "
                               f"{comp_year}", comp, "%"))  # fmt: skip
        for_, against = _reliance_evidence(tests, figs)
        chart = _reliance_chart(pd.concat(series)) if series else None
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=_rationale(decision, tests),
            figures=figs,
            evidence=pd.concat(series) if series else pd.DataFrame(),
            method=self.method,
            provenance_ids=sorted(set(wiod_ids) | set(comp_ids)),
            files=files,
            chart=chart,
            evidence_for=for_,
            evidence_against=against,
            design=(
                "Observed input–output accounting: the foreign value-added share of China's "
                "electronics exports (single-country Leontief on ICIO shares) and the US share of "
                "China's electronics imports, each against a threshold fixed in advance."
            ),
        )


def _fig(figs: Sequence[Figure], key: str) -> float | None:
    hit = [f.value for f in figs if f.key == key]
    return hit[0] if hit else None


def _reliance_evidence(
    tests: Sequence[Test], figs: Sequence[Figure]
) -> tuple[list[str], list[str]]:
    for_: list[str] = []
    against: list[str] = []
    fva, us = tests
    if fva.estimate is not None:
        s = (
            f"Foreign value added is {fva.estimate:.1f} % of China's electronics exports "
            f"({fva.label.rsplit(' ', 1)[-1]}, ICIO-based)."
        )
        (for_ if fva.status == "supported" else against).append(s)
        allx = _fig(figs, "fva_all_pct")
        if allx is not None:
            (for_ if allx >= FVA_SUPPORT.value else against).append(
                f"Across all of China's exports the foreign value-added share is lower, "
                f"{allx:.1f} %, so the dependence is concentrated in electronics."
            )
    if us.estimate is not None:
        first = _fig(figs, "us_c26_share_first_pct")
        s = f"The US supplied {us.estimate:.1f} % of China's imports of computer and electronic goods ({us.label.rsplit(' ', 1)[-1]})"
        s += (
            f", down from {first:.1f} % in 2014."
            if first is not None and first > us.estimate
            else "."
        )
        (for_ if us.status == "supported" else against).append(s)
        against.append(
            "US technology embodied in chips made in Taiwan, Korea or Japan is recorded there, not "
            "as US supply, so the US share understates US-origin technology."
        ) if us.status != "supported" else None
    return for_, against


def _reliance_chart(df: pd.DataFrame) -> Any:
    data = df.assign(date=pd.to_datetime(df["year"].astype(int).astype(str) + "-07-01"))
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Year"),
            y=alt.Y("value:Q", title="%"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=1)),
            tooltip=["series", "year", alt.Tooltip("value:Q", format=".1f")],
        )
    )
    rules = (
        alt.Chart(pd.DataFrame({"value": [FVA_SUPPORT.value, US_SUPPORT.value],
                                "rule": ["FVA threshold 15 %", "US-share threshold 10 %"]}))
        .mark_rule(strokeDash=[4, 3], color="#888")
        .encode(y="value:Q", tooltip=["rule"])
    )  # fmt: skip
    return charts.finish(
        lines + rules,
        title="China's imported content and the US part of its electronics imports",
        subtitle="% (foreign value added in exports; US share of China's C26 imports)",
        source="OECD ICIO 2023 and 2021 edition; WIOD 2016 via icio",
    )


def _wiod_fva(store: Store) -> tuple[pd.DataFrame, list[int]]:
    """The WIOD foreign value-added share of China's exports by year (empty when not stored)."""
    from techties.indicators.gvc import foreign_value_added_share

    try:
        res = foreign_value_added_share(store, exporter="CHN")
    except TechtiesError:
        return pd.DataFrame(columns=["year", "share_pct"]), []
    t = res.tidy().sort_values("year")
    return t[["year", "share_pct"]].reset_index(drop=True), list(res.provenance_ids)


def _us_component_share(store: Store) -> tuple[float | None, int | None, list[int]]:
    """US share (%) of China-reported imports of HS 8541/8542 in the latest year with a world
    total: ``100 · V[CHN ← USA] / V[CHN ← WLD]``; ``(None, None, [])`` when not stored."""
    if not store.has_table("trade_flows"):
        return None, None, []
    where = (
        "reporter = 'CHN' AND flow = 'import' AND classification = 'HS' AND month IS NULL "
        "AND product_level = 4 AND product_code IN (SELECT unnest(?)) AND partner IN ('USA', 'WLD')"
    )
    params: list[object] = [list(COMPONENTS)]
    df = store.df(
        "SELECT year, sum(value_usd) FILTER (WHERE partner = 'USA') AS us, "
        "sum(value_usd) FILTER (WHERE partner = 'WLD') AS world "
        f"FROM trade_flows WHERE {where} GROUP BY year HAVING world > 0 ORDER BY year",
        params,
    )
    if df.empty:
        return None, None, []
    last = df.iloc[-1]
    us = 0.0 if pd.isna(last["us"]) else float(last["us"])
    return (
        100 * us / float(last["world"]),
        int(last["year"]),
        provenance_of(store, "trade_flows", where, params),
    )
