"""Shocks → solver inputs, in one place for both engines.

:func:`apply_shocks` is the only code that reads a shock to change solver inputs; it resolves
the countries, picks the drawn share or coefficient and hands the cells to a *target* that holds
one engine's arrays:

* :class:`MultiSectorInputs` — new tariff factors ``τ′[n, i, j]`` and iceberg changes
  ``κ̂[n, i, j]`` (importer n, exporter i, sector j) for Caliendo–Parro;
* :class:`OneSectorInputs` — the partial effect on flows ``cost[i, j]`` and the tariff change
  ``dtariff[i, j]`` (exporter i, importer j) for one-sector structural gravity.

Semantics per shock (``τ = 1 + tariff``; ``θ_j`` the baseline's trade elasticities):

* tariff: ``add`` pp raise the level (floored at 0), ``to`` sets it; one-sector baselines take
  no sectors, and each tariff shock on a pair replaces the earlier one there (the change is
  always relative to the baseline tariff), while multi-sector ones add up;
* export control: multi-sector ``κ̂ = ((1 − s) + s (1 + t)^(−θ_j))^(−1/θ_j)`` (``1/κ̂`` when
  removed); one-sector: flows times ``1 − s`` (divided by it when removed);
* coefficient: flows times ``exp(β Δx)``, i.e. ``κ̂_j = exp(−β Δx / θ_j)`` per sector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from techties.errors import ConfigError, UnknownNameError, did_you_mean
from techties.simulation.sectors import SECTOR_ALIASES
from techties.simulation.shocks import (
    CoefficientShock,
    ExportControlShock,
    Names,
    Shock,
    TariffShock,
)

if TYPE_CHECKING:
    from techties.simulation.baselines import OneSectorBaseline
    from techties.simulation.caliendo_parro import MultiSectorBaseline


@dataclass(frozen=True)
class Draw:
    """Parameter values of one solve: θ factor (or σ), covered shares, coefficient vectors.

    ``shares`` and ``betas`` are keyed by the shock's position in ``(*status_quo, *shocks)``.
    """

    theta_factor: float | np.ndarray
    sigma: float | None
    shares: dict[int, float]
    betas: dict[int, np.ndarray]


# --------------------------------------------------------------------------- name resolution


def resolve_names(
    value: Names, universe: Sequence[str], what: str, extra: Mapping[str, Sequence[str]]
) -> list[int]:
    """Sorted unique indices in ``universe`` of a name, names or keyword (``extra``)."""
    out: list[int] = []
    lower = {u.lower(): k for k, u in enumerate(universe)}
    for v in value if isinstance(value, tuple) else (value,):
        key = str(v)
        if key in extra:
            out.extend(universe.index(x) for x in extra[key])
            continue
        name = SECTOR_ALIASES.get(key.lower(), key).lower()
        if name not in lower:
            raise UnknownNameError(
                f"unknown {what} {key!r}.", hint=did_you_mean(key, [*universe, *extra])
            )
        out.append(lower[name])
    return sorted(set(out))


def country_indices(countries: Sequence[str], value: Names) -> list[int]:
    return resolve_names(value, countries, "country", {"all": countries})


def sector_indices(base: MultiSectorBaseline, value: Names | None) -> list[int]:
    """Sectors of a shock; ``None`` (not given) means ``goods``."""
    goods = base.goods or base.sectors
    extra = {"all": base.sectors, "goods": goods}
    return resolve_names("goods" if value is None else value, base.sectors, "sector", extra)


# --------------------------------------------------------------------------- application


class ShockTarget(Protocol):
    """One engine's solver inputs, changed cell by cell by :func:`apply_shocks`."""

    def countries(self, value: Names) -> list[int]: ...

    def index_of(self, country: str) -> int: ...

    def tariff(self, imposers: list[int], targets: list[int], shock: TariffShock) -> None: ...

    def control(
        self, exporters: list[int], importers: list[int], shock: ExportControlShock, share: float
    ) -> None: ...

    def coefficient(
        self, pairs: list[tuple[int, int]], sectors: Names | None, effect: float
    ) -> None: ...


def apply_shocks(target: ShockTarget, shocks: Iterable[tuple[int, Shock]], draw: Draw) -> None:
    """Apply ``(position, shock)`` pairs to ``target`` in order, with ``draw``'s parameters."""
    for k, shock in shocks:
        match shock:
            case TariffShock():
                imposers, targets = target.countries(shock.imposer), target.countries(shock.target)
                target.tariff(imposers, targets, shock)
            case ExportControlShock():
                ex, im = target.countries(shock.exporters), target.countries(shock.importers)
                target.control(ex, im, shock, draw.shares[k])
            case CoefficientShock():
                beta = draw.betas[k][shock.term_index]
                pairs = [(target.index_of(e), target.index_of(i)) for e, i in shock.pairs]
                target.coefficient(pairs, shock.sectors, beta * shock.change)


class MultiSectorInputs:
    """``τ′`` and ``κ̂`` on a multi-sector baseline, indexed ``[importer, exporter, sector]``."""

    def __init__(self, base: MultiSectorBaseline) -> None:
        self.base = base
        self.tau = base.tau.copy()
        self.kappa = np.ones_like(base.pi)

    def countries(self, value: Names) -> list[int]:
        return country_indices(self.base.countries, value)

    def index_of(self, country: str) -> int:
        return self.base.index_of(country)

    def tariff(self, imposers: list[int], targets: list[int], shock: TariffShock) -> None:
        plan = [(sector_indices(self.base, names), pp) for names, pp in shock.plan()]
        for sec, pp in plan:
            for n in imposers:
                for i in targets:
                    if n == i:
                        continue
                    if shock.to is not None:
                        self.tau[n, i, sec] = 1 + pp / 100
                    else:
                        self.tau[n, i, sec] = np.maximum(self.tau[n, i, sec] + pp / 100, 1.0)

    def control(
        self, exporters: list[int], importers: list[int], shock: ExportControlShock, share: float
    ) -> None:
        sec = sector_indices(self.base, shock.sectors)
        k_hat = control_cost(share, shock.cost, self.base.theta[sec])
        if shock.remove:
            k_hat = 1.0 / k_hat
        for n in importers:
            for i in exporters:
                if n != i:
                    self.kappa[n, i, sec] *= k_hat

    def coefficient(
        self, pairs: list[tuple[int, int]], sectors: Names | None, effect: float
    ) -> None:
        sec = sector_indices(self.base, sectors)
        for i, n in pairs:
            self.kappa[n, i, sec] *= np.exp(-effect / self.base.theta[sec])


def control_cost(share: float, te: float, theta: np.ndarray) -> np.ndarray:
    """``κ̂ = ((1 − s) + s (1 + t)^(−θ))^(−1/θ)``; ∞ when s = 1 and t = ∞."""
    blocked = 0.0 if np.isinf(te) else (1 + te / 100) ** (-theta)
    remaining = (1 - share) + share * blocked
    with np.errstate(divide="ignore"):
        return np.where(remaining > 0, remaining ** (-1 / theta), np.inf)


class OneSectorInputs:
    """Flow effects ``cost`` and tariff changes ``dtariff`` on a one-sector baseline, indexed
    ``[exporter, importer]``; ``tariff0`` is the baseline tariff (zeros when it has none)."""

    def __init__(self, base: OneSectorBaseline) -> None:
        self.base = base
        n = len(base.countries)
        self.cost = np.ones((n, n))
        self.dtariff = np.zeros((n, n))
        self.tariff0 = base.tariff if base.tariff is not None else np.zeros((n, n))

    def countries(self, value: Names) -> list[int]:
        return country_indices(self.base.countries, value)

    def index_of(self, country: str) -> int:
        return self.base.index_of(country)

    def tariff(self, imposers: list[int], targets: list[int], shock: TariffShock) -> None:
        if shock.by_sector is not None or shock.sectors not in (None, "all", "goods"):
            raise ConfigError(
                "one-sector baselines take tariffs without sectors",
                hint="drop 'sectors' / 'by_sector', or use a multi-sector baseline",
            )
        for j in imposers:
            for i in targets:
                if i != j:
                    if shock.to is not None:
                        new = shock.to / 100
                    else:
                        new = self.tariff0[i, j] + (shock.add or 0.0) / 100
                    self.dtariff[i, j] = max(new, 0.0) - self.tariff0[i, j]

    def control(
        self, exporters: list[int], importers: list[int], shock: ExportControlShock, share: float
    ) -> None:
        for i in exporters:
            for j in importers:
                if i != j:
                    self.cost[i, j] *= 1 / (1 - share) if shock.remove else 1 - share

    def coefficient(
        self, pairs: list[tuple[int, int]], sectors: Names | None, effect: float
    ) -> None:
        for i, j in pairs:
            self.cost[i, j] *= np.exp(effect)


def multisector_inputs(
    base: MultiSectorBaseline, shocks: Iterable[tuple[int, Shock]], draw: Draw
) -> tuple[np.ndarray, np.ndarray]:
    """New tariff factors and trade-cost changes ``(τ′, κ̂)`` for ``shocks`` on ``base``."""
    target = MultiSectorInputs(base)
    apply_shocks(target, shocks, draw)
    return target.tau, target.kappa


def onesector_inputs(
    base: OneSectorBaseline, shocks: Iterable[tuple[int, Shock]], draw: Draw
) -> OneSectorInputs:
    """Flow effects and tariff changes for ``shocks`` on a one-sector ``base``."""
    target = OneSectorInputs(base)
    apply_shocks(target, shocks, draw)
    return target
