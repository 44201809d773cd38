"""Spreadsheet titles, columns, sheet names and the export's answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.model.entities import (
    Campaign,
    Unit,
)
from bot.domain.model.messages import Column
from bot.domain.model.weeks import Month, Week

if TYPE_CHECKING:
    pass
from bot.domain.wording.common import (
    day_month,
    full_date,
    month_label,
    week_label,
    weeks_with_dates,
)

# --- spreadsheets

EXPORT_USAGE = (
    "Cách dùng: /xuat — toàn bộ cuộc thi; /xuat tuan — tuần này; /xuat tuantruoc — tuần "
    "trước; /xuat tuan 37 — tuần 37; /xuat thang — tháng này; /xuat thang 9 — tháng 9."
)
EXPORT_NOTHING_YET = "Chưa có tuần nào của cuộc thi trong khoảng thời gian này."
EXPORT_FILE_WHOLE = "quizbot-toan-bo.xlsx"
EXPORT_SHEET_WHOLE = "Toàn bộ cuộc thi"
EXPORT_TOTAL_ROW = "Tổng cộng"


def export_file_week(week: Week) -> str:
    return f"quizbot-tuan-{week.iso}.xlsx"


def export_sheet_week(week: Week) -> str:
    return f"Tuần {week.number}"


def export_file_month(month: Month) -> str:
    return f"quizbot-thang-{month.iso}.xlsx"


def export_sheet_month(month: Month) -> str:
    # A sheet's name may not hold «/» (Excel refuses it); the title above the table does.
    return f"Tháng {month.month}-{month.year}"


def month_span(month: Month, weeks: Sequence[Week]) -> str:
    """`tháng 9/2024, tuần 36–39 (02/09–29/09/2024)`, the period above a month's table."""
    return f"{month_label(month)}, {weeks_with_dates(weeks)}" if weeks else month_label(month)


def table_title_lines(
    campaign: Campaign, scope: Unit | None, span: str, as_of: datetime | None, tz: ZoneInfo
) -> tuple[str, ...]:
    """Above a spreadsheet: what, of whom, and as of when (plain text: it goes in a cell)."""
    whom = f"{scope.name} ({scope.code}) và các đơn vị trực thuộc" if scope else "Tất cả đơn vị"
    lines = [campaign.name, f"Phạm vi: {whom} — {span}"]
    if as_of is not None:
        local = as_of.astimezone(tz)
        lines.append(f"Số liệu tính đến {local:%H:%M} ngày {local:%d/%m/%Y}.")
    return tuple(lines)


def week_column(week: Week) -> str:
    return f"Tuần {week.number} ({day_month(week.start)}–{day_month(week.end)})"


def export_columns(weeks: Sequence[Week], *, with_totals: bool) -> tuple[Column, ...]:
    totals = (Column("Tổng", "int", 10), Column("Chỉ tiêu cả kỳ", "int", 14))
    return (
        Column("Mã", "text", 9),
        Column("Đơn vị", "text", 48),
        Column("Cấp trên", "text", 9),
        Column("Chỉ tiêu/tuần", "int", 13),
        *(Column(week_column(week), "int", 16) for week in weeks),
        *(totals if with_totals else ()),
        Column("Tỷ lệ", "percent", 9),
        Column("Tình trạng", "text", 14),
    )


def export_status(quota: int, total: int, reported: bool) -> str:
    """A unit's standing over the exported period (the quota is the period's)."""
    if quota > 0 and total >= quota:
        return "Đạt"
    if not reported:
        return "Chưa báo cáo"
    return "Chưa đạt" if quota > 0 else "Không giao chỉ tiêu"


def export_ready(weeks: Sequence[Week], month: Month | None = None) -> str:
    if month is not None:
        span = month_span(month, weeks)
    elif len(weeks) == 1:
        span = week_label(weeks[0], mid_sentence=True)
    else:
        span = (
            f"từ tuần {weeks[0].number} đến tuần {weeks[-1].number} "
            f"({full_date(weeks[0].start)}–{full_date(weeks[-1].end)})"
        )
    return f"📎 Bảng số liệu {span}: mỗi đơn vị một dòng, mỗi tuần một cột, kèm tổng và tỷ lệ."
