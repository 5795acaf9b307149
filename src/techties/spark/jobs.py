"""Embarrassingly parallel jobs as Spark tasks: one task result per key, failures kept apart.

Two shapes, both gathered on the driver into ``{key: result}`` in the order the caller asked:

- :func:`apply_by_key` — a pandas frame split by a column (one product's rows), each group
  handed to ``fn(group)`` in a Spark task (``groupBy(...).applyInPandas``): the
  product-by-product PPML fits of :func:`techties.models.products.fit_by_product`;
- :func:`map_tasks` — a list of ``(key, item)`` handed to ``fn(shared, item)``
  (``mapInPandas``), ``shared`` (a baseline, a scenario) broadcast once to every executor: the
  Monte Carlo draws of :func:`techties.simulation.mc_multisector.run_draws`.

The functions come from the caller (module-level functions, pickled by reference), so this
module knows nothing of models or simulations. Results travel pickled (cloudpickle, as Spark
ships it).

Failures: an exception inside ``fn`` does not fail the Spark job; it is caught in the task and
returned with its key (``TypeError: …``), and :meth:`TaskResults.complete` raises one
:class:`~techties.errors.TaskFailedError` naming every failed key, holding the results of the
others. A task whose Python worker dies (a killed executor, an out-of-memory kill) is retried by
Spark up to ``spark.task.maxFailures`` times (``local[N,F]`` in local mode), then fails the job.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from techties.errors import ConfigError, TaskFailedError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: what every task returns: the key (as text), the pickled result or the error
RESULT_SCHEMA = "key string, value binary, error string"
#: numba/BLAS/rayon threads per Python worker: Spark's task slots supply the parallelism
THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "MKL_NUM_THREADS", "RAYON_NUM_THREADS")  # fmt: skip


@dataclass(slots=True)
class TaskResults:
    """``results`` of the tasks that succeeded and ``failures`` (key → error text)."""

    results: dict[Any, Any] = field(default_factory=dict)
    failures: dict[Any, str] = field(default_factory=dict)

    def complete(self, what: str = "task") -> dict[Any, Any]:
        """``results`` when no task failed, else a :class:`TaskFailedError` naming each failed
        key (the results of the others are on the error)."""
        if not self.failures:
            return self.results
        shown = "; ".join(f"{k!r}: {e}" for k, e in list(self.failures.items())[:10])
        more = f" and {len(self.failures) - 10} more" if len(self.failures) > 10 else ""
        raise TaskFailedError(
            f"{len(self.failures)} {what}(s) of {len(self.failures) + len(self.results)} failed "
            f"— {shown}{more}",
            failures=self.failures,
            results=self.results,
            hint="The other results are kept (TaskFailedError.results); fix or drop the failed "
            "keys and run those again.",
        )


def _spark(spark: SparkSession | None) -> SparkSession:
    from techties.spark.session import session

    return spark or session()


def _one_thread() -> None:
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")


def _run(fn: Callable[..., Any], key: str, *args: Any) -> tuple[str, bytes | None, str | None]:
    from pyspark import cloudpickle

    try:
        return key, cloudpickle.dumps(fn(*args)), None
    except Exception as exc:  # reported with its key; the other tasks go on
        return key, None, f"{type(exc).__name__}: {exc}".splitlines()[0][:500]


def _gather(rows: Sequence[Any], keys: Sequence[Hashable]) -> TaskResults:
    import pickle

    by_text = {str(k): k for k in keys}
    out = TaskResults()
    found = {r["key"]: r for r in rows}
    for text, key in by_text.items():
        row = found.get(text)
        if row is None:
            out.failures[key] = "no result (the task returned nothing)"
        elif row["error"] is not None:
            out.failures[key] = row["error"]
        else:
            out.results[key] = pickle.loads(row["value"])
    return out


def apply_by_key(
    data: pd.DataFrame,
    by: str,
    fn: Callable[[pd.DataFrame], Any],
    *,
    keys: Sequence[Hashable] | None = None,
    spark: SparkSession | None = None,
    partitions: int | None = None,
) -> TaskResults:
    """``fn(rows of one key)`` for every value of column ``by`` (``keys``: those, in this order;
    default all, sorted), one group per task call, over ``partitions`` Spark partitions
    (default: ``spark.sql.shuffle.partitions``)."""
    spark = _spark(spark)
    wanted = list(keys) if keys is not None else sorted(pd.unique(data[by]))
    if len({str(k) for k in wanted}) != len(wanted):
        raise ConfigError(f"keys of column {by!r} are not distinct as text: {wanted[:5]}")
    frame = data[data[by].isin(wanted)]
    if frame.empty:
        return _gather([], wanted)
    sdf = spark.createDataFrame(frame)
    if partitions is not None:
        sdf = sdf.repartition(int(partitions), by)
    columns = list(frame.columns)

    def task(group: pd.DataFrame) -> pd.DataFrame:
        _one_thread()
        part = group[columns].reset_index(drop=True)
        key, value, error = _run(fn, str(part[by].iloc[0]), part)
        return pd.DataFrame({"key": [key], "value": [value], "error": [error]})

    rows = sdf.groupBy(by).applyInPandas(task, schema=RESULT_SCHEMA).collect()
    return _gather(rows, wanted)


def map_tasks(
    fn: Callable[[Any, Any], Any],
    items: Sequence[tuple[Hashable, Any]],
    *,
    shared: Any = None,
    spark: SparkSession | None = None,
    partitions: int | None = None,
) -> TaskResults:
    """``fn(shared, item)`` for every ``(key, item)``, spread over ``partitions`` Spark
    partitions (default: the default parallelism); ``shared`` is broadcast once."""
    from pyspark import cloudpickle

    spark = _spark(spark)
    keys = [k for k, _ in items]
    if len({str(k) for k in keys}) != len(keys):
        raise ConfigError(f"task keys are not distinct as text: {keys[:5]}")
    if not items:
        return TaskResults()
    payload = pd.DataFrame({"key": [str(k) for k in keys],
                            "item": [cloudpickle.dumps(v) for _, v in items]})  # fmt: skip
    n = int(partitions or spark.sparkContext.defaultParallelism)
    common = spark.sparkContext.broadcast(cloudpickle.dumps((fn, shared)))

    def task(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pickle

        _one_thread()
        func, state = pickle.loads(common.value)
        for batch in batches:
            done = [_run(func, k, state, pickle.loads(v))
                    for k, v in zip(batch["key"], batch["item"], strict=True)]  # fmt: skip
            yield pd.DataFrame(done, columns=["key", "value", "error"])

    sdf = spark.createDataFrame(payload).repartition(min(n, len(items)))
    rows = sdf.mapInPandas(task, schema=RESULT_SCHEMA).collect()
    common.unpersist()
    return _gather(rows, keys)
