"""The verdict of one claim: status, the numbers behind it, the evidence table, method, chart.

A :class:`Verdict` is a :class:`techties.results.Result`. ``tidy()`` lists the key numbers
(``term, estimate, unit, label``); ``evidence`` is the table the rule was applied to; ``method`` is
the query or model spec in two sentences; ``provenance_ids`` are the ids of every store input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from techties.claims.rules import (
    KIND_TEXT,
    REASONS,
    STATUSES,
    Decision,
    Kind,
    Reason,
    Status,
    Test,
    status_shares,
)
from techties.results import Result, json_safe


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
    chart: Any = None
    title: str = ""
    #: the rule applied to the decisive tests and the robustness panel (None: no evidence)
    decision: Decision | None = None
    #: the evidence that speaks for and against the claim as stated, one sentence each
    evidence_for: list[str] = field(default_factory=list)
    evidence_against: list[str] = field(default_factory=list)
    #: the design in one sentence ("trend break at 2018 with comparators and placebo dates")
    design: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.status == "unverifiable" and self.reason not in REASONS:
            raise ValueError(f"an unverifiable verdict needs a reason in {', '.join(REASONS)}")
        if self.status != "unverifiable" and self.reason is not None:
            raise ValueError("only unverifiable verdicts carry a reason")
        if self.status in ("supported", "contradicted") and self.decision is None:
            raise ValueError(
                f"verdict {self.claim_id!r}: a {self.status} verdict needs the decision that "
                "gives it (tests with intervals and thresholds; see techties.claims.rules.decide)"
            )
        if self.decision is not None and self.decision.status != self.status:
            raise ValueError(
                f"verdict {self.claim_id!r} says {self.status} but its tests and robustness "
                f"panel give {self.decision.status}"
            )

    @classmethod
    def decided(cls, claim_id: str, decision: Decision, **fields: Any) -> Verdict:
        """The verdict the decision gives (unverifiable parts: ``no_data``, saying what is
        missing)."""
        if decision.status == "unverifiable":
            fields.setdefault("missing", decision.missing)
            fields.setdefault("reason", "no_data")
        return cls(claim_id, decision.status, decision=decision, **fields)

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
        """``"supported"``, ``"mixed (fragile)"`` or ``"unverifiable (no_data)"``."""
        if self.reason is not None:
            return f"{self.status} ({self.reason})"
        return f"{self.status} (fragile)" if self.fragile else self.status

    @property
    def kind(self) -> Kind | None:
        """What the verdict rests on: ``observed``, ``estimated`` or ``modelled`` (None: nothing)."""
        return self.decision.kind if self.decision is not None else None

    @property
    def kind_text(self) -> str:
        return KIND_TEXT[self.kind] if self.kind else "no evidence"

    @property
    def badge(self) -> str:
        """The label with the evidence kind when it is not observed data: ``"supported · model"``."""
        if self.status == "unverifiable":
            return self.label
        tag = {"modelled": " · model", "estimated": " · estimate"}.get(self.kind or "", "")
        return self.label + tag

    @property
    def tests(self) -> tuple[Test, ...]:
        return self.decision.tests if self.decision is not None else ()

    @property
    def fragile(self) -> bool:
        return self.decision.fragile if self.decision is not None else False

    @property
    def knife_edge(self) -> bool:
        """A decisive test clears its threshold by less than a tenth of the thresholds' gap."""
        return any(t.knife_edge for t in self.tests)

    @property
    def robustness(self) -> pd.DataFrame:
        if self.decision is None:
            return pd.DataFrame(columns=["spec", "status", "estimate", "note"])
        return self.decision.robustness

    def robustness_shares(self) -> dict[str, float]:
        return status_shares(self.robustness)

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
        lines = [f"{self.claim_id}: {self.badge}"]
        if self.rationale:
            lines.append(f"  {self.rationale}")
        for t in self.tests:
            value = (
                "not measured"
                if t.estimate is None
                else f"{t.estimate:,.{t.digits}f} {t.unit}".rstrip()
            )
            lines.append(
                f"  test: {t.label} = {value}, {t.interval_text()} → {t.status} ({t.rule_text()})"
            )
        lines += [f"  {f.label}: {f.formatted()}" for f in self.figures]
        lines += [f"  for: {e}" for e in self.evidence_for]
        lines += [f"  against: {e}" for e in self.evidence_against]
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
            "kind": self.kind,
            "badge": self.badge,
            "fragile": self.fragile,
            "knife_edge": self.knife_edge,
            "design": self.design,
            "tests": [json_safe(t.to_dict()) for t in self.tests],
            "robustness": json_safe(self.robustness),
            "robustness_shares": self.robustness_shares(),
            "evidence_for": list(self.evidence_for),
            "evidence_against": list(self.evidence_against),
        }

    def plot(self) -> Any:
        if self.chart is None:
            raise NotImplementedError(f"verdict {self.claim_id!r} has no chart ({self.label})")
        return self.chart


__all__ = ["REASONS", "STATUSES", "Figure", "Reason", "Status", "Verdict", "format_value"]
