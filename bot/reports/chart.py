"""Bar charts with matplotlib (Agg, no display): each unit's share of its weekly quota."""

from __future__ import annotations

import io

from bot.domain import texts
from bot.domain.messages import Attachment, ChartSpec

# Bars longer than this share of the quota are drawn at this length (and labelled exactly),
# so one unit at 900% does not squash everyone else against the axis.
CAP_PERCENT = 150
COLORS = {"met": "#2e7d32", "behind": "#f9a825", "silent": "#c62828"}
SILENT_STUB = 1.5
WIDTH_INCHES = 10
BAR_INCHES = 0.32
# Width of one label character at the labels' 9 pt (DejaVu Sans, with margin: 0.62 em).
LABEL_CHAR_INCHES = 9 / 72 * 0.62


def prepare() -> None:
    """Load matplotlib and its font list (about 0.7 s, once per process) ahead of a chart."""
    from matplotlib.figure import Figure  # noqa: F401


def render_chart(spec: ChartSpec) -> Attachment:
    # Imported here: matplotlib takes half a second to load, and most commands never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    bars = spec.bars
    height = max(3.2, 1.3 + BAR_INCHES * len(bars))
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=100)
    FigureCanvasAgg(figure)
    # Fixed margins sized from the labels: tight_layout would draw the figure twice.
    longest = max((len(bar.label) for bar in bars), default=10)
    figure.subplots_adjust(
        left=min(0.55, (0.25 + longest * LABEL_CHAR_INCHES) / WIDTH_INCHES),
        right=0.97,
        top=1 - 0.75 / height,
        bottom=0.55 / height,
    )
    axes = figure.add_subplot()
    shares = [bar.total * 100 / bar.quota for bar in bars]
    # A unit with no report still gets a sliver of red, or its colour would not show at all.
    lengths = [
        SILENT_STUB if bar.standing == "silent" else min(share, CAP_PERCENT)
        for bar, share in zip(bars, shares, strict=True)
    ]
    positions = list(range(len(bars)))
    axes.barh(positions, lengths, color=[COLORS[bar.standing] for bar in bars], height=0.7)
    axes.set_yticks(positions, [bar.label for bar in bars], fontsize=9)
    axes.invert_yaxis()  # the first (best) unit on top
    axes.axvline(100, color="#37474f", linestyle="--", linewidth=1)
    axes.set_xlim(0, max(115.0, *(length * 1.2 for length in lengths)) if lengths else 115.0)
    for position, (bar, length, share) in enumerate(zip(bars, lengths, shares, strict=True)):
        label = f"{texts.number(bar.total)}/{texts.number(bar.quota)} ({int(share)}%)"
        axes.text(length + 1, position, label, va="center", fontsize=8)
    axes.set_xlabel(spec.axis_label)
    axes.set_title(spec.title, fontsize=11)
    axes.legend(
        handles=[
            Patch(color=COLORS[standing], label=label)
            for standing, label in zip(("met", "behind", "silent"), spec.legend, strict=True)
        ],
        loc="lower right",
        fontsize=8,
    )
    axes.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return Attachment(spec.filename, buffer.getvalue(), kind="photo")
