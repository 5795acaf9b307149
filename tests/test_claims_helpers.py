"""Builders of small stores for the claims tests: every row goes through ``store.write``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from techties.store import Store

FLOW_DEFAULTS: dict[str, Any] = {
    "source": "fixture",
    "month": None,
    "classification": "HS",
    "vintage": "HS2017",
    "product_level": 4,
    "quantity": None,
    "quantity_unit": None,
    "duties_usd": None,
    "value_basis": "FOB",
}
INDICATOR_DEFAULTS: dict[str, Any] = {
    "source": "fixture",
    "name": "fixture indicator",
    "unit": "fixture unit",
    "partner": None,
    "partner_label": None,
    "flag": None,
}


def need_table(store: Store, table: str) -> None:
    if not store.has_table(table):
        pytest.skip(f"the {table!r} table (another layer's migration) has not landed")


def write_rows(
    store: Store, table: str, rows: Sequence[dict[str, Any]], *, source: str = "fixture"
) -> int:
    """Write rows to ``table`` under one provenance row; return its id."""
    cols = [c for c in store.df(f'DESCRIBE "{table}"')["column_name"] if c != "provenance_id"]
    data = {c: [r.get(c) for r in rows] for c in cols}
    schema_types = dict(
        zip(
            store.df(f'DESCRIBE "{table}"')["column_name"],
            store.df(f'DESCRIBE "{table}"')["column_type"],
            strict=True,
        )
    )
    arrays = {c: pa.array(v, type=_arrow_type(schema_types[c])) for c, v in data.items()}
    body = json.dumps(rows, sort_keys=True, default=str).encode()
    with store.transaction():
        res = store.write(
            source=source,
            table=table,
            data=pa.table(arrays),
            location=f"/fixtures/{table}-{hashlib.sha1(body).hexdigest()[:8]}.json",
            sha256=hashlib.sha256(body).hexdigest(),
            nbytes=len(body),
        )
    assert res.provenance_id is not None
    return res.provenance_id


def _arrow_type(duck: str) -> pa.DataType:
    d = duck.upper()
    if d.endswith("[]"):
        return pa.list_(_arrow_type(d[:-2]))
    return {
        "VARCHAR": pa.string(),
        "SMALLINT": pa.int16(),
        "TINYINT": pa.int8(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "DATE": pa.date32(),
        "BOOLEAN": pa.bool_(),
    }.get(d, pa.string())


def flows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Trade-flow rows with the defaults; the product level is the code's length (the store
    refuses rows whose level and code disagree)."""
    return [{**FLOW_DEFAULTS, "product_level": _level(r.get("product_code")), **r} for r in rows]


def _level(code: object) -> int:
    return 0 if code in (None, "TOTAL") else len(str(code))


def indicators(indicator: str, values: dict[tuple[str, int], float]) -> list[dict[str, Any]]:
    return [
        {
            **INDICATOR_DEFAULTS,
            "indicator": indicator,
            "country": c,
            "country_label": c,
            "year": y,
            "value": v,
        }
        for (c, y), v in values.items()
    ]


def chips_and_entities(store: Store) -> None:
    """Taiwan's HS 8542 exports 2013–2024 (mainland China's share drifting down from 62 % with a
    ±0.4 pp wiggle, then 52 % and 51 % after the 2022 controls) and six Entity List entries in
    three countries, 2017–2025: enough for two verdicts with charts (report and web tests)."""
    rows = []
    shares = {y: 62.0 - 0.3 * (y - 2013) + (0.4 if y % 2 else -0.4) for y in range(2013, 2023)}
    shares.update({2023: 52.0, 2024: 51.0})
    for year, pct in shares.items():
        china = pct * 1e9
        rows += [
            {"reporter": "TWN", "partner": "CHN", "flow": "export", "year": year, "product_code": "8542", "value_usd": china},
            {"reporter": "TWN", "partner": "USA", "flow": "export", "year": year, "product_code": "8542", "value_usd": 100e9 - china},
        ]  # fmt: skip
    write_rows(store, "trade_flows", flows(rows))
    need_table(store, "entity_list")
    entries = [
        {"list": "BIS Entity List", "list_id": "bis-entity-list", "entry": i + 1, "name": f"F{i}",
         "country": c, "country_iso3": c, "date_added": dt.date(y, 3, 1)}
        for i, (c, y) in enumerate([("ARE", 2017), ("ARE", 2019), ("SGP", 2022), ("SGP", 2023), ("CHN", 2024), ("ARE", 2025)])
    ]  # fmt: skip
    write_rows(store, "entity_list", entries)


def write_model_inputs(
    store: Store,
    dataset: str,
    arrays: dict[str, Any],
    texts: dict[str, Sequence[str]] | None = None,
    *,
    source: str = "fixture",
) -> int:
    """Write named arrays (and label lists) of ``dataset`` to ``model_inputs`` the way a model
    input source does (rows from :mod:`techties.sources._arrays`), under one provenance row."""
    import numpy as np

    from techties.sources._arrays import array_rows, concat, text_rows

    path = Path(f"/fixtures/{dataset}")
    parts = [array_rows(path, dataset, k, np.asarray(v, dtype=float), signed=True)
             for k, v in arrays.items()]  # fmt: skip
    parts += [text_rows(path, dataset, k, list(v)) for k, v in (texts or {}).items()]
    table = concat(parts)
    digest = hashlib.sha256(f"{dataset}|{table.num_rows}|{sorted(arrays)}".encode())
    for v in arrays.values():
        digest.update(np.ascontiguousarray(np.asarray(v, dtype=float)).tobytes())
    with store.transaction():
        res = store.write(
            source=source,
            table="model_inputs",
            data=table,
            location=f"/fixtures/model_inputs-{dataset}.npz",
            sha256=digest.hexdigest(),
            nbytes=int(table.nbytes),
        )
    assert res.provenance_id is not None
    return res.provenance_id
