"""The console simulator and the unit table's checks (operators; plain text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.model.entities import (
    Person,
)

if TYPE_CHECKING:
    pass
from bot.domain.wording.common import JOB_TITLES, moment, number

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
        "  :board                đường dẫn bảng tin trên web (máy này) của người dùng hiện tại",
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
