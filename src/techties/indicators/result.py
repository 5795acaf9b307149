"""The result every indicator returns, and the source line built from provenance rows.

An :class:`IndicatorResult` keeps the indicator's long table (labels kept: period, product,
partner …), its units, the formula, caveats, and the provenance ids of the input rows. ``tidy()``
is that table; ``summary()``, ``to_dict()`` and ``plot()`` derive from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import altair as alt
import pandas as pd

from techties.results import Result, json_safe
from techties.store import Store


@dataclass(repr=False)
class IndicatorResult(Result):
    """An indicator table with its units, formula, caveats and provenance.

    Subclasses override :meth:`plot` (and may add accessors that read :meth:`tidy`).
    """

    table: pd.DataFrame
    name: str
    units: str
    formula: str
    title: str = ""
    source: str = ""
    notes: list[str] = field(default_factory=list)
    provenance_ids: list[int] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [f"{self.title} [{self.units}]", f"formula: {self.formula}"]
        if self.source:
            lines.append(f"source: {self.source}")
        lines.extend(f"note: {n}" for n in self.notes)
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            lines.append(self.table.head(20).to_string(index=False))
        if len(self.table) > 20:
            lines.append(f"… {len(self.table) - 20:,} more rows")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "type": type(self).__name__,
            "units": self.units,
            "formula": self.formula,
            "source": self.source,
            "notes": list(self.notes),
            "provenance_ids": list(self.provenance_ids),
            "params": json_safe(self.params),
            "table": json_safe(self.tidy()),
        }


def provenance_ids(store: Store, sql: str, params: Sequence[Any]) -> list[int]:
    """Distinct provenance ids of the rows a selection query reads (``sql`` selects rows)."""
    frame = store.df(f"SELECT DISTINCT provenance_id FROM ({sql}) ORDER BY 1", params)
    return [int(x) for x in frame["provenance_id"]]


def has_table(store: Store, name: str) -> bool:
    """Whether the store has a table or view ``name`` (without counting rows)."""
    n = store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name = ?",
        [name],
    )
    return bool(n)


def source_line(store: Store, ids: Sequence[int], *, max_files: int = 2) -> str:
    """``"census_hs10: 2024-hs10-imports5700.parquet (sha256 3f2a9c01) + 50 more files"``.

    One clause per source, built from the provenance rows of the inputs (file name and the first
    8 hex digits of the sha256 of its bytes).
    """
    if not ids or not has_table(store, "provenance"):
        return ""
    prov = store.provenance(list(ids))
    clauses = []
    for src, rows in prov.groupby("source", sort=True):
        files = [
            f"{PurePath(str(loc)).name} (sha256 {str(sha)[:8]})"
            for loc, sha in zip(rows["location"], rows["sha256"], strict=True)
        ]
        text = ", ".join(files[:max_files])
        if len(files) > max_files:
            text += f" + {len(files) - max_files} more files"
        clauses.append(f"{src}: {text}")
    return "; ".join(clauses)


def time_axis(annual: bool) -> Any:
    """A date axis labelled by year (annual data) or by year and month."""
    if annual:
        return alt.Axis(format="%Y", tickCount="year", labelAngle=0)
    return alt.Axis(format="%Y", labelAngle=0)


def wave_markers(start: str | None = None, end: str | None = None) -> Any:
    """Tariff-wave rules like :func:`techties.charts.wave_rules`, with the labels of waves that
    fall close together on long charts merged ("301 List 1–3") so they stay legible."""
    from techties import charts

    waves = [
        (d, k)
        for k, d in charts.TARIFF_WAVES.items()
        if (start is None or d >= start) and (end is None or d <= end)
    ]
    if not waves:
        return alt.Chart(alt.Data(values=[{}])).mark_point(opacity=0)
    span = (pd.Timestamp(end or waves[-1][0]) - pd.Timestamp(start or waves[0][0])).days
    gap = max(30, span // 28)  # about one label width
    groups: list[list[tuple[str, str]]] = []
    for d, k in waves:
        if groups and (pd.Timestamp(d) - pd.Timestamp(groups[-1][0][0])).days < gap:
            groups[-1].append((d, k))
        else:
            groups.append([(d, k)])
    labels = [{"date": g[0][0], "label": _merge_labels([k for _, k in g])} for g in groups]
    rules = (
        alt.Chart(alt.Data(values=[{"date": d} for d, _ in waves]))
        .mark_rule(strokeDash=[4, 3], color="#888")
        .encode(x="date:T")
    )
    text = (
        alt.Chart(alt.Data(values=labels))
        .mark_text(
            angle=270, align="right", baseline="bottom", dx=-4, fontSize=9, color="#555", y=4
        )
        .encode(x="date:T", text="label:N")
    )
    return rules + text


def _merge_labels(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    lists = [n.removeprefix("301 List ") for n in names if n.startswith("301 List ")]
    if len(lists) == len(names):
        return f"301 Lists {lists[0]}–{lists[-1]}"
    return " / ".join(names)
