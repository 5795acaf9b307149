"""The proposals comparison: lift the extra US–China tariffs, the chip export controls, or both,
from the 2024 and from the 2025 status quo, as one table with intervals.

Each cell is a library scenario ``proposal_<status quo>_<proposal>`` on the Eora26 2017
baseline (Caliendo–Parro GE), composed without typing a number twice
(:mod:`techties.simulation.compose`):

* **2024 status quo** — the 2018–19 tariffs (``uschina_escalation``: Section 301 lists 1–4A,
  Section 232 and 201 on Chinese goods, China's retaliation) and the chip export controls of
  the USA, Japan, Korea, the Netherlands and Taiwan (``chip_export_controls``);
* **2025 status quo** — the same plus the 2025 tariff war at the latest staged levels, read
  from the store (US increases on every partner from the trade-war tracker, China's
  retaliation from WTO TTD: ``tariff_war_2025: {episode: latest, retaliation: china,
  role: status_quo}``).

The proposals: **lift the tariffs** — every status-quo tariff between the USA and China, both
directions (the 2025 increases on other partners stay); **lift the controls** — every chip
export control; **both**. Each result is the exact change in real income from the status-quo
equilibrium to the equilibrium after the proposal, with an equal-tailed band over draws of one
common factor on every θ (0.75–1.25) and of each control's covered share (the lifted control
takes the share drawn for the imposed one, so a lift is exact draw by draw).

>>> from techties.simulation.proposals import compare_proposals
>>> table = compare_proposals(store, draws=100)
>>> table.wide()              # one row per proposal × status quo, USA and China with bands
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from techties.results import Result

if TYPE_CHECKING:
    from techties.store.core import Store

#: status quo → what it holds
STATUS_QUOS: dict[str, str] = {
    "2024": "2018–19 US–China tariffs and the chip export controls",
    "2025": "the 2024 status quo plus the 2025 tariff war at its latest staged levels",
}
#: proposal → reader-facing label
PROPOSALS: dict[str, str] = {
    "lift_tariffs": "lift the extra US–China tariffs",
    "lift_controls": "lift the chip export controls",
    "lift_both": "lift the tariffs and the controls",
}
MEASURE = "real_income_change"
COUNTRIES = ("USA", "CHN", "JPN", "KOR", "NLD", "TWN", "VNM", "MEX", "DEU", "IND")


def scenario_name(status_quo: str, proposal: str) -> str:
    """The library scenario of one cell (``proposal_2024_lift_both``)."""
    if status_quo not in STATUS_QUOS or proposal not in PROPOSALS:
        from techties.errors import ConfigError

        raise ConfigError(
            f"no proposal {proposal!r} from status quo {status_quo!r}",
            hint=f"status quos {', '.join(STATUS_QUOS)}; proposals {', '.join(PROPOSALS)}",
        )
    return f"proposal_{status_quo}_{proposal}"


def cells() -> list[tuple[str, str, str]]:
    """``(status quo, proposal, scenario name)`` of every cell, in table order."""
    return [(s, p, scenario_name(s, p)) for s in STATUS_QUOS for p in PROPOSALS]


def table_frame(rows: Sequence[tuple[str, str, pd.DataFrame]]) -> pd.DataFrame:
    """The long table from per-cell frames ``country, value, low, high``: one row per status
    quo × proposal × country, in table order."""
    parts = []
    for sq, prop, df in rows:
        part = df[["country", "value", "low", "high"]].copy()
        part.insert(0, "proposal", prop)
        part.insert(0, "status_quo", sq)
        part.insert(2, "proposal_label", PROPOSALS[prop])
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


class ProposalsResult(Result):
    """The comparison table: ``status_quo, proposal, proposal_label, country, value, low,
    high`` (value: exact change in real income, %; low/high: the band of the draws)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        draws: int,
        level: float,
        steps: dict[str, list[str]],
        provenance_ids: Sequence[int] = (),
    ) -> None:
        self.frame = frame
        self.draws = draws
        self.level = level
        #: run log of every cell, by scenario name
        self.steps = steps
        self.provenance_ids = sorted(int(i) for i in provenance_ids)
        band = f"{round(level * 100)} % band over {draws} draws" if draws else "central case"
        self.title = f"Lifting the restrictions: change in real income (%), {band}"

    def tidy(self) -> pd.DataFrame:
        return self.frame.copy()

    def wide(self, countries: Sequence[str] = ("USA", "CHN")) -> pd.DataFrame:
        """One row per status quo × proposal; per country the value and its band."""
        t = self.frame[self.frame["country"].isin(countries)]
        out = t.pivot_table(
            index=["status_quo", "proposal"], columns="country", values=["value", "low", "high"],
            sort=False,
        )  # fmt: skip
        pairs = [(str(col[0]), str(col[1])) for col in out.columns.to_list()]
        out.columns = [c if m == "value" else f"{c}_{m}" for m, c in pairs]
        cols = [x for c in countries for x in (c, f"{c}_low", f"{c}_high") if x in out.columns]
        return out[cols].reset_index()

    def display(self, countries: Sequence[str] = ("USA", "CHN")) -> pd.DataFrame:
        """The table as text: status quo, proposal, and per country ``+0.069 [+0.056, +0.081]``."""
        rows = []
        for d in self.wide(countries).to_dict("records"):
            row = {"status quo": str(d["status_quo"]), "proposal": PROPOSALS[str(d["proposal"])]}
            for c in countries:
                text = f"{float(d[c]):+.3f}"
                if pd.notna(d.get(f"{c}_low")):
                    text += f" [{float(d[c + '_low']):+.3f}, {float(d[c + '_high']):+.3f}]"
                row[f"{c} (%)"] = text
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        t = self.display()
        lines = [self.title]
        for r in t.to_dict("records"):
            lines.append(f"  from {r['status quo']}: {r['proposal']:<36} "
                         f"USA {r['USA (%)']}  CHN {r['CHN (%)']}")  # fmt: skip
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(
            draws=self.draws, level=self.level, status_quos=STATUS_QUOS, proposals=PROPOSALS,
            steps=self.steps, provenance_ids=self.provenance_ids,
        )  # fmt: skip
        return out

    def plot(self, countries: Sequence[str] = ("USA", "CHN")) -> Any:
        """Points with bands: each proposal × status quo, one panel per country."""
        return proposals_chart(self.frame, countries, self.level, self.draws)


def proposals_chart(
    frame: pd.DataFrame, countries: Sequence[str], level: float, draws: int, source: str = ""
) -> Any:
    """The comparison as a chart (used by the result and by claim 11's evidence)."""
    import altair as alt

    from techties.charts import finish

    data = frame[frame["country"].isin(countries)].assign(
        status=lambda d: "from " + d["status_quo"]
    )
    panels = []
    for c in countries:
        base = alt.Chart(data[data["country"] == c], title=c).encode(
            y=alt.Y("proposal_label:N", title=None, sort=list(PROPOSALS.values())),
            yOffset=alt.YOffset("status:N"),
            color=alt.Color("status:N", title="Status quo"),
        )
        points = base.mark_point(filled=True, size=60).encode(
            x=alt.X("value:Q", title="Change in real income (%)"),
            tooltip=["status", "proposal_label", "country",
                     alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("low:Q", format=".3f"),
                     alt.Tooltip("high:Q", format=".3f")],
        )  # fmt: skip
        rules = base.mark_rule().encode(x="low:Q", x2="high:Q")
        panels.append((points + rules).properties(width=250, height=150))
    layers = alt.hconcat(*panels)
    band = f"{round(level * 100)} % band over {draws} draws" if draws else "central case"
    return finish(
        layers,
        title="Lifting the restrictions, from the 2024 and the 2025 status quo (model)",
        subtitle=f"Exact change in real income Î/P̂ − 1, % (lines: {band})",
        source=source or "techties Caliendo–Parro simulation on the Eora26 2017 baseline",
    )


def compare_proposals(
    store: Store,
    *,
    draws: int = 100,
    seed: int = 0,
    workers: int | None = None,
    level: float = 0.90,
    countries: Sequence[str] = COUNTRIES,
    engine: str | None = None,
) -> ProposalsResult:
    """Run the six cells (library scenarios) and gather them into one table (``workers`` and
    ``engine`` as in :func:`techties.simulation.library.simulate`). The three cells of a
    status quo solve it once per draw (:func:`techties.simulation.scenario.run_scenarios`)."""
    from techties.simulation.scenario import Scenario, run_scenarios, scenario_file

    rows, steps, ids = [], {}, set()
    scenarios = [Scenario.from_yaml(scenario_file(name)) for _, _, name in cells()]
    results = run_scenarios(scenarios, store=store, draws=draws, seed=seed, workers=workers,
                            level=level, engine=engine)  # fmt: skip
    for (sq, prop, name), res in zip(cells(), results, strict=True):
        t = res.tidy()
        t = t[t["country"].isin(countries)]
        df = pd.DataFrame({"country": t["country"], "value": t[MEASURE]})
        df["low"] = t[f"{MEASURE}_low"] if draws else float("nan")
        df["high"] = t[f"{MEASURE}_high"] if draws else float("nan")
        rows.append((sq, prop, df))
        steps[name] = list(res.steps)
        ids |= set(res.provenance_ids)
    return ProposalsResult(
        table_frame(rows), draws=draws, level=level, steps=steps, provenance_ids=sorted(ids)
    )


__all__ = ["COUNTRIES", "PROPOSALS", "STATUS_QUOS", "ProposalsResult", "cells",
           "compare_proposals", "proposals_chart", "scenario_name", "table_frame"]  # fmt: skip
