"""Ingest local files of a source into the store: parse, hash, write — all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa

from techties.errors import SourceFormatError
from techties.sources import get_source
from techties.sources.base import Source
from techties.store.core import IngestResult, PlanFailed, Store, file_sha256


def expand(paths: Sequence[str | Path], patterns: Sequence[str]) -> list[Path]:
    """Files named directly, plus files in named folders matching the source's patterns."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted({f for pat in patterns for f in p.glob(pat) if f.is_file()})
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise SourceFormatError(p, "no such file or folder", hint="Check the path.")
    return out


def ingest_files(
    store: Store,
    source_name: str,
    paths: Sequence[str | Path],
    *,
    replace: bool = False,
    progress: Callable[[Path], None] | None = None,
) -> list[IngestResult]:
    """Read every file with the source's reader and write it to the store in one transaction.

    A failure in any file leaves the store exactly as it was. Files already ingested (same
    sha256 for the same source) are skipped unless ``replace``.
    """
    source = get_source(source_name)
    files = expand(paths, source.patterns)
    if not files:
        raise SourceFormatError(
            Path(*map(str, paths[:1])) if paths else Path("."),
            "no input files found",
            expected=f"files matching {', '.join(source.patterns)}",
        )
    results: list[IngestResult] = []
    with store.transaction(), _ReadAhead(store, source, files, replace=replace) as ahead:
        for i, f in enumerate(files):
            if hasattr(source, "csv_plan"):
                results.append(_ingest_plan(store, source, f, replace=replace))
                if progress:
                    progress(f)
                continue
            sha = ahead.sha(f)
            previous = ahead.previous(sha)
            if not replace and previous is not None:
                ahead.drop(f)
                results.append(
                    IngestResult(
                        source.name, str(f.resolve()), source.table, 0, previous, skipped=True
                    )
                )
            else:
                table = ahead.table(f)
                ahead.start(files[i + 1] if i + 1 < len(files) else None)  # read while writing
                results.append(
                    store.write(
                        source=source.name,
                        table=source.table,
                        data=table,
                        location=str(f.resolve()),
                        sha256=sha,
                        nbytes=f.stat().st_size,
                        version=source.version(f),
                        replace=replace,
                    )
                )
                ahead.written(sha, results[-1])
            if progress:
                progress(f)
    return results


class _ReadAhead:
    """Reads the next file of a source on a second thread while the store writes this one.

    The store's checks and inserts run in DuckDB, which releases the GIL, so parsing file i+1
    overlaps writing file i. A file is read ahead only if it was not ingested before this call
    (an already-ingested file is never parsed); the skip check is made again when its turn comes
    (an identical copy written just before makes it a skip, and its rows are not used). A read
    error surfaces when the file's turn comes, in file order, as without the read-ahead.

    Without ``replace`` the live ingests of the source are read once (:meth:`Store.live_ingests`)
    and the ingests this call writes added to them: no write of this call can make an earlier
    ingest not live (only ``replace`` supersedes), so :meth:`previous` is
    :meth:`Store.find_ingest`'s answer without a query per file.
    """

    def __init__(self, store: Store, source: Source, files: list[Path], *, replace: bool) -> None:
        self.store, self.source, self.replace = store, source, replace
        self.plan = hasattr(source, "csv_plan")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="techties-read")
        self._reads: dict[Path, Future[pa.Table]] = {}
        self._shas: dict[Path, str] = {}
        self._live = None if replace or self.plan else store.live_ingests(source.name, source.table)

    def previous(self, sha: str) -> int | None:
        """The live ingest of these bytes by the source, if any (:meth:`Store.find_ingest`)."""
        if self._live is None:
            return self.store.find_ingest(self.source.name, sha, self.source.table)
        return self._live.get(sha)

    def written(self, sha: str, result: IngestResult) -> None:
        if self._live is not None and not result.skipped and result.provenance_id is not None:
            self._live[sha] = result.provenance_id

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def sha(self, f: Path) -> str:
        return self._shas.pop(f, None) or file_sha256(f)

    def start(self, f: Path | None) -> None:
        if f is None or self.plan or f in self._reads:
            return
        sha = self._shas[f] = file_sha256(f)
        if self.replace or self.previous(sha) is None:
            self._reads[f] = self._pool.submit(self.source.read, f)

    def table(self, f: Path) -> pa.Table:
        found = self._reads.pop(f, None)
        return found.result() if found is not None else self.source.read(f)

    def drop(self, f: Path) -> None:
        found = self._reads.pop(f, None)
        if found is not None:
            found.cancel() or found.exception()  # wait: its warnings belong to this ingest


def _ingest_plan(store: Store, source: Source, path: Path, *, replace: bool) -> IngestResult:
    """Direct CSV load for large files (the source offers ``csv_plan``): one Parquet part.

    A file can only repeat an earlier ingest if its size matches one; otherwise it is hashed on
    a second thread while the plan converts it. A rejected load is diagnosed by the plan's
    streamed reader (or ``source.read``), which raises the file/row/column error (the
    transaction then rolls back and the part is deleted).
    """
    nbytes = path.stat().st_size
    same_size = store.scalar(
        "SELECT count(*) FROM provenance WHERE source = ? AND bytes = ? AND target_table = ?",
        [source.name, nbytes, source.table],
    )
    plan = source.csv_plan(path)  # type: ignore[attr-defined]
    common = {
        "source": source.name,
        "table": source.table,
        "plan": plan,
        "location": str(path.resolve()),
        "nbytes": nbytes,
        "version": source.version(path),
        "replace": replace,
    }
    try:
        if same_size:
            sha = file_sha256(path)
            previous = store.find_ingest(source.name, sha, source.table)
            if previous is not None and not replace:
                return IngestResult(
                    source.name, common["location"], source.table, 0, previous, skipped=True
                )
            return store.write_plan(sha256=sha, replace_id=previous, **common)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return store.write_plan(sha256=pool.submit(file_sha256, path), **common)
    except PlanFailed as exc:
        source.read(path)  # raises the precise SourceFormatError
        raise SourceFormatError(path, f"rejected by the store: {exc.message}") from exc
