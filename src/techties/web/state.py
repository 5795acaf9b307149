"""What the web explorer holds while it runs: the store (read-only, external files fenced off), a
pool of DuckDB cursors for request threads, the claims checked once, and the templates.

The store is opened with ``open_store(read_only=True)``, which never creates or migrates a file,
so the CLI and several server processes share it. Bulk tables live in Parquet parts beside the
store file (``<store>.parts/``), which the ``trade_flows`` view reads with ``read_parquet``; the
server therefore sets ``allowed_directories`` to that folder and then ``enable_external_access =
false``: DuckDB refuses every other file and URL, and the setting cannot be switched back on while
the database is open.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from techties._version import __version__
from techties.store import Store, open_store, parts

if TYPE_CHECKING:
    from techties.claims import Claim, Verdict

#: cursors (one per request thread at a time); more concurrent requests wait for one
POOL_SIZE = 8


def fence(store: Store) -> None:
    """Let the store's DuckDB read only its own parts folder: no other file, no URL."""
    if store.path != ":memory:":
        root = str(store.parts_root.resolve()) + "/"
        store.con.execute("SET allowed_directories = ?", [[root]])
    store.con.execute("SET enable_external_access = false")


class Explorer:
    """The state of one server process over one store: ``Explorer(store)``."""

    def __init__(self, store: Store, *, pool_size: int = POOL_SIZE) -> None:
        self.store = store
        self.path = store.path
        self._pool: queue.Queue[Store] = queue.Queue()
        for _ in range(pool_size):
            cursor = store.con.cursor()
            parts.sync_views(cursor, store.parts_root, read_only=True)  # a moved store's views
            self._pool.put(Store(cursor, store.path, read_only=True))
        fence(store)
        self.stamp = stamp(store)
        self._verdicts: list[Verdict] | None = None
        self._claims: dict[str, Claim] = {}
        self.checked = ""
        self.check_seconds = 0.0
        self._lock = threading.Lock()
        self.env = _environment()
        css = Path(__file__).parents[1] / "report" / "templates" / "report.css"
        self.css = css.read_text("utf-8") + (
            Path(__file__).parent / "templates" / "web.css"
        ).read_text("utf-8")
        self.cache: dict[tuple[Any, ...], Any] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path | None) -> Explorer:
        return cls(open_store(path, read_only=True))

    def close(self) -> None:
        self.store.close()

    @contextmanager
    def reader(self) -> Iterator[Store]:
        """A store on a cursor of its own for the calling thread (returned to the pool)."""
        st = self._pool.get()
        try:
            yield st
        finally:
            self._pool.put(st)

    # -- claims: checked once per process ----------------------------------------------------
    def verdicts(self) -> list[Verdict]:
        """Every claim's verdict, checked on first use (under a lock) and kept."""
        with self._lock:
            if self._verdicts is None:
                from techties.claims import check_all, load_catalog

                start = time.perf_counter()
                with self.reader() as st:
                    self._verdicts = check_all(st)
                self.check_seconds = time.perf_counter() - start
                self._claims = {c.id: c for c in load_catalog()}
                self.checked = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            return self._verdicts

    def preload(self, verdicts: list[Verdict]) -> None:
        """Use verdicts checked elsewhere (by the process that started the server)."""
        from techties.claims import load_catalog

        with self._lock:
            self._verdicts = list(verdicts)
            self._claims = {c.id: c for c in load_catalog()}
            self.checked = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    def claims(self) -> dict[str, Claim]:
        self.verdicts()
        return self._claims

    def find(self, key: str) -> tuple[Claim, Verdict] | None:
        """A claim by id or number, with its verdict."""
        claims = self.claims()
        for v in self.verdicts():
            if v.claim_id == key or str(claims[v.claim_id].number) == key:
                return claims[v.claim_id], v
        return None

    # -- a small cache of computed pages ------------------------------------------------------
    def cached(self, key: tuple[Any, ...], make: Any, *, limit: int = 256) -> Any:
        """``make()`` once per key (the store does not change while the server reads it)."""
        with self._cache_lock:
            if key in self.cache:
                return self.cache[key]
        value = make()
        with self._cache_lock:
            if len(self.cache) >= limit:
                self.cache.pop(next(iter(self.cache)))
            self.cache[key] = value
        return value


def stamp(store: Store) -> str:
    """What identifies this build of the store: file identity, size and modification time, and
    the last provenance id (``memory`` stores: the last id alone). Part of every cache key and
    ``ETag`` of the explorer."""
    last = store.scalar("SELECT coalesce(max(id), 0) FROM provenance")
    if store.path == ":memory:":
        return f"memory:{last}"
    st = Path(store.path).stat()
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{last}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("techties.web", "templates"),
                jinja2.PackageLoader("techties.report", "templates"),
            ]
        ),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = cell
    env.globals["version"] = __version__
    return env


def cell(x: Any) -> str:
    """A table value for the page: thousands separators, four significant digits below
    10,000, whole numbers above (no exponents), — for missing (never "nan")."""
    if x is None or (isinstance(x, float) and x != x):
        return "—"
    if isinstance(x, bool) or not isinstance(x, int | float):
        text = str(x)
        return "—" if text in ("nan", "NaT", "None", "<NA>") else text
    if isinstance(x, int) or (abs(x) >= 1e4 and float(x).is_integer()):
        return f"{x:,.0f}"
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:,.4g}"
