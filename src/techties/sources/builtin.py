"""Imports every source module in this package so that each registers itself (``@register``).

``techties.sources`` imports this module, so importing any part of the package registers the
built-in sources (third-party sources come through the ``techties.sources`` entry points)."""

import importlib
import pkgutil
from pathlib import Path

_NOT_SOURCES = {"base", "builtin", "containers", "countries"}

for _info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
    if _info.name not in _NOT_SOURCES and not _info.name.startswith("_"):
        importlib.import_module(f"techties.sources.{_info.name}")
