"""Fuzzing every reader: a malformed variant of a fixture is refused, a valid one goes in.

One Hypothesis test per reader draws variants of its fixture (tests/fuzz_variants.py). A
malformed one (``bad:…``: NaN, inf, 1e400, a negative amount or text in a number column, a
repeated row, a bad year, an unknown code, a repeated header name, a dropped column, a broken
cross-column rule …) must raise a :class:`TechtiesError` — never a bare exception — and leave
the row count of every table (provenance included) and the Parquet parts exactly as they were.
A valid one (``ok:…``: rows reordered or left out, amounts rescaled, the publisher's own
missing markers or repeated header lines) must ingest as many rows as its reader returns.

Examples per reader come from the Hypothesis profile (tests/conftest.py): ``ci`` (CI set) runs
1,000 per reader, ``dev`` 100.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given

from fuzz_variants import READERS, Variant
from techties.errors import TechtiesError
from techties.store import Store, open_store
from techties.store.ingest import ingest_files


class Stores:
    """An in-memory store, renewed after a few valid ingests so it stays small (every bulk
    ingest adds a Parquet part and the ``trade_flows`` view grows with them)."""

    def __init__(self) -> None:
        self.store, self.stored = open_store(":memory:"), 0

    def stored_one(self) -> None:
        self.stored += 1
        if self.stored % 25 == 0:
            self.store.close()
            self.store = open_store(":memory:")


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    held = Stores()
    yield held
    held.store.close()


def state(store: Store) -> tuple[object, ...]:
    """Row counts of every table (provenance and the parts registry too) and the part files.

    Views (trade_flows over its parts, tariff_events …) are left out: they only read these."""
    names = _TABLES.get(id(store))
    if names is None:
        names = _TABLES[id(store)] = [
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
    counts = store.con.execute(
        " UNION ALL ".join(f'SELECT {i}, count(*) FROM "{n}"' for i, n in enumerate(names))
    ).fetchall()
    parts = sorted(str(p) for p in store.parts_root.rglob("*") if p.is_file())
    return (*sorted(counts), *parts)


_TABLES: dict[int, list[str]] = {}  # store → its tables (migrations made them; they stay)


def write(variant: Variant) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    for rel, data in variant.files:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder / variant.files[0][0]


def check(stores: Stores, source: str, variant: Variant) -> None:
    store, path = stores.store, write(variant)
    before = state(store)
    if variant.malformed:
        with pytest.raises(TechtiesError):
            ingest_files(store, source, [path])
        assert state(store) == before, f"{variant.label} changed the store"
        return
    (res,) = ingest_files(store, source, [path], replace=True)
    stored = store.scalar(
        f'SELECT count(*) FROM "{res.table}" WHERE provenance_id = ?', [res.provenance_id]
    )
    assert res.rows == stored > 0 and not res.skipped, variant.label
    stores.stored_one()


def _test(name: str):  # one test function per reader, visible to pytest under its own name
    source, strategy = READERS[name]

    @given(variant=strategy())
    def test(variant: Variant, stores: Stores) -> None:
        check(stores, source, variant)

    test.__name__ = f"test_fuzz_{name}"
    test.__doc__ = f"{name}: malformed variants refused (store unchanged), valid ones stored."
    return test


test_fuzz_census = _test("census")
test_fuzz_comtrade = _test("comtrade")
test_fuzz_baci = _test("baci")
test_fuzz_gravity = _test("gravity")
test_fuzz_export_lists = _test("export_lists")
test_fuzz_wdi = _test("wdi")
test_fuzz_usitc_tariffs = _test("usitc_tariffs")
test_fuzz_section301 = _test("section301")
test_fuzz_ncses = _test("ncses")


def test_every_reader_is_fuzzed() -> None:
    assert {n for n in globals() if n.startswith("test_fuzz_")} == {
        f"test_fuzz_{n}" for n in READERS
    }
