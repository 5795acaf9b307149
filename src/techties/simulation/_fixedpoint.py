"""A damped, Anderson-accelerated fixed-point iteration ``x = G(x)`` on vectors.

Type-II Anderson mixing (Walker & Ni 2011): with residuals ``f_k = G(x_k) − x_k`` and the last
``m`` differences ``ΔF``, ``ΔG``, the next iterate is ``G(x_k) − ΔG γ`` where
``γ = argmin ‖f_k − ΔF γ‖``; damping ``λ`` mixes ``x_{k+1} = x_k + λ (x̃_{k+1} − x_k)``.
The history restarts when the convergence measure grows by more than a factor of ten, so the
method falls back to the plain iteration where mixing does not help, and also after 25
iterations without a new best residual. The memory is capped at ``len(x) − 1``: the solvers
normalise one degree of freedom away, and longer histories make the least-squares problem
rank-deficient. A step that lands where the map is not finite (e.g. negative spending) is
halved back towards the last finite iterate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from techties.simulation.options import SolverOptions

#: ``step(x) -> (g, residual)``: the map and the convergence measure at ``x``
StepFn = Callable[[np.ndarray], tuple[np.ndarray, float]]


def iterate(step: StepFn, x0: np.ndarray, options: SolverOptions) -> tuple[np.ndarray, int, float]:
    """Iterate ``x ← G(x)`` until ``residual(x) ≤ tol``; returns ``(x, iterations, residual)``.

    ``iterations`` counts evaluations of ``G``. The caller checks ``residual`` against ``tol``
    (this function never raises on non-convergence, so callers can name what failed).
    """
    x = np.asarray(x0, dtype=float).copy()
    lam = options.damping
    anderson = options.acceleration == "anderson"
    xs: list[np.ndarray] = []
    fs: list[np.ndarray] = []
    memory = max(1, min(options.memory, x.size - 1))
    best, best_it = np.inf, 0
    resid = np.inf
    good: np.ndarray | None = None
    for it in range(1, options.max_iter + 1):
        g, resid = step(x)
        if not np.isfinite(resid) or not np.all(np.isfinite(g)):
            if good is None or np.allclose(x, good, rtol=0, atol=1e-14):
                return x, it, float("nan")
            x = good + 0.5 * (x - good)  # backtrack towards the last finite iterate
            xs.clear()
            fs.clear()
            continue
        good = x
        if resid <= options.tol:
            return x, it, resid
        f = g - x
        if anderson and (resid > 10 * best or it - best_it > 25):
            xs.clear()
            fs.clear()
            best, best_it = resid, it  # judge later steps against the restart point
        if resid < best:
            best, best_it = resid, it
        if not anderson:
            x = x + lam * f
            continue
        xs.append(x)
        fs.append(f)
        if len(xs) > memory + 1:
            xs.pop(0)
            fs.pop(0)
        x = _mix(xs, fs, lam)
    return x, options.max_iter, resid


def _mix(xs: list[np.ndarray], fs: list[np.ndarray], lam: float) -> np.ndarray:
    x, f = xs[-1], fs[-1]
    if len(xs) == 1:
        return x + lam * f
    d_f = np.stack([fs[k + 1] - fs[k] for k in range(len(fs) - 1)], axis=1)
    d_x = np.stack([xs[k + 1] - xs[k] for k in range(len(xs) - 1)], axis=1)
    gamma, *_ = np.linalg.lstsq(d_f, f, rcond=None)
    if not np.all(np.isfinite(gamma)):
        return x + lam * f
    return x + lam * f - (d_x + lam * d_f) @ gamma
