"""What only one platform's chats are told (Zalo: files by link, no buttons)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.model.entities import (
    Campaign,
)

if TYPE_CHECKING:
    pass
from bot.domain.wording.common import esc, full_date, moment

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
