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
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from techties.errors import ConfigError, ModelError, SolverError, UnknownNameError, did_you_mean
from techties.results import Result, json_safe
from techties.simulation._fixedpoint import iterate
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
        raise ModelError(
            "cost_change has negative entries",
            hint="cost_change is the multiplicative change in flows, e.g. exp(β·Δx) (≥ 0)",
        )
    t0 = np.zeros((n, n)) if tariff is None else _matrix(tariff, "tariff", n=n)
    dt = np.zeros((n, n)) if tariff_change is None else _matrix(tariff_change, "tariff_change", n=n)
    tau0, tau1 = 1.0 + t0, 1.0 + t0 + dt
    if np.any(tau0 <= 0) or np.any(tau1 <= 0):
        raise ModelError(
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


def _matrix(a: Any, name: str, *, n: int | None = None, nonneg: bool = False) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ModelError(
            f"{name} must be a square N×N array (exporter × importer), got shape {arr.shape}"
        )
    if n is not None and arr.shape[0] != n:
        raise ModelError(f"{name} is {arr.shape[0]}×{arr.shape[0]} but trade is {n}×{n}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ModelError(
            f"{name} has {int(bad.sum())} non-finite value(s), first at row {i}, column {j}",
            hint="fill missing flows with 0 and missing shocks with 1 (no change)",
        )
    if nonneg and np.any(arr < 0):
        i, j = np.argwhere(arr < 0)[0]
        raise ModelError(f"{name} has a negative value {arr[i, j]} at row {i}, column {j}")
    return arr


def _positive(v: np.ndarray, what: str) -> None:
    if np.any(v <= 0):
        raise ModelError(
            f"{int((v <= 0).sum())} country(ies) have zero {what}; first is index "
            f"{int(np.argmax(v <= 0))}",
            hint="include domestic flows (exporter == importer) and drop empty countries",
        )


def _sigma(sigma: float) -> float:
    if not isinstance(sigma, (int, float, np.floating)) or not np.isfinite(sigma) or sigma <= 1:
        raise ConfigError(
            f"sigma (elasticity of substitution) must be a number above 1, got {sigma!r}",
            hint="the trade elasticity is 1 − σ; the Advanced Guide uses σ = 7",
        )
    return float(sigma)


# --------------------------------------------------------------------------- the fixed point


@dataclass(frozen=True, slots=True)
class Equilibrium:
    """One solved equilibrium (changes are ratios ``x'/x``; levels in the trade unit)."""

    price_hat: np.ndarray  # p̂_i factory-gate price
    imr_hat: np.ndarray  # P̂_j consumer price index = inward multilateral resistance
    omr_hat: np.ndarray  # Π̂_i outward multilateral resistance
    output: np.ndarray  # Y'_i
    spending: np.ndarray  # E'_j (buyer value incl. tariff revenue)
    revenue: np.ndarray  # R'_j tariff revenue
    trade: np.ndarray  # X'_ij at producer prices
    shares: np.ndarray  # λ'_ij (columns sum to one)
    iterations: int
    residual: float


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
        elasticity = 1.0 if eco.imbalance == "multiplicative" else y_new / (
            y_new + eco.base_spending - eco.output
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
        safe = replace(options, acceleration="none", damping=min(options.damping, 0.3),
                       max_iter=options.max_iter - its)
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
    tariffs, a reference country; it stops at the book's loose price tolerance).
    """
    if method not in METHODS:
        raise ConfigError(f"method {method!r} is not known. " + did_you_mean(str(method), METHODS))
    if method == "geppml_book":
        from techties.simulation.geppml import solve_as_onesector

        ref_book = reference if reference is not None else (options.reference if options else None)
        return solve_as_onesector(trade, cost_change, sigma=sigma, tariff_change=tariff_change,
                                  tariff=tariff, imbalance=imbalance, countries=countries,
                                  reference=ref_book)
    opts = options or SolverOptions()
    labels = _labels(countries, np.shape(trade)[0] if np.ndim(trade) == 2 else 0)
    ref = _reference(reference if reference is not None else opts.reference, labels)
    eco = build_economy(
        np.asarray(trade, dtype=float),
        None if cost_change is None else np.asarray(cost_change, dtype=float),
        sigma=sigma,
        tariff=None if tariff is None else np.asarray(tariff, dtype=float),
        tariff_change=None if tariff_change is None else np.asarray(tariff_change, dtype=float),
        imbalance=imbalance,
        reference=ref,
    )
    base = np.asarray(trade, dtype=float)
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


def _labels(countries: Sequence[str] | None, n: int) -> list[str]:
    if countries is None:
        return [str(i) for i in range(n)]
    labels = [str(c) for c in countries]
    if len(labels) != n:
        raise ModelError(f"{len(labels)} country labels given for a {n}×{n} trade matrix")
    if len(set(labels)) != n:
        dup = sorted({c for c in labels if labels.count(c) > 1})
        raise ModelError(f"duplicate country labels: {', '.join(dup)}")
    return labels


def _reference(reference: int | str | None, labels: list[str]) -> int | None:
    if reference is None:
        return None
    if isinstance(reference, str):
        if reference not in labels:
            raise UnknownNameError(
                f"reference country {reference!r} is not in the data. "
                + did_you_mean(reference, labels)
            )
        return labels.index(reference)
    if isinstance(reference, (int, np.integer)) and not isinstance(reference, bool):
        if not 0 <= int(reference) < len(labels):
            raise ConfigError(f"reference index {reference} is outside 0..{len(labels) - 1}")
        return int(reference)
    raise ConfigError(f"reference must be a country label or index, got {reference!r}")


# --------------------------------------------------------------------------- result


def _pct(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(old > 0, 100.0 * (new / old - 1.0), np.nan)


def _exports(x: np.ndarray) -> np.ndarray:
    return x.sum(axis=1) - np.diag(x)


def _imports(x: np.ndarray) -> np.ndarray:
    return x.sum(axis=0) - np.diag(x)


@dataclass(frozen=True)
class OneSectorResult(Result):
    """Conditional (CDL) and full-endowment (FULL) one-sector counterfactual.

    All ``*_pct`` columns of :meth:`tidy` are percent changes ``100 (x'/x − 1)``; ``imr`` is the
    consumer price index ``P`` and ``omr`` is ``Π`` (both in price units, as the Advanced Guide
    reports them); exports/imports exclude domestic flows and are at producer prices.
    """

    countries: list[str]
    baseline: np.ndarray
    baseline_revenue: np.ndarray
    cdl: Equilibrium | None
    full: Equilibrium
    sigma: float
    imbalance: str
    reference: str | None
    options: SolverOptions = field(default_factory=SolverOptions)
    title: str = "One-sector general-equilibrium counterfactual"
    method: str = "exact"

    # -- derived quantities (all from the stored equilibria)
    @property
    def real_gdp_pct(self) -> pd.Series:
        """Advanced Guide real GDP change ``100 (Ŷ/P̂ − 1)`` by country."""
        return self.tidy().set_index("country")["real_gdp_pct"]

    @property
    def welfare_pct(self) -> pd.Series:
        """ge_gravity welfare change ``100 (Ê/P̂ − 1)`` by country."""
        return self.tidy().set_index("country")["welfare_pct"]

    def tidy(self) -> pd.DataFrame:
        """Per-country table: baseline levels and percent changes (CDL and FULL)."""
        f, x0 = self.full, self.baseline
        y0 = x0.sum(axis=1)
        e0 = x0.sum(axis=0) + self.baseline_revenue
        nan = np.full(len(self.countries), np.nan)
        c = self.cdl
        return pd.DataFrame(
            {
                "country": self.countries,
                "output_baseline": y0,
                "exports_baseline": _exports(x0),
                "imports_baseline": _imports(x0),
                "exports_cdl_pct": _pct(_exports(c.trade), _exports(x0)) if c else nan,
                "imports_cdl_pct": _pct(_imports(c.trade), _imports(x0)) if c else nan,
                "imr_cdl_pct": 100 * (c.imr_hat - 1) if c else nan,
                "omr_cdl_pct": 100 * (c.omr_hat - 1) if c else nan,
                "exports_full_pct": _pct(_exports(f.trade), _exports(x0)),
                "imports_full_pct": _pct(_imports(f.trade), _imports(x0)),
                "price_pct": 100 * (f.price_hat - 1),
                "output_pct": _pct(f.output, y0),
                "expenditure_pct": _pct(f.spending, e0),
                "imr_full_pct": 100 * (f.imr_hat - 1),
                "omr_full_pct": 100 * (f.omr_hat - 1),
                "tariff_revenue_baseline": self.baseline_revenue,
                "tariff_revenue_full": f.revenue,
                "real_gdp_pct": 100 * (f.output / y0 / f.imr_hat - 1),
                "welfare_pct": 100 * (f.spending / e0 / f.imr_hat - 1),
            }
        )

    def bilateral(self) -> pd.DataFrame:
        """Long table of flows: exporter, importer, baseline, CDL, FULL and percent changes."""
        n = len(self.countries)
        lab = np.asarray(self.countries, dtype=object)
        x0 = self.baseline.ravel()
        out = pd.DataFrame(
            {
                "exporter": np.repeat(lab, n),
                "importer": np.tile(lab, n),
                "trade_baseline": x0,
                "trade_cdl": self.cdl.trade.ravel() if self.cdl else np.nan,
                "trade_full": self.full.trade.ravel(),
            }
        )
        out["trade_cdl_pct"] = _pct(out["trade_cdl"].to_numpy(), x0)
        out["trade_full_pct"] = _pct(out["trade_full"].to_numpy(), x0)
        return out

    def summary(self) -> str:
        t = self.tidy().sort_values("real_gdp_pct")
        ref = self.reference or "world output"
        lines = [
            f"{self.title}: {len(self.countries)} countries, σ = {self.sigma:g}, "
            f"{self.imbalance} imbalance, numeraire {ref}",
            (f"FULL solved in {self.full.iterations} iterations, max relative excess demand "
             f"{self.full.residual:.1e} (tol {self.options.tol:.0e})")
            if self.method == "exact" else
            (f"FULL: Advanced Guide loop stopped after {self.full.iterations} rounds (price "
             f"tolerance {self.options.tol:g}); max relative excess demand left "
             f"{self.full.residual:.1e} — not an exact equilibrium"),
            "real GDP change (Advanced Guide Ŷ/P̂), %: "
            f"median {t.real_gdp_pct.median():.2f}, "
            f"min {t.real_gdp_pct.iloc[0]:.2f} ({t.country.iloc[0]}), "
            f"max {t.real_gdp_pct.iloc[-1]:.2f} ({t.country.iloc[-1]})",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(
            sigma=self.sigma,
            method=self.method,
            imbalance=self.imbalance,
            reference=self.reference,
            welfare_definitions={
                "real_gdp_pct": "Advanced Guide: 100 (Y'/Y / P'/P - 1)",
                "welfare_pct": "ge_gravity W-hat: 100 (E'/E / P'/P - 1), E incl. tariff revenue",
            },
            iterations={"cdl": self.cdl.iterations if self.cdl else None,
                        "full": self.full.iterations},
            residual={"cdl": self.cdl.residual if self.cdl else None,
                      "full": self.full.residual},
            options=self.options.to_dict(),
        )
        return json_safe(out)  # type: ignore[no-any-return]

    def plot(self, measure: str = "real_gdp_pct") -> Any:
        """Bar chart of welfare changes by country (``real_gdp_pct`` or ``welfare_pct``)."""
        from techties.charts import finish

        data = self.tidy()[["country", measure]].rename(columns={measure: "change"})
        chart = change_bars(data, value_format=".2f")
        label = "real GDP (Ŷ/P̂)" if measure == "real_gdp_pct" else "welfare (Ê/P̂)"
        return finish(
            chart,
            title=f"Change in {label} by country",
            subtitle=f"percent, full-endowment GE, σ = {self.sigma:g}",
            source="techties one-sector structural gravity",
        )


def change_bars(data: pd.DataFrame, *, value_format: str) -> Any:
    """Bars of ``change`` (percent) by ``country``, largest first; falls red, rises blue."""
    import altair as alt

    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("country:N", sort="-y", title=None),
            y=alt.Y("change:Q", title="% change"),
            color=alt.condition("datum.change < 0", alt.value("#c0392b"), alt.value("#2c7fb8")),
            tooltip=["country", alt.Tooltip("change:Q", format=value_format)],
        )
    )
