"""Imports every source module in this package so that each registers itself (``@register``)."""

import importlib
import pkgutil

import techties.sources as _pkg

_NOT_SOURCES = {"base", "builtin", "containers", "countries"}

for _info in sorted(pkgutil.iter_modules(_pkg.__path__), key=lambda i: i.name):
    if _info.name not in _NOT_SOURCES and not _info.name.startswith("_"):
        importlib.import_module(f"techties.sources.{_info.name}")
