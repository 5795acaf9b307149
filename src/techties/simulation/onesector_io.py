"""One-sector trade with roundabout production (input–output linkages), exact hat algebra.

The model of ILMS (2025, Appendix A.3, "augmented single-sector model"; replication
``main_io.m``) without their firm-selection, distribution-margin and labour-supply terms
(ν = 0, φ = 1, κ = 0): country i's unit cost is ``c_i = w_i^β_i P_i^(1−β_i)`` — labour with
value-added share ``β_i`` and the CES bundle of all origins' goods as the intermediate input, the
same bundle consumers buy. Arrays are ``[i, j]`` = exporter × importer; tariffs are levied by
the importer (changes on a tariff-free baseline) and rebated lump-sum::

    ĉ_i       = ŵ_i^β_i P̂_i^(1−β_i)
    P̂_j^(−ε)  = Σ_i λ_ij (ĉ_i τ̂_ij)^(−ε),   λ'_ij = λ_ij (ĉ_i τ̂_ij)^(−ε) / P̂_j^(−ε)
    E'_j      = (R'_j + D'_j) / (1 − Σ_i λ'_ij t'_ij/(1+t'_ij))     gross absorption (buyer value)
    R'_i      = Σ_j λ'_ij E'_j / (1 + t'_ij),  R'_i = ŵ_i R_i         gross output, labour fixed
    F'_j      = β_j R'_j + T'_j + D'_j                                 final spending

Welfare is real final spending ``F̂_j / P̂_j − 1`` (``welfare_pct``). ``closure="additive"``
holds deficits ``D_j`` fixed in units of world value added (ILMS: ``T_i × world output``),
``"multiplicative"`` makes spending out of income proportional to own output (scaled so world
deficits sum to zero, as :mod:`~techties.simulation.onesector`). World value added is the numeraire.

Baseline (:func:`io_baseline`, as ILMS build it): the trade matrix's domestic flows are final
(value-added) sales; with IO, gross domestic sales are ``X_ii / β_i`` (ILMS's uniform
``β = 0.49``), foreign flows are gross trade as recorded. With ``β = 1`` the model is
:func:`~techties.simulation.onesector.solve_onesector`'s (a test checks it to 1e-9); with no
tariffs or deficits of its own a country's welfare change is ``λ̂_jj^(−1/(ε β_j))``
(Costinot & Rodríguez-Clare 2014, roundabout production; tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from techties.errors import ConfigError, SolverError
from techties.simulation._fixedpoint import iterate
from techties.simulation.onesector import Imbalance
from techties.simulation.options import SolverOptions

#: ILMS's value-added share of gross output (uniform across countries, ``main_io.m``)
ILMS_BETA = 0.49


@dataclass(frozen=True)
class IOResult:
    """Solved IO equilibrium; ``full`` is itself (the attribute names of one-sector results)."""

    countries: tuple[str, ...]
    trade: np.ndarray  # X'_ij, producer prices
    shares: np.ndarray  # λ'_ij
    wage_hat: np.ndarray
    price_hat: np.ndarray  # P̂_j
    welfare: np.ndarray  # F̂ / P̂ − 1, fraction
    iterations: int

    @property
    def full(self) -> IOResult:
        return self

    @property
    def welfare_pct(self) -> pd.Series:
        return pd.Series(100.0 * self.welfare, index=list(self.countries), name="welfare_pct")


def io_baseline(base: Any, beta: float | Sequence[float] | np.ndarray = ILMS_BETA) -> Any:
    """``base`` with gross domestic sales ``X_ii / β_i`` and ``io_share`` noted (a copy)."""
    x = np.asarray(base.trade, dtype=float).copy()
    b = np.broadcast_to(np.asarray(beta, dtype=float), (x.shape[0],)).copy()
    if np.any(b <= 0) or np.any(b > 1):
        raise ConfigError("value-added shares β must lie in (0, 1]", hint="ILMS use 0.49")
    np.fill_diagonal(x, np.diagonal(x) / b)
    note = f"gross domestic sales X_ii / β (β {b.min():.3g}–{b.max():.3g})"
    return replace(base, trade=x, notes=(*base.notes, note), name=f"{base.name}, IO")


def solve_io(
    trade: np.ndarray,
    beta: float | Sequence[float] | np.ndarray,
    *,
    sigma: float,
    tariff_change: np.ndarray | None = None,
    closure: Imbalance = "additive",
    countries: Sequence[str] | None = None,
    options: SolverOptions | None = None,
) -> IOResult:
    """Counterfactual of ``tariff_change`` in the IO model (module docstring) from ``trade``
    (gross flows, producer prices, tariff-free). Raises :class:`SolverError` if unsolved."""
    x = np.asarray(trade, dtype=float)
    n = x.shape[0]
    b = np.broadcast_to(np.asarray(beta, dtype=float), (n,))
    eps = float(sigma) - 1.0
    opts = options or SolverOptions()
    dt = np.zeros((n, n)) if tariff_change is None else np.asarray(tariff_change, dtype=float)
    tau = 1.0 + dt
    out, spend = x.sum(axis=1), x.sum(axis=0)
    lam, deficit, va = x / spend, spend - out, b * out
    weight = lam * tau**-eps
    to_rev = weight * (1.0 - 1.0 / tau)

    def state(z: np.ndarray) -> tuple[np.ndarray, ...]:
        lw, lp = z[:n], z[n:]
        lw = lw - np.log(np.dot(va, np.exp(lw)) / va.sum())  # world value added fixed
        u = np.exp(-eps * (b * lw + (1.0 - b) * lp))
        pk = u @ weight  # P̂^(−ε)
        r_new = out * np.exp(lw)
        if closure == "additive":
            d_new = deficit
        else:  # spending out of income ∝ own output, scaled so world deficits sum to zero
            income = spend * np.exp(lw)
            d_new = income * (r_new.sum() / income.sum()) - r_new
        e_new = (r_new + d_new) / (1.0 - (u @ to_rev) / pk)
        demand = u * ((weight / tau) @ (e_new / pk))
        return lw, lp, u, pk, r_new, d_new, e_new, demand

    def step(z: np.ndarray) -> tuple[np.ndarray, float]:
        lw, lp, _, pk, r_new, _, e_new, demand = state(z)
        if np.any(e_new <= 0) or np.any(demand <= 0):
            return z, float("nan")
        gap = np.log(demand / r_new)
        lp_new = -np.log(pk) / eps
        slope = 1.0 + eps * b
        resid = float(max(np.max(np.abs(gap)), np.max(np.abs(lp_new - lp))))
        return np.concatenate([lw + gap / slope, lp_new]), resid

    z, its, resid = iterate(step, np.zeros(2 * n), replace(opts, max_iter=max(opts.max_iter, 20_000)))
    if not resid <= opts.tol:
        raise SolverError(f"IO equilibrium not reached after {its:,} iterations (residual {resid:.3g})")
    lw, lp, u, pk, r_new, d_new, e_new, _ = state(z)
    shares = u[:, None] * weight / pk[None, :]
    revenue = e_new * ((u @ to_rev) / pk)
    final = b * r_new + revenue + d_new
    welfare = final / (va + deficit) / np.exp(lp) - 1.0
    labels = tuple(countries) if countries is not None else tuple(str(i) for i in range(n))
    return IOResult(labels, shares * e_new[None, :] / tau, shares, np.exp(lw), np.exp(lp),
                    welfare, its)  # fmt: skip


def eora_value_added_shares(store: Any, countries: Sequence[str], *,
                            fallback: float = ILMS_BETA) -> np.ndarray:
    """National value-added shares of gross output, ``β_n = V_n / Σ_s GO_ns``, from the Eora26
    2017 baseline (source ``eora_cp``, catalog §10.1; 36 economies + ROW; USA 0.570, CHN 0.441,
    DEU 0.433, MEX 0.532), gross output ``GO_ns = Σ_m π_mns X_ms / τ_mns``. Countries it does
    not list get ``fallback`` (ILMS's uniform 0.49; Eora's ROW is 0.474)."""
    from techties.simulation.baselines import load_eora2017

    eora = load_eora2017(store, calibrate=False)
    gross = np.einsum("mns,ms->ns", eora.pi / eora.tau, eora.expenditure)
    share = dict(zip(eora.countries, (eora.beta * gross).sum(axis=1) / gross.sum(axis=1),
                     strict=True))  # fmt: skip
    share.pop("ROW", None)
    return np.array([float(share.get(c, fallback)) for c in countries])


__all__ = ["ILMS_BETA", "IOResult", "eora_value_added_shares", "io_baseline", "solve_io"]
