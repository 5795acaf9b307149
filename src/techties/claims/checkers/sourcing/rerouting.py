"""Claim 4: decoupling has not cut trade with China; it has been rerouted through connector
countries (a conjunction of three tests, see the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from techties.claims.base import (
    Checker,
    Missing,
    provenance_of,
    register,
)
from techties.claims.checkers.sourcing import inputs
from techties.claims.checkers.sourcing._common import (
    _absent,
    _rationale,
)
from techties.claims.checkers.sourcing._panels import (  # noqa: F401  (re-exported)
    HARMONISE_TO,
    LIST_VINTAGE,
    LISTS_301,
    REROUTE_END,
    Panel,
    _Panels,
)
from techties.claims.checkers.sourcing.inputs import Icio
from techties.claims.checkers.trade import BASE_YEAR
from techties.claims.rules import Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError, TechtiesError
from techties.store import Store

REACH_SUPPORT = Threshold(">=", 0.0)
REACH_CONTRA = Threshold("<=", -10.0)
LISTED_SUPPORT = Threshold(">=", 10.0)
LISTED_CONTRA = Threshold("<=", 0.0)
LINK_SUPPORT = Threshold(">=", 10.0)
LINK_CONTRA = Threshold("<=", 0.0)
ICIO_END = 2022
ICIO_FIRST = 2014
CONNECTORS = ("VNM", "MEX")
#: every connector the ICIO has (the rerouting indicator's list)
ALL_CONNECTORS = ("VNM", "MEX", "TWN", "KOR", "IND", "THA", "MYS")
DRAWS = 1000
SEED = 20180706
LEVEL = 0.90
MACHINERY = ("C26", "C27", "C28")


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
    percentile bootstrap over products within each group (``LEVEL`` interval). Computed once
    per panel and arguments (the bootstrap is seeded: the same arguments give the same draws)."""
    args = (tuple(connectors), t0, t1, draws)
    if args in panel.gaps:
        return dict(panel.gaps[args])
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
    panel.gaps[args] = out
    return dict(out)


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
        panel = _Panels(store, years)
        main = panel()  # raises Missing without US HS6 imports or the 301 lists
        icio, icio_why, icio_ids = inputs.icio_or_why(store)

        reach, reach_n = _reach_test(icio, CONNECTORS, BASE_YEAR, ICIO_END, why=icio_why)
        listed, gap = _listed_test(main, CONNECTORS, BASE_YEAR, REROUTE_END)
        link, link_fit = _link_test(
            icio, CONNECTORS, last_pre=BASE_YEAR, end=ICIO_END, why=icio_why
        )
        tests = [reach, listed, link]

        alternatives = _reroute_alternatives(panel, main, icio, icio_why, listed.label)
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
        figs = _reroute_figures(icio, sh_l, sh_a, sh_raw, gap, pre, reach_n, link)

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
            provenance_ids=sorted(set(main.ids) | set(_tariff_ids(store)) | set(icio_ids)),
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


def _alternative(
    panel: _Panels,
    main: Panel,
    icio: Icio | None,
    icio_why: str,
    listed_label: str,
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
    """The three tests of one alternative specification (an HS6 panel that cannot be built
    leaves (b1) unmeasured, saying why)."""
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
            "listed", listed_label, "pp", LISTED_SUPPORT, LISTED_CONTRA,
            f"no US HS6 imports from {', '.join(connectors)} by product"),
        _link_test(icio, connectors, last_pre=t0, end=i1, sectors=sectors,
                   comparator=comparator, why=icio_why)[0],
    ]  # fmt: skip


def _reroute_alternatives(
    panel: _Panels, main: Panel, icio: Icio | None, icio_why: str, listed_label: str
) -> dict[str, list[Test]]:
    """The robustness panel of claim 4: other years, HS vintage, lists, connectors, sectors and
    the (b2)/(a) variants without comparator or attribution."""
    alt = partial(_alternative, panel, main, icio, icio_why, listed_label)
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
    return alternatives


def _reroute_figures(
    icio: Icio | None,
    sh_l: dict[str, float],
    sh_a: dict[str, float],
    sh_raw: dict[str, float],
    gap: dict[str, float],
    pre: dict[str, float],
    reach_n: dict[str, float],
    link: Test,
) -> list[Figure]:
    """Figures of claim 4: China's share of the listed products, the listed-minus-unlisted
    gap and its placebo, China's reach of the US and the link to the connectors."""
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
    return figs


def _tariff_ids(store: Store) -> list[int]:
    if not store.has_table("tariff_measures"):
        return []
    return provenance_of(
        store, "tariff_measures", "imposer = 'USA' AND list_contains(?::VARCHAR[], measure)",
        [list(LISTS_301)],
    )  # fmt: skip


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
