"""Name matching against the export-control lists: normalisation, aliases and a score.

Normalisation (:func:`normalize_tokens`): Unicode folding (NFKD, accents dropped), lower case,
``&`` → ``and``, punctuation removed, Chinese legal forms (有限公司, 股份, 集团 …) and their
pinyin (``youxian gongsi``, ``gufen``, ``jituan``) removed, legal-form suffixes removed (Co., Ltd.,
Limited, Corporation, Inc., LLC, GmbH, JSC …), old romanisations mapped to pinyin (Peking →
Beijing, Tsinghua → Qinghua, Canton → Guangzhou …), abbreviations expanded (Tech → technology,
Univ → university, Intl → international) and plural ``-s``/``-ies`` stripped. Parenthesised
acronyms ("… (AASPT)") are treated as extra aliases.

Score of a query q against one listed name or alias c (tokens after normalisation), with token
weights w(t) = log(1 + N / df(t)) computed over all listed names (rare tokens weigh more)::

    score = Σ_{t ∈ q ∩~ c} w(t) / Σ_{t ∈ q ∪ c} w(t)           (weighted Jaccard)

where ``∩~`` matches tokens that are equal or, for tokens of 6+ letters, differ by a small edit
(difflib ratio ≥ 0.85 — transliteration and typing variants). Two rules lift the score:
identical compact forms (spaces removed: "Hik Vision" = "Hikvision") score 1.0; a query whose
tokens are all found in c scores at least 0.9 when every unmatched token of c is a *weak*
descriptor (and symmetrically when c is contained in q plus weak words) (place names, "technology", "digital", "group"…), so "Hikvision" finds
"Hangzhou Hikvision Digital Technology Co., Ltd." while "Beijing University of Technology" does
not match "Beijing University of Chemical Technology" ("chemical" is not weak).
The entry's score is the maximum over its name and aliases; matches have score ≥ ``threshold``
(default 0.85).
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

_CJK_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团", "公司", "研究所")
# fmt: off
_LEGAL = {
    "co", "company", "companies", "ltd", "limited", "corp", "corporation", "inc", "incorporated",
    "llc", "llp", "lp", "plc", "gmbh", "ag", "sa", "sarl", "srl", "spa", "bv", "nv", "oy", "ab",
    "as", "jsc", "ojsc", "pjsc", "cjsc", "ooo", "zao", "oao", "pao", "pte", "pty", "pvt", "private",
    "sdn", "bhd", "kk", "fze", "fzco", "fzc", "fz", "dmcc", "lda", "sl", "the", "youxian", "gongsi",
    "gufen", "zeren", "youxiangongsi",
}
# fmt: on
# fmt: off
_ROMANISATION = {
    "peking": "beijing", "peiping": "beijing", "tsinghua": "qinghua", "canton": "guangzhou",
    "kwangtung": "guangdong", "nanking": "nanjing", "tientsin": "tianjin", "chungking": "chongqing",
    "szechuan": "sichuan", "szechwan": "sichuan", "amoy": "xiamen", "hangchow": "hangzhou",
    "soochow": "suzhou", "shenzen": "shenzhen", "sian": "xian", "hongkong": "hongkong",
    "jiaotong": "jiaotong", "chiaotung": "jiaotong", "fukien": "fujian", "tsingtao": "qingdao",
}
# fmt: on
# fmt: off
_ABBREV = {
    "tech": "technology", "techn": "technology", "technol": "technology", "univ": "university",
    "inst": "institute", "intl": "international", "int": "international", "elec": "electronic",
    "electronics": "electronic", "mfg": "manufacturing", "sci": "science", "eng": "engineering",
    "engg": "engineering", "dev": "development", "ind": "industry", "industrial": "industry",
    "grp": "group", "hldg": "holding", "hldgs": "holding", "holdings": "holding", "and": "and",
    "acad": "academy", "res": "research", "natl": "national", "telecom": "telecommunication",
    "jituan": "group", "semi": "semiconductor", "microelectronics": "microelectronic",
}
# fmt: on
#: descriptors that may be missing from a short query without blocking a match
# fmt: off
WEAK = {
    "technology", "information", "digital", "group", "holding", "international", "trading", "trade",
    "china", "chinese", "industry", "development", "and", "of", "import", "export", "hongkong",
    "beijing", "shanghai", "shenzhen", "guangzhou", "hangzhou", "wuhan", "chengdu", "xian",
    "tianjin", "nanjing", "suzhou", "hefei", "changsha", "chongqing", "dongguan", "xiamen",
    "qingdao", "dalian", "zhuhai", "jiangsu", "zhejiang", "guangdong", "sichuan", "hubei",
    "shandong", "fujian", "anhui", "hunan", "liaoning", "shaanxi", "hebei", "henan", "jiangxi",
    "branch", "subsidiary", "office", "hk", "prc",
}
# fmt: on
_PAREN = re.compile(r"\(([^()]*)\)")
_NONWORD = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for form in _CJK_FORMS:
        text = text.replace(form, " ")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _stem(tok: str) -> str:
    if len(tok) > 4 and tok.endswith("ies"):
        return tok[:-3] + "y"
    if len(tok) > 4 and tok.endswith("s") and not tok.endswith("ss"):
        return tok[:-1]
    return tok


@lru_cache(maxsize=65536)
def normalize_tokens(name: str) -> tuple[str, ...]:
    """Tokens of a name after folding, legal-form removal and variant mapping (see module doc)."""
    text = _fold(name).replace("&", " and ").replace("'", "").replace("’", "")
    text = text.replace("hong kong", "hongkong").replace("xi an", "xian")
    toks = []
    for raw in _NONWORD.split(text):
        if not raw:
            continue
        tok = _ROMANISATION.get(raw, raw)
        tok = _ABBREV.get(tok, tok)
        tok = _stem(tok)
        tok = _ABBREV.get(tok, tok)
        if tok in _LEGAL:
            continue
        toks.append(tok)
    return tuple(toks)


def normalize(name: str) -> str:
    """The normalised form of a name, tokens joined by single spaces."""
    return " ".join(normalize_tokens(name))


def name_variants(name: str, aliases: Iterable[str] = ()) -> list[str]:
    """The name, its aliases, and parenthesised acronyms/aliases found inside them."""
    out: list[str] = []
    for n in [name, *aliases]:
        if not n:
            continue
        out.append(" ".join(_PAREN.sub(" ", n).split()))
        out.extend(p.strip() for p in _PAREN.findall(n) if len(p.strip()) >= 2)
    return [v for v in dict.fromkeys(out) if v.strip()]


def _merge_split(tokens: Sequence[str], other: set[str]) -> list[str]:
    """Join adjacent tokens whose concatenation is a token of ``other`` ("hik vision")."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and tokens[i] + tokens[i + 1] in other:
            out.append(tokens[i] + tokens[i + 1])
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def _token_match(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) >= 6 and len(b) >= 6 and a[0] == b[0]:
        return difflib.SequenceMatcher(None, a, b).ratio() >= 0.85
    return False


@dataclass(frozen=True, slots=True)
class Match:
    """One list entry that matched a screened name."""

    score: float
    list: str
    name: str
    matched_on: str
    country: str | None
    date_added: Any
    entry: int
    provenance_id: int | None


class Screener:
    """An index over list entries (name + aliases) answering :meth:`screen` queries."""

    def __init__(self, entries: pd.DataFrame) -> None:
        self.entries = entries.reset_index(drop=True)
        self._variants: list[tuple[int, str, tuple[str, ...]]] = []
        for i, row in enumerate(self.entries.itertuples(index=False)):
            raw = row.aliases
            aliases: list[str] = (
                [str(a) for a in raw] if isinstance(raw, (list, tuple, np.ndarray)) else []
            )
            for v in name_variants(str(row.name), aliases):
                toks = normalize_tokens(v)
                if toks:
                    self._variants.append((i, v, toks))
        df: Counter[str] = Counter()
        for _, _, toks in self._variants:
            df.update(set(toks))
        n = max(len(self._variants), 1)
        self._weight = {t: math.log(1 + n / c) for t, c in df.items()}
        self._default_weight = math.log(1 + n)
        self._index: dict[str, list[int]] = {}
        for k, (_, _, toks) in enumerate(self._variants):
            for key in {t[:4] for t in toks} | {"".join(toks)[:8]}:
                self._index.setdefault(key, []).append(k)

    def weight(self, tok: str) -> float:
        return self._weight.get(tok, self._default_weight)

    def score(self, query: Sequence[str], cand: Sequence[str]) -> float:
        """Weighted-Jaccard score of two token sequences (module docstring)."""
        if "".join(query) == "".join(cand):
            return 1.0
        q = list(dict.fromkeys(_merge_split(query, set(cand))))
        c = list(dict.fromkeys(_merge_split(cand, set(q))))
        matched_c: set[str] = set()
        matched_q = 0.0
        q_all = True
        for t in q:
            hit = next((u for u in c if u not in matched_c and _token_match(t, u)), None)
            if hit is None:
                q_all = False
                continue
            matched_c.add(hit)
            matched_q += self.weight(t)
        union = sum(self.weight(t) for t in q) + sum(
            self.weight(u) for u in c if u not in matched_c
        )
        s = matched_q / union if union else 0.0
        unmatched_c = [u for u in c if u not in matched_c]
        strong_q = any(t not in WEAK for t in q)
        if q_all and strong_q and all(u in WEAK for u in unmatched_c):
            s = max(s, 0.9)
        elif (
            not unmatched_c
            and any(u not in WEAK for u in c)
            and all(t in WEAK for t in q if not any(_token_match(t, u) for u in c))
        ):
            s = max(s, 0.9)  # the listed name is contained in the query plus weak words
        return min(s, 1.0)

    def screen(self, name: str, *, threshold: float = 0.85, limit: int = 50) -> list[Match]:
        """Entries whose name or an alias scores ≥ ``threshold`` against ``name``, best first."""
        best: dict[int, tuple[float, str]] = {}
        for variant in name_variants(name):
            q = normalize_tokens(variant)
            if not q:
                continue
            keys = (
                {t[:4] for t in q}
                | {"".join(q)[:8]}
                | {(a + b)[:4] for a, b in itertools.pairwise(q)}
            )
            cands = {k for key in keys for k in self._index.get(key, [])}
            for k in cands:
                i, v, toks = self._variants[k]
                s = self.score(q, toks)
                if s >= threshold and s > best.get(i, (-1.0, ""))[0]:
                    best[i] = (s, v)
        out = []
        for i, (s, v) in best.items():
            row = self.entries.iloc[i]
            out.append(
                Match(
                    score=round(s, 4),
                    list=str(row["list"]),
                    name=str(row["name"]),
                    matched_on=v,
                    country=None if pd.isna(row["country"]) else str(row["country"]),
                    date_added=row["date_added"],
                    entry=int(row["entry"]),
                    provenance_id=None
                    if pd.isna(row["provenance_id"])
                    else int(row["provenance_id"]),
                )
            )
        # ties: entries whose full name (qualifiers included) equals the query come first
        full = normalize(name)
        out.sort(key=lambda m: (-m.score, normalize(m.name) != full, m.list, m.name))
        return out[:limit]


def load_screener(store: Any, *, lists: Sequence[str] | None = None) -> Screener:
    """A :class:`Screener` over the store's ``entity_list`` (optionally some lists only)."""
    from techties.errors import NoDataError

    sql = (
        "SELECT list, entry, name, aliases, country, CAST(date_added AS VARCHAR) AS date_added, "
        "provenance_id FROM entity_list"
    )
    params: list[Any] = []
    if lists:
        sql += " WHERE list IN (SELECT unnest(?))"
        params.append(list(lists))
    entries = store.df(sql, params)
    if entries.empty:
        raise NoDataError(
            "The store holds no export-control list entries"
            + (f" for {', '.join(lists)}" if lists else "")
            + ".",
            hint="Ingest them first: `techties ingest export_lists "
            "DATA/tech-export-controls/bis_entity_list.json`.",
        )
    return Screener(entries)


def screen(
    store: Any, name: str, *, threshold: float = 0.85, lists: Sequence[str] | None = None
) -> pd.DataFrame:
    """Screen ``name`` against every list in the store; one row per matching entry."""
    matches = load_screener(store, lists=lists).screen(name, threshold=threshold)
    cols = [
        "score",
        "list",
        "name",
        "matched_on",
        "country",
        "date_added",
        "entry",
        "provenance_id",
    ]
    return pd.DataFrame([_asdict(m) for m in matches], columns=cols)


def _asdict(m: Match) -> dict[str, Any]:
    return {f: getattr(m, f) for f in Match.__slots__}
