"""Solver options shared by the general-equilibrium engines (frozen, slotted, self-validating).

One object carries how a fixed point is iterated — never what is simulated — so the same
options can be passed to every ``solve_*`` function and recorded with its result.

``tol``
    Convergence criterion on excess demand: the largest relative gap between demand for a
    country's output and its output, ``max_i |S_i / Y'_i − 1|``, at which an equilibrium is
    accepted. Solvers raise :class:`~techties.errors.SolverError` when it is not reached.
``max_iter``
    Largest number of fixed-point iterations before giving up (and raising).
``damping``
    Weight ``λ ∈ (0, 1]`` on the new iterate: ``x ← x + λ (G(x) − x)`` (1 = undamped).
``acceleration``
    ``"anderson"`` (type-II Anderson mixing over the last ``memory`` iterates, with a restart
    when a step makes the residual worse) or ``"none"`` (plain damped iteration).
``newton``
    Multi-sector solves started from a nearby solution (``start=``, e.g. Monte Carlo draws from
    the central case) first take Newton steps with that solution's Jacobian (``True``, the
    default; the same equilibrium in fewer iterations) or only the Anderson iteration (``False``).
``reference``
    Normalisation. ``None``: world nominal output is held at its baseline value (world GDP is
    the numeraire). A country index or label: that country's consumer price index is the
    numeraire (the Advanced Guide's "reference importer", e.g. ``"DEU"``). Engines that take a
    ``reference=`` argument let it override this field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from techties.errors import ConfigError, did_you_mean

ACCELERATIONS = ("anderson", "none")


@dataclass(frozen=True, slots=True)
class SolverOptions:
    """How a general-equilibrium fixed point is iterated (see the module docstring)."""

    tol: float = 1e-10
    max_iter: int = 5_000
    damping: float = 1.0
    acceleration: Literal["anderson", "none"] = "anderson"
    memory: int = 5
    reference: int | str | None = None
    newton: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.tol, (int, float)) or not (0 < self.tol < 1):
            raise ConfigError(
                f"SolverOptions.tol must be a number in (0, 1), got {self.tol!r}",
                hint="the default 1e-10 asks for excess demand below 1e-8 % of output",
            )
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, int):
            raise ConfigError(f"SolverOptions.max_iter must be an integer, got {self.max_iter!r}")
        if self.max_iter < 1:
            raise ConfigError(f"SolverOptions.max_iter must be at least 1, got {self.max_iter}")
        if not isinstance(self.damping, (int, float)) or not (0 < self.damping <= 1):
            raise ConfigError(
                f"SolverOptions.damping must be in (0, 1], got {self.damping!r}",
                hint="1 means no damping; try 0.5 when the iteration oscillates",
            )
        if self.acceleration not in ACCELERATIONS:
            raise ConfigError(
                f"SolverOptions.acceleration {self.acceleration!r} is not known. "
                + did_you_mean(str(self.acceleration), ACCELERATIONS)
            )
        if isinstance(self.memory, bool) or not isinstance(self.memory, int) or self.memory < 1:
            raise ConfigError(
                f"SolverOptions.memory must be a positive integer, got {self.memory!r}"
            )
        if not isinstance(self.newton, bool):
            raise ConfigError(f"SolverOptions.newton must be True or False, got {self.newton!r}")
        if self.reference is not None and (
            isinstance(self.reference, bool) or not isinstance(self.reference, (int, str))
        ):
            raise ConfigError(
                f"SolverOptions.reference must be a country index, a country label or None, "
                f"got {self.reference!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-safe) for result records."""
        return asdict(self)
