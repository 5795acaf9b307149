"""The 2025 tariff war as scenario shocks, read from the stored tariff series.

Scenario key ``tariff_war_2025: {episode, retaliation, others, role}`` (see :func:`parse_spec`)
becomes tariff shocks at run time from the store's ``us_tariffs_2025`` (trade-war-redux
tracker: the 2025 increase of the US effective tariff on each of 51 partners, in pp over 2024,
on 2024 Census weights) and ``chn_tariffs_on_usa_2025`` (WTO TTD: China's applied HS6 rate on
US goods by date) datasets (source ``tariff_war_2025``).

Episodes (US tracker date, China TTD date):

* ``april2`` — the 2 April 2025 schedule (tracker 2025-04-05: the 10 % floor plus the country
  rates due on 9 April; China's 34 % from 10 April);
* ``peak`` — the April US–China peak (tracker 2025-04-09, TTD 2025-04-12: 125 % each way);
* ``truce`` — the May (Geneva) truce (tracker 2025-05-12, TTD 2025-05-14);
* ``latest`` — the latest staged levels (last date of each series).

US shocks: ``add`` the tracker's increase on every goods sector of each partner (the EU's
value on each of its 27 members). ``others``: the rate for baseline countries the tracker does
not cover (ROW included): ``mean`` (default) = the 2024-import-weighted mean increase over the
tracked partners other than China, or a number of pp. Tracked partners absent from a baseline
are dropped (their trade is in its ROW, which gets ``others``).

``retaliation``: ``none``; ``china`` = China's import-weighted (HS6, the file's imports) mean
rate on US goods at the episode date minus 1 January 2025, on every goods sector; ``mirror`` =
every partner adds on US goods the pp the US adds on it (retaliation in kind).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from techties.errors import ConfigError, NoDataError
from techties.simulation.shocks import TariffShock, check_keys
from techties.store.model_inputs import model_inputs

if TYPE_CHECKING:
    from techties.store.core import Store

US_DATASET = "us_tariffs_2025"
CHN_DATASET = "chn_tariffs_on_usa_2025"
#: episode → (US tracker date, China TTD date); None: the series' last date
EPISODES: dict[str, tuple[str | None, str | None]] = {
    "april2": ("2025-04-05", "2025-04-10"),
    "peak": ("2025-04-09", "2025-04-12"),
    "truce": ("2025-05-12", "2025-05-14"),
    "latest": (None, None),
}
RETALIATION = ("none", "china", "mirror")
CHN_BEFORE = "2025-01-01"
EU27 = ("AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
        "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
        "SVN", "ESP", "SWE")  # fmt: skip
KEYS = ("episode", "retaliation", "others", "role")
#: ``role``: the episode is the policy (its change is the result) or part of the status quo
#: (the world a policy starts from; see :mod:`techties.simulation.compose`)
ROLES = ("policy", "status_quo")


@dataclass(frozen=True)
class TariffWarSpec:
    """A parsed ``tariff_war_2025`` block."""

    episode: str
    retaliation: str = "none"
    others: float | str = "mean"
    role: str = "policy"


def parse_spec(raw: Any, where: str) -> TariffWarSpec | None:
    """Validate a ``tariff_war_2025`` block (None when absent)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: tariff_war_2025 is a mapping",
                          hint="tariff_war_2025: {episode: truce, retaliation: china}")  # fmt: skip
    w = f"{where}: tariff_war_2025"
    check_keys(raw, KEYS, ("episode",), w)
    ep = str(raw["episode"])
    if ep not in EPISODES:
        from techties.errors import did_you_mean

        raise ConfigError(f"{w}: unknown episode {ep!r}. " + did_you_mean(ep, EPISODES),
                          hint=f"episodes: {', '.join(EPISODES)}")  # fmt: skip
    ret = str(raw.get("retaliation", "none"))
    if ret not in RETALIATION:
        raise ConfigError(f"{w}: retaliation {ret!r} is not one of {', '.join(RETALIATION)}")
    others = raw.get("others", "mean")
    if others != "mean" and (isinstance(others, bool) or not isinstance(others, (int, float))):
        raise ConfigError(f"{w}: others is 'mean' or a number of pp, got {others!r}")
    role = str(raw.get("role", "policy"))
    if role not in ROLES:
        raise ConfigError(f"{w}: role {role!r} is not one of {', '.join(ROLES)}",
                          hint="role: status_quo makes the episode the world a policy starts from")  # fmt: skip
    return TariffWarSpec(ep, ret, others if others == "mean" else float(others), role)


@dataclass(frozen=True)
class SeriesLevels:
    """What one episode reads from the store: pp increases and the dates used."""

    us_date: str
    us_increase: dict[str, float]  # partner (ISO3, EUN) → pp over 2024
    us_weights: dict[str, float]  # partner → 2024 US imports (USD)
    chn_date: str
    chn_increase: float  # China's mean rate on US goods at chn_date − at 1 Jan 2025 (pp)
    provenance_ids: tuple[int, ...]


def _pick(dates: Sequence[str], wanted: str | None, dataset: str) -> int:
    if wanted is None:
        return len(dates) - 1
    if wanted not in dates:
        raise NoDataError(f"{dataset} has no date {wanted} (have {dates[0]} … {dates[-1]})",
                          hint="ingest the staged file with: techties ingest tariff_war_2025 FILE")  # fmt: skip
    return list(dates).index(wanted)


def series_levels(store: Store, episode: str) -> SeriesLevels:
    """The tracker's US increases and China's mean rate change for ``episode``."""
    us_when, chn_when = EPISODES[episode]
    us = model_inputs(store, US_DATASET)
    dates, partners = us.text("dates"), us.text("partners")
    k = _pick(dates, us_when, US_DATASET)
    rate = us.array("effective_tariff")[k]
    weights = us.array("imports_2024")
    ch = model_inputs(store, CHN_DATASET)
    cdates = ch.text("dates")
    kc, k0 = _pick(cdates, chn_when, CHN_DATASET), _pick(cdates, CHN_BEFORE, CHN_DATASET)
    r, w = ch.array("rate"), ch.array("imports")
    ok = np.isfinite(r[:, kc]) & np.isfinite(r[:, k0]) & (w > 0)
    chn = float(np.average(r[ok, kc] - r[ok, k0], weights=w[ok]))
    return SeriesLevels(
        us_date=dates[k], us_increase=dict(zip(partners, map(float, rate), strict=True)),
        us_weights=dict(zip(partners, map(float, weights), strict=True)),
        chn_date=cdates[kc], chn_increase=chn,
        provenance_ids=tuple(sorted({*us.provenance_ids, *ch.provenance_ids})),
    )  # fmt: skip


def us_rates(levels: SeriesLevels, countries: Sequence[str], others: float | str) -> dict[str, float]:
    """pp added by the US on each baseline country (EU value on its members; ``others`` rest)."""
    by_country: dict[str, float] = {}
    for p, v in levels.us_increase.items():
        for c in EU27 if p == "EUN" else (p,):
            by_country[c] = v
    if others == "mean":
        rest = {p: v for p, v in levels.us_increase.items() if p != "CHN"}
        wts = np.array([levels.us_weights[p] for p in rest])
        fill = float(np.average(list(rest.values()), weights=wts))
    else:
        fill = float(others)
    return {c: by_country.get(c, fill) for c in countries if c != "USA"}


def resolve(spec: TariffWarSpec, store: Store, countries: Sequence[str]) -> tuple[list[TariffShock], list[str], tuple[int, ...]]:
    """Tariff shocks for a baseline's ``countries``, the run-log lines, provenance ids."""
    if "USA" not in countries:
        raise ConfigError("the 2025 tariff war needs a baseline with the USA")
    lv = series_levels(store, spec.episode)
    rates = us_rates(lv, countries, spec.others)
    src = f"trade-war-redux tracker, {lv.us_date}"
    shocks = [TariffShock(imposer="USA", target=c, add=round(v, 10), source=src)
              for c, v in rates.items()]  # fmt: skip
    tracked = sum(1 for c in rates if c in lv.us_increase or (c in EU27 and "EUN" in lv.us_increase))
    log = [f"tariff_war_2025 {spec.episode}: US increases of {lv.us_date} on {tracked} tracked "
           f"countries, {len(rates) - tracked} others at "
           f"{'the import-weighted mean of non-China partners' if spec.others == 'mean' else str(spec.others) + ' pp'}"]  # fmt: skip
    if spec.retaliation == "china":
        if "CHN" not in countries:
            raise ConfigError("retaliation: china needs a baseline with China")
        shocks.append(TariffShock(imposer="CHN", target="USA", add=round(lv.chn_increase, 10),
                                  source=f"WTO TTD, China on US, {lv.chn_date} vs {CHN_BEFORE}"))  # fmt: skip
        log.append(f"retaliation: China +{lv.chn_increase:.2f} pp on US goods (WTO TTD "
                   f"{lv.chn_date} vs {CHN_BEFORE}, import-weighted HS6 mean)")  # fmt: skip
    elif spec.retaliation == "mirror":
        shocks += [TariffShock(imposer=c, target="USA", add=round(v, 10), source="mirror of " + src)
                   for c, v in rates.items()]  # fmt: skip
        log.append("retaliation: every partner adds on US goods what the US adds on it")
    return shocks, log, lv.provenance_ids


__all__ = ["EPISODES", "RETALIATION", "ROLES", "SeriesLevels", "TariffWarSpec", "parse_spec", "resolve",
           "series_levels", "us_rates"]  # fmt: skip
