"""Helpers shared by the technology-data sources: country names → ISO3, dates in free text.

Private module (leading underscore): not a source, not auto-registered.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import lru_cache

import pyarrow as pa
import pycountry

from techties import countries

_SUP = re.compile(r"<sup>.*?</sup>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def clean_label(label: str) -> str:
    """Strip HTML tags/entities, footnote markers and surrounding space from an NCSES label."""
    text = html.unescape(_TAG.sub("", _SUP.sub("", label))).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=4096)
def iso3(name: str | None) -> str | None:
    """ISO3 code of a country name, or None when it is not a country (regions, income groups)."""
    if not name:
        return None
    return countries.iso3(clean_label(name))


def iso3_from_iso2(code: str | None) -> str | None:
    if not code:
        return None
    if code.upper() in {"XK"}:
        return "XKX"
    found = pycountry.countries.get(alpha_2=code.upper())
    return None if found is None else str(found.alpha_3)


_MONTHS = {
    m.lower(): i
    for i, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}
_NUM_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
_LONG_DATE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\.?\s+(\d{1,2}),\s*(\d{4})\b",
    re.IGNORECASE,
)


def year4(yy: str) -> int:
    """Two-digit years pivot at 50: 97 → 1997, 19 → 2019."""
    y = int(yy)
    if len(yy) <= 2:
        return 1900 + y if y >= 50 else 2000 + y
    return y


def dates_in(text: str) -> list[tuple[int, dt.date]]:
    """Every date printed in free text as (position, date): M/D/YY, M/D/YYYY, 'June 7, 2021'."""
    found: list[tuple[int, dt.date]] = []
    for m in _NUM_DATE.finditer(text):
        try:
            found.append((m.start(), dt.date(year4(m.group(3)), int(m.group(1)), int(m.group(2)))))
        except ValueError:
            continue
    for m in _LONG_DATE.finditer(text):
        try:
            d = dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
        except ValueError:
            continue
        found.append((m.start(), d))
    return sorted(found, key=lambda t: t[0])


def parse_date(text: str | None) -> dt.date | None:
    """An ISO date, a M/D/YY date or 'June 21, 2022'; None when blank or unreadable."""
    if not text or not str(text).strip():
        return None
    s = str(text).strip()
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError:
        pass
    found = dates_in(s)
    return found[0][1] if found else None


INDICATOR_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("indicator", pa.string()),
        ("name", pa.string()),
        ("unit", pa.string()),
        ("country", pa.string()),
        ("country_label", pa.string()),
        ("partner", pa.string()),
        ("partner_label", pa.string()),
        ("year", pa.int16()),
        ("value", pa.float64()),
        ("flag", pa.string()),
    ]
)


def indicator_table(rows: list[dict[str, object]]) -> pa.Table:
    """Rows → a pyarrow table with the ``indicators`` columns (see migration 0006), plus the
    file row ``_row`` when the rows carry one (the store's checks name it)."""
    schema = INDICATOR_SCHEMA
    if rows and "_row" in rows[0]:
        schema = schema.append(pa.field("_row", pa.int64()))
    return pa.Table.from_pylist(rows, schema=schema)
