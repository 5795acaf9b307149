"""What every result shares: ``summary()``, ``tidy()``, ``to_dict()``, ``plot()``, and ``compare``.

Fits, simulations, indicator sets and verdicts subclass :class:`Result`. Accessors derive from
``tidy()`` so they cannot disagree with it. ``to_dict()`` is JSON-safe (used by report and web).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


def json_safe(v: Any) -> Any:
    """Convert numpy/pandas scalars, NaN and containers to plain JSON values."""
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, np.ndarray):
        return [json_safe(x) for x in v.tolist()]
    if isinstance(v, pd.DataFrame):
        return [json_safe(r) for r in v.to_dict(orient="records")]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


class Result(ABC):
    """Base of every techties result."""

    #: one-line description used as a title in reports
    title: str = ""

    @abstractmethod
    def tidy(self) -> pd.DataFrame:
        """The result as a tidy table (snake_case columns)."""

    @abstractmethod
    def summary(self) -> str:
        """A short human-readable text."""

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "type": type(self).__name__, "table": json_safe(self.tidy())}

    def plot(self) -> Any:
        """An Altair chart (override where a chart makes sense)."""
        raise NotImplementedError(f"{type(self).__name__} has no chart")

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """Notebook display: the title and the tidy table."""
        from html import escape

        head = f"<p><strong>{escape(self.title or type(self).__name__)}</strong></p>"
        return head + self.tidy().to_html(index=False, border=0, na_rep="—")


def compare(
    results: Sequence[Result], names: Sequence[str] | None = None, *, value: str = "estimate"
) -> pd.DataFrame:
    """Side-by-side table of ``value`` by term across results (like linearmodels ``compare``)."""
    labels = (
        list(names)
        if names is not None
        else [r.title or f"({i + 1})" for i, r in enumerate(results)]
    )
    cols = {}
    for label, r in zip(labels, results, strict=True):
        t = r.tidy()
        cols[label] = t.set_index("term")[value]
    return pd.DataFrame(cols)
