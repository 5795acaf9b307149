"""Partner aggregates (the EU, USMCA) and their members.

A source may list an aggregate beside its members (Census lists the EU and Slovakia); a member
of a listed aggregate is then counted once, inside the aggregate: it is left out as a supplier
of a denominator summed over partners (:func:`members_of_listed`).
"""

from __future__ import annotations

from collections.abc import Iterable

EU27 = frozenset(
    [
        "AUT",
        "BEL",
        "BGR",
        "HRV",
        "CYP",
        "CZE",
        "DNK",
        "EST",
        "FIN",
        "FRA",
        "DEU",
        "GRC",
        "HUN",
        "IRL",
        "ITA",
        "LVA",
        "LTU",
        "LUX",
        "MLT",
        "NLD",
        "POL",
        "PRT",
        "ROU",
        "SVK",
        "SVN",
        "ESP",
        "SWE",
    ]
)
#: partner aggregates and their members (members are not added again when the aggregate is listed)
AGGREGATES: dict[str, frozenset[str]] = {
    "EUN": EU27,
    "EU": EU27,
    "EU27": EU27,
    "USMCA": frozenset({"USA", "CAN", "MEX"}),
    "NAFTA": frozenset({"USA", "CAN", "MEX"}),
}


def members_of_listed(partners: Iterable[str]) -> list[str]:
    """The partners in ``partners`` that belong to an aggregate also in ``partners``."""
    listed = set(partners)
    out: set[str] = set()
    for agg, members in AGGREGATES.items():
        if agg in listed:
            out |= members & listed
    return sorted(out)


def listed_aggregates(partners: Iterable[str]) -> set[str]:
    """The aggregates in ``partners`` that have a member also in ``partners``."""
    listed = set(partners)
    return {a for a, members in AGGREGATES.items() if a in listed and members & listed}
