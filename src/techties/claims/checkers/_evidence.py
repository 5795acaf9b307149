"""Evidence readers shared by checkers: queries on canonical store tables, with provenance;
and the chart pieces several checkers draw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from techties.claims.base import Missing, require_table
from techties.store import Store


def indicator_series(
    store: Store,
    indicator: str,
    countries: Sequence[str],
    *,
    needed_for: str,
    loaded_by: str,
    partner: str | None = None,
) -> pd.DataFrame:
    """Rows of the ``indicators`` table for one indicator code and the given countries.

    Columns: ``country, year, value, unit, name, provenance_id`` (NULL values dropped). Raises
    :class:`Missing` (``no_data``) naming the indicator when no row matches.
    """
    require_table(store, "indicators", needed_for=needed_for, loaded_by=loaded_by)
    where = "indicator = ? AND country IN (SELECT unnest(?)) AND value IS NOT NULL"
    params: list[object] = [indicator, list(countries)]
    if partner is None:
        where += " AND partner IS NULL"
    else:
        where += " AND partner = ?"
        params.append(partner)
    df = store.df(
        f"SELECT country, year, value, unit, name, provenance_id FROM indicators WHERE {where} "
        "ORDER BY country, year",
        params,
    )
    if df.empty:
        raise Missing(
            "no_data",
            f"no rows for indicator {indicator!r} ({', '.join(countries)}) in the store "
            f"({needed_for}); {loaded_by}.",
        )
    return df


def ids(df: pd.DataFrame, column: str = "provenance_id") -> list[int]:
    """Sorted distinct provenance ids in a frame (lists of ids are flattened)."""
    out: set[int] = set()
    for v in df[column].dropna():
        if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
            out.update(int(x) for x in list(v))
        else:
            out.add(int(v))
    return sorted(out)


def year_lines(
    df: pd.DataFrame, *, y: str, y_title: str, color: str, color_title: str, value_format: str
) -> Any:
    """Lines with points of ``y`` over ``year`` (drawn at 1 July), one line per ``color`` value."""
    data = df.assign(date=pd.to_datetime(df["year"].astype(int).astype(str) + "-07-01"))
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Year"),
            y=alt.Y(f"{y}:Q", title=y_title),
            color=alt.Color(f"{color}:N", title=color_title),
            tooltip=[color, "year", alt.Tooltip(f"{y}:Q", format=value_format)],
        )
    )


def date_marker(date: str, label: str, *, y: int = 6) -> Any:
    """One dashed vertical rule at ``date`` with ``label`` beside it, ``y`` px from the top."""
    mark = alt.Chart(alt.Data(values=[{"date": date, "label": label}]))
    rule = mark.mark_rule(strokeDash=[4, 3], color="#888").encode(x="date:T")
    text = mark.mark_text(align="left", dx=4, y=y, fontSize=10, color="#555").encode(
        x="date:T", text="label:N"
    )
    return rule + text
