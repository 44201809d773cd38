"""Every sentence the bot says, in one place so that the wording is reviewed together.

Messages are HTML-lite (only <b> and <i>). Anything that comes from users or from the unit
table goes through `esc()` before it is placed in a message.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.collation import vietnamese_key
from bot.domain.commands import COMMAND_TABLE, Audience, help_lines, menu
from bot.domain.messages import Column, Outbound
from bot.domain.model import (
    BudgetUsage,
    Campaign,
    Figure,
    Person,
    ReportMode,
    Submission,
    Unit,
    UnitKind,
    UnitWeekTotal,
)
from bot.domain.parsing import ParseProblem
from bot.domain.progress import Place, Progress, Standing, places, whole_percent
from bot.domain.weeks import Month, Week

if TYPE_CHECKING:
    from bot.domain.jobs import DigestBranch, DigestLine, MonthlyDigest, MonthlyLine, WeeklyDigest
    from bot.domain.status import SubUnitReport

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


# --- reports


def entry_words(mode: ReportMode, requested: int) -> str:
    """An entry in the words the secretary used: «tổng 10», «+2»."""
    figure = f"tổng {number(requested)}" if mode is ReportMode.SET else f"+{number(requested)}"
    return f"«{figure}»"


def total_below_sub_units(
    unit: Unit, stated: int, from_sub_units: int, noun: str, figure: Figure
) -> str:
    return (
        f"Chưa ghi nhận: tổng {number(stated)} lượt của {unit_name(unit)} thấp hơn số các "
        f"{noun} trực thuộc đã báo cáo trong tuần ({number(from_sub_units)} lượt, từ "
        f"{figure.reporting_sub_units} {noun}). Tổng của đơn vị đã gồm phần của các {noun}; "
        f"đề nghị đồng chí kiểm tra lại rồi gửi «tổng N» với N từ {number(from_sub_units)} "
        "trở lên, hoặc «thêm N» cho phần đơn vị trực tiếp vận động."
    )


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


def report_accepted(
    unit: Unit, week: Week, standing: Standing, words: str, *, late: bool, metric: str
) -> str:
    head = f"✅ Đã ghi nhận {words} {esc(metric)} cho {unit_name(unit)}."
    if late:
        head += "\n<i>(Báo cáo bổ sung cho tuần trước.)</i>"
    return "\n".join([head, *standing_lines(week, standing, metric)])


def already_recorded(unit: Unit, week: Week, standing: Standing, metric: str) -> str:
    return "\n".join(
        [
            "ℹ️ Tin nhắn này đã được ghi nhận trước đó, không tính thêm lần nữa.",
            f"Đơn vị: {unit_name(unit)}.",
            *standing_lines(week, standing, metric),
        ]
    )


def report_revised(
    unit: Unit, week: Week, standing: Standing, before: str, after: str, metric: str
) -> str:
    return "\n".join(
        [
            f"✏️ Đã sửa báo cáo theo tin nhắn đồng chí vừa chỉnh: {before} → <b>{after}</b> "
            f"cho {unit_name(unit)}.",
            *standing_lines(week, standing, metric),
        ]
    )


def report_undone(
    unit: Unit,
    week: Week,
    standing: Standing,
    words: str,
    tz: ZoneInfo,
    sent_at: datetime,
    metric: str,
) -> str:
    return "\n".join(
        [
            f"↩️ Đã hủy báo cáo {words} của {unit_name(unit)} (gửi lúc {moment(sent_at, tz)}).",
            *standing_lines(week, standing, metric),
        ]
    )


BUTTON_CONFIRM = "✅ Đúng, ghi nhận"
BUTTON_CANCEL = "❌ Không, bỏ qua"
TYPED_YES = "có"
TYPED_NO = "không"
NOTHING_TO_CONFIRM = "Không có báo cáo nào đang chờ đồng chí xác nhận."


def held_for_confirmation(
    unit: Unit, week: Week, words: str, quota: int, quota_unit: Unit | None = None
) -> str:
    """`quota_unit`: whose quota it is, when not the unit's own (a cell counts toward its
    ward's 200)."""
    if quota and quota_unit is not None and quota_unit.code != unit.code:
        reason = (
            f"cao hơn nhiều so với chỉ tiêu {number(quota)} lượt/tuần của {esc(quota_unit.name)}"
        )
    elif quota:
        reason = f"cao hơn nhiều so với chỉ tiêu {number(quota)} lượt/tuần"
    else:
        reason = "lớn bất thường"
    return (
        f"❓ Con số {words} cho {unit_name(unit)}, {week_label(week, mid_sentence=True)}, "
        f"{reason}, nên chưa được ghi nhận.\n"
        "Nếu đúng, đồng chí trả lời «có»; nếu nhầm, trả lời «không» rồi gửi lại con số đúng."
    )


def ask_add_or_total(unit: Unit, week: Week, amount: int, week_total: int) -> str:
    figure = number(amount)
    return (
        f"❓ Đồng chí báo «được {figure} lượt» cho {unit_name(unit)}, "
        f"{week_label(week, mid_sentence=True)}; hiện đơn vị đang có {number(week_total)} "
        f"lượt. Xin đồng chí cho biết:\n"
        f"1. Cộng thêm {figure} lượt (tuần thành {number(week_total + amount)});\n"
        f"2. Tổng của tuần là {figure} lượt.\n"
        "Đồng chí trả lời «1» hoặc «2»; chưa có câu trả lời thì chưa ghi nhận."
    )


def ask_week_or_campaign(unit: Unit, week: Week, amount: int, before: int) -> str:
    figure = number(amount)
    return (
        f"❓ Con số {figure} lượt «đến nay» của {unit_name(unit)} là của "
        f"{week_label(week, mid_sentence=True)} hay của cả cuộc thi? Từ đầu cuộc thi đến hết "
        f"tuần trước, đơn vị đã có {number(before)} lượt.\n"
        f"1. {figure} lượt là tổng của tuần này;\n"
        f"2. {figure} lượt là tổng từ đầu cuộc thi, tức tuần này có "
        f"{number(amount - before)} lượt.\n"
        "Đồng chí trả lời «1» hoặc «2»; chưa có câu trả lời thì chưa ghi nhận."
    )


def button_add(amount: int) -> str:
    return f"➕ Cộng thêm {number(amount)}"


def button_total(amount: int) -> str:
    return f"🟰 Tổng là {number(amount)}"


def button_this_week(amount: int) -> str:
    return f"📅 Tuần này: {number(amount)}"


def button_whole_campaign(week_share: int) -> str:
    return f"🏁 Cả cuộc thi (tuần này {number(week_share)})"


def held_already(state: str, *, question: bool = False) -> str:
    if state == "confirmed":
        return "ℹ️ Báo cáo này đã được xác nhận và ghi nhận trước đó."
    if state == "cancelled":
        return "ℹ️ Báo cáo này đã được bỏ qua trước đó, không ghi nhận."
    if question:
        return "ℹ️ Báo cáo này đang chờ đồng chí chọn cách hiểu: trả lời «1» hoặc «2»."
    return "ℹ️ Báo cáo này đang chờ đồng chí xác nhận: trả lời «có» hoặc «không»."


def held_cancelled(unit: Unit, words: str) -> str:
    return (
        f"Đã bỏ qua {words} cho {unit_name(unit)}, không ghi nhận. "
        "Đồng chí hãy gửi lại con số đúng."
    )


def admin_changed_figures(
    admin: Person, unit: Unit, week: Week, words: str, standing: Standing
) -> str:
    progress = standing.progress
    figure = (
        f"{number(progress.total)}/{number(progress.quota)} ({progress.percent}%)"
        if progress.has_quota
        else number(progress.total)
    )
    return (
        f"ℹ️ Quản trị viên {person_name(admin)} đã điều chỉnh số liệu "
        f"{week_label(week, mid_sentence=True)} của {unit_name(unit)}: {words}.\n"
        f"Số liệu tuần hiện nay: <b>{figure}</b>."
    )


def digest_correction(
    week: Week, changes: Sequence[tuple[UnitWeekTotal, UnitWeekTotal]], metric: str
) -> str:
    lines = [
        f"📝 <b>Đính chính {week_label(week, mid_sentence=True)}</b>: quản trị viên vừa điều "
        f"chỉnh số liệu sau khi bản tổng hợp đã gửi ({esc(metric)})."
    ]
    for before, after in changes:
        quota = after.unit.weekly_quota
        target = f"/{number(quota)}" if quota else ""
        mark = ""
        if quota:
            mark = " ✅ đạt" if after.total >= quota else " ⚠️ chưa đạt"
        lines.append(
            f"• {esc(after.unit.name)} ({esc(after.unit.code)}): {number(before.total)} → "
            f"<b>{number(after.total)}</b>{target}{mark}"
        )
    return "\n".join(lines)


def cutoff_phrase(late_grace: timedelta) -> str:
    """When last week locks, e.g. '12:00 thứ Hai' for 12 hours after Sunday 24:00."""
    after_sunday = timedelta(days=7) + late_grace  # counted from the Monday of last week
    weekday = int(after_sunday.total_seconds() // 86400) % 7
    minutes = int(after_sunday.total_seconds() % 86400) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d} {WEEKDAYS[weekday]}"


def report_usage(late_grace: timedelta) -> str:
    return (
        "Hãy gửi kèm số lượt dự thi, ví dụ:\n"
        "• /bc 45 — cộng thêm 45 lượt\n"
        "• /bc =180 — đặt tổng tuần này là 180\n"
        f"• /bc 45 tuantruoc — cộng cho tuần trước (trước {cutoff_phrase(late_grace)})"
    )


MEDIA_CAPTION_NOT_COUNTED = (
    "Tôi chỉ đọc số liệu trong tin nhắn chữ nên con số kèm ảnh hay tệp chưa được tính. "
    "Đồng chí hãy gửi riêng một tin nhắn, ví dụ «thêm 45 lượt» hoặc /bc 45."
)
MEDIA_HINT = (
    "Tôi chưa đọc được ảnh, nhãn dán hay tin nhắn thoại. Để báo cáo, đồng chí hãy gửi số lượt "
    "dự thi bằng tin nhắn chữ, ví dụ «thêm 45 lượt»; gõ /huongdan để xem các lệnh."
)


def file_without_caption(due_day: int) -> str:
    return (
        "Tôi đã nhận tệp nhưng chưa biết đó là gì. Nếu đây là báo cáo tháng (hạn trước ngày "
        f"{due_day}), đồng chí hãy gửi lại tệp kèm chú thích /baocaothang; số lượt dự thi xin "
        "gửi bằng tin nhắn chữ, ví dụ «thêm 45 lượt»."
    )


FREE_TEXT_HINT = (
    "Tôi chưa hiểu tin nhắn này. Để báo cáo, hãy gửi số lượt dự thi, ví dụ: "
    "«45», «thêm 45 lượt» hoặc «tổng 180». Gõ /huongdan để xem các lệnh."
)

_PARSE_PROBLEMS = {
    ParseProblem.NOT_UNDERSTOOD: FREE_TEXT_HINT,
    ParseProblem.SEVERAL_NUMBERS: (
        "Tin nhắn có nhiều hơn một con số nên tôi không biết ghi số nào. "
        "Hãy gửi một số duy nhất, ví dụ: «thêm 45 lượt»."
    ),
    ParseProblem.NEGATIVE: (
        "Số lượt không thể là số âm. Nếu báo cáo nhầm, hãy gửi /huy để hủy báo cáo gần nhất "
        "hoặc «tổng N» để đặt lại tổng tuần."
    ),
    ParseProblem.NOT_INTEGER: (
        "Số lượt phải là số nguyên. Với số từ một nghìn trở lên, hãy dùng dấu chấm để phân cách "
        "hàng nghìn, ví dụ: 1.200."
    ),
    ParseProblem.NON_ASCII_DIGITS: "Vui lòng viết số bằng các chữ số 0–9, ví dụ: 45.",
    ParseProblem.MALFORMED_NUMBER: (
        "Con số viết chưa đúng (có ký tự lạ xen giữa các chữ số, hoặc cách viết như «0.500», "
        "«00.200» có thể hiểu thành số khác) nên tôi không ghi nhận, để tránh ghi nhầm. "
        "Đồng chí vui lòng viết lại bằng chữ số liền, ví dụ: 500, hoặc 1.200 cho một nghìn "
        "hai trăm."
    ),
    ParseProblem.AMBIGUOUS_NUMBER: (
        "Con số viết bằng chữ này có thể hiểu theo hai cách (ví dụ «một trăm hai» là 102 hay "
        "120?) nên tôi chưa ghi nhận. Đồng chí vui lòng gửi bằng chữ số, ví dụ «thêm 120 "
        "lượt», hoặc viết đủ: «một trăm hai mươi», «một trăm linh hai»."
    ),
    ParseProblem.TOO_LONG: (
        "Tin nhắn quá dài để là một báo cáo. Hãy gửi ngắn gọn, ví dụ: «thêm 45 lượt»."
    ),
}


def parse_problem(problem: ParseProblem, max_report: int, late_grace: timedelta) -> str:
    if problem is ParseProblem.TOO_LARGE:
        return add_out_of_bounds(max_report)
    if problem is ParseProblem.EMPTY:
        return report_usage(late_grace)
    return _PARSE_PROBLEMS[problem]


def add_out_of_bounds(max_report: int) -> str:
    return (
        f"Mỗi lần báo cáo chỉ được cộng từ 1 đến {number(max_report)} lượt. "
        "Nếu số liệu lớn hơn, hãy báo cáo làm nhiều lần hoặc liên hệ cán bộ phụ trách."
    )


def set_out_of_bounds(max_report: int) -> str:
    return (
        f"Tổng tuần chỉ có thể từ 0 đến {number(max_report)} lượt. "
        "Hãy kiểm tra lại con số hoặc liên hệ cán bộ phụ trách."
    )


def week_locked(week: Week, locked_at: datetime, tz: ZoneInfo) -> str:
    return (
        f"🔒 {week_label(week)} đã khóa sổ lúc {moment(locked_at, tz)}. "
        "Chỉ quản trị viên mới có thể điều chỉnh số liệu của tuần này."
    )


def campaign_not_started(campaign: Campaign) -> str:
    return (
        f"«{esc(campaign.name)}» bắt đầu từ ngày {full_date(campaign.start)}; "
        "chưa nhận báo cáo trước ngày này."
    )


def campaign_ended(campaign: Campaign) -> str:
    end = full_date(campaign.end) if campaign.end else ""
    return f"«{esc(campaign.name)}» đã kết thúc ngày {end}; không nhận thêm báo cáo."


NOT_REGISTERED = (
    "Đồng chí chưa đăng ký báo cáo cho đơn vị nào. Hãy gửi /dangky kèm mã đơn vị "
    "(ví dụ: /dangky KM) và chờ cán bộ phụ trách duyệt."
)


def awaiting_approval(unit: Unit) -> str:
    return (
        f"Yêu cầu đăng ký của đồng chí cho {unit_name(unit)} đang chờ duyệt. "
        "Đồng chí có thể báo cáo ngay sau khi được duyệt."
    )


def named_other_unit(named: Unit, own: Unit) -> str:
    return (
        f"❓ Tin nhắn nêu tên {unit_name(named)}, nhưng đồng chí là người báo cáo của "
        f"{unit_name(own)} nên tôi chưa ghi nhận. Nếu đây là số liệu của {esc(own.name)}, "
        "xin gửi lại không kèm tên đơn vị; nếu là của đơn vị khác, đề nghị người báo cáo của "
        "đơn vị đó gửi."
    )


def named_several_units(units: Sequence[Unit]) -> str:
    names = "; ".join(unit_name(unit) for unit in units)
    return (
        f"❓ Tên trong tin nhắn trùng với nhiều đơn vị: {names}. Xin gửi lại kèm mã đơn vị, "
        "ví dụ /bc KM 45, để tôi ghi đúng nơi."
    )


def several_units_match(query: str, units: Sequence[Unit]) -> str:
    listed = "\n".join(f"• {esc(unit.code)} — {esc(unit.name)}" for unit in units[:15])
    more = f"\n… và {len(units) - 15} đơn vị khác." if len(units) > 15 else ""
    return (
        f"Có {len(units)} đơn vị khớp với «{esc(query)}»:\n{listed}{more}\n"
        "Xin gửi lại kèm mã đơn vị, ví dụ /dangky KM."
    )


def no_unit_matches(query: str, closest: Sequence[Unit]) -> str:
    text = f"Không tìm thấy đơn vị nào có mã hoặc tên «{esc(query)}»."
    if closest:
        names = "; ".join(f"{esc(unit.name)} ({esc(unit.code)})" for unit in closest)
        text += f" Có phải đồng chí muốn tìm: {names}?"
    return text + " Gửi /donvi để xem danh sách đơn vị."


def own_unit_only(unit: Unit) -> str:
    return f"Đồng chí chỉ có thể báo cáo cho đơn vị của mình: {unit_name(unit)}."


ADMIN_NEEDS_UNIT_CODE = (
    "Đồng chí là quản trị viên và cuộc trò chuyện này chưa gắn với đơn vị nào. "
    "Hãy ghi rõ mã đơn vị, ví dụ: /bc KM 45."
)


def unit_inactive(unit: Unit) -> str:
    return f"{unit_name(unit)} hiện không còn trong danh sách theo dõi nên không nhận báo cáo."


def unknown_unit(code: str) -> str:
    return f"Không tìm thấy đơn vị có mã «{esc(code)}». Hãy kiểm tra lại mã với cán bộ phụ trách."


NOTHING_TO_UNDO = "Đồng chí không có báo cáo nào trong tuần này để hủy."
ALREADY_HANDLED = "ℹ️ Lệnh này đã được xử lý trước đó, không thực hiện lại."
EDIT_OF_VOIDED = (
    "Báo cáo trong tin nhắn này đã bị hủy nên việc sửa tin không được tính. Hãy gửi báo cáo mới."
)
EDIT_CANNOT_MOVE = (
    "Không thể chuyển báo cáo sang đơn vị hoặc tuần khác bằng cách sửa tin. "
    "Hãy gửi /huy rồi gửi báo cáo mới."
)
NOT_ADMIN = "⛔ Lệnh này chỉ dành cho quản trị viên."
INTERNAL_ERROR = (
    "⚠️ Xin lỗi, đã có lỗi khi xử lý tin nhắn của đồng chí. Vui lòng thử lại sau ít phút; "
    "nếu vừa báo cáo, hãy gửi /tiendo để kiểm tra trước khi gửi lại."
)

# --- registration

REGISTER_USAGE = (
    "Hãy gửi /dangky kèm mã đơn vị, ví dụ: /dangky KM. "
    "Nếu chưa biết mã đơn vị, hãy hỏi cán bộ phụ trách."
)
REGISTER_IN_PRIVATE = (
    "Để đăng ký báo cáo, hãy nhắn riêng cho bot: /dangky kèm mã đơn vị. Sau khi được duyệt, "
    "gửi lại lệnh này trong nhóm để gắn nhóm với đơn vị."
)


def request_sent(unit: Unit, *, admins_available: bool) -> str:
    text = (
        f"📨 Đã gửi yêu cầu đăng ký làm người báo cáo của {unit_name(unit)}. "
        "Đồng chí sẽ nhận được thông báo khi yêu cầu được duyệt."
    )
    if not admins_available:
        text += "\nHiện chưa có quản trị viên nào để duyệt; hãy báo cho cán bộ phụ trách."
    return text


def request_for_admin(person: Person, unit: Unit, current_unit: Unit | None) -> str:
    lines = [
        "🆕 <b>Yêu cầu đăng ký báo cáo</b>",
        f"Người gửi: {person_name(person)}",
        f"Đơn vị: {unit_name(unit)}",
    ]
    if current_unit is not None:
        lines.append(f"Hiện đang báo cáo cho: {unit_name(current_unit)}")
    lines.append(
        f"Gửi /duyet {esc(person.user_id)} để duyệt hoặc /tuchoi {esc(person.user_id)} để từ chối."
    )
    return "\n".join(lines)


REQUEST_CHANGED = (
    "ℹ️ Yêu cầu này đã thay đổi (đã được quyết định, hoặc người gửi đã đăng ký đơn vị khác) "
    "nên không thực hiện gì. Yêu cầu mới nhất, nếu có, được gửi trong một tin nhắn riêng."
)


def too_many_requests(limit: int) -> str:
    return (
        f"Hôm nay đồng chí đã gửi {limit} yêu cầu đăng ký; mỗi yêu cầu đều được gửi tới các cán bộ "
        "duyệt nên không nhận thêm. Yêu cầu gần nhất của đồng chí vẫn đang chờ duyệt; nếu cần đổi "
        "đơn vị, hãy liên hệ cán bộ phụ trách hoặc gửi lại vào ngày mai."
    )


BUTTON_APPROVE = "✅ Duyệt"
BUTTON_REJECT = "❌ Từ chối"


def already_secretary(unit: Unit) -> str:
    return (
        f"Đồng chí đã là người báo cáo của {unit_name(unit)}. "
        "Gửi số lượt dự thi bất cứ lúc nào, ví dụ: «thêm 45 lượt»."
    )


def request_still_pending(unit: Unit) -> str:
    return f"Yêu cầu của đồng chí cho {unit_name(unit)} vẫn đang chờ duyệt."


def admin_registered_directly(unit: Unit) -> str:
    return (
        "Đồng chí là quản trị viên nên đã được ghi nhận ngay là người báo cáo của "
        f"{unit_name(unit)}."
    )


def group_bound(unit: Unit) -> str:
    return (
        f"🔗 Nhóm này đã được gắn với {unit_name(unit)}. "
        "Thành viên nhóm có thể gửi /tiendo để xem tiến độ của đơn vị."
    )


def group_bound_elsewhere(unit: Unit) -> str:
    return (
        f"⛔ Nhóm này đang gắn với {unit_name(unit)}. Chỉ quản trị viên hoặc người báo cáo "
        "của đơn vị đó mới có thể gắn lại nhóm; nhóm vẫn giữ nguyên như cũ."
    )


def bind_other_unit(unit: Unit) -> str:
    return f"Đồng chí là người báo cáo của {unit_name(unit)} nên chỉ có thể gắn nhóm với đơn vị đó."


def approved_for_admin(person: Person, unit: Unit) -> str:
    return f"✅ Đã duyệt {person_name(person)} báo cáo cho {unit_name(unit)}."


def rejected_for_admin(person: Person, unit: Unit) -> str:
    return f"❌ Đã từ chối yêu cầu của {person_name(person)} cho {unit_name(unit)}."


def approved_for_requester(unit: Unit) -> str:
    return (
        f"🎉 Yêu cầu của đồng chí đã được duyệt: đồng chí là người báo cáo của {unit_name(unit)}.\n"
        "Gửi số lượt dự thi, ví dụ «thêm 45 lượt» hoặc /bc 45; xem tiến độ bằng /tiendo."
    )


def rejected_for_requester(unit: Unit) -> str:
    return (
        f"Yêu cầu báo cáo cho {unit_name(unit)} của đồng chí không được duyệt. "
        "Nếu có nhầm lẫn, hãy liên hệ cán bộ phụ trách."
    )


DECIDE_USAGE = "Hãy gửi kèm ID người dùng, ví dụ: /duyet 123456789 hoặc /tuchoi 123456789."


def no_pending_request(user_id: str) -> str:
    return f"Không có yêu cầu nào đang chờ duyệt của người dùng có ID {esc(user_id)}."


# --- status

STATUS_NEEDS_UNIT_PRIVATE = NOT_REGISTERED
STATUS_NEEDS_UNIT_GROUP = (
    "Nhóm này chưa được gắn với đơn vị nào. Người báo cáo của đơn vị hãy gửi "
    "/dangky kèm mã đơn vị trong nhóm để gắn nhóm."
)
STATUS_ALL_ADMIN_ONLY = "⛔ Chỉ quản trị viên mới xem được tiến độ của tất cả đơn vị."


def campaign_ended_note(campaign: Campaign) -> str:
    end = full_date(campaign.end) if campaign.end else ""
    return f"<i>Cuộc thi đã kết thúc ngày {end}; dưới đây là số liệu tuần cuối.</i>"


def unit_status(
    standing: Standing,
    week: Week,
    sub_units: Sequence[UnitWeekTotal],
    siblings: Sequence[UnitWeekTotal],
    metric: str,
    note: str | None = None,
) -> str:
    unit = standing.unit
    lines = [f"📊 {unit_name(unit)}"]
    if note:
        lines.append(note)
    lines.extend(standing_lines(week, standing, metric))
    if sub_units:
        lines.append("")
        lines.append(f"<b>Các {standing.sub_unit_noun} trực thuộc</b>")
        lines.extend(standing_lines_ranked(sub_units))
    if len(siblings) > 1:
        lines.append("")
        lines.append("<b>Xếp hạng các đơn vị cùng cấp</b>")
        lines.extend(standing_lines_ranked(siblings, highlight=unit.code))
    return "\n".join(lines)


def all_status(
    week: Week,
    summary: Figure,
    quota: int,
    rows: Sequence[UnitWeekTotal],
    below: Mapping[str, SubUnitReport],
    metric: str,
    note: str | None = None,
    root_kind: UnitKind | None = None,
) -> str:
    # The district's own word: «Toàn quận» (a tree of several roots: «Tổng các đơn vị»).
    whole_word = f"Toàn {KIND_WORDS[root_kind]}" if root_kind in KIND_WORDS else "Tổng các đơn vị"
    with_quota = [row for row in rows if row.unit.weekly_quota > 0]
    met = sum(1 for row in with_quota if row.total >= row.unit.weekly_quota)
    silent = sum(1 for row in with_quota if not row.reported)
    share = (
        f" ({whole_percent(summary.total, quota)}% tổng chỉ tiêu {number(quota)})" if quota else ""
    )
    lines = [f"📊 <b>Tiến độ các đơn vị — {week_label(week)}</b>"]
    if note:
        lines.append(note)
    lines.append(f"{whole_word}: <b>{number(summary.total)}</b> {esc(metric)}{share}.")
    lines.append(f"Đạt chỉ tiêu: {met}/{len(with_quota)} đơn vị · Chưa báo cáo: {silent}")
    lines.append("")
    for rank, row in places(rows):
        lines.append(standing_line(rank, row))
        report = below.get(row.unit.code)
        if report is not None and report.count:
            reported = report.count - len(report.silent)
            text = f"    ↳ {reported}/{report.count} {report.noun} trực thuộc đã báo cáo"
            if report.silent:
                codes = ", ".join(esc(unit.code) for unit in report.silent)
                text += f"; chưa báo cáo: {codes}"
            lines.append(text)
    return "\n".join(lines)


def month_has_no_weeks(month: Month) -> str:
    return f"Chưa có tuần nào của cuộc thi trong {month_label(month)}."


def unit_month(
    unit: Unit, month: Month, by_week: Sequence[tuple[Week, int]], quota: int, metric: str
) -> str:
    """A unit's month, week by week, against the weekly quota it owes."""
    weeks = [week for week, _ in by_week]
    total = sum(figure for _, figure in by_week)
    lines = [
        f"📊 {unit_name(unit)} — {month_label(month)}",
        f"Các tuần thuộc tháng: {weeks_with_dates(weeks)}.",
    ]
    if quota:
        owed = quota * len(weeks)
        lines.append(
            f"Cả tháng: <b>{number(total)}/{number(owed)}</b> {esc(metric)} "
            f"({whole_percent(total, owed)}%)."
        )
    else:
        lines.append(f"Cả tháng: <b>{number(total)}</b> {esc(metric)} (không giao chỉ tiêu).")
    for week, figure in by_week:
        if quota:
            mark = " ✅" if figure >= quota else ""
            shown = f"{number(figure)}/{number(quota)} ({whole_percent(figure, quota)}%){mark}"
        else:
            shown = number(figure)
        lines.append(f"• {week_label(week)}: {shown}")
    return "\n".join(lines)


def all_month(
    month: Month,
    weeks: Sequence[Week],
    ranked: Sequence[tuple[int | None, UnitWeekTotal]],
    quotas: Mapping[str, int],
    metric: str,
) -> str:
    """Every top-level unit over a month's weeks, ranked, against the month's quota."""
    total = sum(row.total for _, row in ranked)
    owed = sum(quotas.values())
    share = f" ({whole_percent(total, owed)}% tổng chỉ tiêu {number(owed)})" if owed else ""
    lines = [
        f"📊 <b>Tiến độ các đơn vị — {month_label(month)}</b>",
        f"Các tuần thuộc tháng: {weeks_with_dates(weeks)}.",
        f"Cộng các đơn vị: <b>{number(total)}</b> {esc(metric)}{share}.",
        "",
    ]
    for place, row in ranked:
        name = f"{esc(row.unit.name)} ({esc(row.unit.code)})"
        quota = quotas.get(row.unit.code, 0)
        if place is None:
            lines.append(f"– {name} — ❌ chưa báo cáo: chưa xếp hạng")
        elif quota:
            figure = f"{number(row.total)}/{number(quota)} ({whole_percent(row.total, quota)}%)"
            lines.append(f"{place}. {name} — {figure}{' ✅' if row.total >= quota else ''}")
        else:
            lines.append(f"{place}. {name} — {number(row.total)} (không giao chỉ tiêu)")
    return "\n".join(lines)


HISTORY_USAGE = "Cách dùng: /lichsu kèm mã đơn vị, ví dụ /lichsu KM — số liệu 8 tuần gần nhất."


def unit_history(unit: Unit, rows: Sequence[tuple[Week, int]], current: Week, metric: str) -> str:
    lines = [f"🗂 <b>8 tuần gần nhất</b> — {unit_name(unit)} ({esc(metric)})"]
    quota = unit.weekly_quota
    for week, total in rows:
        if quota:
            mark = "✅" if total >= quota else ("⏳" if week == current else "⚠️")
            figure = f"{number(total)}/{number(quota)} ({whole_percent(total, quota)}%) {mark}"
        else:
            figure = number(total)
        lines.append(f"• {week_label(week)}: {figure}")
    if not rows:
        lines.append("Chưa có tuần nào của cuộc thi.")
    return "\n".join(lines)


def status_cut_short(left_out: int) -> str:
    return (
        f"<i>… và {number(left_out)} dòng nữa: danh sách quá dài để gửi thành tin nhắn, "
        "đầy đủ trong tệp Excel đính kèm.</i>"
    )


UNITS_FILE = "quizbot-don-vi.xlsx"
UNITS_SHEET = "Danh sách đơn vị"


def units_columns(*, admin: bool) -> tuple[Column, ...]:
    base = (Column("Mã", "text", 9), Column("Đơn vị", "text", 48), Column("Cấp trên", "text", 9))
    if not admin:
        return base
    return (*base, Column("Chỉ tiêu/tuần", "int", 13), Column("Người báo cáo", "text", 40))


# --- help and units


def help_text(
    campaign: Campaign,
    *,
    due_day: int,
    user_id: str,
    admin: bool,
    unit: Unit | None,
    pending_unit: Unit | None,
    group_unit: Unit | None,
) -> str:
    lines = [
        f"👋 Xin chào! Tôi là {AUTOMATED_MARK} theo dõi «{esc(campaign.name)}».",
        "Các đơn vị báo cáo số lượt dự thi; tôi cộng dồn theo chỉ tiêu tuần, nhắc đơn vị "
        "còn thiếu và gửi tổng hợp cho cán bộ phụ trách.",
        "",
    ]
    if group_unit is not None:
        lines.append(f"Nhóm này thuộc {unit_name(group_unit)}.")
    if admin:
        lines.append("Đồng chí là <b>quản trị viên</b>.")
    if unit is not None:
        lines.append(f"Đồng chí là người báo cáo của {unit_name(unit)}.")
    elif pending_unit is not None:
        lines.append(f"Yêu cầu đăng ký của đồng chí cho {unit_name(pending_unit)} đang chờ duyệt.")
    elif not admin:
        lines.append("Đồng chí chưa đăng ký báo cáo cho đơn vị nào.")
    lines.append(f"ID của đồng chí: {esc(user_id)}")
    everyone = {Audience.EVERYONE}
    if unit is None and not admin:
        everyone.add(Audience.NEWCOMER)
    if unit is not None or admin:
        everyone.add(Audience.SECRETARY)
    lines += ["", "<b>Các lệnh</b>"]
    lines += [HELP_LINES[key].format(due_day=due_day) for key in help_lines(frozenset(everyone))]
    if admin:
        lines += ["", "<b>Dành cho quản trị viên</b>"]
        admin_keys = help_lines(frozenset({Audience.ADMIN}))
        lines += [HELP_LINES[key].format(due_day=due_day) for key in admin_keys]
    if admin:
        # Secretaries see the Vietnamese names only; admins may meet the English ones.
        english = ", ".join(f"/{command.name}" for command in COMMAND_TABLE)
        lines += ["", f"Lệnh tiếng Anh tương ứng: {english}."]
    return "\n".join(lines)


# One line of /huongdan each, keyed as in commands.COMMAND_TABLE.
HELP_LINES = {
    "start": "/huongdan — hướng dẫn này",
    "status": "/tiendo — tiến độ tuần này; /tiendo tuantruoc, /tiendo tuan 37 — tuần khác",
    "history": "/lichsu — số liệu 8 tuần gần nhất của đơn vị",
    "register": "/dangky MÃ — đăng ký báo cáo cho đơn vị (ví dụ: /dangky KM)",
    "report.add": "/bc 45 — cộng thêm 45 lượt dự thi",
    "report.set": "/bc =180 — đặt tổng tuần này là 180",
    "report.last_week": "/bc 45 tuantruoc — cộng cho tuần trước (trước khi khóa sổ)",
    "undo": "/huy — hủy báo cáo gần nhất của đồng chí",
    "free_text": "Trong tin nhắn riêng, có thể gửi: «45», «thêm 45 lượt», «tổng 180», «1.200».",
    "monthly": (
        "/baocaothang NỘI DUNG — gửi báo cáo tháng (hạn: trước ngày {due_day}), hoặc gửi tệp "
        "với chú thích /baocaothang"
    ),
    "readreport": (
        "/xembaocao MÃ [thang 9] — đọc toàn văn báo cáo tháng của đơn vị mình hoặc đơn vị "
        "trực thuộc"
    ),
    "status.all": "/tiendo all — tiến độ của tất cả đơn vị",
    "status.unit": "/tiendo MÃ — tiến độ của một đơn vị",
    "report.for_unit": (
        "/bc MÃ 45 — báo cáo thay cho đơn vị (kể cả tuần đã khóa sổ với «tuantruoc»)"
    ),
    "approve": "/duyet ID, /tuchoi ID — duyệt hoặc từ chối yêu cầu đăng ký",
    "register.group": "/dangky MÃ trong nhóm — gắn nhóm với đơn vị",
    "units": "/donvi [tên] — danh sách đơn vị, chỉ tiêu và người báo cáo; tìm theo tên",
    "subscribe": "/dangkynhan [MÃ] — nhận bản tổng hợp tuần và tháng tại cuộc trò chuyện này",
    "unsubscribe": "/huynhan — dừng nhận bản tổng hợp",
    "export": (
        "/xuat, /xuat tuan, /xuat tuantruoc, /xuat tuan 37, /xuat thang, /xuat thang 9 — "
        "bảng số liệu Excel"
    ),
    "history.unit": "/lichsu MÃ — số liệu 8 tuần gần nhất của một đơn vị",
    "readreport.admin": "/xembaocao MÃ [thang 9] — toàn văn báo cáo tháng của một đơn vị, kèm tệp",
}


def units_table(
    units: Sequence[tuple[int, Unit]],
    *,
    secretaries: Mapping[str, Sequence[Person]] | None = None,
) -> str:
    """Everyone sees codes and names; admins (`secretaries` given) also the quotas and who
    reports for each unit."""
    for_admins = secretaries is not None
    heading = "(mã — tên — chỉ tiêu tuần — người báo cáo)" if for_admins else "(mã — tên)"
    lines = [f"<b>Danh sách đơn vị</b> {heading}"]
    for depth, unit in units:
        line = f"{'  ' * depth}{esc(unit.code)} — {esc(unit.name)}"
        if secretaries is not None:
            quota = number(unit.weekly_quota) if unit.weekly_quota > 0 else "không giao chỉ tiêu"
            people = secretaries.get(unit.code, [])
            who = ", ".join(person_name(person) for person in people) or "chưa có người báo cáo"
            line += f" — {quota} — {who}"
        lines.append(line)
    lines.append("")
    lines.append("Tìm theo tên: /donvi Khương Mai. Đăng ký báo cáo: /dangky MÃ hoặc /dangky TÊN.")
    return "\n".join(lines)


# --- the unit table (operators; plain text)

_KINDS = "district, ward, youth_union, party_cell, party_committee, mass_org, agency"


def unit_row_bad_code(line: int, code: str) -> str:
    return (
        f"Dòng {line}: mã đơn vị «{code}» không hợp lệ (bắt đầu bằng chữ cái; chỉ gồm A–Z, "
        "0–9, '-' hoặc '_'; tối đa 20 ký tự)."
    )


def unit_row_duplicate(line: int, code: str) -> str:
    return f"Dòng {line}: mã đơn vị «{code}» bị trùng với một dòng phía trên."


def unit_row_reserved_code(line: int, code: str) -> str:
    return (
        f"Dòng {line}: mã đơn vị «{code}» trùng với một từ dùng khi báo cáo (ví dụ «có», "
        "«thi», «tổng»), nên tin nhắn có mã này dễ bị hiểu nhầm; hãy đặt mã khác."
    )


def unit_row_no_name(line: int, code: str) -> str:
    return f"Dòng {line}: đơn vị «{code}» chưa có tên."


def unit_row_bad_kind(line: int, code: str, kind: str) -> str:
    return f"Dòng {line}: đơn vị «{code}» có loại «{kind}» không hợp lệ (dùng một trong: {_KINDS})."


def unit_row_bad_quota(line: int, code: str, quota: str, maximum: int) -> str:
    return (
        f"Dòng {line}: chỉ tiêu tuần của «{code}» phải là số nguyên từ 0 đến {number(maximum)}, "
        f"không phải «{quota}»."
    )


def unit_row_control_characters(line: int, code: str) -> str:
    return (
        f"Dòng {line}: tên của «{code}» có ký tự điều khiển (ký tự ẩn, thường do sao chép từ "
        "phần mềm khác); hãy gõ lại tên."
    )


def unit_row_name_too_long(line: int, code: str, limit: int) -> str:
    return f"Dòng {line}: tên của «{code}» dài quá {limit} ký tự; hãy rút gọn."


def unit_row_formula_name(line: int, code: str, first: str) -> str:
    return (
        f"Dòng {line}: tên của «{code}» bắt đầu bằng «{first}», Excel sẽ hiểu là công thức; "
        "hãy bỏ ký tự này ở đầu tên."
    )


def units_file_undecodable() -> str:
    return (
        "Không đọc được tệp đơn vị: tệp không phải UTF-8, UTF-16 hay Windows-1258 (bảng mã "
        "tiếng Việt của Excel). Hãy lưu lại tệp bằng «CSV UTF-8» rồi chạy lại."
    )


def unit_unknown_parent(line: int, code: str, parent: str | None) -> str:
    return f"Dòng {line}: đơn vị «{code}» có đơn vị cấp trên «{parent}» không có trong danh sách."


def unit_cycle(line: int, code: str) -> str:
    return f"Dòng {line}: đơn vị «{code}» nằm trong một vòng lặp cấp trên – cấp dưới."


def unit_row_missing_cells(line: int, code: str, missing: Sequence[str]) -> str:
    columns = ", ".join(missing)
    return (
        f"Dòng {line}: đơn vị «{code}» thiếu cột {columns} (dòng phải có đủ 5 cột: code, name, "
        "kind, parent, weekly_quota; để trống ô nếu không có, nhưng vẫn giữ dấu phẩy)."
    )


def units_file_missing_columns(missing: Sequence[str]) -> str:
    return f"Tệp đơn vị thiếu cột: {', '.join(missing)} (cần: code,name,kind,parent,weekly_quota)."


# --- command menu (Telegram's "/" list)


# Telegram's "/" menu, by the name shown (commands.menu() says which and in what order).
MENU_LINES = {
    "bc": "Báo cáo số lượt dự thi: /bc 45, /bc =180",
    "tiendo": "Xem tiến độ tuần này",
    "huy": "Hủy báo cáo gần nhất của đồng chí",
    "lichsu": "Số liệu 8 tuần gần nhất của đơn vị",
    "baocaothang": "Gửi báo cáo tháng (trước ngày {due_day})",
    "dangky": "Đăng ký báo cáo cho đơn vị: /dangky KM",
    "huongdan": "Hướng dẫn sử dụng",
}


def command_menu(due_day: int) -> tuple[tuple[str, str], ...]:
    return tuple((name, MENU_LINES[name].format(due_day=due_day)) for name in menu())


AUTOMATED_MARK = "trợ lý tự động"
AUTOMATED_NOTICE = (
    f"🤖 <i>Đây là {AUTOMATED_MARK} (chatbot) của cuộc thi; tin nhắn do máy trả lời.</i>"
)


def unknown_command(name: str, due_day: int) -> str:
    listed = "\n".join(f"• /{command} — {esc(what)}" for command, what in command_menu(due_day))
    return (
        f"Không có lệnh «{esc(name)}». Các lệnh thường dùng:\n{listed}\n"
        "Gõ /huongdan để xem đầy đủ các lệnh dành cho đồng chí."
    )


# --- console simulator (plain text)

CONSOLE_STARTING = (
    "Chưa có TELEGRAM_BOT_TOKEN hay ZALO_BOT_TOKEN trong .env nên bot chạy ở chế độ mô phỏng "
    "trên console (gõ :help để xem hướng dẫn). Để chạy thật: cp .env.example .env rồi điền "
    "TELEGRAM_BOT_TOKEN và/hoặc ZALO_BOT_TOKEN."
)
CONSOLE_WELCOME = (
    "Trình mô phỏng quizbot. Gõ tin nhắn như trong Telegram (ví dụ /huongdan, /dangky KM, "
    "thêm 45 lượt). Dòng bắt đầu bằng ':' là lệnh điều khiển; gõ :help để xem."
)
CONSOLE_HELP = "\n".join(
    [
        "Lệnh điều khiển trình mô phỏng:",
        "  :user ID [Tên]        nhắn với tư cách người dùng ID (người dùng 1 là quản trị viên)",
        "  :group ID [Tên nhóm]  chuyển sang một nhóm chat",
        "  :private              quay về tin nhắn riêng với bot",
        "  :reply VĂN BẢN        trả lời tin nhắn của bot (dùng trong nhóm)",
        "  :edit N VĂN BẢN       sửa tin nhắn số N của đồng chí",
        "  :again N              gửi lại y hệt tin nhắn số N (như khi mạng gửi trùng)",
        "  :file TỆP CHÚ_THÍCH   gửi một tệp kèm chú thích (ví dụ :file bc.pdf /baocaothang)",
        "  :time                 xem giờ hiện tại của trình mô phỏng",
        "  :time 2024-09-12 09:00  đặt giờ;  :time +1d, +3h, -30m  dịch giờ (các việc định kỳ",
        "                        đến hạn trong khoảng đó sẽ chạy, như khi xem một tuần trôi qua)",
        "  :jobs                 các việc định kỳ và lần chạy tới",
        "  :files                các tệp bot đã gửi (biểu đồ, Excel) và nơi đã lưu",
        "  :platform zalo        gõ như người dùng Zalo (xem tin nhắn như Zalo hiển thị)",
        "  :job TÊN              chạy ngay một việc định kỳ (ví dụ :job weekly-reminder)",
        "  :quit                 thoát",
    ]
)
CONSOLE_USER_USAGE = "Cách dùng: :user ID [Tên], ví dụ :user 1001 Nguyễn Văn An"
CONSOLE_GROUP_USAGE = "Cách dùng: :group ID [Tên nhóm], ví dụ :group 500 Nhóm Khương Mai"
CONSOLE_REPLY_USAGE = "Cách dùng: :reply VĂN BẢN, ví dụ :reply thêm 20 lượt"
CONSOLE_EDIT_USAGE = "Cách dùng: :edit N VĂN BẢN, với N là số của một tin nhắn đồng chí đã gửi"
CONSOLE_AGAIN_USAGE = "Cách dùng: :again N, với N là số của một tin nhắn đã gửi"
CONSOLE_TIME_USAGE = "Cách dùng: :time 2024-09-12 09:00 hoặc :time +1d (d: ngày, h: giờ, m: phút)"


def console_default_name(user_id: str) -> str:
    return f"Người dùng {user_id}"


def console_chat_label(chat_id: str) -> str:
    return f"nhóm {chat_id}" if chat_id.startswith("-") else f"tin nhắn riêng của {chat_id}"


def console_whoami(user: Person, group_title: str | None) -> str:
    where = f"trong {group_title}" if group_title else "trong tin nhắn riêng với bot"
    return f"Đồng chí đang là {user.display_name} (ID {user.user_id}), {where}."


def console_prompt(user: Person, group_title: str | None) -> str:
    where = f"@{group_title}" if group_title else ""
    return f"{user.display_name}{where}> "


def console_sent(message_id: str) -> str:
    return f"   (tin nhắn #{message_id})"


def console_edited(message_id: str) -> str:
    return f"(sửa tin #{message_id})"


# --- message budgets (Zalo)

PLATFORM_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "console": "mô phỏng"}


def budget_held_back(
    platform: str,
    month: Month,
    budget: int,
    used: int,
    job: str,
    period: str,
    held: Sequence[Outbound],
) -> str:
    """To the admins: which messages of a run were not sent because the month's budget of a
    platform is used up, named one by one (first line of each, where it would have gone)."""
    name = PLATFORM_NAMES.get(platform, platform)
    lines = [
        f"⚠️ <b>Hạn mức tin nhắn {name} {month_label(month)} sắp hết</b>: đã gửi và đang chờ "
        f"gửi {number(used)}/{number(budget)} tin; phần còn lại được giữ cho các bản tổng hợp "
        "gửi cán bộ trong tháng.",
        f"Việc «{esc(JOB_TITLES.get(job, job))}» (kỳ {esc(period)}) chưa gửi "
        f"{number(len(held))} tin sau:",
    ]
    for message in held[:30]:
        first = message.text.splitlines()[0] if message.text else "(tệp)"
        lines.append(f"• {first} → {name} {esc(message.chat.chat_id)}")
    if len(held) > 30:
        lines.append(f"… và {number(len(held) - 30)} tin khác.")
    lines.append(
        "Các tin này không tự gửi lại. Có thể nâng ZALO_MONTHLY_MESSAGE_BUDGET nếu gói Zalo cho "
        "phép, rồi chạy lại việc này bằng «quizbot jobs run»."
    )
    return "\n".join(lines)


def budget_line(usage: BudgetUsage) -> str:
    name = PLATFORM_NAMES.get(usage.platform, usage.platform)
    return (
        f"📨 Tin nhắn {name} {month_label(usage.month)}: đã gửi {number(usage.sent)}/"
        f"{number(usage.budget)}, còn {number(usage.left)}."
    )


# --- Zalo (plain text: no markup, no documents)


def zalo_file_link(filename: str, url: str, expires: datetime) -> str:
    until = expires.strftime("%d/%m/%Y")
    return f"📎 Tải tệp {filename} tại: {url}\n(Đường dẫn dùng được đến hết ngày {until}.)"


def zalo_file_unavailable(filename: str) -> str:
    return (
        f"📎 Tệp {filename} chưa gửi được qua Zalo (bot chưa có địa chỉ web công khai). "
        "Đồng chí có thể lấy tệp bằng lệnh /xuat trên Telegram, hoặc nhờ cán bộ kỹ thuật chạy "
        "«quizbot export»."
    )


def zalo_file_elsewhere(filename: str) -> str:
    return (
        f"📎 Tệp «{filename}» được gửi qua Telegram nên không chuyển tiếp được sang Zalo; "
        "đồng chí xem tệp trên Telegram."
    )


def typed_choices(choices: Sequence[tuple[str, str]]) -> str:
    """Where there are no buttons: what to answer («có» for «✅ Đúng, ghi nhận»)."""
    answers = " hoặc ".join(f"«{esc(typed)}» ({esc(label)})" for label, typed in choices)
    return f"👉 Đồng chí trả lời {answers}."


def console_button(label: str, typed: str) -> str:
    return f"[{label}: {typed}]"


def file_size(size: int) -> str:
    """'820 byte', '12,3 KB', '1,5 MB' (Vietnamese decimal comma)."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def console_attachment(filename: str, size: int, saved: object = None) -> str:
    where = f" → đã lưu tại {saved}" if saved is not None else ""
    return f"📎 {filename} ({file_size(size)}){where}"


def console_stored_file(file_name: str, caption: str) -> str:
    about = f" — {caption}" if caption else ""
    return f"📎 {file_name} (tệp đơn vị đã gửi, chuyển tiếp nguyên bản){about}"


CONSOLE_PLATFORM_USAGE = (
    "Cách dùng: :platform zalo (gõ như người dùng Zalo, xem tin nhắn như Zalo hiển thị: chữ "
    "thường, không nút bấm) hoặc :platform console (trở lại)."
)


def console_platform(platform: str) -> str:
    if platform == "zalo":
        return (
            "Đang gõ như người dùng Zalo: tin nhắn của bot hiện như trên Zalo (chữ thường, mỗi "
            "tin tối đa 2 000 ký tự, nút bấm thay bằng lệnh cần gõ)."
        )
    return "Đang gõ như người dùng của trình mô phỏng."


def console_files(paths: Sequence[str]) -> str:
    if not paths:
        return "Bot chưa gửi tệp nào."
    return "\n".join(["Các tệp bot đã gửi (mở được ngay):", *(f"  {path}" for path in paths)])


def console_outside_campaign(campaign: Campaign, today: date) -> str:
    inside = campaign.start if today < campaign.start else (campaign.end or campaign.start)
    return (
        f"Lưu ý: hôm nay ({full_date(today)}) nằm ngoài thời gian cuộc thi "
        f"({full_date(campaign.start)}"
        + (f"–{full_date(campaign.end)}" if campaign.end else " trở đi")
        + "), nên bot sẽ không nhận báo cáo. Để thử, hãy dời giờ vào trong cuộc thi, ví dụ: "
        f":time {inside:%Y-%m-%d} 09:00"
    )


CONSOLE_BYE = "Đã thoát trình mô phỏng."


def console_unknown_control(name: str) -> str:
    return f"Không có lệnh điều khiển «:{name}». Gõ :help để xem danh sách."


def console_time(now: datetime, tz: ZoneInfo) -> str:
    return f"Giờ của trình mô phỏng: {moment(now, tz)}."


# --- command line (operators; plain text)

CLI_DESCRIPTION = "quizbot — bot theo dõi số lượt dự thi của các đơn vị theo chỉ tiêu tuần."
CLI_HELP_CONSOLE = "chạy trình mô phỏng console kể cả khi đã có token"
CLI_HELP_WORKERS = (
    "số tiến trình nhận tin cùng lúc trên cùng một cổng (chỉ với PostgreSQL và PUBLIC_BASE_URL)"
)
CLI_WORKERS_TOO_FEW = "Số tiến trình (--workers) phải từ 1 trở lên."
CLI_WORKERS_NEED_POSTGRES = (
    "SQLite chỉ cho phép một tiến trình bot. Muốn chạy nhiều tiến trình (--workers), hãy dùng "
    "PostgreSQL (DATABASE_URL=postgresql+psycopg://…) rồi chạy lại."
)
CLI_WORKERS_NEED_WEBHOOK = (
    "Nhiều tiến trình chỉ nhận tin được qua webhook: hãy đặt PUBLIC_BASE_URL và bỏ --polling "
    "(Telegram và Zalo chỉ trả tin cho một tiến trình hỏi máy chủ)."
)
CLI_HELP_POLLING = (
    "nhận tin Telegram bằng cách hỏi máy chủ (getUpdates) kể cả khi có PUBLIC_BASE_URL; "
    "xóa webhook đã đăng ký"
)
CLI_NOT_INITIALISED = (
    "Cơ sở dữ liệu chưa được khởi tạo hoặc chưa được cập nhật: hãy chạy `quizbot init` trước "
    "(hoặc dùng `make run`)."
)


_CLI_FAILURES = {
    "rejected_token": (
        "Máy chủ Telegram từ chối TELEGRAM_BOT_TOKEN (token sai, đã bị thu hồi) hoặc "
        "TELEGRAM_API_BASE_URL không trỏ đúng máy chủ Bot API. Hãy kiểm tra hai thiết lập này "
        "trong .env."
    ),
    "unreachable": (
        "Không kết nối được tới máy chủ Telegram (TELEGRAM_API_BASE_URL). Hãy kiểm tra mạng "
        "và địa chỉ máy chủ rồi chạy lại."
    ),
    "zalo_rejected_token": (
        "Máy chủ Zalo từ chối ZALO_BOT_TOKEN (token sai hoặc đã được tạo lại trong Zalo Bot "
        "Manager) hoặc ZALO_API_BASE_URL không trỏ đúng máy chủ Zalo Bot API. Hãy kiểm tra hai "
        "thiết lập này trong .env."
    ),
    "zalo_unreachable": (
        "Không kết nối được tới máy chủ Zalo (ZALO_API_BASE_URL). Hãy kiểm tra mạng và địa chỉ "
        "máy chủ rồi chạy lại."
    ),
    "unexpected": "quizbot dừng vì một lỗi không mong muốn.",
}


def cli_failed(kind: str, detail: str) -> str:
    """One line for stderr; `detail` is redacted by the caller before printing."""
    return f"Lỗi: {_CLI_FAILURES[kind]} ({detail.splitlines()[0] if detail else ''})"


CLI_USAGE_WORD = "Cách dùng:"
CLI_POSITIONALS = "tham số"
CLI_OPTIONALS = "tùy chọn"
CLI_HELP_FLAG = "in hướng dẫn này rồi thoát"
CLI_COMMANDS_TITLE = "các lệnh"
CLI_COMMAND_WORD = "LỆNH"
CLI_EXAMPLE_WORD = "Ví dụ:"
CLI_JOB_NAME = "TÊN_VIỆC"
CLI_TIME_WORD = "THỜI_ĐIỂM"
CLI_HELP_JOB_NAME = (
    "weekly-reminder, weekly-digest, monthly-nudge hoặc monthly-digest (xem quizbot jobs list)"
)
CLI_HELP_WEEK = "tuần theo lịch ISO, dạng NĂM-WTUẦN, ví dụ 2024-W37"
CLI_HELP_MONTH = "tháng, dạng NĂM-THÁNG, ví dụ 2024-09"
CLI_HELP_OUTPUT = "tệp Excel sẽ ghi, ví dụ tuan37.xlsx (thư mục chứa nó phải có sẵn)"
CLI_HELP_USER_ID = "ID người dùng: số với Telegram, chuỗi chữ và số với Zalo"
CLI_HELP_PLATFORM = "telegram (mặc định) hoặc zalo"
# Each subcommand: one line saying what it does, and an example.
CLI_SUBCOMMANDS = {
    "init": (
        "tạo hoặc cập nhật cơ sở dữ liệu, nạp danh sách đơn vị và cuộc thi (chạy lại không sao)",
        "quizbot init",
    ),
    "run": (
        "chạy bot: Telegram và/hoặc Zalo theo token trong .env; không có token thì chạy trình "
        "mô phỏng console",
        "quizbot run --console",
    ),
    "units": ("in danh sách đơn vị theo cây cấp trên – cấp dưới", "quizbot units | less"),
    "jobs": (
        "các việc định kỳ: xem lịch (list) hoặc chạy ngay một lần (run)",
        "quizbot jobs list",
    ),
    "jobs list": (
        "lịch các việc định kỳ, lần chạy tới và lần chạy gần nhất (giờ địa phương)",
        "quizbot jobs list",
    ),
    "jobs run": (
        "chạy ngay một việc định kỳ, như thể vào thời điểm --at (giờ địa phương)",
        "quizbot jobs run weekly-reminder --at 2024-09-12T09:00",
    ),
    "export": (
        "xuất bảng số liệu Excel của một tuần hoặc một tháng",
        "quizbot export --week 2024-W37 -o tuan37.xlsx",
    ),
    "admins": (
        "xem, cấp hoặc thu hồi quyền quản trị (ngoài ADMIN_IDS và ZALO_ADMIN_IDS)",
        "quizbot admins list",
    ),
    "admins list": (
        "các quản trị viên của cả Telegram và Zalo, trong thiết lập và được cấp",
        "quizbot admins list",
    ),
    "admins grant": (
        "cấp quyền quản trị cho một người",
        "quizbot admins grant 123456789  (Zalo: quizbot admins grant a1b2c3 --platform zalo)",
    ),
    "admins revoke": (
        "thu hồi quyền quản trị đã cấp",
        "quizbot admins revoke 123456789",
    ),
}


def cli_usage_error(program: str, usage: str) -> str:
    hints = {
        "quizbot export": (
            "hãy chọn một kỳ: --week 2024-W37 hoặc --month 2024-09, và tệp -o TỆP.xlsx"
        ),
        "quizbot jobs run": "hãy ghi tên việc, ví dụ: quizbot jobs run weekly-reminder",
    }
    hint = hints.get(program, "thiếu hoặc sai tham số; xem quizbot --help")
    return f"Lỗi: lệnh «{program}» chưa đúng: {hint}.\n{usage}"


def cli_bad_settings(problem: str) -> str:
    return f"Cấu hình không hợp lệ: {problem}"


def cli_bad_units_file(problems: Sequence[str]) -> str:
    return "Tệp danh sách đơn vị có lỗi, chưa thay đổi gì:\n" + "\n".join(
        f"- {p}" for p in problems
    )


def cli_missing_file(path: str) -> str:
    return f"Không tìm thấy tệp {path}."


def cli_initialised(campaign: Campaign, counts: Mapping[str, int]) -> str:
    end = f" đến {full_date(campaign.end)}" if campaign.end else ""
    return (
        f"Đã cập nhật cơ sở dữ liệu. Đơn vị: {counts.get('added', 0)} thêm mới, "
        f"{counts.get('updated', 0)} cập nhật, {counts.get('unchanged', 0)} không đổi, "
        f"{counts.get('deactivated', 0)} ngừng theo dõi.\n"
        f"Cuộc thi: «{campaign.name}», từ {full_date(campaign.start)}{end}."
    )


KIND_NAMES = {
    UnitKind.DISTRICT: "quận",
    UnitKind.WARD: "phường",
    UnitKind.YOUTH_UNION: "đoàn thanh niên",
    UnitKind.PARTY_CELL: "chi bộ",
    UnitKind.PARTY_COMMITTEE: "đảng bộ",
    UnitKind.MASS_ORG: "đoàn thể",
    UnitKind.AGENCY: "cơ quan",
}


def cli_units_table(units: Sequence[tuple[int, Unit]]) -> str:
    lines = [f"{'Mã':<10} {'Chỉ tiêu/tuần':>13}  {'Loại':<16} Tên"]
    for depth, unit in units:
        state = "" if unit.active else "  (ngừng theo dõi)"
        lines.append(
            f"{unit.code:<10} {unit.weekly_quota:>13}  {KIND_NAMES[unit.kind]:<16} "
            f"{'  ' * depth}{unit.name}{state}"
        )
    return "\n".join(lines)


_PLATFORM_NAMES = {"telegram": "Telegram", "zalo": "Zalo"}
_ADMIN_SETTINGS = {"telegram": "ADMIN_IDS", "zalo": "ZALO_ADMIN_IDS"}


def cli_admins(
    configured: Mapping[str, Sequence[str]], granted: Mapping[str, Sequence[str]]
) -> str:
    lines = []
    for platform, name in _PLATFORM_NAMES.items():
        setting = _ADMIN_SETTINGS[platform]
        lines.append(f"{name}:")
        lines.append(f"  trong {setting}: {', '.join(configured.get(platform, [])) or '(chưa có)'}")
        lines.append(
            f"  được cấp trong cơ sở dữ liệu: {', '.join(granted.get(platform, [])) or '(chưa có)'}"
        )
    return "\n".join(lines)


def cli_bad_platform(platform: str, known: Sequence[str]) -> str:
    return f"Không có nền tảng «{platform}»; chọn một trong: {', '.join(known)}."


def cli_bad_user_id(user_id: str, platform: str) -> str:
    if platform == "telegram":
        return f"ID người dùng Telegram phải là số, không phải «{user_id}»."
    return (
        f"ID người dùng Zalo chỉ gồm chữ cái, chữ số, '-' và '_' (tối đa 64 ký tự), "
        f"không phải «{user_id}»."
    )


def cli_admin_changed(user_id: str, platform: str, *, grant: bool, changed: bool) -> str:
    who = f"{user_id} ({_PLATFORM_NAMES.get(platform, platform)})"
    if grant:
        return f"Đã cấp quyền quản trị cho {who}." if changed else f"{who} đã là quản trị viên."
    return (
        f"Đã thu hồi quyền quản trị của {who}."
        if changed
        else f"{who} không phải quản trị viên được cấp trong cơ sở dữ liệu."
    )


def cli_unknown_job(name: str) -> str:
    known = ", ".join(JOB_TITLES)
    return f"Không có việc định kỳ nào tên «{name}». Các việc: {known}."


def cli_no_folder(folder: str) -> str:
    return f"Không có thư mục «{folder}» để ghi tệp; hãy tạo thư mục trước hoặc chọn thư mục khác."


def cli_bad_week(text: str) -> str:
    return f"Tuần «{text}» không đúng dạng; dùng NĂM-WTUẦN theo lịch ISO, ví dụ --week 2024-W37."


def cli_bad_month(text: str) -> str:
    return f"Tháng «{text}» không đúng dạng; dùng NĂM-THÁNG, ví dụ --month 2024-09."


def cli_week_outside_campaign(week: Week, campaign: Campaign) -> str:
    return (
        f"{week_label(week)} nằm ngoài thời gian cuộc thi «{campaign.name}» "
        f"({_campaign_span(campaign)}); không có số liệu để xuất."
    )


def cli_month_outside_campaign(month: Month, campaign: Campaign) -> str:
    return (
        f"{month_label(month).capitalize()} không có tuần nào của cuộc thi «{campaign.name}» "
        f"({_campaign_span(campaign)}); không có số liệu để xuất."
    )


def _campaign_span(campaign: Campaign) -> str:
    end = f" đến {full_date(campaign.end)}" if campaign.end else ""
    return f"từ {full_date(campaign.start)}{end}"


# --- settings (operators; plain text)


def setting_not_whole_number(name: str, minimum: int, raw: str) -> str:
    return f"{name} phải là số nguyên ≥ {minimum}, không phải «{raw}»."


def setting_not_date(name: str, raw: str) -> str:
    return f"{name} phải là ngày dạng 2024-09-02, không phải «{raw}»."


def setting_bad_admin_ids(bad: Sequence[str]) -> str:
    return f"ADMIN_IDS là các ID số cách nhau bởi dấu phẩy; không phải số: {', '.join(bad)}."


def setting_bad_timezone(raw: str) -> str:
    return f"TIMEZONE «{raw}» không phải múi giờ hợp lệ (ví dụ: Asia/Ho_Chi_Minh)."


SETTING_CAMPAIGN_END_BEFORE_START = "CAMPAIGN_END đứng trước CAMPAIGN_START."


def setting_bad_cron(name: str, expression: str) -> str:
    return (
        f"{name}: «{expression}» không phải lịch cron hợp lệ (5 trường: phút giờ ngày tháng "
        "thứ; thứ viết bằng tên tiếng Anh mon…sun, ví dụ «0 9 * * thu»; nhiều lịch cách nhau "
        "bởi dấu chấm phẩy)."
    )


def setting_digest_before_cutoff(name: str, expression: str, late_grace: timedelta) -> str:
    return (
        f"{name}: lịch «{expression}» gửi bản tổng hợp tuần trước khi tuần trước khóa sổ "
        f"({cutoff_phrase(late_grace)}), nên số liệu trong bản tổng hợp chưa phải số cuối cùng. "
        "Hãy đặt lịch sau thời điểm khóa sổ, ví dụ «0 13 * * mon»."
    )


def setting_bad_zalo_admin_ids(values: Sequence[str]) -> str:
    return (
        "ZALO_ADMIN_IDS phải là các ID người dùng Zalo, cách nhau bằng dấu phẩy; không hợp lệ: "
        + ", ".join(f"«{value}»" for value in values)
    )


def setting_bad_public_url(value: str) -> str:
    return f"PUBLIC_BASE_URL phải là một địa chỉ bắt đầu bằng https://, không phải «{value}»."


SETTING_BAD_WEBHOOK_SECRET = "ZALO_WEBHOOK_SECRET phải dài từ 8 đến 256 ký tự."


def setting_bad_reminder_target(value: str) -> str:
    return (
        f"REMINDER_TARGET phải là group (nhóm của đơn vị, không có nhóm thì gửi riêng người "
        f"báo cáo), secretaries (gửi riêng người báo cáo) hoặc both (cả hai), "
        f"không phải «{value}»."
    )


def setting_bad_due_day(day: int) -> str:
    return f"MONTHLY_DUE_DAY phải từ 2 đến 28 (ngày có ở mọi tháng), không phải {day}."


# --- monthly reports

MONTHLY_USAGE = (
    "Hãy gửi báo cáo tháng kèm nội dung, ví dụ: /baocaothang Tháng 9 đơn vị đã vận động "
    "820 lượt dự thi…, hoặc gửi tệp báo cáo với chú thích /baocaothang."
)


def month_label(month: Month) -> str:
    return f"tháng {month.month}/{month.year}"


def due_label(due: datetime, tz: ZoneInfo) -> str:
    """The last day on time: the due day is the 20th, so 'hết ngày 19/09/2024'."""
    last_day = (due.astimezone(tz) - timedelta(days=1)).date()
    return f"hết ngày {full_date(last_day)}"


def monthly_too_long(limit: int) -> str:
    return (
        f"Nội dung báo cáo dài quá {number(limit)} ký tự. Hãy gửi báo cáo dạng tệp "
        "(Word, PDF…) với chú thích /baocaothang."
    )


def monthly_outside_campaign(campaign: Campaign) -> str:
    return f"Hiện không trong thời gian «{esc(campaign.name)}» nên không nhận báo cáo tháng."


def monthly_received(
    unit: Unit,
    month: Month,
    due: datetime,
    tz: ZoneInfo,
    *,
    on_time: bool,
    replaced: bool,
    file_name: str | None,
) -> str:
    attached = f", kèm tệp «{esc(file_name)}»" if file_name else ""
    lines = [f"✅ Đã nhận báo cáo {month_label(month)} của {unit_name(unit)}{attached}."]
    if on_time:
        lines.append(f"Đúng hạn (hạn gửi: {due_label(due, tz)}).")
    else:
        lines.append(f"⏰ Gửi muộn: hạn gửi là {due_label(due, tz)}.")
    if replaced:
        lines.append("<i>Báo cáo này thay cho báo cáo đã gửi trước đó trong tháng.</i>")
    return "\n".join(lines)


def joined_reminders(parts: Sequence[str]) -> str:
    """Reminders due at the same moment for one chat, sent as one message."""
    return "\n\n".join(parts)


def monthly_nudge(unit: Unit, month: Month, due: datetime, days_left: int, tz: ZoneInfo) -> str:
    when = "hôm nay là hạn cuối" if days_left <= 1 else f"còn {days_left} ngày, tính cả hôm nay"
    return "\n".join(
        [
            f"📝 <b>Nhắc báo cáo {month_label(month)}</b> — {unit_name(unit)}",
            f"Hạn gửi: {due_label(due, tz)} ({when}). Đơn vị chưa gửi báo cáo tháng này.",
            "Gửi /baocaothang kèm nội dung báo cáo, hoặc gửi tệp báo cáo với chú thích "
            "/baocaothang.",
        ]
    )


# --- subscriptions

UNSUBSCRIBED = "🔕 Cuộc trò chuyện này sẽ không nhận bản tổng hợp nữa."
NOT_SUBSCRIBED = "Cuộc trò chuyện này chưa đăng ký nhận bản tổng hợp."


def scope_name(scope: Unit | None) -> str:
    return unit_name(scope) + " và các đơn vị trực thuộc" if scope else "tất cả các đơn vị"


def subscribed(scope: Unit | None) -> str:
    return (
        f"🔔 Cuộc trò chuyện này sẽ nhận bản tổng hợp hằng tuần (kèm biểu đồ và tệp Excel) "
        f"và bản tổng hợp báo cáo tháng của {scope_name(scope)}. Gửi /huynhan để dừng."
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


def weeks_with_dates(weeks: Sequence[Week]) -> str:
    """`tuần 38–41 (16/09–13/10/2024)`, or `tuần 37 (09/09–15/09/2024)` for one week."""
    first, last = weeks[0], weeks[-1]
    numbers = f"{first.number}" if first == last else f"{first.number}–{last.number}"
    start = day_month(first.start) if first.start.year == last.end.year else full_date(first.start)
    return f"tuần {numbers} ({start}–{full_date(last.end)})"


# --- weekly reminder and digest


def weekly_reminder(
    standing: Standing,
    week: Week,
    below: SubUnitReport,
    metric: str,
    rank: Place | None = None,
) -> str:
    """`rank`: where the unit stands among the units of its kind."""
    unit, progress = standing.unit, standing.progress
    lines = [f"📣 <b>Nhắc nhở tiến độ tuần</b> — {unit_name(unit)}"]
    if not standing.figure.reported:
        this_week = week_label(week, mid_sentence=True)
        lines.append(
            f"Đơn vị <b>chưa báo cáo lượt dự thi nào</b> trong {this_week}; "
            f"chỉ tiêu tuần là {number(progress.quota)} lượt."
        )
        lines.append(progress_lines(week, progress, metric)[-1])
    else:
        lines.extend(standing_lines(week, standing, metric))
    if rank is not None and rank.out_of > 1:
        lines.append(place_sentence(rank))
    if below.silent:
        codes = ", ".join(f"{esc(u.name)} ({esc(u.code)})" for u in below.silent)
        lines.append(
            f"Các {standing.sub_unit_noun} trực thuộc chưa báo cáo "
            f"({len(below.silent)}/{below.count}): {codes}."
        )
    if not standing.figure.reported:
        lines.append(
            "Nếu đã có kết quả, đề nghị đồng chí báo cáo ngay bằng /bc N hoặc nhắn «thêm N lượt»."
        )
    else:
        lines.append(
            "Đề nghị đồng chí tiếp tục động viên để đơn vị hoàn thành chỉ tiêu; báo cáo thêm "
            "bằng /bc N hoặc nhắn «thêm N lượt»."
        )
    return "\n".join(lines)


# What a unit of a kind is called inside a phrase («toàn quận», «toàn phường»).
KIND_WORDS = {UnitKind.DISTRICT: "quận", UnitKind.WARD: "phường"}

KIND_PLURALS = {
    UnitKind.WARD: "phường",
    UnitKind.PARTY_COMMITTEE: "đảng bộ, chi bộ trực thuộc",
    UnitKind.PARTY_CELL: "chi bộ",
    UnitKind.YOUTH_UNION: "đoàn thanh niên",
    UnitKind.MASS_ORG: "đoàn thể",
    UnitKind.AGENCY: "cơ quan",
    UnitKind.DISTRICT: "quận",
}


DIGEST_EXTRA_COLUMNS = (Column("Số tuần liên tiếp chưa đạt", "int", 14),)


def digest_extra_values(line: DigestLine) -> tuple[int | None]:
    return (line.missed_weeks if line.unit.weekly_quota > 0 else None,)


_DIGEST_HEADINGS = {
    0: "⚠️ <b>Chưa đạt</b>",
    1: "❌ <b>Chưa báo cáo</b>",
    2: "✅ <b>Đạt chỉ tiêu</b>",
    3: "ℹ️ <b>Không giao chỉ tiêu</b>",
}
# How many units the escalation list names below the top level before it points to the file.
_STREAK_SUB_UNITS = 20


def weekly_digest(digest: WeeklyDigest, metric: str, budget: int) -> str:
    """The tree of the scope: its top-level units grouped behind, not reported, met, each
    with its sub-units. When that is longer than `budget`, each unit's sub-units shrink to
    one line; when even that is too long, the list stops and points to the spreadsheet.
    The escalation list names every top-level unit behind two weeks or more, always."""
    branches = digest.branches
    tops = [branch.line for branch in branches]
    with_quota = [line for line in tops if line.unit.weekly_quota > 0]
    met = sum(1 for line in with_quota if line.standing == "met")
    behind = sum(1 for line in with_quota if line.standing == "behind")
    silent = sum(1 for line in with_quota if line.standing == "silent")
    total, quota = digest.total, digest.quota
    share = f" (bằng {whole_percent(total, quota)}% tổng chỉ tiêu {number(quota)})" if quota else ""
    head = [
        f"📊 <b>Tổng hợp {week_label(digest.week, mid_sentence=True)}</b>",
        f"Phạm vi: {scope_name(digest.scope)}.",
        f"Tổng: <b>{number(total)}</b> {esc(metric)}{share}.",
        f"Đạt chỉ tiêu: {met}/{len(with_quota)} đơn vị · Chưa đạt: {behind} · "
        f"Chưa báo cáo: {silent}",
    ]
    if not any(line.reported for line in digest.lines):
        head.append("Trong tuần chưa có đơn vị nào báo cáo.")
    streaks = _streak_lines(digest)
    tail = ["", "<i>Biểu đồ và bảng số liệu (Excel) gửi kèm.</i>"]
    fixed = len("\n".join([*head, *streaks, *tail])) + 2
    for detailed in (True, False):
        body = _digest_tree(branches, detailed=detailed)
        if fixed + len("\n".join(body)) <= budget:
            return "\n".join([*head, *streaks, *body, *tail])
    body = _digest_tree(branches, detailed=False)
    kept: list[str] = []
    room = budget - fixed - 200  # the closing line
    for line in body:
        if len(line) + 1 > room:
            break
        kept.append(line)
        room -= len(line) + 1
    left = sum(1 for line in body[len(kept) :] if line.startswith("• "))
    kept.append(f"… và {number(left)} đơn vị khác: xem đầy đủ trong tệp Excel đính kèm.")
    return "\n".join([*head, *streaks, *kept, *tail])


def _digest_tree(branches: Sequence[DigestBranch], *, detailed: bool) -> list[str]:
    lines: list[str] = []
    group = None
    for branch in branches:
        if branch.line.level_group != group:
            group = branch.line.level_group
            lines += ["", _DIGEST_HEADINGS[group]]
        lines.append(
            f"• {esc(branch.line.unit.name)} ({esc(branch.line.unit.code)}) — "
            f"{_digest_figures(branch.line)}"
        )
        if not branch.sub_units:
            continue
        if detailed:
            lines += [
                f"    ◦ {esc(line.unit.name)} ({esc(line.unit.code)}) — {_digest_figures(line)}"
                for line in branch.sub_units
            ]
            continue
        silent = [line.unit for line in branch.sub_units if not line.reported]
        count = len(branch.sub_units)
        text = f"    ↳ {count - len(silent)}/{count} {branch.noun} trực thuộc đã báo cáo"
        if silent:
            text += "; chưa báo cáo: " + ", ".join(esc(unit.code) for unit in silent)
        lines.append(text)
    return lines


def _streak_lines(digest: WeeklyDigest) -> list[str]:
    tops = [branch.line for branch in digest.branches if branch.line.missed_weeks >= 2]
    below = [
        line for branch in digest.branches for line in branch.sub_units if line.missed_weeks >= 2
    ]
    if not tops and not below:
        return []

    def entry(line: DigestLine) -> str:
        return f"• {esc(line.unit.name)} ({esc(line.unit.code)}) — {line.missed_weeks} tuần"

    def by_streak(lines: list[DigestLine]) -> list[DigestLine]:
        return sorted(lines, key=lambda line: (-line.missed_weeks, vietnamese_key(line.unit.name)))

    found = ["", "🔁 <b>Chưa đạt chỉ tiêu từ 2 tuần liên tiếp trở lên</b>"]
    found += [entry(line) for line in by_streak(tops)]
    shown = by_streak(below)[:_STREAK_SUB_UNITS]
    found += [f"    ◦ {entry(line)[2:]}" for line in shown]
    if len(below) > len(shown):
        found.append(
            f"    … và {number(len(below) - len(shown))} đơn vị trực thuộc khác (xem tệp Excel)."
        )
    return found


def _digest_figures(line: DigestLine) -> str:
    quota = line.unit.weekly_quota
    if quota == 0:
        return f"{number(line.total)} lượt" if line.reported else "chưa báo cáo"
    return f"{number(line.total)}/{number(quota)} ({whole_percent(line.total, quota)}%)"


CHART_AXIS = "% chỉ tiêu tuần"
CHART_COUNT_AXIS = "Số lượt dự thi trong tuần"
CHART_SHARE_LEGEND = (("met", "Đạt chỉ tiêu"), ("behind", "Chưa đạt"), ("silent", "Chưa báo cáo"))
CHART_COUNT_LEGEND = (("reported", "Đã báo cáo"), ("silent", "Chưa báo cáo"))
# Characters per line of a unit's name beside its bar; words are never cut.
CHART_LABEL_WIDTH = 30


def chart_label(unit: Unit) -> str:
    words = f"{unit.name} ({unit.code})"
    return "\n".join(
        textwrap.wrap(words, CHART_LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)
    )


def chart_share_value(total: int, quota: int) -> str:
    return f"{number(total)}/{number(quota)} ({whole_percent(total, quota)}%)"


def chart_count_value(total: int, *, reported: bool) -> str:
    return f"{number(total)} lượt" if reported else "chưa báo cáo"


def chart_file(week: Week) -> str:
    return f"quizbot-bieu-do-{week.iso}.png"


def chart_title(
    campaign: str, scope: Unit | None, week: Week, *, counts: bool, lowest_only: int = 0
) -> str:
    """Campaign, scope and week; `lowest_only`: how many bars, when only the lowest are shown."""
    whom = f"{scope.name} ({scope.code})" if scope else "Tất cả các đơn vị"
    if lowest_only:
        whom += f" — {lowest_only} đơn vị có tỷ lệ thấp nhất"
    what = "số lượt dự thi của các đơn vị trực thuộc" if counts else "tỷ lệ hoàn thành chỉ tiêu"
    lines = [
        *textwrap.wrap(campaign, 90, break_long_words=False),
        *textwrap.wrap(whom, 90, break_long_words=False),
        f"{week_label(week)}: {what}",
    ]
    return "\n".join(lines)


# --- monthly digest

MONTHLY_EXTRA_COLUMNS = (
    Column("Báo cáo tháng", "text", 14),
    Column("Thời điểm gửi", "text", 18),
    Column("Tệp đính kèm", "text", 24),
    Column("Nội dung báo cáo", "text", 60),
)


def monthly_extra_values(line: MonthlyLine, tz: ZoneInfo) -> tuple[str, str, str, str]:
    submission = line.submission
    if submission is None:
        return ("Chưa gửi", "", "", "")
    sent = submission.submitted_at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    status = "Đúng hạn" if line.on_time else "Muộn"
    return (status, sent, submission.file_name or "", submission.text)


# How much of each report's text the monthly digest quotes, longest first, as room allows.
_EXCERPTS = (240, 100, 0)


def monthly_digest(digest: MonthlyDigest, tz: ZoneInfo, metric: str, budget: int) -> str:
    """On time, late, missing; under each report that came in, the start of its text and
    how to read it whole. Quotes shrink, then the lists stop, to stay within `budget`."""
    on_time = [line for line in digest.lines if line.on_time]
    late = [line for line in digest.lines if line.submission and not line.on_time]
    missing = [line for line in digest.lines if line.submission is None]
    head = [
        f"🗓 <b>Báo cáo {month_label(digest.month)}</b>",
        f"Phạm vi: {scope_name(digest.scope)}. Hạn gửi: {due_label(digest.due, tz)}.",
        f"Đúng hạn: {len(on_time)} · Muộn: {len(late)} · Chưa gửi: {len(missing)} "
        f"(trên {len(digest.lines)} đơn vị)",
    ]
    if digest.weeks:
        head.append(
            f"Tổng {esc(metric)} {weeks_with_dates(digest.weeks)}: "
            f"<b>{number(digest.month_total)}</b>."
        )
    else:
        head.append("Không có tuần nào kết thúc kể từ bản tổng hợp tháng trước.")
    tail = [
        "",
        "<i>Đọc toàn văn một báo cáo: /xembaocao MÃ. Bảng số liệu tháng (Excel, có cột nội "
        "dung báo cáo) gửi kèm; tệp các đơn vị đã gửi được chuyển tiếp ngay sau đây.</i>",
    ]
    # What needs action first, as in the weekly digest.
    groups = [
        ("❌ <b>Chưa gửi</b>", missing),
        ("⏰ <b>Gửi muộn</b>", late),
        ("✅ <b>Đúng hạn</b>", on_time),
    ]
    fixed = len("\n".join([*head, *tail])) + 2
    body: list[str] = []
    for excerpt in _EXCERPTS:
        body = []
        for heading, members in groups:
            if members:
                body += ["", heading]
                for line in members:
                    body += _monthly_entry(line, tz, excerpt)
        if fixed + len("\n".join(body)) <= budget:
            return "\n".join([*head, *body, *tail])
    kept: list[str] = []
    room = budget - fixed - 200
    for entry in body:
        if len(entry) + 1 > room:
            break
        kept.append(entry)
        room -= len(entry) + 1
    left = sum(1 for entry in body[len(kept) :] if entry.startswith("• "))
    kept.append(f"… và {number(left)} đơn vị khác: xem đầy đủ trong tệp Excel đính kèm.")
    return "\n".join([*head, *kept, *tail])


def _monthly_entry(line: MonthlyLine, tz: ZoneInfo, excerpt: int) -> list[str]:
    head = f"• {esc(line.unit.name)} ({esc(line.unit.code)})"
    submission = line.submission
    if submission is None:
        return [f"{head} · {number(line.month_total)} lượt"]
    sent = submission.submitted_at.astimezone(tz).strftime("%d/%m %H:%M")
    head += f" — gửi {sent} · {number(line.month_total)} lượt"
    if submission.file_name:
        head += f" · kèm tệp «{esc(submission.file_name)}»"
    quoted = " ".join(submission.text.split())
    if not excerpt or not quoted:
        return [head]
    if len(quoted) > excerpt:
        cut = quoted[:excerpt].rsplit(" ", 1)[0]
        quoted = f"{cut}… (/xembaocao {line.unit.code})"
    return [head, f"    «{esc(quoted)}»"]


READ_REPORT_USAGE = (
    "Cách dùng: /xembaocao kèm mã đơn vị, ví dụ /xembaocao KM (tháng này) hoặc "
    "/xembaocao KM thang 9."
)
READ_REPORT_NOT_ALLOWED = (
    "Đồng chí chỉ xem được báo cáo tháng của đơn vị mình và các đơn vị trực thuộc "
    "(quản trị viên và cuộc trò chuyện nhận bản tổng hợp xem được các đơn vị trong phạm vi)."
)


def no_monthly_report(unit: Unit, month: Month) -> str:
    return f"{unit_name(unit)} chưa gửi báo cáo {month_label(month)}."


def monthly_report_in_full(
    unit: Unit, month: Month, submission: Submission, due: datetime, tz: ZoneInfo
) -> str:
    sent = submission.submitted_at.astimezone(tz).strftime("%H:%M ngày %d/%m/%Y")
    timing = "đúng hạn" if submission.submitted_at < due else "muộn"
    lines = [
        f"🗓 <b>Báo cáo {month_label(month)}</b> — {unit_name(unit)}",
        f"Gửi lúc {sent} ({timing}), người gửi: {person_name(submission.submitter)}.",
    ]
    if submission.file_name:
        lines.append(f"Tệp đính kèm: «{esc(submission.file_name)}».")
    lines += ["", esc(submission.text) if submission.text else "<i>(Báo cáo chỉ có tệp.)</i>"]
    return "\n".join(lines)


def report_file_caption(unit: Unit, month: Month) -> str:
    return f"📎 Báo cáo {month_label(month)} — {unit_name(unit)}"


# --- jobs and export on the command line (operators; plain text)

CLI_HELP_AT = "chạy như thể vào lúc này (giờ địa phương), ví dụ 2024-09-12T09:00"
JOB_TITLES = {
    "weekly-reminder": "Nhắc đơn vị chưa đạt chỉ tiêu tuần",
    "weekly-digest": "Tổng hợp tuần cho cán bộ (kèm biểu đồ, Excel)",
    "monthly-nudge": "Nhắc gửi báo cáo tháng",
    "monthly-digest": "Tổng hợp báo cáo tháng (kèm Excel)",
}


def cli_bad_time(text: str) -> str:
    return (
        f"Thời điểm «{text}» không đúng dạng; dùng NĂM-THÁNG-NGÀYTGIỜ:PHÚT theo giờ địa "
        "phương, ví dụ --at 2024-09-12T09:00."
    )


def cli_jobs_table(
    planned: Sequence[tuple[str, str, datetime | None]],
    last_runs: Mapping[str, tuple[datetime, str]],
    tz: ZoneInfo,
    uncertain: int = 0,
    budgets: Sequence[BudgetUsage] = (),
) -> str:
    lines = [f"{'Việc':<16} {'Lịch (cron)':<18} {'Lần chạy tới':<18} Lần chạy gần nhất"]
    if uncertain:
        lines.insert(0, uncertain_sends_line(uncertain))
    for job, cron, next_run in planned:
        upcoming = local_moment(next_run, tz) if next_run else "—"
        last = "—"
        if job in last_runs:
            slot, state = last_runs[job]
            last = f"{local_moment(slot, tz)} ({_RUN_STATES.get(state, state)})"
        lines.append(f"{job:<16} {cron:<18} {upcoming:<18} {last}")
    lines.append("")
    lines += [f"{job}: {title}" for job, title in JOB_TITLES.items()]
    if budgets:
        lines += ["", *(budget_line(usage) for usage in budgets)]
    return "\n".join(lines)


_RUN_STATES = {"planning": "đang lập", "planned": "đang gửi", "done": "xong"}


def uncertain_sends_line(count: int) -> str:
    return (
        f"⚠️ {count} tin nhắn không rõ đã đến người nhận hay chưa (mất kết nối khi đang gửi); "
        "bot không gửi lại để tránh gửi trùng. Nếu cần, hãy hỏi lại người nhận.\n"
    )


# At most this many uncertain sends are named one by one in a notice.
ABANDONED_LISTED = 20


def abandoned_sends_for_admins(sends: Sequence[tuple[str, str]]) -> str:
    """(chat id, first line of the message) of each send caught in flight."""
    lines = [
        f"⚠️ <b>{len(sends)} tin nhắn không rõ đã đến người nhận hay chưa</b>: chúng đang được "
        "gửi thì tiến trình gửi dừng lại (đổi tiến trình điều phối, hoặc một lần chạy bị ngắt "
        "giữa chừng). Bot không gửi lại để tránh gửi trùng; nếu cần, đồng chí hỏi lại người "
        "nhận:"
    ]
    for chat_id, first_line in sends[:ABANDONED_LISTED]:
        shown = first_line if len(first_line) <= 80 else first_line[:79] + "…"
        what = f"«{esc(plain_line(shown))}»" if shown else "(tệp đính kèm)"
        lines.append(f"• {console_chat_label(chat_id)}: {what}")
    if len(sends) > ABANDONED_LISTED:
        lines.append(f"… và {len(sends) - ABANDONED_LISTED} tin khác (quizbot jobs list).")
    return "\n".join(lines)


def plain_line(text: str) -> str:
    """A stored message's line without its markup (it is quoted inside another message)."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", text))


def uncertain_sends_for_admins(job: str, period: str, count: int) -> str:
    title = JOB_TITLES.get(job, job)
    return (
        f"⚠️ <b>{esc(title)}</b> (kỳ {esc(period)}): {count} tin nhắn không rõ đã đến người "
        "nhận hay chưa vì mất kết nối khi đang gửi. Bot không gửi lại để tránh gửi trùng; "
        "xem danh sách bằng lệnh «quizbot jobs list» trên máy chủ."
    )


def local_moment(value: datetime, tz: ZoneInfo) -> str:
    """`21/09/2024 15:00`, in the campaign's time zone."""
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def cli_job_report(
    job: str,
    slot: datetime,
    tz: ZoneInfo,
    planned_now: bool,
    queued: int,
    outcome: Mapping[str, int],
) -> str:
    title = f"{JOB_TITLES.get(job, job)} ({job}), lượt chạy {local_moment(slot, tz)}"
    head = (
        f"{title}: đã xếp {queued} tin nhắn vào hàng gửi."
        if planned_now
        else f"{title}: lượt này đã chạy trước đó, không lặp lại; gửi tiếp phần còn chờ."
    )
    return (
        f"{head} Đã gửi {outcome.get('sent', 0)} tin; {outcome.get('gone', 0)} tin không gửi "
        "được vì người nhận đã chặn bot hoặc nhóm đã giải tán; "
        f"{outcome.get('uncertain', 0)} tin không rõ đã đến chưa (không gửi lại); "
        f"{outcome.get('postponed', 0)} tin hẹn gửi lại sau; {outcome.get('failed', 0)} tin lỗi."
    )


def cli_exported(path: str, units: int) -> str:
    return f"Đã ghi {path} ({units} đơn vị)."


# --- console controls for jobs

CONSOLE_JOB_USAGE = "Cách dùng: :job TÊN, với TÊN là một trong: " + ", ".join(JOB_TITLES)


def console_jobs(planned: Sequence[tuple[str, str, datetime | None]], tz: ZoneInfo) -> str:
    lines = ["Các việc định kỳ (giờ của trình mô phỏng):"]
    for job, cron, next_run in planned:
        upcoming = moment(next_run, tz) if next_run else "—"
        lines.append(f"  {job:<16} {cron:<18} lần tới: {upcoming}")
    return "\n".join(lines)


def console_job_ran(job: str, period: str, planned_now: bool, queued: int) -> str:
    if not planned_now:
        return f"({job}, kỳ {period}: đã chạy trước đó, không chạy lại.)"
    return f"({job}, kỳ {period}: {queued} tin nhắn.)"


CONSOLE_FILE_USAGE = (
    "Cách dùng: :file TÊN_TỆP CHÚ_THÍCH, ví dụ :file baocao-thang9.pdf /baocaothang"
)
