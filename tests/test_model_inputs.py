"""Model inputs in the store (``model_inputs``) and derived results cached in it (``derived``):
round trip, errors that name the file, array and cell, all-or-nothing ingest, recomputation
exactly when an input, a parameter or the code changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from techties.errors import NoDataError, SourceFormatError
from techties.store import Store, open_store
from techties.store.derived import cached, derived_list
from techties.store.ingest import ingest_files
from techties.store.model_inputs import model_datasets, model_inputs

# the Liberation Day package layout (CATALOG-trade §10): a square export matrix with one
# ``export_ij<k>`` column per destination, the country list and the applied US tariffs
LABELS = "iso3,iso_code,CountryName\nCHN,1,China\nUSA,2,United States\nVNM,3,Viet Nam\n"
TRADE = "export_ij1,export_ij2,export_ij3\n0,5.5,1\n120.25,0,3\n2,7,\n"
TARIFFS = "applied_tariff\n.54\n0\n.46\n"


def _package(folder: Path, *, trade: str = TRADE, tariffs: str = TARIFFS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"country_labels.csv": LABELS, "trade_cepii.csv": trade, "tariffs.csv": tariffs}
    for name, text in files.items():
        (folder / name).write_text(text)
    return [folder / n for n in files]


def test_arrays_round_trip_with_their_provenance(store: Store, tmp_path: Path) -> None:
    ingest_files(store, "liberation_day", _package(tmp_path / "ld"))
    assert model_datasets(store) == ["liberation_day"]
    d = model_inputs(store, "liberation_day")
    trade = d.array("trade")
    # the blank cell of the matrix is "no recorded trade": 0
    assert trade.tolist() == [[0.0, 5.5, 1.0], [120.25, 0.0, 3.0], [2.0, 7.0, 0.0]]
    assert d.text("iso3") == ("CHN", "USA", "VNM")
    assert d.array("applied_tariff").tolist() == [0.54, 0.0, 0.46]
    prov = store.provenance(d.provenance_ids)
    names = sorted(Path(p).name for p in prov["location"])
    assert names == ["country_labels.csv", "tariffs.csv", "trade_cepii.csv"]
    assert prov["sha256"].str.len().eq(64).all()


def test_a_bad_cell_names_file_row_and_column_and_nothing_is_stored(
    store: Store, tmp_path: Path
) -> None:
    files = _package(tmp_path / "ld", tariffs="applied_tariff\n.54\nten percent\n.46\n")
    with pytest.raises(SourceFormatError) as err:
        ingest_files(store, "liberation_day", files)
    msg = str(err.value)
    assert "tariffs.csv" in msg and "'ten percent'" in msg
    assert "row 3" in msg and "applied_tariff" in msg  # file line 3: the header is line 1
    # all-or-nothing: the two good files of the same call are not stored either
    assert store.df("SELECT count(*) AS n FROM model_inputs")["n"].iloc[0] == 0
    assert store.provenance().empty


def test_a_negative_flow_names_the_array_and_its_index(store: Store, tmp_path: Path) -> None:
    bad = "export_ij1,export_ij2,export_ij3\n0,5.5,1\n120.25,0,-3\n2,7,0\n"
    with pytest.raises(SourceFormatError) as err:
        ingest_files(store, "liberation_day", _package(tmp_path / "ld", trade=bad))
    msg = str(err.value)
    assert "trade_cepii.csv" in msg and "'trade'" in msg
    assert "first at index (1, 2): -3.0" in msg


def test_a_missing_dataset_says_which_files_to_ingest(store: Store) -> None:
    with pytest.raises(NoDataError) as err:
        model_inputs(store, "cp2015")
    assert "techties ingest cp2015 trade-cp2015/" in err.value.hint


def test_bown_blanks_stay_missing(store: Store, tmp_path: Path) -> None:
    """Blank cells of Bown's waves file read back as missing, not as a zero tariff change."""
    path = tmp_path / "TrumpTariffs-CHN-hs6.dta"
    pd.DataFrame(
        {"hs06": ["010130", "850440"], "TT301_a": [np.nan, 25.0], "TT301_f": [-7.5, 0.0]}
    ).astype({"TT301_a": "float32", "TT301_f": "float32"}).to_stata(path, write_index=False)
    ingest_files(store, "bown_waves", [path])
    w = model_inputs(store, "bown_waves_hs6").frame("waves")
    assert w["hs06"].tolist() == ["010130", "850440"]
    assert np.isnan(w.loc[0, "TT301_a"]) and w.loc[1, "TT301_a"] == 25.0
    assert w["TT301_f"].tolist() == [-7.5, 0.0]


# -- derived ----------------------------------------------------------------------------------
def _counter() -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"x": [len(calls)]})

    return calls, compute


def test_derived_results_recompute_exactly_when_inputs_params_or_code_change(
    store: Store,
) -> None:
    calls, compute = _counter()
    mods = ("techties.store.derived",)
    first = cached(store, "fit", inputs=[1, 2], modules=mods, compute=compute)  # type: ignore[arg-type]
    again = cached(store, "fit", inputs=[2, 1], modules=mods, compute=compute)  # type: ignore[arg-type]
    assert len(calls) == 1 and again.equals(first)  # same inputs (any order): read back
    cached(store, "fit", inputs=[1, 3], modules=mods, compute=compute)  # type: ignore[arg-type]
    assert len(calls) == 2  # another input file
    cached(store, "fit", inputs=[1, 2], modules=mods, compute=compute, params="draws=9")  # type: ignore[arg-type]
    assert len(calls) == 3  # other parameters
    listed = derived_list(store)
    assert len(listed) == 3 and set(listed["name"]) == {"fit"}
    assert sorted(map(list, listed["inputs"])) == [[1, 2], [1, 2], [1, 3]]
    cached(store, "fit", inputs=[1, 2], modules=("techties.store.model_inputs",), compute=compute)  # type: ignore[arg-type]
    assert len(calls) == 4  # other code: recomputed, and the old code's results are dropped
    listed = derived_list(store)
    assert len(listed) == 1 and list(listed["inputs"].iloc[0]) == [1, 2]
    cached(store, "other", inputs=[1], modules=mods, compute=compute)  # type: ignore[arg-type]
    assert set(derived_list(store)["name"]) == {"fit", "other"}  # other names are kept


def test_a_read_only_store_computes_without_caching(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    calls, compute = _counter()
    with open_store(path, read_only=True) as st:
        cached(st, "fit", inputs=[1], modules=(), compute=compute)  # type: ignore[arg-type]
        cached(st, "fit", inputs=[1], modules=(), compute=compute)  # type: ignore[arg-type]
        assert len(calls) == 2 and derived_list(st).empty


def test_provenance_derived_lists_cached_results(tmp_path: Path) -> None:
    from techties.cli.main import app

    path = tmp_path / "s.duckdb"
    with open_store(path) as st:
        cached(st, "incidence-specs", inputs=[7], modules=(), compute=lambda: pd.DataFrame({"a": [1]}))
    res = CliRunner().invoke(app, ["provenance", "--derived", "--store", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert '"incidence-specs"' in res.output and '"rows": 1' in res.output


def test_derived_lookup_finds_several_results_in_one_query_and_keep_one_per_name(
    store: Store,
) -> None:
    from techties.store.derived import Derived, keep, lookup

    frames = {n: pd.DataFrame({"v": [i, i + 0.5]}) for i, n in enumerate(("a", "b", "c"))}
    keep(store, [Derived(n, f"k{n}", [1], "v1", f) for n, f in frames.items()])
    found = lookup(store, [("a", "ka"), ("c", "kc"), ("b", "kc"), ("x", "kx")])
    assert sorted(found) == [("a", "ka"), ("c", "kc")]
    assert found[("c", "kc")].equals(frames["c"]) and found[("a", "ka")].equals(frames["a"])
    keep(store, [Derived("a", "k2", [2], "v1", frames["b"])])  # same code: both kept
    assert sorted(derived_list(store)["key"]) == ["k2", "ka", "kb", "kc"]
    keep(store, [Derived("a", "k3", [3], "v1", frames["c"])], one_per_name=True)
    listed = derived_list(store)
    assert sorted(listed["key"]) == ["k3", "kb", "kc"]
    assert lookup(store, [("a", "k3")])[("a", "k3")].equals(frames["c"])
