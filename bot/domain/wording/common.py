"""What every audience's wording shares: numbers, dates, weeks, unit names, progress."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.model.entities import (
    BudgetUsage,
    Person,
    Unit,
    UnitKind,
    UnitWeekTotal,
)
from bot.domain.model.jobnames import ANNOUNCEMENT_RUN, JobName
from bot.domain.model.progress import Place, Progress, Standing, places, whole_percent
from bot.domain.model.weeks import Month, Week

if TYPE_CHECKING:
    pass


WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def number(value: int) -> str:
    """Vietnamese digit grouping: 1200 -> '1.200'."""
    return f"{value:,}".replace(",", ".")


def signed(value: int) -> str:
    return f"+{number(value)}" if value >= 0 else f"−{number(-value)}"


def day_month(day: date) -> str:
    return day.strftime("%d/%m")


def full_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def moment(value: datetime, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    return f"{local:%H:%M} {WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y}"


def week_label(week: Week, *, mid_sentence: bool = False) -> str:
    """'Tuần 37 (09/09–15/09/2024)'; inside a sentence 'tuần 37 (…)'."""
    if week.start.year == week.end.year:
        span = f"{day_month(week.start)}–{full_date(week.end)}"
    else:
        span = f"{full_date(week.start)}–{full_date(week.end)}"
    return f"{'tuần' if mid_sentence else 'Tuần'} {week.number} ({span})"


def unit_name(unit: Unit) -> str:
    return f"<b>{esc(unit.name)}</b> ({esc(unit.code)})"


def person_name(person: Person) -> str:
    name = person.display_name.strip() or "Người dùng"
    return f"<b>{esc(name)}</b> (ID {esc(person.user_id)})"


# --- progress


def progress_lines(
    week: Week, progress: Progress, metric: str, *, covered: bool = False
) -> list[str]:
    """`covered`: the unit has no quota of its own but counts toward one above it."""
    if not progress.has_quota:
        return [
            f"{week_label(week)}: <b>{number(progress.total)}</b> {esc(metric)}.",
            "Đơn vị không được giao chỉ tiêu riêng."
            if covered
            else "Đơn vị không được giao chỉ tiêu tuần.",
        ]
    lines = [
        f"{week_label(week)}: <b>{number(progress.total)}/{number(progress.quota)}</b> "
        f"{esc(metric)} ({progress.percent}%)."
    ]
    if progress.met:
        extra = f", vượt {number(progress.surplus)} lượt" if progress.surplus else ""
        lines.append(f"🎉 Đã đạt chỉ tiêu tuần{extra}.")
    elif progress.days_left == 0:
        lines.append(
            f"Tuần đã kết thúc, còn thiếu {number(progress.remaining)} lượt so với chỉ tiêu."
        )
    elif progress.days_left == 1:
        lines.append(
            f"Còn thiếu {number(progress.remaining)} lượt; hôm nay là ngày cuối cùng của tuần "
            "(hạn hết Chủ nhật)."
        )
    else:
        lines.append(
            f"Còn thiếu {number(progress.remaining)} lượt, cần khoảng "
            f"{number(progress.per_day_needed)} lượt mỗi ngày trong {progress.days_left} ngày "
            "còn lại (đến hết Chủ nhật)."
        )
    return lines


def standing_mark(row: UnitWeekTotal) -> str:
    if not row.reported:
        return " — ❌ chưa báo cáo"
    if row.unit.weekly_quota > 0 and row.total >= row.unit.weekly_quota:
        return " ✅"
    return ""


def place_sentence(rank: Place) -> str:
    among = f"trong các {rank.noun} của quận"
    if rank.place is None:
        return f"Đơn vị chưa báo cáo nên chưa được xếp hạng {among}."
    if rank.tied:
        return f"Đơn vị đang đồng hạng {rank.place}/{rank.out_of} {among}."
    return f"Đơn vị đang xếp thứ {rank.place}/{rank.out_of} {among}."


def standing_line(
    rank: int | None, row: UnitWeekTotal, *, highlight: bool = False, quota_said: bool = False
) -> str:
    """One unit of a leaderboard; a unit that has not reported has no place (`rank` None).
    `quota_said`: the list's heading already says these units have no quota of their own."""
    quota = row.unit.weekly_quota
    pointer = "▶ " if highlight else ""
    unit = f"{esc(row.unit.name)} ({esc(row.unit.code)})"
    if rank is None:
        return f"– {pointer}{unit} — ❌ chưa báo cáo: chưa xếp hạng"
    if quota > 0:
        figures = f"{number(row.total)}/{number(quota)} ({whole_percent(row.total, quota)}%)"
    elif quota_said:
        figures = f"{number(row.total)} lượt"
    else:
        figures = f"{number(row.total)} (không giao chỉ tiêu)"
    return f"{rank}. {pointer}{unit} — {figures}{standing_mark(row)}"


def standing_lines_ranked(
    rows: Sequence[UnitWeekTotal], *, highlight: str | None = None
) -> list[str]:
    """A leaderboard: places shared by equal figures (1, 2, 2, 4), the silent ones unplaced;
    where none of the units has a quota, that is said once in a closing line."""
    quota_said = bool(rows) and all(row.unit.weekly_quota == 0 for row in rows)
    lines = [
        standing_line(place, row, highlight=row.unit.code == highlight, quota_said=quota_said)
        for place, row in places(rows)
    ]
    if quota_said:
        lines.append("<i>(Các đơn vị này không được giao chỉ tiêu riêng.)</i>")
    return lines


def cutoff_phrase(late_grace: timedelta) -> str:
    """When last week locks, e.g. '12:00 thứ Hai' for 12 hours after Sunday 24:00."""
    after_sunday = timedelta(days=7) + late_grace  # counted from the Monday of last week
    weekday = int(after_sunday.total_seconds() // 86400) % 7
    minutes = int(after_sunday.total_seconds() % 86400) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d} {WEEKDAYS[weekday]}"


def standing_lines(week: Week, standing: Standing, metric: str) -> list[str]:
    """Progress against the quota, the breakdown by sub-units, and for a unit without a
    quota of its own, the quota it counts toward."""
    lines = progress_lines(week, standing.progress, metric, covered=standing.covering is not None)
    if standing.has_sub_units:
        lines.insert(1, breakdown_line(standing))
    if not standing.progress.has_quota and standing.sub_unit_quota:
        total, owed = standing.figure.total, standing.sub_unit_quota
        lines.append(
            f"So với tổng chỉ tiêu của các đơn vị trực thuộc ({number(owed)} lượt): "
            f"đạt {whole_percent(total, owed)}%."
        )
    covering = standing.covering
    if covering is not None:
        progress = covering.progress
        lines.append(
            f"Số liệu được tính vào chỉ tiêu của {unit_name(covering.unit)}: "
            f"<b>{number(progress.total)}/{number(progress.quota)}</b> ({progress.percent}%)"
            + (
                ", đã đạt chỉ tiêu."
                if progress.met
                else f", còn thiếu {number(progress.remaining)} lượt."
            )
        )
    return lines


def breakdown_line(standing: Standing) -> str:
    """'Trong đó: 150 do đơn vị trực tiếp báo cáo + 35 từ 5 chi bộ trực thuộc.'"""
    figure, noun = standing.figure, standing.sub_unit_noun
    own = f"Trong đó: {number(figure.own)} do đơn vị trực tiếp báo cáo"
    if not figure.reporting_sub_units:
        return f"{own}; chưa có {noun} trực thuộc nào báo cáo."
    return (
        f"{own} + {number(figure.from_sub_units)} từ {figure.reporting_sub_units} {noun} "
        "trực thuộc."
    )


def due_label(due: datetime, tz: ZoneInfo) -> str:
    """The last day on time: the due day is the 20th, so 'hết ngày 19/09/2024'."""
    last_day = (due.astimezone(tz) - timedelta(days=1)).date()
    return f"hết ngày {full_date(last_day)}"


def month_label(month: Month) -> str:
    return f"tháng {month.month}/{month.year}"


def scope_name(scope: Unit | None) -> str:
    return unit_name(scope) + " và các đơn vị trực thuộc" if scope else "tất cả các đơn vị"


def console_chat_label(chat_id: str) -> str:
    return f"nhóm {chat_id}" if chat_id.startswith("-") else f"tin nhắn riêng của {chat_id}"


KIND_PLURALS = {
    UnitKind.WARD: "phường",
    UnitKind.PARTY_COMMITTEE: "đảng bộ, chi bộ trực thuộc",
    UnitKind.PARTY_CELL: "chi bộ",
    UnitKind.YOUTH_UNION: "đoàn thanh niên",
    UnitKind.MASS_ORG: "đoàn thể",
    UnitKind.AGENCY: "cơ quan",
    UnitKind.DISTRICT: "quận",
}


# What a unit of a kind is called inside a phrase («toàn quận», «toàn phường»).
KIND_WORDS = {UnitKind.DISTRICT: "quận", UnitKind.WARD: "phường"}


def budget_line(usage: BudgetUsage) -> str:
    name = PLATFORM_NAMES.get(usage.platform, usage.platform)
    return (
        f"📨 Tin nhắn {name} {month_label(usage.month)}: đã gửi {number(usage.sent)}/"
        f"{number(usage.budget)}, còn {number(usage.left)}."
    )


JOB_TITLES: dict[str, str] = {
    JobName.WEEKLY_REMINDER: "Nhắc đơn vị chưa đạt chỉ tiêu tuần",
    JobName.WEEKLY_DIGEST: "Tổng hợp tuần cho cán bộ (kèm biểu đồ, Excel)",
    JobName.MONTHLY_NUDGE: "Nhắc gửi báo cáo tháng",
    JobName.MONTHLY_DIGEST: "Tổng hợp báo cáo tháng (kèm Excel)",
}
# Every kind of run that sends a fan-out: the scheduled jobs and the admins' announcements.
RUN_TITLES: dict[str, str] = {**JOB_TITLES, ANNOUNCEMENT_RUN: "Thông báo của quản trị viên"}


def weeks_with_dates(weeks: Sequence[Week]) -> str:
    """`tuần 38–41 (16/09–13/10/2024)`, or `tuần 37 (09/09–15/09/2024)` for one week."""
    first, last = weeks[0], weeks[-1]
    numbers = f"{first.number}" if first == last else f"{first.number}–{last.number}"
    start = day_month(first.start) if first.start.year == last.end.year else full_date(first.start)
    return f"tuần {numbers} ({start}–{full_date(last.end)})"


PLATFORM_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "console": "mô phỏng"}


# Said wherever someone who reports for no unit asks for one's figures.
NOT_REGISTERED = (
    "Đồng chí chưa đăng ký báo cáo cho đơn vị nào. Hãy gửi /dangky kèm mã đơn vị "
    "(ví dụ: /dangky KM) và chờ cán bộ phụ trách duyệt."
)
