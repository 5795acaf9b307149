"""Checker of claim 7 (tariff incidence): the estimation layer's pass-through estimate and the
duties paid on US imports from China (effective duty rates indicator).

Pass-through to duty-inclusive prices is ``1 + β_P`` where ``β_P`` is the elasticity of the
duty-exclusive unit value to ``1 + τ`` (``techties.models.incidence``).
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import (
    Checker,
    Missing,
    cache_file,
    cache_key,
    data_folder,
    layer,
    register,
    three_way,
)
from techties.claims.verdict import Figure, Verdict
from techties.errors import TechtiesError
from techties.store import Store
from techties.store.core import file_sha256

BASE_YEAR = 2017
PASS_HIGH, PASS_LOW, PASS_CI_BOUND = 0.8, 0.2, 0.5


@register
class TariffIncidence(Checker):
    """Claim 7: US tariff-inclusive import prices rose about one for one with the tariffs."""

    name = "tariff_incidence"
    claim_id = "tariff-cost-on-us"
    method = (
        "Fits the estimation layer's incidence model (ln unit value on ln(1 + Section 301 tariff), "
        "product×partner, product×year and partner×year fixed effects, SEs clustered by product) "
        "on 2015–2021 Comtrade HS6 US imports from China, Vietnam and Mexico; pass-through to "
        "duty-inclusive prices is 1 + β_P. Duties paid on imports from China come from the "
        "effective duty rates indicator (Census). Supported at "
        f"pass-through ≥ {PASS_HIGH} with the 95 % interval above {PASS_CI_BOUND}; contradicted at "
        f"≤ {PASS_LOW}."
    )

    def evaluate(self, store: Store) -> Verdict:
        duties = _duties_paid(store)
        try:
            t, files = _incidence_table()
        except Missing as m:
            if duties is None:
                raise
            v = Verdict.unverifiable(
                self.claim_id, m.reason, m.what + _DUTY_NOTE, method=self.method
            )
            v.figures, v.evidence, v.provenance_ids, v.chart = duties
            return v
        hit = t[t["outcome"] == "unit_value"]
        if hit.empty:
            raise Missing("no_data", "the incidence panel identifies no unit-value response.")
        row: dict[Any, Any] = hit.iloc[0].to_dict()
        # duty-inclusive price elasticity to (1 + τ) = 1 + β_P (models.incidence docstring)
        est, lo, hi = (1 + float(row[k]) for k in ("estimate", "conf_low", "conf_high"))
        status = three_way(est >= PASS_HIGH and lo > PASS_CI_BOUND, est <= PASS_LOW)
        figs = [
            Figure(
                "pass_through", "Pass-through to duty-inclusive prices (1 + β_P)", est, "share", 2
            ),
            Figure("conf_low", "95 % interval, low", lo, "share", 2),
            Figure("conf_high", "95 % interval, high", hi, "share", 2),
        ]
        ids: list[int] = []
        chart = None
        if duties is not None:
            figs += duties[0]
            ids, chart = duties[2], duties[3]
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=(
                f"A 1 % Section 301 tariff raised the tariff-inclusive price of US imports from China "
                f"by {est:.2f} % (95 % interval {lo:.2f} to {hi:.2f}; 1 = full pass-through), from "
                f"{INCIDENCE_YEARS[0]}–{INCIDENCE_YEARS[-1]} HS6 unit values."
            ),
            figures=figs,
            evidence=t,
            provenance_ids=ids,
            files=files,
            chart=chart,
        )


#: Comtrade HS6 US imports from China and two untaxed comparison partners (quantities kept)
INCIDENCE_FLOWS = (
    "us_china.rds", "us_china_2022_24.rds", "us_vietnam_1521.rds", "us_vietnam_2225.rds",
    "us_mexico_1521.rds", "us_mexico_2225.rds",
)  # fmt: skip
INCIDENCE_FOLDER = ("trade-flows", "us-comtrade-hs6-2015-2025")
BOWN_FILE = ("trade-tariffs", "bown", "TrumpTariffs-CHN-hs6.dta")
INCIDENCE_YEARS = range(2015, 2022)


def _incidence_table() -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """The estimation layer's incidence fit on the Comtrade HS6 panel (cached by input hashes)."""
    inc = layer("techties.models.incidence", "incidence", needed_for="tariff pass-through")
    panels = layer("techties.models.panels", "comtrade_flows", needed_for="incidence panel")
    data = data_folder()
    paths = [] if data is None else [data.joinpath(*INCIDENCE_FOLDER, f) for f in INCIDENCE_FLOWS]
    paths += [] if data is None else [data.joinpath(*BOWN_FILE)]
    if data is None or not all(p.is_file() for p in paths):
        raise Missing(
            "no_data",
            "the pass-through estimate needs the Comtrade HS6 files of US imports from China, "
            "Vietnam and Mexico and Bown's TrumpTariffs-CHN-hs6.dta in the data folder "
            "(pass --data DIR).",
        )
    files = [
        {"source": "incidence panel", "location": str(p), "sha256": file_sha256(p)} for p in paths
    ]
    key = cache_key(
        "incidence",
        [f["sha256"] for f in files],
        ["techties.models.incidence", "techties.models.panels"],
    )
    cached = cache_file("incidence", key)
    if cached.is_file():
        return pd.read_parquet(cached), files
    mod = importlib.import_module("techties.models.incidence")
    pan = importlib.import_module("techties.models.panels")
    fl = panels(paths[:-1])
    fl = fl[fl["period"] <= INCIDENCE_YEARS[-1]]
    tar = mod.bown_annual_tariff(paths[-1], INCIDENCE_YEARS)
    panel = mod.comtrade_incidence_panel(pan.stable_codes(fl), tar)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = inc(panel, panel_name="comtrade_hs6_annual").tidy()
    cached.parent.mkdir(parents=True, exist_ok=True)
    t.to_parquet(cached)
    return t, files


_DUTY_NOTE = " The duties paid on imports from China are shown; they say how much was collected, not who bore it."


def _duties_paid(store: Store) -> tuple[list[Figure], pd.DataFrame, list[int], Any] | None:
    """Calculated duties on US imports from China and the world by full year (None if absent)."""
    try:
        edr = layer("techties.indicators.exposure", "effective_duty_rates", needed_for="duties")
        found = store.df(
            "SELECT source, classification FROM trade_flows WHERE reporter = 'USA' "
            "AND flow = 'import' AND partner = 'CHN' AND duties_usd IS NOT NULL GROUP BY ALL "
            "ORDER BY count(DISTINCT year) DESC, source LIMIT 1"
        )
        if found.empty:
            return None
        source, cls = str(found["source"].iloc[0]), str(found["classification"].iloc[0])
        res = edr(store, reporter="USA", flow="import", source=source, classification=cls,
                  level=0, partners=["CHN", "WLD"])  # fmt: skip
    except (Missing, TechtiesError):
        return None
    full = set(
        store.df(
            "SELECT year FROM trade_flows WHERE source = ? AND reporter = 'USA' AND partner = 'CHN' "
            "GROUP BY year HAVING bool_or(month IS NULL) OR count(DISTINCT month) = 12",
            [source],
        )["year"]
    )
    t = res.tidy()
    t = t[t["month"].isna() & t["year"].isin(full)].copy()
    t["duties_bn"] = t["duties_usd"] / 1e9
    chn = t[t["partner"] == "CHN"].set_index("year")
    if chn.empty or BASE_YEAR not in chn.index:
        return None
    last = int(chn.index.max())
    peak = int(chn["duties_bn"].idxmax())
    figs = [
        Figure("duties_peak", f"Duties paid on imports from China {peak}", chn.at[peak, "duties_bn"], "USD bn"),
        Figure("duties_base", f"Duties paid on imports from China {BASE_YEAR}", chn.at[BASE_YEAR, "duties_bn"], "USD bn"),
        Figure("rate_base", f"Effective duty rate on China {BASE_YEAR}", 100 * chn.at[BASE_YEAR, "duty_rate"], "%"),
        Figure("rate_last", f"Effective duty rate on China {last}", 100 * chn.at[last, "duty_rate"], "%"),
    ]  # fmt: skip
    data = t.assign(who=t["partner"].map({"CHN": "China", "WLD": "All partners"}))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("duties_bn:Q", title="Calculated duties (USD bn)"),
            color=alt.Color(
                "who:N",
                title=None,
                sort=["All partners", "China"],
                scale=alt.Scale(
                    domain=["All partners", "China"], range=[charts.PALETTE[2], charts.PALETTE[0]]
                ),
            ),
            xOffset=alt.XOffset("who:N", sort=["All partners", "China"]),
            tooltip=["year", "who", alt.Tooltip("duties_bn:Q", format=",.1f")],
        )
    )
    chart = charts.finish(
        chart,
        title="Duties paid on US imports",
        subtitle="Calculated duties, USD bn, full years",
        source=f"US Census ({source}), imports for consumption",
    )
    return figs, t, list(res.provenance_ids), chart
