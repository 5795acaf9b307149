"""The run log of a scenario: what was applied, stated against the baseline it was applied to.

:func:`applied_steps` turns a scenario and its baseline into the lines
:class:`~techties.simulation.mc_multisector.ScenarioResult` records in ``steps``: each shock with
its sectors resolved (the ``goods`` default named, or "the whole bilateral flow" on one-sector
baselines), the elasticities used and where they came from, the trade-imbalance closure and what
each welfare measure means. Names are resolved by :mod:`techties.simulation.shock_inputs`, so
the log cannot disagree with the inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from techties.simulation.shock_inputs import (
    control_flow_factor,
    country_indices,
    sector_indices,
)
from techties.simulation.shocks import (
    CoefficientShock,
    Elasticities,
    ExportControlShock,
    Names,
    PairGroup,
    Shock,
    TariffShock,
    fmt_number,
    show_names,
)

if TYPE_CHECKING:
    from techties.simulation.caliendo_parro import MultiSectorBaseline

#: what the one-sector engine's shocks cover
WHOLE_FLOW = "the whole bilateral flow (one sector)"

WELFARE_MULTISECTOR = (
    "welfare measures: real_income_change is the exact Î/P̂ − 1 (income = value added + tariff "
    "revenue + deficit, Cobb–Douglas CPI); welfare_cp is Caliendo–Parro's first-order terms of "
    "trade + volume of trade at baseline weights, which misses the deadweight loss of large "
    "tariff changes (the volume-of-trade term weights lost imports at the baseline tariff) and "
    "the direct cost of iceberg shocks (export controls, coefficients), so the two can differ "
    "in sign; docs/simulation.md, 'Welfare measures'"
)
WELFARE_ONESECTOR = (
    "welfare measures: welfare_pct is Ê/P̂ − 1 (real expenditure incl. tariff revenue, "
    "ge_gravity's Ŵ); real_gdp_pct is Ŷ/P̂ − 1 (the Advanced Guide's real GDP)"
)


def applied_steps(sc: Any, base: Any) -> list[str]:
    """The run-log lines of ``sc`` on ``base``: shocks, elasticities, closure, welfare."""
    shocks = [("status quo", s) for s in sc.status_quo] + [("shock", s) for s in sc.shocks]
    lines = [f"{label}: {applied(s, base, sc.elasticities.sigma)}" for label, s in shocks]
    lines.append(elasticity_line(sc.elasticities, base, sc.multisector))
    lines.append(closure_line(sc.closure, sc.multisector))
    lines.append(WELFARE_MULTISECTOR if sc.multisector else WELFARE_ONESECTOR)
    return lines


def applied(shock: Shock, base: Any, sigma: float | None = None) -> str:
    """One shock as applied to ``base`` (``sigma``: the one-sector central σ)."""
    multi = hasattr(base, "sectors")
    match shock:
        case TariffShock():
            return _tariff(shock, base, multi)
        case ExportControlShock():
            return _control(shock, base, multi, sigma)
        case CoefficientShock():
            return _coefficient(shock, base, multi)
    raise TypeError(f"not a shock: {shock!r}")  # pragma: no cover


def _countries(base: Any, value: Names) -> str:
    """Names as written; ``all`` with the number of countries it stands for."""
    n = len(country_indices(base.countries, value))
    return show_names(value) + (f" ({n} countries)" if "all" in as_tuple(value) else "")


def as_tuple(value: Names) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def sectors_text(base: MultiSectorBaseline, value: Names | None) -> str:
    """The sectors a shock covers, named: ``goods`` (the default) and ``all`` resolved."""
    labels = [base.sectors[k] for k in sector_indices(base, value)]
    if len(labels) == len(base.sectors) and len(labels) > 1:
        return f"all {len(labels)} sectors (goods and services)"
    if len(labels) == 1:
        return f"sector {labels[0]}"
    kind = "goods " if value in (None, "goods") else ""
    return f"{len(labels)} {kind}sectors ({', '.join(labels)})"


def _tariff(shock: TariffShock, base: Any, multi: bool) -> str:
    who = f"tariff {_countries(base, shock.imposer)} on {_countries(base, shock.target)}"
    if shock.by_sector is not None:
        pp = [v for _, v in shock.by_sector]
        return f"{who}: {len(pp)} sectors, {min(pp):+g} to {max(pp):+g} pp (by_sector{_lifted(shock, ', ', '')})"
    how = f"{shock.add:+g} pp" if shock.add is not None else f"to {fmt_number(shock.to or 0.0)} %"
    where = sectors_text(base, shock.sectors) if multi else WHOLE_FLOW
    return f"{who}: {how} on {where}{_lifted(shock, ' (', ')')}"


def _lifted(shock: TariffShock, before: str, after: str) -> str:
    """The note a ``lift`` block leaves on the tariffs it negates (empty otherwise)."""
    src = shock.source or ""
    return f"{before}{src}{after}" if src.startswith("lifts ") else ""


def _control(shock: ExportControlShock, base: Any, multi: bool, sigma: float | None) -> str:
    verb = "lift" if shock.remove else "impose"
    who = (
        f"{verb} export control {_countries(base, shock.exporters)} → "
        f"{_countries(base, shock.importers)}"
    )
    share = f"share {fmt_number(shock.share)}"
    if shock.lifts is not None:
        share += f" (in every draw the share drawn for status quo item {shock.lifts + 1})"
    elif shock.share_range is not None:
        share += (
            f" (draws U[{fmt_number(shock.share_range[0])}, {fmt_number(shock.share_range[1])}])"
        )
    cost = (
        "prohibitive cost" if shock.prohibitive else f"tariff equivalent {fmt_number(shock.cost)} %"
    )
    op = "÷" if shock.remove else "×"
    power = "−θ_j" if multi else "1 − σ"
    effect = f"flows {op} [(1 − s) + s (1 + t)^({power})]"
    if shock.prohibitive:
        effect += f" = {1 - shock.share:.4g}"
    elif not multi and sigma is not None:
        factor = float(control_flow_factor(shock.share, shock.cost, sigma - 1.0))
        effect += f" = {factor:.4g} (σ = {sigma:g})"
    where = sectors_text(base, shock.sectors) if multi else WHOLE_FLOW
    return f"{who} on {where}: {share} at {cost}; {effect} at unchanged prices"


def _coefficient(shock: CoefficientShock, base: Any, multi: bool) -> str:
    if isinstance(shock.pairs, PairGroup):
        ex = country_indices(base.countries, shock.pairs.exporters)
        im = country_indices(base.countries, shock.pairs.importers)
        n = sum(i != j for i in ex for j in im)
        pairs = f"{n} ordered pairs ({shock.pairs.describe()})"
    else:
        pairs = f"{len(shock.pairs)} listed pairs"
    beta = float(shock.coefficients.estimate[shock.term_index])
    where = sectors_text(base, shock.sectors) if multi else WHOLE_FLOW
    effect = np.exp(beta * shock.change)
    return (
        f"coefficient {shock.term} Δx={fmt_number(shock.change)} on {pairs}, {where}: "
        f"β = {beta:.4g}, flows × exp(β Δx) = {effect:.4g} at unchanged prices"
    )


def elasticity_source(el: Elasticities, multisector: bool) -> str:
    """Where the elasticities came from: the scenario's ``source``, else what was used."""
    if el.source:
        return el.source
    if multisector:
        return "θ_j as stored in the baseline (no source stated in the scenario)"
    return "σ given in the scenario (no source stated)"


def elasticity_line(el: Elasticities, base: Any, multisector: bool) -> str:
    """The elasticities used: θ_j of the baseline × factor (multi-sector) or σ (one-sector)."""
    src = f"source: {el.source}" if el.source else "no source stated in the scenario"
    if not multisector:
        sigma = el.sigma if el.sigma is not None else float("nan")
        draws = (
            f"; draws σ ~ U[{fmt_number(el.sigma_range[0])}, {fmt_number(el.sigma_range[1])}]"
            if el.sigma_range
            else ""
        )
        return (
            f"elasticities: σ = {fmt_number(sigma)} from the scenario (elasticities.sigma; trade "
            f"elasticity σ − 1 = {fmt_number(sigma - 1)}){draws}; {src}"
        )
    theta = np.asarray(base.theta, dtype=float)
    scale = f" × {fmt_number(el.scale)}" if el.scale != 1 else ""
    draws = ""
    if el.range:
        kind = "an independent factor per sector" if el.per_sector else "one common factor"
        draws = (
            f"; draws: {kind} on every θ_j, U[{fmt_number(el.range[0])}, {fmt_number(el.range[1])}]"
        )
    return (
        f"elasticities: θ_j as stored in the baseline ({_range(theta)} over {theta.size} "
        f"sectors){scale}{draws}; {src}"
    )


def _range(values: Sequence[float] | np.ndarray) -> str:
    lo, hi = float(np.min(values)), float(np.max(values))
    return f"{lo:.3g}" if lo == hi else f"{lo:.3g}–{hi:.3g}"


def closure_line(closure: str | None, multisector: bool) -> str:
    """The trade-imbalance closure the engine used."""
    if multisector:
        return (
            "closure: additive — deficits fixed in nominal terms, world value added the "
            "numeraire (the multi-sector engine's only closure)"
        )
    if closure == "additive":
        return "closure: additive — E = Y + D with the deficits D fixed (world output numeraire)"
    how = "scenario" if closure else "default"
    return f"closure: multiplicative ({how}) — E = φ Y with φ = E/Y fixed, world output numeraire"
