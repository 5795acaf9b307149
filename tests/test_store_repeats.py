"""Rows a file repeats from another file of the same source (techties.store.repeats)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from techties.errors import DuplicateKeyError
from techties.store import Store
from techties.store.ingest import ingest_files

BACI = FIXTURES / "baci" / "BACI_HS17_Y2017_V202201.csv"
COMTRADE = FIXTURES / "comtrade" / "TradeData_USA_China.csv"


def _details(store: Store, pid: int) -> dict[str, object]:
    return dict(json.loads(store.scalar("SELECT details FROM provenance WHERE id = ?", [pid])))


def _baci_releases(folder: Path) -> tuple[Path, Path]:
    """The fixture as release V202201 and a revised release V202301 (one value changed)."""
    for release in ("V202201", "V202301"):
        shutil.copy(FIXTURES / "baci" / "country_codes_V202201.csv",
                    folder / f"country_codes_{release}.csv")  # fmt: skip
    old = folder / BACI.name
    shutil.copy(BACI, old)
    new = folder / "BACI_HS17_Y2017_V202301.csv"
    new.write_text(BACI.read_text().replace("12.5,", "12.6,"))
    return old, new


def test_second_release_of_a_year_is_refused_then_supersedes(tmp_path: Path, store: Store) -> None:
    old, new = _baci_releases(tmp_path)
    first = ingest_files(store, "baci", [old])[0]
    with pytest.raises(DuplicateKeyError) as err:
        ingest_files(store, "baci", [new])
    msg = str(err.value)
    assert "4 rows repeat rows another file of this source" in msg
    assert f"4 rows of {old.resolve()} (ingest {first.provenance_id}), 1 with other values" in msg
    assert "--replace" in (err.value.hint or "") and err.value.count == 4
    assert store.count("trade_flows") == 4  # unchanged
    assert store.scalar("SELECT count(*) FROM provenance") == 1

    second = ingest_files(store, "baci", [new], replace=True)[0]
    assert store.scalar("SELECT DISTINCT provenance_id FROM trade_flows") == second.provenance_id
    assert store.scalar("SELECT sum(value_usd) FROM trade_flows") == 19_912_975.0  # 12.6 · 1000
    assert _details(store, second.provenance_id)["supersedes"] == [
        {"ingest": first.provenance_id, "location": str(old.resolve()), "rows": 4}
    ]
    assert _details(store, first.provenance_id)["superseded_by"] == second.provenance_id
    # the superseded file is no longer "already ingested": taking it back is a repeat again
    with pytest.raises(DuplicateKeyError, match=f"ingest {second.provenance_id}"):
        ingest_files(store, "baci", [old])


def _comtrade(folder: Path, name: str, rows: list[int], edit: dict[str, str] | None = None) -> Path:
    """A Comtrade extract holding some data rows of the fixture (0-based), values edited."""
    table = list(csv.reader(io.StringIO(COMTRADE.read_text(encoding="utf-8"))))
    head, body = table[0], [table[1 + i] for i in rows]
    for col, value in (edit or {}).items():
        for row in body:
            row[head.index(col)] = value
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([head, *body])
    path = folder / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_same_figures_in_two_files_are_stored_once(tmp_path: Path, store: Store) -> None:
    whole = ingest_files(store, "comtrade", [COMTRADE])[0]
    total = store.scalar("SELECT sum(value_usd) FROM trade_flows")
    subset = _comtrade(tmp_path, "TradeData_subset.csv", [0, 1])
    again = ingest_files(store, "comtrade", [subset])[0]
    assert again.rows == 0 and store.count("trade_flows") == whole.rows
    assert store.scalar("SELECT sum(value_usd) FROM trade_flows") == total  # not doubled
    assert _details(store, again.provenance_id)["repeats_not_stored"] == [
        {"ingest": whole.provenance_id, "location": str(COMTRADE.resolve()), "rows": 2}
    ]
    assert store.scalar("SELECT rows_written FROM provenance WHERE id = ?",
                        [again.provenance_id]) == 0  # fmt: skip


def test_other_figures_for_the_same_rows_are_refused(tmp_path: Path, store: Store) -> None:
    ingest_files(store, "comtrade", [COMTRADE])
    before = store.scalar("SELECT sum(value_usd) FROM trade_flows")
    revised = _comtrade(tmp_path, "TradeData_revised.csv", [0], {"primaryValue": "1"})
    with pytest.raises(DuplicateKeyError, match=r"1 row repeats rows .* 1 with other values"):
        ingest_files(store, "comtrade", [revised])
    assert store.scalar("SELECT sum(value_usd) FROM trade_flows") == before
