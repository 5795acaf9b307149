"""The panel path (:func:`materialise_panel`) against the indicator functions.

A small generated panel (4 importers × 12 exporters × 25 HS6 products × 2 years, seeded) is
written once with one row per importer × exporter × product × year (as BACI) and once with
some of those rows split into two rows of the same key (integer values split into integer
parts, so the partner sums are exact). Checked: the unique-rows path equals the general path;
both equal ``supplier_concentration``, ``chokepoints`` and ``partner_shares`` (partners
denominator); the share outputs (table, view, Parquet) are identical; split rows give the same
indicators on the general path, and the unique-rows shortcut would be wrong on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures.indicators.flows import write_flows
from techties.errors import ConfigError
from techties.indicators.concentration import chokepoints, materialise_panel, supplier_concentration
from techties.indicators.shares import Selection, partner_shares
from techties.store import Store
from techties.store.panels import drop_tables
from techties.store.schemas import SCHEMAS, Allow

SEL = Selection(reporter=None, level=6)
CONC_KEYS = ["reporter", "year", "product"]
SHARE_KEYS = ["reporter", "year", "product", "partner"]


def _panel(seed: int = 3) -> pd.DataFrame:
    """Unique rows: each importer × year buys a random subset of exporter × product cells."""
    rng = np.random.default_rng(seed)
    importers = ["USA", "CHN", "DEU", "JPN"]
    # 12 exporters (ISO3 codes: the store refuses made-up ones), sorted like P00 … P11
    exporters = ["ARG", "AUS", "BRA", "CAN", "FRA", "GBR", "IDN", "IND", "ITA", "KOR", "MEX", "VNM"]
    products = [f"{850000 + 37 * i:06d}" for i in range(25)]
    rows = []
    for year in (2019, 2023):
        for imp in importers:
            cells = rng.choice(len(exporters) * len(products), 150, replace=False)
            for c in cells:
                exp, prod = exporters[c // len(products)], products[c % len(products)]
                rows.append((imp, exp, year, prod, float(rng.integers(0, 40))))
    frame = pd.DataFrame(rows, columns=["reporter", "partner", "year", "product_code", "value_usd"])
    # a tie for the top supplier (ties go to the larger partner code) in one product
    tie = frame[(frame["reporter"] == "USA") & (frame["year"] == 2019)]
    prod = tie["product_code"].value_counts().index[0]
    mask = (frame["reporter"] == "USA") & (frame["year"] == 2019) & (frame["product_code"] == prod)
    frame.loc[mask, "value_usd"] = 50.0
    return frame


def _split(frame: pd.DataFrame) -> pd.DataFrame:
    """Every third row with a value ≥ 2 becomes two rows of the same key (values add up)."""
    big = frame[(frame.index % 3 == 0) & (frame["value_usd"] >= 2)]
    first = big.assign(value_usd=(big["value_usd"] // 2))
    second = big.assign(value_usd=big["value_usd"] - first["value_usd"])
    return pd.concat([frame.drop(big.index), first, second], ignore_index=True)


def _store(store: Store, frame: pd.DataFrame) -> Store:
    write_flows(store, frame, location="panel.csv")
    return store


def _tables(store: Store, unique: bool, tmp: Path) -> dict[str, pd.DataFrame]:
    pre = "u_" if unique else "g_"
    counts = materialise_panel(store, SEL, prefix=pre, unique_rows=unique)
    out = {
        "concentration": store.df(f"SELECT * FROM {pre}concentration ORDER BY ALL"),
        "chokepoints": store.df(f"SELECT * FROM {pre}chokepoints ORDER BY ALL"),
        "shares": store.df(f"SELECT * FROM {pre}shares ORDER BY ALL"),
    }
    assert counts == {k: len(v) for k, v in out.items()}
    return out


def _reference(store: Store) -> dict[str, pd.DataFrame]:
    conc = supplier_concentration(store, SEL).tidy()
    shares = partner_shares(store, SEL, denominator="partners").tidy()
    choke = chokepoints(store, SEL).tidy()
    return {"concentration": conc, "shares": shares, "chokepoints": choke}


def _same_as_functions(got: dict[str, pd.DataFrame], ref: dict[str, pd.DataFrame]) -> None:
    c = got["concentration"].sort_values(CONC_KEYS).reset_index(drop=True)
    r = ref["concentration"].sort_values(CONC_KEYS).reset_index(drop=True)
    cols = ["reporter", "year", "product", "n_suppliers", "total_usd", "hhi", "top_share"]
    pd.testing.assert_frame_equal(c[cols], r[cols], check_dtype=False, rtol=1e-12)
    assert c["top_supplier"].tolist() == r["top_supplier"].tolist()
    s = got["shares"].sort_values(SHARE_KEYS).reset_index(drop=True)
    t = ref["shares"].sort_values(SHARE_KEYS).reset_index(drop=True)
    cols = [*SHARE_KEYS, "value_usd", "share"]
    pd.testing.assert_frame_equal(s[cols], t[cols], check_dtype=False, rtol=1e-12)
    k = ["reporter", "year", "threshold", "top_supplier"]
    a = got["chokepoints"].sort_values(k).reset_index(drop=True)
    b = ref["chokepoints"].sort_values(k).reset_index(drop=True)
    cols = [*k, "n_chokepoints", "n_products", "value_usd"]
    pd.testing.assert_frame_equal(a[cols], b[cols], check_dtype=False, rtol=1e-12)


def test_unique_rows_path_equals_general_path_and_functions(store: Store, tmp_path: Path) -> None:
    frame = _panel()
    _store(store, frame)
    fast = _tables(store, True, tmp_path)
    general = _tables(store, False, tmp_path)
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], general[name])
    _same_as_functions(fast, _reference(store))
    # the planted tie: three or more suppliers at 50, the larger code wins
    conc = fast["concentration"]
    tied = conc[(conc["reporter"] == "USA") & (conc["year"] == 2019) & (conc["top_share"] < 0.5)]
    usa = frame[(frame["reporter"] == "USA") & (frame["year"] == 2019)]
    top = usa[usa["value_usd"] == 50.0]
    assert tied.loc[tied["product"] == top["product_code"].iloc[0], "top_supplier"].item() == max(
        top["partner"]
    )
    # every share of every product and period sums to 1 over the partners
    sums = fast["shares"].groupby(CONC_KEYS)["share"].sum()
    assert np.allclose(sums, 1.0, rtol=1e-12)
    assert len(fast["shares"]) == len(frame)


def test_share_outputs_table_view_parquet_identical(store: Store, tmp_path: Path) -> None:
    _store(store, _panel(5))
    materialise_panel(store, SEL, prefix="t_", unique_rows=True)
    table = store.df("SELECT * FROM t_shares ORDER BY ALL")
    counts = materialise_panel(store, SEL, prefix="v_", unique_rows=True, shares="view")
    assert "shares" not in counts  # a view is not counted (that would compute it)
    view = store.df("SELECT * FROM v_shares ORDER BY ALL")
    target = tmp_path / "out" / "shares.parquet"
    counts = materialise_panel(
        store, SEL, prefix="p_", unique_rows=False, shares="parquet", shares_path=target
    )
    written = store.df("SELECT * FROM read_parquet(?) ORDER BY ALL", [str(target)])
    assert counts["shares"] == len(table) == len(written)
    pd.testing.assert_frame_equal(table, view)
    pd.testing.assert_frame_equal(table, written, check_dtype=False)
    # the partner-grain view of the unique path is kept only for the lazy share view
    views = set(store.df("SELECT view_name FROM duckdb_views() WHERE temporary")["view_name"])
    assert {"v_v", "v_shares"} <= views and "t_v" not in views
    # the speed setting used while building is restored
    assert store.scalar("SELECT current_setting('preserve_insertion_order')") is True


def test_split_rows_general_path_matches_unique_panel(store: Store, tmp_path: Path) -> None:
    frame = _panel(11)
    split = _split(frame)
    assert len(split) > len(frame)
    _store(store, split)
    general = _tables(store, False, tmp_path)
    _same_as_functions(general, _reference(store))
    # same partner sums → same indicators as the unique panel (values are exact integers)
    assert general["concentration"]["total_usd"].sum() == frame["value_usd"].sum()
    assert len(general["shares"]) == len(frame)
    # the unique-rows shortcut counts the split rows as separate suppliers: wrong here
    fast = _tables(store, True, tmp_path)
    assert (
        fast["concentration"]["n_suppliers"].sum() > general["concentration"]["n_suppliers"].sum()
    )
    assert not np.allclose(fast["concentration"]["hhi"], general["concentration"]["hhi"])


def test_bad_share_output_is_refused(store: Store, tmp_path: Path) -> None:
    _store(store, _panel())
    with pytest.raises(ConfigError, match="Unknown shares output"):
        materialise_panel(store, SEL, shares="csv")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="shares_path goes with"):
        materialise_panel(store, SEL, shares="parquet")
    with pytest.raises(ConfigError, match="shares_path goes with"):
        materialise_panel(store, SEL, shares_path=tmp_path / "x.parquet")


def _concentration(store: Store, prefix: str, **kw: object) -> pd.DataFrame:
    materialise_panel(store, SEL, prefix=prefix, unique_rows=True, shares=False, **kw)  # type: ignore[arg-type]
    return store.df(f"SELECT * FROM {prefix}concentration ORDER BY reporter, year, product")


def test_top_supplier_with_thirds_and_a_value_too_large_to_pack(store: Store) -> None:
    """2019 has values in thirds (and two suppliers tied at exactly 1e6/3), 2023 one value of
    4e15 — above the 1e12 for which round(v·1000)·2^11 fits a BIGINT, so that group takes the
    struct key. Top supplier and share equal ``supplier_concentration`` everywhere."""
    frame = _panel(7)
    thirds = frame["year"] == 2019
    frame.loc[thirds, "value_usd"] = frame.loc[thirds, "value_usd"] / 3
    usa19 = frame[(frame["reporter"] == "USA") & (frame["year"] == 2019)]
    tied = usa19["product_code"].value_counts().index[0]
    in_tie = usa19.index[usa19["product_code"] == tied][:2]
    frame.loc[in_tie, "value_usd"] = 1e6 / 3  # two suppliers at exactly the same largest value
    big = frame.index[(frame["year"] == 2023) & (frame["reporter"] == "CHN")][0]
    frame.loc[big, "value_usd"] = 4e15  # k·2^11 would overflow BIGINT unclamped
    _store(store, frame)
    got = _concentration(store, "x_")
    ref = supplier_concentration(store, SEL).tidy().sort_values(CONC_KEYS).reset_index(drop=True)
    assert got["top_supplier"].tolist() == ref["top_supplier"].tolist()
    np.testing.assert_allclose(got["top_share"], ref["top_share"], rtol=1e-15)
    row = got[(got["reporter"] == "USA") & (got["year"] == 2019) & (got["product"] == tied)]
    assert row["top_supplier"].item() == max(frame.loc[in_tie, "partner"])
    big_row = got[(got["reporter"] == "CHN") & (got["product"] == frame.loc[big, "product_code"])]
    assert big_row.loc[big_row["year"] == 2023, "top_supplier"].item() == frame.loc[big, "partner"]


def test_more_partners_than_the_key_holds(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """2,100 suppliers (more than the 2**11 ranks the packed key holds): the struct key, and
    the largest supplier still wins (ties to the larger code)."""
    # there are not 2,100 country codes: this test's made-up ones are declared, for it alone
    made_up = Allow("test: 2,100 made-up suppliers", code_pattern={"partner": r"Q\d{4}"})
    monkeypatch.setitem(SCHEMAS["trade_flows"].sources, "test", (made_up,))
    partners = [f"Q{i:04d}" for i in range(2100)]
    values = [float(i % 500) for i in range(2100)]  # 499 is the largest, held by 4 codes
    frame = pd.DataFrame(
        {
            "reporter": "USA",
            "partner": partners,
            "year": 2020,
            "product_code": "854231",
            "value_usd": values,
        }
    )
    _store(store, frame)
    got = _concentration(store, "m_")
    assert got["top_supplier"].item() == "Q1999"  # codes 0499, 0999, 1499, 1999 hold 499
    assert got["n_suppliers"].item() == 2100 - 5  # five codes have a zero value
    assert got["top_share"].item() == pytest.approx(499 / sum(values), rel=1e-15)


def test_panel_does_not_depend_on_row_order(store: Store, tmp_path: Path) -> None:
    """The same rows written in reverse order give identical tables (ties included)."""
    frame = _panel(13)
    _store(store, frame)
    first = _tables(store, True, tmp_path)
    store.con.execute("DELETE FROM trade_flows_rows")
    _store(store, frame.iloc[::-1].reset_index(drop=True))
    again = _tables(store, True, tmp_path)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])


def test_monthly_panel_matches_functions(store: Store, tmp_path: Path) -> None:
    """Monthly rows: groups are reporter × product × month, and every table equals the
    indicator functions with monthly frequency."""
    frame = _panel(17)
    frame["month"] = (frame.index % 12 + 1).astype("int8")
    _store(store, frame)
    sel = Selection(reporter=None, level=6, frequency="monthly")
    materialise_panel(store, sel, prefix="mo_", unique_rows=False)
    got = store.df("SELECT * FROM mo_concentration ORDER BY reporter, year, month, product")
    ref = (
        supplier_concentration(store, sel)
        .tidy()
        .sort_values(["reporter", "year", "month", "product"])
        .reset_index(drop=True)
    )
    assert len(got) == len(ref) > len(frame["product_code"].unique()) * 4
    assert got["top_supplier"].tolist() == ref["top_supplier"].tolist()
    np.testing.assert_allclose(got["hhi"], ref["hhi"], rtol=1e-12)
    shares = store.df(
        "SELECT sum(share) AS s FROM mo_shares GROUP BY reporter, year, month, product"
    )
    np.testing.assert_allclose(shares["s"], 1.0, rtol=1e-12)


def test_values_equal_to_a_tenth_of_a_cent_tie(store: Store) -> None:
    """The top supplier compares values to 0.001 USD: 1234.0 and 1234.0 + 2e-13 (floating-point
    noise, as BACI's 1000·v makes) tie and the larger code wins, on both paths; 0.002 USD more
    is a real difference."""
    noise = 1234.0 + 2.3e-13
    assert noise != 1234.0
    rows = [
        ("USA", "ARG", 2020, "854231", noise),
        ("USA", "BRA", 2020, "854231", 1234.0),
        ("USA", "CAN", 2020, "854231", 1000.0),
        ("USA", "ARG", 2020, "854232", 1234.002),
        ("USA", "BRA", 2020, "854232", 1234.0),
    ]
    _store(
        store,
        pd.DataFrame(rows, columns=["reporter", "partner", "year", "product_code", "value_usd"]),
    )
    got = _concentration(store, "r_")
    ref = supplier_concentration(store, SEL).tidy().sort_values(CONC_KEYS)
    assert got["top_supplier"].tolist() == ref["top_supplier"].tolist() == ["BRA", "ARG"]
    assert got["top_share"].iloc[0] == noise / (noise + 1234.0 + 1000.0)  # the exact largest value


def test_panel_command_writes_the_three_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`techties panel` (read-only store) writes concentration, chokepoints and shares as
    Parquet; they equal the indicator functions; a flow the store lacks is a one-line error."""
    import json

    from techties.cli.main import main
    from techties.store import open_store

    path = tmp_path / "panel.duckdb"
    with open_store(path) as st:
        _store(st, _panel(19))
    out = tmp_path / "out"
    main(["panel", "--out", str(out), "--unique-rows", "--store", str(path), "--json"])
    listed = {t["table"]: t for t in json.loads(capsys.readouterr().out)["tables"]}
    with open_store(path, read_only=True) as st:
        conc = st.df("SELECT * FROM read_parquet(?)", [str(out / "concentration.parquet")])
        ref = supplier_concentration(st, SEL).tidy()
        shares = st.df(
            "SELECT reporter, year, product, sum(share) AS s, count(*) AS n "
            "FROM read_parquet(?) GROUP BY ALL",
            [str(out / "shares.parquet")],
        )
        n_choke = st.scalar(
            "SELECT count(*) FROM read_parquet(?)", [str(out / "chokepoints.parquet")]
        )
    assert listed["concentration"]["rows"] == len(conc) == len(ref)
    assert listed["chokepoints"]["rows"] == n_choke == len(chokepoints_of(ref))
    assert listed["shares"]["rows"] == shares["n"].sum() == 2 * 4 * 150
    merged = conc.merge(ref, on=CONC_KEYS, suffixes=("", "_ref"))
    assert (merged["top_supplier"] == merged["top_supplier_ref"]).all()
    np.testing.assert_allclose(merged["hhi"], merged["hhi_ref"], rtol=1e-12)
    np.testing.assert_allclose(shares["s"], 1.0, rtol=1e-12)
    with pytest.raises(SystemExit) as exited:
        main(["panel", "--out", str(out), "--flow", "re-export", "--store", str(path)])
    assert exited.value.code == 1
    assert "No re-export rows of all reporters" in capsys.readouterr().err


def chokepoints_of(conc: pd.DataFrame) -> pd.DataFrame:
    """Rows the chokepoint table has: per reporter × year, 'ALL' plus each top supplier, for
    each of the two default thresholds."""
    per = conc.groupby(["reporter", "year"])["top_supplier"].nunique() + 1
    return pd.DataFrame(index=range(int(per.sum()) * 2))


def test_mirror_reads_imports_from_export_rows(store: Store, tmp_path: Path) -> None:
    """A source that records each flow once as exports (BACI): with ``mirror=True`` the same
    trade, written as exporter → importer rows, gives exactly the import-side tables of the
    panel written as import rows; without it there are no import rows (a NoDataError)."""
    from techties.errors import NoDataError

    frame = _panel(23)
    _store(store, frame)
    imports = _tables(store, True, tmp_path)
    store.con.execute("DELETE FROM trade_flows_rows")
    exports = frame.rename(columns={"reporter": "partner", "partner": "reporter"}).assign(
        flow="export"
    )
    _store(store, exports)
    mirrored = Selection(reporter=None, level=6, mirror=True)
    materialise_panel(store, mirrored, prefix="mi_", unique_rows=True)
    for name in ("concentration", "chokepoints", "shares"):
        got = store.df(f"SELECT * FROM mi_{name} ORDER BY ALL")
        pd.testing.assert_frame_equal(got, imports[name])
    one = supplier_concentration(store, Selection(reporter="USA", level=6, mirror=True)).tidy()
    usa = imports["concentration"][imports["concentration"]["reporter"] == "USA"]
    assert sorted(one["top_supplier"]) == sorted(usa["top_supplier"])
    with pytest.raises(NoDataError, match="No import rows of all reporters"):
        materialise_panel(store, SEL, prefix="no_")


def test_mirror_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--mirror` reaches the selection: USA's import concentration from export rows."""
    import json

    from techties.cli.main import main
    from techties.store import open_store

    frame = _panel(29)
    exports = frame.rename(columns={"reporter": "partner", "partner": "reporter"})
    path = tmp_path / "x.duckdb"
    with open_store(path) as st:
        _store(st, exports.assign(flow="export"))
    argv = ["indicator", "concentration", "--mirror", "--level", "6", "--denominator",
            "partners", "--year", "2023", "--store", str(path), "--json"]  # fmt: skip
    main(argv)
    table = pd.DataFrame(json.loads(capsys.readouterr().out)["table"])
    usa = frame[(frame["reporter"] == "USA") & (frame["year"] == 2023)]
    totals = usa.groupby("product_code")["value_usd"].sum()
    totals = totals[totals > 0]
    assert sorted(table["product"]) == sorted(totals.index)
    got = table.set_index("product")["total_usd"].sort_index()
    np.testing.assert_allclose(got.to_numpy(), totals.sort_index().to_numpy(), rtol=1e-12)


def test_fast_path_equals_simple_path_with_ties_zeros_months_and_excluded(
    store: Store, tmp_path: Path
) -> None:
    """A generated panel with everything the one-statement path must get right at once: split
    rows (stored as months, added up to annual periods), zero values, exact ties for the top
    supplier (the larger code wins) and a listed aggregate (EUN) whose members are left out as
    suppliers. The panel tables equal the simple path — the indicator functions, whose SQL
    aggregates per partner and ranks by a (value, partner) struct — row for row."""
    frame = _panel(31)
    frame.loc[frame.index % 7 == 0, "value_usd"] = 0.0  # zero values (not suppliers)
    eun = frame[frame["partner"] == "FRA"].assign(partner="EUN", value_usd=25.0)
    frame = pd.concat([frame, eun], ignore_index=True)  # the EU listed beside France and Italy
    jpn = (frame["reporter"] == "JPN") & (frame["year"] == 2023)
    tied = frame[jpn]["product_code"].value_counts().index[0]
    frame.loc[jpn & (frame["product_code"] == tied), "value_usd"] = 40.0  # an n-way tie
    usa = (frame["reporter"] == "USA") & (frame["year"] == 2023)
    zero = frame[usa]["product_code"].value_counts().index[0]
    frame.loc[usa & (frame["product_code"] == zero), "value_usd"] = 0.0  # a group of zeros only
    split = _split(frame)
    assert len(split) > len(frame)  # some keys are written as two months of one year
    _store(store, split)
    got = _tables(store, False, tmp_path)
    ref = _reference(store)
    # the panel's shares are those of the suppliers of groups with a positive total:
    # partner_shares also lists the left-out members and zero-total groups (share NULL)
    groups = ref["concentration"][CONC_KEYS]
    kept = ref["shares"][~ref["shares"]["partner"].isin(["FRA", "ITA"])]
    ref["shares"] = kept.merge(groups, on=CONC_KEYS)
    assert len(ref["shares"]) < len(kept)  # the zero group has no total: no shares
    _same_as_functions(got, ref)
    assert got["concentration"].equals(_tables(store, False, tmp_path)["concentration"])
    conc, shares = got["concentration"], got["shares"]
    assert not {"FRA", "ITA"} & set(shares["partner"]) and "EUN" in set(shares["partner"])
    assert (shares["value_usd"] == 0).any() and conc["n_suppliers"].min() >= 0
    row = conc[(conc["reporter"] == "JPN") & (conc["year"] == 2023) & (conc["product"] == tied)]
    members = frame[jpn & (frame["product_code"] == tied) & ~frame["partner"].isin(["FRA", "ITA"])]
    assert row["top_supplier"].item() == max(members["partner"])
    # the annual periods add the months up: totals equal the unsplit frame's supplier sums
    suppliers = frame[~frame["partner"].isin(["FRA", "ITA"])]
    assert conc["total_usd"].sum() == pytest.approx(suppliers["value_usd"].sum(), rel=1e-15)


def _large_panel(seed: int = 37) -> pd.DataFrame:
    """Unique rows, large enough that a panel's share table does not fit in a few megabytes:
    30 importers × 2 years, each buying 10,000 of 40 exporters × 400 HS6 products."""
    import pycountry

    rng = np.random.default_rng(seed)
    codes = sorted(c.alpha_3 for c in pycountry.countries)[:70]
    importers, exporters = codes[:30], codes[30:]
    products = np.array([f"{850000 + 7 * i:06d}" for i in range(400)])
    parts = []
    for year in (2019, 2020):
        for imp in importers:
            cells = rng.choice(len(exporters) * len(products), 10_000, replace=False)
            parts.append(
                pd.DataFrame(
                    {
                        "reporter": imp,
                        "partner": np.array(exporters)[cells // len(products)],
                        "year": year,
                        "product_code": products[cells % len(products)],
                        "value_usd": np.round(rng.lognormal(3.5, 2.3, len(cells)), 3),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def test_memory_bound_spills_and_gives_identical_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented memory setting (TECHTIES_MEMORY, DuckDB's memory_limit) bounds the panel:
    with a limit smaller than the share table DuckDB spills to the temporary directory, and
    every table (concentration, chokepoints, shares) is identical to the unbounded run."""
    from techties.store import open_store

    path = tmp_path / "big.duckdb"
    frame = _large_panel()
    with open_store(path) as st:
        _store(st, frame)
    monkeypatch.delenv("TECHTIES_MEMORY", raising=False)
    with open_store(path) as st:
        free = _tables(st, True, tmp_path)
    monkeypatch.setenv("TECHTIES_MEMORY", "24MB")
    with open_store(path) as st:
        assert st.scalar("SELECT current_setting('memory_limit')") in ("22.8 MiB", "24.0 MB")
        counts = materialise_panel(st, SEL, prefix="u_", unique_rows=True)
        spilled = st.scalar("SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()")
        st.con.execute("SET memory_limit = '1GB'")  # to read the tables back into pandas
        bounded = {n: st.df(f"SELECT * FROM u_{n} ORDER BY ALL") for n in free}
    assert counts == {n: len(t) for n, t in free.items()}
    assert len(bounded["shares"]) == len(frame)
    assert spilled > 0  # the bound was real: DuckDB wrote temporary blocks
    for name in free:
        pd.testing.assert_frame_equal(bounded[name], free[name])


def test_real_panel_under_a_memory_bound_is_identical(shared_data: Path) -> None:
    """Real rows (US imports 2024 at HS10, every partner, read at HS6): the panel built four
    times under a memory limit smaller than the four results together — DuckDB evicts the
    earlier tables to its temporary files — gives tables identical to the unbounded panel
    (the first one read back from disk), and equal to ``supplier_concentration``."""
    from fixtures.indicators.real import real_store

    store = real_store(shared_data, "hs10_2024_all")
    sel = Selection(reporter="USA", level=6)
    names = ("concentration", "chokepoints", "shares")

    def read(prefix: str) -> dict[str, pd.DataFrame]:
        return {n: store.df(f"SELECT * FROM {prefix}{n} ORDER BY ALL") for n in names}

    free_counts = materialise_panel(store, sel, prefix="rf_")
    free = read("rf_")
    assert len(free["shares"]) > 50_000 and len(free["concentration"]) > 5_000
    before = store.scalar("SELECT current_setting('memory_limit')")
    store.con.execute("SET memory_limit = '16MB'")
    try:
        for i in range(4):
            assert materialise_panel(store, sel, prefix=f"rb{i}_") == free_counts
        spilled = store.scalar("SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files()")
    finally:
        store.con.execute(f"SET memory_limit = '{before}'")
    assert spilled > 0
    for i in (0, 3):
        got = read(f"rb{i}_")
        for name in names:
            pd.testing.assert_frame_equal(got[name], free[name])
    drop_tables(store, [f"{p}{n}" for p in ("rf_", "rb0_", "rb1_", "rb2_", "rb3_") for n in names])
    ref = supplier_concentration(store, sel).tidy().sort_values(CONC_KEYS).reset_index(drop=True)
    conc = free["concentration"].sort_values(CONC_KEYS).reset_index(drop=True)
    assert conc["top_supplier"].tolist() == ref["top_supplier"].tolist()
    np.testing.assert_allclose(conc["hhi"], ref["hhi"], rtol=1e-12)
