"""ILMS (2025)'s closed-form optimal and retaliatory tariffs, with their calibration, on techties' data.

Ignatenko, Lashkaripour, Macedoni & Simonovska ("Making America Great Again?", JIE 157;
replication ``main_baseline.m``) do not search for the optimal US tariff: they evaluate their
Proposition 1 formula on the baseline data of their one-sector model, which has overhead fixed
costs paid to the destination's labour (share ν) and firm selection (φ)::

    ν        two values (rest of world, US) solved so that the 2-block aggregate's cost shares
             match 0.12 and 0.26 (``solveNu``)
    T_i      = (1 − ν_i)(imports_i − Σ_j (1 − ν_j) X_ij),  E_i = Y_i + T_i,
    X_ii     = max(E_i − imports_i, 0)      domestic sales from GDP ``Y_i``
    φ_i      = 1 + (1 + θ)/((1 − ν_i) θ) − 1/θ − 1,   θ = ε / 0.67
    δ_i      = Σ_{j≠i} X_ij (1 − ν_j)(1 − λ_ij) / ((1 − ν_i)(E_i − X_ii))
    t_i*     = 1 / ((1 + δ_i ε) φ_i − 1)

and optimal retaliation as the same formula for the rest of the world as one block against the
US. :func:`ilms_calibration` reproduces this on techties' inputs — the 194-country matrix
(source ``liberation_day``) and WDI GDP for 2023 (their ``gdp.csv`` is not staged) — so the
difference between their 19 % and techties' exact 26.8 % can be split into its parts. With
ν = 0, φ = 1 too and the formula is ``1/(ε δ)`` at baseline shares — techties'
:func:`~techties.simulation.optimal_tariff.formula_tariff` at the baseline when trade is
balanced, but with δ over *imports*, as their code has it, on the unbalanced data (42.0 %);
their ν with φ = 1 gives 34.5 %; their ν and φ 21.8 % — with WDI GDP and equally with the
``gdp.csv`` of a public copy of their replication folder (ν 0.1143 / 0.2705 there; that
copy's ``nu_values.csv`` has 0.1144 / 0.2707), not the 19 % of their text; the block's retaliation rate is
22.7 %. This is their formula, not their equilibrium: techties has
no firm-selection, labour-supply or tax terms to solve it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import fsolve

from techties.errors import NoDataError, SolverError

#: ILMS's calibration targets for the 2-block cost shares (rest of world, US) and θ = ε / 0.67
NU_TARGETS = (0.12, 0.26)
THETA_FACTOR = 0.67


@dataclass(frozen=True)
class ILMSCalibration:
    """ν (rest of world, US), φ and δ of the US and the block, and the formula tariffs."""

    nu: tuple[float, float]
    phi_us: float
    delta_us: float
    us_tariff: float  # t* of the US, their formula
    us_tariff_phi1: float  # the same with φ = 1 (their ν kept in δ): 1 / (ε δ)
    retaliation_rate: float  # the rest of the world's block formula against the US


def _solve_nu(x2: np.ndarray, y2: np.ndarray, targets: tuple[float, float]) -> np.ndarray:
    def eqs(nu: np.ndarray) -> list[float]:
        e = y2 + (1 - nu) * (x2.sum(axis=0) - ((1 - nu)[None, :] * x2).sum(axis=1))
        r11 = (e[0] - x2[1, 0]) / (e[0] - x2[1, 0] + x2[0, 1])
        r22 = (e[1] - x2[0, 1]) / (e[1] - x2[0, 1] + x2[1, 0])
        return [(1 - r11) * nu[1] + r11 * nu[0] - targets[0],
                r22 * nu[1] + (1 - r22) * nu[0] - targets[1]]  # fmt: skip

    nu, _, ok, msg = fsolve(eqs, np.array([0.1, 0.24]), full_output=True, xtol=1e-12)
    if ok != 1:
        raise SolverError(f"ILMS's ν calibration did not solve: {msg}")
    return np.maximum(nu, 0.0)


def formula_rates(x: np.ndarray, y: np.ndarray, target: int, eps: float,
                  targets: tuple[float, float] = NU_TARGETS,
                  nu: tuple[float, float] | None = None) -> ILMSCalibration:
    """ILMS's formulas on exports ``x`` (no domestic flows) and GDP ``y`` (module docstring);
    ``nu`` given skips the calibration (``(0, 0)``: φ = 1, the plain Armington formula)."""
    x = np.nan_to_num(np.asarray(x, dtype=float)).copy()
    np.fill_diagonal(x, 0.0)
    n = len(y)
    agg = np.zeros((2, n))
    agg[0, :], agg[0, target], agg[1, target] = 1.0, 0.0, 1.0
    nu_eq = _solve_nu(agg @ x @ agg.T, agg @ y, targets) if nu is None else np.asarray(nu, float)
    v = np.full(n, nu_eq[0])
    v[target] = nu_eq[1]
    transfer = (1 - v) * (x.sum(axis=0) - ((1 - v)[None, :] * x).sum(axis=1))
    np.fill_diagonal(x, np.maximum(y + transfer - x.sum(axis=0), 0.0))
    spend = x.sum(axis=0)
    lam = x / spend[None, :]
    theta = eps / THETA_FACTOR
    phi = 1 + (1 + theta) / ((1 - v) * theta) - 1 / theta - 1
    off = 1 - np.eye(n)
    delta = (x * (1 - v)[None, :] * off * (1 - lam)).sum(axis=1) / ((1 - v) * (spend - np.diag(x)))
    # the rest of the world as one block (their 2 × 2 aggregate, with domestic flows)
    x2, y_all = agg @ x @ agg.T, (1 - v)[None, :] * x
    y2 = agg @ (y_all.sum(axis=1) + v * spend)
    lam2 = x2 / x2.sum(axis=0)[None, :]
    d_row = x2[0, 1] * (1 - nu_eq[1]) * (1 - lam2[0, 1]) / ((1 - nu_eq[0]) * (y2[0] - x2[0, 0]))
    phi_row = float(phi[0 if target != 0 else 1])
    t = float(delta[target])
    return ILMSCalibration(
        nu=(float(nu_eq[0]), float(nu_eq[1])), phi_us=float(phi[target]), delta_us=t,
        us_tariff=float(1 / ((1 + t * eps) * phi[target] - 1)), us_tariff_phi1=float(1 / (t * eps)),
        retaliation_rate=float(1 / ((1 + d_row * eps) * phi_row - 1)),
    )  # fmt: skip


def ilms_calibration(store: Any, *, eps: float = 4.0, gdp_year: int = 2023,
                     nu: tuple[float, float] | None = None) -> ILMSCalibration:
    """:func:`formula_rates` on the stored 194-country matrix and WDI GDP (current USD, the
    latest year ≤ ``gdp_year``); ``nu`` fixes ν instead of calibrating it. Raises
    :class:`NoDataError` if a country has no GDP."""
    from techties.simulation.baselines import load_liberation_day

    lib = load_liberation_day(store)
    rows = store.df(
        "SELECT country, year, value FROM indicators WHERE indicator = 'NY.GDP.MKTP.CD' "
        "AND year <= ? AND value > 0 ORDER BY year", [gdp_year])  # fmt: skip
    latest = rows.groupby("country")["value"].last() if not rows.empty else {}
    missing = [c for c in lib.countries if c not in latest]
    if missing:
        raise NoDataError(f"no WDI GDP for {len(missing)} countries ({', '.join(missing[:5])})",
                          hint="ingest tech-wdi/ny.gdp.mktp.cd/data.csv (source wdi)")  # fmt: skip
    gdp = np.array([float(latest[c]) for c in lib.countries]) / 1000.0  # thousand USD
    return formula_rates(lib.trade, gdp, lib.countries.index("USA"), eps, nu=nu)


__all__ = ["NU_TARGETS", "ILMSCalibration", "formula_rates", "ilms_calibration"]
