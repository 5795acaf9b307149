"""Checkers for the rest of the debate: the premise the critics of restrictions reject (China is
catching up in science and technology, claim 15), personnel exchanges (claim 18), and the
sentences no data can test (motives, recommendations, security judgements), which are listed as
``unverifiable (out_of_scope)`` with one line why, so a reader sees they were not skipped."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, register
from techties.claims.checkers._evidence import ids, indicator_series, year_lines
from techties.claims.rules import Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

LOAD_NCSES = "ingest the NCSES tables (tech-science/) with `techties report --data DIR`"
#: research spending: gross domestic expenditure on R&D, current PPP dollars (NCSES SRD-1)
GERD = "ncses:SRD-1:gerd:gerd_current_ppp_dollars"
#: research quality: share of a country's articles among the world's top 1 % most cited (SPBS-54)
TOP1 = "ncses:SPBS-54:top1pct_share"
#: output alternatives for the robustness panel
USPTO = "ncses:SINV-4:uspto_patents"
PCT = "ncses:SINV-11:pct_applications"
#: the window over which the gap must narrow (latest year minus this many years)
CATCHUP_WINDOW = 10
#: China's level as % of the US level must rise by at least this many points to count as
#: catching up; a ratio that did not rise (≤ 0) contradicts it
CATCHUP_PP = 5.0
STAY = "ncses:2-8:us_doctorates_stay_intent:staying_pooled_2017_2023"
STAY_N = "ncses:2-8:us_doctorates_stay_intent:number_pooled_2017_2023"


def _ratio(df: pd.DataFrame) -> pd.Series:
    """China's value as % of the US value, by year (years both report)."""
    wide = df.pivot_table(index="year", columns="country", values="value")
    if not {"CHN", "USA"} <= set(wide.columns):
        raise Missing("no_data", "the series lacks China or the United States.")
    out = (100 * wide["CHN"] / wide["USA"]).dropna()
    out.index = out.index.astype(int)
    return out


def _span(ratio: pd.Series, window: int) -> tuple[int, int] | None:
    """(first, last): the latest year and the nearest year at least ``window`` years before it."""
    last = int(ratio.index.max())
    starts = ratio.index[ratio.index <= last - window]
    return (int(starts.max()), last) if not starts.empty else None


def _catchup_test(key: str, label: str, ratio: pd.Series, window: int) -> Test:
    """Change in China's level as % of the US level over ``window`` years to the latest year
    (from the nearest earlier year the table has when the exact start year is missing)."""
    span = _span(ratio, window)
    if span is None:
        return Test(key, label, None, "pp", Threshold(">=", CATCHUP_PP), Threshold("<=", 0.0),
                    missing=f"no year {window} or more years before {int(ratio.index.max())}")  # fmt: skip
    first, last = span
    return Test(
        key,
        f"{label}, China as % of US, change {first}–{last}",
        float(ratio[last] - ratio[first]),
        "pp",
        Threshold(">=", CATCHUP_PP),
        Threshold("<=", 0.0),
        digits=1,
    )


@register
class CatchUp(Checker):
    """Claim 15: China is catching up with the United States in science and technology."""

    name = "china_catching_up"
    claim_id = "china-catching-up"
    method = (
        "Reads R&D spending (GERD, current PPP dollars, NCSES SRD-1) and the share of each "
        "country's articles among the world's top 1 % most cited (NCSES SPBS-54) for China and "
        f"the US, and measures China's level as % of the US level {CATCHUP_WINDOW} years before "
        "the latest year and in the latest year. Both spending and quality must narrow the gap "
        f"by at least {CATCHUP_PP:.0f} points; a gap that did not narrow on either contradicts."
    )

    def evaluate(self, store: Store) -> Verdict:
        gerd = indicator_series(store, GERD, ["CHN", "USA"], needed_for="R&D spending",
                                loaded_by=LOAD_NCSES)  # fmt: skip
        top = indicator_series(store, TOP1, ["CHN", "USA"], needed_for="top-cited articles",
                               loaded_by=LOAD_NCSES)  # fmt: skip
        r_gerd, r_top = _ratio(gerd), _ratio(top)
        main = [
            _catchup_test("gerd", "R&D spending", r_gerd, CATCHUP_WINDOW),
            _catchup_test("top1", "Top-1 % cited share", r_top, CATCHUP_WINDOW),
        ]
        alternatives: dict[str, list[Test]] = {
            "5-year window": [
                _catchup_test("gerd", "R&D spending", r_gerd, 5),
                _catchup_test("top1", "Top-1 % cited share", r_top, 5),
            ],
            "20-year window": [
                _catchup_test("gerd", "R&D spending", r_gerd, 20),
                _catchup_test("top1", "Top-1 % cited share", r_top, 20),
            ],
        }
        frames = [gerd.assign(series="R&D spending (PPP USD bn)"),
                  top.assign(series="Top-1 % cited share (%)")]  # fmt: skip
        for code, label in ((USPTO, "USPTO patents"), (PCT, "PCT applications")):
            try:
                pat = indicator_series(store, code, ["CHN", "USA"], needed_for=label,
                                       loaded_by=LOAD_NCSES)  # fmt: skip
            except Missing:
                continue
            alternatives[f"{label} instead of top-cited articles"] = [
                main[0],
                _catchup_test("pat", label, _ratio(pat), CATCHUP_WINDOW),
            ]
            frames.append(pat.assign(series=label))
        decision = decide(main, alternatives)
        both = pd.concat(frames, ignore_index=True)
        ratios = pd.concat(
            [r_gerd.rename("R&D spending"), r_top.rename("Top-1 % cited share")], axis=1
        )
        g, t = main
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=(
                f"China's R&D spending went from {_at(r_gerd)} of the US level; its share of "
                f"top-1 % cited articles from {_at(r_top)} of the US share."
            ),
            figures=[
                Figure("gerd_change", g.label, g.estimate, "pp"),
                Figure("top1_change", t.label, t.estimate, "pp"),
                Figure(
                    "gerd_ratio_last",
                    f"China's R&D spending as % of US, {int(r_gerd.index.max())}",
                    float(r_gerd.iloc[-1]),
                    "%",
                ),
                Figure(
                    "top1_ratio_last",
                    f"China's top-1 % share as % of US, {int(r_top.index.max())}",
                    float(r_top.iloc[-1]),
                    "%",
                ),
            ],
            evidence=both,
            provenance_ids=ids(both),
            chart=_ratio_chart(ratios),
            evidence_for=_catchup_for(main),
            evidence_against=_catchup_against(main, r_gerd, r_top),
            design=(
                "Descriptive comparison of levels over a fixed window (no causal claim): China's "
                "level as % of the US level, spending and quality separately."
            ),
        )


def _at(ratio: pd.Series) -> str:
    span = _span(ratio, CATCHUP_WINDOW)
    if span is None:
        return f"{ratio.iloc[-1]:.0f} % in {int(ratio.index.max())}"
    first, last = span
    return f"{ratio[first]:.0f} % in {first} to {ratio[last]:.0f} % in {last}"


def _catchup_for(tests: list[Test]) -> list[str]:
    return [
        f"{t.label}: {t.estimate:+.1f} points (the gap narrowed)."
        for t in tests
        if t.estimate is not None and t.estimate > 0
    ]


def _catchup_against(tests: list[Test], gerd: pd.Series, top: pd.Series) -> list[str]:
    out = [
        f"{t.label}: {t.estimate:+.1f} points (the gap did not narrow)."
        for t in tests
        if t.estimate is not None and t.estimate <= 0
    ]
    if gerd.iloc[-1] < 100:
        out.append(f"China still spends less on R&D than the US ({gerd.iloc[-1]:.0f} % of the US "
                   f"level in {int(gerd.index.max())}, PPP).")  # fmt: skip
    if top.iloc[-1] < 100:
        out.append(f"A smaller share of China's articles is among the top 1 % most cited "
                   f"({top.iloc[-1]:.0f} % of the US share in {int(top.index.max())}).")  # fmt: skip
    out.append("Catching up in these indicators says nothing by itself about a security threat "
               "(see the out-of-scope statement on threats).")  # fmt: skip
    return out


def _ratio_chart(ratios: pd.DataFrame) -> Any:
    long = ratios.reset_index(names="year").melt("year", var_name="series", value_name="value")
    line = year_lines(long.dropna(), y="value", y_title="China as % of the US", color="series",
                      color_title="Indicator", value_format=".0f")  # fmt: skip
    return charts.finish(
        line,
        title="China's R&D spending and top-cited research relative to the US",
        subtitle="China's level as % of the US level (100 = parity)",
        source="NCSES SRD-1 (GERD, PPP) and SPBS-54 (top 1 % cited articles)",
    )


@register
class PersonnelExchanges(Checker):
    """Claim 18: expanding personnel exchanges would benefit both countries."""

    name = "personnel_exchanges"
    claim_id = "personnel-exchanges-benefit"
    method = (
        "The benefit of exchanges to each country is not measured by any staged table; the "
        "decisive part is therefore unverifiable. Shown as evidence: how many Chinese research "
        "doctorate recipients on temporary visas intend to stay in the US (NCSES table 2-8)."
    )

    def evaluate(self, store: Store) -> Verdict:
        stay = indicator_series(store, STAY, ["CHN"], needed_for="stay intentions",
                                loaded_by=LOAD_NCSES)  # fmt: skip
        n = indicator_series(store, STAY_N, ["CHN"], needed_for="stay intentions",
                             loaded_by=LOAD_NCSES)  # fmt: skip
        pct, count = float(stay["value"].iloc[-1]), float(n["value"].iloc[-1])
        benefit = Test(
            "benefit_both", "Benefit of exchanges to the US and to China", None, "",
            Threshold(">", 0), Threshold("<", 0),
            missing=(
                "no staged table measures what exchanges are worth to either country (e.g. "
                "research output or earnings attributable to exchanged students and scholars)."
            ),
        )  # fmt: skip
        both = pd.concat([stay, n], ignore_index=True)
        return Verdict.decided(
            self.claim_id,
            decide([benefit]),
            rationale=(
                f"{pct:.1f} % of the {count:,.0f} Chinese research doctorate recipients on "
                "temporary visas in 2017–23 intended to stay in the US: exchanges add to the US "
                "research workforce; what either country gains is not measured."
            ),
            figures=[
                Figure(
                    "stay_pct",
                    "Chinese US doctorate recipients intending to stay, 2017–23",
                    pct,
                    "%",
                ),
                Figure(
                    "stay_n",
                    "Chinese temporary-visa US doctorate recipients, 2017–23",
                    count,
                    "persons",
                ),
            ],
            evidence=both,
            provenance_ids=ids(both),
            evidence_for=[
                f"{pct:.0f} % of Chinese temporary-visa doctorate recipients (2017–23) intend to "
                "stay in the US, adding to its research workforce."
            ],
            evidence_against=[
                "Stay intentions are not outcomes, and a gain to the US workforce can be a loss "
                "to China's (brain drain): the data do not show a benefit to both."
            ],
            design="No counterfactual is possible with staged data; evidence shown as context.",
        )


@register
class OutOfScope(Checker):
    """Sentences of the debate that no data can test (motives, recommendations, judgements)."""

    name = "out_of_scope"
    claim_id: ClassVar[str] = ""
    #: one checker for many catalog entries (``get_checker(name, claim_id=...)``)
    generic: ClassVar[bool] = True
    method = "Not tested: the sentence is a judgement, a motive or a recommendation."

    def evaluate(self, store: Store) -> Verdict:
        claim = self.claim
        return Verdict.unverifiable(claim.id, "out_of_scope", claim.rule, method=self.method)
