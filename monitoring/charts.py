"""Small inline SVG charts for the admin monitoring page.

Rendered on the server as plain SVG markup: nothing is fetched from the internet and no
JavaScript runs, so the page works on an isolated bank network. Every label is escaped.
Hovering a point or cell shows its exact value (`<title>`).

No Django here: numbers and labels in, markup out.
"""

from collections.abc import Sequence
from html import escape

from .psi import ACT, STABLE, WATCH

WIDTH = 760
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#d62728")
BAND_COLOURS = {STABLE: "#d8ecd3", WATCH: "#f6c667", ACT: "#d9534f"}
NO_DATA_COLOUR = "#eeeeee"


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 11, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _svg(height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _tick_every(n: int, room: int) -> int:
    return max(1, -(-n // room))


def heatmap(
    *,
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    bands: Sequence[Sequence[str | None]],
    column_notes: Sequence[str | None] = (),
    overlay: str = "",
) -> str:
    """Rows (features) by columns (windows); cell colour is the band, hover shows the PSI, or
    the column's note (e.g. "insufficient data: 120 decisions") where there is no value;
    `overlay` is written across the grid (e.g. when no window had enough decisions)."""
    left, top, cell_h = 190, 24, 14
    plot_w = WIDTH - left - 10
    cell_w = plot_w / max(len(columns), 1)
    height = top + cell_h * len(rows) + 40
    body = [_text(0, 14, title, size=13, extra=' font-weight="bold"')]
    for i, row in enumerate(rows):
        y = top + i * cell_h
        body.append(_text(left - 6, y + cell_h - 3, row, anchor="end", size=10))
        for j, column in enumerate(columns):
            value, band = values[i][j], bands[i][j]
            colour = BAND_COLOURS.get(band or "", NO_DATA_COLOUR)
            note = (column_notes[j] if j < len(column_notes) else None) or "no data"
            label = f"{row}, {column}: " + (f"PSI {value:.3f} ({band})" if value is not None else note)
            body.append(
                f'<rect x="{left + j * cell_w:.1f}" y="{y}" width="{max(cell_w - 1, 1):.1f}" height="{cell_h - 1}" '
                f'fill="{colour}"><title>{escape(label)}</title></rect>'
            )
    every = _tick_every(len(columns), 8)
    for j in range(0, len(columns), every):
        body.append(_text(left + j * cell_w, top + cell_h * len(rows) + 14, columns[j], size=10))
    legend_y = height - 8
    for k, (band, colour) in enumerate(BAND_COLOURS.items()):
        body.append(f'<rect x="{left + k * 90}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(left + k * 90 + 14, legend_y, band, size=10))
    if overlay:
        body.append(_overlay(left + plot_w / 2, top + cell_h * len(rows) / 2, overlay))
    return _svg(height, title, body)


def _overlay(x: float, y: float, text: str) -> str:
    return _text(x, y, text, anchor="middle", size=14, extra=' font-weight="bold" fill="#555"')


def line_chart(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    references: Sequence[tuple[float, str]] = (),
    y_min: float = 0.0,
    y_max: float | None = None,
    overlay: str = "",
) -> str:
    """One line per series over categorical x positions; dashed reference lines (bounds);
    `overlay` written across the plot (e.g. "insufficient data: 120 decisions")."""
    left, right, top, plot_h = 50, 130, 24, 170
    plot_w = WIDTH - left - right
    present = [v for _, values in series for v in values if v is not None]
    top_value = max([*present, *(r[0] for r in references), y_min + 1e-9])
    y_max = y_max if y_max is not None else top_value * 1.1
    span = (y_max - y_min) or 1.0

    def x_at(j: int) -> float:
        return left + (plot_w * j / (len(x_labels) - 1) if len(x_labels) > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h * (1 - (min(max(v, y_min), y_max) - y_min) / span)

    body = [
        _text(0, 14, title, size=13, extra=' font-weight="bold"'),
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    for k in range(5):
        v = y_min + span * k / 4
        body.append(_text(left - 4, y_at(v) + 4, f"{v:.2f}", anchor="end", size=10))
    for value, label in references:
        y = y_at(value)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            'stroke="#d9534f" stroke-dasharray="4 3"/>'
        )
        body.append(_text(left + plot_w + 4, y + 4, label, size=10))
    every = _tick_every(len(x_labels), 6)
    for j in range(0, len(x_labels), every):
        body.append(_text(x_at(j), top + plot_h + 14, x_labels[j], anchor="middle", size=10))
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [(x_at(j), y_at(v), v, x_labels[j]) for j, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for x, y, v, label in points:
            tip = escape(f"{name}, {label}: {v:.3f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{tip}</title></circle>')
        # Legend under the axis, five to a row; the right margin is for the reference labels.
        legend_x = left + (k % 5) * 130
        legend_y = top + plot_h + 32 + 14 * (k // 5)
        body.append(f'<rect x="{legend_x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(legend_x + 14, legend_y, name, size=10))
    if overlay:
        body.append(_overlay(left + plot_w / 2, top + plot_h / 2, overlay))
    return _svg(top + plot_h + 40 + 14 * ((len(series) - 1) // 5), title, body)


def paired_bars(
    *, title: str, labels: Sequence[str], first: Sequence[float], second: Sequence[float], names: tuple[str, str]
) -> str:
    """Two shares per bin side by side (baseline and current distribution)."""
    left, top, plot_h = 50, 24, 170
    plot_w = WIDTH - left - 10
    top_value = max([*first, *second, 1e-9]) * 1.1
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.38
    colours = (PALETTE[7], PALETTE[0])
    body = [
        _text(0, 14, title, size=13, extra=' font-weight="bold"'),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
    ]
    for k in range(5):
        v = top_value * k / 4
        y = top + plot_h * (1 - v / top_value)
        body.append(_text(left - 4, y + 4, f"{v:.0%}", anchor="end", size=10))
    for i, label in enumerate(labels):
        for k, shares in enumerate((first, second)):
            h = plot_h * shares[i] / top_value
            x = left + i * slot + slot * 0.1 + k * bar
            tip = escape(f"{names[k]}, {label}: {shares[i]:.1%}")
            body.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colours[k]}">'
                f"<title>{tip}</title></rect>"
            )
        # Long interval labels would overlap: number the bins, the tooltip has the interval.
        short = label if len(label) <= 8 else f"bin {i + 1}"
        body.append(_text(left + i * slot + slot / 2, top + plot_h + 14, short, anchor="middle", size=9))
    for k, name in enumerate(names):
        body.append(f'<rect x="{left + 10 + k * 120}" y="{top + 2}" width="10" height="10" fill="{colours[k]}"/>')
        body.append(_text(left + 24 + k * 120, top + 11, name, size=10))
    return _svg(top + plot_h + 24, title, body)


def count_heatmap(*, title: str, labels: Sequence[str], counts: Sequence[Sequence[int]], axes: tuple[str, str]) -> str:
    """A square of counts: rows are the first axis' bins, columns the second's; darker is more.
    Hover shows the count (the binned form of a scatter plot of two scores)."""
    left, top, cell = 120, 40, 30
    n = len(labels)
    largest = max([max(row, default=0) for row in counts] + [1])
    body = [
        _text(0, 14, title, size=13, extra=' font-weight="bold"'),
        _text(left, top - 8, f"{axes[1]} score bin →", size=10),
    ]
    for i, row_label in enumerate(labels):
        y = top + i * cell
        body.append(_text(left - 6, y + cell / 2 + 4, f"{axes[0]} {i + 1}", anchor="end", size=10))
        for j, column_label in enumerate(labels):
            count = counts[i][j]
            shade = 1 - 0.85 * (count / largest) ** 0.5
            colour = f"rgb({int(255 * shade)},{int(255 * shade)},255)" if count else NO_DATA_COLOUR
            tip = escape(f"{axes[0]} {row_label}, {axes[1]} {column_label}: {count:,} decisions")
            body.append(
                f'<rect x="{left + j * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{colour}">'
                f"<title>{tip}</title></rect>"
            )
    for j in range(n):
        body.append(_text(left + j * cell + cell / 2, top + n * cell + 12, str(j + 1), anchor="middle", size=9))
    return _svg(top + n * cell + 24, title, body)
