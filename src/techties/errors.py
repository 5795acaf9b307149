"""The techties exception and warning tree.

Every error a user can cause is a :class:`TechtiesError`; each subclass also derives from the
matching builtin so ``except ValueError`` keeps working::

    TechtiesError(Exception)
    ├── ConfigError(TechtiesError, ValueError)          bad setting / option value
    ├── UnknownNameError(TechtiesError, KeyError)       unknown source, table, claim, country…
    ├── SourceError(TechtiesError)
    │   ├── SourceFormatError(SourceError, ValueError)  malformed input file (file/row/column)
    │   │   ├── UnknownCodeError                        codes that do not map (counts, nearest)
    │   │   ├── InvalidValueError                       values a canonical table refuses (counts)
    │   │   └── DuplicateKeyError                       rows repeating a table's key (counts)
    │   └── FetchError(SourceError, OSError)            official endpoint failed
    ├── StoreError(TechtiesError)
    │   ├── MigrationError(StoreError, RuntimeError)
    │   └── ReadOnlyQueryError(StoreError, ValueError)
    ├── NoDataError(TechtiesError, LookupError)         store lacks what a computation needs
    ├── ModelError(TechtiesError, ValueError)           bad formula / collinearity / separation
    │   └── SimulationInputError(ModelError, ConfigError)  unusable solver input, with the fix
    └── SolverError(TechtiesError, RuntimeError)        equilibrium not reached

    TechtiesWarning(UserWarning)
    ├── DataWarning           data problems with counts (dropped rows, unknown codes)
    └── SeparationWarning     observations removed because of separation
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class TechtiesError(Exception):
    """Root of every techties error. ``hint`` is a one-line suggested fix."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nhint: {self.hint}"


class ConfigError(TechtiesError, ValueError):
    """A setting or option has an invalid value."""


class UnknownNameError(TechtiesError, KeyError):
    """A name (source, table, claim, country, sector …) is not known."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return TechtiesError.__str__(self)


class SourceError(TechtiesError):
    """Problem with a source file or endpoint."""


class SourceFormatError(SourceError, ValueError):
    """An input file does not match the official layout.

    Carries the file, the 1-based data row (if known), the column (if known) and what was
    expected, so the message can say exactly where to look.
    """

    def __init__(
        self,
        path: object,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        self.expected = expected
        where = [f"file {self.path}"]
        if row is not None:
            where.append(f"row {row:,}")
        if column is not None:
            where.append(f"column {column!r}")
        msg = f"{problem} ({', '.join(where)})"
        if expected:
            msg += f"; expected {expected}"
        super().__init__(msg, hint=hint)


class UnknownCodeError(SourceFormatError):
    """Codes in a file that do not map to the canonical scheme; ``counts`` maps code → rows.

    ``nearest`` maps an unknown code to the closest known codes (for "did you mean").
    """

    def __init__(
        self,
        path: object,
        column: str,
        counts: dict[str, int],
        *,
        first_row: int | None = None,
        expected: str = "a known code",
        hint: str | None = None,
        nearest: dict[str, list[str]] | None = None,
    ) -> None:
        self.counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        self.nearest = {k: list(v) for k, v in (nearest or {}).items() if v}
        shown = ", ".join(f"{k!r} ({v:,} rows)" for k, v in list(self.counts.items())[:10])
        more = "" if len(self.counts) <= 10 else f" and {len(self.counts) - 10} more"
        close = "; ".join(
            f"{k!r}: {', '.join(v)}" for k, v in list(self.nearest.items())[:5] if k in self.counts
        )
        super().__init__(
            path,
            f"{len(self.counts)} unknown code(s) {shown}{more}"
            + (f" (nearest known codes: {close})" if close else ""),
            row=first_row,
            column=column,
            expected=expected,
            hint=hint,
        )


class InvalidValueError(SourceFormatError):
    """Values a canonical table refuses (not finite, negative, out of range, a broken cross-column
    rule), with how many rows break the rule and the first of them.

    ``count`` rows break ``check``; ``value`` is the first offending value; ``row`` is its file row
    when the reader keeps file rows, else None and ``table_row`` (1-based) says where it is.
    """

    def __init__(
        self,
        path: object,
        problem: str,
        *,
        check: str,
        count: int,
        value: object,
        row: int | None,
        table_row: int,
        column: str | None,
        expected: str,
        hint: str | None = None,
    ) -> None:
        self.check, self.count, self.value, self.table_row = check, count, value, table_row
        super().__init__(path, problem, row=row, column=column, expected=expected, hint=hint)


class DuplicateKeyError(SourceFormatError):
    """Rows that repeat a canonical table's key (they would double totals).

    ``count`` rows repeat an earlier row's key; ``key`` is the first repeated key (column →
    value) and ``rows`` the rows holding it (file rows when the reader keeps them).
    """

    def __init__(
        self,
        path: object,
        problem: str,
        *,
        count: int,
        key: dict[str, object],
        rows: list[int],
        row: int | None,
        expected: str,
        hint: str | None = None,
    ) -> None:
        self.count, self.key, self.rows = count, dict(key), list(rows)
        super().__init__(
            path, problem, row=row, column=", ".join(key), expected=expected, hint=hint
        )


class FetchError(SourceError, OSError):
    """Downloading from an official endpoint failed."""


class StoreError(TechtiesError):
    """Problem with the DuckDB store."""


class MigrationError(StoreError, RuntimeError):
    """Schema migrations could not be applied."""


class ReadOnlyQueryError(StoreError, ValueError):
    """A query given to ``techties sql`` tried to change the store or was invalid."""


class NoDataError(TechtiesError, LookupError):
    """The store does not hold the data a computation needs."""


class ModelError(TechtiesError, ValueError):
    """An estimation request is invalid (unknown variable, collinearity, empty groups…)."""


class SimulationInputError(ModelError, ConfigError):
    """A solver's input is unusable (shape, empty, non-numeric, non-finite, negative, a baseline
    that does not add up); the message names the array and the first bad cell, the hint the fix.
    Also a :class:`ModelError` and a :class:`ConfigError`, which callers caught before."""


class SolverError(TechtiesError, RuntimeError):
    """A simulation did not reach an equilibrium within tolerance."""


class TaskFailedError(TechtiesError, RuntimeError):
    """Tasks of a parallel job failed; ``failures`` maps each failed key (a product, a draw) to
    its error, ``results`` holds what the other tasks returned (nothing is lost)."""

    def __init__(
        self,
        message: str,
        *,
        failures: dict[Any, str],
        results: dict[Any, Any],
        hint: str | None = None,
    ) -> None:
        self.failures, self.results = dict(failures), dict(results)
        super().__init__(message, hint=hint)


class TechtiesWarning(UserWarning):
    """Root of techties warnings."""


class DataWarning(TechtiesWarning):
    """A data problem that did not stop the computation (always with counts)."""


class SeparationWarning(DataWarning):
    """Observations were removed because of separation in a PPML fit."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"Available: a, b, c. Did you mean 'b'?"`` for error messages."""
    options = sorted(choices)
    close = difflib.get_close_matches(name, options, n=1)
    text = f"Available: {', '.join(options)}."
    if close:
        text += f" Did you mean {close[0]!r}?"
    return text
