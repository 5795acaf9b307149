"""Balanced-trade baselines, best-response uniform tariffs and the Nash tariff war (one sector).

Why techties' unilateral optimum on the 194-country data was 47.7 % (σ = 5) and what the
replication code of Ignatenko, Lashkaripour, Macedoni & Simonovska (ILMS 2025; the
``ahmadlp/us-tariff`` package) does instead:

* **Deficits.** The ``ustariff`` package first removes every trade deficit ("DEK balanced
  trade", ``balance_trade.m``: the equilibrium of the data with ``D = 0``) and solves the tariff
  problem on that balanced world, where national income is wages plus tariff revenue;
  :func:`balanced_baseline` does the same (ILMS's journal model keeps the deficits as transfers
  fixed relative to world output — techties' ``closure="additive"`` — and lists the balanced
  world as an alternative, Appendix H). With the US deficit (imports 2.90 vs exports 1.86
  trillion USD) held fixed, a fixed transfer finances imports the terms-of-trade motive then
  taxes harder, and the welfare curve has a local peak at 47.7 %; with ``multiplicative`` the
  transfer grows with US prices and welfare rises over all of [0, 1].
* **Objective and revenue.** Both maximise real national expenditure with the tariff revenue
  rebated lump-sum (ILMS eq. 7: income = wages + revenue); same in techties (``welfare_pct``).
* **Elasticity.** The FOC of ILMS (Lashkaripour 2021, eq. 14, ``optimal_us_equations.m``) is
  ``t* = 1 / (ε Σ_{j≠i} χ_ij (1 − λ_ij))`` with ``ε = σ − 1`` — the formula techties' search
  is checked against (:func:`~techties.simulation.optimal_tariff.formula_tariff`). It is exact
  with the partners' wages held fixed and drops the partners' relative-wage responses (exact
  with two countries; derivation and numbers in :mod:`~techties.simulation.optimal_tariff`):
  on the balanced 194-country baseline with σ = 5 the exact optimum is 26.82 % (US welfare
  +0.48 %), the formula at that point 26.19 % and its fixed point 26.21 %, close to the ≈ 25 %
  of ILMS's earlier (NHH) version; the published 19 % needs their model's further features
  (docs/simulation.md, "Optimal tariffs").

Tariff war. :func:`nash_uniform_tariffs` iterates best responses: at each round every player's
uniform import tariff is set to the FOC value at the current equilibrium (each country's optimal
uniform tariff given the others', by the formula the ``ustariff`` package solves; an exact
numerical search lands about 3 % higher, the partners' wage responses it leaves out); ``fixed``
holds some countries' tariffs (e.g. the US tariff, giving the others' best responses to it).
It stops when no tariff moves by more than ``tol``. Uniform tariffs apply to all partners;
ILMS's "optimal retaliation", partners taxing US goods only, is
:mod:`techties.simulation.retaliation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from techties.errors import ConfigError, SolverError
from techties.simulation.onesector import OneSectorResult, solve_onesector


def balanced_baseline(base: Any, sigma: float, *, tol: float = 1e-12, max_iter: int = 20_000) -> Any:
    """The equilibrium of ``base.trade`` with every trade deficit removed (``E_j = Y_j``).

    Unknowns are factory-gate price changes ``p̂`` (endowments fixed, ``Y'_i = p̂_i Y_i``); spending
    shares follow CES, ``λ'_ij ∝ λ_ij p̂_i^(1−σ)``; world output is the numeraire. Returns a copy of
    ``base`` with the balanced flows ``X'_ij = λ'_ij Y'_j``. Needs a baseline without tariffs.
    """
    if getattr(base, "tariff", None) is not None and np.any(base.tariff):
        raise ConfigError("balanced_baseline needs a baseline without tariffs",
                          hint="use load_liberation_day_onesector (zero baseline tariffs)")  # fmt: skip
    x = np.asarray(base.trade, dtype=float)
    y, e = x.sum(axis=1), x.sum(axis=0)
    lam = x / e
    s1 = 1.0 - sigma
    lp = np.zeros(len(y))
    for it in range(1, max_iter + 1):
        w = lam * np.exp(s1 * lp)[:, None]
        share = w / w.sum(axis=0)
        out = y * np.exp(lp)
        demand = share @ out
        gap = np.log(demand / out)
        if np.max(np.abs(gap)) <= tol:
            note = f"trade balanced (E = Y) in {it} iterations, σ = {sigma:g}"
            return replace(base, trade=share * out[None, :], notes=(*base.notes, note),
                           name=f"{base.name}, balanced trade")  # fmt: skip
        lp += gap / sigma
        lp -= np.log((y * np.exp(lp)).sum() / y.sum())
    raise SolverError(f"balanced trade did not converge in {max_iter} iterations")


def formula_tariffs(res: OneSectorResult, sigma: float) -> np.ndarray:
    """Every country's FOC uniform tariff ``1 / ((σ − 1) Σ_{j≠i} χ_ij (1 − λ_ij))`` at ``res``."""
    x = res.full.trade.copy()
    np.fill_diagonal(x, 0.0)
    chi = x / x.sum(axis=1, keepdims=True)
    lam = res.full.shares
    return np.asarray(1.0 / ((sigma - 1.0) * np.sum(chi * (1.0 - lam), axis=1)))


def tariff_matrix(rates: np.ndarray) -> np.ndarray:
    """N×N tariff change: country j levies ``rates[j]`` on every import (column j)."""
    dt = np.tile(np.asarray(rates, dtype=float), (len(rates), 1))
    np.fill_diagonal(dt, 0.0)
    return dt


@dataclass(frozen=True)
class TariffWar:
    """Tariffs at the fixed point (fraction, by country), rounds and the equilibrium there."""

    countries: tuple[str, ...]
    tariffs: np.ndarray
    rounds: int
    result: OneSectorResult

    def tariff(self, country: str) -> float:
        return float(self.tariffs[self.countries.index(country)])

    def welfare_pct(self, country: str) -> float:
        return float(self.result.welfare_pct.iloc[self.countries.index(country)])


def solve_tariffs(base: Any, sigma: float, rates: np.ndarray) -> OneSectorResult:
    """The equilibrium with uniform import tariffs ``rates`` (balanced baselines: any closure)."""
    return solve_onesector(base.trade, sigma=sigma, countries=base.countries,
                           tariff_change=tariff_matrix(rates), conditional=False)  # fmt: skip


def nash_uniform_tariffs(
    base: Any,
    sigma: float,
    *,
    fixed: Mapping[str, float] | None = None,
    tol: float = 1e-6,
    max_rounds: int = 200,
) -> TariffWar:
    """Iterate best responses in uniform tariffs (FOC values) until no tariff moves by > ``tol``.

    ``fixed``: ``{country: rate}`` held at that rate (not a player). Raises :class:`SolverError`
    if the iteration has not settled in ``max_rounds``.
    """
    countries = tuple(base.countries)
    n = len(countries)
    rates = np.zeros(n)
    held = np.zeros(n, dtype=bool)
    for c, r in (fixed or {}).items():
        if c not in countries:
            raise ConfigError(f"{c!r} is not in the baseline", hint="give an ISO3 code it has")
        rates[countries.index(c)], held[countries.index(c)] = float(r), True
    for k in range(1, max_rounds + 1):
        res = solve_tariffs(base, sigma, rates)
        new = np.where(held, rates, formula_tariffs(res, sigma))
        move = float(np.max(np.abs(new - rates)))
        rates = new
        if move <= tol:
            return TariffWar(countries, rates, k, solve_tariffs(base, sigma, rates))
    raise SolverError(f"best responses did not settle in {max_rounds} rounds (last move {move:.2g})")


__all__ = [
    "TariffWar",
    "balanced_baseline",
    "formula_tariffs",
    "nash_uniform_tariffs",
    "solve_tariffs",
    "tariff_matrix",
]
