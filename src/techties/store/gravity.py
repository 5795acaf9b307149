"""Wide gravity frames from the canonical ``gravity`` table (for estimation and simulation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from techties.errors import NoDataError
from techties.store.core import Store


def gravity_datasets(store: Store) -> list[str]:
    """Names of the gravity datasets in the store."""
    return [str(x) for x in store.df("SELECT DISTINCT dataset FROM gravity ORDER BY 1")["dataset"]]


def gravity_frame(store: Store, dataset: str) -> pd.DataFrame:
    """One row per (exporter, importer, year): ``trade`` plus one column per covariate.

    Covariate columns keep the dataset's own names (``DIST``, ``RTA``, ``pair_id`` …) in the
    order of the file; ``trade`` is in the unit given by ``df.attrs["trade_unit"]``.
    """
    tbl = store.arrow(
        "SELECT exporter, importer, year, trade, trade_unit, covariates, provenance_id "
        "FROM gravity WHERE dataset = ? ORDER BY provenance_id, year, exporter, importer",
        [dataset],
    )
    if tbl.num_rows == 0:
        known = gravity_datasets(store)
        raise NoDataError(
            f"No gravity dataset {dataset!r} in the store (have: {', '.join(known) or 'none'}).",
            hint="Ingest it first: `techties ingest gravity FILE`.",
        )
    out = tbl.select(["exporter", "importer", "year", "trade"]).to_pandas()
    out = pd.concat([out, _expand(tbl.column("covariates").combine_chunks())], axis=1)
    out.attrs["trade_unit"] = str(tbl.column("trade_unit")[0])
    out.attrs["provenance_ids"] = sorted(set(tbl.column("provenance_id").to_pylist()))
    return out


def _expand(maps: pa.Array) -> pd.DataFrame:
    """A MAP column → one float column per key (missing keys become NaN)."""
    assert isinstance(maps, pa.MapArray)
    lengths = np.diff(maps.offsets.to_numpy(zero_copy_only=False))
    keys = maps.keys.to_numpy(zero_copy_only=False)
    items = maps.items.to_numpy(zero_copy_only=False).astype("float64")
    rows = np.repeat(np.arange(len(maps)), lengths)
    order = list(dict.fromkeys(keys.tolist()))
    wide = np.full((len(maps), len(order)), np.nan)
    col = pd.Index(order).get_indexer(keys)
    wide[rows, col] = items
    return pd.DataFrame(wide, columns=order)
