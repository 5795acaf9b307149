"""The unilaterally optimal uniform tariff in the one-sector model, and retaliation in kind.

``optimal_uniform_tariff(base, "USA", sigma=5)`` searches the uniform ad-valorem tariff ``t``
that the country levies on every partner (on top of the baseline tariffs) maximising its
``welfare_pct`` (real expenditure, tariff revenue rebated; Brent's bounded search on
``[0, upper]``), solving the full one-sector equilibrium at each trial
(:func:`~techties.simulation.onesector.solve_onesector`) under the chosen trade-imbalance
``closure`` (multiplicative: deficits move with income — endogenous deficits; additive: fixed).

Under balanced trade the optimum satisfies the textbook formula (Gros 1987; Costinot &
Rodríguez-Clare 2014) ``t* = 1 / (ε Σ_{j≠i} χ_ij (1 − λ_ij))``, ``ε = σ − 1``, with ``χ_ij`` the
share of i's exports sold to j and ``λ_ij`` i's share of j's spending, both at the optimum;
:func:`formula_tariff` evaluates it on a solution (a test checks the search against it).

The welfare curve need not be concave: with a large deficit held fixed (``additive``), US
welfare on the 194-country baseline (σ = 5) peaks locally at t ≈ 0.48 (+0.66 %), dips, and
rises again above t ≈ 0.9 as imports shrink towards autarky while the fixed transfer stays
(+2.2 % at t = 3) — an artefact of the closure, not a policy optimum; with ``multiplicative``
the deficit grows with US prices and welfare rises monotonically on [0, 1]. The search is a
local one on ``[0, upper]``; keep ``upper`` at 1 and read it with the curve.

What this is not: Ignatenko, Lashkaripour, Macedoni & Simonovska (2025) solve on a world with
every deficit removed first (:func:`techties.simulation.tariff_nash.balanced_baseline`; there
the search finds 26.8 %, not 47.7 %), and add input–output linkages, a labour-market margin and
revenue that offsets income taxes; their 19 % optimal US tariff and the 3.38 % US loss under
optimal retaliation need those features (docs/simulation.md, "Optimal tariffs").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from techties.errors import ConfigError
from techties.simulation.onesector import Imbalance, OneSectorResult, solve_onesector


@dataclass(frozen=True)
class OptimalTariff:
    """The optimum: tariff (fraction), the country's welfare there (%), solver evaluations."""

    country: str
    tariff: float
    welfare_pct: float
    evaluations: int
    result: OneSectorResult

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


def optimal_uniform_tariff(
    base: Any,
    country: str,
    *,
    sigma: float,
    closure: Imbalance = "multiplicative",
    upper: float = 1.0,
    xtol: float = 1e-5,
    extra_change: np.ndarray | None = None,
) -> OptimalTariff:
    """Maximise ``country``'s welfare over a uniform tariff on all its imports.

    ``base``: a one-sector baseline (``countries``, ``trade``, ``tariff``). ``extra_change``:
    other tariff changes held fixed during the search (e.g. partners' retaliation).
    """
    if country not in base.countries:
        raise ConfigError(f"{country!r} is not in the baseline", hint="give an ISO3 code it has")
    n, i = len(base.countries), base.countries.index(country)
    fixed = np.zeros((n, n)) if extra_change is None else np.asarray(extra_change, dtype=float)
    count = 0

    def solve(rate: float) -> OneSectorResult:
        nonlocal count
        count += 1
        return solve_onesector(
            base.trade, sigma=sigma, tariff=base.tariff, countries=base.countries,
            tariff_change=uniform_change(n, i, rate) + fixed, imbalance=closure,
            conditional=False,
        )  # fmt: skip

    def loss(rate: float) -> float:
        return -float(solve(rate).welfare_pct.iloc[i])

    opt = minimize_scalar(loss, bounds=(0.0, upper), method="bounded", options={"xatol": xtol})
    res = solve(float(opt.x))
    return OptimalTariff(country, float(opt.x), float(res.welfare_pct.iloc[i]), count, res)


def formula_tariff(res: OneSectorResult, country: str, sigma: float) -> float:
    """``1 / ((σ − 1) Σ_{j≠i} χ_ij (1 − λ_ij))`` at the solution ``res`` (balanced trade)."""
    i = list(res.countries).index(country)
    x = res.full.trade
    exports = np.delete(x[i], i)
    chi = exports / exports.sum()
    lam = np.delete(res.full.shares[i], i)
    return float(1.0 / ((sigma - 1.0) * np.sum(chi * (1.0 - lam))))


__all__ = ["OptimalTariff", "formula_tariff", "optimal_uniform_tariff", "uniform_change"]
