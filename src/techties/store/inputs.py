"""What one ingest reads and reports: the input's sha256, the :class:`IngestResult`, a direct
load's Parquet writer and its :class:`PlanFailed` (:class:`techties.store.core.Store` writes
under them; they are re-exported there)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techties.errors import StoreError

if TYPE_CHECKING:
    import pyarrow as pa


def file_sha256(path: str | Path, *, chunk: int = 1 << 22) -> str:
    """sha256 of a file's bytes (streamed, 4 MiB at a time)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingested input produced."""

    source: str
    location: str
    table: str
    rows: int
    provenance_id: int | None
    skipped: bool = False
    replaced: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "location": self.location,
            "table": self.table,
            "rows": self.rows,
            "provenance_id": self.provenance_id,
            "skipped": self.skipped,
            "replaced": self.replaced,
            "details": self.details,
        }


def write_batches(target: Path, batches: Iterator[pa.Table]) -> dict[str, str]:
    """Stream canonical tables into one Parquet file; return its columns and their types."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from techties.store.validate import ROW

    writer: pq.ParquetWriter | None = None
    schema = pa.schema([])
    try:
        for batch in batches:
            if writer is None:
                schema = batch.schema
                writer = pq.ParquetWriter(target, schema, compression="lz4")
            writer.write_table(batch.cast(schema))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise PlanFailed("the reader produced no rows")
    return {f.name: str(f.type) for f in schema if f.name != ROW}  # _row: for validation only


class PlanFailed(StoreError):
    """A direct CSV load was rejected (bad value or failed check); the reader names the row."""
