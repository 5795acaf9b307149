"""HS concordance readers, conversion (equal / trade weights), BEC, HTS8 trees, product groups."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES, shared
from techties.cli.main import app
from techties.errors import (
    ConfigError,
    NoDataError,
    SourceFormatError,
    UnknownCodeError,
    UnknownNameError,
)
from techties.indicators.concordance import (
    Concordance,
    bec_links,
    convert_values,
    group_codes,
    hts8_children,
    load_concordance,
    load_groups,
)
from techties.sources import get_source
from techties.store import open_store
from techties.store.ingest import ingest_files

FIX = FIXTURES / "tech" / "concordance"


def _fixture_store(path: Path, *, conversion: bool = False):
    st_ = open_store(path)
    ingest_files(st_, "hs_correlation", [FIX / "HS_consolidated_comtrade_concordances.csv"])
    ingest_files(st_, "hs_bec", [FIX / "hs17_bec.csv"])
    ingest_files(st_, "hs_hts_tree", [FIX / "hs_tree_2017.csv"])
    if conversion:
        ingest_files(st_, "hs_conversion", [FIX / "concord_hs6_2022_to_2017.csv"])
    return st_


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory):
    s = _fixture_store(tmp_path_factory.mktemp("conc") / "s.duckdb")
    yield s
    s.close()


def test_reader_pads_codes_writes_both_directions(fx) -> None:
    df = fx.df("SELECT * FROM hs_concordance")
    assert set(df["from_vintage"]) == {"HS2022", "HS2017", "HS2012", "HS2007"}
    assert "010121" in set(df["from_code"]) and "10121" not in set(df["from_code"])
    sums = df.groupby(["from_vintage", "to_vintage", "from_code"])["weight"].sum()
    assert sums.round(12).eq(1.0).all()
    back = df[
        (df.from_vintage == "HS2017") & (df.from_code == "854140") & (df.to_vintage == "HS2022")
    ]
    assert sorted(back["to_code"]) == ["854141", "854142", "854143"]
    assert back["relationship"].unique().tolist() == ["1:n"]
    assert back["weight"].tolist() == pytest.approx([1 / 3] * 3)
    rel = df[
        (df.from_vintage == "HS2017") & (df.from_code == "950490") & (df.to_vintage == "HS2012")
    ]
    assert set(rel["relationship"]) == {"1:1"}  # Excel's '1:01' read as 1:1
    assert not fx.scalar("SELECT count(*) FROM hs_concordance WHERE from_vintage LIKE 'SITC%'")


def test_bad_code_and_unknown_step(store, tmp_path: Path) -> None:
    text = (FIX / "HS_consolidated_comtrade_concordances.csv").read_text()
    bad = tmp_path / "HS_consolidated_bad.csv"
    bad.write_text(text.replace("854142,854140", "8541A2,854140"))
    with pytest.raises(SourceFormatError, match="'8541A2' is not a 6-digit code") as err:
        ingest_files(store, "hs_correlation", [bad])
    assert err.value.column == "code.after"
    bad.write_text(text + "10121,10121,1:1,2027 to 2022\n10129,10129,1:1,2027 to 2022\n")
    with pytest.raises(UnknownCodeError) as uerr:
        ingest_files(store, "hs_correlation", [bad])
    assert uerr.value.counts == {"2027 to 2022": 2} and uerr.value.column == "adjustment"
    bad.write_text(text.replace("1:01", "one-to-one"))
    with pytest.raises(UnknownCodeError, match="one-to-one"):
        ingest_files(store, "hs_correlation", [bad])
    assert store.count("hs_concordance") == 0


def test_convert_equal_weights_and_report(fx) -> None:
    values = {"854141": 30.0, "854142": 10.0, "854143": 5.0, "950490": 7.0, "950450": 3.0}
    out, rep = convert_values(fx, values, "HS2022", "HS2017")
    assert out.to_dict() == {"854140": 45.0, "950490": 10.0}
    assert rep.merged["854140"] == ["854141", "854142", "854143"]
    assert "010121" not in rep.split
    back, rep2 = convert_values(fx, out, "HS2017", "HS2022")
    assert back.to_dict() == pytest.approx(
        {"854141": 15.0, "854142": 15.0, "854143": 15.0, "950490": 5.0, "950450": 5.0}
    )
    assert rep2.split["854140"] == ["854141", "854142", "854143"]
    assert "split" in rep2.summary() and "equal weights" in rep2.summary()


def test_convert_trade_weights(fx) -> None:
    trade = {"854141": 3.0, "854142": 1.0, "854143": 0.0}
    out, rep = convert_values(
        fx, {"854140": 100.0, "950490": 8.0}, "HS2017", "HS2022", trade_weights=trade
    )
    assert out["854141"] == pytest.approx(75.0) and out["854142"] == pytest.approx(25.0)
    assert out["854143"] == 0.0
    assert out["950490"] == out["950450"] == 4.0  # no trade given: equal, and reported
    assert rep.weight_basis == "trade" and rep.equal_fallback == ["950490"]


def test_multi_step_and_unknown_codes(fx) -> None:
    out, _ = convert_values(fx, {"854231": 10.0, "848620": 2.0}, "HS2022", "HS2007")
    assert out.to_dict() == {"854231": 10.0, "848620": 2.0}  # 854231 → {854231, 854232} → 854231
    with pytest.raises(UnknownCodeError) as err:
        convert_values(fx, {"999999": 1.0, "854231": 1.0}, "HS2022", "HS2017")
    assert err.value.counts == {"999999": 1}
    with pytest.raises(UnknownNameError, match="Did you mean 'HS2017'"):
        load_concordance(fx, "HS2071", "HS2012")
    with pytest.raises(ConfigError):
        load_concordance(fx, "HS2017", "HS2017")


def test_conversion_table_preferred_over_nn_correlation(tmp_path: Path) -> None:
    s = _fixture_store(tmp_path / "s.duckdb", conversion=True)
    conc = load_concordance(s, "HS2017", "HS2022")
    assert sorted(conc.links.loc[conc.links.from_code == "854140", "to_code"]) == [
        "854141",
        "854142",
        "854143",
    ]
    assert conc.links.groupby("from_code")["weight"].sum().round(12).eq(1).all()
    s.close()


def test_no_concordance_is_no_data(store) -> None:
    with pytest.raises(NoDataError, match="no HS2017 → HS2012 concordance"):
        load_concordance(store, "HS2017", "HS2012")


codes_2022 = ["010121", "854141", "854142", "854143", "854231", "848620", "950490", "950450"]
flows = st.dictionaries(
    st.sampled_from(codes_2022), st.floats(min_value=0, max_value=1e12, allow_nan=False), min_size=1
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=flows, target=st.sampled_from(["HS2017", "HS2012", "HS2007"]))
def test_property_totals_preserved(fx, values: dict[str, float], target: str) -> None:
    conc = _cached(fx, "HS2022", target)
    out = conc.convert(values)
    assert out.sum() == pytest.approx(sum(values.values()), rel=1e-9, abs=1e-6)
    key = (id(fx), "trade", target)
    if key not in _CACHE:
        _CACHE[key] = conc.reweight(
            {c: 1.0 + i for i, c in enumerate(sorted(set(conc.links.to_code)))}
        )
    trade = _CACHE[key]
    assert trade.convert(values).sum() == pytest.approx(sum(values.values()), rel=1e-9, abs=1e-6)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=flows)
def test_property_round_trip_one_to_one(fx, values: dict[str, float]) -> None:
    fwd = _cached(fx, "HS2022", "HS2017")
    back = _cached(fx, "HS2017", "HS2022")
    rep = _report(fx, "HS2022", "HS2017")
    one = {
        c
        for c in values
        if c not in rep.split
        and fwd.links.loc[fwd.links.from_code == c, "to_code"].iloc[0] not in rep.merged
    }
    rt = back.convert(fwd.convert(values))
    for c in one:
        assert rt[c] == pytest.approx(values[c])


def test_concordance_from_links_equal_weights() -> None:
    links = pd.DataFrame({"from_code": ["a", "a", "b"], "to_code": ["x", "y", "y"]})
    c = Concordance.from_links(links, "HS2017", "HS2022")
    assert c.convert({"a": 2.0, "b": 1.0}).to_dict() == {"x": 1.0, "y": 2.0}


def test_bec_and_hts_tree(fx) -> None:
    b = bec_links(fx, "HS2017")
    assert b.set_index("from_code").loc["848620", "to_code"] == "41"
    b22 = bec_links(fx, "HS2022")
    assert set(b22.loc[b22.from_code == "854141", "to_code"]) == {"42"}
    assert hts8_children(fx, "854140", "HS2017") == ["85414060", "85414070"]
    assert hts8_children(fx, "10121", "HS2017") == ["01012100"]
    with pytest.raises(NoDataError, match="HS6 → HTS8 tree for HS2022"):
        hts8_children(fx, "854140", "HS2022")


def test_hts_tree_rejects_foreign_child(tmp_path: Path) -> None:
    bad = tmp_path / "hs_tree_2017.csv"
    bad.write_text("hs6_2017,hts8_2017\n854231,85423100\n854140,85423100\n")
    with pytest.raises(SourceFormatError, match="not under HS6 854140") as err:
        get_source("hs_hts_tree").read(bad)
    assert (err.value.row, err.value.column) == (3, "hts8_2017")


# -- product groups -------------------------------------------------------------------------
def test_groups_are_data_with_basis() -> None:
    groups = load_groups()
    assert {
        "semiconductors",
        "semiconductor_equipment",
        "ict_electronics",
        "advanced_technology",
    } <= set(groups)
    for g in groups.values():
        assert len(g.basis) > 40 and g.vintage == "HS2017"
    # six-digit-only groups need no store in their own vintage
    sme = load_groups()["semiconductor_equipment"]
    assert sme.codes == ("8486", "903082", "903141")


def test_group_codes_expand_and_convert(fx) -> None:
    assert group_codes("semiconductors", "HS2017", store=fx) == ["854140", "854231"]
    assert group_codes("semiconductors", "HS2022", store=fx) == [
        "854141",
        "854142",
        "854143",
        "854231",
    ]
    assert group_codes("semiconductors_ex_pv", "HS2022", store=fx) == ["854231"]
    sme = group_codes("semiconductor_equipment", "HS2022", store=fx)
    assert "848620" in sme
    with pytest.raises(NoDataError, match="needs the HS6 code list"):
        group_codes("semiconductors", "HS2017")
    with pytest.raises(UnknownNameError, match="Did you mean 'semiconductors'"):
        group_codes("semiconductor", "HS2017", store=fx)


def test_user_groups_extend_and_validate(fx, tmp_path: Path) -> None:
    user = tmp_path / "mine.yaml"
    user.write_text(
        "groups:\n  pv_cells:\n    title: Solar cells\n    vintage: HS2017\n"
        "    basis: HS2017 subheading 854140 (photosensitive devices incl. PV cells).\n"
        "    codes: ['854140']\n"
    )
    assert group_codes("pv_cells", "HS2022", store=fx, user_path=user) == [
        "854141",
        "854142",
        "854143",
    ]
    user.write_text("groups:\n  bad:\n    basis: x\n    codes: ['85A1']\n")
    with pytest.raises(ConfigError, match="not 2/4/6 digits"):
        load_groups(user)
    user.write_text("groups: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_groups(user)


def test_groups_cli(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _fixture_store(db).close()
    runner = CliRunner()
    res = runner.invoke(app, ["product-groups", "--json"])
    assert res.exit_code == 0, res.output
    assert "semiconductor_equipment" in {r["group"] for r in json.loads(res.stdout)}
    res = runner.invoke(
        app,
        ["product-groups", "semiconductors", "--vintage", "HS2022", "--json", "--store", str(db)],
    )
    assert res.exit_code == 0, res.output
    assert [r["hs6"] for r in json.loads(res.stdout)] == ["854141", "854142", "854143", "854231"]


# -- real UN tables -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory):
    root = shared("trade-concordances")
    s = open_store(tmp_path_factory.mktemp("realconc") / "s.duckdb")
    ingest_files(
        s,
        "hs_correlation",
        [root / "comtrade-conversion-weights" / "HS_consolidated_comtrade_concordances.csv"],
    )
    ingest_files(s, "hs_conversion", sorted((root / "us_tariff_data").glob("concord_hs6_*.csv")))
    ingest_files(s, "hs_bec", [root / "onecampaign" / "hs17_bec.csv"])
    ingest_files(s, "hs_hts_tree", sorted((root / "us_tariff_data").glob("hs_tree_*.csv")))
    yield s
    s.close()


def test_real_tables_counts(real) -> None:
    n = real.df(
        "SELECT from_vintage, count(DISTINCT from_code) n FROM hs_concordance GROUP BY 1"
    ).set_index("from_vintage")["n"]
    # catalog: HS2022 has 5,613 HS6 leaves; HS2017 codes are the union over the 2022→2017 (5,387)
    # and 2017→2012 steps, which alone lists 300219
    assert n["HS2022"] == 5613 and n["HS2017"] == 5388
    assert real.scalar("SELECT count(*) FROM hs_bec") == 5511
    assert group_codes("semiconductors", "HS2017", store=real) == [
        "854110",
        "854121",
        "854129",
        "854130",
        "854140",
        "854150",
        "854160",
        "854190",
        "854231",
        "854232",
        "854233",
        "854239",
        "854290",
    ]
    assert group_codes("semiconductor_equipment", "HS2022", store=real) == [
        "848610",
        "848620",
        "848630",
        "848640",
        "848690",
        "903082",
        "903141",
    ]
    assert "85423100" in hts8_children(real, "854231", "HS2017")


@pytest.mark.slow
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_real_property_totals_and_round_trip(real, data: st.DataObject) -> None:
    pairs = [("HS2017", "HS2022"), ("HS2022", "HS2007"), ("HS2007", "HS2017")]
    a, b = data.draw(st.sampled_from(pairs))
    fwd = _cached(real, a, b)
    codes = sorted(fwd.source_codes)
    picked = data.draw(st.lists(st.sampled_from(codes), min_size=1, max_size=40, unique=True))
    amounts = data.draw(
        st.lists(st.floats(min_value=0, max_value=1e10), min_size=len(picked), max_size=len(picked))
    )
    vals = dict(zip(picked, amounts, strict=True))
    out = fwd.convert(vals)
    assert out.sum() == pytest.approx(sum(vals.values()), rel=1e-9, abs=1e-3)
    back = _cached(real, b, a)
    rep = _report(real, a, b)
    key = (id(real), a, b, "first")
    if key not in _CACHE:
        _CACHE[key] = fwd.links.drop_duplicates("from_code").set_index("from_code")["to_code"]
    first_target = _CACHE[key]
    one = [c for c in picked if c not in rep.split and first_target[c] not in rep.merged]
    rt = back.convert(out[out.index.isin(back.source_codes)])
    for c in one:
        assert rt.get(c, 0.0) == pytest.approx(vals[c], rel=1e-9, abs=1e-6)


_CACHE: dict = {}


def _cached(store, a: str, b: str) -> Concordance:
    key = (id(store), a, b)
    if key not in _CACHE:
        _CACHE[key] = load_concordance(store, a, b)
    return _CACHE[key]


def _report(store, a: str, b: str):
    key = (id(store), a, b, "report")
    if key not in _CACHE:
        _CACHE[key] = _cached(store, a, b).report()
    return _CACHE[key]


def test_conversion_reader_rejects_duplicate_new_code(tmp_path: Path) -> None:
    bad = tmp_path / "concord_hs6_2022_to_2017.csv"
    bad.write_text("hs6_2022,hs6_2017\n854141,854140\n854141,854150\n")
    with pytest.raises(SourceFormatError, match="converted twice") as err:
        get_source("hs_conversion").read(bad)
    assert (err.value.row, err.value.column) == (3, "hs6_2022")
    bad.write_text("hs6_2022,code\n854141,854140\n")
    with pytest.raises(SourceFormatError, match="two 'hs6_<year>' columns"):
        get_source("hs_conversion").read(bad)


@pytest.mark.parametrize("two_row_header", [True, False])
def test_un_conversion_workbook(store, tmp_path: Path, two_row_header: bool) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Correlation Tables"
    ws = wb.create_sheet("Conversion HS22-HS17")
    if two_row_header:
        ws.append(["From", "To"])
        ws.append(["HS 2022", "HS 2017"])
    else:
        ws.append(["From HS2022", "To HS2017"])
    for row in (["854141", "854140"], ["854142", "854140"], ["010121", "010121"]):
        ws.append(row)
    path = tmp_path / "HS 2022 to HS 2017 ConversionAndCorrelationTables.xlsx"
    wb.save(path)
    ingest_files(store, "hs_conversion_un", [path])
    conc = load_concordance(store, "HS2017", "HS2022")
    assert conc.convert({"854140": 10.0, "010121": 1.0}).to_dict() == {
        "854141": 5.0,
        "854142": 5.0,
        "010121": 1.0,
    }
    ws.append(["8541X3", "854140"])
    wb.save(path)
    with pytest.raises(SourceFormatError, match="'8541X3'") as err:
        get_source("hs_conversion_un").read(path)
    assert err.value.row == (6 if two_row_header else 5)  # Excel row numbers


def test_real_un_workbooks_match_csv_copies(real) -> None:
    root = shared("trade-concordances")
    un = (
        get_source("hs_conversion_un")
        .read(
            root / "comtrade-conversion-weights" / "HS 2012 to HS 2007 Correlation and conversion "
            "tables (1).xls"
        )
        .to_pandas()
    )
    assert set(zip(un.from_vintage, un.to_vintage, strict=True)) == {
        ("HS2012", "HS2007"),
        ("HS2007", "HS2012"),
    }
    assert un[un.from_vintage == "HS2012"].from_code.nunique() == 5205  # catalog: 5,205 rows
