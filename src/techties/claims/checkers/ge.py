"""Checkers on general-equilibrium counterfactuals (claims 1, 8, 11), via the simulation layer.

They run named scenarios of the simulation layer's YAML library (``Scenario.run(draws=)``) and
read the first welfare measure by country (multi-sector: ``real_income_change``, the exact
Î/P̂ − 1 in %) and its equal-tailed 90 % band over draws from the result's ``tidy()``; they compute
nothing else. GE baselines are read from the data folder, not the store, so their files are
listed with their sha256 in :attr:`Verdict.files`.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from techties import __version__, charts, config
from techties.claims.base import Checker, Missing, data_folder, layer, register, three_way
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError, TechtiesError
from techties.store import Store
from techties.store.core import file_sha256

TARIFF_SCENARIO = "uschina_escalation"
CHIP_SCENARIO = "chip_export_controls"
LIFT_SCENARIOS = ("uschina_lift_all", "chip_export_controls_removal")
WELFARE_EPS_PCT = 0.01
#: draws for the uncertainty band of claim 11 (90 % equal-tailed band = 5th–95th percentile)
DRAWS = 16
ALLIES = ("JPN", "KOR", "NLD")
#: context for claim 8: the allies' chip exports to the world since the October 2022 controls
ALLY_BASE_YEAR = 2022
#: reader-facing names of the scenarios
LABELS = {
    TARIFF_SCENARIO: "2018–19 tariff escalation",
    CHIP_SCENARIO: "chip export controls",
    "uschina_lift_all": "lifting the extra tariffs",
    "chip_export_controls_removal": "lifting the chip controls",
}
BASELINE_FOLDERS = {
    "eora2017": ("trade-ge-baseline", "eora26-cp2017"),
    "cp2015": ("trade-cp2015",),
}


def scenario_path(name: str) -> Path:
    """The YAML file of a named scenario in the simulation layer's library."""
    try:
        folder = resources.files("techties.simulation").joinpath("scenarios")
    except ModuleNotFoundError:
        raise Missing("not_yet", "the simulation layer has not landed yet.") from None
    path = Path(str(folder)) / f"{name}.yaml"
    if not path.is_file():
        raise Missing("not_yet", f"scenario {name!r} is not in the scenario library yet.")
    return path


def run_scenario(name: str, *, draws: int = 0) -> tuple[pd.DataFrame, list[dict[str, str]], str]:
    """Welfare by country (``country, welfare_pct[, p_low, p_high]``), input files, baseline."""
    scenario_cls = layer(
        "techties.simulation.scenario", "Scenario", needed_for=f"GE scenario {name!r}"
    )
    sc = scenario_cls.from_yaml(scenario_path(name))
    data = data_folder()
    if data is None or not data.is_dir():
        raise Missing(
            "no_data",
            f"GE scenario {name!r} needs the staged data folder (baseline {sc.baseline}); "
            "pass --data DIR or set TECHTIES_DATA.",
        )
    files = baseline_files(sc.baseline, Path(data))
    cached = _cache_path(name, draws, files)
    if cached.is_file():
        out = pd.read_parquet(cached)
    else:
        out = _solve(sc, name, draws, Path(data))
        cached.parent.mkdir(parents=True, exist_ok=True)
        out.to_parquet(cached)
    out["scenario"] = name
    out["scenario_label"] = LABELS.get(name, name)
    return out, files, sc.baseline


def _solve(sc: Any, name: str, draws: int, data: Path) -> pd.DataFrame:
    try:
        res = sc.run(draws=draws, data=data, workers=2) if draws else sc.run(data=data)
    except NoDataError as exc:
        raise Missing("no_data", f"scenario {name!r}: {exc.message}") from None
    except TechtiesError as exc:
        raise Missing("not_yet", f"scenario {name!r} does not run yet: {exc.message}") from None
    t = res.tidy()
    key = res.measures[0]
    out = pd.DataFrame({"country": t["country"], "welfare_pct": t[key].astype(float)})
    if f"{key}_low" in t:
        out["p_low"] = t[f"{key}_low"].astype(float)
        out["p_high"] = t[f"{key}_high"].astype(float)
    return out


def _cache_path(name: str, draws: int, files: list[dict[str, str]]) -> Path:
    """Cache file of a scenario result: keyed by the scenario YAML, draws, baseline hashes and
    the simulation code (so a changed input or solver gives a new key)."""
    h = hashlib.sha256()
    h.update(scenario_path(name).read_bytes())
    h.update(f"{draws}|{__version__}".encode())
    for f in files:
        h.update(f["sha256"].encode())
    for mod in ("scenario", "mc_multisector", "caliendo_parro"):
        src = Path(str(resources.files("techties.simulation").joinpath(f"{mod}.py")))
        if src.is_file():
            h.update(src.read_bytes())
    return Path(config.get("cache") or ".") / "ge" / f"{name}-{h.hexdigest()[:16]}.parquet"


def baseline_files(baseline: str, data: Path) -> list[dict[str, str]]:
    """Files of a GE baseline in the data folder, with their sha256."""
    folder = data.joinpath(*BASELINE_FOLDERS.get(baseline, ()))
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    return [
        {"source": f"baseline {baseline}", "location": str(p), "sha256": file_sha256(p)}
        for p in files
    ]


def _welfare(df: pd.DataFrame, country: str) -> float:
    hit = df.loc[df["country"] == country, "welfare_pct"]
    if hit.empty:
        raise Missing("no_data", f"the GE baseline has no result for {country}.")
    return float(hit.iloc[0])


def _bars(df: pd.DataFrame, title: str, *, band: bool = False) -> Any:
    data = df[df["country"].isin(["USA", "CHN", *ALLIES])]
    base = alt.Chart(data).encode(
        y=alt.Y("country:N", title=None, sort=["USA", "CHN", *ALLIES]),
        yOffset=alt.YOffset("scenario_label:N"),
    )
    bars = base.mark_bar().encode(
        x=alt.X("welfare_pct:Q", title="Change in real income (%)"),
        color=alt.Color("scenario_label:N", title="Scenario", legend=alt.Legend(labelLimit=400)),
        tooltip=["scenario_label", "country", alt.Tooltip("welfare_pct:Q", format=".3f")],
    )
    layers = bars
    if band and "p_low" in data:
        layers = bars + base.mark_rule(color="#222").encode(x="p_low:Q", x2="p_high:Q")
    return charts.finish(
        layers,
        title=title,
        subtitle="Exact change in real income Î/P̂ − 1, %"
        + (" (lines: 90 % band over draws)" if band else ""),
        source="techties Caliendo–Parro simulation on the Eora26 2017 baseline",
        height=260,
    )


def _rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


@register
class GeRestrictions(Checker):
    """Claim 1: the tariff escalation and the chip controls lower welfare in both US and China."""

    name = "ge_restrictions"
    claim_id = "restrictions-hurt-both"
    method = (
        f"Runs the simulation layer's scenarios {TARIFF_SCENARIO!r} and {CHIP_SCENARIO!r} "
        "(Caliendo–Parro multi-sector GE, Eora26 2017 baseline) and reads the exact change in real "
        f"income of the US and China. Changes beyond ±{WELFARE_EPS_PCT} % count as losses or gains."
    )

    def evaluate(self, store: Store) -> Verdict:
        runs = [run_scenario(n) for n in (TARIFF_SCENARIO, CHIP_SCENARIO)]
        df = _rows([r[0] for r in runs])
        names = (TARIFF_SCENARIO, CHIP_SCENARIO)
        vals = {(s, c): _welfare(df[df["scenario"] == s], c) for s in names for c in ("USA", "CHN")}
        all_neg = all(v < -WELFARE_EPS_PCT for v in vals.values())
        gainer = any(all(vals[(s, c)] > WELFARE_EPS_PCT for s in names) for c in ("USA", "CHN"))
        return Verdict(
            self.claim_id,
            three_way(all_neg, gainer),  # type: ignore[arg-type]
            rationale="; ".join(f"{c} {v:+.3f} % under {LABELS[s]}" for (s, c), v in vals.items()),
            figures=[
                Figure(f"{c}_{s}", f"{c}, {LABELS[s]}", v, "% change", 3)
                for (s, c), v in vals.items()
            ],
            evidence=df,
            files=runs[0][1],
            chart=_bars(df, "Real-income effects of the restrictions"),
        )


@register
class ChipControlsAllies(Checker):
    """Claim 8: chip export controls cost Japan, Korea and the Netherlands (GE welfare)."""

    name = "chip_controls_allies"
    claim_id = "chip-controls-hurt-allies"
    method = (
        f"Runs the simulation layer's scenario {CHIP_SCENARIO!r} (Caliendo–Parro GE, Eora26 2017) "
        "and reads the change in real income of Japan, Korea and the Netherlands. Bilateral "
        "chip-equipment exports to China by year were not found in the staged data, so the rule "
        "uses the model only; their HS 8542 exports to the world (Comtrade) are shown as context."
    )

    def evaluate(self, store: Store) -> Verdict:
        df, files, _ = run_scenario(CHIP_SCENARIO)
        vals = {c: _welfare(df, c) for c in ALLIES}
        status = three_way(all(v < 0 for v in vals.values()), all(v >= 0 for v in vals.values()))
        context, ids, note = _ally_chip_exports(store)
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale="; ".join(f"{c} {v:+.3f} %" for c, v in vals.items()) + note,
            figures=[
                Figure(c, f"{c} change in real income", v, "% change", 3) for c, v in vals.items()
            ]
            + context,
            evidence=df,
            files=files,
            provenance_ids=ids,
            chart=_bars(df, "Real-income effects of the chip export controls"),
        )


def _ally_chip_exports(store: Store) -> tuple[list[Figure], list[int], str]:
    """Context, not part of the rule: HS 8542 exports to the WORLD of Japan, Korea and the
    Netherlands, change from 2022 (the controls' year) to the latest year all three report
    (``100 · (X[c, t1] / X[c, 2022] − 1)``, UN Comtrade, current US$)."""
    if not store.has_table("trade_flows"):
        return [], [], ""
    where = (
        "source IN ('comtrade', 'comtrade_latin1') AND flow = 'export' AND partner = 'WLD' "
        "AND product_code = '8542' AND month IS NULL AND reporter IN (SELECT unnest(?))"
    )
    params: list[object] = [list(ALLIES)]
    x = store.df(
        f"SELECT reporter, year, sum(value_usd) AS v FROM trade_flows WHERE {where} GROUP BY ALL",
        params,
    )
    full = x.groupby("year")["reporter"].nunique()
    years = [int(y) for y in full[full == len(ALLIES)].index if y >= ALLY_BASE_YEAR]
    if ALLY_BASE_YEAR not in years or max(years) == ALLY_BASE_YEAR:
        return [], [], ""
    last = max(years)
    v = x.set_index(["reporter", "year"])["v"]
    figs = [
        Figure(f"{c}_chip_exports_world_change",
               f"{c} HS 8542 exports to the world, {ALLY_BASE_YEAR}–{last} (context)",
               100 * (float(v[(c, last)]) / float(v[(c, ALLY_BASE_YEAR)]) - 1), "% change")
        for c in ALLIES
    ]  # fmt: skip
    ids = store.df(f"SELECT DISTINCT provenance_id FROM trade_flows WHERE {where}", params)
    note = (
        ". Context, not part of the rule: HS 8542 exports to the world changed "
        + ", ".join(f"{f.label.split()[0]} {f.value:+.1f} %" for f in figs)
        + f" from {ALLY_BASE_YEAR} to {last} (Comtrade; exports to China are not staged)."
    )
    return figs, sorted(int(i) for i in ids["provenance_id"]), note


@register
class GeLifting(Checker):
    """Claim 11: removing the restrictions raises welfare in both countries (with draws)."""

    name = "ge_lifting"
    claim_id = "lifting-restrictions-benefits-both"
    method = (
        f"Runs the simulation layer's scenarios {', '.join(map(repr, LIFT_SCENARIOS))} with {DRAWS} "
        "draws of the trade elasticities (and covered shares) and reads the central change in real "
        "income of the US and China with its 90 % band (5th–95th percentile). Supported if every "
        "lower bound is above 0; contradicted if any upper bound is below 0."
    )

    def evaluate(self, store: Store) -> Verdict:
        runs = [run_scenario(n, draws=DRAWS) for n in LIFT_SCENARIOS]
        df = _rows([r[0] for r in runs])
        rows = df[df["country"].isin(["USA", "CHN"])]
        if len(rows) < 2 * len(LIFT_SCENARIOS) or "p_low" not in rows:
            raise Missing("no_data", "the removal scenarios lack the US, China or the draw band.")
        status = three_way(bool((rows["p_low"] > 0).all()), bool((rows["p_high"] < 0).any()))
        recs: list[dict[Any, Any]] = rows.to_dict("records")
        figs = [
            Figure(f"{r['country']}_{r['scenario']}", f"{r['country']}, {LABELS[r['scenario']]}",
                   float(r["welfare_pct"]), "% change", 3)
            for r in recs
        ] + [
            Figure(f"{r['country']}_{r['scenario']}_low",
                   f"{r['country']}, {LABELS[r['scenario']]}, 5th percentile", float(r["p_low"]), "% change", 3)
            for r in recs
        ]  # fmt: skip
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale="; ".join(
                f"{r['country']} {r['welfare_pct']:+.3f} % [{r['p_low']:+.3f}, {r['p_high']:+.3f}] "
                f"({LABELS[r['scenario']]})"
                for r in recs
            ),
            figures=figs,
            evidence=df,
            files=runs[0][1],
            chart=_bars(df, "Real-income effects of lifting the restrictions", band=True),
        )
