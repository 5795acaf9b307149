"""Helpers shared by the sourcing checkers (claims 2 and 4)."""

from __future__ import annotations

from collections.abc import Sequence

from techties.claims.rules import Decision, Test, Threshold


def _absent(
    key: str, label: str, unit: str, support: Threshold, contra: Threshold, why: str
) -> Test:
    return Test(key, label, None, unit, support, contra, missing=why)


def _rationale(decision: Decision, tests: Sequence[Test]) -> str:
    parts = []
    for t in tests:
        if t.estimate is None:
            parts.append(f"{t.label}: not measured ({t.missing})")
        else:
            parts.append(
                f"{t.label}: {t.estimate:+,.{t.digits}f} {t.unit} ({t.interval_text()}) → {t.status}"
            )
    text = "; ".join(parts) + "."
    if decision.fragile:
        text += (
            f" The main specification gives {decision.main_status}, but an alternative in the "
            "robustness panel changes it, so the verdict is mixed."
        )
    return text
