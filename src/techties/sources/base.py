"""The small contract every source module follows, and the registry of sources.

A source knows one official dataset:

- ``read(path) -> pyarrow.Table`` parses a local file in the official layout into the canonical
  table named by ``table`` (offline, pure parsing; raises :class:`SourceFormatError` naming file,
  row and column on bad input);
- ``download(dest, *, years, client) -> list[Path]`` fetches files from the official endpoint
  with the ``httpx.Client`` passed in (tests pass one built on ``httpx.MockTransport``);
- ``version(path)`` names the vintage/release a file belongs to (recorded in provenance).

Sources register in :data:`REGISTRY` (built-ins) and through the entry-point group
``techties.sources`` (third-party packages).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import ClassVar

import httpx
import pyarrow as pa

from techties.errors import FetchError, UnknownNameError, did_you_mean
from techties.sources.http import fetch_bytes as _fetch_bytes


class Source(ABC):
    """Base class of a source. Subclasses set the class attributes and implement ``read``."""

    name: ClassVar[str]
    table: ClassVar[str]
    title: ClassVar[str]
    homepage: ClassVar[str] = ""
    #: file patterns ``ingest`` accepts when given a folder
    patterns: ClassVar[tuple[str, ...]] = ("*",)

    @abstractmethod
    def read(self, path: Path) -> pa.Table:
        """Parse one local file into the canonical table."""

    @property
    def can_download(self) -> bool:
        """True when the source overrides :meth:`download` with an official endpoint."""
        return type(self).download is not Source.download

    def version(self, path: Path) -> str | None:
        """The vintage or release of a file (recorded in provenance)."""
        return None

    def download(
        self, dest: Path, *, years: Sequence[int] | None = None, client: httpx.Client
    ) -> list[Path]:
        """Fetch files from the official endpoint into ``dest``; return their paths."""
        raise FetchError(
            f"Source {self.name!r} has no download endpoint.",
            hint=f"Download the files by hand from {self.homepage or 'the publisher'} and run "
            f"`techties ingest {self.name} PATH`.",
        )


REGISTRY: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    """Class decorator adding a source to the registry."""
    REGISTRY[cls.name] = cls
    return cls


@lru_cache(maxsize=1)
def _source_entry_points() -> tuple[EntryPoint, ...]:
    """The ``techties.sources`` entry points (scanning installed packages costs ~10 ms; once)."""
    return tuple(entry_points(group="techties.sources"))


def _load_entry_points() -> None:
    for ep in _source_entry_points():
        if ep.name not in REGISTRY:
            REGISTRY[ep.name] = ep.load()


def get_source(name: str) -> Source:
    """Instantiate the source called ``name``."""
    _load_entry_points()
    if name not in REGISTRY:
        raise UnknownNameError(f"No source named {name!r}.", hint=did_you_mean(name, REGISTRY))
    return REGISTRY[name]()


def all_sources() -> dict[str, Source]:
    _load_entry_points()
    return {n: REGISTRY[n]() for n in sorted(REGISTRY)}


def fetch_bytes(client: httpx.Client, url: str, *, params: dict[str, str] | None = None) -> bytes:
    """GET ``url`` and return the body, with the retries and checks of
    :func:`techties.sources.http.fetch_bytes` (failures → FetchError)."""
    return _fetch_bytes(client, url, params=params)
