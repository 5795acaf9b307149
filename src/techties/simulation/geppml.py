"""The Advanced Guide's own GEPPML loop (Yotov et al. 2016, ch. 2, ``TradeWithoutBorder.do``).

:func:`solve_onesector` solves the exact equilibrium. This module reproduces, as an explicit
option, the iterative procedure the book uses for its full-endowment ("FULL") results, so that
its published numbers can be matched and the two answers compared side by side. Arrays are
``[i, j]`` = exporter i × importer j, domestic flows on the diagonal.

Fixed effects. Every round estimates PPML with exporter and importer fixed effects and an
offset. Its first-order conditions are the adding-up conditions — fitted row and column sums
equal those of the dependent flows — so the fitted values ``μ_ij = α_i β_j K_ij`` are found by
iterative proportional fitting on the N×N matrix (:func:`ppml_fixed_effects`), normalised to
``β_R = 1`` (the book drops the reference importer's dummy). The offset is ``K = X ĉ``, the
baseline flows times the partial effect of the shock; with the book's baseline (the PPML fitted
flows ``a_i b_j t_ij``) this equals the book's offset ``t'_ij`` up to terms the fixed effects
absorb, so ``α_i`` and ``β_j`` are the book's ``exp_pi`` and ``exp_chi`` relative to their
baseline values.

The loop (σ the elasticity of substitution, ``φ_j = E_j / Y_j`` fixed, ``R`` the reference)::

    conditional:   μ⁰ = PPML(X; K),      step p̂⁰_i = α⁰_i^(1/(1−σ)),   Π̂⁰ = P̂⁰ = 1
    round s ≥ 1:   X^s_ij  = μ^(s−1)_ij p̂^(s−1)_i p̂^(s−1)_j / (Π̂^(s−1)_i P̂^(s−1)_j)
                   μ^s     = PPML(X^s; K)        (α^s, β^s; β^s_R = 1)
                   Y^s_i   = Σ_j μ^s_ij,   E^s_j = φ_j Y^s_j,   E^s_R its value for R
                   p̂^s_i   = [(α^s_i / E^s_R) / (α^(s−1)_i / E^(s−1)_R)]^(1/(1−σ))   (step)
                   OMR^s_i = Y^s_i E^s_R / α^s_i,   IMR^s_j = E^s_j / (β^s_j E^s_R)
                   Π̂^s, P̂^s = OMR^s / OMR^(s−1), IMR^s / IMR^(s−1)   (power form, ^(1−σ))
                   tested  d^s_i = p̂^(s−2)_i − p̂^(s−3)_i   (one round behind, p̂^(−1) = 0)

Stopping rule, as the book's do-files write it (``TradeWithoutBorder.do``, ``RTAsEffects.do``,
``RemovingSpecificBorder.do`` and ``RTAImpacts.do`` all share it)::

    change_pricei_0 = 0,  change_pricei_1 = p̂⁰ (the CDL step)
    while (sd > 0.01) | (max > 0.01):   round k = 2, 3, …
        … compute round k, then  dif_k = change_pricei_(k−1) − change_pricei_(k−2)
        sd, max = r(sd), abs(r(max)) of dif_k over the pair-level data set

The test made after round ``k`` looks one round behind — at the price steps of rounds
``k − 1`` and ``k − 2`` — and the very first test compares the CDL step with zero, so at least
three rounds are run; ``d`` is replicated over the N² pair rows (sd with the n − 1
denominator); ``max`` is the absolute value of the *largest* element (Stata's ``abs(r(max))``),
not the largest ``|d|``. The final indexes come from the last round run. With its threshold
0.01 this rule stops the border-removal example after round 5, which is what the published
files ``1_TradeWithoutBorder_FULL*`` hold (to 1e-7). ``tol`` is that threshold (default
:data:`BOOK_TOL` = 0.01, the do-files' value for every Chapter 2 experiment).

Final ("full endowment") indexes from the last round ``S``::

    p̂_i    = [(α^S_i / E^S_R) / (1 / E_R)]^(1/(1−σ))      factory-gate price vs baseline
    Y'_i   = p̂_i Y_i,   E'_j = φ_j Y'_j
    OMR'_i = Y'_i E^S_R / α^S_i,   IMR'_j = IMR^S_j  (= E^S_j / (β^S_j E^S_R))
    X'_ij  = Y'_i E'_j t'_ij / (OMR'_i IMR'_j)        real GDP  Y'_i / IMR'_i^(1/(1−σ))

These are not an exact equilibrium: ``Y'`` is ``p̂ Y`` while the round's flows sum to ``Y^S``,
and ``E' = φ Y'`` ignores that world spending then differs from world output. The result
records, as ``residual``, the largest relative gap between the sales implied by ``X'`` and
``Y'`` (0.59 % for HKG in the border-removal example).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from techties.errors import ConfigError, SimulationInputError, SolverError
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

#: the Advanced Guide's stopping threshold on the change in factory-gate prices: 0.01 in the
#: do-files of every Chapter 2 application and exercise (see the module docstring)
BOOK_TOL = 0.01
#: convergence of the fixed-effect (IPF) step: largest relative change of β between sweeps
FE_TOL = 1e-13


@dataclass(frozen=True, slots=True)
class FixedEffects:
    """PPML exporter/importer fixed effects: fitted ``μ_ij = exp_pi_i · exp_chi_j · K_ij``."""

    exp_pi: np.ndarray  # α_i, exporter effects
    exp_chi: np.ndarray  # β_j, importer effects (β_R = 1)
    fitted: np.ndarray  # μ_ij
    sweeps: int


def ppml_fixed_effects(
    flows: np.ndarray,
    offset: np.ndarray,
    *,
    reference: int,
    tol: float = FE_TOL,
    max_sweeps: int = 100_000,
) -> FixedEffects:
    """Solve PPML with exporter and importer fixed effects and offset ``ln K`` by IPF.

    The PPML score equations with the two sets of fixed effects are ``Σ_j (X_ij − μ_ij) = 0``
    and ``Σ_i (X_ij − μ_ij) = 0``: fitted margins equal observed margins. Alternating
    ``α = Y / (K β)``, ``β = E / (Kᵀ α)`` (iterative proportional fitting) converges to the
    unique fitted values; normalisation ``β_reference = 1``. Pairs with ``K_ij = 0`` are fitted
    as zero (the log offset is −∞), as a PPML without those rows would.
    """
    y, e = flows.sum(axis=1), flows.sum(axis=0)
    _positive(y, "row sums of the flows to fit")
    _positive(e, "column sums of the flows to fit")
    beta = np.ones(flows.shape[0])
    for sweep in range(1, max_sweeps + 1):
        alpha = y / (offset @ beta)
        new = e / (offset.T @ alpha)
        new /= new[reference]
        done = np.max(np.abs(new / beta - 1.0)) <= tol
        beta = new
        if done:
            alpha = y / (offset @ beta)
            return FixedEffects(alpha, beta, alpha[:, None] * beta[None, :] * offset, sweep)
    raise SolverError(
        f"PPML fixed effects did not converge in {max_sweeps:,} proportional-fitting sweeps",
        hint="a country whose every positive flow is shut by the shock has no finite effect",
    )


@dataclass(frozen=True, slots=True)
class BookRound:
    """One round of the book's loop (levels relative to the baseline fixed effects)."""

    flows: np.ndarray  # X^s fed to the PPML
    effects: FixedEffects  # α^s, β^s, μ^s
    output: np.ndarray  # Y^s
    expenditure: np.ndarray  # E^s = φ Y^s
    price_step: np.ndarray  # p̂^s (change since the previous round)
    price_sd: float  # sd of the tested difference over the N² pair rows
    price_max: float  # |max| of the tested difference (one round behind, see module doc)


def book_rounds(
    trade: np.ndarray,
    cost_change: np.ndarray,
    *,
    sigma: float,
    reference: int,
    tol: float = BOOK_TOL,
    max_rounds: int = 200,
) -> tuple[FixedEffects, list[BookRound]]:
    """Run the Advanced Guide's loop; returns the conditional fit and every round until the stop.

    Raises :class:`SolverError` if the stopping rule is not met within ``max_rounds`` rounds.
    """
    s1 = 1.0 - sigma
    offset = trade * cost_change
    y0, e0 = trade.sum(axis=1), trade.sum(axis=0)
    phi = e0 / y0
    n = trade.shape[0]
    cdl = ppml_fixed_effects(trade, offset, reference=reference)
    fit, er = cdl, e0[reference]
    step = cdl.exp_pi ** (1.0 / s1)
    d_omr = d_imr = np.ones(n)
    omr, imr = y0 * er / cdl.exp_pi, e0 / (cdl.exp_chi * er)
    rounds: list[BookRound] = []
    earlier = np.zeros(n)  # change_pricei_(k−2): 0 before the CDL step, as in the do-files
    for _ in range(max_rounds):
        flows = fit.fitted * np.outer(step, step) / np.outer(d_omr, d_imr)
        new = ppml_fixed_effects(flows, offset, reference=reference)
        y = new.fitted.sum(axis=1)
        e = phi * y
        er_new = e[reference]
        step_new = ((new.exp_pi / er_new) / (fit.exp_pi / er)) ** (1.0 / s1)
        omr_new, imr_new = y * er_new / new.exp_pi, e / (new.exp_chi * er_new)
        d_omr, d_imr = omr_new / omr, imr_new / imr
        # the do-files test one round behind: the previous step minus the one before it,
        # over the pair-level data set (exporter by exporter)
        dif = np.repeat(step - earlier, n)
        rounds.append(
            BookRound(flows, new, y, e, step_new, float(dif.std(ddof=1)), float(abs(dif.max())))
        )
        earlier = step
        fit, er, step, omr, imr = new, er_new, step_new, omr_new, imr_new
        if rounds[-1].price_sd <= tol and rounds[-1].price_max <= tol:
            return cdl, rounds
    raise SolverError(
        f"the Advanced Guide's GEPPML loop did not meet its stopping rule (tol {tol:g}) in "
        f"{max_rounds} rounds: sd {rounds[-1].price_sd:.3g}, max {rounds[-1].price_max:.3g}",
        hint="the book's loop is not guaranteed to converge; use method='exact'",
    )


def solve_geppml(
    trade: Any,
    cost_change: Any = None,
    *,
    sigma: float,
    reference: int | str,
    countries: Sequence[str] | None = None,
    tol: float = BOOK_TOL,
    max_rounds: int = 200,
) -> OneSectorResult:
    """Counterfactual by the Advanced Guide's GEPPML loop (see the module docstring).

    ``trade``: N×N baseline flows (the book uses the PPML fitted flows, see
    :func:`~techties.simulation.onesector.fitted_flows`); ``cost_change``: partial effect on
    flows ``exp(β·Δx)``; ``reference``: the country whose importer effect is normalised (DEU in
    the book). Multiplicative imbalance, no tariffs. ``tol``: the loop's stopping threshold on
    the change in factory-gate prices (default :data:`BOOK_TOL` = 0.01, the do-files' value;
    it reproduces the published border-removal files). Returns a
    :class:`OneSectorResult` (``method="geppml_book"``) whose FULL stage is the book's final
    round and whose ``residual`` is the excess demand left in it (not below ``1e-10``).
    """
    x = _matrix(trade, "trade", nonneg=True)
    n = x.shape[0]
    chat = np.ones((n, n)) if cost_change is None else _matrix(cost_change, "cost_change", n=n)
    if np.any(chat < 0):
        raise SimulationInputError(
            "cost_change has negative entries",
            hint="cost_change is the multiplicative change in flows, e.g. exp(β·Δx)",
        )
    sig = _sigma(sigma)
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ConfigError(f"tol must be in (0, 1), got {tol!r}", hint="the book's do-files use 0.01")
    labels = _labels(countries, n)
    ref = _reference(reference, labels)
    if ref is None:
        raise ConfigError("the Advanced Guide's loop needs a reference country (e.g. 'DEU')")
    y0, e0 = x.sum(axis=1), x.sum(axis=0)
    _positive(y0, "output (row sums of trade)")
    _positive(e0, "expenditure (column sums of trade)")
    cdl_fit, rounds = book_rounds(x, chat, sigma=sig, reference=ref, tol=tol, max_rounds=max_rounds)
    cdl = _equilibrium(x, chat, sig, cdl_fit, y0, e0, iterations=cdl_fit.sweeps)
    last = rounds[-1]
    er0, er = e0[ref], last.expenditure[ref]
    p_hat = ((last.effects.exp_pi / er) / (1.0 / er0)) ** (1.0 / (1.0 - sig))
    y_full = p_hat * y0
    imr_ratio = (last.expenditure / (last.effects.exp_chi * er)) / (e0 / er0)
    omr_ratio = (y_full * er / last.effects.exp_pi) / (y0 * er0)
    full = _full_equilibrium(
        x, chat, sig, p_hat, y_full, e0 / y0 * y_full, omr_ratio, imr_ratio, iterations=len(rounds)
    )
    return OneSectorResult(
        countries=labels,
        baseline=x,
        baseline_revenue=np.zeros(n),
        cdl=cdl,
        full=full,
        sigma=sig,
        imbalance="multiplicative",
        reference=labels[ref],
        options=SolverOptions(tol=tol, max_iter=max_rounds, acceleration="none"),
        title="One-sector counterfactual, Advanced Guide GEPPML loop",
        method="geppml_book",
    )


def solve_as_onesector(
    trade: Any,
    cost_change: Any,
    *,
    sigma: float,
    tariff_change: Any,
    tariff: Any,
    imbalance: str,
    countries: Sequence[str] | None,
    reference: int | str | None,
    options: SolverOptions | None = None,
) -> OneSectorResult:
    """``solve_onesector(..., method="geppml_book")``: check what the book's loop models.

    ``options``: ``tol`` is the loop's stopping threshold on the price changes (the book's
    0.01 when ``options`` is None) and ``max_iter`` the largest number of rounds; the loop has
    no damping (``damping`` other than 1 is an error) and no acceleration (``acceleration`` and
    ``memory`` are not used).
    """
    if tariff is not None or tariff_change is not None or imbalance != "multiplicative":
        raise ConfigError(
            "method='geppml_book' (the Advanced Guide's loop) has no tariffs and only "
            "multiplicative imbalance",
            hint="use method='exact' for tariffs or additive imbalance",
        )
    if reference is None:
        raise ConfigError(
            "method='geppml_book' needs a reference country",
            hint="the Advanced Guide uses reference='DEU'",
        )
    if options is not None and options.damping != 1.0:
        raise ConfigError(
            f"method='geppml_book' re-estimates the fixed effects each round without damping; "
            f"got SolverOptions(damping={options.damping})",
            hint="drop damping, or use method='exact'",
        )
    tol, rounds = (BOOK_TOL, 200) if options is None else (options.tol, options.max_iter)
    return solve_geppml(
        trade,
        cost_change,
        sigma=sigma,
        reference=reference,
        countries=countries,
        tol=tol,
        max_rounds=rounds,
    )


def _equilibrium(
    x: np.ndarray,
    chat: np.ndarray,
    sig: float,
    fit: FixedEffects,
    y0: np.ndarray,
    e0: np.ndarray,
    *,
    iterations: int,
) -> Equilibrium:
    """Conditional stage: output and expenditure fixed, ``Π̂ = α^(1/(1−σ))``, ``P̂ = β^…``."""
    s1 = 1.0 - sig
    trade = fit.fitted
    return Equilibrium(
        price_hat=np.ones(len(y0)),
        imr_hat=(1.0 / fit.exp_chi) ** (1.0 / s1),
        omr_hat=(1.0 / fit.exp_pi) ** (1.0 / s1),
        output=y0,
        spending=e0,
        revenue=np.zeros(len(y0)),
        trade=trade,
        shares=trade / trade.sum(axis=0),
        iterations=iterations,
        residual=float(np.max(np.abs(trade.sum(axis=1) / y0 - 1.0))),
    )


def _full_equilibrium(
    x: np.ndarray,
    chat: np.ndarray,
    sig: float,
    p_hat: np.ndarray,
    y_full: np.ndarray,
    e_full: np.ndarray,
    omr_ratio: np.ndarray,
    imr_ratio: np.ndarray,
    *,
    iterations: int,
) -> Equilibrium:
    """The book's final indexes: ``X' = X ĉ Ŷ_i Ê_j / (OMR̂_i IMR̂_j)`` (power-form MRs)."""
    s1 = 1.0 - sig
    y0, e0 = x.sum(axis=1), x.sum(axis=0)
    trade = x * chat * np.outer(y_full / y0, e_full / e0) / np.outer(omr_ratio, imr_ratio)
    return Equilibrium(
        price_hat=p_hat,
        imr_hat=imr_ratio ** (1.0 / s1),
        omr_hat=omr_ratio ** (1.0 / s1),
        output=y_full,
        spending=e_full,
        revenue=np.zeros(len(y0)),
        trade=trade,
        shares=trade / trade.sum(axis=0),
        iterations=iterations,
        residual=float(np.max(np.abs(trade.sum(axis=1) / y_full - 1.0))),
    )
