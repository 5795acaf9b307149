"""The store's named trade-flow queries (``store/queries.py``, ``store/panels.py``) run directly
on a small store, with every number worked out by hand, and the identifier whitelists."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.indicators.flows import write_flows
from techties.errors import ConfigError, TechtiesError, UnknownNameError
from techties.store import Store
from techties.store.panels import PanelSpec, bind, build_panel
from techties.store.queries import (
    FlowFilter,
    Part,
    RowSpec,
    check_table,
    chokepoint_sql,
    concentration_sql,
    inventory,
    join_on,
    listed_partners,
    rows_sql,
    share_sql,
)

#: USA imports in 2020, HS6 (value_usd). 854231: CHN 60, VNM 30, MEX 10, the EU 20 and Germany
#: 5 (a member of the listed EU: counted inside it), world total 200. 847130: CHN and VNM tie
#: at 10, world total 40.
VALUES = {
    ("854231", "CHN"): 60.0,
    ("854231", "VNM"): 30.0,
    ("854231", "MEX"): 10.0,
    ("854231", "EUN"): 20.0,
    ("854231", "DEU"): 5.0,
    ("854231", "WLD"): 200.0,
    ("847130", "CHN"): 10.0,
    ("847130", "VNM"): 10.0,
    ("847130", "WLD"): 40.0,
}
FLOWS = FlowFilter(reporter="USA", years=(2020, 2020), source="test")
SPEC = RowSpec(flows=FLOWS, plan=(Part((2020,), 6, False),), level=6)


@pytest.fixture()
def small(store: Store) -> Store:
    rows = [("USA", "import", 2020, p, k, v) for (k, p), v in VALUES.items()]
    # an export row, another year and another reporter: none of them is selected
    rows += [
        ("USA", "export", 2020, "CHN", "854231", 999.0),
        ("USA", "import", 2019, "CHN", "854231", 7.0),
        ("CAN", "import", 2020, "CHN", "854231", 3.0),
    ]
    cols = ("reporter", "flow", "year", "partner", "product_code", "value_usd")
    write_flows(store, [dict(zip(cols, r, strict=True)) for r in rows], location="queries.csv")
    return store


def _table(store: Store, query: tuple[str, list[object]], order: str) -> list[dict[str, object]]:
    sql, params = query
    return store.df(f"SELECT * FROM ({sql}) ORDER BY {order}", params).to_dict("records")


def test_inventory_uses_the_filter_once(small: Store) -> None:
    found = inventory(small, FLOWS)
    # one group: test, import, HS, customs_consumption, 2020, annual, 6 digits, HS2017
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["flow"], int(row["year"]), int(row["product_level"])) == ("import", 2020, 6)
    assert not bool(row["monthly"])
    # the inventory's SQL conditions are the row selection's, less the grouped columns
    where, params = FLOWS.where()
    grouped, grouped_params = FLOWS.where(grouped=False)
    assert grouped == "reporter = ? AND year BETWEEN ? AND ?" and grouped in where
    assert grouped_params == ["USA", 2020, 2020] and params[2:5] == grouped_params


def test_selected_rows_and_partners(small: Store) -> None:
    rows = rows_sql(SPEC)
    got = _table(small, rows, "product, partner")
    assert len(got) == len(VALUES)  # the export, 2019 and Canadian rows are not selected
    assert sum(r["value_usd"] for r in got) == sum(VALUES.values())
    assert listed_partners(small, rows) == ["CHN", "DEU", "EUN", "MEX", "VNM", "WLD"]


def test_world_and_partner_shares(small: Store) -> None:
    rows = rows_sql(SPEC)
    world = _table(small, share_sql(rows, denominator="world"), "product, partner")
    by = {(r["product"], r["partner"]): r for r in world}
    assert by[("854231", "CHN")]["share"] == 60 / 200 == 0.3
    assert by[("847130", "VNM")]["share"] == 10 / 40
    assert ("854231", "WLD") not in by  # the world total is the denominator, not a partner
    # partners denominator: 60 + 30 + 10 + 20 = 120 (Germany is inside the EU's 20)
    part = share_sql(rows, denominator="partners", excluded=["DEU"], partners=["CHN"])
    got = _table(small, part, "product")
    assert [(r["product"], r["total_usd"], r["share"]) for r in got] == [
        ("847130", 20.0, 0.5),
        ("854231", 120.0, 0.5),
    ]


def test_concentration_and_chokepoints(small: Store) -> None:
    rows = rows_sql(SPEC)
    conc = concentration_sql(rows, denominator="partners", excluded=["DEU"])
    got = {r["product"]: r for r in _table(small, conc, "product")}
    # 854231: (60² + 30² + 10² + 20²) / 120² = 5000 / 14400; top CHN, 60 / 120
    assert got["854231"]["hhi"] == 5000 / 14400
    assert (got["854231"]["top_supplier"], got["854231"]["top_share"]) == ("CHN", 0.5)
    assert got["854231"]["n_suppliers"] == 4
    # 847130: CHN and VNM tie at 10, the larger code wins; (10² + 10²) / 20² = 0.5
    assert (got["847130"]["top_supplier"], got["847130"]["hhi"]) == ("VNM", 0.5)
    world = concentration_sql(rows, denominator="world", excluded=["DEU"])
    w = {r["product"]: r for r in _table(small, world, "product")}
    assert w["854231"]["hhi"] == 5000 / 40000 and w["854231"]["top_share"] == 60 / 200
    # top share > 0.4 in both products (0.5 each); > 0.6 in none
    choke = chokepoint_sql(conc, (0.4, 0.6))
    table = _table(small, choke, "threshold, top_supplier")
    counts = {(r["threshold"], r["top_supplier"]): r["n_chokepoints"] for r in table}
    assert counts == {
        (0.4, "ALL"): 2, (0.4, "CHN"): 1, (0.4, "VNM"): 1,
        (0.6, "ALL"): 0, (0.6, "CHN"): 0, (0.6, "VNM"): 0,
    }  # fmt: skip
    assert [r["value_usd"] for r in table if r["top_supplier"] == "ALL"] == [140.0, 0.0]


def test_group_rows_are_labelled_and_summed(small: Store) -> None:
    group = RowSpec(
        flows=FLOWS,
        plan=SPEC.plan,
        level=0,
        group="chips",
        group_codes={"HS2017": (("8542",), ())},
    )
    got = _table(small, share_sql(rows_sql(group), denominator="world"), "partner")
    assert {r["product"] for r in got} == {"chips"}
    assert {r["partner"]: r["share"] for r in got}["CHN"] == 0.3


@pytest.mark.parametrize("shares", ["table", "view", "parquet"])
def test_panel_tables(small: Store, tmp_path: Path, shares: str) -> None:
    rows = rows_sql(SPEC)
    path = tmp_path / "shares.parquet" if shares == "parquet" else None
    spec = PanelSpec(
        rows=SPEC,
        partners=tuple(listed_partners(small, rows)),
        excluded=("DEU",),
        thresholds=(0.4,),
        prefix="q_",
        shares=shares,  # type: ignore[arg-type]
        shares_path=path,
    )
    counts = build_panel(small, spec)
    conc = small.df("SELECT * FROM q_concentration ORDER BY product").set_index("product")
    assert conc.loc["854231", "hhi"] == 5000 / 14400
    assert list(conc["top_supplier"]) == ["VNM", "CHN"]
    assert counts["concentration"] == 2 and counts["chokepoints"] == 3  # ALL, CHN, VNM
    relation = f"read_parquet('{path}')" if path else "q_shares"
    share = small.scalar(
        f"SELECT share FROM {relation} WHERE partner = 'CHN' AND product = '854231'"
    )
    assert share == 0.5
    assert small.scalar(f"SELECT count(*) FROM {relation}") == 6  # WLD and DEU left out
    assert ("shares" in counts) == (shares != "view")


def test_values_are_parameters_not_sql(small: Store) -> None:
    sneaky = FlowFilter(reporter="USA' OR '1'='1", source="test")
    spec = RowSpec(flows=sneaky, plan=SPEC.plan, level=6)
    assert _table(small, rows_sql(spec), "partner") == []
    # views cannot take parameters: their values are written as escaped literals
    assert bind("SELECT ?, ?, ?", ["O'Brien", [1, 2], None]) == "SELECT 'O''Brien', [1, 2], NULL"
    with pytest.raises(ConfigError, match="2 placeholders for 1 parameters"):
        bind("SELECT ?, ?", [1])


def test_unknown_identifiers_are_refused_by_name(small: Store) -> None:
    with pytest.raises(ConfigError, match=r"Bad table name 'trade_flows; DROP TABLE x'"):
        FlowFilter(table="trade_flows; DROP TABLE x")
    with pytest.raises(UnknownNameError, match=r"No table named 'trade_flow' in the store") as err:
        check_table(small, "trade_flow")
    assert "Did you mean 'trade_flows'?" in str(err.value)
    with pytest.raises(UnknownNameError, match="No table named 'trade_flow' in the store"):
        inventory(small, FlowFilter(table="trade_flow"))
    with pytest.raises(UnknownNameError, match=r"Unknown key column 'yeer'") as col:
        join_on("a", "t", "reporter, yeer")
    assert "Did you mean 'year'?" in str(col.value)
    with pytest.raises(ConfigError, match="Bad alias 'a b'"):
        join_on("a b", "t", "year")
    with pytest.raises(ConfigError, match=r"Product level 11 is not 0–10 digits"):
        RowSpec(flows=FLOWS, plan=SPEC.plan, level=11)
    with pytest.raises(ConfigError, match=r"Stored product level -1"):
        Part((2020,), -1, False)
    with pytest.raises(ConfigError, match=r"Product code '85423100000': length 11"):
        RowSpec(flows=FLOWS, plan=SPEC.plan, level=6, products=("85423100000",))
    with pytest.raises(ConfigError, match=r"Bad table prefix 'p; DROP'"):
        PanelSpec(rows=SPEC, partners=(), prefix="p; DROP")
    with pytest.raises(ConfigError, match=r"Unknown denominator 'wrld'"):
        share_sql(rows_sql(SPEC), denominator="wrld")  # type: ignore[arg-type]
    with pytest.raises(TechtiesError, match="No chokepoint thresholds"):
        chokepoint_sql(rows_sql(SPEC), ())
