"""Verdicts kept in the store: read back exactly as checked, never from a payload this user's
techties did not sign, checked again when anything they depend on changes."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from techties.claims import Checker, Verdict, check_all, load_catalog
from techties.claims import kept as kept_mod
from techties.errors import DataWarning
from techties.store import Store, open_store
from techties.store.derived import Derived, derived_list, keep, lookup
from techties.store.manifest import ingest_folder

DATA = Path(__file__).parent / "fixtures" / "claims" / "data"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))


def _dump(verdicts: list[Verdict]) -> list[tuple[dict[str, Any], Any]]:
    return [(v.to_dict(), None if v.chart is None else v.chart.to_dict()) for v in verdicts]


@pytest.fixture()
def runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The claims whose checker ran."""
    seen: list[str] = []
    real = Checker.check

    def counted(self: Checker, store: Store) -> Verdict:
        seen.append(self.claim_id)
        return real(self, store)

    monkeypatch.setattr(Checker, "check", counted)
    return seen


def test_kept_verdicts_equal_a_fresh_check_and_no_checker_runs(
    tmp_path: Path, runs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    every = [c.id for c in load_catalog()]
    with open_store(tmp_path / "s.duckdb") as st:
        ingest_folder(st, DATA)
        first = check_all(st)
        assert runs == every and kept_mod.NAME in set(derived_list(st)["name"])
        fresh = check_all(st, strict=True)  # the simple path: every checker runs again
        assert runs == every * 2 and _dump(fresh) == _dump(first)
        again = check_all(st)
        assert runs == every * 2  # read back: no checker ran
        assert _dump(again) == _dump(first) and again[0] is not first[0]
        # a model result cached in the store is an input: the claims are checked again
        keep(st, [Derived("incidence-specs", "k", [1], "v", pd.DataFrame({"a": [1.0]}))])
        assert _dump(check_all(st)) == _dump(first) and runs == every * 3
        check_all(st)
        assert runs == every * 3
        # another user's techties (another signing key) never unpickles what this one kept
        monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "other-cache"))
        assert _dump(check_all(st)) == _dump(first) and runs == every * 4
    with open_store(tmp_path / "s.duckdb", read_only=True) as ro:  # reads, keeps nothing
        before = derived_list(ro)
        assert _dump(check_all(ro)) == _dump(first) and runs == every * 4
        assert derived_list(ro).equals(before)


def test_a_changed_payload_is_never_unpickled(
    tmp_path: Path, runs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path / "s.duckdb") as st:
        ingest_folder(st, DATA)
        first = check_all(st)
        key = kept_mod.verdicts_key(st)
        row = lookup(st, [(kept_mod.NAME, key)])[(kept_mod.NAME, key)]
        buf = io.BytesIO()
        pd.to_pickle([first[0]], buf)  # another payload under the old signature
        row = row.assign(payload=[buf.getvalue()])
        keep(st, [Derived(kept_mod.NAME, key, [], "v", row)], one_per_name=True)

        def refuse(data: bytes) -> object:
            raise AssertionError("an unsigned payload was unpickled")

        monkeypatch.setattr(kept_mod.pickle, "loads", refuse)
        assert kept_mod.read_kept(st, key) is None
        assert _dump(check_all(st)) == _dump(first) and len(runs) == 2 * len(first)


def test_a_check_that_warned_is_not_kept_and_warns_again(
    tmp_path: Path, runs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from techties.claims.checkers.controls import EntityListReach

    real = EntityListReach.evaluate

    def warned(self: EntityListReach, store: Store) -> Verdict:
        warnings.warn("a layer warned", DataWarning, stacklevel=1)
        return real(self, store)

    monkeypatch.setattr(EntityListReach, "evaluate", warned)
    with open_store(tmp_path / "s.duckdb") as st:
        ingest_folder(st, DATA)
        for n in (1, 2):
            with pytest.warns(DataWarning, match="a layer warned"):
                check_all(st)
            assert len(runs) == n * len(load_catalog())
        assert kept_mod.NAME not in set(derived_list(st)["name"])
