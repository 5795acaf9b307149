"""`techties claims` on a checked store: the kept listing is what a fresh check lists, it is read
without pandas or the analysis layers, and a changed store or a listing this user's techties did
not sign is checked again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from techties.claims import check_all
from techties.claims import listing as listing_mod
from techties.cli.output import console, print_frame, print_rows
from techties.report.build import verdict_frame
from techties.store import open_store
from techties.store.manifest import ingest_folder

DATA = Path(__file__).parent / "fixtures" / "claims" / "data"
HEAVY = ("pandas", "numpy", "pyarrow", "polars", "scipy", "pyfixest", "techties.claims.checkers")

#: runs `techties claims ARGS` in this process and reports which heavy modules it loaded
SCRIPT = """
import sys
from techties.cli.main import app
try:
    app(sys.argv[1:], prog_name="techties")
except SystemExit as exc:
    assert not exc.code, exc.code
print("LOADED", sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "TECHTIES_DATA"}
    e |= {"TECHTIES_CACHE": str(tmp_path / "cache"), "TECHTIES_STORE": str(tmp_path / "s.duckdb")}
    e["COLUMNS"] = "120"
    return e


@pytest.fixture()
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """This test's own signing key and no data folder."""
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TECHTIES_DATA", raising=False)


def _claims(env: dict[str, str], *args: str) -> tuple[str, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(heavy=HEAVY), "claims", *args],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED ")][-1]
    return proc.stdout, json.loads(loaded.removeprefix("LOADED ").replace("'", '"'))


def test_a_checked_store_lists_its_kept_verdicts_without_the_analysis_stack(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in ("TECHTIES_CACHE", "TECHTIES_STORE"):
        monkeypatch.setenv(k, env[k])
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    with open_store() as st:
        ingest_folder(st, DATA)
        fresh = check_all(st, strict=True)  # the simple path: every checker runs, nothing kept
        assert listing_mod.read_listing(st) is None
    first, loaded_first = _claims(env)  # checks and keeps
    assert "pandas" in loaded_first and "techties.claims.checkers" in loaded_first
    second, loaded_second = _claims(env)
    assert loaded_second == []
    assert second == first
    with open_store() as st:
        kept = listing_mod.read_listing(st)
    assert kept == json.loads(json.dumps(listing_mod.listing_rows(fresh)))
    assert [r["claim"] for r in kept] == [v.claim_id for v in fresh]
    assert any(r["key_number"] for r in kept)  # the fixture data give some verdicts numbers
    as_json, loaded_json = _claims(env, "--json")
    assert loaded_json == []
    assert json.loads(as_json) == [
        {k: v.to_dict()[k] for k in ("claim_id", "status", "reason", "rationale")} for v in fresh
    ]


@pytest.mark.usefixtures("isolated")
def test_the_listing_prints_as_the_verdict_table_does(tmp_path: Path) -> None:
    with open_store(tmp_path / "p.duckdb") as st:
        ingest_folder(st, DATA)
        verdicts = check_all(st, strict=True)
    with console.capture() as a:
        print_frame(verdict_frame(verdicts), title="Claims")
    rows = listing_mod.listing_rows(verdicts)
    with console.capture() as b:
        print_rows(rows, listing_mod.TABLE_COLUMNS, title="Claims", right=("no",))
    assert b.get() == a.get() and "key_number" in a.get()


@pytest.mark.usefixtures("isolated")
def test_a_changed_store_or_a_listing_not_signed_here_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path / "s.duckdb") as st:
        verdicts = check_all(st)  # an empty store: every claim unverifiable, kept
        rows = listing_mod.read_listing(st)
        assert rows == json.loads(json.dumps(listing_mod.listing_rows(verdicts)))
        payload = bytes(
            st.scalar("SELECT payload FROM derived WHERE name = ?", [listing_mod.LISTING])
        )
        forged = payload.replace(b"unverifiable", b"supported")
        assert forged != payload
        st.con.execute(
            "UPDATE derived SET payload = ? WHERE name = ?", [forged, listing_mod.LISTING]
        )
        assert listing_mod.read_listing(st) is None  # changed after it was signed
        st.con.execute(
            "UPDATE derived SET payload = ? WHERE name = ?", [payload, listing_mod.LISTING]
        )
        assert listing_mod.read_listing(st) == rows
        monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "other-cache"))
        assert listing_mod.read_listing(st) is None  # signed by another user's key
        monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))
        ingest_folder(st, DATA)  # new provenance rows: a new key
        assert listing_mod.read_listing(st) is None
