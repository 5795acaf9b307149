"""Running the simulation layer's named scenarios for the GE checkers, with Monte Carlo bands and
a cache per scenario, variant and number of draws (:func:`_cache_path`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from techties import config
from techties._version import __version__
from techties.claims.base import Missing, data_folder
from techties.claims.checkers.ge._common import (
    BASELINE_FOLDERS,
    CP_THETA_FILE,
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
    _worlds,
)
from techties.errors import ConfigError, NoDataError, TechtiesError
from techties.simulation.library import scenario_file
from techties.simulation.scenario import Scenario
from techties.store.core import file_sha256


def scenario_path(name: str) -> Path:
    """The YAML file of a named scenario in the simulation layer's library
    (:func:`techties.simulation.library.scenario_file`; a missing one is ``not_yet``)."""
    try:
        return scenario_file(name)
    except ConfigError:
        raise Missing("not_yet", f"scenario {name!r} is not in the scenario library yet.") from None


def run_scenario(
    name: str, *, draws: int = 0, variant: str = "main"
) -> tuple[pd.DataFrame, list[dict[str, str]], str]:
    """Welfare by country of a named scenario under a variant of the baseline/elasticities.

    Returns ``(frame, files, baseline)``; the frame has ``country, welfare_pct`` (central case)
    and, with draws, ``p_low, p_high`` (90 % band) and ``p95_low, p95_high`` (95 % band).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    sc = Scenario.from_yaml(scenario_path(name))
    data = data_folder()
    if data is None or not Path(data).is_dir():
        raise Missing(
            "no_data",
            f"GE scenario {name!r} needs the staged data folder (baseline {sc.baseline}); "
            "pass --data DIR or set TECHTIES_DATA.",
        )
    data = Path(data)
    files = baseline_files(sc.baseline, data)
    if variant == "theta_cp2015":
        files += _files(data.joinpath(*CP_THETA_FILE), "θ of Caliendo–Parro (2015)")
    elif variant == "wiod2014":
        files += baseline_files("wiod2014", data)
    cached = _cache_path(name, draws, files, variant)
    if cached.is_file():
        out = pd.read_parquet(cached)
    else:
        out = _solve(sc, name, draws, data, variant)
        cached.parent.mkdir(parents=True, exist_ok=True)
        out.to_parquet(cached)
    out["scenario"] = name
    out["scenario_label"] = LABELS.get(name, name)
    out["variant"] = variant
    baseline = "wiod2014" if variant == "wiod2014" else sc.baseline
    return out, files, baseline


def _solve(sc: Any, name: str, draws: int, data: Path, variant: str) -> pd.DataFrame:
    try:
        if variant == "wiod2014":
            countries, central, sample = _solve_wiod(sc, draws, data)
        else:
            base = _cp_theta_baseline(data) if variant == "theta_cp2015" else None
            pure = bool(draws) and _pure_removal(sc)
            res = sc.run(
                draws=0 if pure else draws, data=data, workers=WORKERS, seed=SEED, base=base
            )
            countries, central, sample = _welfare_draws(res)
            if pure:
                # Lifting every status-quo shock returns to the baseline: per draw the change is
                # the exact inverse of imposing the status quo with the SAME draw (the library's
                # removal draws take the lifted share independently of the imposed one).
                imposed = replace(sc, shocks=sc.status_quo, status_quo=())
                run = imposed.run(draws=draws, data=data, workers=WORKERS, seed=SEED, base=base)
                names, _, inv = _welfare_draws(run)
                if names != countries or inv is None:
                    raise NoDataError("the imposition run does not match the removal scenario")
                sample = 100 * (1 / (1 + inv / 100) - 1)
    except NoDataError as exc:
        raise Missing("no_data", f"scenario {name!r}: {exc.message}") from None
    except TechtiesError as exc:
        raise Missing("not_yet", f"scenario {name!r} does not run yet: {exc.message}") from None
    return _summarise(countries, central, sample)


def _pure_removal(sc: Any) -> bool:
    """True when the policy lifts every status-quo shock (the world after is the baseline)."""
    if not sc.status_quo:
        return False
    try:
        after = _worlds(sc)[1]
    except NoDataError:
        return False
    return not after["controls"] and all(
        abs(v) < 1e-9 for rates in after["tariffs"].values() for v in rates.values()
    )


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


def _cache_path(name: str, draws: int, files: list[dict[str, str]], variant: str = "main") -> Path:
    """Cache file of a scenario result: keyed by the scenario YAML, draws, variant, input hashes
    and the code that computes it (so a changed input or solver gives a new key)."""
    h = hashlib.sha256()
    h.update(scenario_path(name).read_bytes())
    h.update(f"{draws}|{variant}|{SEED}|{__version__}".encode())
    for f in files:
        h.update(f["sha256"].encode())
    sim = resources.files("techties.simulation")
    sources = [Path(str(sim.joinpath(f"{m}.py"))) for m in
               ("scenario", "mc_multisector", "caliendo_parro", "onesector", "baselines")]  # fmt: skip
    # the GE checkers' own code: every module of this package
    sources += sorted(Path(__file__).parent.glob("*.py"))
    for src in sources:
        if src.is_file():
            h.update(src.read_bytes())
    tag = "" if variant == "main" else f"-{variant}"
    return Path(config.get("cache") or ".") / "ge" / f"{name}{tag}-{h.hexdigest()[:16]}.parquet"


def _files(path: Path, source: str) -> list[dict[str, str]]:
    if path.is_file():
        return [{"source": source, "location": str(path), "sha256": file_sha256(path)}]
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
    return [{"source": source, "location": str(p), "sha256": file_sha256(p)} for p in files]


def baseline_files(baseline: str, data: Path) -> list[dict[str, str]]:
    """Files of a GE baseline in the data folder, with their sha256."""
    return _files(data.joinpath(*BASELINE_FOLDERS.get(baseline, ())), f"baseline {baseline}")


def _runs(
    scenarios: Sequence[str], *, draws: int, variant: str = "main"
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    out = [run_scenario(n, draws=draws, variant=variant) for n in scenarios]
    files: list[dict[str, str]] = []
    for _, f, _ in out:
        files += [x for x in f if x not in files]
    return pd.concat([o[0] for o in out], ignore_index=True), files
