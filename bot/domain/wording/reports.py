"""What a secretary is told about a report: booked, revised, held, asked, refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.model.entities import (
    Campaign,
    Figure,
    Person,
    ReportMode,
    Unit,
    UnitWeekTotal,
)
from bot.domain.model.progress import Standing
from bot.domain.model.weeks import Week
from bot.domain.reading.parsing import ParseProblem

if TYPE_CHECKING:
    pass
from bot.domain.wording.common import (
    cutoff_phrase,
    esc,
    full_date,
    moment,
    number,
    person_name,
    standing_lines,
    unit_name,
    week_label,
)

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
