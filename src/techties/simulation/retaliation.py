"""Retaliation aimed at one country's goods: the US schedule and the partners' replies (one sector).

Ignatenko, Lashkaripour, Macedoni & Simonovska (ILMS 2025, JIE 157, Table 2 and Table 4) let
every partner of the US levy a tariff on US goods only (no wider tariff war), in three ways:

* ``"reciprocal"`` — each partner levies on US goods the rate the US levies on it;
* ``"ilms"`` — their "optimal retaliation" as their replication code computes it
  (``main_baseline.m``): the rest of the world aggregated into one block, whose FOC uniform
  tariff on the US, ``1 / (ε Σ χ (1 − λ))`` on the two-block baseline, is
  ``1 / (ε (1 − λ_RoW,US))``, ``λ_RoW,US`` the import share of US spending; every partner
  levies that one rate. (Their model scales it by a pass-through term φ and weights by
  distribution margins ν; with ν = 0, φ = 1 — techties' Armington model — this is what is left.
  It is evaluated once on baseline shares, not at the new equilibrium.)
* ``"optimal"`` — techties' exact counterpart: the common rate on US goods that maximises the
  rest of the world's welfare (the GDP-weighted mean of ``welfare_pct``, ILMS's "non-US
  average"), found by searching the full equilibrium given the US schedule
  (:func:`~techties.simulation.optimal_tariff.argmax_tariff`).
* ``"optimal_each"`` — a rate per partner, chosen jointly for the same objective (the definition
  of ILMS's IO model, an MPEC with rates in [0, 0.5]): L-BFGS-B from the common optimum with
  finite-difference gradients (one equilibrium per partner per gradient). On the balanced
  194-country data it moves the rates by under a point (25.6–26.4 % against 25.9 %) and US
  welfare by under 0.001 points, at ~3,500 solves (~40 s).

``"none"`` solves the US schedule alone. :func:`liberation_day_schedule` reads the 2 April 2025
rates from the store (source ``liberation_day``) with ILMS's 10 % floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize

from techties.errors import ConfigError, did_you_mean
from techties.simulation.onesector import Imbalance
from techties.simulation.optimal_tariff import argmax_tariff, onesector_solver
from techties.simulation.options import SolverOptions

MODES = ("none", "reciprocal", "ilms", "optimal", "optimal_each")
Mode = Literal["none", "reciprocal", "ilms", "optimal", "optimal_each"]
#: excess-demand tolerance of the equilibria behind the per-partner (``optimal_each``) gradient
EACH_TOL = 1e-12


def liberation_day_schedule(store: Any, countries: tuple[str, ...], *,
                            floor: float = 0.10) -> np.ndarray:
    """The 2 April 2025 US rates on each of ``countries`` (0 on the US itself), at least
    ``floor`` (ILMS apply ``max(0.1, rate)``; the file's rates are all ≥ 0.10 already)."""
    from techties.simulation.baselines import load_liberation_day

    lib = load_liberation_day(store)
    tariff = np.zeros((len(lib.countries),) * 2) if lib.tariff is None else lib.tariff
    rates = dict(zip(lib.countries, tariff[:, lib.countries.index("USA")], strict=True))
    missing = [c for c in countries if c not in rates]
    if missing:
        raise ConfigError(f"no Liberation Day rate for {', '.join(missing[:5])}",
                          hint="use the liberation_day baseline's countries")  # fmt: skip
    out = np.array([max(floor, float(rates[c])) for c in countries])
    out[countries.index("USA")] = 0.0
    return out


@dataclass(frozen=True)
class Retaliation:
    """Outcome of the target's schedule and the partners' reply."""

    mode: str
    target: str
    rate: float | None  # the common retaliatory rate (ilms, optimal); None otherwise
    reply: np.ndarray  # every partner's rate on the target's goods (0 for the target)
    result: Any  # OneSectorResult, or IOResult with ``io_share``
    gdp_weights: np.ndarray

    def welfare_pct(self, country: str) -> float:
        return float(self.result.welfare_pct.loc[country])

    @property
    def partners_welfare_pct(self) -> float:
        """GDP-weighted mean welfare change of every country but the target."""
        return partners_welfare(self.result, self.target, self.gdp_weights)


def block_formula_rate(base: Any, target: str, sigma: float) -> float:
    """ILMS's retaliation rate: the rest of the world as one block, its FOC uniform tariff on
    ``target`` at the baseline, ``1 / ((σ − 1)(1 − λ_RoW,target))``."""
    x = np.asarray(base.trade, dtype=float)
    t = list(base.countries).index(target)
    import_share = (x[:, t].sum() - x[t, t]) / x[:, t].sum()
    return float(1.0 / ((sigma - 1.0) * (1.0 - import_share)))


def solve_schedule(base: Any, sigma: float, rates: np.ndarray, reply: np.ndarray, *,
                   target: str = "USA", closure: Imbalance = "additive",
                   io_share: float | np.ndarray | None = None) -> Any:
    """The equilibrium with ``target`` levying ``rates[j]`` on imports from j and each partner j
    levying ``reply[j]`` on ``target``'s goods (changes on the baseline's tariffs);
    ``io_share``: with roundabout production (value-added shares β)."""
    n, t = len(base.countries), list(base.countries).index(target)
    dt = np.zeros((n, n))
    dt[:, t], dt[t, :] = rates, reply
    dt[t, t] = 0.0
    return onesector_solver(base, sigma, closure, io_share)(dt)


def partners_welfare(res: Any, target: str, weights: np.ndarray) -> float:
    """GDP-weighted mean ``welfare_pct`` of every country but ``target`` (ILMS's non-US average)."""
    w = res.welfare_pct.to_numpy()
    keep = np.array([c != target for c in res.countries])
    return float(np.average(w[keep], weights=np.asarray(weights)[keep]))


def retaliation(
    base: Any,
    sigma: float,
    schedule: np.ndarray | float,
    *,
    mode: Mode = "optimal",
    target: str = "USA",
    closure: Imbalance = "additive",
    upper: float = 1.0,
    io_share: float | np.ndarray | None = None,
) -> Retaliation:
    """``target`` levies ``schedule`` (a rate per partner, or one uniform rate) on its imports;
    its partners reply on its goods only, per ``mode`` (module docstring).

    ``closure``: ``additive`` holds deficits fixed in units of world output, as ILMS (and
    Dekle, Eaton & Kortum 2007) do; on a balanced baseline the closures coincide.
    ``io_share``: solve with roundabout production (value-added shares β; ILMS use 0.49)."""
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r} is not known. " + did_you_mean(str(mode), MODES))
    if target not in base.countries:
        raise ConfigError(f"{target!r} is not in the baseline", hint="give an ISO3 code it has")
    n, t = len(base.countries), list(base.countries).index(target)
    rates = np.broadcast_to(np.asarray(schedule, dtype=float), (n,)).copy()
    rates[t] = 0.0
    gdp = np.asarray(base.trade, dtype=float).sum(axis=1)

    solver = onesector_solver(base, sigma, closure, io_share)

    def solve(reply: np.ndarray) -> Any:
        dt = np.zeros((n, n))
        dt[:, t], dt[t, :] = rates, reply
        dt[t, t] = 0.0
        return solver(dt)

    rate: float | None = None
    if mode == "none":
        reply = np.zeros(n)
    elif mode == "reciprocal":
        reply = rates
    elif mode == "ilms":
        rate = block_formula_rate(base, target, sigma)
        reply = np.full(n, rate)
    else:
        rate = argmax_tariff(
            lambda r: float(np.log1p(partners_welfare(solve(np.full(n, r)), target, gdp) / 100)),
            upper,
        )
        reply = np.full(n, rate)
        if mode == "optimal_each":
            reply, rate = _each_partner(solver, rates, reply, t, gdp, target, upper), None
    reply[t] = 0.0
    return Retaliation(mode, target, rate, reply, solve(reply), gdp)


def _each_partner(solver: Any, rates: np.ndarray, start: np.ndarray, t: int, gdp: np.ndarray,
                  target: str, upper: float) -> np.ndarray:
    """Per-partner rates maximising the partners' GDP-weighted welfare (L-BFGS-B from ``start``)."""
    n = len(rates)
    keep = np.arange(n) != t
    tight = SolverOptions(tol=EACH_TOL, max_iter=20_000)

    def loss(r: np.ndarray) -> float:
        dt = np.zeros((n, n))
        dt[:, t], dt[t, keep] = rates, r
        dt[t, t] = 0.0
        return -100.0 * float(np.log1p(partners_welfare(solver(dt, tight), target, gdp) / 100))

    opt = minimize(loss, start[keep], method="L-BFGS-B", bounds=[(0.0, upper)] * int(keep.sum()),
                   options={"eps": 1e-6, "maxiter": 200})  # fmt: skip
    out = np.zeros(n)
    out[keep] = opt.x
    return out


__all__ = [
    "MODES",
    "Retaliation",
    "block_formula_rate",
    "liberation_day_schedule",
    "partners_welfare",
    "retaliation",
    "solve_schedule",
]
