"""Requests and replies of the explorer: one JSON error shape, parameter checks that name what is
allowed, and the page / JSON / CSV responses every route builds.

Every error, page or JSON, has the shape ``{"error": {"status", "message", "hint", "allowed"}}``
(``allowed``: the accepted values when a parameter takes one of a known list). No request text
reaches DuckDB as SQL: parameters are checked here against known codes and passed as bound values.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from techties.errors import (
    ConfigError,
    NoDataError,
    StoreError,
    TechtiesError,
    UnknownNameError,
    did_you_mean,
)
from techties.results import json_safe

if TYPE_CHECKING:
    import pandas as pd

    from techties.web.state import Explorer

#: the status of each techties error raised while answering a request
STATUS = {UnknownNameError: 400, ConfigError: 400, NoDataError: 404, StoreError: 503}


class WebError(Exception):
    """An answer that is not the page asked for: status, message, fix, allowed values."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        hint: str | None = None,
        allowed: Sequence[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint
        self.allowed = list(allowed) if allowed is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "status": self.status,
                "message": self.message,
                "hint": self.hint,
                "allowed": self.allowed,
            }
        }


def from_techties(exc: TechtiesError) -> WebError:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    return WebError(status, exc.message, hint=exc.hint)


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.endswith(".json") or path.startswith("/api/")


def error_response(request: Request, err: WebError) -> Response:
    if wants_json(request) or request.url.path.endswith(".csv"):
        return JSONResponse(err.to_dict(), status_code=err.status)
    ex: Explorer = request.app.state.explorer
    html = ex.env.get_template("error.html.j2").render(
        **_base(request), title=f"{err.status}: {err.message}", err=err
    )
    return HTMLResponse(html, status_code=err.status)


# -- parameters ----------------------------------------------------------------------------
def choice(request: Request, name: str, allowed: Sequence[str], default: str | None) -> str | None:
    """A parameter that takes one of ``allowed`` (absent or empty: ``default``)."""
    value = request.query_params.get(name, "").strip()
    if not value:
        return default
    if value not in allowed:
        raise WebError(
            400,
            f"{name}={value!r} is not one of the allowed values.",
            hint=did_you_mean(value, allowed) or f"Use one of: {', '.join(allowed)}.",
            allowed=allowed,
        )
    return value


def country(value: str, name: str, *, allow: tuple[str, ...] = ()) -> str:
    """An ISO3 code from a code or an English name; unknown → 400 with the closest names."""
    from techties.countries import country_code

    try:
        return country_code(value, option=name, allow=allow)
    except UnknownNameError as exc:
        raise WebError(400, exc.message, hint=exc.hint) from None


def countries(request: Request, name: str, default: Sequence[str] = ()) -> list[str]:
    """A comma-separated (or repeated) list of countries."""
    raw = [p for v in request.query_params.getlist(name) for p in v.split(",")]
    items = [p.strip() for p in raw if p.strip()]
    return [country(p, name, allow=("WLD",)) for p in items] if items else list(default)


def integer(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query_params.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise WebError(400, f"{name}={text!r} is not a whole number.") from None
    if not lo <= value <= hi:
        raise WebError(400, f"{name}={value} is out of range.", hint=f"Use {lo} to {hi}.")
    return value


def years(request: Request, name: str = "years") -> tuple[int, int] | None:
    """``2024`` or ``2017-2024``."""
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    first, _, last = text.partition("-")
    try:
        lo, hi = int(first), int(last or first)
    except ValueError:
        raise WebError(
            400, f"{name}={text!r} is not a year or a range.", hint="E.g. 2024 or 2017-2024."
        ) from None
    if not (1900 <= lo <= hi <= 2100):
        raise WebError(400, f"{name}={text!r} is not a range of years.", hint="E.g. 2017-2024.")
    return lo, hi


def date(request: Request, name: str, default: dt.date | None) -> dt.date | None:
    text = request.query_params.get(name, "").strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise WebError(400, f"{name}={text!r} is not a date.", hint="Use YYYY-MM-DD.") from None


def code(request: Request, name: str, *, required: bool = True) -> str:
    """A product code: digits, optionally dotted (``8471.50.01``), 2 to 10 digits."""
    text = request.query_params.get(name, "").strip()
    digits = text.replace(".", "")
    if not text and not required:
        return ""
    if not (digits.isdigit() and 2 <= len(digits) <= 10):
        raise WebError(
            400,
            f"{name}={text!r} is not an HS/HTS product code.",
            hint="Use 2 to 10 digits, dots allowed, e.g. 847150 or 8471.50.01.",
        )
    return digits


def text_param(request: Request, name: str, *, max_len: int = 120) -> str:
    text = request.query_params.get(name, "").strip()
    if len(text) > max_len:
        raise WebError(400, f"{name} is longer than {max_len} characters.")
    return text


def computed(ex: Explorer, name: str, q: dict[str, Any], make: Callable[[], Any]) -> Any:
    """``make()`` once per checked query (``name`` and the values of ``q`` as the key). A
    techties error it raises becomes the :class:`WebError` it means and is kept too, so a
    query that cannot be answered is not computed again either."""

    def build() -> Any:
        try:
            return make()
        except TechtiesError as exc:
            return from_techties(exc)
        except WebError as err:
            return err

    out = ex.cached((name, *map(str, q.values())), build)
    if isinstance(out, WebError):
        raise out
    return out


# -- replies -------------------------------------------------------------------------------
def _base(request: Request) -> dict[str, Any]:
    ex: Explorer = request.app.state.explorer
    return {
        "css": ex.css,
        "store_path": ex.path,
        "checked": ex.checked,
        "path": request.url.path,
        "query": request.url.query,
    }


def page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    ex: Explorer = request.app.state.explorer
    html = ex.env.get_template(template).render(**_base(request), **ctx)
    return HTMLResponse(html, status_code=status)


def json_reply(payload: Any, status: int = 200) -> Response:
    body = json.dumps(json_safe(payload), ensure_ascii=False, allow_nan=False)
    return Response(body, status_code=status, media_type="application/json")


def csv_reply(frame: pd.DataFrame, filename: str) -> Response:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def records(frame: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows as plain values (no NaN: missing is None)."""
    rows: list[dict[str, Any]] = json_safe(frame if limit is None else frame.head(limit))
    return rows


def svg(chart: Any) -> str:
    """An Altair chart as inline SVG (the report's renderer; no script on the page)."""
    from techties.charts import to_svg

    return to_svg(chart)


def join(items: Iterable[str]) -> str:
    return ", ".join(items)
