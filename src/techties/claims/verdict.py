"""The verdict of one claim: status, the numbers behind it, the evidence table, method, chart.

A :class:`Verdict` is a :class:`techties.results.Result`. ``tidy()`` lists the key numbers
(``term, estimate, unit, label``); ``evidence`` is the table the rule was applied to; ``method`` is
the query or model spec in two sentences; ``provenance_ids`` are the ids of every store input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from techties.results import Result, json_safe

Status = Literal["supported", "contradicted", "mixed", "unverifiable"]
Reason = Literal["no_data", "not_yet", "out_of_scope"]
STATUSES: tuple[Status, ...] = ("supported", "contradicted", "mixed", "unverifiable")
REASONS: tuple[Reason, ...] = ("no_data", "not_yet", "out_of_scope")


@dataclass(frozen=True, slots=True)
class Figure:
    """One number behind a verdict, with its unit (``"%"``, ``"pp"``, ``"USD bn"``, ``"entries"``…)."""

    key: str
    label: str
    value: float | None
    unit: str
    digits: int = 1

    def formatted(self) -> str:
        """The value with thousands separators and its unit, e.g. ``"57.6 %"``, ``"USD 48.5 bn"``."""
        return format_value(self.value, self.unit, self.digits)


def format_value(value: float | None, unit: str, digits: int = 1) -> str:
    """Format a number with its unit for a reader (``None``/NaN → ``"n/a"``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    v = float(value)
    if unit in {"count", "entries", "persons", "degrees", "patents", "articles"}:
        return f"{v:,.0f} {unit if unit != 'count' else ''}".rstrip()
    body = f"{v:,.{digits}f}"
    if unit.startswith("USD "):
        return f"USD {body} {unit[4:]}"
    if unit in {"%", "pp", "% change"}:
        sign = "+" if unit != "%" and v > 0 else ""
        return f"{sign}{body} {unit[:2].strip()}"
    if unit == "ratio":
        return f"{v:,.2f}×"
    if unit == "share":
        return f"{v:,.{digits}f}"
    return f"{body} {unit}".rstrip()


@dataclass
class Verdict(Result):
    """The checked verdict of one claim."""

    claim_id: str
    status: Status
    reason: Reason | None = None
    rationale: str = ""
    figures: list[Figure] = field(default_factory=list)
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    method: str = ""
    missing: str = ""
    provenance_ids: list[int] = field(default_factory=list)
    #: inputs read from files outside the store (GE baselines): source, location, sha256
    files: list[dict[str, str]] = field(default_factory=list)
    chart: Any = None
    title: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.status == "unverifiable" and self.reason not in REASONS:
            raise ValueError(f"an unverifiable verdict needs a reason in {', '.join(REASONS)}")
        if self.status != "unverifiable" and self.reason is not None:
            raise ValueError("only unverifiable verdicts carry a reason")

    # -- construction helpers --------------------------------------------------------------
    @classmethod
    def unverifiable(
        cls, claim_id: str, reason: Reason, missing: str, *, method: str = ""
    ) -> Verdict:
        """A verdict that cannot be given, saying which evidence is missing."""
        return cls(
            claim_id, "unverifiable", reason, rationale=missing, missing=missing, method=method
        )

    # -- Result contract -------------------------------------------------------------------
    @property
    def label(self) -> str:
        """``"supported"`` or ``"unverifiable (no_data)"``."""
        return self.status if self.reason is None else f"{self.status} ({self.reason})"

    def figure(self, key: str) -> float | None:
        """Value of the figure ``key`` (read from :meth:`tidy`)."""
        t = self.tidy()
        hit = t.loc[t["term"] == key, "estimate"]
        if hit.empty:
            raise KeyError(f"verdict {self.claim_id!r} has no figure {key!r}")
        v = hit.iloc[0]
        return None if pd.isna(v) else float(v)

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": [f.key for f in self.figures],
                "estimate": [f.value for f in self.figures],
                "unit": [f.unit for f in self.figures],
                "label": [f.label for f in self.figures],
                "formatted": [f.formatted() for f in self.figures],
            },
            columns=["term", "estimate", "unit", "label", "formatted"],
        )

    def summary(self) -> str:
        lines = [f"{self.claim_id}: {self.label}"]
        if self.rationale:
            lines.append(f"  {self.rationale}")
        lines += [f"  {f.label}: {f.formatted()}" for f in self.figures]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "title": self.title,
            "type": "Verdict",
            "status": self.status,
            "reason": self.reason,
            "rationale": self.rationale,
            "missing": self.missing,
            "method": self.method,
            "figures": json_safe(self.tidy()),
            "evidence": json_safe(self.evidence),
            "provenance_ids": [int(i) for i in self.provenance_ids],
            "files": [dict(f) for f in self.files],
        }

    def plot(self) -> Any:
        if self.chart is None:
            raise NotImplementedError(f"verdict {self.claim_id!r} has no chart ({self.label})")
        return self.chart


__all__ = ["REASONS", "STATUSES", "Figure", "Reason", "Status", "Verdict", "format_value"]
