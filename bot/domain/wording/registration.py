"""Registration, approval, the help's who-you-are, and monthly reports (secretaries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.model.entities import (
    Campaign,
    Person,
    Unit,
)
from bot.domain.model.weeks import Month

if TYPE_CHECKING:
    pass
from bot.domain.wording.common import due_label, esc, month_label, number, person_name, unit_name

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


# --- monthly reports

MONTHLY_USAGE = (
    "Hãy gửi báo cáo tháng kèm nội dung, ví dụ: /baocaothang Tháng 9 đơn vị đã vận động "
    "820 lượt dự thi…, hoặc gửi tệp báo cáo với chú thích /baocaothang."
)


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
