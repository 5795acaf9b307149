"""Rules that turn evidence into a verdict: thresholds fixed in advance, intervals that decide,
robustness panels.

A :class:`Test` is one decisive quantity of a claim: an estimate with its interval, the kind of
evidence it rests on (``observed`` data, a statistical ``estimated`` quantity, or a ``modelled``
counterfactual), and the rule's two thresholds (the support side and the contradict side). For
observed data without sampling error the interval is the point itself. Its status is

- ``supported`` when the *whole* interval lies on the support side of the support threshold,
- ``contradicted`` when the whole interval lies on the contradict side of the contradict threshold,
- ``mixed`` otherwise: an interval that straddles a threshold is never decisive,
- ``unverifiable`` when the quantity cannot be measured (``estimate`` is None; ``missing`` says why).

A claim made of several parts ("hurts *both* countries") is a conjunction (:func:`combine`): it is
contradicted when any part is, unverifiable when a part cannot be measured, supported only when
every part is. :func:`decide` adds the robustness panel: the same rule under reasonable
alternative choices (windows, base years, product sets, thresholds moved by half); a
supported/contradicted verdict that any computable alternative changes becomes ``mixed`` and is
marked fragile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

Status = Literal["supported", "contradicted", "mixed", "unverifiable"]
Reason = Literal["no_data", "not_yet", "out_of_scope"]
STATUSES: tuple[Status, ...] = ("supported", "contradicted", "mixed", "unverifiable")
REASONS: tuple[Reason, ...] = ("no_data", "not_yet", "out_of_scope")
Kind = Literal["observed", "estimated", "modelled"]
#: evidence kinds from the most to the least direct
KINDS: tuple[Kind, ...] = ("observed", "estimated", "modelled")
KIND_TEXT = {
    "observed": "observed data",
    "estimated": "a statistical estimate",
    "modelled": "a model counterfactual",
}
Op = Literal["<", "<=", ">", ">="]
#: a decisive margin smaller than this fraction of the gap between the two thresholds is a
#: knife-edge (flagged next to the verdict)
KNIFE_EDGE_FRACTION = 0.1
#: thresholds are moved by this factor each way (towards and away from the neutral point) in
#: the robustness panel ("thresholds ± half")
THRESHOLD_FACTORS = (0.5, 1.5)
_SYMBOL = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


@dataclass(frozen=True, slots=True)
class Threshold:
    """One side of a rule: ``x op value`` (e.g. ``Threshold("<=", -3.0)`` reads x ≤ −3)."""

    op: Op
    value: float

    def __post_init__(self) -> None:
        if self.op not in _SYMBOL:
            raise ValueError(f"threshold operator {self.op!r} is not one of <, <=, >, >=")
        if not math.isfinite(self.value):
            raise ValueError(f"threshold value {self.value!r} is not a finite number")

    @property
    def upper(self) -> bool:
        """True when the region is above the value (``>`` or ``>=``)."""
        return self.op in (">", ">=")

    def holds(self, x: float) -> bool:
        return {
            "<": x < self.value,
            "<=": x <= self.value,
            ">": x > self.value,
            ">=": x >= self.value,
        }[self.op]

    def clearance(self, low: float, high: float) -> float:
        """How far the whole interval ``[low, high]`` lies inside the region (negative: outside)."""
        return low - self.value if self.upper else self.value - high

    def text(self, unit: str = "", digits: int = 2) -> str:
        return f"{_SYMBOL[self.op]} {self.value:,.{digits}f} {unit}".rstrip()

    def moved(self, factor: float, neutral: float) -> Threshold:
        """The threshold moved to ``neutral + factor · (value − neutral)``."""
        return Threshold(self.op, neutral + factor * (self.value - neutral))


@dataclass(frozen=True, slots=True)
class Test:
    """One decisive quantity of a claim against the rule's thresholds (see the module doc)."""

    key: str
    label: str
    estimate: float | None
    unit: str
    support: Threshold
    contradict: Threshold
    kind: Kind = "observed"
    low: float | None = None
    high: float | None = None
    #: what the interval is ("95 % CI, clustered by product", "90 % band over 200 draws");
    #: empty for observed data (the interval is the point)
    interval: str = ""
    #: why the quantity cannot be measured (when ``estimate`` is None)
    missing: str = ""
    #: the value a threshold is moved towards or away from in the robustness panel
    neutral: float = 0.0
    digits: int = 2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"evidence kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.support.upper == self.contradict.upper:
            raise ValueError(f"test {self.key!r}: support and contradict point the same way")
        s, c = self.support, self.contradict
        overlap = (s.value < c.value) if s.upper else (s.value > c.value)
        if overlap or (s.value == c.value and s.op in ("<=", ">=") and c.op in ("<=", ">=")):
            raise ValueError(f"test {self.key!r}: a value could both support and contradict")
        if self.estimate is None:
            if not self.missing:
                raise ValueError(f"test {self.key!r} has no estimate and does not say why")
            return
        lo, hi = self.bounds
        if not all(math.isfinite(v) for v in (lo, self.estimate, hi)):
            raise ValueError(f"test {self.key!r}: estimate and interval must be finite numbers")
        if not lo <= self.estimate <= hi:
            raise ValueError(f"test {self.key!r}: the interval [{lo}, {hi}] excludes the estimate")

    @property
    def bounds(self) -> tuple[float, float]:
        """``(low, high)``; the point itself for observed data without an interval."""
        if self.estimate is None:
            return (math.nan, math.nan)
        lo = self.estimate if self.low is None else self.low
        hi = self.estimate if self.high is None else self.high
        return (float(lo), float(hi))

    @property
    def status(self) -> Status:
        if self.estimate is None:
            return "unverifiable"
        lo, hi = self.bounds
        if self.support.holds(lo) and self.support.holds(hi):
            return "supported"
        if self.contradict.holds(lo) and self.contradict.holds(hi):
            return "contradicted"
        return "mixed"

    @property
    def margin(self) -> float | None:
        """Distance to the decisive threshold: by how much the whole interval clears it (> 0),
        or, when mixed, by how much it misses the nearer of the two (< 0)."""
        if self.estimate is None:
            return None
        lo, hi = self.bounds
        return max(self.support.clearance(lo, hi), self.contradict.clearance(lo, hi))

    @property
    def knife_edge(self) -> bool:
        """Decisive, but by less than a tenth of the gap between the thresholds."""
        m = self.margin
        if m is None or self.status not in ("supported", "contradicted"):
            return False
        gap = abs(self.support.value - self.contradict.value)
        scale = gap if gap > 0 else max(abs(self.support.value), 1e-12)
        return m < KNIFE_EDGE_FRACTION * scale

    def moved(self, factor: float) -> Test:
        """The same test with both thresholds moved by ``factor`` around :attr:`neutral`."""
        return replace(
            self,
            support=self.support.moved(factor, self.neutral),
            contradict=self.contradict.moved(factor, self.neutral),
        )

    def rule_text(self) -> str:
        return (
            f"supported if {self.support.text(self.unit, self.digits)}, "
            f"contradicted if {self.contradict.text(self.unit, self.digits)}"
        )

    def interval_text(self) -> str:
        if self.estimate is None:
            return "not measured"
        lo, hi = self.bounds
        if lo == hi:
            return "observed (no sampling interval)"
        return f"[{lo:,.{self.digits}f}, {hi:,.{self.digits}f}] {self.interval}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.bounds
        finite = self.estimate is not None
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "estimate": self.estimate,
            "low": lo if finite else None,
            "high": hi if finite else None,
            "interval": self.interval,
            "unit": self.unit,
            "support": {"op": self.support.op, "value": self.support.value},
            "contradict": {"op": self.contradict.op, "value": self.contradict.value},
            "status": self.status,
            "margin": self.margin,
            "knife_edge": self.knife_edge,
            "missing": self.missing,
        }


def combine(statuses: Sequence[Status]) -> Status:
    """Status of a conjunction of parts: contradicted if any part is; else unverifiable if any
    part cannot be measured; else supported if every part is; else mixed."""
    if not statuses:
        raise ValueError("a verdict needs at least one test")
    if "contradicted" in statuses:
        return "contradicted"
    if "unverifiable" in statuses:
        return "unverifiable"
    return "supported" if all(s == "supported" for s in statuses) else "mixed"


def kind_of(tests: Sequence[Test]) -> Kind | None:
    """The least direct evidence kind among the measured tests (a verdict is as strong as its
    weakest decisive part: one modelled part makes a model-based verdict); None when no test
    could be measured."""
    measured = [t.kind for t in tests if t.estimate is not None]
    return max(measured, key=KINDS.index) if measured else None


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict's status from its tests and robustness panel."""

    status: Status
    #: the status of the main specification before the robustness panel
    main_status: Status
    fragile: bool
    kind: Kind | None
    tests: tuple[Test, ...]
    #: one row per specification: ``spec, status, estimate, note`` (the main one first)
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def missing(self) -> str:
        return " ".join(t.missing for t in self.tests if t.estimate is None)

    def shares(self) -> dict[str, float]:
        """Share of computable specifications giving each status."""
        return status_shares(self.robustness)


def status_shares(robustness: pd.DataFrame) -> dict[str, float]:
    """Share of computable specifications (not unverifiable) giving each status."""
    if robustness.empty:
        return {}
    ok = robustness[robustness["status"] != "unverifiable"]
    if ok.empty:
        return {}
    counts = ok["status"].value_counts()
    return {str(s): float(n) / len(ok) for s, n in counts.items()}


def decide(
    tests: Sequence[Test],
    alternatives: Mapping[str, Sequence[Test]] | None = None,
    *,
    notes: Mapping[str, str] | None = None,
    move_thresholds: bool = True,
) -> Decision:
    """Status of ``tests`` (a conjunction) checked against the robustness panel.

    ``alternatives`` maps a reasonable alternative choice ("base year 2018", "S&E fields only") to
    the tests recomputed under it. With ``move_thresholds`` the panel also moves every threshold
    by half towards and away from its neutral point. A supported or contradicted main status that
    any computable alternative changes becomes ``mixed`` (fragile); unverifiable alternatives are
    listed but do not count.
    """
    tests = tuple(tests)
    main = combine([t.status for t in tests])
    notes = dict(notes or {})
    rows = [_spec_row("main specification", tests, notes.get("main specification", ""))]
    for name, alt in (alternatives or {}).items():
        rows.append(_spec_row(name, tuple(alt), notes.get(name, "")))
    if move_thresholds and all(t.estimate is not None for t in tests):
        for f in THRESHOLD_FACTORS:
            word = "closer to" if f < 1 else "further from"
            rows.append(
                _spec_row(
                    f"thresholds × {f:g} ({word} neutral)",
                    tuple(t.moved(f) for t in tests),
                    "every threshold of the rule moved by half",
                )
            )
    table = pd.DataFrame(rows, columns=["spec", "status", "estimate", "note"])
    computable = table["status"].iloc[1:]
    computable = computable[computable != "unverifiable"]
    fragile = main in ("supported", "contradicted") and bool((computable != main).any())
    return Decision(
        status="mixed" if fragile else main,
        main_status=main,
        fragile=fragile,
        kind=kind_of(tests),
        tests=tests,
        robustness=table,
    )


def _spec_row(name: str, tests: tuple[Test, ...], note: str) -> dict[str, Any]:
    estimates = "; ".join(
        f"{t.label}: {t.estimate:,.{t.digits}f} {t.unit}".rstrip()
        if t.estimate is not None
        else f"{t.label}: not measured"
        for t in tests
    )
    return {
        "spec": name,
        "status": combine([t.status for t in tests]),
        "estimate": estimates,
        "note": note,
    }


__all__ = [
    "KINDS",
    "KIND_TEXT",
    "REASONS",
    "STATUSES",
    "Decision",
    "Kind",
    "Reason",
    "Status",
    "Test",
    "Threshold",
    "combine",
    "decide",
    "kind_of",
    "status_shares",
]
