"""The unilaterally optimal uniform tariff in the one-sector model, and what its FOC leaves out.

``optimal_uniform_tariff(base, "USA", sigma=5)`` searches the uniform ad-valorem tariff ``t``
that the country levies on every partner (on top of the baseline tariffs) maximising its
``welfare_pct`` (real expenditure, tariff revenue rebated), solving the full one-sector
equilibrium at each trial (:func:`~techties.simulation.onesector.solve_onesector`) under the
chosen trade-imbalance ``closure`` (multiplicative: deficits move with income; additive: fixed).
Brent's bounded search locates the peak on ``[0, upper]``; with ``polish`` (default) the root of
the welfare slope (central differences, equilibria solved to 1e-13) is then found by Brent's
root finder, which pins the optimum to about 1e-8 (a maximum found from function values alone
is only good to about the square root of their precision).

The FOC formula and why the exact optimum lies above it
-------------------------------------------------------
Lashkaripour (2021, JIE 131, eq. 14; ILMS 2025 use it, ``optimal_us_equations.m``) gives the
optimal uniform tariff of country i as ``t* = 1 / (ε Σ_{j≠i} χ_ij (1 − λ_ij))``, ``ε = σ − 1``,
``χ_ij`` the share of market j in i's exports at producer prices and ``λ_ij`` i's share of j's
(tariff-inclusive) spending, both at the optimum (:func:`formula_tariff`). Derivation, for a
uniform import tariff with the revenue rebated lump-sum and partners that levy no tariffs:

1. Lerner symmetry: the tariff ``t`` on every import leaves the same real allocation as an
   export tax ``t`` on every foreign sale (relative prices of i's goods and foreign goods are
   the same at home and abroad). So i chooses the price ``p = (1 + t) w_i`` its goods fetch
   abroad, relative to its own wage.
2. Hold the partners' wages ``w_n`` and spending ``E_j`` fixed. i's sales in j are
   ``X_ij = λ_ij E_j`` with ``λ_ij ∝ p^(−ε)``, so ``∂ ln X_ij / ∂ ln p = −ε (1 − λ_ij)`` and
   the quantity i exports, ``Q = Σ_j X_ij / p``, has the price elasticity
   ``e = 1 + ε Σ_j χ_ij (1 − λ_ij)``. i's budget is trade balance (imports at world prices =
   export revenue ``p Q(p)``) and the partners' goods come at fixed prices; maximising utility
   over domestic goods, imports and exports is a monopolist's problem in exports: the price of
   exports over their resource cost is ``e / (e − 1)``, i.e. ``1 + t = e / (e − 1)``,
   ``t = 1 / (e − 1)`` — the formula, *exact* in this problem (χ, λ at the optimum; with
   partners' tariffs present ``χ`` is at producer prices, as the ``ustariff`` code has it).
   If partners levy tariffs on i, their rebated revenue (part of ``E_j``) moves with ``p``
   too, a term the formula omits even with two countries (a 2-country test economy facing a
   20 % tariff: exact best response 26.25 %, formula 26.51 %).
   :func:`fixed_partner_optimum` solves this problem by search; the formula at its optimum
   equals it to 1e-6 on small economies and on the 194-country data (tests).
3. In general equilibrium the tariff also moves the partners' wages relative to one another and
   with them i's import prices and the partners' demand for i's goods. With two countries there
   is one partner wage, the numeraire, and nothing is left out: the search and the formula agree
   to 1e-6. With more, Lashkaripour (2021, eq. "W approx") drops these terms, arguing that one
   destination buys a negligible share ``r_ni`` of each partner's output (median 0.001 in his
   WIOD sample). For the US that is not so: on the 194-country data Mexico sells 22 % of its
   output to it, Vietnam 19 %, Canada 17 %. The US tariff lowers most the wages of the suppliers
   that depend on it most — a further fall in US import prices that the formula omits — so the
   exact optimum lies above it. Balanced 194-country baseline, σ = 5: exact optimum 26.820 %
   (US welfare +0.4796 %); formula at that point 26.195 %; the formula's own fixed point (what
   the ``ustariff`` package solves) 26.207 % (+0.4795 %: the welfare cost of the approximation is 0.0002
   points); the optimum with partners' wages fixed 26.259 %. Test economies: 3 countries 26.47
   vs 26.42 %, 5 countries 27.16 vs 26.33 %. The 2–3 % gap between search and formula is this
   approximation, not a different tariff base and not solver error.

The welfare curve need not be concave: with a large deficit held fixed (``additive``), US
welfare on the unbalanced 194-country baseline (σ = 5) peaks locally at t ≈ 0.48 (+0.66 %),
dips, and rises again above t ≈ 0.9 as imports shrink towards autarky while the fixed transfer
stays — an artefact of the closure, not a policy optimum; with ``multiplicative`` the deficit
grows with US prices and welfare rises monotonically on [0, 1]. The search is a local one on
``[0, upper]``; keep ``upper`` at 1 and read it with the curve, or search the balanced world
(:func:`techties.simulation.tariff_nash.balanced_baseline`, ILMS's Appendix H alternative and
the ``ustariff`` package's treatment). ILMS's journal model keeps the deficits as transfers
fixed relative to world output and evaluates its formula on the data; their 19 % and the
larger US losses with IO need firm-selection, labour-supply and tax terms techties lacks
(docs/simulation.md, "Optimal tariffs, retaliation and the tariff war").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from techties.errors import ConfigError, SolverError
from techties.simulation.onesector import Imbalance, OneSectorResult, solve_onesector
from techties.simulation.options import SolverOptions

#: equilibria behind the welfare slope are solved to this excess-demand tolerance
POLISH_TOL = 1e-13
#: step of the central difference of log welfare in the tariff
SLOPE_STEP = 1e-4


@dataclass(frozen=True)
class OptimalTariff:
    """The optimum: tariff (fraction), the country's welfare there (%), solver evaluations."""

    country: str
    tariff: float
    welfare_pct: float
    evaluations: int
    result: Any  # OneSectorResult, or IOResult with ``io_share``

    def to_dict(self) -> dict[str, Any]:
        return {"country": self.country, "tariff": self.tariff, "welfare_pct": self.welfare_pct,
                "evaluations": self.evaluations}  # fmt: skip


def uniform_change(n: int, imposer: int, rate: float, *, targets: str = "partners") -> np.ndarray:
    """N×N tariff change: ``rate`` on every flow into ``imposer`` (``targets='partners'``) or
    levied by every partner on the imposer's exports (``targets='mirror'``)."""
    dt = np.zeros((n, n))
    if targets == "partners":
        dt[:, imposer] = rate
    else:
        dt[imposer, :] = rate
    dt[imposer, imposer] = 0.0
    return dt


def argmax_tariff(
    log_welfare: Callable[[float], float],
    upper: float,
    *,
    xtol: float = 1e-5,
    polish: bool = True,
    precise: Callable[[float], float] | None = None,
) -> float:
    """The tariff in ``[0, upper]`` maximising ``log_welfare``: Brent's bounded search, then
    (``polish``) Brent's root of the central-difference slope of ``precise`` (default
    ``log_welfare``) in a bracket around the peak. Without a sign change there (a corner, or a
    flat curve) the search's value is returned."""
    opt = minimize_scalar(lambda r: -log_welfare(r), bounds=(0.0, upper), method="bounded",
                          options={"xatol": xtol})  # fmt: skip
    rate = float(opt.x)
    if not polish:
        return rate
    f = precise or log_welfare
    h = SLOPE_STEP

    def slope(r: float) -> float:
        return (f(r + h) - f(r - h)) / (2.0 * h)

    lo, hi = max(rate - 0.01, h), min(rate + 0.01, upper - h)
    if not lo < rate < hi or not slope(lo) > 0 > slope(hi):
        return rate
    return float(brentq(slope, lo, hi, xtol=1e-12, rtol=1e-12))


def onesector_solver(base: Any, sigma: float, closure: Imbalance,
                     io_share: float | np.ndarray | None = None) -> Callable[..., Any]:
    """``solve(tariff_change, options=None)`` on ``base``: the one-sector model, or with
    ``io_share`` the model with roundabout production on ``io_baseline(base, io_share)``."""
    if io_share is None:
        def plain(change: np.ndarray, options: SolverOptions | None = None) -> OneSectorResult:
            return solve_onesector(base.trade, sigma=sigma, tariff=getattr(base, "tariff", None),
                                   countries=base.countries, tariff_change=change,
                                   imbalance=closure, conditional=False, options=options)  # fmt: skip

        return plain
    from techties.simulation.onesector_io import io_baseline, solve_io

    if getattr(base, "tariff", None) is not None and np.any(base.tariff):
        raise ConfigError("the IO model needs a baseline without tariffs",
                          hint="use load_named_baseline('liberation_day') (zero tariffs)")  # fmt: skip
    gross = io_baseline(base, io_share).trade

    def with_io(change: np.ndarray, options: SolverOptions | None = None) -> Any:
        return solve_io(gross, io_share, sigma=sigma, tariff_change=change, closure=closure,
                        countries=base.countries, options=options)  # fmt: skip

    return with_io


def optimal_uniform_tariff(
    base: Any,
    country: str,
    *,
    sigma: float,
    closure: Imbalance = "multiplicative",
    upper: float = 1.0,
    xtol: float = 1e-5,
    extra_change: np.ndarray | None = None,
    polish: bool = True,
    io_share: float | np.ndarray | None = None,
) -> OptimalTariff:
    """Maximise ``country``'s welfare over a uniform tariff on all its imports.

    ``base``: a one-sector baseline (``countries``, ``trade``, ``tariff``). ``extra_change``:
    other tariff changes held fixed during the search (e.g. partners' retaliation).
    ``polish``: refine the peak by the root of the welfare slope (see the module docstring).
    ``io_share``: value-added share(s) β — solve the model with roundabout production instead
    (:mod:`~techties.simulation.onesector_io`, on ``io_baseline(base, β)``; ILMS use 0.49).
    """
    if country not in base.countries:
        raise ConfigError(f"{country!r} is not in the baseline", hint="give an ISO3 code it has")
    n, i = len(base.countries), base.countries.index(country)
    fixed = np.zeros((n, n)) if extra_change is None else np.asarray(extra_change, dtype=float)
    tight = SolverOptions(tol=POLISH_TOL, max_iter=20_000)
    solver = onesector_solver(base, sigma, closure, io_share)
    count = 0

    def solve(rate: float, options: SolverOptions | None = None) -> Any:
        nonlocal count
        count += 1
        return solver(uniform_change(n, i, rate) + fixed, options)

    def log_w(rate: float, options: SolverOptions | None = None) -> float:
        return float(np.log1p(solve(rate, options).welfare_pct.iloc[i] / 100.0))

    rate = argmax_tariff(log_w, upper, xtol=xtol, polish=polish,
                         precise=lambda r: log_w(r, tight))  # fmt: skip
    res = solve(rate, tight if polish else None)
    return OptimalTariff(country, rate, float(res.welfare_pct.iloc[i]), count, res)


def formula_tariff(res: Any, country: str, sigma: float) -> float:
    """``1 / ((σ − 1) Σ_{j≠i} χ_ij (1 − λ_ij))`` at the solution ``res`` (Lashkaripour 2021
    eq. 14: exact with the partners' wages held fixed, see the module docstring)."""
    i = list(res.countries).index(country)
    x = res.full.trade
    exports = np.delete(x[i], i)
    chi = exports / exports.sum()
    lam = np.delete(res.full.shares[i], i)
    return float(1.0 / ((sigma - 1.0) * np.sum(chi * (1.0 - lam))))


def formula_fixed_point(base: Any, country: str, *, sigma: float, closure: Imbalance = "additive",
                        tol: float = 1e-10, max_rounds: int = 100,
                        io_share: float | np.ndarray | None = None) -> OptimalTariff:
    """The tariff ``t = formula(equilibrium at t)`` — what Lashkaripour's ``ustariff`` package
    solves for the optimal US tariff (``optimal_us_equations.m``: the FOC as one more equation),
    iterated ``t ← formula(t)`` from the formula at zero; raises :class:`SolverError` if it
    has not settled in ``max_rounds``. Under IO this is still the one-sector formula."""
    if country not in base.countries:
        raise ConfigError(f"{country!r} is not in the baseline", hint="give an ISO3 code it has")
    n, i = len(base.countries), base.countries.index(country)
    solver = onesector_solver(base, sigma, closure, io_share)
    rate, res = 0.0, solver(np.zeros((n, n)))
    for k in range(1, max_rounds + 1):
        new = formula_tariff(res, country, sigma)
        res = solver(uniform_change(n, i, new))
        if abs(new - rate) <= tol:
            return OptimalTariff(country, new, float(res.welfare_pct.iloc[i]), k + 1, res)
        rate = new
    raise SolverError(f"the FOC formula's fixed point not reached in {max_rounds} rounds")


@dataclass(frozen=True)
class FixedPartnerOptimum:
    """The optimum of :func:`fixed_partner_optimum` and the FOC formula evaluated there."""

    country: str
    tariff: float
    formula: float
    welfare_pct: float


def _home_market(base: Any, i: int, sigma: float, rate: float) -> tuple[float, np.ndarray, float]:
    """i's own equilibrium with partners' wages and spending fixed: ``(ln W_i, λ'_i·, p̂_i)``.

    Solves i's market clearing ``p̂ Y_i = λ'_ii E'_i + Σ_j λ'_ij E_j`` for its price ``p̂``;
    ``E'_i = p̂ Y_i / (1 − (1 − λ'_ii) t/(1+t))``, ``λ'_ij ∝ λ_ij p̂^(−ε)`` against fixed
    partner prices and, at home, imports priced ``(1 + t)``."""
    x = np.asarray(base.trade, dtype=float)
    spend, out = x.sum(axis=0), x.sum(axis=1)
    lam = x[i] / spend
    eps = sigma - 1.0
    home = np.arange(len(out)) == i

    def state(lp: float) -> tuple[np.ndarray, float, float]:
        own = lam * np.exp(-eps * lp)
        foreign_cost = np.where(home, (1.0 - lam) * (1.0 + rate) ** -eps, 1.0 - lam)
        new = own / (own + foreign_cost)  # λ'_ij, j = every market (i's own at index i)
        e_home = np.exp(lp) * out[i] / (1.0 - (1.0 - new[i]) * rate / (1.0 + rate))
        demand = float(np.sum(np.where(home, new * e_home, new * spend)))
        return new, e_home, demand / (np.exp(lp) * out[i]) - 1.0

    lp = brentq(lambda v: state(v)[2], -5.0, 5.0, xtol=1e-15, rtol=1e-15)
    new, e_home, _ = state(lp)
    p_index = ((lam[i] * np.exp(-eps * lp) + (1.0 - lam[i]) * (1.0 + rate) ** -eps)
               ** (-1.0 / eps))  # fmt: skip
    return float(np.log(e_home / spend[i] / p_index)), new, float(np.exp(lp))


def fixed_partner_optimum(base: Any, country: str, *, sigma: float,
                          upper: float = 1.0) -> FixedPartnerOptimum:
    """Optimal uniform tariff when the partners' wages and spending do not respond (step 2 of
    the module docstring's derivation), and the FOC formula at that optimum — equal to it.

    ``base``: a tariff-free, balanced one-sector baseline."""
    if getattr(base, "tariff", None) is not None and np.any(base.tariff):
        raise ConfigError("fixed_partner_optimum needs a baseline without tariffs",
                          hint="use balanced_baseline(load_named_baseline('liberation_day'))")  # fmt: skip
    if country not in base.countries:
        raise ConfigError(f"{country!r} is not in the baseline", hint="give an ISO3 code it has")
    i = list(base.countries).index(country)
    rate = argmax_tariff(lambda r: _home_market(base, i, sigma, r)[0], upper)
    log_w, new, _ = _home_market(base, i, sigma, rate)
    x = np.asarray(base.trade, dtype=float)
    sales = np.delete(new * x.sum(axis=0), i)  # i's sales abroad (partners levy no tariff)
    chi = sales / sales.sum()
    formula = 1.0 / ((sigma - 1.0) * np.sum(chi * (1.0 - np.delete(new, i))))
    return FixedPartnerOptimum(country, rate, float(formula), 100.0 * float(np.expm1(log_w)))


__all__ = [
    "FixedPartnerOptimum",
    "OptimalTariff",
    "argmax_tariff",
    "fixed_partner_optimum",
    "formula_fixed_point",
    "formula_tariff",
    "onesector_solver",
    "optimal_uniform_tariff",
    "uniform_change",
]
