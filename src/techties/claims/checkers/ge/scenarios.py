"""Running the simulation layer's named scenarios for the GE checkers, with Monte Carlo bands,
cached inside the store per scenario, variant and number of draws (:func:`run_scenario`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from techties.claims.base import Missing
from techties.claims.checkers.ge._common import (
    LABELS,
    LEVEL,
    LEVEL_ALT,
    SEED,
    VARIANTS,
    WORKERS,
    _welfare_draws,
)
from techties.claims.checkers.ge.variants import (
    _cp_theta_baseline,
    _solve_wiod,
)
from techties.errors import ConfigError, NoDataError, TechtiesError
from techties.simulation.library import scenario_file
from techties.simulation.mc_multisector import load_named_baseline
from techties.simulation.scenario import Scenario
from techties.simulation.scenario import run_scenarios as solve_together
from techties.store.core import Store
from techties.store.derived import Derived, code_version, derived_key, keep, lookup

#: modules whose code a cached GE result depends on (a change recomputes it)
GE_MODULES = tuple(
    [f"techties.simulation.{m}" for m in
     ("scenario", "mc_multisector", "shared_status_quo", "caliendo_parro", "_cp_numerics",
      "onesector", "baselines")]
    + [f"techties.claims.checkers.ge.{m}" for m in ("_common", "scenarios", "variants")]
)  # fmt: skip


def scenario_path(name: str) -> Path:
    """The YAML file of a named scenario in the simulation layer's library
    (:func:`techties.simulation.library.scenario_file`; a missing one is ``not_yet``)."""
    try:
        return scenario_file(name)
    except ConfigError:
        raise Missing("not_yet", f"scenario {name!r} is not in the scenario library yet.") from None


def baseline_ids(store: Store, baseline: str, variant: str = "main") -> list[int]:
    """Provenance ids of the stored rows a scenario's baseline (and variant) is built from; a
    baseline not in the store is ``no_data`` naming the ingest command."""
    try:
        ids = set(load_named_baseline(baseline, store).provenance_ids)
        if variant == "theta_cp2015":
            ids |= set(_cp_theta_baseline(store).provenance_ids)
        elif variant == "wiod2014":
            ids |= set(load_named_baseline("wiod2014", store).provenance_ids)
    except NoDataError as exc:
        raise Missing(
            "no_data", f"GE baseline {baseline!r} is not in the store: {exc.message} {exc.hint}"
        ) from None
    return sorted(ids)


def run_scenario(
    store: Store, name: str, *, draws: int = 0, variant: str = "main"
) -> tuple[pd.DataFrame, list[int], str]:
    """Welfare by country of a named scenario under a variant of the baseline/elasticities.

    Returns ``(frame, provenance_ids, baseline)``; the frame has ``country, welfare_pct``
    (central case) and, with draws, ``p_low, p_high`` (90 % band) and ``p95_low, p95_high``
    (95 % band). The frame is cached in the store's ``derived`` table, keyed by the baseline's
    provenance ids, the scenario file, draws, seed and the code that computes it.
    """
    return run_scenarios(store, [name], draws=draws, variant=variant)[0]


def run_scenarios(
    store: Store, names: Sequence[str], *, draws: int = 0, variant: str = "main"
) -> list[tuple[pd.DataFrame, list[int], str]]:
    """:func:`run_scenario` for each of ``names``: the cached frames are read in one query, and
    the scenarios not cached yet are solved together, so those sharing a status quo solve it
    once per draw (:func:`techties.simulation.scenario.run_scenarios`; the same numbers as one
    by one). Each frame is kept under its own key."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    version = code_version(GE_MODULES)
    runs = []
    for name in names:
        path = scenario_path(name)
        sc = Scenario.from_yaml(path)
        ids = baseline_ids(store, sc.baseline, variant)
        yaml_sha = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        params = f"draws={draws}|seed={SEED}|scenario={yaml_sha}"
        key = derived_key(f"ge:{name}:{variant}", ids, version, params)
        runs.append((name, sc, ids, key))
    found = lookup(store, [(f"ge:{name}:{variant}", key) for name, _, _, key in runs])
    missing = [r for r in runs if (f"ge:{r[0]}:{variant}", r[3]) not in found]
    if missing:
        frames = _solve(store, [(name, sc) for name, sc, _, _ in missing], draws, variant)
        keep(store, [Derived(f"ge:{name}:{variant}", key, ids, version, frame)
                     for (name, _, ids, key), frame in zip(missing, frames, strict=True)])  # fmt: skip
        found.update(
            {(f"ge:{r[0]}:{variant}", r[3]): f for r, f in zip(missing, frames, strict=True)}
        )
    out = []
    for name, sc, ids, key in runs:
        frame = found[(f"ge:{name}:{variant}", key)]
        frame["scenario"] = name
        frame["scenario_label"] = LABELS.get(name, name)
        frame["variant"] = variant
        out.append((frame, ids, "wiod2014" if variant == "wiod2014" else sc.baseline))
    return out


def _solve(
    store: Store, scenarios: Sequence[tuple[str, Any]], draws: int, variant: str
) -> list[pd.DataFrame]:
    """The frames of ``scenarios`` (``(name, Scenario)``), solved together; a scenario that
    cannot run is ``no_data`` or ``not_yet`` naming it (and those solved with it)."""
    names = " and ".join(repr(name) for name, _ in scenarios)
    try:
        if variant == "wiod2014":
            return [_summarise(*_solve_wiod(sc, draws, store)) for _, sc in scenarios]
        base = _cp_theta_baseline(store) if variant == "theta_cp2015" else None
        # a lifted export control takes the share drawn for the imposed one, so a removal
        # scenario's draws are exact inverses of the imposition's (simulation.compose)
        results = solve_together(
            [sc for _, sc in scenarios], draws=draws, store=store, workers=WORKERS, seed=SEED,
            base=base,
        )  # fmt: skip
        return [_summarise(*_welfare_draws(res)) for res in results]
    except NoDataError as exc:
        raise Missing("no_data", f"scenario {names}: {exc.message}") from None
    except TechtiesError as exc:
        raise Missing("not_yet", f"scenario {names} does not run yet: {exc.message}") from None


def _summarise(
    countries: Sequence[str], central: np.ndarray, sample: np.ndarray | None
) -> pd.DataFrame:
    """``country, welfare_pct`` and equal-tailed 90 % / 95 % bands of the draws."""
    out = pd.DataFrame({"country": list(countries), "welfare_pct": np.asarray(central, float)})
    if sample is not None and len(sample):
        for tag, level in (("p", LEVEL), ("p95", LEVEL_ALT)):
            a = (1 - level) / 2
            lo, hi = np.quantile(sample, [a, 1 - a], axis=0)
            out[f"{tag}_low"], out[f"{tag}_high"] = lo, hi
    return out


def _runs(
    store: Store, scenarios: Sequence[str], *, draws: int, variant: str = "main"
) -> tuple[pd.DataFrame, list[int]]:
    out = run_scenarios(store, scenarios, draws=draws, variant=variant)
    ids = sorted({i for _, got, _ in out for i in got})
    return pd.concat([o[0] for o in out], ignore_index=True), ids
