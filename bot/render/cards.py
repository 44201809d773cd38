"""Invitation cards: a PNG to print or forward, with the QR code of the invitation's link
(segno draws the code; matplotlib, already used for charts, lays out the card)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import segno

CARD_INCHES = (5.8, 8.3)  # A6, portrait
DPI = 150
WRAP = 54


def render_card(title: str, code_line: str, target: str, steps: Sequence[str]) -> bytes:
    """A card: the title (the unit), the QR code of `target` (the Telegram link, or the
    code itself without one), the code in large letters, then the steps."""
    # Imported here: matplotlib takes half a second to load.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # The medium level of error correction survives a crease or a smudge on a printed card.
    matrix = [list(row) for row in segno.make(target, error="m", micro=False).matrix]
    quiet = 4  # the blank border a reader needs around a QR code, in modules
    size = len(matrix) + 2 * quiet
    pixels = [[1.0] * size for _ in range(size)]
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            pixels[y + quiet][x + quiet] = 0.0 if dark else 1.0

    figure = Figure(figsize=CARD_INCHES, dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    heading = "\n".join(line for part in title.splitlines() for line in textwrap.wrap(part, 34))
    figure.text(0.5, 0.96, heading, ha="center", va="top", fontsize=14, fontweight="bold")
    image = figure.add_axes((0.2, 0.42, 0.6, 0.6 * CARD_INCHES[0] / CARD_INCHES[1]))
    image.imshow(pixels, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    image.set_axis_off()
    figure.text(0.5, 0.385, code_line, ha="center", va="top", fontsize=17, family="monospace")
    wrapped: list[str] = []
    for step in steps:
        wrapped.extend(textwrap.wrap(step, WRAP, subsequent_indent="   ") or [""])
    figure.text(0.07, 0.32, "\n".join(wrapped), ha="left", va="top", fontsize=9.5, linespacing=1.5)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()
