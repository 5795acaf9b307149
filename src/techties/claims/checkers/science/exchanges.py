"""Claim 14: US–China research exchanges and IP trade are complementary and mutually beneficial
(the flows are measured; what each side gains is not staged)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, pct_change, register
from techties.claims.checkers._evidence import ids, indicator_series, year_lines
from techties.claims.checkers.science._common import (
    LOAD_NCSES,
    LOAD_OPENALEX,
    LOAD_WDI,
    _name,
    _verdict,
)
from techties.claims.rules import Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

COAUTHORED = "ncses:SPBS-35:intl_coauthored"
OPENALEX_PAIR = "openalex:coauthored_works"
TOP1PCT = "ncses:SPBS-54:top1pct_share"
IP_RECEIPTS = "BX.GSR.ROYL.CD"
IP_PAYMENTS = "BM.GSR.ROYL.CD"
#: US–China co-authored articles as a share of each side's internationally co-authored articles
COLLAB_SUPPORT_PCT = 10.0
COLLAB_CONTRADICT_PCT = 5.0
COLLAB_YEAR, COLLAB_EARLY = 2022, 2003
#: IP charges: growth of US receipts and China's payments from this year (alternative: 2017)
IP_BASE, IP_BASE_ALT = 2010, 2017
IP_GROWTH_PCT = 10.0
BENEFIT_US_MISSING = (
    "What the United States gains from the exchanges is not measured: US receipts for the use "
    "of IP from China (bilateral, BEA) and the citation impact of US–China co-authored articles "
    "against US domestic articles are not staged; WDI charges for IP are against the whole "
    "world and NCSES top-1 % shares (SPBS-54) are by country, not by co-authorship."
)
BENEFIT_CN_MISSING = (
    "What China gains is not measured either: its payments for US (not world) IP, and the "
    "citation impact of its US co-authored articles against its domestic ones, are not staged."
)


def _pair(store: Store, indicator: str, country: str, partner: str, loaded_by: str) -> pd.DataFrame:
    return indicator_series(
        store, indicator, [country], partner=partner, needed_for="US–China co-authorship",
        loaded_by=loaded_by,
    )  # fmt: skip


def _at(df: pd.DataFrame, year: int) -> float | None:
    hit = df.loc[df["year"] == year, "value"]
    return None if hit.empty or pd.isna(hit.iloc[0]) else float(hit.iloc[0])


def _collab_test(
    pair: pd.DataFrame, us_world: pd.DataFrame, cn_world: pd.DataFrame, year: int
) -> tuple[Test, float | None, float | None]:
    n, us, cn = _at(pair, year), _at(us_world, year), _at(cn_world, year)
    label = (
        f"US–China co-authored articles, smaller of their shares of the US's and China's "
        f"internationally co-authored articles ({year})"
    )
    sup, con = Threshold(">=", COLLAB_SUPPORT_PCT), Threshold("<", COLLAB_CONTRADICT_PCT)
    if n is None or not us or not cn:
        return (
            Test("collaboration", label, None, "%", sup, con,
                 missing=f"NCSES SPBS-35 has no US–China pair and totals for {year}"),
            None, None,
        )  # fmt: skip
    s_us, s_cn = 100 * n / us, 100 * n / cn
    return (
        Test("collaboration", label, min(s_us, s_cn), "%", sup, con, neutral=0.0, digits=1),
        s_us,
        s_cn,
    )


def _ip_test(us_rec: pd.DataFrame, cn_pay: pd.DataFrame, base: int) -> Test:
    us = us_rec.sort_values("year")
    cn = cn_pay.sort_values("year")
    label = (
        f"Proxy: charges for IP, smaller growth of US receipts and China's payments since {base} "
        "(against the world, not bilateral)"
    )
    sup, con = Threshold(">=", IP_GROWTH_PCT), Threshold("<=", -IP_GROWTH_PCT)
    a, b = _at(us, base), _at(cn, base)
    if a is None or b is None or us.empty or cn.empty:
        return Test("ip_flows", label, None, "%", sup, con, missing=f"no IP charges for {base}")
    g_us = pct_change(float(us["value"].iloc[-1]), a)
    g_cn = pct_change(float(cn["value"].iloc[-1]), b)
    return Test("ip_flows", label, min(g_us, g_cn), "%", sup, con, digits=1)


def _ip_series(store: Store, frames: list[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """WDI charges for the use of IP (US and China, receipts and payments) that are staged,
    by key; each is also appended to ``frames`` (the evidence)."""
    ip: dict[str, pd.DataFrame] = {}
    for key, code, c in (
        ("us_rec", IP_RECEIPTS, "USA"),
        ("cn_pay", IP_PAYMENTS, "CHN"),
        ("cn_rec", IP_RECEIPTS, "CHN"),
        ("us_pay", IP_PAYMENTS, "USA"),
    ):
        try:
            ip[key] = indicator_series(
                store, code, [c], needed_for="IP charges", loaded_by=LOAD_WDI
            )
            frames.append(ip[key].assign(series=f"{code} {c}"))
        except Missing:
            continue  # fmt: skip
    return ip


def _necessary_alternatives(
    t_collab: Test, t_early: Test, ip: dict[str, pd.DataFrame]
) -> dict[str, list[Test]]:
    """The robustness panel: the necessary conditions alone (two-way co-authorship and IP
    growth), with another IP base year, the early co-authorship year and moved thresholds."""
    if "us_rec" in ip and "cn_pay" in ip:
        t_ip = _ip_test(ip["us_rec"], ip["cn_pay"], IP_BASE)
        t_ip_alt = _ip_test(ip["us_rec"], ip["cn_pay"], IP_BASE_ALT)
    else:
        t_ip = t_ip_alt = Test(
            "ip_flows", "Proxy: charges for IP", None, "%", Threshold(">=", IP_GROWTH_PCT),
            Threshold("<=", -IP_GROWTH_PCT), missing="WDI charges for IP are not in the store",
        )  # fmt: skip
    necessary = [t_collab, t_ip]
    alternatives = {
        "proxy: necessary conditions only (exchange both ways; benefit not measured)":
            necessary,
        f"proxy: necessary conditions, IP growth since {IP_BASE_ALT}": [t_collab, t_ip_alt],
        f"proxy: necessary conditions, co-authorship in {COLLAB_EARLY}": [t_early, t_ip],
    }  # fmt: skip
    if all(t.estimate is not None for t in necessary):
        for f in (0.5, 1.5):
            alternatives[f"proxy: necessary conditions, thresholds × {f:g}"] = [
                t.moved(f) for t in necessary
            ]
    return alternatives


def _context_series(
    store: Store, pair: pd.DataFrame, frames: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Context (not decisive): OpenAlex US–China pair counts and NCSES top-1 % shares (empty
    when not staged); each staged one is also appended to ``frames``."""
    try:
        oa = _pair(store, OPENALEX_PAIR, "USA", "CHN", LOAD_OPENALEX)
        frames.append(oa.assign(series="OpenAlex US–China works"))
    except Missing:
        oa = pd.DataFrame(columns=pair.columns)
    try:
        top = indicator_series(store, TOP1PCT, ["CHN", "USA"], needed_for="impact",
                               loaded_by=LOAD_NCSES)  # fmt: skip
        frames.append(top.assign(series="top-1 % share"))
    except Missing:
        top = pd.DataFrame(columns=pair.columns)
    return oa, top


@register
class ResearchExchanges(Checker):
    """Claim 14: US–China research exchanges and IP trade are complementary and mutually
    beneficial."""

    name = "research_exchanges"
    claim_id = "exchanges-mutually-beneficial"
    method = (
        "Measures whether the exchange runs both ways and is large for both sides: US–China "
        f"co-authored articles as a share of each country's internationally co-authored articles "
        f"(NCSES SPBS-35, {COLLAB_YEAR}), with OpenAlex yearly pair counts and WDI charges for "
        "the use of IP (US receipts, China's payments) as context. What each side gains (bilateral "
        "IP income, citation impact of co-authored against domestic work) is not staged, so the "
        "benefit parts are unverifiable and the verdict with them; the panel shows the necessary "
        "conditions alone."
    )

    def evaluate(self, store: Store) -> Verdict:
        pair = _pair(store, COAUTHORED, "USA", "CHN", LOAD_NCSES)
        us_world = _pair(store, COAUTHORED, "USA", "WLD", LOAD_NCSES)
        cn_world = _pair(store, COAUTHORED, "CHN", "WLD", LOAD_NCSES)
        t_collab, s_us, s_cn = _collab_test(pair, us_world, cn_world, COLLAB_YEAR)
        t_early, e_us, e_cn = _collab_test(pair, us_world, cn_world, COLLAB_EARLY)
        benefit_us = Test(
            "benefit_us", "What the US gains (bilateral IP income, impact of co-authored work)",
            None, "", Threshold(">", 0.0), Threshold("<=", 0.0), missing=BENEFIT_US_MISSING,
        )  # fmt: skip
        benefit_cn = Test(
            "benefit_china", "What China gains (US IP bought, impact of co-authored work)",
            None, "", Threshold(">", 0.0), Threshold("<=", 0.0), missing=BENEFIT_CN_MISSING,
        )  # fmt: skip
        frames = [pair, us_world, cn_world]
        ip = _ip_series(store, frames)
        alternatives = _necessary_alternatives(t_collab, t_early, ip)
        decision = decide([t_collab, benefit_us, benefit_cn], alternatives)
        oa, top = _context_series(store, pair, frames)
        evidence = pd.concat(
            [f if "series" in f else f.assign(series=COAUTHORED) for f in frames],
            ignore_index=True,
        )
        figs, ev_for, ev_against = self._figures(pair, s_us, s_cn, e_us, e_cn, oa, ip, top)
        share_text = (
            f"US–China co-authored articles were {s_us:.1f} % of the US's and {s_cn:.1f} % of "
            f"China's internationally co-authored articles in {COLLAB_YEAR}"
            if s_us is not None and s_cn is not None
            else f"the US–China co-authorship shares for {COLLAB_YEAR} are not in the store"
        )
        return _verdict(
            self.claim_id,
            decision,
            rationale=(
                f"{share_text[0].upper()}{share_text[1:]}: the exchange runs both ways and is "
                "large for both. Whether it is mutually beneficial cannot be measured with the "
                "staged data: what each side gains (bilateral IP income, the citation impact of "
                "co-authored against domestic work) is not staged."
            ),
            figures=figs,
            evidence=evidence,
            provenance_ids=ids(evidence),
            chart=_exchange_chart(oa, ip),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                "Descriptive, necessary conditions only: two-way co-authorship shares and IP "
                "charges; benefit to each side would need bilateral IP income and citation "
                "impact by co-authorship, which are not staged."
            ),
        )

    @staticmethod
    def _figures(
        pair: pd.DataFrame,
        s_us: float | None,
        s_cn: float | None,
        e_us: float | None,
        e_cn: float | None,
        oa: pd.DataFrame,
        ip: dict[str, pd.DataFrame],
        top: pd.DataFrame,
    ) -> tuple[list[Figure], list[str], list[str]]:
        figs, ev_for, ev_against = _collab_figures(pair, s_us, s_cn, e_us, e_cn)
        oa_figs, oa_against = _openalex_figures(oa)
        ip_figs, ip_for = _ip_figures(ip)
        figs += oa_figs + ip_figs + _top_figures(top)
        ev_for += ip_for
        ev_against += oa_against
        ev_against.append(
            "Flows are not benefits: no staged series shows what each side gains (bilateral IP "
            "income, the citation impact of US–China work against each country's domestic work), "
            "so mutual benefit is neither shown nor ruled out."
        )
        return figs, ev_for, ev_against


def _collab_figures(
    pair: pd.DataFrame,
    s_us: float | None,
    s_cn: float | None,
    e_us: float | None,
    e_cn: float | None,
) -> tuple[list[Figure], list[str], list[str]]:
    """Co-authorship counts and shares (NCSES SPBS-35), and the sentence on their size."""
    figs: list[Figure] = []
    ev_for: list[str] = []
    ev_against: list[str] = []
    n, n0 = _at(pair, COLLAB_YEAR), _at(pair, COLLAB_EARLY)
    if n is not None:
        figs.append(Figure("coauthored", f"US–China co-authored articles {COLLAB_YEAR}", n,
                           "articles"))  # fmt: skip
    if n0 is not None:
        figs.append(Figure("coauthored_early", f"US–China co-authored articles "
                           f"{COLLAB_EARLY}", n0, "articles"))  # fmt: skip
    if s_us is not None and s_cn is not None:
        figs += [
            Figure("share_us", f"China's share of US international articles {COLLAB_YEAR}",
                   s_us, "%"),
            Figure("share_china", f"US share of China's international articles "
                   f"{COLLAB_YEAR}", s_cn, "%"),
        ]  # fmt: skip
        early = (
            f" (from {e_us:.1f} % and {e_cn:.1f} % in {COLLAB_EARLY})"
            if e_us is not None and e_cn is not None
            else ""
        )
        text = (
            f"Each country is a large co-authoring partner of the other: {s_us:.1f} % of the "
            f"US's and {s_cn:.1f} % of China's international articles in {COLLAB_YEAR} were "
            f"US–China{early}."
        )
        (ev_for if min(s_us, s_cn) >= COLLAB_SUPPORT_PCT else ev_against).append(text)
    return figs, ev_for, ev_against


def _openalex_figures(oa: pd.DataFrame) -> tuple[list[Figure], list[str]]:
    """OpenAlex pair counts at their peak and latest year, and (against) a fall since the peak."""
    figs: list[Figure] = []
    ev_against: list[str] = []
    if not oa.empty:
        s = oa.set_index("year")["value"]
        peak_year = int(s.index[int(np.argmax(s.to_numpy()))])
        last = int(s.index.max())
        figs += [
            Figure("openalex_peak", f"US–China co-authored works, peak {peak_year} "
                   "(OpenAlex)", float(s[peak_year]), "count"),
            Figure("openalex_last", f"US–China co-authored works {last} (OpenAlex)",
                   float(s[last]), "count"),
        ]  # fmt: skip
        if last > peak_year:
            ev_against.append(
                f"US–China co-authored works peaked in {peak_year} ({s[peak_year]:,.0f}, "
                f"OpenAlex) and were {pct_change(float(s[last]), float(s[peak_year])):+.0f} "
                f"% lower by {last}: the exchange has been shrinking."
            )
    return figs, ev_against


def _ip_figures(ip: dict[str, pd.DataFrame]) -> tuple[list[Figure], list[str]]:
    """Charges for the use of IP (against the world), and (for) their growth since IP_BASE."""
    figs: list[Figure] = []
    ev_for: list[str] = []
    if "us_rec" in ip and "cn_pay" in ip:
        us, cn = ip["us_rec"].sort_values("year"), ip["cn_pay"].sort_values("year")
        yu, yc = int(us["year"].iloc[-1]), int(cn["year"].iloc[-1])
        figs += [
            Figure("us_ip_receipts", f"US receipts for the use of IP {yu} (world)",
                   float(us["value"].iloc[-1]) / 1e9, "USD bn"),
            Figure("china_ip_payments", f"China's payments for the use of IP {yc} (world)",
                   float(cn["value"].iloc[-1]) / 1e9, "USD bn"),
        ]  # fmt: skip
        a, b = _at(us, IP_BASE), _at(cn, IP_BASE)
        if a and b:
            ev_for.append(
                f"IP is traded at scale: US receipts for the use of IP grew "
                f"{pct_change(float(us['value'].iloc[-1]), a):+.0f} % since {IP_BASE} and "
                f"China's payments {pct_change(float(cn['value'].iloc[-1]), b):+.0f} % "
                "(against the world, not bilateral)."
            )
    if "cn_rec" in ip:
        cr = ip["cn_rec"].sort_values("year")
        figs.append(Figure("china_ip_receipts", f"China's receipts for the use of IP "
                           f"{int(cr['year'].iloc[-1])} (world)",
                           float(cr["value"].iloc[-1]) / 1e9, "USD bn"))  # fmt: skip
    return figs, ev_for


def _top_figures(top: pd.DataFrame) -> list[Figure]:
    """Each country's share of its articles in the world's top 1 % cited (NCSES SPBS-54)."""
    figs: list[Figure] = []
    if not top.empty:
        for c in ("CHN", "USA"):
            sc = top[top["country"] == c].sort_values("year")
            if not sc.empty:
                figs.append(Figure(f"top1pct_{c.lower()}", f"{_name(c)}: share of its "
                                   f"articles in the world's top 1 % cited "
                                   f"{int(sc['year'].iloc[-1])}",
                                   float(sc["value"].iloc[-1]), "%", 2))  # fmt: skip
    return figs


def _exchange_chart(oa: pd.DataFrame, ip: dict[str, pd.DataFrame]) -> Any:
    parts = []
    if not oa.empty:
        parts.append(oa.assign(series="US–China co-authored works (OpenAlex)"))
    labels = {"us_rec": "US receipts for the use of IP", "cn_pay": "China's payments for IP"}
    for key, label in labels.items():
        if key in ip:
            parts.append(ip[key].assign(series=label))
    if not parts:
        return None
    df = pd.concat(parts, ignore_index=True)
    df = df[df["year"] >= IP_BASE]
    base = df[df["year"] == IP_BASE].set_index("series")["value"]
    df = df[df["series"].isin(base.index)]
    df = df.assign(index=100 * df["value"] / df["series"].map(base))
    chart = year_lines(
        df, y="index", y_title=f"Index, {IP_BASE} = 100", color="series", color_title="Series",
        value_format=",.0f",
    )  # fmt: skip
    return charts.finish(
        chart,
        title="US–China research exchange and IP charges",
        subtitle=f"Index, {IP_BASE} = 100 (IP charges are against the world, not bilateral)",
        source="OpenAlex (bavla/OpenAlex WrldCo); World Bank WDI BX/BM.GSR.ROYL.CD",
    )
