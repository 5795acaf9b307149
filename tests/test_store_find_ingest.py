"""``Store.find_ingest`` answers bytes never seen with one probe, and ``Store.live_ingests``
answers it for every file of a source in one query; every answer equals the full query's (live
ingest: not replaced, not superseded)."""

from __future__ import annotations

from pathlib import Path

from techties.store import Store
from techties.store.ingest import ingest_files

FILE = Path(__file__).parent / "fixtures" / "claims" / "data" / "tech-export-controls"
FULL = (
    "SELECT max(id) FROM provenance p WHERE source = ? AND sha256 = ? AND target_table = ? "
    "AND NOT EXISTS (SELECT 1 FROM provenance q WHERE q.replaces = p.id) "
    "AND json_extract(coalesce(details, '{}'), '$.superseded_by') IS NULL"
)


def test_find_ingest_equals_the_full_query(store: Store, tmp_path: Path) -> None:
    src = FILE / "bis_entity_list.json"
    first = ingest_files(store, "export_lists", [src])[0]
    assert not first.skipped
    again = ingest_files(store, "export_lists", [src])[0]
    assert again.skipped and again.provenance_id == first.provenance_id
    replaced = ingest_files(store, "export_lists", [src], replace=True)[0]
    assert replaced.provenance_id != first.provenance_id
    rows = store.con.execute("SELECT source, sha256, target_table FROM provenance").fetchall()
    asked = [*rows, ("export_lists", "0" * 64, "entity_list"), (rows[0][0], rows[0][1], "other")]
    asked += [("other_source", rows[0][1], rows[0][2])]
    for source, sha, table in asked:
        want = store.scalar(FULL, [source, sha, table])
        assert store.find_ingest(source, sha, table) == (None if want is None else int(want))
    assert store.find_ingest(*rows[0]) == replaced.provenance_id  # the replacement is live
    for source, table in {(r[0], r[2]) for r in asked}:
        live = store.live_ingests(source, table)
        for sha in {r[1] for r in asked}:
            assert live.get(sha) == store.find_ingest(source, sha, table)
    assert store.live_ingests("export_lists", "entity_list") == {rows[0][1]: replaced.provenance_id}
