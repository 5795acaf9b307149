"""Independent simulation tasks (Monte Carlo draws) run in parallel on the chosen engine.

One function, :func:`solve_all`, for the multi-sector and one-sector draws alike
(:func:`techties.simulation.mc_multisector.run_draws`,
:func:`techties.simulation.uncertainty.draw_onesector`): ``fn(shared, task)`` for every task,
in the order given, where ``shared`` is what every task reads (a baseline, a scenario) and is
sent once per worker, never once per task:

- engine ``duckdb`` (the embedded default): in this process when ``workers`` is 1 (or there are
  fewer than 4 tasks), else in a pool of ``workers`` processes (``None``: every core), ``shared``
  set once per process by the pool's initializer; the first task to raise stops the run with its
  error;
- engine ``spark``: as Spark tasks over ``workers`` partitions (``None``: Spark's default
  parallelism), ``shared`` broadcast once (:func:`techties.spark.jobs.map_tasks`); a failing task
  does not stop the others, and one :class:`~techties.errors.TaskFailedError` names every failed
  task with the others' results on it.

``fn`` must be a module-level function (pickled by reference). The results do not depend on the
engine or the number of workers: each task is computed the same way wherever it runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from techties import config
from techties.errors import ConfigError

#: called as ``progress(done, total)`` before the first task and after each one (on Spark: at
#: the start and when every task is back); an exception it raises stops a local run between tasks
Progress = Callable[[int, int], None]

# what every task of a worker process reads (set once per process by the pool's initializer)
_SHARED: dict[str, Any] = {}


def _set_shared(fn: Callable[[Any, Any], Any], shared: Any) -> None:
    _SHARED.update(fn=fn, shared=shared)


def _call(task: Any) -> Any:
    return _SHARED["fn"](_SHARED["shared"], task)


def where(engine: str | None, workers: int | None) -> str:
    """How :func:`solve_all` runs with these settings, for a run's log: ``"2 processes"``,
    ``"4 Spark partitions"``."""
    if config.engine(engine) == "spark":
        return f"{workers} Spark partitions" if workers else "Spark's default partitions"
    return f"{workers or os.cpu_count()} processes"


def solve_all(
    fn: Callable[[Any, Any], Any],
    shared: Any,
    tasks: Sequence[Any],
    *,
    workers: int | None = None,
    engine: str | None = None,
    what: str = "draw",
    progress: Progress | None = None,
) -> list[Any]:
    """``[fn(shared, task) for task in tasks]``, in parallel on ``engine`` (default: the
    ``engine`` setting) with ``workers`` processes or Spark partitions (module doc); ``what``
    names a task in the error of failed Spark tasks (``"3 draw(s) of 200 failed — …"``)."""
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise ConfigError(f"workers must be at least 1, got {workers}")
    tell = progress or (lambda done, total: None)
    total = len(tasks)
    tell(0, total)
    if config.engine(engine) == "spark":
        from techties.spark.jobs import map_tasks

        done = map_tasks(fn, list(enumerate(tasks)), shared=shared,
                         partitions=workers).complete(what)  # fmt: skip
        tell(total, total)
        return [done[k] for k in range(total)]
    n = int(workers or os.cpu_count() or 1)
    out: list[Any] = []
    if n <= 1 or total < 4:
        for task in tasks:
            out.append(fn(shared, task))
            tell(len(out), total)
        return out
    chunk = max(1, total // (n * 4))
    with ProcessPoolExecutor(min(n, total), initializer=_set_shared,
                             initargs=(fn, shared)) as pool:  # fmt: skip
        try:
            for one in pool.map(_call, tasks, chunksize=chunk):
                out.append(one)
                tell(len(out), total)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return out
