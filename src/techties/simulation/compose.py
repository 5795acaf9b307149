"""Composing scenarios: a status quo made of library scenarios, and a policy that lifts parts of it.

Two scenario keys, so that a comparison of proposals ("lift the tariffs", "lift the controls",
"both", from one status quo) is written without typing a number twice::

    status_quo:
      - scenario: uschina_escalation    # the world after that scenario: its status_quo, then
      - scenario: chip_export_controls  # its shocks (same baseline; library name or YAML path)
    lift:                               # the policy removes what the status quo imposes
      tariffs: {between: [USA, CHN]}    # every status-quo tariff whose imposers and targets are
                                        # all listed (both directions); or ``all``
      export_controls: all              # or {from: [USA, JPN]}: controls whose exporters are
                                        # all listed

Lifting is exact: a lifted tariff is the status-quo shock with its percentage points negated
(``add`` and ``by_sector`` shocks; a ``to`` level cannot be lifted, the level before it is not
known to the scenario), and a lifted export control is its removal (``remove: true``) taking in
every draw the covered share drawn for the control it lifts (``ExportControlShock.lifts``), so
lifting everything returns to the baseline draw by draw. A status-quo shock that covers listed
and unlisted countries at once cannot be lifted in part (split it), and a ``lift`` entry that
matches nothing is an error. The 2025 tariff war can be part of the status quo
(``tariff_war_2025: {..., role: status_quo}``); ``lift`` then applies to its shocks too, once
they are read from the store (:meth:`techties.simulation.scenario.Scenario.run`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from techties.errors import ConfigError
from techties.simulation.shocks import (
    ExportControlShock,
    Names,
    Shock,
    TariffShock,
    as_list,
    check_keys,
    parse_shock,
)

LIFT_KEYS = ("tariffs", "export_controls")
_LIFT_HINT = "lift: {tariffs: {between: [USA, CHN]}, export_controls: all}"


@dataclass(frozen=True)
class LiftSpec:
    """A parsed ``lift`` block: ``None`` lifts nothing of that kind, ``"all"`` everything,
    else the countries (tariffs: imposers and targets; controls: exporters)."""

    tariffs: frozenset[str] | str | None = None
    export_controls: frozenset[str] | str | None = None


def parse_lift(raw: Any, where: str) -> LiftSpec | None:
    """Validate a ``lift`` block (None when absent)."""
    if raw is None:
        return None
    w = f"{where}: lift"
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{w} is a mapping with {' and/or '.join(LIFT_KEYS)}", hint=_LIFT_HINT)
    check_keys(raw, LIFT_KEYS, (), w)
    return LiftSpec(
        tariffs=_selection(raw.get("tariffs"), "between", f"{w}.tariffs"),
        export_controls=_selection(raw.get("export_controls"), "from", f"{w}.export_controls"),
    )


def _selection(v: Any, key: str, where: str) -> frozenset[str] | str | None:
    if v is None:
        return None
    if v == "all":
        return "all"
    if isinstance(v, Mapping):
        check_keys(v, (key,), (key,), where)
        names = as_list(v[key])
        if names and all(isinstance(n, str) and n and n != "all" for n in names):
            return frozenset(names)
    raise ConfigError(
        f"{where} is 'all' or {{{key}: [countries]}}, got {v!r}", hint=_LIFT_HINT
    )


def _names(value: Names) -> frozenset[str] | None:
    """The countries a shock side names (None for ``all``)."""
    if value == "all":
        return None
    return frozenset([value] if isinstance(value, str) else value)


def _covered(sides: Sequence[Names], chosen: frozenset[str] | str, what: str) -> bool:
    """Whether a shock whose ``sides`` name countries is selected by ``chosen``."""
    if chosen == "all":
        return True
    assert isinstance(chosen, frozenset)
    sets = [_names(s) for s in sides]  # None: all countries
    if all(s is not None and s <= chosen for s in sets):
        return True
    if all(s is None or s & chosen for s in sets):
        raise ConfigError(
            f"{what} covers listed and unlisted countries; it cannot be lifted in part",
            hint="split the status-quo shock by country, widen the lift's list, or use all",
        )
    return False


def lift_shocks(status_quo: Sequence[Shock], spec: LiftSpec | None, where: str) -> tuple[Shock, ...]:
    """The policy shocks that undo the parts of ``status_quo`` that ``spec`` selects."""
    if spec is None:
        return ()
    out: list[Shock] = []
    hits = {"tariffs": 0, "export_controls": 0}
    for k, s in enumerate(status_quo):
        what = f"{where}: status_quo item {k + 1} ({s.describe()})"
        if isinstance(s, TariffShock) and spec.tariffs is not None:
            if not _covered((s.imposer, s.target), spec.tariffs, what):
                continue
            if s.to is not None:
                raise ConfigError(
                    f"{what} sets a level ('to'); lift can only undo added percentage points",
                    hint="write the status-quo tariff as add or by_sector",
                )
            hits["tariffs"] += 1
            out.append(_negated(s, k))
        elif isinstance(s, ExportControlShock) and spec.export_controls is not None:
            if s.remove or not _covered((s.exporters,), spec.export_controls, what):
                continue
            hits["export_controls"] += 1
            out.append(replace(s, remove=True, lifts=k, source=f"lifts status quo item {k + 1}"))
    for kind, n in hits.items():
        if getattr(spec, kind) is not None and n == 0:
            raise ConfigError(
                f"{where}: lift.{kind} matches no {kind.replace('_', ' ')} of the status quo",
                hint="the status quo is status_quo (and tariff_war_2025 with role: status_quo)",
            )
    return tuple(out)


def _negated(s: TariffShock, k: int) -> TariffShock:
    source = f"lifts status quo item {k + 1}"
    if s.by_sector is not None:
        return replace(s, by_sector=tuple((sec, -pp) for sec, pp in s.by_sector), source=source)
    return replace(s, add=-(s.add or 0.0), source=source)


def expand_status_quo(
    items: Sequence[Any],
    base_dir: Path,
    where: str,
    baseline: str,
    scenario_at: Callable[[str, Path], Any],
) -> tuple[Shock, ...]:
    """Parse ``status_quo`` items; ``{scenario: name}`` stands for that scenario's world (its
    ``status_quo`` then its ``shocks``), loaded with ``scenario_at(name, base_dir)``."""
    out: list[Shock] = []
    for k, item in enumerate(items):
        w = f"{where}: status_quo[{k}]"
        if isinstance(item, Mapping) and set(item) == {"scenario"}:
            out += _world_of(item["scenario"], base_dir, w, baseline, scenario_at)
        else:
            out.append(parse_shock(item, base_dir, w))
    return tuple(out)


def _world_of(
    name: Any, base_dir: Path, where: str, baseline: str, scenario_at: Callable[[str, Path], Any]
) -> tuple[Shock, ...]:
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}.scenario is a library scenario name or a YAML path")
    try:
        sub = scenario_at(name, base_dir)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}", hint=exc.hint) from None
    why = None
    if sub.baseline != baseline:
        why = f"its baseline is {sub.baseline}, this scenario's {baseline}"
    elif sub.tariff_war is not None or sub.gravity is not None:
        why = "it reads its shocks at run time (tariff_war_2025 or a gravity block)"
    if why:
        raise ConfigError(
            f"{where}: scenario {name!r} cannot be part of this status quo: {why}",
            hint="a status quo takes scenarios written as shocks on the same baseline",
        )
    return (*sub.status_quo, *sub.shocks)


def check_not_in_shocks(items: Sequence[Any], where: str) -> None:
    """``scenario:`` items describe a world: they belong in status_quo, not shocks."""
    for k, item in enumerate(items):
        if isinstance(item, Mapping) and "scenario" in item:
            raise ConfigError(
                f"{where}: shocks[{k}]: 'scenario' describes a world and belongs in status_quo",
                hint="the policy of a composed scenario is its lift block and its shocks",
            )


__all__ = ["LIFT_KEYS", "LiftSpec", "check_not_in_shocks", "expand_status_quo", "lift_shocks",
           "parse_lift"]  # fmt: skip
