"""Shared fixtures: a fresh store per test and the real data folder (skipped when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from techties.store import Store, open_store

# Hypothesis profiles: ``ci`` (selected when the CI environment variable is set) runs the reader
# fuzz tests (tests/test_fuzz_readers.py, one test per reader) with 1,000 examples each; ``dev``
# (the default, 100) keeps a local run short. Tests that set their own max_examples keep it.
_SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=1000, deadline=None, suppress_health_check=_SLOW)
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=_SLOW)
settings.load_profile(
    os.environ.get("TECHTIES_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(os.environ.get("TECHTIES_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads retry with back-off; tests never wait for it (tests/test_downloads.py records
    the waits it checks)."""
    from techties.sources import http

    monkeypatch.setattr(http, "sleep", lambda seconds: None)


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(tmp_path / "test.duckdb")
    yield st
    st.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data beside the checkout; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


def shared(*parts: str) -> Path:
    """Path of a file in the real data folder, skipping the test when it is missing."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is absent")
    return p


@pytest.fixture(scope="session")
def real_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store built from every file of the real data folder (once per test session).

    Model inputs are in it too, so claims are checked on it alone
    (``check_claim(real_store, claim_id)``); GE and model results are cached in its
    ``derived`` table, which lives in the temporary folder with it.
    """
    from techties.store.manifest import ingest_folder

    tmp = tmp_path_factory.mktemp("realstore")
    mp = pytest.MonkeyPatch()
    mp.setenv("TECHTIES_CACHE", str(tmp / "cache"))
    st = open_store(tmp / "real.duckdb")
    try:
        ingest_folder(st, shared_data)
        yield st
    finally:
        st.close()
        mp.undo()
