"""Imports every built-in source module so that each registers itself."""

import importlib

BUILTIN_MODULES: tuple[str, ...] = ()

for _mod in BUILTIN_MODULES:
    importlib.import_module(f"techties.sources.{_mod}")
