"""The claim catalog: ``catalog.yaml`` in this package, loaded into :class:`Claim` objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from techties.errors import ConfigError, UnknownNameError, did_you_mean

REQUIRED = ("id", "number", "paraphrase", "question", "evidence", "rule", "caveats", "checker")


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim of the debate, in the project's own words, with how it is checked."""

    id: str
    number: int
    paraphrase: str
    question: str
    evidence: dict[str, list[str]]
    rule: str
    caveats: tuple[str, ...]
    checker: str
    side: str = ""
    #: the claim as the debate states it (short, with who states it in ``stated_by``); the
    #: verdict is about this sentence, not about an easier proxy
    stated: str = ""
    stated_by: str = ""
    #: the design in one sentence: what the counterfactual is (pre-trend, comparators, placebo
    #: dates, model) or why the comparison is descriptive
    design: str = ""
    #: the reasonable alternative choices the robustness panel recomputes the verdict under
    alternatives: tuple[str, ...] = ()
    #: what evidence would change the verdict
    would_change: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def parse_catalog(text: str, where: str = "catalog.yaml") -> list[Claim]:
    """Parse catalog YAML, checking that every entry has the required keys and a unique id."""
    raw = yaml.safe_load(text) or []
    claims: list[Claim] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        missing = [k for k in REQUIRED if not isinstance(item, dict) or k not in item]
        if missing:
            raise ConfigError(
                f"{where}: entry {i} lacks {', '.join(missing)}",
                hint=f"Every claim needs {', '.join(REQUIRED)}.",
            )
        if item["id"] in seen:
            raise ConfigError(f"{where}: claim id {item['id']!r} appears twice")
        seen.add(item["id"])
        claims.append(
            Claim(
                id=str(item["id"]),
                number=int(item["number"]),
                paraphrase=str(item["paraphrase"]).strip(),
                question=str(item["question"]).strip(),
                evidence={str(k): [str(x) for x in v] for k, v in item["evidence"].items()},
                rule=str(item["rule"]).strip(),
                caveats=tuple(str(c).strip() for c in item["caveats"]),
                checker=str(item["checker"]),
                side=str(item.get("side", "")),
                stated=str(item.get("stated", "")).strip(),
                stated_by=str(item.get("stated_by", "")).strip(),
                design=str(item.get("design", "")).strip(),
                alternatives=tuple(str(a).strip() for a in item.get("alternatives", []) or []),
                would_change=str(item.get("would_change", "")).strip(),
            )
        )
    return sorted(claims, key=lambda c: c.number)


@lru_cache(maxsize=1)
def load_catalog() -> tuple[Claim, ...]:
    """Every claim in the package catalog, in catalog order."""
    text = resources.files("techties.claims").joinpath("catalog.yaml").read_text("utf-8")
    return tuple(parse_catalog(text))


def get_claim(claim_id: str) -> Claim:
    """The claim with this id (or its number, e.g. ``"7"``)."""
    for c in load_catalog():
        if claim_id in (c.id, str(c.number)):
            return c
    raise UnknownNameError(
        f"No claim named {claim_id!r}.", hint=did_you_mean(claim_id, [c.id for c in load_catalog()])
    )
