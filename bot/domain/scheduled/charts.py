"""Charts as data: which bars, how long, and where each value label goes.

The renderer draws exactly this, so a test can check the geometry (a label never crosses the
100% line) without decoding pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import wording
from bot.domain.model.entities import Unit
from bot.domain.model.messages import Bar, ChartSpec

# Bars longer than this share of the quota are drawn at this length (and labelled exactly),
# so one unit at 900% does not squash everyone else against the axis.
CAP_PERCENT = 150.0
# A unit with no report still gets a sliver of its colour (a share of the axis).
STUB_SHARE = 0.012
# Space between a bar (or the 100% line) and its value label, as a share of the axis.
GAP_SHARE = 0.015
# Room right of the farthest label start for the label's own text, as a share of the axis.
LABEL_ROOM_SHARE = 0.3


@dataclass(frozen=True)
class ChartRow:
    unit: Unit
    total: int
    quota: int
    # "met", "behind", "silent" or "reported".
    standing: str


def share_chart(filename: str, title: str, rows: Sequence[ChartRow]) -> ChartSpec:
    """Each unit's share of its quota, with the 100% line."""
    reference = 100.0
    shares = [row.total * 100 / row.quota for row in rows]
    widest = max([reference, *(min(share, CAP_PERCENT) for share in shares)])
    lengths = [
        widest * STUB_SHARE if row.standing == "silent" else min(share, CAP_PERCENT)
        for row, share in zip(rows, shares, strict=True)
    ]
    values = [wording.chart_share_value(row.total, row.quota) for row in rows]
    return _chart(filename, title, rows, lengths, values, widest, reference, share=True)


def count_chart(filename: str, title: str, rows: Sequence[ChartRow]) -> ChartSpec:
    """Entries per unit, for units without quotas of their own (a ward's party cells)."""
    widest = float(max([1, *(row.total for row in rows)]))
    lengths = [float(row.total) if row.total > 0 else widest * STUB_SHARE for row in rows]
    values = [
        wording.chart_count_value(row.total, reported=row.standing != "silent") for row in rows
    ]
    return _chart(filename, title, rows, lengths, values, widest, None, share=False)


def _chart(
    filename: str,
    title: str,
    rows: Sequence[ChartRow],
    lengths: Sequence[float],
    values: Sequence[str],
    widest: float,
    reference: float | None,
    *,
    share: bool,
) -> ChartSpec:
    """The bars, each value label right of its bar and of the reference line (so the two
    never cross), and the axis wide enough for the farthest label."""
    gap = widest * GAP_SHARE
    bars = tuple(
        Bar(
            label=wording.chart_label(row.unit),
            total=row.total,
            quota=row.quota,
            standing=row.standing,
            length=length,
            value_label=value,
            label_at=max(length, reference or 0.0) + gap,
        )
        for row, length, value in zip(rows, lengths, values, strict=True)
    )
    farthest = max((bar.label_at for bar in bars), default=widest)
    return ChartSpec(
        filename=filename,
        title=title,
        bars=bars,
        axis_label=wording.CHART_AXIS if share else wording.CHART_COUNT_AXIS,
        legend=wording.CHART_SHARE_LEGEND if share else wording.CHART_COUNT_LEGEND,
        reference=reference,
        x_max=farthest + widest * LABEL_ROOM_SHARE,
    )
