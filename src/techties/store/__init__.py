"""The DuckDB store (the only package that imports duckdb)."""

from techties.store.core import IngestResult, Store, file_sha256, open_store

__all__ = ["IngestResult", "Store", "file_sha256", "open_store"]
