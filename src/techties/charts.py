"""Chart conventions shared by every layer: Altair (Vega-Lite) charts with a title, units and a
source line, rendered offline to SVG/PNG with vl-convert.

Use :func:`finish` on any chart to apply the house style and the source line; :func:`save`
writes ``.png``/``.svg``/``.html`` by extension.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt

WIDTH = 560
HEIGHT = 300
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
PALETTE = ["#c0392b", "#2c7fb8", "#7f8c8d", "#e6a117", "#27ae60", "#8e44ad", "#d35400", "#16a085"]
#: dates of the US Section 301 tariff waves on China (effective dates), for chart markers
TARIFF_WAVES = {
    "301 List 1": "2018-07-06",
    "301 List 2": "2018-08-23",
    "301 List 3": "2018-09-24",
    "List 3 → 25%": "2019-05-10",
    "301 List 4A": "2019-09-01",
    "Phase One": "2020-02-14",
}


def finish(
    chart: Any,
    *,
    title: str,
    subtitle: str | None = None,
    source: str | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Any:
    """Apply title, subtitle (units), source line and the house style."""
    sub = [subtitle] if subtitle else []
    props: dict[str, Any] = {
        "title": alt.TitleParams(
            title, subtitle=sub, anchor="start", fontSize=15, subtitleFontSize=12
        )
    }
    if not isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)):
        props.update(width=width, height=height)
    out = chart.properties(**props)
    if source:
        out = alt.vconcat(out, _source_line(source)).properties(spacing=4)
    return (
        out.configure(font=FONT)
        .configure_axis(labelFontSize=11, titleFontSize=12)
        .configure_legend(labelFontSize=11, titleFontSize=12, orient="bottom")
        .configure_view(strokeWidth=0)
        .configure_range(category=PALETTE)
    )


def _source_line(text: str) -> Any:
    return (
        alt.Chart({"values": [{}]})
        .mark_text(align="left", baseline="top", fontSize=10, color="#555", x=0, y=0)
        .encode(text=alt.value(f"Source: {text}"))
        .properties(width=WIDTH, height=14)
    )


def wave_rules(start: str | None = None, end: str | None = None) -> Any:
    """Vertical dashed rules at the tariff-wave dates, labelled, for time-series charts."""
    rows = [
        {"date": d, "label": k}
        for k, d in TARIFF_WAVES.items()
        if (start is None or d >= start) and (end is None or d <= end)
    ]
    base = alt.Chart(alt.Data(values=rows))
    rules = base.mark_rule(strokeDash=[4, 3], color="#888").encode(x="date:T")
    text = base.mark_text(
        angle=270, align="right", baseline="bottom", dx=-4, fontSize=9, color="#555", y=4
    ).encode(x="date:T", text="label:N")
    return rules + text


def save(chart: Any, path: str | Path, *, scale: float = 2.0) -> Path:
    """Write a chart to .png, .svg, .html or .json (offline)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".png":
        import vl_convert as vlc

        out.write_bytes(vlc.vegalite_to_png(chart.to_dict(), scale=scale))
    elif suffix == ".svg":
        import vl_convert as vlc

        out.write_text(vlc.vegalite_to_svg(chart.to_dict()), "utf-8")
    elif suffix == ".html":
        chart.save(str(out), inline=True)
    else:
        out.write_text(chart.to_json(), "utf-8")
    return out


def to_svg(chart: Any) -> str:
    """SVG text of a chart (embedded in the self-contained HTML report)."""
    return spec_svg(chart.to_dict())


def spec_svg(spec: dict[str, Any]) -> str:
    """SVG text of a Vega-Lite spec (``chart.to_dict()``), rendered by vl-convert."""
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(spec))


def renderer_version() -> str:
    """The vl-convert version that renders SVG (part of a cached chart's key)."""
    import vl_convert as vlc

    return str(getattr(vlc, "__version__", "unknown"))
