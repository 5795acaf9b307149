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
from techties.store.core import Store
from techties.store.derived import cached

#: modules whose code a cached GE result depends on (a change recomputes it)
GE_MODULES = tuple(
    [f"techties.simulation.{m}" for m in
     ("scenario", "mc_multisector", "caliendo_parro", "onesector", "baselines")]
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
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    path = scenario_path(name)
    sc = Scenario.from_yaml(path)
    ids = baseline_ids(store, sc.baseline, variant)
    yaml_sha = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    out = cached(
        store,
        f"ge:{name}:{variant}",
        inputs=ids,
        modules=GE_MODULES,
        compute=lambda: _solve(store, sc, name, draws, variant),
        params=f"draws={draws}|seed={SEED}|scenario={yaml_sha}",
    )
    out["scenario"] = name
    out["scenario_label"] = LABELS.get(name, name)
    out["variant"] = variant
    baseline = "wiod2014" if variant == "wiod2014" else sc.baseline
    return out, ids, baseline


def _solve(store: Store, sc: Any, name: str, draws: int, variant: str) -> pd.DataFrame:
    try:
        if variant == "wiod2014":
            countries, central, sample = _solve_wiod(sc, draws, store)
        else:
            base = _cp_theta_baseline(store) if variant == "theta_cp2015" else None
            # a lifted export control takes the share drawn for the imposed one, so a removal
            # scenario's draws are exact inverses of the imposition's (simulation.compose)
            res = sc.run(draws=draws, store=store, workers=WORKERS, seed=SEED, base=base)
            countries, central, sample = _welfare_draws(res)
    except NoDataError as exc:
        raise Missing("no_data", f"scenario {name!r}: {exc.message}") from None
    except TechtiesError as exc:
        raise Missing("not_yet", f"scenario {name!r} does not run yet: {exc.message}") from None
    return _summarise(countries, central, sample)


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
    out = [run_scenario(store, n, draws=draws, variant=variant) for n in scenarios]
    ids = sorted({i for _, got, _ in out for i in got})
    return pd.concat([o[0] for o in out], ignore_index=True), ids
