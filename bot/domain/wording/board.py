"""The board (officials, in chat and in the browser): its links, and the words of its pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.model.entities import Unit
from bot.domain.wording.common import moment, scope_name

BOARD_NOT_ALLOWED = (
    "⛔ Bảng tin dành cho quản trị viên, người báo cáo của đơn vị và các nhóm nhận bản tổng hợp. "
    "Đồng chí đăng ký báo cáo cho đơn vị (/dangky MÃ) rồi gửi lại /bangtin."
)
BOARD_NEEDS_ADDRESS = (
    "Bảng tin cần địa chỉ web công khai của bot: quản trị kỹ thuật đặt PUBLIC_BASE_URL "
    "(ví dụ https://quizbot.example.vn) rồi khởi động lại bot."
)
BOARD_LINK_SENT_PRIVATELY = (
    "🔒 Đường dẫn bảng tin đã gửi riêng cho đồng chí (đường dẫn là bí mật, không gửi vào nhóm)."
)


def board_link(url: str, scope: Unit | None, expires: datetime, tz: ZoneInfo) -> str:
    return "\n".join(
        [
            f"📊 <b>Bảng tin</b> của {scope_name(scope)}: {url}",
            f"Đường dẫn dùng được đến {moment(expires, tz)}; đừng chuyển cho người khác. "
            "Hủy mọi đường dẫn đã nhận: /huybangtin.",
        ]
    )


def board_links_revoked(count: int) -> str:
    if count == 0:
        return "Đồng chí không có đường dẫn bảng tin nào còn hiệu lực."
    return f"✅ Đã hủy {count} đường dẫn bảng tin; gửi /bangtin để nhận đường dẫn mới."


BOARD_MENU_BUTTON = "Bảng tin"

# --- pages

PAGE_TITLE = "Bảng tin tiến độ"
LINK_REFUSED = (
    "Đường dẫn này không còn hiệu lực (sai, hết hạn hoặc đã bị hủy). "
    "Gửi /bangtin cho bot để nhận đường dẫn mới."
)
NOT_SIGNED_IN = "Chưa mở bảng tin. Gửi /bangtin cho bot để nhận đường dẫn."
OUTSIDE_SCOPE = "Đơn vị này không thuộc phạm vi bảng tin của đồng chí."
GROUP_TITLES = {
    0: "Chưa đạt chỉ tiêu",
    1: "Chưa báo cáo",
    2: "Đạt chỉ tiêu",
    3: "Không giao chỉ tiêu",
}
NO_DATA = "chưa có số liệu"
ACTIONS = {"edit": "sửa", "void": "hủy", "restore": "khôi phục"}


def console_board(url: str) -> str:
    return f"Bảng tin (trên máy này) cho người dùng hiện tại: {url}"
