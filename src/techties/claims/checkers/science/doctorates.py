"""Claim 10: China has the most doctoral candidates (the staged data count degrees awarded, a
proxy; enrolment by country is not staged)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, pct_change, register
from techties.claims.checkers._evidence import ids, indicator_series
from techties.claims.checkers.science._common import (
    LOAD_NCSES,
    _name,
    _verdict,
)
from techties.claims.rules import Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

#: NCSES SEI table SHED-12 (2010–18): doctoral degrees awarded, all fields and S&E fields
DOCTORATES = "ncses:SHED-12:doctorates:all_fields"
DOCTORATES_SE = "ncses:SHED-12:doctorates:all_fields_all_s_e"
#: NCSES SEI 2020 table S2-16 (2000–16), the earlier vintage
DOCTORATES_S2 = "ncses:S2-16:doctorates:all_fields"
DOCTORATES_S2_SE = "ncses:S2-16:doctorates:all_fields_all_s_e"
#: China leads (trails) when it awards at least this many % more (fewer) than the next country
DOCTORATE_GAP_PCT = 5.0
DOCTORATE_MISSING = (
    "Doctoral candidates (enrolled doctoral students) by country are not staged: no UNESCO or "
    "OECD enrolment table was found (CATALOG-tech §3, 'Not found'); NCSES SHED-12 and S2-16 "
    "count doctoral degrees awarded, a flow of graduates, not the stock of candidates."
)


def _doctorate_rows(store: Store, indicator: str) -> pd.DataFrame:
    if not store.has_table("indicators"):
        return pd.DataFrame()
    return store.df(
        "SELECT country, year, value, unit, name, provenance_id FROM indicators "
        "WHERE indicator = ? AND value IS NOT NULL AND country IS NOT NULL AND partner IS NULL",
        [indicator],
    )


def _lead(df: pd.DataFrame, year: int | None = None) -> tuple[int, float, str, float] | None:
    """``(year, China, rival country, rival)`` in ``year`` (default: China's latest year)."""
    if df.empty or not (df["country"] == "CHN").any():
        return None
    y = int(df.loc[df["country"] == "CHN", "year"].max()) if year is None else year
    latest = df[(df["year"] == y) & (df["country"] != "CHN")].sort_values("value")
    china = df[(df["year"] == y) & (df["country"] == "CHN")]
    if latest.empty or china.empty:
        return None
    rival = latest.iloc[-1]
    return y, float(china["value"].iloc[0]), str(rival["country"]), float(rival["value"])


def _lead_test(lead: tuple[int, float, str, float], field: str) -> Test:
    y, china, rival, value = lead
    return Test(
        "degrees_lead", f"Proxy: China's doctoral degrees awarded ({field}, {y}) relative to "
        f"{_name(rival)}", 100 * (china / value - 1), "%", Threshold(">=", DOCTORATE_GAP_PCT),
        Threshold("<=", -DOCTORATE_GAP_PCT), digits=1,
    )  # fmt: skip


@register
class Doctorates(Checker):
    """Claim 10: China has the most doctoral candidates (the data count degrees awarded)."""

    name = "doctorates"
    claim_id = "china-most-doctorates"
    method = (
        "The claim is about doctoral candidates (enrolment), which no staged table counts by "
        "country, so the decisive test is unverifiable. As a proxy it ranks countries by doctoral "
        "degrees awarded (NCSES SEI tables SHED-12 and S2-16, all fields and S&E) in China's "
        f"latest year: China leads when it awards at least {DOCTORATE_GAP_PCT:.0f} % more than "
        f"the next country, trails when at least {DOCTORATE_GAP_PCT:.0f} % fewer."
    )

    def evaluate(self, store: Store) -> Verdict:
        frames = {
            code: _doctorate_rows(store, code)
            for code in (DOCTORATES, DOCTORATES_SE, DOCTORATES_S2, DOCTORATES_S2_SE)
        }
        df = frames[DOCTORATES]
        lead = _lead(df)
        if lead is None:
            indicator_series(
                store, DOCTORATES, ["CHN"], needed_for="doctorates", loaded_by=LOAD_NCSES
            )
            raise Missing("no_data", "no doctorate counts for China and another country.")
        candidates = Test(
            "candidates", "Doctoral candidates (enrolled), China relative to the next country",
            None, "%", Threshold(">=", DOCTORATE_GAP_PCT), Threshold("<=", -DOCTORATE_GAP_PCT),
            missing=DOCTORATE_MISSING,
        )  # fmt: skip
        main_proxy = _lead_test(lead, "all fields")
        se = _lead(frames[DOCTORATES_SE], lead[0])
        alternatives = _proxy_alternatives(frames, lead, se, main_proxy)
        decision = decide([candidates], alternatives)
        year = lead[0]
        figs, text = _degree_figures(lead, se, main_proxy)
        ev_for, ev_against = _degree_evidence(lead, text)
        evidence = pd.concat(
            [f.assign(series=code) for code, f in frames.items() if not f.empty],
            ignore_index=True,
        )
        return _verdict(
            self.claim_id,
            decision,
            rationale=(
                "The claim is about doctoral candidates; the staged data count degrees "
                f"awarded. As a proxy: {text} These are degrees awarded, not enrolled "
                "candidates, and the lead depends on the field choice (see the panel)."
            ),
            figures=figs,
            evidence=evidence,
            provenance_ids=ids(evidence),
            chart=_bars(_bar_rows(df, frames[DOCTORATES_SE], year), year),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                "Descriptive ranking; the decisive quantity (candidates) is not staged, degrees "
                "awarded are reported as a proxy under both field definitions and two vintages."
            ),
        )


def _proxy_alternatives(
    frames: dict[str, pd.DataFrame],
    lead: tuple[int, float, str, float],
    se: tuple[int, float, str, float] | None,
    main_proxy: Test,
) -> dict[str, list[Test]]:
    """The robustness panel of the degrees-awarded proxy: S&E fields, an earlier year, the
    earlier S2-16 vintage and thresholds moved by half."""
    df = frames[DOCTORATES]
    alternatives: dict[str, list[Test]] = {
        f"proxy: degrees awarded, all fields, {lead[0]} (SHED-12)": [main_proxy]
    }
    if se is not None:
        alternatives[f"proxy: degrees awarded, S&E fields only, {se[0]}"] = [
            _lead_test(se, "S&E fields")
        ]
    for y in (lead[0] - 2,):
        early = _lead(df, y)
        if early is not None:
            alternatives[f"proxy: degrees awarded, all fields, {y}"] = [
                _lead_test(early, "all fields")
            ]
    for code, field in ((DOCTORATES_S2, "all fields"), (DOCTORATES_S2_SE, "S&E fields")):
        old = _lead(frames[code])
        if old is not None:
            alternatives[f"proxy: earlier vintage S2-16 (SEI 2020), {field}, {old[0]}"] = [
                _lead_test(old, field)
            ]
    for f in (0.5, 1.5):
        alternatives[f"proxy: all fields, thresholds × {f:g}"] = [main_proxy.moved(f)]
    return alternatives


def _degree_figures(
    lead: tuple[int, float, str, float],
    se: tuple[int, float, str, float] | None,
    main_proxy: Test,
) -> tuple[list[Figure], str]:
    """Figures of China and the next country (all fields, and S&E when staged), and the
    sentence that states them."""
    year, china, rival, rival_v = lead
    gap = pct_change(rival_v, china)
    figs = [
        Figure("china", f"China, doctorates awarded {year} (all fields)", china, "degrees"),
        Figure("rival", f"{_name(rival)}, doctorates awarded {year} (all fields)", rival_v,
               "degrees"),
        Figure("gap", f"{_name(rival)} relative to China, all fields", gap, "% change", 1),
        Figure("china_vs_rival", "China relative to the next country, all fields",
               main_proxy.estimate, "%", 1),
    ]  # fmt: skip
    se_text = ""
    if se is not None:
        figs += [
            Figure("china_se", f"China, S&E doctorates awarded {se[0]}", se[1], "degrees"),
            Figure("rival_se", f"{_name(se[2])}, S&E doctorates awarded {se[0]}", se[3],
                   "degrees"),
            Figure("china_vs_rival_se", "China relative to the next country, S&E",
                   100 * (se[1] / se[3] - 1), "%", 1),
        ]  # fmt: skip
        se_text = f"; in S&E fields China {se[1]:,.0f}, {_name(se[2])} {se[3]:,.0f}"
    text = (
        f"In {year} China awarded {china:,.0f} doctoral degrees (all fields) and "
        f"{_name(rival)} {rival_v:,.0f}{se_text}."
    )
    return figs, text


def _degree_evidence(lead: tuple[int, float, str, float], text: str) -> tuple[list[str], list[str]]:
    """Evidence for and against: whether China leads on degrees awarded, and that degrees are
    not candidates."""
    year, china, _, rival_v = lead
    china_first = china > rival_v
    ev_for = [text + " China leads on degrees awarded."] if china_first else []
    ev_against = [] if china_first else [
        text + " On degrees awarded China is not first (a proxy: degrees are not candidates)."
    ]  # fmt: skip
    ev_against.append(
        "Degrees awarded measure graduates, not candidates; enrolment by country is not "
        f"staged, and the latest comparable year is {year}."
    )
    return ev_for, ev_against


def _bar_rows(df: pd.DataFrame, se_rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """The eight countries awarding the most degrees in ``year``, all fields and S&E fields."""
    latest = df[df["year"] == year].sort_values("value", ascending=False)
    se_latest = se_rows[se_rows["year"] == year] if not se_rows.empty else se_rows
    return pd.concat(
        [latest.head(8).assign(field="all fields")]
        + (
            [se_latest[se_latest["country"].isin(latest.head(8)["country"])]
             .assign(field="S&E fields")]
            if not se_latest.empty else []
        ),
        ignore_index=True,
    )  # fmt: skip


def _bars(df: pd.DataFrame, year: int) -> Any:
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="Doctoral degrees awarded", axis=alt.Axis(format=",.0f")),
            y=alt.Y("country:N", sort="-x", title=None),
            yOffset=alt.YOffset("field:N"),
            color=alt.Color("field:N", title=None),
            tooltip=["country", "field", alt.Tooltip("value:Q", format=",.0f")],
        )
    )
    return charts.finish(
        chart,
        title=f"Doctoral degrees awarded, {year} (a proxy: degrees, not candidates)",
        subtitle="Degrees awarded, all fields and S&E fields",
        source="NCSES SEI table SHED-12",
        height=260,
    )
