"""Official sources: one module each, the same small contract (see :mod:`techties.sources.base`).

Importing this package registers the built-in sources.
"""

from techties.sources.base import REGISTRY, Source, all_sources, get_source, register

# Built-in sources register themselves on import.
from techties.sources import builtin  # noqa: F401  isort: skip

__all__ = ["REGISTRY", "Source", "all_sources", "get_source", "register"]
