"""Several scenarios run at once, solving a status quo they share once per draw.

Multi-sector scenarios with the same status quo (baseline, status-quo shocks and elasticities)
whose draws agree on every status-quo parameter solve that equilibrium once per draw (and once
for the central case), then each policy from it: the computations of separate runs
(:func:`techties.simulation.mc_multisector.run_scenario`), so the same numbers.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from techties.simulation.mc_multisector import (
    MS_MEASURES,
    RunnableScenario,
    ScenarioResult,
    _baseline,
    _check_run,
    _solver_note,
    _steps,
    central_draw,
    newton_matrices,
    random_draws,
    run_scenario,
    solve_policy,
    solve_status_quo,
)
from techties.simulation.parallel import Progress, solve_all, where
from techties.simulation.shock_inputs import Draw

if TYPE_CHECKING:
    from techties.store.core import Store


def run_scenarios(
    scs: Sequence[RunnableScenario],
    *,
    draws: int = 0,
    seed: int = 0,
    workers: int | None = None,
    store: Store | None = None,
    level: float = 0.90,
    base: Any = None,
    progress: Progress | None = None,
    engine: str | None = None,
) -> list[ScenarioResult]:
    """:func:`run_scenario` for each of ``scs``, in order (arguments as there; ``progress`` is
    told of each run's draws in turn).

    Multi-sector scenarios with the same status quo (same baseline, status-quo shocks and
    elasticities) whose draws agree on every status-quo parameter (θ factor, covered shares,
    coefficients) solve that equilibrium once per draw, and once for the central case, then
    each policy from it: the same computations as separate runs, so the same numbers, with the
    status quo solved once instead of once per scenario.
    """
    _check_run(draws, level)
    groups: dict[bytes | int, list[int]] = {}
    for i, sc in enumerate(scs):
        groups.setdefault(status_quo_key(sc) or i, []).append(i)
    out: list[ScenarioResult | None] = [None] * len(scs)
    kw: dict[str, Any] = dict(draws=draws, seed=seed, workers=workers, store=store, level=level,
                              base=base, progress=progress, engine=engine)  # fmt: skip
    for members in groups.values():
        together = _run_group([scs[i] for i in members], **kw) if len(members) > 1 else None
        for j, i in enumerate(members):
            out[i] = together[j] if together else run_scenario(scs[i], **kw)
    return [r for r in out if r is not None]


def status_quo_key(sc: RunnableScenario) -> bytes | None:
    """What scenarios must have in common to share their status-quo equilibrium (``None``: a
    scenario without a status quo, or a one-sector one)."""
    if not sc.multisector or not sc.status_quo:
        return None
    return pickle.dumps((sc.baseline, sc.year, sc.status_quo, sc.elasticities))


def _same_status_quo_draw(a: Draw, b: Draw, n_sq: int) -> bool:
    """Whether two draws agree on every parameter the status quo (its first ``n_sq`` shocks)
    reads."""
    if a.sigma != b.sigma or not np.array_equal(a.theta_factor, b.theta_factor):
        return False
    shares = [{k: v for k, v in d.shares.items() if k < n_sq} for d in (a, b)]
    betas = [{k: v for k, v in d.betas.items() if k < n_sq} for d in (a, b)]
    return (
        shares[0] == shares[1]
        and betas[0].keys() == betas[1].keys()
        and all(np.array_equal(betas[0][k], betas[1][k]) for k in betas[0])
    )


def _run_group(
    scs: Sequence[RunnableScenario],
    *,
    draws: int,
    seed: int,
    workers: int | None,
    store: Store | None,
    level: float,
    base: Any,
    progress: Progress | None,
    engine: str | None,
) -> list[ScenarioResult] | None:
    """Scenarios of one status quo solved together (:func:`run_scenarios`); ``None`` when their
    draws do not agree on the status quo's parameters (they are then run one by one)."""
    base = _baseline(scs[0], store, base)
    n_sq = len(scs[0].status_quo)
    centrals = [central_draw(sc) for sc in scs]
    sectors = getattr(base, "sectors", ())
    samples = [random_draws(sc, draws, seed, sectors) for sc in scs] if draws else []
    runs = [[c, *s] for c, s in zip(centrals, samples or [[] for _ in scs], strict=True)]
    if not all(
        _same_status_quo_draw(x, y, n_sq)
        for run in runs[1:]
        for x, y in zip(runs[0], run, strict=True)
    ):
        return None
    sq, world = solve_status_quo(scs[0], base, centrals[0])
    policies = [solve_policy(sc, world, c) for sc, c in zip(scs, centrals, strict=True)]
    solved: list[list[np.ndarray]] = []
    if draws:
        newton_matrices([sq, *policies])
        tasks = [tuple(run[k] for run in samples) for k in range(draws)]
        solved = solve_all(_solve_group, (tuple(scs), base, sq, tuple(policies)), tasks,
                           workers=workers, engine=engine, what="draw",
                           progress=progress)  # fmt: skip
    names = ", ".join(repr(sc.name) for sc in scs)
    out = []
    for j, (sc, res) in enumerate(zip(scs, policies, strict=True)):
        steps = _steps(sc, base)
        steps.append(f"central case solved ({_solver_note(res)})")
        steps.append(f"status quo solved once for the {len(scs)} scenarios sharing it ({names})")
        sample = np.stack([one[j] for one in solved]) if draws else None
        if draws:
            steps.append(f"{draws} draws (seed {seed}, {where(engine, workers)})")
        out.append(
            ScenarioResult(sc, res, sample, level, steps, getattr(base, "provenance_ids", ()))
        )
    return out


def _solve_group(
    shared: tuple[tuple[RunnableScenario, ...], Any, Any, tuple[Any, ...]], draws: tuple[Draw, ...]
) -> list[np.ndarray]:
    """One draw of scenarios sharing a status quo: that equilibrium once, then each policy."""
    scs, base, sq_start, policy_starts = shared
    _, world = solve_status_quo(scs[0], base, draws[0], sq_start)
    out = []
    for sc, draw, start in zip(scs, draws, policy_starts, strict=True):
        m = solve_policy(sc, world, draw, start).measures()
        out.append(np.column_stack([m[k] for k in MS_MEASURES]))
    return out
