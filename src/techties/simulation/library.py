"""The scenario library: named YAML scenarios shipped with techties, and running one by name.

>>> from techties.simulation.library import simulate
>>> res = simulate("uschina_escalation", store=store, draws=100)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from techties.simulation.scenario import LIBRARY, Scenario, library_names, scenario_file

if TYPE_CHECKING:
    from techties.store.core import Store



def simulate(
    scenario: str | Path,
    *,
    store: Store | None = None,
    draws: int = 0,
    seed: int = 0,
    workers: int | None = None,
    level: float = 0.90,
    engine: str | None = None,
) -> Any:
    """Run a scenario given by file or library name; returns the scenario's result object
    (``summary()``, ``tidy()``, ``to_dict()``, ``plot()``). The baseline is built from the
    model inputs in ``store`` (default: the store ``TECHTIES_STORE`` names);
    ingest them with ``techties simulate … --data DIR`` or :func:`techties.ingest_folder`.
    ``workers`` and ``engine`` say where the draws run (processes, or Spark partitions with
    ``engine="spark"``; default: the ``engine`` setting)."""
    sc = Scenario.from_yaml(scenario_file(scenario))
    kw: dict[str, Any] = {"draws": draws, "seed": seed, "workers": workers, "level": level,
                          "engine": engine}  # fmt: skip
    if store is not None:
        return sc.run(store=store, **kw)
    from techties.store import open_store

    with open_store(None) as st:
        return sc.run(store=st, **kw)


__all__ = ["LIBRARY", "library_names", "scenario_file", "simulate"]
