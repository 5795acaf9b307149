"""Settings, declared once and reused for CLI options, environment variables and docs.

Each :class:`Setting` has a name, an environment variable ``TECHTIES_<NAME>``, a default and a
help line. ``get(name)`` resolves: explicit value > environment variable > default.
``docs/settings.md`` is generated from :data:`SETTINGS` (a test checks they agree).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from techties.errors import UnknownNameError, did_you_mean


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str | None
    help: str

    @property
    def env(self) -> str:
        return f"TECHTIES_{self.name.upper()}"


def _default_store() -> str:
    return str(Path(platformdirs.user_data_dir("techties")) / "techties.duckdb")


def _default_cache() -> str:
    return platformdirs.user_cache_dir("techties")


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("store", None, "Path of the DuckDB store (default: the user data directory)."),
        Setting(
            "data",
            None,
            "Folder of local source files (a data manifest is read from it); used instead of "
            "downloading from the official endpoints.",
        ),
        Setting(
            "cache", None, "Folder where downloads are cached (default: the user cache directory)."
        ),
        Setting("comtrade_key", None, "UN Comtrade API subscription key (needed for downloads)."),
        Setting("census_key", None, "US Census API key (optional; raises the rate limit)."),
        Setting("threads", None, "Threads DuckDB may use (default: all cores)."),
        Setting(
            "memory",
            None,
            "Memory DuckDB may use, e.g. 6GB (default: DuckDB's own, 80 % of RAM); larger "
            "intermediate results spill to disk beside the store.",
        ),
        Setting(
            "engine",
            "duckdb",
            "Engine for indicator queries and the simulate draws: duckdb (embedded; draws in "
            "local processes) or spark (Spark tasks; needs pip install 'techties[spark]').",
        ),
        Setting(
            "spark_master",
            "local[*]",
            "Spark master URL for --engine spark: local[N] or a cluster (spark://host:7077, "
            "yarn, k8s://…).",
        ),
    ]
}

#: the values of the ``engine`` setting
ENGINES = ("duckdb", "spark")


def engine(explicit: str | None = None) -> str:
    """The engine (setting ``engine``: queries, and parallel jobs such as Monte Carlo draws),
    checked against :data:`ENGINES`."""
    from techties.errors import ConfigError

    value = (get("engine", explicit) or "duckdb").strip().lower()
    if value not in ENGINES:
        raise ConfigError(f"Unknown engine {value!r}.", hint=f"Use one of {', '.join(ENGINES)}.")
    return value


_DYNAMIC_DEFAULTS = {"store": _default_store, "cache": _default_cache}


def get(name: str, explicit: str | os.PathLike[str] | None = None) -> str | None:
    """Resolve a setting: explicit value, then ``TECHTIES_<NAME>``, then the default."""
    if name not in SETTINGS:
        raise UnknownNameError(f"No setting named {name!r}.", hint=did_you_mean(name, SETTINGS))
    if explicit is not None:
        return str(explicit)
    env = os.environ.get(SETTINGS[name].env)
    if env:
        return env
    if name in _DYNAMIC_DEFAULTS:
        return _DYNAMIC_DEFAULTS[name]()
    return SETTINGS[name].default


def settings_markdown() -> str:
    """The settings table as Markdown (the body of docs/settings.md)."""
    lines = ["| setting | environment variable | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS.values():
        default = {"store": "user data dir / techties.duckdb", "cache": "user cache dir"}.get(
            s.name, s.default or "—"
        )
        lines.append(f"| `{s.name}` | `{s.env}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"
