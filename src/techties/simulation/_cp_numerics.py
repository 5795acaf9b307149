"""Numerical kernels of the Caliendo–Parro solver (sector-major arrays, Anderson mixing).

Bilateral arrays are held as ``[j, n, i]`` (sector, importer, exporter) so that every sum over
partners is a batched matrix–vector product. The equations are in
:mod:`techties.simulation.caliendo_parro`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from techties.errors import SolverError

FloatArray = np.ndarray

#: sub-problems (sector prices, spending) are solved to at most this tolerance
INNER_TOL = 1e-13
INNER_MAX_ITER = 10_000
#: inexact inner solves: tolerance = INNER_FACTOR × current outer residual (at least INNER_TOL)
INNER_FACTOR = 1e-2
#: the same with Newton steps (:func:`newton_matrix`), which converge fast enough that looser
#: sub-problems would make their error the outer iteration's
NEWTON_INNER_FACTOR = 1e-4
#: forward-difference step (in log wages) of the wage map's Jacobian; its sub-problems are solved
#: to INNER_TOL (looser ones make the differences too noisy to be a good Newton matrix)
JACOBIAN_STEP = 1e-6


class Anderson:
    """Type-II Anderson mixing over the last ``memory`` differences (ring buffer), damped.

    ``step(x, g)`` with ``g = G(x) − x`` returns the next iterate
    ``x + λ g − (ΔX + λ ΔG) γ`` where ``γ`` minimises ``‖g − ΔG γ‖`` (normal equations,
    lightly regularised). ``memory = 0`` is the plain damped iteration ``x + λ g``.
    """

    def __init__(self, size: int, memory: int, damping: float) -> None:
        self.m, self.lam = memory, damping
        # rows = stored differences: ΔG, and ΔX + λ ΔG (the combination the step subtracts)
        self.dg = np.empty((max(memory, 1), size))
        self.dxg = np.empty((max(memory, 1), size))
        self.gram = np.zeros((max(memory, 1), max(memory, 1)))
        self._eye = np.eye(max(memory, 1))
        self.k = 0
        self.prev: tuple[FloatArray, FloatArray] | None = None

    def reset(self) -> None:
        self.k, self.prev = 0, None

    def step(self, x: FloatArray, g: FloatArray) -> FloatArray:
        if self.m == 0:
            return x + self.lam * g
        if self.prev is not None:
            col = self.k % self.m
            dg, dxg = self.dg[col], self.dxg[col]
            np.subtract(g, self.prev[1], out=dg)
            np.subtract(x, self.prev[0], out=dxg)
            if self.lam == 1.0:
                dxg += dg
            else:
                dxg += self.lam * dg
            self.k += 1
            used = min(self.k, self.m)
            v = self.dg[:used] @ self.dg[col]
            self.gram[col, :used] = v
            self.gram[:used, col] = v
        self.prev = (x, g)
        used = min(self.k, self.m)
        if used == 0:
            return x + self.lam * g
        gram = self.gram[:used, :used]
        gram = gram + self._eye[:used, :used] * (1e-14 * gram.trace() + 1e-300)
        try:
            coef = np.linalg.solve(gram, self.dg[:used] @ g)
        except np.linalg.LinAlgError:
            self.reset()
            return x + self.lam * g
        return x + self.lam * g - coef @ self.dxg[:used]


def inner_fixed_point(
    step: Callable[[FloatArray], FloatArray], x0: FloatArray, what: str, tol: float,
    memory: int = 8, precond: Callable[[FloatArray], FloatArray] | None = None,
) -> FloatArray:  # fmt: skip
    """Anderson-accelerated ``x = step(x)`` to ``max|step(x) − x| < tol``.

    Plain iteration contracts at the largest intermediate-input share, which is 0.999997 in a
    cell of the Eora data; Anderson mixing (GMRES-like on these near-linear maps) removes that.
    ``precond`` (a diagonal scaling of the residual, the cells' own feedback) mixes
    ``precond(step(x) − x)`` instead, which spares Anderson most of its stalls on such cells;
    the stopping rule is the same.
    """
    acc = Anderson(x0.size, memory, 1.0)
    x = x0
    for _ in range(INNER_MAX_ITER):
        f = step(x) - x
        if max(f.max(), -f.min()) < tol:  # max |f|, without a temporary array
            return x + f
        x = acc.step(x, f if precond is None else precond(f))
    raise SolverError(
        f"{what} did not converge in {INNER_MAX_ITER} iterations",
        hint="check that every importer can buy each sector from someone (shares > 0)",
    )


class Kernel:
    """The equilibrium map of one counterfactual (fixed tariffs, trade costs and deficits)."""

    def __init__(
        self, base: Any, weight: FloatArray, tau_new: FloatArray, deficit: FloatArray
    ) -> None:
        self.theta, self.beta, self.gamma, self.alpha = (
            base.theta, base.beta, base.gamma, base.alpha)  # fmt: skip
        self.va = base.value_added
        self.deficit = deficit
        self.wk = np.ascontiguousarray(weight.transpose(2, 0, 1))  # [j, n, i]
        self.inv_tau = 1.0 / np.ascontiguousarray(tau_new.transpose(2, 0, 1))
        self.scale = base.expenditure.sum(axis=1, keepdims=True)
        self.shape = base.expenditure.shape
        # the sub-problems' diagonal preconditioners (inner_fixed_point): how much a cell feeds
        # back on itself through its own sector's domestic inputs, γ_n^{jj} times the domestic
        # share (here the shares at unchanged costs)
        n = self.shape[0]
        self.own = np.einsum("njj->nj", self.gamma)
        dom = weight[np.arange(n), np.arange(n), :] / weight.sum(axis=1)  # [n, j]
        self.price_pre = (1.0 / (1.0 - self.own * dom)).ravel()

    def log_cost(self, lw: FloatArray, lp: FloatArray) -> FloatArray:
        """``ln ĉ_i^j = β_i^j ln ŵ_i + Σ_k γ_i^{kj} ln P̂_i^k``."""
        return self.beta * lw[:, None] + np.matmul(lp[:, None, :], self.gamma)[:, 0, :]

    def prices(self, lw: FloatArray, lp0: FloatArray, tol: float) -> tuple[FloatArray, FloatArray]:
        """Fixed point in log sector prices given log wages; returns (ln P̂, ln ĉ)."""
        theta, shape = self.theta, self.shape

        wage = self.beta * lw[:, None]  # the wage part of ln ĉ, fixed during the iteration

        def step(v: FloatArray) -> FloatArray:
            lc = wage + np.matmul(v.reshape(shape)[:, None, :], self.gamma)[:, 0, :]
            e = np.exp(-theta * lc)
            inner = np.matmul(self.wk, e.T[:, :, None])[:, :, 0].T
            return (-np.log(inner) / theta).ravel()

        pre = self.price_pre

        def precond(f: FloatArray) -> FloatArray:
            return pre * f

        lp = inner_fixed_point(step, lp0.ravel(), "sector prices", tol, precond=precond).reshape(
            shape
        )
        return lp, self.log_cost(lw, lp)

    def shares(self, lp: FloatArray, lc: FloatArray) -> FloatArray:
        """``π'[j, n, i] = π (κ̂τ̂)^(-θ) ĉ_i^(-θ) / P̂_n^(-θ)``."""
        return (
            self.wk * np.exp(-self.theta * lc).T[:, None, :] * np.exp(self.theta * lp).T[:, :, None]
        )

    def spending(
        self, pit_t: FloatArray, leak: FloatArray, x0: FloatArray, income: FloatArray, tol: float
    ) -> FloatArray:
        """Solve ``X = Σ_k γ^{jk} Y^k + α (ŵVA + D + Σ_k X^k (1 − F^k))`` (linear in X).

        Iterated in units of each country's baseline spending so that all cells weigh alike.
        """
        scale = self.scale

        def step(v: FloatArray) -> FloatArray:
            x = v.reshape(self.shape) * scale
            y = np.matmul(pit_t, x.T[:, :, None])[:, :, 0].T
            revenue = (x * leak).sum(axis=1)
            x_new = (
                np.matmul(self.gamma, y[:, :, None])[:, :, 0]
                + self.alpha * (income + revenue)[:, None]
            )
            return (x_new / scale).ravel()

        # ∂X_n^j/∂X_n^j: own-sector inputs bought at home, and the tariff revenue spent on j
        n = self.shape[0]
        dom = pit_t[:, np.arange(n), np.arange(n)].T  # π'_nn^j / τ_nn^j, [n, j]
        pre = (1.0 / (1.0 - self.own * dom - self.alpha * leak)).ravel()

        def precond(f: FloatArray) -> FloatArray:
            return pre * f

        z = inner_fixed_point(
            step, (x0 / scale).ravel(), "spending (goods-market clearing)", tol, precond=precond
        )
        return z.reshape(self.shape) * scale

    def wage_map(self, lw: FloatArray, state: dict[str, Any]) -> FloatArray:
        """``ln ŵ ↦ ln(Σ_j β Y'(ŵ) / VA)``; sub-problems warm-started from ``state``."""
        tol = float(state["inner_tol"])
        lp, lc = self.prices(lw, state["lp"], tol)
        pik = self.shares(lp, lc)
        pit = pik * self.inv_tau
        pit_t = np.ascontiguousarray(pit.transpose(0, 2, 1))  # [j, i, n]
        leak = 1 - pit.sum(axis=2).T  # tariff revenue per unit of spending, [n, j]
        income = np.exp(lw) * self.va + self.deficit
        x = self.spending(pit_t, leak, state["x"], income, tol)
        y = np.matmul(pit_t, x.T[:, :, None])[:, :, 0].T
        va_new = (self.beta * y).sum(axis=1)
        if not np.all(np.isfinite(va_new) & (va_new > 0)):
            # state keeps the last good point's warm starts (the solver may step back to it)
            raise SolverError(
                "value added became non-positive (or overflowed) during the iteration"
            )
        state.update(lp=lp, lc=lc, x=x, pik=pik)
        return np.log(va_new / self.va)


def newton_matrix(kernel: Kernel, lw: FloatArray, lp: FloatArray, x: FloatArray) -> FloatArray:
    """``(I − J)⁺`` with ``J = ∂ wage_map / ∂ ln ŵ`` at ``lw`` (forward differences, the
    sub-problems warm-started from ``lp`` and ``x``, the solution's prices and spending).

    ``lw' + (I − J)⁺ (wage_map(lw') − lw')`` is a Newton step on ``wage_map(ln ŵ) = ln ŵ``
    near ``lw`` (with the Jacobian held at ``lw``); draws of a scenario take such steps from
    the central case. The pseudo-inverse drops singular values below 1e-6 of the largest: a
    common change of all wages changes every value added nearly alike (``J·1 ≈ 1``), a direction
    the renormalisation to the numeraire fixes after every step anyway.
    """
    n = lw.size
    jac = np.empty((n, n))

    def at(v: FloatArray) -> FloatArray:
        return kernel.wage_map(v, {"lp": lp, "x": x, "inner_tol": INNER_TOL})

    f0 = at(lw)
    for k in range(n):
        v = lw.copy()
        v[k] += JACOBIAN_STEP
        jac[:, k] = (at(v) - f0) / JACOBIAN_STEP
    return np.linalg.pinv(np.eye(n) - jac, rcond=1e-6)
