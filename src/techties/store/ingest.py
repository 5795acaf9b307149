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
    ahead: ReadAhead | None = None,
) -> list[IngestResult]:
    """Read every file with the source's reader and write it to the store in one transaction.

    A failure in any file leaves the store exactly as it was. Files already ingested (same
    sha256 for the same source) are skipped unless ``replace``. ``ahead``: a :class:`ReadAhead`
    shared by several calls (:func:`techties.store.manifest.ingest_folder`), so the files of the
    next source are read while this one is written.
    """
    source = get_source(source_name)
    files = expand(paths, source.patterns)
    if not files:
        raise SourceFormatError(
            Path(*map(str, paths[:1])) if paths else Path("."),
            "no input files found",
            expected=f"files matching {', '.join(source.patterns)}",
        )
    if ahead is None:
        with ReadAhead(store, replace=replace) as own:
            own.plan(source, files)
            return ingest_files(store, source_name, files, replace=replace, progress=progress,
                                ahead=own)  # fmt: skip
    results: list[IngestResult] = []
    with store.transaction():
        for f in files:
            if hasattr(source, "csv_plan"):
                results.append(_ingest_plan(store, source, f, replace=replace))
            else:
                results.append(_ingest_one(store, source, f, ahead, replace=replace))
            if progress:
                progress(f)
    return results


def _ingest_one(
    store: Store, source: Source, f: Path, ahead: ReadAhead, *, replace: bool
) -> IngestResult:
    sha = ahead.sha(f)
    previous = ahead.previous(source, sha)
    if not replace and previous is not None:
        ahead.drop(source, f)
        return IngestResult(source.name, str(f.resolve()), source.table, 0, previous, skipped=True)
    result = store.write(
        source=source.name,
        table=source.table,
        data=ahead.table(source, f),
        location=str(f.resolve()),
        sha256=sha,
        nbytes=f.stat().st_size,
        version=source.version(f),
        replace=replace,
        previous=previous,
    )
    ahead.written(source, sha, result)
    return result


class ReadAhead:
    """Reads the coming files on a second thread while the store writes the current one.

    The store's checks and inserts run in DuckDB, which releases the GIL, so parsing the next
    files overlaps writing this one. :meth:`plan` lists the files in the order they will be
    ingested (several sources in a row for a data folder); up to ``depth`` files past the one
    being written are read ahead, so the reader thread keeps busy while a large file is
    written. A file is read ahead only if it was not ingested before (an already-ingested file
    is never parsed); the skip check is made again when its turn comes (an identical copy
    written just before makes it a skip, and its rows are not used). A read error surfaces when
    the file's turn comes, in file order, as without the read-ahead.

    Without ``replace`` the live ingests of each source are read once (:meth:`Store.live_ingests`)
    and the ingests written meanwhile added to them: no write without ``replace`` can make an
    earlier ingest not live (only ``replace`` supersedes), so :meth:`previous` is
    :meth:`Store.find_ingest`'s answer without a query per file.
    """

    def __init__(self, store: Store, *, replace: bool, depth: int = 4) -> None:
        self.store, self.replace, self.depth = store, replace, depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="techties-read")
        self._plan: list[tuple[Source, Path]] = []
        self._next = 0  # index in _plan of the next file to ingest
        self._reads: dict[tuple[str, Path], Future[pa.Table]] = {}
        self._shas: dict[Path, str] = {}
        self._live: dict[tuple[str, str], dict[str, int]] = {}

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def plan(self, source: Source, files: Sequence[Path]) -> None:
        """Files of ``source`` to be ingested next, in order (Parquet-part sources: none)."""
        if not hasattr(source, "csv_plan"):
            self._plan.extend((source, f) for f in files)

    def previous(self, source: Source, sha: str) -> int | None:
        """The live ingest of these bytes by the source, if any (:meth:`Store.find_ingest`)."""
        if self.replace:
            return self.store.find_ingest(source.name, sha, source.table)
        key = (source.name, source.table)
        if key not in self._live:
            self._live[key] = self.store.live_ingests(*key)
        return self._live[key].get(sha)

    def written(self, source: Source, sha: str, result: IngestResult) -> None:
        live = self._live.get((source.name, source.table))
        if live is not None and not result.skipped and result.provenance_id is not None:
            live[sha] = result.provenance_id

    def sha(self, f: Path) -> str:
        if f not in self._shas:
            self._shas[f] = file_sha256(f)
        return self._shas[f]

    def table(self, source: Source, f: Path) -> pa.Table:
        """The rows of ``f`` (its turn has come): read ahead, else read now."""
        self._advance(source, f)
        found = self._reads.pop((source.name, f), None)
        return found.result() if found is not None else source.read(f)

    def drop(self, source: Source, f: Path) -> None:
        """``f`` is skipped: its rows are not used."""
        self._advance(source, f)
        found = self._reads.pop((source.name, f), None)
        if found is not None:
            found.cancel() or found.exception()  # wait: its warnings belong to this ingest

    def _advance(self, source: Source, f: Path) -> None:
        """``f``'s turn: start reading the next ``depth`` files of the plan."""
        at = self._next
        if at < len(self._plan) and (self._plan[at][0].name, self._plan[at][1]) == (source.name, f):
            self._next = at = at + 1
        for src, g in self._plan[at : at + self.depth]:
            if (src.name, g) not in self._reads and (
                self.replace or self.previous(src, self.sha(g)) is None
            ):
                self._reads[(src.name, g)] = self._pool.submit(src.read, g)


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
