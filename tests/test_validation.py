"""The validation layer of the canonical tables (techties.store.schemas / techties.store.validate).

Every table written goes through it (``Store.write`` and the Parquet-part path); each refusal is
a typed error naming file, row (the file row when the reader keeps one), column, value, what was
expected and the fix, with counts; per-source exceptions are declared, with their reason.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import FIXTURES, ROOT
from techties.errors import (
    DuplicateKeyError,
    InvalidValueError,
    SourceFormatError,
    StoreError,
    UnknownCodeError,
)
from techties.sources import all_sources, get_source
from techties.sources._flows import flows_table
from techties.sources.containers import read_frame
from techties.store import Store
from techties.store.ingest import ingest_files
from techties.store.schemas import SCHEMAS


def flows(n: int, **over: object) -> pa.Table:
    cols: dict[str, object] = {
        "source": "test", "reporter": "USA", "partner": "CHN", "flow": "import", "year": 2020,
        "month": None, "classification": "HS", "vintage": "HS2017",
        "product_code": [f"85{i:04d}" for i in range(n)], "product_level": 6,
        "value_usd": [100.0] * n, "quantity": None, "quantity_unit": None,
        "duties_usd": [1.0] * n, "value_basis": "customs_consumption",
    }  # fmt: skip
    cols.update(over)
    return flows_table(n, **cols)


def write(store: Store, data: pa.Table, source: str = "test", table: str = "trade_flows"):
    with store.transaction():
        return store.write(source=source, table=table, data=data, location="/data/f.csv",
                           sha256=uuid.uuid4().hex, nbytes=1)  # fmt: skip


def test_every_source_table_has_a_schema() -> None:
    assert {s.table for s in all_sources().values()} <= set(SCHEMAS)
    for schema in SCHEMAS.values():
        for source in schema.sources:
            assert source in all_sources(), f"{schema.table}: exception for unknown {source}"
            for allow in schema.sources[source]:
                assert allow.reason.strip(), f"{schema.table}/{source}: exception without reason"


def test_docs_name_every_per_source_exception() -> None:
    text = (ROOT / "docs" / "data.md").read_text("utf-8")
    assert "## Validation" in text
    for schema in SCHEMAS.values():
        assert f"`{schema.table}`" in text
        for source in schema.sources:
            assert f"`{source}`" in text, f"docs/data.md does not name the {source} exception"


def test_counts_and_first_file_row(store: Store) -> None:
    value = [100.0] * 2000
    for i in range(17, 1221):
        value[i] = -5.0
    data = flows(2000, value_usd=value, duties_usd=None, row=range(2, 2002))
    with pytest.raises(InvalidValueError) as err:
        write(store, data)
    e = err.value
    assert (e.count, e.row, e.column, e.value, e.table_row) == (1204, 19, "value_usd", -5.0, 18)
    assert "1,204 rows with negative value_usd, first at row 19" in str(e)
    assert "/data/f.csv" in str(e) and e.expected == "value_usd >= 0" and e.hint
    assert store.count("provenance") == 0


def test_table_row_when_the_reader_keeps_none(store: Store) -> None:
    with pytest.raises(InvalidValueError) as err:
        write(store, flows(3, value_usd=[1.0, float("-inf"), float("inf")], duties_usd=None))
    assert err.value.row is None and err.value.table_row == 2 and err.value.count == 2
    assert "first at table row 2 (the reader keeps no file rows)" in str(err.value)


@pytest.mark.parametrize(
    ("over", "check", "column"),
    [
        ({"value_usd": [float("inf")]}, "value_usd not finite", "value_usd"),
        ({"quantity": [-1.0], "quantity_unit": "kg"}, "negative quantity", "quantity"),
        ({"duties_usd": [-1.0]}, "negative duties_usd", "duties_usd"),
        ({"year": 0}, "year below 1900", "year"),
        ({"month": 13}, "month above 12", "month"),
        ({"product_code": ["85A1"]}, r"product_code not of the form TOTAL|\d{2,11}", "product_code"),
        ({"product_level": 4}, "rule 'level_is_code_length' broken", "product_code, product_level"),
        ({"duties_usd": [101.0]}, "rule 'duties_within_value' broken", "duties_usd, value_usd"),
        ({"quantity": [3.0]}, "rule 'quantity_has_unit' broken", "quantity, quantity_unit"),
    ],
)  # fmt: skip
def test_trade_flow_rules(store: Store, over: dict[str, object], check: str, column: str) -> None:
    with pytest.raises(InvalidValueError) as err:
        write(store, flows(1, **over))
    assert (err.value.check, err.value.column) == (check, column)


def test_several_problems_are_all_listed(store: Store) -> None:
    data = flows(2, value_usd=[-1.0, 1.0], duties_usd=None, partner="ZZZ")
    nan = data.set_column(data.schema.get_field_index("quantity"), "quantity",
                          pa.array([1.0, float("nan")]))  # fmt: skip
    with pytest.raises(InvalidValueError) as err:
        write(store, nan.set_column(nan.schema.get_field_index("quantity_unit"), "quantity_unit",
                                    pa.array(["kg", "kg"])))  # fmt: skip
    assert err.value.check == "negative value_usd"
    assert "also: 1 row with quantity not finite; 2 rows with unknown partner codes" in str(
        err.value
    )


def test_unknown_codes_with_counts_and_nearest(store: Store) -> None:
    with pytest.raises(UnknownCodeError) as err:
        write(store, flows(3, partner=["C1N", "C1N", "USA"], row=[5, 6, 7]))
    e = err.value
    assert e.counts == {"C1N": 2} and e.row == 5 and e.column == "partner"
    assert "CHN" in e.nearest["C1N"] and "nearest known codes" in str(e)


def test_duplicate_keys_refused_with_counts(store: Store) -> None:
    data = flows(4, product_code=["850000", "850001", "850000", "850000"], row=[2, 3, 4, 5])
    with pytest.raises(DuplicateKeyError) as err:
        write(store, data)
    e = err.value
    assert (e.count, e.rows, e.row) == (2, [2, 4, 5], 4)
    assert e.key["product_code"] == "850000" and "2 repeated row(s)" in str(e)


def test_census_duty_rule_is_the_highest_us_rate(store: Store) -> None:
    ok = flows(1, value_usd=[100.0], duties_usd=[352.0], source="census")  # 350 % + rounding
    assert write(store, ok, source="census").rows == 1
    bad = flows(1, value_usd=[100.0], duties_usd=[400.0], source="census")
    with pytest.raises(InvalidValueError, match="duties_within_value"):
        write(store, bad, source="census")


def test_exceptions_apply_to_their_source_only(store: Store) -> None:
    neg = flows(1, duties_usd=[-5.0], partner="USMCA", source="census_naics_monthly")
    assert write(store, neg, source="census_naics_monthly").rows == 1
    with pytest.raises(InvalidValueError, match="negative duties_usd"):
        write(store, neg, source="census")
    with pytest.raises(UnknownCodeError):
        write(store, flows(1, partner="S19"), source="census")


def test_identical_repeats_collapsed_where_the_source_says_so(tmp_path: Path, store: Store) -> None:
    text = (FIXTURES / "tariffs" / "china-10-percent-030425.csv").read_text("utf-8")
    line = text.splitlines()[0]
    p = tmp_path / "china-10-percent-030425.csv"
    p.write_text(text + line.replace(line.split(",")[0], "999", 1) + "\n", "utf-8")
    (res,) = ingest_files(store, "china_retaliation_2025", [p])
    assert res.rows == get_source("china_retaliation_2025").read(p).num_rows - 1
    details = json.loads(store.provenance()["details"][0])
    assert details["duplicates_collapsed"]["rows"] == 1
    assert "national lines" in details["duplicates_collapsed"]["reason"]


def test_collapse_refuses_repeats_that_differ(store: Store) -> None:
    t = get_source("china_retaliation_2025").read(
        FIXTURES / "tariffs" / "china-10-percent-030425.csv"
    )
    first = t.slice(0, 1)
    other = first.set_column(t.schema.get_field_index("rate_pct"), "rate_pct", pa.array([20.0]))
    with pytest.raises(DuplicateKeyError, match="repeated rows differ"):
        write(store, pa.concat_tables([t, other]), "china_retaliation_2025", "tariff_measures")


def test_parquet_part_checked_with_file_rows(tmp_path: Path, store: Store) -> None:
    shutil.copy(FIXTURES / "baci" / "country_codes_V202201.csv", tmp_path)
    src = (FIXTURES / "baci" / "BACI_HS17_Y2017_V202201.csv").read_text()
    p = tmp_path / "BACI_HS17_Y2017_V202201.csv"
    p.write_text(src.replace(",14000.25,", ",-14000.25,"))
    with pytest.raises(InvalidValueError) as err:
        ingest_files(store, "baci", [p])
    assert (err.value.row, err.value.column, err.value.value) == (3, "v", -14000250.0)
    assert store.count("provenance") == 0 and not list(store.parts_root.rglob("*.parquet"))


def test_missing_columns_and_wrong_types(store: Store) -> None:
    with pytest.raises(StoreError, match="lacks columns"):
        write(store, flows(1).drop(["value_basis"]))
    bad = flows(1).set_column(4, "year", pa.array(["2020"]))
    with pytest.raises(StoreError, match="column 'year' of 'trade_flows' is string"):
        write(store, bad)


def test_entity_and_indicator_rules(store: Store) -> None:
    ents = get_source("export_lists").read(FIXTURES / "tech" / "bis_entity_list_small.json")
    numeric = ents.set_column(ents.schema.get_field_index("name"), "name",
                              pa.array(["12345"] * ents.num_rows))  # fmt: skip
    with pytest.raises(InvalidValueError, match="name_has_a_letter"):
        write(store, numeric, "export_lists", "entity_list")
    assert write(store, numeric, "ofac_sdn", "entity_list").rows == ents.num_rows  # vessels
    wdi = get_source("wdi").read(FIXTURES / "tech" / "wdi" / "tx.val.tech.cd" / "data.csv")
    agg = wdi.set_column(wdi.schema.get_field_index("country"), "country",
                         pa.array(["EAS"] * wdi.num_rows))  # fmt: skip
    assert write(store, agg, "ncses", "indicators").rows == wdi.num_rows  # WB aggregates
    row = wdi.set_column(wdi.schema.get_field_index("country"), "country",
                         pa.array(["ROW"] * wdi.num_rows))  # fmt: skip
    with pytest.raises(UnknownCodeError):
        write(store, row, "ncses", "indicators")
    assert write(store, row, "wiod_dva", "indicators").rows == wdi.num_rows  # WIOD's region


# -- repeated header names in every container ------------------------------------------------
def _frames(tmp_path: Path) -> dict[str, Path]:
    df = pd.DataFrame([[1, 2, 3]], columns=["a", "b", "c"])
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,a\n1,2,3\n")
    xlsx = tmp_path / "t.xlsx"
    df.rename(columns={"c": "a"}).to_excel(xlsx, index=False)
    census = tmp_path / "t.json"
    census.write_text(json.dumps([["a", "b", "a"], ["1", "2", "3"]]))
    records = tmp_path / "r.json"
    records.write_text('[{"a": 1, "b": 2, "a": 3}]')
    parquet = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"]), parquet)
    return {"csv": csv, "xlsx": xlsx, "census json": census, "records": records, "parquet": parquet}


@pytest.mark.parametrize("kind", ["csv", "xlsx", "census json", "records", "parquet"])
def test_repeated_header_names_refused(kind: str, tmp_path: Path) -> None:
    path = _frames(tmp_path)[kind]
    with pytest.raises(SourceFormatError, match="appears twice") as err:
        read_frame(path, dtype_str=True)
    assert err.value.column == "a" and err.value.path == str(path)


def test_census_and_ncses_refuse_repeated_headers(tmp_path: Path) -> None:
    rows = json.loads((FIXTURES / "census" / "imports-hs10-2024.json").read_text())
    rows[0][rows[0].index("GEN_VAL_YR")] = "CON_VAL_YR"
    p = tmp_path / "c.json"
    p.write_text(json.dumps(rows))
    with pytest.raises(SourceFormatError, match="'CON_VAL_YR' appears twice"):
        get_source("census").read(p)
    folder = tmp_path / "9970_SPBS-2"
    shutil.copytree(FIXTURES / "tech" / "ncses" / "9970_SPBS-2", folder)
    data = folder / "data.csv"
    data.write_text(data.read_text().replace("table_id,row_id,", "value,row_id,", 1))
    with pytest.raises(SourceFormatError, match="'value' appears twice"):
        get_source("ncses").read(data)


# -- reader-level refusals -----------------------------------------------------------------
def test_comtrade_refuses_a_made_up_iso_code(tmp_path: Path) -> None:
    text = (FIXTURES / "comtrade" / "TradeData_USA_China.csv").read_text()
    p = tmp_path / "t.csv"
    p.write_text(text.replace('"CHN"', '"ZZZ"', 1))
    with pytest.raises(UnknownCodeError) as err:
        get_source("comtrade").read(p)
    assert err.value.counts == {"ZZZ": 1} and err.value.column == "partnerISO"


def test_gravity_maps_the_guides_reference_country_back(tmp_path: Path) -> None:
    text = (FIXTURES / "gravity" / "sample_data_set.dlm").read_text()
    p = tmp_path / "g.dlm"
    p.write_text(text.replace("GBR,", "ZZZ,"))  # the Guide's DEU, renamed for Stata
    got = get_source("gravity").read(p).column("exporter").to_pylist()
    assert "DEU" in got and "ZZZ" not in got
    p.write_text(text.replace("GBR,", "ZZZ,").replace("AUS,AUS", "DEU,AUS"))  # both: unknown
    assert "ZZZ" in get_source("gravity").read(p).column("exporter").to_pylist()


def test_gravity_text_nan_is_not_a_number(tmp_path: Path) -> None:
    text = (FIXTURES / "gravity" / "sample_data_set.dlm").read_text()
    p = tmp_path / "g.dlm"
    p.write_text(text.replace(",4310,", ",NaN,"))
    with pytest.raises(SourceFormatError, match="'NaN' is not a number") as err:
        get_source("gravity").read(p)
    assert (err.value.row, err.value.column) == (2, "trade")


def test_wdi_api_refuses_json_nan(tmp_path: Path) -> None:
    obs = {"indicator": {"id": "X", "value": "X (US$)"}, "country": {"id": "CN", "value": "China"},
           "countryiso3code": "CHN", "date": "2020"}  # fmt: skip
    p = tmp_path / "wdi_X.json"
    p.write_text(f'[{{"page": 1}}, [{json.dumps({**obs, "value": 1.0})[:-1]}}}, '
                 f'{json.dumps(obs)[:-1]}, "value": NaN}}]]')  # fmt: skip
    with pytest.raises(SourceFormatError, match="nan is not a number") as err:
        get_source("wdi").read(p)
    assert err.value.row == 2


def test_ncses_tells_apart_labels_that_read_the_same(tmp_path: Path) -> None:
    folder = tmp_path / "10551_SINV-4"
    folder.mkdir()
    (folder / "README.md").write_text("# USPTO utility patents: 2000–22\n")
    lines = ["table_id,row_id,time_period,value"]
    for label, base in (("World -> Europe -> Other Europe", 10),
                        ("World -> Europe -> Other Europe (2020)<sup>b</sup>", 20)):  # fmt: skip
        lines += [f"10551,r,{label},{'na' if i == 0 else base + i}" for i in range(24)]
    (folder / "data.csv").write_text("\n".join(lines) + "\n")
    t = get_source("ncses").read(folder / "data.csv").to_pandas()
    assert set(t["country_label"]) == {"Europe -> Other Europe", "Europe -> Other Europe (2020)"}
    assert len(t) == 46 and not t.duplicated(["country_label", "year"]).any()


def test_entity_list_refuses_an_unreadable_date(tmp_path: Path) -> None:
    payload = json.loads((FIXTURES / "tech" / "bis_entity_list_small.json").read_text())
    payload["entities"][1]["effective_date"] = "June 40, 2021"
    p = tmp_path / "bis.json"
    p.write_text(json.dumps(payload))
    with pytest.raises(SourceFormatError, match="'June 40, 2021' is not readable") as err:
        get_source("export_lists").read(p)
    assert (err.value.row, err.value.column) == (2, "effective_date")
