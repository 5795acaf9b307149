"""The indicator registry: one record per indicator, the single list the CLI (and any other
front end) reads.

An indicator is registered where its function is defined::

    @register_indicator(
        "share",
        help="Partner shares of the reporter's trade by product and period.",
        params_help={"selection": "The trade rows.", "partners": "Partners to show."},
    )
    def partner_shares(store, selection=None, *, partners=None, denominator="world"): ...

The parameters a caller sets are the keys of ``params_help``; their types and defaults come from
the function signature (never written twice), so the record cannot drift from the function.
Parameters left out keep the function's default (they stay available from Python). ``bind``
fixes arguments, so one function can back several indicators (the named science series).
Importing :mod:`techties.indicators` imports the modules that register.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from techties.errors import UnknownNameError, did_you_mean
from techties.indicators.result import IndicatorResult

F = TypeVar("F", bound=Callable[..., Any])

#: name → indicator (filled by :func:`register_indicator` when the modules are imported)
INDICATORS: dict[str, Indicator] = {}


@dataclass(frozen=True)
class Param:
    """One parameter of an indicator: from the signature (type, default) and the help map."""

    name: str
    type: str
    default: Any
    required: bool
    help: str
    #: the option that sets it in a front end (``--base-year``); usually the name with dashes
    option: str

    def to_dict(self) -> dict[str, Any]:
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {
            "name": self.name,
            "option": self.option,
            "type": self.type,
            "default": None if self.required else default,
            "required": self.required,
            "help": self.help,
        }


@dataclass(frozen=True)
class Indicator:
    """A registered indicator: ``indicator(store, **params)`` calls the function."""

    name: str
    func: Callable[..., Any]
    help: str
    params: tuple[Param, ...]
    #: the return annotation, e.g. ``"ShareResult"``
    result_type: str
    bind: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, store: Any, **params: Any) -> Any:
        unknown = sorted(set(params) - {p.name for p in self.params})
        if unknown:
            raise UnknownNameError(
                f"Indicator {self.name!r} has no parameter {unknown[0]!r}.",
                hint=did_you_mean(unknown[0], [p.name for p in self.params]),
            )
        return self.func(store, **self.bind, **params)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise UnknownNameError(
            f"Indicator {self.name!r} has no parameter {name!r}.",
            hint=did_you_mean(name, [p.name for p in self.params]),
        )

    @property
    def result_class(self) -> type | None:
        """The class the function returns (resolved on first use: it may be defined after the
        function), or None when the annotation does not resolve to a class."""
        try:
            hint = typing.get_type_hints(self.func).get("return")
        except (NameError, TypeError):
            return None
        return hint if isinstance(hint, type) else None

    @property
    def has_chart(self) -> bool:
        """Whether the result draws its own chart (its class overrides ``plot``)."""
        cls = self.result_class
        return cls is not None and getattr(cls, "plot", None) is not IndicatorResult.plot

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "help": self.help,
            "function": f"{self.func.__module__}.{self.func.__qualname__}",
            "result": self.result_type,
            "chart": self.has_chart,
            "params": [p.to_dict() for p in self.params],
        }


def _params(
    name: str,
    func: Callable[..., Any],
    params_help: Mapping[str, str],
    bind: Mapping[str, Any],
    options: Mapping[str, str],
) -> tuple[Param, ...]:
    sig = inspect.signature(func)
    usable = {
        p.name: p
        for i, p in enumerate(sig.parameters.values())
        if i > 0  # the store
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY)
        and p.name not in bind
    }
    for declared in (*params_help, *options, *bind):
        if declared not in sig.parameters:
            raise ValueError(
                f"Indicator {name!r}: {func.__qualname__} has no parameter {declared!r}."
            )
    missing = [n for n, p in usable.items() if p.default is p.empty and n not in params_help]
    if missing:
        raise ValueError(
            f"Indicator {name!r}: required parameter {missing[0]!r} needs a help line."
        )
    out = []
    for pname, text in params_help.items():
        p = usable[pname]
        annotation = p.annotation
        out.append(
            Param(
                name=pname,
                type=annotation
                if isinstance(annotation, str)
                else inspect.formatannotation(annotation),
                default=None if p.default is p.empty else p.default,
                required=p.default is p.empty,
                help=text,
                option=options.get(pname, pname.replace("_", "-")),
            )
        )
    return tuple(out)


def register_indicator(
    name: str,
    *,
    help: str,
    params_help: Mapping[str, str] | None = None,
    bind: Mapping[str, Any] | None = None,
    options: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """Decorator registering ``func`` as indicator ``name`` (the function is returned unchanged,
    so the decorator can be stacked or applied again with another ``bind``).

    ``params_help`` maps each parameter a caller sets to a one-line help; ``bind`` fixes
    arguments; ``options`` names the front-end option of a parameter when it is not the
    parameter's name (``{"source": "science-source"}``).
    """

    def decorate(func: F) -> F:
        if name in INDICATORS and INDICATORS[name].func is not func:
            raise ValueError(f"Indicator {name!r} is already registered.")
        ret = inspect.signature(func).return_annotation
        INDICATORS[name] = Indicator(
            name=name,
            func=func,
            help=help,
            params=_params(name, func, params_help or {}, bind or {}, options or {}),
            result_type=""
            if ret is inspect.Signature.empty
            else str(getattr(ret, "__name__", ret)),
            bind=dict(bind or {}),
        )
        return func

    return decorate


def unregister_indicator(name: str) -> None:
    """Remove ``name`` (for tests that register a temporary indicator)."""
    INDICATORS.pop(name, None)


def get_indicator(name: str) -> Indicator:
    """The indicator registered as ``name``."""
    if name not in INDICATORS:
        raise UnknownNameError(f"No indicator named {name!r}.", hint=did_you_mean(name, INDICATORS))
    return INDICATORS[name]


def indicators() -> list[Indicator]:
    """Every registered indicator, sorted by name."""
    return [INDICATORS[n] for n in sorted(INDICATORS)]


#: help lines shared by the trade indicators
SELECTION_HELP = (
    "The trade rows: reporter, flow, source, classification, level, products or group, years, "
    "frequency, mirror."
)
DENOMINATOR_HELP = "world (partner WLD) or partners (sum over the partners in the source)."
