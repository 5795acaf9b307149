"""One-sector structural gravity in general equilibrium (exact hat algebra).

The model is the Armington/CES structural gravity system of the Advanced Guide to Trade Policy
Analysis (Yotov, Piermartini, Monteiro & Larch 2016, ch. 2, "GEPPML") and of Zylkin's
``ge_gravity``. Arrays are indexed ``[i, j]`` = exporter i, importer j, domestic flows on the
diagonal. ``X_ij`` are flows at producer prices; ``τ_ij = 1 + t_ij`` gross tariffs levied by j;
buyer-value flows are ``B_ij = τ_ij X_ij`` and ``λ_ij = B_ij / E_j`` are j's spending shares.

Given the partial effect of the shock on flows ``ĉ_ij = (t'_ij / t_ij)^(1−σ)`` (for an estimated
gravity term, ``exp(β Δx_ij)``) and tariff changes ``τ̂_ij``, the counterfactual solves for
factory-gate price changes ``p̂_i`` (endowments fixed, so ``Ŷ_i = p̂_i``)::

    P̂_j^(1−σ) = Σ_i λ_ij ĉ_ij (τ̂_ij p̂_i)^(1−σ)                consumer price index (IMR)
    λ'_ij     = λ_ij ĉ_ij (τ̂_ij p̂_i)^(1−σ) / P̂_j^(1−σ)         spending shares
    E'_j      = κ φ_j Y'_j / (1 − r'_j)     multiplicative imbalance (φ_j = E_j / Y_j fixed)
              = (Y'_j + D_j) / (1 − r'_j)   additive imbalance (D_j fixed in numeraire units)
    r'_j      = Σ_i λ'_ij (1 − 1/τ'_ij)      tariff revenue share, rebated to j's expenditure
    Y'_i      = Σ_j λ'_ij E'_j / τ'_ij        market clearing (excess demand → 0)

Under multiplicative imbalance ``κ = Σ Y' / Σ φ Y'`` keeps world spending out of income equal to
world output (world deficits sum to zero, Walras' law); without it no equilibrium exists once
relative outputs move, because ``Σ φ_j Y'_j ≠ Σ Y'_j``. ``κ`` is 1 at the baseline and within a
fraction of a percent of 1 in practice (1.0039 when all borders are removed in the Advanced
Guide example).

The outward resistance follows from ``Y_i = (β_i p_i)^(1−σ) Π_i^(1−σ)``: ``Π̂_i = Ŷ_i^(1/(1−σ)) / p̂_i``.
The *conditional* ("CDL") equilibrium holds output and producer-value expenditure at their
baseline values and lets only the multilateral resistances adjust; the *full-endowment*
("FULL") equilibrium adds the price, output and expenditure changes above.

Welfare is reported two ways (percent changes):

* ``real_gdp_pct`` — the Advanced Guide's change in real GDP, ``Ŷ_i / P̂_i − 1``;
* ``welfare_pct`` — ``ge_gravity``'s ``Ŵ_i = Ê_i / P̂_i − 1`` (real expenditure, tariff
  revenue included). Without tariffs they differ only by the common factor ``κ`` under
  multiplicative imbalance, and by the fixed deficit under additive imbalance.

Normalisation: with a reference country ``R`` its price index is the numeraire (``P̂_R = 1``,
the Advanced Guide uses DEU); without one, world nominal output is held fixed. Real outcomes do
not depend on the choice under multiplicative imbalance; under additive imbalance the deficits
``D_j`` are held fixed in units of the numeraire.

The fixed point iterates ``ln p̂_i ← ln p̂_i + ln(S_i/Y'_i) / g_i`` where ``g_i`` is minus the
own-price slope of log excess demand (a Jacobi–Newton step; see :func:`_own_slope`), with
optional damping and Anderson acceleration (:class:`~techties.simulation.options.SolverOptions`)
until ``max_i |S_i / Y'_i − 1| ≤ tol``. If that has not converged after ``FAST_BUDGET``
iterations it restarts with damped plain steps (damping 0.3, no acceleration) for the rest of
``max_iter``; if that fails too, :class:`~techties.errors.SolverError` is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from techties.errors import ConfigError, SimulationInputError, SolverError, did_you_mean
from techties.simulation._fixedpoint import iterate
from techties.simulation.geppml import solve_as_onesector
from techties.simulation.onesector_result import (
    Equilibrium,
    OneSectorResult,
    _labels,
    _matrix,
    _positive,
    _reference,
    _sigma,
)
from techties.simulation.options import SolverOptions

IMBALANCES = ("multiplicative", "additive")
#: lower bound of the Jacobi–Newton slope, as a fraction of min(1, σ − 1)
SLOPE_FLOOR = 0.1
#: iterations of the fast (Anderson) attempt before the damped plain iteration takes over
FAST_BUDGET = 300
Imbalance = Literal["multiplicative", "additive"]
#: ``exact``: the exact equilibrium; ``geppml_book``: the Advanced Guide's loop (geppml.py)
METHODS = ("exact", "geppml_book")
Method = Literal["exact", "geppml_book"]


# --------------------------------------------------------------------------- the economy


@dataclass(frozen=True, slots=True)
class Economy:
    """Baseline shares and shock terms of one counterfactual, precomputed for the iteration."""

    output: np.ndarray  # Y_i, producer value (row sums of X)
    spending: np.ndarray  # E_j buyer value incl. baseline tariff revenue
    base_spending: np.ndarray  # E_j − R_j: spending out of income (producer value)
    weight: np.ndarray  # w_ij = λ_ij ĉ_ij τ̂_ij^(1−σ)
    to_producer: np.ndarray | None  # w_ij / τ'_ij (None without tariffs)
    to_revenue: np.ndarray | None  # w_ij (1 − 1/τ'_ij)
    tariff_new: np.ndarray | None  # τ'_ij
    weight_sq: np.ndarray  # w_ij² (w_ij² / τ'_ij with tariffs), for the Jacobi–Newton slope
    sigma: float
    imbalance: Imbalance
    reference: int | None

    @property
    def n(self) -> int:
        return int(self.output.shape[0])


def build_economy(
    trade: np.ndarray,
    cost_change: np.ndarray | None,
    *,
    sigma: float,
    tariff: np.ndarray | None = None,
    tariff_change: np.ndarray | None = None,
    imbalance: str = "multiplicative",
    reference: int | None = None,
) -> Economy:
    """Validate inputs and precompute the shares used by every iteration."""
    x = _matrix(trade, "trade", nonneg=True)
    n = x.shape[0]
    sig = _sigma(sigma)
    if imbalance not in IMBALANCES:
        raise ConfigError(
            f"imbalance {imbalance!r} is not known. " + did_you_mean(str(imbalance), IMBALANCES)
        )
    chat = np.ones((n, n)) if cost_change is None else _matrix(cost_change, "cost_change", n=n)
    if np.any(chat < 0):
        raise SimulationInputError(
            "cost_change has negative entries",
            hint="cost_change is the multiplicative change in flows, e.g. exp(β·Δx) (≥ 0)",
        )
    t0 = np.zeros((n, n)) if tariff is None else _matrix(tariff, "tariff", n=n)
    dt = np.zeros((n, n)) if tariff_change is None else _matrix(tariff_change, "tariff_change", n=n)
    tau0, tau1 = 1.0 + t0, 1.0 + t0 + dt
    if np.any(tau0 <= 0) or np.any(tau1 <= 0):
        raise SimulationInputError(
            "tariffs must stay above −100 % (gross tariff 1 + t > 0)",
            hint="tariff and tariff_change are ad-valorem fractions: 0.25 means 25 %",
        )
    out = x.sum(axis=1)
    buyer = x * tau0
    spend = buyer.sum(axis=0)
    _positive(out, "output (row sums of trade)")
    _positive(spend, "expenditure (column sums of trade)")
    has_tariffs = bool(np.any(tau0 != 1) or np.any(tau1 != 1))
    w = (buyer / spend) * chat
    if has_tariffs:
        w *= (tau1 / tau0) ** (1.0 - sig)
    if reference is not None and not (0 <= reference < n):
        raise ConfigError(f"reference index {reference} is outside 0..{n - 1}")
    return Economy(
        output=out,
        spending=spend,
        base_spending=x.sum(axis=0),
        weight=w,
        to_producer=w / tau1 if has_tariffs else None,
        to_revenue=w * (1.0 - 1.0 / tau1) if has_tariffs else None,
        tariff_new=tau1 if has_tariffs else None,
        weight_sq=w * w / tau1 if has_tariffs else w * w,
        sigma=sig,
        imbalance=imbalance,  # type: ignore[arg-type]
        reference=reference,
    )


def _evaluate(eco: Economy, x: np.ndarray, full: bool) -> tuple[np.ndarray, ...]:
    """Normalise ``x = ln p̂`` and return ``(x, u, P^(1−σ) hat, Y', E', S)``."""
    s1 = 1.0 - eco.sigma
    u = np.exp(s1 * x)
    pk = u @ eco.weight
    if eco.reference is not None:
        scale = pk[eco.reference]
    else:
        scale = (np.dot(eco.output, np.exp(x)) / eco.output.sum()) ** s1 if full else pk.mean()
    x = x - np.log(scale) / s1
    u, pk = u / scale, pk / scale
    y_new = eco.output * np.exp(x) if full else eco.output
    if not full:
        income = eco.base_spending
    elif eco.imbalance == "multiplicative":
        income = eco.base_spending / eco.output * y_new
        income *= y_new.sum() / income.sum()
    else:
        income = y_new + (eco.base_spending - eco.output)
    if eco.to_revenue is None:
        e_new = income
        demand = u * (eco.weight @ (e_new / pk))
    else:
        e_new = income / (1.0 - (u @ eco.to_revenue) / pk)
        demand = u * (eco.to_producer @ (e_new / pk))  # type: ignore[operator]
    return x, u, pk, y_new, e_new, demand


def _own_slope(
    eco: Economy,
    u: np.ndarray,
    pk: np.ndarray,
    y_new: np.ndarray,
    e_new: np.ndarray,
    demand: np.ndarray,
    full: bool,
) -> np.ndarray:
    """Minus the own-price derivative of log excess demand, ``−∂ ln(S_i/Y'_i)/∂ ln p̂_i``.

    With sales shares ``s_ij = X'_ij / S_i`` and spending shares ``λ'_ij``::

        FULL:  σ − (σ−1) Σ_j s_ij λ'_ij − s_ii ∂ln E'_i/∂ln p̂_i
        CDL:   (σ−1) (1 − Σ_j s_ij λ'_ij)

    Dividing the log excess demand by it is a Jacobi–Newton step: it makes the iteration fast
    for closed economies (large ``λ'_ii``), where the plain ``1/σ`` step crawls. The slope is
    floored at ``SLOPE_FLOOR · min(1, σ − 1)`` so near-autarkic countries do not take huge steps.
    """
    # Σ_j s_ij λ'_ij = u_i² / S_i · Σ_j w_ij w̃_ij E'_j / P_j^2(1−σ), with w̃ = w / τ' (producer value)
    own = u * u / demand * (eco.weight_sq @ (e_new / (pk * pk)))
    seller = eco.weight if eco.to_producer is None else eco.to_producer
    own_sales = u * np.diagonal(seller) * e_new / pk / demand  # s_ii
    sig = eco.sigma
    if not full:
        slope = (sig - 1.0) * (1.0 - own)
    else:
        elasticity = (
            1.0
            if eco.imbalance == "multiplicative"
            else y_new / (y_new + eco.base_spending - eco.output)
        )
        slope = sig - (sig - 1.0) * own - own_sales * elasticity
    return np.maximum(slope, SLOPE_FLOOR * min(1.0, sig - 1.0))


def equilibrium(
    eco: Economy, *, full: bool, options: SolverOptions, stage: str = "FULL"
) -> Equilibrium:
    """Solve one equilibrium; raises :class:`SolverError` unless excess demand ≤ ``tol``."""

    def step(x: np.ndarray) -> tuple[np.ndarray, float]:
        x, u, pk, y_new, e_new, demand = _evaluate(eco, x, full)
        ratio = demand / y_new
        if np.any(ratio <= 0) or np.any(e_new <= 0):
            return x, float("nan")
        with np.errstate(over="ignore", invalid="ignore"):
            slope = _own_slope(eco, u, pk, y_new, e_new, demand, full)
        return x + np.log(ratio) / slope, float(np.max(np.abs(ratio - 1.0)))

    fast = replace(options, max_iter=min(options.max_iter, FAST_BUDGET))
    x, its, resid = iterate(step, np.zeros(eco.n), fast)
    if not (resid <= options.tol) and its < options.max_iter:
        # rare (seen in 2-country economies with tariffs): restart with short plain steps
        safe = replace(
            options,
            acceleration="none",
            damping=min(options.damping, 0.3),
            max_iter=options.max_iter - its,
        )
        x, more, resid = iterate(step, np.zeros(eco.n), safe)
        its += more
    if np.isnan(resid):
        raise SolverError(
            f"one-sector {stage} equilibrium not reached: after {its:,} iterations every step "
            "leads to negative spending or zero demand",
            hint="with additive imbalance, a fixed surplus close to a country's output leaves "
            "no room for a price fall — use imbalance='multiplicative' or a smaller shock",
        )
    if not (resid <= options.tol):
        raise SolverError(
            f"one-sector {stage} equilibrium not reached after {its:,} iterations: "
            f"max relative excess demand {resid:.3g} > tol {options.tol:.0e}",
            hint="raise SolverOptions.max_iter, try damping=0.5 or acceleration='none', "
            "and check that no country's flows are all shut by the shock",
        )
    return _finish(eco, x, full, its, resid)


def _finish(eco: Economy, x: np.ndarray, full: bool, its: int, resid: float) -> Equilibrium:
    x, u, pk, y_new, e_new, _ = _evaluate(eco, x, full)
    s1 = 1.0 - eco.sigma
    shares = u[:, None] * eco.weight / pk[None, :]
    buyer = shares * e_new[None, :]
    trade = buyer if eco.tariff_new is None else buyer / eco.tariff_new
    p_hat = np.exp(x)
    y_hat = y_new / eco.output
    return Equilibrium(
        price_hat=p_hat,
        imr_hat=pk ** (1.0 / s1),
        omr_hat=y_hat ** (1.0 / s1) / p_hat,
        output=y_new,
        spending=e_new,
        revenue=buyer.sum(axis=0) - trade.sum(axis=0),
        trade=trade,
        shares=shares,
        iterations=its,
        residual=resid,
    )


# --------------------------------------------------------------------------- public solver


def fitted_flows(trade: Any, cost: Any, *, options: SolverOptions | None = None) -> np.ndarray:
    """Model-implied baseline flows ``X̂_ij = a_i b_j t_ij`` with the margins of ``trade``.

    ``cost`` is the gravity term ``t_ij = exp(β·x_ij)`` (0 for pairs without a flow). This is
    what PPML with exporter and importer fixed effects fits (its adding-up property makes the
    fitted row and column sums equal the observed output ``Y_i`` and expenditure ``E_j``), so it
    reproduces the Advanced Guide's baseline without re-estimating the fixed effects. Solved as
    a conditional equilibrium from the frictionless matrix ``Y_i E_j / Σ Y``.
    """
    x = _matrix(trade, "trade", nonneg=True)
    out, spend = x.sum(axis=1), x.sum(axis=0)
    _positive(out, "output (row sums of trade)")
    _positive(spend, "expenditure (column sums of trade)")
    t = _matrix(cost, "cost", n=x.shape[0], nonneg=True)
    eco = build_economy(np.outer(out, spend) / out.sum(), t, sigma=2.0)
    return equilibrium(eco, full=False, options=options or SolverOptions(), stage="fitted").trade


def solve_onesector(
    trade: Any,
    cost_change: Any = None,
    *,
    sigma: float,
    tariff_change: Any = None,
    tariff: Any = None,
    imbalance: Imbalance = "multiplicative",
    reference: int | str | None = None,
    countries: Sequence[str] | None = None,
    options: SolverOptions | None = None,
    conditional: bool = True,
    method: Method = "exact",
) -> OneSectorResult:
    """Counterfactual of a change in trade costs and/or tariffs in one-sector structural gravity.

    ``trade``: N×N baseline flows (exporter × importer, domestic flows on the diagonal, producer
    prices). ``cost_change``: N×N partial effect on flows, ``(t'/t)^(1−σ)`` e.g. ``exp(β·Δx)``
    (default: no change). ``sigma``: elasticity of substitution (> 1). ``tariff`` / ``tariff_change``:
    N×N baseline ad-valorem tariffs levied by the importer and their change (fractions; the
    revenue is rebated to the importer's expenditure). ``imbalance``: ``"multiplicative"``
    (``E = φY``, Advanced Guide) or ``"additive"`` (``E = Y + D``, ``D`` fixed). ``reference``:
    index or label of the country whose price index is the numeraire (None: world output).
    ``conditional=False`` skips the CDL stage. See the module docstring for the equations.
    ``method="geppml_book"`` runs the Advanced Guide's own iterative GEPPML loop instead of the
    exact solver (:func:`techties.simulation.geppml.solve_geppml`: multiplicative imbalance, no
    tariffs, a reference country; it stops at the book's loose price tolerance, 0.01, or at
    ``options.tol`` when ``options`` are given — there ``tol`` is that threshold on the price
    changes and ``max_iter`` the number of rounds).
    """
    if method not in METHODS:
        raise ConfigError(f"method {method!r} is not known. " + did_you_mean(str(method), METHODS))
    if method == "geppml_book":
        ref_book = reference if reference is not None else (options.reference if options else None)
        return solve_as_onesector(
            trade,
            cost_change,
            sigma=sigma,
            tariff_change=tariff_change,
            tariff=tariff,
            imbalance=imbalance,
            countries=countries,
            reference=ref_book,
            options=options,
        )
    opts = options or SolverOptions()
    base = _matrix(trade, "trade", nonneg=True)
    labels = _labels(countries, base.shape[0])
    ref = _reference(reference if reference is not None else opts.reference, labels)
    eco = build_economy(
        base,
        cost_change,
        sigma=sigma,
        tariff=tariff,
        tariff_change=tariff_change,
        imbalance=imbalance,
        reference=ref,
    )
    cdl = equilibrium(eco, full=False, options=opts, stage="CDL") if conditional else None
    full = equilibrium(eco, full=True, options=opts, stage="FULL")
    return OneSectorResult(
        countries=labels,
        baseline=base,
        baseline_revenue=eco.spending - eco.base_spending,
        cdl=cdl,
        full=full,
        sigma=eco.sigma,
        imbalance=eco.imbalance,
        reference=None if ref is None else labels[ref],
        options=opts,
    )
