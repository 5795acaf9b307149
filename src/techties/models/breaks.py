"""Counterfactual designs for yearly series: trend breaks, placebo dates and comparators.

A claim that a policy changed a series is tested against what the series would have done
without it. The designs here are interrupted time series on a yearly series y_t:

- **Trend break** (:func:`trend_break`): OLS of ``y_t = a + b·t + c·(t − t0)₊ + ε_t`` where ``t0``
  is the last pre-policy year. ``c`` is the change in the yearly trend after ``t0`` (pace claims:
  "China accelerated its R&D"), with a t-based interval from the classical OLS covariance.
- **Deviation from the pre-trend** (:func:`pre_trend_gap`): the pre-period trend ``a + b·t``
  (fitted on years ≤ ``t0`` only) projected to a later year T; the gap ``y_T − ŷ_T`` with its
  *prediction* interval ``ŷ_T ± t_{n−2} · s · √(1 + x_T'(X'X)⁻¹x_T)`` (level claims: "the
  share fell after the controls"). A gap inside the interval is what the old trend predicts.
- **Comparators** (difference-in-differences in trends): run either design on the gap between the
  treated series and a comparator (``y_CHN − y_USA``): the estimate is the treated change *minus*
  the comparator's change.
- **Placebo dates** (:func:`placebo`): the same estimate at earlier, policy-free break years; an
  "effect" as large as the placebos' is not evidence of the policy.

Errors are taken as independent (few yearly points; serial correlation would widen the
intervals, which is one more reason an interval that straddles a threshold is never decisive).
Checked against pyfixest ``feols(vcov="iid")`` in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from scipy import stats

from techties import charts
from techties.errors import NoDataError
from techties.results import Result, json_safe

#: a yearly axis or its values: a list, an array, a pandas Index or Series
Numbers = Sequence[float] | np.ndarray | pd.Index | pd.Series
#: default two-sided level of the intervals
LEVEL = 0.90
#: fewest pre-period points a trend is fitted on
MIN_PRE_POINTS = 4


@dataclass(frozen=True, slots=True)
class _Ols:
    beta: np.ndarray
    cov: np.ndarray
    sigma2: float
    dof: int


def _ols(x: np.ndarray, y: np.ndarray) -> _Ols:
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(y) - x.shape[1]
    if dof < 1:
        raise NoDataError(f"{len(y)} points cannot fit a trend with {x.shape[1]} parameters")
    resid = y - x @ beta
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.inv(x.T @ x)
    return _Ols(beta, cov, sigma2, dof)


def _series(years: Numbers, values: Numbers) -> pd.Series:
    s = pd.Series(np.asarray(values, dtype=float), index=np.asarray(years, dtype=int)).sort_index()
    s = s[np.isfinite(s.to_numpy())]
    if s.index.has_duplicates:
        raise NoDataError(
            f"the series has a year twice: {sorted(set(s.index[s.index.duplicated()]))}"
        )
    return s


@dataclass
class BreakResult(Result):
    """A trend-break or pre-trend-gap estimate with its interval and the series behind it."""

    design: str
    term: str
    estimate: float
    conf_low: float
    conf_high: float
    std_error: float
    level: float
    last_pre: int
    year: int
    n_pre: int
    #: residual degrees of freedom of the fit behind the interval
    dof: int
    #: ``year, value, trend, trend_low, trend_high`` (the pre-period trend and its projection
    #: with the prediction band)
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    label: str = ""
    unit: str = ""

    def tidy(self) -> pd.DataFrame:
        t = self.estimate / self.std_error if self.std_error > 0 else np.nan
        p = float(2 * stats.t.sf(abs(t), self.dof)) if np.isfinite(t) else np.nan
        return pd.DataFrame(
            [[self.term, self.estimate, self.std_error, t, p, self.conf_low, self.conf_high]],
            columns=[
                "term",
                "estimate",
                "std_error",
                "statistic",
                "p_value",
                "conf_low",
                "conf_high",
            ],
        )

    def summary(self) -> str:
        return (
            f"{self.design}: {self.term} {self.estimate:+.4g} "
            f"[{self.conf_low:+.4g}, {self.conf_high:+.4g}] ({self.level:.0%} interval; trend "
            f"fitted on {self.n_pre} years to {self.last_pre})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "BreakResult",
            "design": self.design,
            "table": json_safe(self.tidy()),
            "level": self.level,
            "last_pre": self.last_pre,
            "year": self.year,
            "frame": json_safe(self.frame),
        }

    def plot(self) -> Any:
        return counterfactual_chart(
            self.frame, last_pre=self.last_pre, title=self.label or self.design, unit=self.unit,
            level=self.level,
        )  # fmt: skip


def trend_break(
    years: Numbers,
    values: Numbers,
    *,
    last_pre: int,
    level: float = LEVEL,
    start: int | None = None,
    end: int | None = None,
) -> BreakResult:
    """Change in the yearly trend after ``last_pre``: ``c`` in ``y = a + b·t + c·(t − t0)₊``."""
    s = _window(_series(years, values), start, end)
    pre = s[s.index <= last_pre]
    post = s[s.index > last_pre]
    if len(pre) < MIN_PRE_POINTS or post.empty:
        raise NoDataError(
            f"a trend break at {last_pre} needs {MIN_PRE_POINTS} years up to it and one after; "
            f"the series has {len(pre)} and {len(post)}"
        )
    t = s.index.to_numpy(dtype=float) - last_pre
    x = np.column_stack([np.ones_like(t), t, np.clip(t, 0, None)])
    fit = _ols(x, s.to_numpy())
    se = float(np.sqrt(fit.cov[2, 2]))
    q = float(stats.t.ppf(0.5 + level / 2, fit.dof))
    c = float(fit.beta[2])
    return BreakResult(
        design="trend break",
        term="slope_change",
        estimate=c,
        conf_low=c - q * se,
        conf_high=c + q * se,
        std_error=se,
        level=level,
        last_pre=last_pre,
        year=int(s.index.max()),
        n_pre=len(pre),
        dof=fit.dof,
        frame=_projection(s, last_pre, level),
    )


def pre_trend_gap(
    years: Numbers,
    values: Numbers,
    *,
    last_pre: int,
    year: int | None = None,
    level: float = LEVEL,
    start: int | None = None,
) -> BreakResult:
    """``y_T − ŷ_T``: the gap in ``year`` (default: the last) between the series and its
    pre-period linear trend, with the prediction interval of that trend."""
    s = _window(_series(years, values), start, None)
    target = int(s.index.max()) if year is None else int(year)
    if target not in s.index or target <= last_pre:
        raise NoDataError(f"the series has no year {target} after {last_pre}")
    pre = s[s.index <= last_pre]
    if len(pre) < MIN_PRE_POINTS:
        raise NoDataError(
            f"a pre-trend to {last_pre} needs {MIN_PRE_POINTS} years; the series has {len(pre)}"
        )
    frame = _projection(s, last_pre, level)
    row = frame[frame["year"] == target].iloc[0]
    gap = float(row["value"]) - float(row["trend"])
    half = float(row["trend_high"]) - float(row["trend"])
    q = float(stats.t.ppf(0.5 + level / 2, len(pre) - 2))
    return BreakResult(
        design="gap to pre-trend",
        term=f"gap_{target}",
        estimate=gap,
        conf_low=gap - half,
        conf_high=gap + half,
        std_error=half / q,
        level=level,
        last_pre=last_pre,
        year=target,
        n_pre=len(pre),
        dof=len(pre) - 2,
        frame=frame,
    )


def _window(s: pd.Series, start: int | None, end: int | None) -> pd.Series:
    if start is not None:
        s = s[s.index >= start]
    if end is not None:
        s = s[s.index <= end]
    return s


def _projection(s: pd.Series, last_pre: int, level: float) -> pd.DataFrame:
    """The pre-period trend over every year, with its prediction band (``trend_low/high``)."""
    pre = s[s.index <= last_pre]
    t_pre = pre.index.to_numpy(dtype=float) - last_pre
    x = np.column_stack([np.ones_like(t_pre), t_pre])
    fit = _ols(x, pre.to_numpy())
    t_all = s.index.to_numpy(dtype=float) - last_pre
    xa = np.column_stack([np.ones_like(t_all), t_all])
    trend = xa @ fit.beta
    var = fit.sigma2 + np.einsum("ij,jk,ik->i", xa, fit.cov, xa)
    half = float(stats.t.ppf(0.5 + level / 2, fit.dof)) * np.sqrt(var)
    return pd.DataFrame(
        {
            "year": s.index.astype(int),
            "value": s.to_numpy(),
            "trend": trend,
            "trend_low": trend - half,
            "trend_high": trend + half,
            "period": np.where(s.index <= last_pre, "before", "after"),
        }
    )


def placebo(
    years: Numbers,
    values: Numbers,
    *,
    dates: Sequence[int],
    design: str = "trend break",
    horizon: int | None = None,
    end: int | None = None,
    level: float = LEVEL,
) -> pd.DataFrame:
    """The design's estimate at placebo break years (``placebo, estimate, conf_low, conf_high``).

    Only years up to ``end`` (the last pre-policy year) are used, so the real policy cannot
    leak into a placebo; ``horizon`` sets the gap year of the pre-trend design (break + horizon).
    Placebo dates without enough years on either side are skipped.
    """
    s = _window(_series(years, values), None, end)
    rows = []
    for d in dates:
        try:
            if design == "trend break":
                r = trend_break(s.index, s.to_numpy(), last_pre=d, level=level)
            else:
                target = None if horizon is None else d + horizon
                r = pre_trend_gap(s.index, s.to_numpy(), last_pre=d, year=target, level=level)
        except NoDataError:
            continue
        rows.append([d, r.estimate, r.conf_low, r.conf_high])
    return pd.DataFrame(rows, columns=["placebo", "estimate", "conf_low", "conf_high"])


def gap_series(
    frame: pd.DataFrame, treated: str, comparator: str, *, key: str = "country"
) -> pd.Series:
    """``y_treated − y_comparator`` by year (years both have), from a long ``year, key, value``
    frame: the series whose trend break is a difference-in-differences in trends."""
    wide = frame.pivot_table(index="year", columns=key, values="value")
    missing = [c for c in (treated, comparator) if c not in wide]
    if missing:
        raise NoDataError(f"no series for {', '.join(missing)}")
    gap = (wide[treated] - wide[comparator]).dropna()
    gap.index = gap.index.astype(int)
    return gap


def counterfactual_chart(
    frame: pd.DataFrame,
    *,
    last_pre: int,
    title: str,
    unit: str,
    source: str | None = None,
    level: float = LEVEL,
) -> Any:
    """The series against its pre-period trend projected forward (band: prediction interval)."""
    data = frame.assign(date=pd.to_datetime(frame["year"].astype(int).astype(str) + "-07-01"))
    base = alt.Chart(data).encode(x=alt.X("date:T", title="Year"))
    band = base.mark_area(opacity=0.18, color=charts.PALETTE[2]).encode(
        y=alt.Y("trend_low:Q", title=unit), y2="trend_high:Q"
    )
    trend = base.mark_line(strokeDash=[6, 4], color=charts.PALETTE[2]).encode(y="trend:Q")
    line = base.mark_line(point=True, color=charts.PALETTE[0]).encode(
        y="value:Q", tooltip=["year", alt.Tooltip("value:Q", format=",.3f"),
                              alt.Tooltip("trend:Q", format=",.3f", title="pre-trend")],
    )  # fmt: skip
    rule = (
        alt.Chart(alt.Data(values=[{"date": f"{last_pre}-12-31"}]))
        .mark_rule(strokeDash=[4, 3], color="#888")
        .encode(x="date:T")
    )
    return charts.finish(
        band + trend + line + rule,
        title=title,
        subtitle=f"{unit}; dashed: trend to {last_pre} projected; band: {level:.0%} prediction interval",
        source=source,
    )


__all__ = [
    "LEVEL",
    "BreakResult",
    "counterfactual_chart",
    "gap_series",
    "placebo",
    "pre_trend_gap",
    "trend_break",
]
