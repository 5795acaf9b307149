"""CEPII BACI source: fixture parsing, the store's direct CSV load, and agreement between them."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from techties.errors import SourceFormatError
from techties.sources import get_source
from techties.store import Store
from techties.store.ingest import ingest_files

BACI = FIXTURES / "baci" / "BACI_HS17_Y2017_V202201.csv"


def test_read_maps_codes_and_units() -> None:
    t = get_source("baci").read(BACI).to_pandas()
    assert list(t.reporter) == ["CHN", "USA", "FRA", "S19"]
    assert list(t.product_code) == ["010121", "120190", "220421", "847130"]
    assert t.value_usd.tolist() == [12_500.0, 14_000_250.0, 900_125.0, 5_000_000.0]  # 1000·v
    assert t.quantity.isna().tolist() == [False, False, True, False]
    assert set(t.quantity_unit) == {"t"} and set(t.vintage) == {"HS2017"}
    assert set(t.flow) == {"export"} and set(t.value_basis) == {"FOB"}


def test_store_load_equals_reader(store: Store) -> None:
    res = ingest_files(store, "baci", [BACI])
    assert res[0].rows == 4 and res[0].details["loader"] == "csv_plan"
    cols = [f.name for f in get_source("baci").read(BACI).schema if f.name != "_row"]
    got = store.df(f"SELECT {', '.join(cols)} FROM trade_flows ORDER BY value_usd")
    want = get_source("baci").read(BACI).select(cols).to_pandas().sort_values("value_usd")
    assert got.astype(str).values.tolist() == want.astype(str).values.tolist()
    prov = store.provenance()
    assert prov.sha256[0] == hashlib.sha256(BACI.read_bytes()).hexdigest()
    assert prov.version[0] == "V202201"


def test_reingest_noop_and_replace(store: Store) -> None:
    ingest_files(store, "baci", [BACI])
    again = ingest_files(store, "baci", [BACI])
    assert again[0].skipped and store.count("trade_flows") == 4
    rep = ingest_files(store, "baci", [BACI], replace=True)
    assert rep[0].replaced == 1 and store.count("trade_flows") == 4
    assert store.scalar("SELECT DISTINCT provenance_id FROM trade_flows") == rep[0].provenance_id


def test_padded_na_quantities(tmp_path: Path, store: Store) -> None:
    shutil.copy(FIXTURES / "baci" / "country_codes_V202201.csv", tmp_path)
    p = tmp_path / BACI.name
    p.write_text(BACI.read_text().replace(",NA\n", ",         NA\n"))
    ingest_files(store, "baci", [p])
    assert store.scalar("SELECT count(*) FROM trade_flows WHERE quantity IS NULL") == 1


def test_missing_country_codes_file(tmp_path: Path) -> None:
    p = tmp_path / BACI.name
    shutil.copy(BACI, p)
    with pytest.raises(SourceFormatError, match="country code list") as err:
        get_source("baci").read(p)
    assert "country_codes" in (err.value.hint or "") or "country_codes" in str(err.value)


def test_download_unpacks_requested_years(tmp_path: Path, store: Store) -> None:
    import io
    import zipfile

    import httpx

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(BACI, "BACI_HS17_Y2017_V202501.csv")
        zf.writestr("BACI_HS17_Y2018_V202501.csv", "t,i,j,k,v,q\n")
        zf.write(FIXTURES / "baci" / "country_codes_V202201.csv", "country_codes_V202501.csv")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=buf.getvalue())

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        files = get_source("baci").download(tmp_path, years=[2017], client=client)
    assert seen == ["https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS17_V202501.zip"]
    assert [f.name for f in files] == ["BACI_HS17_Y2017_V202501.csv"]
    assert ingest_files(store, "baci", files)[0].rows == 4
    assert store.provenance().version[0] == "V202501"


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_rows_named_by_file_line_after_empty_lines(end: str, tmp_path: Path, store: Store) -> None:
    """The CSV reader skips empty lines; errors still name the line as an editor shows it."""
    shutil.copy(FIXTURES / "baci" / "country_codes_V202201.csv", tmp_path)
    lines = BACI.read_text().splitlines()
    # line 1 header, 2 data, 3-4 empty, 5 data, 6 empty, 7 data with a bad value, 8 data
    bad = lines[3].replace("900.125", "9x")
    text = end.join([lines[0], lines[1], "", "", lines[2], "", bad, lines[4]]) + end
    p = tmp_path / BACI.name
    p.write_bytes(text.encode())
    with pytest.raises(SourceFormatError) as err:
        get_source("baci").read(p)
    assert err.value.row == 7 and err.value.column == "v"
    # a value the reader passes but the store's checks refuse (negative trade value)
    p.write_bytes(text.replace("9x", "-900").encode())
    with pytest.raises(SourceFormatError) as err:
        ingest_files(store, "baci", [p])
    assert "row 7" in str(err.value) and store.count("trade_flows") == 0


def test_a_file_with_only_its_header_ingests_no_rows(tmp_path: Path, store: Store) -> None:
    """A yearly file with the header and no row is recorded with 0 rows (the validation's
    one-row probe of its constants finds nothing to check)."""
    shutil.copy(FIXTURES / "baci" / "country_codes_V202201.csv", tmp_path)
    p = tmp_path / BACI.name
    p.write_text(BACI.read_text().splitlines()[0] + "\n")
    (result,) = ingest_files(store, "baci", [p])
    assert result.rows == 0 and not result.skipped
    assert store.count("trade_flows") == 0
    assert store.provenance()["rows_written"].tolist() == [0]
