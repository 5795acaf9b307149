"""Export-control and sanctions lists → the canonical ``entity_list`` table.

Three layouts are read:

- ``export_lists``: the JSON lists of the NSF Restricted Entities Guide
  (``{list_id, source_file, extracted, count, entities: [{name, aliases, country, address,
  effective_date, federal_register, notes}]}``): BIS Entity List (Supp. 4 to 15 CFR 744), BIS MEU
  list (Supp. 7), DoW Section 1260H, DoW Section 1286, OFAC NS-CMIC and EO 14032 annex, DHS UFLPA,
  FCC Covered List, State nonproliferation sanctions.
- ``mofcom_countermeasures``: China's counter-lists (Unreliable Entity List, export-control
  control list, Anti-Foreign-Sanctions list) in the china-sanctions-open-data CSV layout.
- ``trade_gov_csl``: the US Consolidated Screening List JSON of trade.gov (download endpoint
  :data:`CSL_URL`), which merges the BIS, OFAC and State lists.

Date added. For the BIS lists the Federal Register column holds every rule that touched the entry
(``"84 FR 22963, 5/21/19. 85 FR 29853, 5/19/20."``); the **earliest cited date is the date the
entry was added** and later dates are revisions (``date_basis = 'earliest citation'``). Other
lists carry an effective/listing date, used as is (``'effective date'`` / ``'listed on'``).
Every list is a snapshot of entries *still listed*: counts by year of addition are survivor
counts (lower bounds on historical additions).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pycountry

from techties.errors import SourceFormatError
from techties.sources._tech_common import dates_in, iso3, iso3_from_iso2, parse_date
from techties.sources.base import Source, register
from techties.sources.containers import (
    read_frame,
    records,
    require_columns,
    require_pattern,
    unique_keys,
)
from techties.sources.http import download_file

#: list_id → display name used in ``entity_list.list``
LIST_NAMES: dict[str, str] = {
    "bis-entity-list": "BIS Entity List",
    "bis-meu": "BIS MEU",
    "dow-1260h": "DoW 1260H",
    "dow-1286": "DoW 1286",
    "ofac-nscmic": "OFAC NS-CMIC",
    "ofac-eo14032": "OFAC EO 14032 Annex",
    "dhs-uflpa": "DHS UFLPA",
    "fcc-covered": "FCC Covered List",
    "state-nonproliferation": "State Nonproliferation",
}

SCHEMA = pa.schema(
    [
        ("list", pa.string()),
        ("list_id", pa.string()),
        ("entry", pa.int32()),
        ("name", pa.string()),
        ("aliases", pa.list_(pa.string())),
        ("country", pa.string()),
        ("country_iso3", pa.string()),
        ("address", pa.string()),
        ("citations", pa.list_(pa.string())),
        ("citation_dates", pa.list_(pa.date32())),
        ("date_added", pa.date32()),
        ("date_basis", pa.string()),
        ("first_citation", pa.string()),
        ("license_requirement", pa.string()),
        ("license_policy", pa.string()),
        ("notes", pa.string()),
        ("snapshot", pa.date32()),
    ]
)

_FR_CITE = re.compile(r"\b(\d{2,3})\s+FR\s+(\d[\d,]*)")
_VOL_CITE = re.compile(r"Vol\.?\s*(\d{2,3}),\s*No\.?\s*(\d+)", re.IGNORECASE)


def split_citations(text: str | None) -> list[tuple[str, dt.date | None]]:
    """Federal Register citations with their dates, in printed order.

    Each dated citation is ``"<vol> FR <page>"`` paired with the first date printed after it
    (``"84 FR 22963, 5/21/19"`` → ``("84 FR 22963", 2019-05-21)``); a date with no FR reference
    before it (e.g. ``"Vol. 86, No. 51, 03/18/21"``) keeps the text before it as its citation.
    """
    if not text or not text.strip():
        return []
    cites = [
        (m.start(), f"{m.group(1)} FR {m.group(2).rstrip(',')}") for m in _FR_CITE.finditer(text)
    ]
    cites += [(m.start(), f"Vol. {m.group(1)}, No. {m.group(2)}") for m in _VOL_CITE.finditer(text)]
    cites.sort()
    dates = dates_in(text)
    out: list[tuple[str, dt.date | None]] = []
    di = 0
    for i, (pos, cite) in enumerate(cites):
        nxt = cites[i + 1][0] if i + 1 < len(cites) else len(text) + 1
        while di < len(dates) and dates[di][0] < pos:
            di += 1
        if di < len(dates) and dates[di][0] < nxt:
            out.append((cite, dates[di][1]))
            di += 1
        else:
            out.append((cite, None))
    if not cites:
        out = [(text.strip()[:120], d) for _, d in dates] or [(text.strip()[:120], None)]
    return out


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _entry_row(
    item: dict[str, Any], *, list_id: str, entry: int, snapshot: dt.date | None
) -> dict[str, Any]:
    cites = split_citations(_text(item.get("federal_register")))
    dated = [(c, d) for c, d in cites if d is not None]
    effective = parse_date(_text(item.get("effective_date")))
    first_cite: str | None
    date_added: dt.date | None
    if dated:
        first_cite, date_added = min(dated, key=lambda t: t[1] or dt.date.max)
        basis = "earliest citation"
    elif effective is not None:
        first_cite, date_added, basis = (
            (cites[0][0] if cites else None),
            effective,
            "effective date",
        )
    else:
        first_cite, date_added, basis = (cites[0][0] if cites else None), None, None
    country = _text(item.get("country"))
    aliases = item.get("aliases") or []
    return {
        "list": LIST_NAMES.get(list_id, list_id),
        "list_id": list_id,
        "entry": entry,
        "name": str(item["name"]).strip(),
        "aliases": [str(a).strip() for a in aliases if str(a).strip()],
        "country": country,
        "country_iso3": iso3(country),
        "address": _text(item.get("address")),
        "citations": [c for c, _ in cites],
        "citation_dates": [d for _, d in cites],
        "date_added": date_added,
        "date_basis": basis,
        "first_citation": first_cite,
        "license_requirement": _text(item.get("notes")) if list_id.startswith("bis-") else None,
        "license_policy": _text(item.get("license_policy")),
        "notes": None if list_id.startswith("bis-") else _text(item.get("notes")),
        "snapshot": snapshot,
    }


def _table(rows: list[dict[str, Any]], *, first: int) -> pa.Table:
    """Entries (one per file record, in order) with ``_row``, the record's file row."""
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    return table.append_column("_row", pa.array(np.arange(len(rows)) + first, pa.int64()))


def _date(path: Path, text: str | None, row: int | None, column: str) -> dt.date | None:
    """``parse_date(text)``; a date that is printed but cannot be read is refused."""
    found = parse_date(text)
    if text and found is None:
        raise SourceFormatError(
            path, f"date {text!r} is not readable", row=row, column=column,
            expected="a date such as 2021-08-02, 6/21/22 or June 21, 2022",
            hint="Fix the date or blank it; techties does not store an entry with a date it "
            "cannot read as undated.",
        )  # fmt: skip
    return found


def _load_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh, object_pairs_hook=unique_keys(path))
    except UnicodeDecodeError as exc:
        raise SourceFormatError(path, "text is not valid UTF-8", expected="UTF-8 JSON") from exc
    except json.JSONDecodeError as exc:
        raise SourceFormatError(
            path,
            f"not valid JSON: {exc.msg}",
            row=exc.lineno,
            expected="a JSON document",
            hint="The file may be truncated; download it again.",
        ) from exc
    except OSError as exc:
        raise SourceFormatError(path, f"cannot open file: {exc.strerror}") from exc


@register
class ExportLists(Source):
    """US restricted-party lists in the NSF Restricted Entities Guide JSON layout."""

    name = "export_lists"
    table = "entity_list"
    title = "US export-control and sanctions lists (BIS Entity List, MEU, 1260H, CMIC, UFLPA…)"
    homepage = "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-C/part-744"
    patterns = ("*.json",)

    def read(self, path: Path) -> pa.Table:
        payload = _load_json(path)
        if not isinstance(payload, dict) or not isinstance(payload.get("entities"), list):
            raise SourceFormatError(
                path,
                "no 'entities' list",
                expected="an object {list_id, extracted, entities: [...]}",
            )
        list_id = str(payload.get("list_id") or "").strip()
        if not list_id:
            raise SourceFormatError(
                path,
                "missing 'list_id'",
                column="list_id",
                expected="a list id such as 'bis-entity-list'",
            )
        snapshot = _date(path, _text(payload.get("extracted")), None, "extracted")
        rows = []
        for i, item in enumerate(payload["entities"], start=1):
            if not isinstance(item, dict) or not _text(item.get("name")):
                raise SourceFormatError(
                    path,
                    "entity without a name",
                    row=i,
                    column="name",
                    expected="an object with a non-empty 'name'",
                )
            aliases = item.get("aliases")
            if aliases is not None and not isinstance(aliases, list):
                raise SourceFormatError(
                    path,
                    f"aliases is {type(aliases).__name__}",
                    row=i,
                    column="aliases",
                    expected="a list of strings",
                )
            if isinstance(item, dict):
                _date(path, _text(item.get("effective_date")), i, "effective_date")
            rows.append(_entry_row(item, list_id=list_id, entry=i, snapshot=snapshot))
        declared = payload.get("count")
        if isinstance(declared, int) and declared != len(rows):
            raise SourceFormatError(
                path,
                f"'count' says {declared} entities but the file holds {len(rows)}",
                column="count",
                expected="count equal to the number of entities",
                hint="The file is truncated or was edited; download it again.",
            )
        return _table(rows, first=1)  # the i-th entity is row i

    def version(self, path: Path) -> str | None:
        try:
            payload = _load_json(path)
        except SourceFormatError:
            return None
        return f"{payload.get('list_id')} extracted {payload.get('extracted')}"


_MOFCOM_COLUMNS = ["name", "name_zh", "name_en", "programs_en", "country_en", "listed_on"]


@register
class MofcomCountermeasures(Source):
    """China's counter-lists (UEL, export-control control list, countermeasure list)."""

    name = "mofcom_countermeasures"
    table = "entity_list"
    title = "China MOFCOM counter-lists (china-sanctions-open-data CSV)"
    homepage = "https://github.com/z86390816/china-sanctions-open-data"
    patterns = ("china-mofcom*.csv",)

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, dtype_str=True)
        require_columns(df, _MOFCOM_COLUMNS, path, what="china-mofcom.csv")
        rows = []
        for i, rec in enumerate(records(df), start=1):
            name = _text(rec.get("name_en")) or _text(rec.get("name"))
            if not name:
                raise SourceFormatError(
                    path, "empty name", row=i + 1, column="name_en", expected="a name"
                )
            listed = parse_date(_text(rec.get("listed_on")))
            if _text(rec.get("listed_on")) and listed is None:
                raise SourceFormatError(
                    path,
                    f"date {rec['listed_on']!r} not readable",
                    row=i + 1,
                    column="listed_on",
                    expected="YYYY-MM-DD",
                )
            program = _text(rec.get("programs_en")) or "MOFCOM list"
            zh = _text(rec.get("name_zh"))
            rows.append(
                {
                    "list": f"MOFCOM {program}",
                    "list_id": "mofcom-" + re.sub(r"\W+", "-", program.lower()),
                    "entry": i,
                    "name": name,
                    "aliases": [zh] if zh and zh != name else [],
                    "country": _text(rec.get("country_en")),
                    "country_iso3": iso3(_text(rec.get("country_en"))),
                    "address": None,
                    "citations": [_text(rec.get("remarks")) or ""],
                    "citation_dates": [listed],
                    "date_added": listed,
                    "date_basis": "listed on" if listed else None,
                    "first_citation": _text(rec.get("remarks")),
                    "license_requirement": None,
                    "license_policy": None,
                    "notes": _text(rec.get("type")),
                    "snapshot": None,
                }
            )
        return _table(rows, first=2)  # one header line


CSL_URL = "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.json"

#: CSL ``source`` prefix → list name (the same names as the staged lists where they overlap)
CSL_SOURCES: dict[str, tuple[str, str]] = {
    "Entity List": ("bis-entity-list", "BIS Entity List"),
    "Military End User": ("bis-meu", "BIS MEU"),
    "Unverified List": ("bis-uvl", "BIS Unverified List"),
    "Denied Persons": ("bis-dpl", "BIS Denied Persons List"),
    "Specially Designated Nationals": ("ofac-sdn", "OFAC SDN"),
    "Non-SDN Chinese Military": ("ofac-nscmic", "OFAC NS-CMIC"),
    "Nonproliferation Sanctions": ("state-nonproliferation", "State Nonproliferation"),
}


@register
class TradeGovCSL(Source):
    """trade.gov Consolidated Screening List (JSON), all lists in one file."""

    name = "trade_gov_csl"
    table = "entity_list"
    title = "US Consolidated Screening List (trade.gov)"
    homepage = "https://www.trade.gov/consolidated-screening-list"
    patterns = ("consolidated*.json",)

    def read(self, path: Path) -> pa.Table:
        payload = _load_json(path)
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list):
            raise SourceFormatError(
                path, "no 'results' list", expected="the CSL layout {results: [...]}"
            )
        rows = []
        for i, item in enumerate(results, start=1):
            if (
                not isinstance(item, dict)
                or not _text(item.get("name"))
                or not _text(item.get("source"))
            ):
                raise SourceFormatError(
                    path,
                    "result without name or source",
                    row=i,
                    column="name",
                    expected="objects with 'name' and 'source'",
                )
            src = str(item["source"])
            list_id, list_name = next(
                ((lid, ln) for k, (lid, ln) in CSL_SOURCES.items() if src.startswith(k)),
                (re.sub(r"\W+", "-", src.lower()).strip("-"), src),
            )
            addresses = item.get("addresses") or []
            first = addresses[0] if addresses and isinstance(addresses[0], dict) else {}
            iso2 = _text(first.get("country"))
            addr = (
                "; ".join(
                    ", ".join(
                        p
                        for p in (
                            _text(a.get(k))
                            for k in ("address", "city", "state", "postal_code", "country")
                        )
                        if p
                    )
                    for a in addresses
                    if isinstance(a, dict)
                )
                or None
            )
            fr = _text(item.get("federal_register_notice"))
            start = _date(path, _text(item.get("start_date")), i, "start_date")
            row = _entry_row(
                {
                    "name": item["name"],
                    "aliases": item.get("alt_names") or [],
                    "federal_register": (f"{fr}, {start:%m/%d/%Y}" if fr and start else fr),
                    "effective_date": _text(item.get("start_date")),
                    "address": addr,
                    "notes": _text(item.get("license_requirement")),
                    "license_policy": _text(item.get("license_policy")),
                },
                list_id=list_id,
                entry=i,
                snapshot=None,
            )
            iso = iso3_from_iso2(iso2)
            found = pycountry.countries.get(alpha_3=iso) if iso else None
            row.update(
                {"list": list_name, "country": found.name if found else iso2, "country_iso3": iso}
            )
            rows.append(row)
        return _table(rows, first=1)  # the i-th result is row i

    def download(
        self, dest: Path, *, years: Sequence[int] | None = None, client: httpx.Client
    ) -> list[Path]:
        """Fetch the current consolidated list (``years`` is ignored: one live snapshot)."""
        out = dest / f"consolidated_{dt.date.today():%Y%m%d}.json"
        return [download_file(client, CSL_URL, out, expect="json")]


SDN_COLUMNS = [
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
]
_AKA = re.compile(r"a\.k\.a\.\s*'([^']+)'", re.IGNORECASE)


@register
class OfacSDN(Source):
    """OFAC SDN list, legacy ``sdn.csv`` (no header, 12 columns, ``-0-`` = empty).

    The file has no country column (addresses are in OFAC's separate add.csv): ``country`` is
    NULL, ``notes`` keeps the program(s) and remarks so exposure can be searched (e.g. remarks
    naming China or Hong Kong), aliases are the ``a.k.a. '…'`` names in the remarks. There is no
    listing date. The snapshot date is taken from a ``YYYY-MM-DD`` parent folder name when present.
    """

    name = "ofac_sdn"
    table = "entity_list"
    title = "OFAC Specially Designated Nationals list (legacy sdn.csv)"
    homepage = "https://ofac.treasury.gov/specially-designated-nationals-and-blocked-persons-list-sdn-human-readable-lists"
    patterns = ("sdn*.csv",)

    def read(self, path: Path) -> pa.Table:
        df = read_frame(path, dtype_str=True, header=None)
        if df.shape[1] != len(SDN_COLUMNS):
            raise SourceFormatError(
                path,
                f"{df.shape[1]} columns",
                expected=f"12 columns ({', '.join(SDN_COLUMNS)}) and no header row",
            )
        df.columns = SDN_COLUMNS
        if len(df) and str(df["ent_num"].iloc[-1]).strip() == "\x1a":
            df = df.iloc[:-1]  # OFAC ends the legacy file with a DOS end-of-file mark (Ctrl-Z)
        df = df.apply(lambda c: c.str.strip().replace("-0-", ""))
        require_pattern(
            df["ent_num"], r"\d+", path, "ent_num", label="ent_num", kind="a number",
            expected="an integer entry number (file has no header)", header_rows=0,
        )  # fmt: skip
        snap = (
            parse_date(path.parent.name)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", path.parent.name)
            else None
        )
        rows = []
        for i, rec in enumerate(records(df), start=1):
            if not rec["SDN_Name"]:
                raise SourceFormatError(
                    path, "empty name", row=i, column="SDN_Name", expected="a name"
                )
            remarks = rec["Remarks"] or None
            rows.append(
                {
                    "list": "OFAC SDN",
                    "list_id": "ofac-sdn",
                    "entry": int(rec["ent_num"]),
                    "name": rec["SDN_Name"],
                    "aliases": _AKA.findall(remarks or ""),
                    "country": None,
                    "country_iso3": None,
                    "address": None,
                    "citations": [],
                    "citation_dates": [],
                    "date_added": None,
                    "date_basis": None,
                    "first_citation": None,
                    "license_requirement": None,
                    "license_policy": None,
                    "notes": f"Program: {rec['Program']}" + (f"; {remarks}" if remarks else ""),
                    "snapshot": snap,
                }
            )
        return _table(rows, first=1)  # no header line

    def version(self, path: Path) -> str | None:
        return f"sdn.csv {path.parent.name}"
