"""Read model inputs back from the ``model_inputs`` table as numpy arrays, with provenance.

>>> inputs = model_inputs(store, "cp2015")
>>> go = inputs.array("GO")            # (40, 31) as in GO.txt
>>> inputs.provenance_ids              # every file the arrays came from

Only the live ingest of each file counts: replaced ingests have no rows left (see
:meth:`Store.write`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from techties.errors import NoDataError
from techties.store.core import Store

#: which source loads each dataset (for the hint when it is missing)
LOADED_BY = {
    "cp2015": "cp2015 trade-cp2015/",
    "eora2017": "eora_cp trade-ge-baseline/eora26-cp2017/data.npz",
    "liberation_day": "liberation_day trade-ge-baseline/liberation-day/",
    "ruv_icio2021": "ruv_icio trade-ge-baseline/ruv-icio2021-14sec/",
    "bown_waves_hs6": "bown_waves trade-tariffs/bown/TrumpTariffs-CHN-hs6.dta",
}


def model_datasets(store: Store) -> list[str]:
    """Datasets present in ``model_inputs``."""
    return [str(x) for x in store.df("SELECT DISTINCT dataset FROM model_inputs ORDER BY 1")["dataset"]]


@dataclass
class ModelInputs:
    """The arrays of one dataset in the store; :attr:`provenance_ids` of those read so far."""

    store: Store
    dataset: str
    items: dict[str, tuple[int, ...]]
    _ids: set[int] = field(default_factory=set)

    @property
    def provenance_ids(self) -> list[int]:
        return sorted(self._ids)

    def has(self, item: str) -> bool:
        return item in self.items

    def _rows(self, item: str, column: str) -> pd.DataFrame:
        if item not in self.items:
            raise NoDataError(
                f"Dataset {self.dataset!r} in the store has no array {item!r} "
                f"(have: {', '.join(sorted(self.items))}).",
                hint=_hint(self.dataset),
            )
        rows = self.store.df(
            f"SELECT {column} AS x, provenance_id FROM model_inputs "
            "WHERE dataset = ? AND item = ? ORDER BY pos",
            [self.dataset, item],
        )
        self._ids.update(int(i) for i in rows["provenance_id"].unique())
        return rows

    def array(self, item: str) -> np.ndarray:
        """The numeric array ``item`` in its stored shape."""
        rows = self._rows(item, "value")
        return rows["x"].to_numpy(dtype=float).reshape(self.items[item])

    def text(self, item: str) -> tuple[str, ...]:
        """The label array ``item`` (country or sector codes)."""
        return tuple(str(x) for x in self._rows(item, "text")["x"])

    def frame(self, prefix: str) -> pd.DataFrame:
        """A frame stored as ``prefix`` (numeric block) with ``prefix:columns`` and label arrays."""
        cols = self.text(f"{prefix}:columns")
        out = pd.DataFrame(self.array(prefix), columns=list(cols))
        for item in sorted(self.items):
            head, _, label = item.partition(":")
            if head == prefix and label and label != "columns":
                out.insert(0, label, list(self.text(item)))
        return out


def model_inputs(store: Store, dataset: str) -> ModelInputs:
    """The arrays of ``dataset``; raises :class:`NoDataError` (with the ingest command) if absent."""
    shapes = store.con.execute(
        "SELECT item, any_value(shape) FROM model_inputs WHERE dataset = ? GROUP BY item",
        [dataset],
    ).fetchall()
    if not shapes:
        have = model_datasets(store)
        raise NoDataError(
            f"No model inputs {dataset!r} in the store (have: {', '.join(have) or 'none'}).",
            hint=_hint(dataset),
        )
    items = {str(item): tuple(int(x) for x in shape) for item, shape in shapes}
    return ModelInputs(store, dataset, items)


def _hint(dataset: str) -> str:
    how = LOADED_BY.get(dataset)
    if how is None and dataset.startswith(("icio", "wiod")):
        how = f"icio_tariffwar trade-ge-baseline/icio2023-tariffwar/{dataset.upper()}.mat"
    if how is None:
        return "Ingest the dataset's files first (`techties sources` lists the readers)."
    return (f"Ingest it first: `techties ingest {how}` (`techties report --data DIR` ingests a "
            "whole data folder).")
