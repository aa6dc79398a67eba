"""Charts of the dashboards as SVG written on the server: no JavaScript, no library, nothing from elsewhere.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>`` (the dataset's
summary), ``aria-labelledby`` both; the page puts the same figures in a table next to it. Colours are
presentation attributes (the CSP allows no inline styles) with WCAG AA contrast on white: bars in the
theme's blue, the rest of a budget in light grey with a dark outline, texts in the theme's text colour.
Every text is escaped (``format_html``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from kmop.backoffice.dashboards import Dataset, Plot, format_value

BAR = "#0055cc"
REST = "#f3f3f2"
OUTLINE = "#545454"
TEXT = "#333332"
AXIS = "#b1b4b6"
WIDTH = 720
FONT = 'font-family="system-ui, sans-serif"'

#: horizontal bars: room for the label, the bar, the value
LABEL_WIDTH = 230
VALUE_WIDTH = 150
ROW_HEIGHT = 28
BAR_HEIGHT = 18
#: labels longer than this are shortened in the chart (the table has them in full)
LABEL_CHARS = 32

#: vertical columns
PLOT_HEIGHT = 180
TOP = 24
BOTTOM = 40


def _f(number: float) -> str:
    return f"{number:.1f}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _number(value: Any) -> Decimal:
    return Decimal(value or 0)


def _scale(values: list[Decimal], room: float) -> float:
    top = max(values, default=Decimal(0))
    return room / float(top) if top > 0 else 0.0


def render(dataset: Dataset, plot: Plot, chart_id: str) -> SafeString:
    """The SVG of one plot of a dataset."""
    if plot.vertical:
        return _columns(dataset, plot, chart_id)
    return _bars(dataset, plot, chart_id)


def _open(chart_id: str, title: str, description: str, height: int) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" id="{id}" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" {font} font-size="13">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        id=chart_id,
        w=WIDTH,
        h=height,
        font=mark_safe(FONT),  # noqa: S308  (a constant)
        title=title,
        desc=description,
    )


def _bars(dataset: Dataset, plot: Plot, chart_id: str) -> SafeString:
    kind = dataset.columns[plot.column].kind
    rows = dataset.rows
    values = [_number(row[plot.column]) for row in rows]
    whole = [_number(row[plot.of_column]) for row in rows] if plot.of_column is not None else None
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = _scale(whole if whole is not None else values, room)
    height = max(1, len(rows)) * ROW_HEIGHT + 8
    parts = [_open(chart_id, plot.title, dataset.description, height)]
    for i, row in enumerate(rows):
        y = 4 + i * ROW_HEIGHT
        label = str(row[0])
        value = values[i]
        parts.append(
            format_html(
                '<g><title>{full}: {value}</title><text x="{x}" y="{ty}" text-anchor="end" fill="{text}">'
                "{label}</text>",
                full=label,
                value=format_value(row[plot.column], kind),
                x=LABEL_WIDTH - 8,
                ty=y + 14,
                text=TEXT,
                label=_short(label),
            )
        )
        if whole is not None:
            parts.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{rest}" stroke="{line}"/>',
                    x=LABEL_WIDTH,
                    y=y,
                    w=_f(float(whole[i]) * scale),
                    h=BAR_HEIGHT,
                    rest=REST,
                    line=OUTLINE,
                )
            )
        shown = format_value(row[plot.column], kind)
        if whole is not None and whole[i] > 0:
            shown += f" / {format_value(row[plot.of_column], kind)}"  # type: ignore[index]
        end = LABEL_WIDTH + max(float(value) * scale, float(whole[i]) * scale if whole else 0.0)
        parts.append(
            format_html(
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{bar}"/>'
                '<text x="{tx}" y="{ty}" fill="{text}">{shown}</text></g>',
                x=LABEL_WIDTH,
                y=y,
                w=_f(float(value) * scale),
                h=BAR_HEIGHT,
                bar=BAR,
                tx=_f(end + 6),
                ty=y + 14,
                text=TEXT,
                shown=shown,
            )
        )
    parts.append(
        format_html(
            '<line x1="{x}" y1="0" x2="{x}" y2="{h}" stroke="{axis}"/></svg>',
            x=LABEL_WIDTH,
            h=height,
            axis=AXIS,
        )
    )
    return SafeString("".join(parts))


def _columns(dataset: Dataset, plot: Plot, chart_id: str) -> SafeString:
    kind = dataset.columns[plot.column].kind
    rows = dataset.rows
    values = [_number(row[plot.column]) for row in rows]
    scale = _scale(values, PLOT_HEIGHT)
    height = TOP + PLOT_HEIGHT + BOTTOM
    slot = (WIDTH - 20) / max(1, len(rows))
    base = TOP + PLOT_HEIGHT
    parts = [_open(chart_id, plot.title, dataset.description, height)]
    for i, row in enumerate(rows):
        h = float(values[i]) * scale
        x = 10 + i * slot
        label = str(row[0])
        parts.append(
            format_html(
                "<g><title>{label}: {value}</title>"
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{bar}"/>'
                '<text x="{cx}" y="{vy}" text-anchor="middle" font-size="11" fill="{text}">{short}</text>'
                '<text x="{cx}" y="{ly}" text-anchor="middle" fill="{text}">{abbr}</text></g>',
                label=label,
                value=format_value(row[plot.column], kind),
                x=_f(x + slot * 0.15),
                y=_f(base - h),
                w=_f(slot * 0.7),
                h=_f(h),
                bar=BAR,
                cx=_f(x + slot / 2),
                vy=_f(base - h - 6),
                text=TEXT,
                short=_compact(values[i]),
                ly=base + 18,
                abbr=label[:3],
            )
        )
    parts.append(
        format_html(
            '<line x1="10" y1="{y}" x2="{x2}" y2="{y}" stroke="{axis}"/></svg>',
            y=base,
            x2=WIDTH - 10,
            axis=AXIS,
        )
    )
    return SafeString("".join(parts))


def _compact(value: Decimal) -> str:
    """A short figure above a column: 950, 12,3 k, 4,5 M (the table has the exact one)."""
    number = float(value)
    if abs(number) >= 1_000_000:
        return f"{number / 1_000_000:.1f} M".replace(".", ",")
    if abs(number) >= 10_000:
        return f"{number / 1000:.0f} k"
    if abs(number) >= 1000:
        return f"{number / 1000:.1f} k".replace(".", ",")
    return f"{number:.0f}"


def render_all(dataset: Dataset) -> list[SafeString]:
    return [render(dataset, plot, f"chart-{dataset.key}-{n}") for n, plot in enumerate(dataset.plots)]
