"""Countries: one resolver from what a user or a source file writes to an ISO3 code.

Used by every CLI option that names a country (``--reporter``, ``--partner``, ``--country``),
by the Python API and by the sources that read country names. It accepts ISO3 and ISO2 codes,
English names (pycountry's short, official and common names) and the aliases below, in any
case; the aggregates in :data:`AGGREGATES` are codes too. A leaf module: it imports nothing
from techties but the errors.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

import pycountry

from techties.errors import UnknownNameError

#: Names used by BIS, NCSES, OpenAlex, MOFCOM and users that pycountry does not resolve directly.
ALIASES: dict[str, str] = {
    "china": "CHN",
    "china (including hong kong)": "CHN",
    "mainland china": "CHN",
    "hong kong": "HKG",
    "macau": "MAC",
    "taiwan": "TWN",
    "south korea": "KOR",
    "korea": "KOR",
    "korea, south": "KOR",
    "korea, rep.": "KOR",
    "north korea": "PRK",
    "korea, north": "PRK",
    "russia": "RUS",
    "iran": "IRN",
    "syria": "SYR",
    "vietnam": "VNM",
    "laos": "LAO",
    "burma": "MMR",
    "turkey": "TUR",
    "turkiye": "TUR",
    "czech republic": "CZE",
    "czechia": "CZE",
    "united states": "USA",
    "united states of america": "USA",
    "usa": "USA",
    "u.s.": "USA",
    "united kingdom": "GBR",
    "uk": "GBR",
    "uae": "ARE",
    "united arab emirates": "ARE",
    "world": "WLD",
    "european union": "EUU",
    "eu": "EUU",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "tanzania": "TZA",
    "moldova": "MDA",
    "kosovo": "XKX",
    "netherlands": "NLD",
    "the netherlands": "NLD",
    "brunei": "BRN",
    "cote d'ivoire": "CIV",
    "côte d'ivoire": "CIV",
    "palestine": "PSE",
    "west bank": "PSE",
    "cayman islands": "CYM",
    "british virgin islands": "VGB",
}

#: Codes that are not countries but name a partner aggregate in techties' tables.
AGGREGATES: dict[str, str] = {"WLD": "World", "EUU": "European Union", "XKX": "Kosovo"}


@lru_cache(maxsize=4096)
def iso3(name: str | None) -> str | None:
    """ISO3 code of a country name or code, or None when it names no country (regions, income
    groups, typos)."""
    if not name or not str(name).strip():
        return None
    key = str(name).strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    if key.upper() in AGGREGATES:
        return key.upper()
    try:
        return str(pycountry.countries.lookup(key).alpha_3)
    except LookupError:
        return None


def _names() -> dict[str, str]:
    """``lower-case name or code → ISO3`` for suggestions."""
    out = dict(ALIASES)
    for c in pycountry.countries:
        out[c.name.lower()] = c.alpha_3
        out[c.alpha_3.lower()] = c.alpha_3
        for attr in ("common_name", "official_name"):
            if hasattr(c, attr):
                out[getattr(c, attr).lower()] = c.alpha_3
    return out


def country_code(text: str, *, option: str = "country", allow: tuple[str, ...] = ()) -> str:
    """The ISO3 code ``text`` names (``"China"``, ``"cn"``, ``"CHN"`` → ``"CHN"``).

    ``allow`` lists extra codes accepted as they are (e.g. ``"ALL"``). An unknown name raises
    :class:`UnknownNameError` naming ``option`` and the closest country names.
    """
    if text.strip().upper() in allow:
        return text.strip().upper()
    code = iso3(text)
    if code is not None:
        return code
    names = _names()
    close = difflib.get_close_matches(text.strip().lower(), list(names), n=8, cutoff=0.6)
    seen = {names[c]: c for c in reversed(close) if len(c) > 3 or names[c] not in close}
    hint = "Use an ISO3 code (CHN, USA, DEU) or an English country name."
    if seen:
        best = sorted(seen, key=lambda code: close.index(seen[code]))[:3]
        hint += " Did you mean " + " or ".join(f"{seen[b].title()!r} ({b})" for b in best) + "?"
    raise UnknownNameError(f"{option} {text!r} is not a country techties knows.", hint=hint)


#: World Bank aggregate codes published in WDI beside the economies (regions, income and lending
#: groups, demographic dividend groups; WDI country metadata "Region"/"Income group" blank) and
#: the two WB economy codes that are not ISO 3166: CHI (Channel Islands), XKX (Kosovo).
# fmt: off
WB_AGGREGATES: frozenset[str] = frozenset({
    "AFE", "AFW", "ARB", "CEB", "CHI", "CSS", "EAP", "EAR", "EAS", "ECA", "ECS", "EMU", "EUU",
    "FCS", "HIC", "HPC", "IBD", "IBT", "IDA", "IDB", "IDX", "INX", "LAC", "LCN", "LDC", "LIC",
    "LMC", "LMY", "LTE", "MEA", "MIC", "MNA", "NAC", "OED", "OSS", "PRE", "PSS", "PST", "SAS",
    "SSA", "SSF", "SST", "TEA", "TEC", "TLA", "TMN", "TSA", "TSS", "UMC", "WLD", "XKX",
})
# fmt: on


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Every code a country column may hold without a source-specific reason: ISO 3166-1 alpha-3
    (current and withdrawn, e.g. ANT, SCG, YUG) and techties' aggregates (:data:`AGGREGATES`)."""
    current = {str(c.alpha_3) for c in pycountry.countries}
    withdrawn = {str(c.alpha_3) for c in pycountry.historic_countries}
    return frozenset(current | withdrawn | set(AGGREGATES))


def nearest_codes(code: str, known: frozenset[str] | set[str], n: int = 3) -> list[str]:
    """Up to ``n`` known codes closest to ``code`` (for "did you mean" in error messages)."""
    text = str(code).strip().upper()
    return difflib.get_close_matches(text, sorted(known), n=n, cutoff=0.3)
