"""Data manifests: which local files feed which source.

A manifest is YAML: a list of entries ``{source: NAME, files: [GLOB, ...]}`` with globs relative
to the data folder. A data folder may carry its own ``techties-manifest.yaml``; otherwise the
package's default manifest is used: the files ``techties/store/manifests/*.yaml`` (one per area,
read in name order), which describe the layout of the staged public-data folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from techties.errors import ConfigError, UnknownNameError
from techties.sources import REGISTRY, get_source
from techties.store.core import IngestResult, Store
from techties.store.ingest import ReadAhead, ingest_files

MANIFEST_NAME = "techties-manifest.yaml"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    source: str
    files: tuple[str, ...]
    note: str = ""

    def resolve(self, root: Path) -> list[Path]:
        return sorted({p for pat in self.files for p in root.glob(pat) if p.is_file()})


def load_manifest(root: Path) -> list[ManifestEntry]:
    """The manifest for a data folder (its own, else the package default)."""
    own = root / MANIFEST_NAME
    if own.exists():
        return _parse_manifest(own.read_text("utf-8"), own)
    entries: list[ManifestEntry] = []
    folder = resources.files("techties.store").joinpath("manifests")
    for part in sorted(folder.iterdir(), key=lambda p: p.name):
        if part.name.endswith(".yaml"):
            entries.extend(_parse_manifest(part.read_text("utf-8"), Path("manifests", part.name)))
    return entries


def _parse_manifest(text: str, where: Path) -> list[ManifestEntry]:
    try:
        raw = yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from exc
    entries = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or "source" not in item or "files" not in item:
            raise ConfigError(
                f"{where}: entry {i} needs 'source' and 'files'", hint="See docs/data.md."
            )
        files = item["files"] if isinstance(item["files"], list) else [item["files"]]
        entries.append(
            ManifestEntry(str(item["source"]), tuple(map(str, files)), str(item.get("note", "")))
        )
    return entries


def ingest_folder(
    store: Store,
    root: Path,
    *,
    replace: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> list[IngestResult]:
    """Ingest every manifest entry whose files exist under ``root`` (one transaction per entry)."""
    if not root.is_dir():
        raise ConfigError(
            f"Data folder {root} does not exist.",
            hint="Pass --data with the folder of source files, or set TECHTIES_DATA.",
        )
    todo = [(entry, entry.resolve(root)) for entry in load_manifest(root)]
    results: list[IngestResult] = []
    with ReadAhead(store, replace=replace) as ahead:
        for entry, files in todo:  # known sources: their files are read while others are written
            if entry.source in REGISTRY and files:
                ahead.plan(REGISTRY[entry.source](), files)
        for entry, files in todo:
            if entry.source not in REGISTRY:
                get_source(entry.source)  # loads entry points; UnknownNameError if still unknown
            if not files:
                continue
            results.extend(ingest_files(store, entry.source, files, replace=replace, ahead=ahead))
            if progress:
                progress(entry.source, len(files))
    return results


__all__ = ["MANIFEST_NAME", "ManifestEntry", "UnknownNameError", "ingest_folder", "load_manifest"]
