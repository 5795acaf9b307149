"""The store's SQL, written once for DuckDB (:mod:`techties.store.queries`), rendered for Spark.

:func:`to_spark` binds the parameters of a ``(sql, params)`` pair as SQL literals (rendered by
sqlglot, so strings are quoted and escaped by it, never pasted) and transpiles the query from the
``duckdb`` dialect to the ``spark`` dialect with sqlglot. Where Spark has no form of a DuckDB
construct the store's queries use, the tree is rewritten to an equivalent one:

- ``SELECT * REPLACE (expr AS col, …) FROM t`` → the columns of ``t`` listed, the replaced ones
  by their expressions (needs the columns of ``t``: ``columns``);
- ``arg_max(x, (a, b))`` (order by a tuple) → ``max_by(x, struct(a, b))`` (structs compare
  field by field, as DuckDB compares tuples);
- ``isfinite(x)`` → ``NOT isnan(x) AND abs(x) < double('Infinity')`` (NULL stays NULL);
- ``regexp_full_match(x, p)`` → ``x RLIKE '^(?:p)$'`` (the validation rules' code patterns).

:func:`tables_of` names the stored tables a query reads (CTE names left out), which is how
:class:`techties.spark.store.SparkStore` routes a query to Spark or to DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import TokenType

from techties.errors import ConfigError


def bind(sql: str, params: Sequence[Any] | None) -> str:
    """``sql`` (DuckDB dialect) with each ``?`` replaced by its parameter as a literal."""
    values = list(params or [])
    out: list[str] = []
    last = 0
    n = 0
    for token in DuckDB().tokenize(sql):
        # '?::TYPE' is one token (QDCOLON) for sqlglot's DuckDB tokenizer: its '?' is a parameter
        if token.token_type not in (TokenType.PLACEHOLDER, TokenType.QDCOLON):
            continue
        if n >= len(values):
            raise ConfigError(f"Query has more parameters than the {len(values)} given.")
        out += [sql[last : token.start], exp.convert(_plain(values[n])).sql("duckdb")]
        last = token.start + 1
        n += 1
    if n != len(values):
        raise ConfigError(f"Query has {n} parameters; {len(values)} were given.")
    return "".join([*out, sql[last:]])


def _plain(value: Any) -> Any:
    """A parameter as a Python value sqlglot can render (numpy scalars and arrays unwrapped)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def parse(sql: str, params: Sequence[Any] | None = None) -> exp.Expression:
    """The DuckDB query with its parameters bound, as a sqlglot tree."""
    return cast(exp.Expression, sqlglot.parse_one(bind(sql, params), read="duckdb"))


def tables_of(tree: exp.Expression) -> set[str]:
    """Names of the stored tables (not CTEs) a query reads."""
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


def to_spark(
    sql: str,
    params: Sequence[Any] | None = None,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The DuckDB query ``sql`` with ``params`` bound, in Spark SQL (module doc).

    ``columns`` gives the columns of the tables a ``SELECT * REPLACE`` reads.
    """
    tree = parse(sql, params)
    tree = tree.transform(_struct_order).transform(lambda n: _expand_replace(n, columns or {}))
    return tree.transform(_portable).sql("spark")


def expression(sql: str) -> str:
    """One DuckDB SQL expression (a column definition, a check) in Spark SQL."""
    tree = cast(exp.Expression, sqlglot.parse_one(sql, read="duckdb"))
    return tree.transform(_struct_order).transform(_portable).sql("spark")


def _portable(node: exp.Expression) -> exp.Expression:
    """DuckDB functions Spark lacks, as Spark expressions (module doc)."""
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "isfinite":
        (arg,) = node.expressions
        inf = exp.cast(exp.Literal.string("Infinity"), "DOUBLE")
        not_nan = exp.Not(this=exp.IsNan(this=arg.copy()))
        return exp.Paren(
            this=exp.and_(not_nan, exp.LT(this=exp.Abs(this=arg.copy()), expression=inf))
        )
    if isinstance(node, exp.RegexpFullMatch):
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            anchored = exp.Literal.string(f"^(?:{pattern.this})$")
            return exp.RegexpLike(this=node.this.copy(), expression=anchored)
    return node


def _struct_order(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ArgMax | exp.ArgMin) and isinstance(node.expression, exp.Tuple):
        fields = node.expression.expressions
        node = node.copy()
        node.set("expression", exp.Struct(expressions=[f.copy() for f in fields]))
    return node


def _expand_replace(node: exp.Expression, columns: Mapping[str, Sequence[str]]) -> exp.Expression:
    if not isinstance(node, exp.Select):
        return node
    stars = [s for s in node.expressions if isinstance(s, exp.Star) and s.args.get("replace")]
    if not stars:
        return node
    source = node.args.get("from_") or node.args.get("from")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.name not in columns:
        raise ConfigError(
            "SELECT * REPLACE needs the columns of the table it reads.",
            hint=f"Register the table's columns (known: {', '.join(columns) or 'none'}).",
        )
    replaced = {e.alias_or_name: e for s in stars for e in s.args["replace"]}
    listed: list[exp.Expression] = []
    for col in columns[table.name]:
        listed.append(replaced[col].copy() if col in replaced else exp.column(col))
    node = node.copy()
    node.set("expressions", listed)
    return node
