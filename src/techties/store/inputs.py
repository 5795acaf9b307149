"""What one ingest reads and reports: the input's sha256 and the :class:`IngestResult`
(:class:`techties.store.core.Store` writes under them; both are re-exported there)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
