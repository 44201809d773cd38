"""Bar charts with matplotlib (Agg, no display), drawn exactly as the domain's ChartSpec
says: bar lengths, value label positions and the reference line are decided there."""

from __future__ import annotations

import io

from bot.domain.model.messages import Attachment, ChartSpec

COLORS = {"met": "#2e7d32", "behind": "#f9a825", "silent": "#c62828", "reported": "#1565c0"}
WIDTH_INCHES = 10
BAR_INCHES = 0.34
# Width of one label character at the labels' 9 pt (DejaVu Sans, with margin: 0.62 em).
LABEL_CHAR_INCHES = 9 / 72 * 0.62
TITLE_LINE_INCHES = 0.24


def prepare() -> None:
    """Load matplotlib and its font list (about 0.7 s, once per process) ahead of a chart."""
    from matplotlib.figure import Figure  # noqa: F401


def render_chart(spec: ChartSpec) -> Attachment:
    # Imported here: matplotlib takes half a second to load, and most commands never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    bars = spec.bars
    label_lines = [bar.label.splitlines() or [""] for bar in bars]
    rows_inches = sum(BAR_INCHES * max(1.0, 0.5 * len(lines)) for lines in label_lines)
    title_inches = TITLE_LINE_INCHES * (spec.title.count("\n") + 1) + 0.25
    bottom_inches = 0.95  # the axis, its label and the legend under it
    height = max(3.2, rows_inches + title_inches + bottom_inches)
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=100)
    FigureCanvasAgg(figure)
    # Fixed margins sized from the labels: tight_layout would draw the figure twice.
    longest = max((len(line) for lines in label_lines for line in lines), default=10)
    figure.subplots_adjust(
        left=min(0.5, (0.25 + longest * LABEL_CHAR_INCHES) / WIDTH_INCHES),
        right=0.97,
        top=1 - title_inches / height,
        bottom=bottom_inches / height,
    )
    axes = figure.add_subplot()
    # A bar whose label wraps onto several lines gets a taller slot, so labels never overlap.
    slots = [max(1.0, 0.5 * len(lines)) for lines in label_lines]
    positions = [sum(slots[:index]) + (slot - 1) / 2 for index, slot in enumerate(slots)]
    axes.barh(
        positions,
        [bar.length for bar in bars],
        color=[COLORS[bar.standing] for bar in bars],
        height=0.7,
    )
    axes.set_yticks(positions, [bar.label for bar in bars], fontsize=9)
    axes.invert_yaxis()  # the first (best) unit on top
    if spec.reference is not None:
        axes.axvline(spec.reference, color="#37474f", linestyle="--", linewidth=1)
    axes.set_xlim(0, spec.x_max)
    for position, bar in zip(positions, bars, strict=True):
        axes.text(bar.label_at, position, bar.value_label, va="center", fontsize=8)
    axes.set_xlabel(spec.axis_label)
    axes.set_title(spec.title, fontsize=11)
    # Under the axis, outside the plot: inside it, it could cover a bar or a value label.
    figure.legend(
        handles=[Patch(color=COLORS[standing], label=label) for standing, label in spec.legend],
        loc="lower center",
        ncol=len(spec.legend),
        fontsize=8,
        frameon=False,
    )
    axes.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return Attachment(spec.filename, buffer.getvalue(), kind="photo")
