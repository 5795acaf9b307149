"""Multi-sector general equilibrium with input–output links (Caliendo & Parro 2015, hat algebra).

Index convention for every array: ``n`` importer (destination), ``i`` exporter (origin),
``j``/``k`` sector. ``pi[n, i, j]`` is the share of n's tariff-inclusive spending on sector j
bought from i (sums to 1 over i); ``tau[n, i, j]`` is one plus the ad-valorem tariff n levies on
i's sector-j goods; ``gamma[n, k, j]`` is the cost share of inputs from sector k in sector j's
production in n, ``beta[n, j]`` the value-added share (``beta + gamma.sum(1) == 1``).

Equilibrium in changes (``x̂ = x'/x``), given tariff changes ``τ̂`` and trade-cost shocks ``κ̂``::

    ln ĉ_i^j = β_i^j ln ŵ_i + Σ_k γ_i^{kj} ln P̂_i^k                      (unit cost)
    P̂_n^j    = [Σ_i π_ni^j (κ̂_ni^j τ̂_ni^j ĉ_i^j)^(-θ_j)]^(-1/θ_j)      (sector price)
    π'_ni^j  = π_ni^j (κ̂_ni^j τ̂_ni^j ĉ_i^j / P̂_n^j)^(-θ_j)              (trade shares)
    Y'_i^j   = Σ_n X'_n^j π'_ni^j / τ'_ni^j                              (gross output)
    X'_n^j   = Σ_k γ_n^{jk} Y'_n^k + α_n^j I'_n                          (goods market)
    I'_n     = ŵ_n VA_n + R'_n + D_n,  R'_n = Σ_j X'_n^j (1 − Σ_i π'_ni^j / τ'_ni^j)
    ŵ_n VA_n = Σ_j β_n^j Y'_n^j                                          (labour market)

Deficits ``D_n`` (imports − exports at producer prices; Σ D = 0) are held fixed in nominal
terms, and the numeraire is world value added (Σ ŵ_n VA_n = Σ VA_n), as in Caliendo & Parro
(2015) — with fixed nominal deficits the labour-market update preserves world value added, so
the numeraire needs no separate normalisation.

Welfare is reported two ways (both in percent):

* ``real_income_change`` — the exact change in real income ``Î_n / P̂_n − 1`` with
  ``P̂_n = Π_j (P̂_n^j)^{α_n^j}`` and ``I_n = VA_n + R_n + D_n`` (final spending).
* ``welfare_cp`` — the paper's decomposition with baseline weights (CP 2015, eq. 18)::

      d ln W_n = 1/I_n Σ_j Σ_i (E_ni^j d ln c_n^j − M_ni^j d ln c_i^j)        terms of trade
               + 1/I_n Σ_j Σ_i (τ_ni^j − 1) M_ni^j (d ln M_ni^j − d ln c_i^j) volume of trade

  with ``E_ni`` exports of n to i and ``M_ni`` imports of n from i at producer prices; the
  differentials are evaluated with the proportional changes of the solution (``d ln x ≈ x̂ − 1``),
  which is what reproduces the published NAFTA numbers (log changes give a Mexican
  volume-of-trade effect of 0.95 % instead of 1.72 %). Flows shut by a prohibitive cost have
  ``M̂ − 1 = −1``. The formula is derived for tariff changes: it omits the direct cost of an
  iceberg trade-cost shock (export controls, coefficient shocks), for which only
  ``real_income_change`` is meaningful.

Reproduction of CP (2015): their counterfactuals start from the 1993 data with deficits first
set to zero (``calibrate_baseline(b, deficit=zeros)``, the balanced-trade equilibrium); see
``tests/test_simulation_cp.py`` and ``docs/simulation.md`` for the match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from techties.errors import (
    ConfigError,
    SimulationInputError,
    SolverError,
    UnknownNameError,
    did_you_mean,
)
from techties.results import Result
from techties.simulation._cp_numerics import (
    INNER_FACTOR,
    INNER_TOL,
    NEWTON_INNER_FACTOR,
    Anderson,
    Kernel,
    newton_matrix,
)
from techties.simulation.options import SolverOptions

FloatArray = np.ndarray
#: Newton steps from a start (:func:`_solve`): mixed over this many differences, and given up
#: (for the plain iteration from the same start) after this many iterations
NEWTON_MEMORY, NEWTON_MAX_ITER = 2, 60


def country_index(countries: Sequence[str], country: str, baseline: str) -> int:
    """Position of ``country`` in a baseline's ``countries``; unknown → UnknownNameError."""
    try:
        return list(countries).index(country)
    except ValueError:
        raise UnknownNameError(
            f"No country {country!r} in baseline {baseline!r}.",
            hint=did_you_mean(country, countries),
        ) from None


@dataclass(frozen=True)
class MultiSectorBaseline:
    """Baseline of the multi-sector model (see module docstring for the array conventions).

    ``expenditure[n, j]`` is tariff-inclusive absorption ``X_n^j``; ``value_added[n]`` and
    ``deficit[n]`` (imports − exports) are in the same currency unit, named in ``unit``.
    """

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    pi: FloatArray
    tau: FloatArray
    expenditure: FloatArray
    alpha: FloatArray
    beta: FloatArray
    gamma: FloatArray
    theta: FloatArray
    value_added: FloatArray
    deficit: FloatArray
    name: str = "baseline"
    unit: str = "USD"
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: tradable goods sectors (the ``goods`` keyword of scenarios); default: all sectors
    goods: tuple[str, ...] = ()
    #: provenance ids of the store rows the baseline was built from
    provenance_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        n, j = len(self.countries), len(self.sectors)
        shapes = {
            "pi": (n, n, j),
            "tau": (n, n, j),
            "expenditure": (n, j),
            "alpha": (n, j),
            "beta": (n, j),
            "gamma": (n, j, j),
            "theta": (j,),
            "value_added": (n,),
            "deficit": (n,),
        }
        for key, shape in shapes.items():
            arr = getattr(self, key)
            if np.shape(arr) != shape:
                raise SimulationInputError(
                    f"baseline {self.name!r}: {key} has shape {np.shape(arr)}, expected {shape}"
                )
            if not np.all(np.isfinite(arr)):
                raise SimulationInputError(f"baseline {self.name!r}: {key} has non-finite values")
        if np.any(self.tau < 1):
            raise SimulationInputError(
                f"baseline {self.name!r}: tau must be ≥ 1 (one plus the tariff)"
            )
        if np.any(self.theta <= 0):
            raise SimulationInputError(
                f"baseline {self.name!r}: trade elasticities must be positive"
            )
        cost = self.beta + self.gamma.sum(axis=1)
        if np.max(np.abs(cost - 1)) > 1e-9:
            raise SimulationInputError(
                f"baseline {self.name!r}: beta + gamma.sum(axis=1) must be 1 "
                f"(max deviation {np.max(np.abs(cost - 1)):.2e})"
            )

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.countries), len(self.sectors)

    def imports(self) -> FloatArray:
        """``M[n, i, j] = X_n^j π_ni^j / τ_ni^j``: n's purchases from i at producer prices."""
        return self.pi * (self.expenditure / 1.0)[:, None, :] / self.tau

    def income(self) -> FloatArray:
        """``I_n = VA_n + R_n + D_n`` (final spending, tariff revenue included)."""
        revenue = (self.expenditure * (1 - (self.pi / self.tau).sum(axis=1))).sum(axis=1)
        return self.value_added + revenue + self.deficit

    def index_of(self, country: str) -> int:
        return country_index(self.countries, country, self.name)

    def with_(self, **changes: Any) -> MultiSectorBaseline:
        return replace(self, **changes)


@dataclass(frozen=True)
class _Solution:
    w_hat: FloatArray
    p_hat: FloatArray
    c_hat: FloatArray
    pi_new: FloatArray
    x_new: FloatArray
    iterations: int
    residual: float


def _cost_weights(
    base: MultiSectorBaseline, tau_new: FloatArray, kappa_hat: FloatArray
) -> FloatArray:
    """``π_ni^j (κ̂ τ̂)^(-θ_j)``, zero where κ̂ is infinite (prohibitive)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        factor = (kappa_hat * tau_new / base.tau) ** (-base.theta)
    factor = np.where(np.isinf(kappa_hat), 0.0, factor)
    weight = base.pi * factor
    blocked = weight.sum(axis=1) <= 0
    if np.any(blocked):
        n, j = np.argwhere(blocked)[0]
        raise SolverError(
            f"{base.countries[n]} can buy no {base.sectors[j]} from anyone after the shock",
            hint="a prohibitive cost cannot close every source including domestic supply",
        )
    return weight


def _renormalise(lw: FloatArray, va: FloatArray) -> FloatArray:
    """Numeraire: world value added unchanged, ``Σ ŵ VA = Σ VA``."""
    return lw - np.log(np.dot(np.exp(lw), va) / va.sum())


def _solve(
    base: MultiSectorBaseline,
    tau_new: FloatArray,
    kappa_hat: FloatArray,
    deficit: FloatArray,
    opts: SolverOptions,
    start: CaliendoParroResult | None = None,
) -> _Solution:
    """Anderson-accelerated fixed point on log wages (memory ``opts.memory``, damped).

    From a ``start``, the steps are first Newton steps with the start's Jacobian
    (:meth:`CaliendoParroResult.newton_matrix`), mixed over a short memory; should they not
    converge within :data:`NEWTON_MAX_ITER` iterations, the plain iteration runs from the start.
    Either way the answer is accepted at the same tolerance.
    """
    weight = _cost_weights(base, tau_new, kappa_hat)
    kernel = Kernel(base, weight, tau_new, deficit)
    if start is not None and opts.acceleration == "anderson" and opts.newton:
        try:
            sol, _, _ = _iterate(kernel, base, opts, start, start.newton_matrix(), NEWTON_MAX_ITER)
        except SolverError:
            sol = None
        if sol is not None:
            return sol
    sol, it, residual = _iterate(kernel, base, opts, start, None, opts.max_iter)
    if sol is None:
        raise SolverError(
            f"Caliendo–Parro equilibrium not reached after {it} iterations "
            f"(max relative excess demand for value added {residual:.3e}, tol {opts.tol:.1e})",
            hint="lower SolverOptions.damping (e.g. 0.5), set acceleration='none', or raise max_iter",
        )
    return sol


def _iterate(
    kernel: Kernel,
    base: MultiSectorBaseline,
    opts: SolverOptions,
    start: CaliendoParroResult | None,
    newton: FloatArray | None,
    max_iter: int,
) -> tuple[_Solution | None, int, float]:
    """The iteration of :func:`_solve` on log wages, mixing the residual ``g`` (or the Newton
    step ``newton @ g``); returns ``(solution or None, iterations, last residual)``."""
    va = base.value_added
    state: dict[str, Any] = {
        "lp": np.zeros(base.shape) if start is None else np.log(start.price_hat),
        "x": base.expenditure.copy() if start is None else start.expenditure_new.copy(),
        "inner_tol": 1e-6,
    }
    lw = np.zeros(len(va)) if start is None else np.log(start.w_hat)
    memory = opts.memory if opts.acceleration == "anderson" else 0
    acc = Anderson(len(va), NEWTON_MEMORY if newton is not None else memory, opts.damping)
    residual = best = np.inf
    # the point with the smallest residual so far, (ln ŵ, step): where the iteration goes back
    # to, with a shorter damped step and no history, when an accelerated step fails
    anchor: tuple[FloatArray, FloatArray] | None = None
    shrink = 1.0
    factor = INNER_FACTOR if newton is None else NEWTON_INNER_FACTOR
    it = 0
    for it in range(1, max_iter + 1):
        used_tol = float(state["inner_tol"])
        try:
            g = kernel.wage_map(lw, state) - lw
            residual = float(np.max(np.abs(np.expm1(g))))
            residual = residual if np.isfinite(residual) else np.inf
        except SolverError:  # the step left the region where value added is positive
            residual = np.inf
            if anchor is None:
                raise
        if residual < opts.tol and used_tol <= INNER_TOL:
            pi_new = np.ascontiguousarray(state["pik"].transpose(1, 2, 0))
            sol = _Solution(
                np.exp(lw), np.exp(state["lp"]), np.exp(state["lc"]), pi_new, state["x"], it,
                residual,
            )  # fmt: skip
            return sol, it, residual
        if residual < opts.tol:  # verify with sub-problems solved to INNER_TOL, same wages
            state["inner_tol"] = INNER_TOL
            continue
        if residual > 10 * best:  # mixing made things worse: back to the best point
            acc.reset()
            shrink /= 2
            if anchor is None or shrink < 1e-6:
                break
            lw = _renormalise(anchor[0] + shrink * opts.damping * anchor[1], va)
            continue
        step = g if newton is None else newton @ g
        if residual < best:
            best, anchor, shrink = residual, (lw, step), 1.0
        # inexact inner solves: sub-problems only as tight as the outer residual warrants
        state["inner_tol"] = min(max(factor * residual, INNER_TOL), 1e-6)
        lw = _renormalise(acc.step(lw, step), va)
    return None, it, residual


def solve_caliendo_parro(
    baseline: MultiSectorBaseline,
    tau_new: FloatArray | None = None,
    *,
    trade_cost_hat: FloatArray | None = None,
    deficit_new: FloatArray | None = None,
    options: SolverOptions | None = None,
    label: str = "counterfactual",
    start: CaliendoParroResult | None = None,
) -> CaliendoParroResult:
    """Solve the counterfactual equilibrium for new tariffs and/or trade-cost changes.

    ``tau_new[n, i, j]``: new one-plus-tariff factors (default: unchanged). ``trade_cost_hat``:
    iceberg cost changes ``κ̂`` (1 = none, ``np.inf`` = prohibitive, e.g. an export ban).
    ``deficit_new``: counterfactual nominal deficits (default: the baseline's, held fixed; they
    must sum to zero). ``start``: a solution of a nearby problem on the same baseline to start
    the iteration from (e.g. the central case when solving uncertainty draws); the answer does
    not depend on it, only the number of iterations.
    Raises :class:`SolverError` if the equilibrium is not reached within ``options.tol``.
    """
    opts = options or SolverOptions()
    if opts.reference is not None:
        raise SimulationInputError(
            "the multi-sector engine fixes deficits in units of world value added, which is "
            f"its numeraire; SolverOptions.reference={opts.reference!r} is not supported",
            hint="leave reference=None; real outcomes are reported deflated by each CPI",
        )
    tau1 = baseline.tau if tau_new is None else np.asarray(tau_new, dtype=float)
    kappa = (
        np.ones_like(baseline.pi)
        if trade_cost_hat is None
        else np.asarray(trade_cost_hat, dtype=float)
    )
    if tau1.shape != baseline.pi.shape or kappa.shape != baseline.pi.shape:
        raise SimulationInputError(
            f"tariff and trade-cost arrays must have shape {baseline.pi.shape}"
        )
    if np.any(tau1 < 1) or np.any(~np.isfinite(tau1)):
        raise SimulationInputError("new tariffs must be finite and tau ≥ 1 (tariff ≥ 0)")
    if np.any(kappa <= 0) or np.any(np.isnan(kappa)):
        raise SimulationInputError("trade-cost changes must be positive (np.inf for prohibitive)")
    deficit = baseline.deficit if deficit_new is None else np.asarray(deficit_new, dtype=float)
    if deficit.shape != baseline.deficit.shape:
        raise SimulationInputError(f"deficit_new must have shape {baseline.deficit.shape}")
    if abs(deficit.sum()) > 1e-9 * baseline.value_added.sum():
        raise SimulationInputError(f"deficits must sum to zero (sum = {deficit.sum():.6g})")
    if start is not None and start.w_hat.shape != baseline.value_added.shape:
        raise SimulationInputError("start must be a solution on a baseline of the same shape")
    sol = _solve(baseline, tau1, kappa, deficit, opts, start)
    return CaliendoParroResult(baseline, tau1, kappa, sol, label, deficit)


def calibrate_baseline(
    baseline: MultiSectorBaseline,
    *,
    deficit: FloatArray | None = None,
    options: SolverOptions | None = None,
) -> MultiSectorBaseline:
    """The model's own equilibrium under the baseline's parameters, tariffs and deficits.

    Solves a zero shock on data that do not clear goods markets exactly and returns the
    equilibrium shares, spending and value added, so that a zero shock on the result returns
    no change. Deficits stay as given (world value added is the numeraire) unless ``deficit``
    gives new ones (e.g. zeros for a balanced-trade baseline, as in Dekle–Eaton–Kortum).
    """
    res = solve_caliendo_parro(baseline, deficit_new=deficit, options=options, label="calibration")
    note = (
        f"calibrated: zero-shock equilibrium of {baseline.name!r} "
        f"(max |ŵ−1| {np.max(np.abs(res.w_hat - 1)):.2e}, {res.iterations} iterations)"
    )
    return baseline.with_(
        pi=res.pi_new,
        expenditure=res.expenditure_new,
        value_added=res.w_hat * baseline.value_added,
        deficit=res.deficit_new,
        name=f"{baseline.name} (calibrated)",
        notes=(*baseline.notes, note),
    )


class CaliendoParroResult(Result):
    """Counterfactual equilibrium of the multi-sector model (changes relative to the baseline).

    Percent changes throughout; welfare measures are defined in the module docstring:
    ``real_income_change`` (exact, Î/P̂ − 1) and ``welfare_cp`` (the paper's terms-of-trade +
    volume-of-trade sum with baseline weights and proportional changes).
    """

    def __init__(
        self,
        baseline: MultiSectorBaseline,
        tau_new: FloatArray,
        trade_cost_hat: FloatArray,
        solution: _Solution,
        label: str = "counterfactual",
        deficit_new: FloatArray | None = None,
    ) -> None:
        self.baseline = baseline
        self.deficit_new = baseline.deficit if deficit_new is None else deficit_new
        self.tau_new = tau_new
        self.trade_cost_hat = trade_cost_hat
        self._sol = solution
        self._newton: FloatArray | None = None
        self.label = label
        self.title = f"Caliendo–Parro: {label} on {baseline.name}"

    # --- equilibrium objects -------------------------------------------------------------
    @property
    def w_hat(self) -> FloatArray:
        """Change in the wage (value added per unit of labour), world value added numeraire."""
        return self._sol.w_hat

    @property
    def price_hat(self) -> FloatArray:
        """Sector price changes ``P̂[n, j]``."""
        return self._sol.p_hat

    @property
    def cost_hat(self) -> FloatArray:
        """Unit-cost changes ``ĉ[i, j]``."""
        return self._sol.c_hat

    @property
    def pi_new(self) -> FloatArray:
        return self._sol.pi_new

    @property
    def expenditure_new(self) -> FloatArray:
        return self._sol.x_new

    @property
    def iterations(self) -> int:
        return self._sol.iterations

    @property
    def residual(self) -> float:
        """Max relative excess demand for value added at the solution."""
        return self._sol.residual

    def newton_matrix(self) -> FloatArray:
        """``(I − J)⁺`` of the wage map at this solution
        (:func:`techties.simulation._cp_numerics.newton_matrix`): the Newton steps of problems
        started from this one. Computed on first use and kept (and pickled) with the result."""
        if self._newton is None:
            b = self.baseline
            weight = _cost_weights(b, self.tau_new, self.trade_cost_hat)
            kernel = Kernel(b, weight, self.tau_new, self.deficit_new)
            self._newton = newton_matrix(
                kernel, np.log(self.w_hat), np.log(self.price_hat), self.expenditure_new
            )
        return self._newton

    def imports_new(self) -> FloatArray:
        """``M'[n, i, j]`` at producer prices, in baseline currency × numeraire change."""
        return self.pi_new * self.expenditure_new[:, None, :] / self.tau_new

    def price_index_hat(self) -> FloatArray:
        """Consumer price index change ``Π_j P̂_n^j^{α_n^j}``."""
        return np.exp((self.baseline.alpha * np.log(self.price_hat)).sum(axis=1))

    def income_new(self) -> FloatArray:
        b = self.baseline
        revenue = (self.expenditure_new * (1 - (self.pi_new / self.tau_new).sum(axis=1))).sum(1)
        return self.w_hat * b.value_added + revenue + self.deficit_new

    def real_income_hat(self) -> FloatArray:
        """Exact change in real income ``Î_n / P̂_n`` (ratio)."""
        return self.income_new() / self.baseline.income() / self.price_index_hat()

    def real_wage_hat(self) -> FloatArray:
        return self.w_hat / self.price_index_hat()

    # --- CP decomposition ------------------------------------------------------------------
    def decomposition(self) -> tuple[FloatArray, FloatArray]:
        """Terms-of-trade and volume-of-trade terms ``[n, i, j]`` as shares of ``I_n``.

        ToT_nij = (E_ni^j (ĉ_n^j − 1) − M_ni^j (ĉ_i^j − 1)) / I_n;
        VoT_nij = (τ_ni^j − 1) M_ni^j (M̂_ni^j − ĉ_i^j) / I_n.
        """
        b = self.baseline
        m = b.imports()
        e = m.transpose(1, 0, 2)  # e[n, i, j] = exports of n to i = M[i, n, j]
        dc = self.cost_hat - 1
        income = b.income()[:, None, None]
        tot = (e * dc[:, None, :] - m * dc[None, :, :]) / income
        m_hat = np.divide(self.imports_new(), m, out=np.ones_like(m), where=m > 0)
        vot = (b.tau - 1) * m * (m_hat - self.cost_hat[None, :, :]) / income
        return tot, vot

    def welfare_cp(self) -> FloatArray:
        """The paper's welfare change, ToT + VoT with baseline weights (proportional changes)."""
        tot, vot = self.decomposition()
        return tot.sum(axis=(1, 2)) + vot.sum(axis=(1, 2))

    def decomposition_table(self, by: str = "partner") -> pd.DataFrame:
        """ToT and VoT (percent of income) by country and partner (``by='partner'``) or sector."""
        if by not in ("partner", "sector"):
            raise ConfigError(f"by must be 'partner' or 'sector', got {by!r}")
        tot, vot = self.decomposition()
        axis, names = (
            (2, self.baseline.countries) if by == "partner" else (1, self.baseline.sectors)
        )
        t, v = tot.sum(axis=axis) * 100, vot.sum(axis=axis) * 100
        rows = [
            {"country": c, by: names[k], "terms_of_trade": t[n, k], "volume_of_trade": v[n, k]}
            for n, c in enumerate(self.baseline.countries)
            for k in range(len(names))
        ]
        return pd.DataFrame(rows)

    def bilateral_imports_change(self, importer: str, partners: Sequence[str]) -> float:
        """Percent change of ``importer``'s imports (all sectors) from ``partners``."""
        b = self.baseline
        n = b.index_of(importer)
        idx = [b.index_of(p) for p in partners if p != importer]
        before = b.imports()[n, idx].sum()
        after = self.imports_new()[n, idx].sum()
        return float((after / before - 1) * 100)

    # --- Result contract -------------------------------------------------------------------
    def measures(self) -> dict[str, FloatArray]:
        """Per-country percent changes as arrays (what :meth:`tidy` tabulates)."""
        b = self.baseline
        tot, vot = self.decomposition()
        tot_n, vot_n = tot.sum((1, 2)), vot.sum((1, 2))
        m0, m1 = b.imports(), self.imports_new()
        idx = np.arange(len(b.countries))
        m0[idx, idx, :] = 0
        m1[idx, idx, :] = 0
        return {
            "real_income_change": (self.real_income_hat() - 1) * 100,
            "welfare_cp": (tot_n + vot_n) * 100,
            "terms_of_trade": tot_n * 100,
            "volume_of_trade": vot_n * 100,
            "real_wage_change": (self.real_wage_hat() - 1) * 100,
            "wage_change": (self.w_hat - 1) * 100,
            "price_index_change": (self.price_index_hat() - 1) * 100,
            "imports_change": (m1.sum((1, 2)) / m0.sum((1, 2)) - 1) * 100,
            "exports_change": (m1.sum((0, 2)) / m0.sum((0, 2)) - 1) * 100,
        }

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame({"country": list(self.baseline.countries), **self.measures()})

    def summary(self) -> str:
        t = self.tidy().set_index("country")
        lines = [
            self.title,
            f"converged in {self.iterations} iterations; max relative excess demand "
            f"{self.residual:.2e}; deficits fixed in nominal terms, world value added numeraire",
            f"{'country':<8}{'real income %':>15}{'CP welfare %':>14}{'ToT':>8}{'VoT':>8}",
        ]
        for c, r in t.iterrows():
            lines.append(
                f"{c!s:<8}{r.real_income_change:>15.3f}{r.welfare_cp:>14.3f}"
                f"{r.terms_of_trade:>8.3f}{r.volume_of_trade:>8.3f}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(iterations=self.iterations, residual=self.residual, baseline=self.baseline.name)
        return d


__all__: Sequence[str] = (
    "CaliendoParroResult",
    "MultiSectorBaseline",
    "calibrate_baseline",
    "solve_caliendo_parro",
)


def rebaseline(res: CaliendoParroResult, name: str) -> MultiSectorBaseline:
    """The counterfactual equilibrium as a new baseline (shares, tariffs, spending, VA)."""
    b = res.baseline
    return b.with_(
        pi=res.pi_new,
        tau=res.tau_new,
        expenditure=res.expenditure_new,
        value_added=res.w_hat * b.value_added,
        deficit=res.deficit_new,
        name=name,
    )
