"""The command line and the settings (operators; plain text)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.model.entities import (
    BudgetUsage,
    Campaign,
    Unit,
    UnitKind,
)
from bot.domain.model.weeks import Month, Week

if TYPE_CHECKING:
    pass
from bot.domain.wording.common import (
    JOB_TITLES,
    budget_line,
    console_chat_label,
    cutoff_phrase,
    esc,
    full_date,
    month_label,
    week_label,
)

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
    "units": (
        "in danh sách đơn vị theo cây cấp trên – cấp dưới (--missing: đơn vị chưa có người "
        "báo cáo)",
        "quizbot units --missing",
    ),
    "invite": (
        "tạo mã mời và thẻ mời in được (mã QR) cho một đơn vị, mọi đơn vị hoặc các đơn vị "
        "chưa có người báo cáo",
        "quizbot invite --missing --out the-moi",
    ),
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
    "campaign": (
        "các cuộc thi: tạo (new), xem (list), kết thúc (end)",
        "quizbot campaign list",
    ),
    "campaign new": (
        "tạo cuộc thi mới (mỗi lúc một cuộc thi; cuộc thi sắp diễn ra tự bắt đầu vào ngày của nó)",
        'quizbot campaign new --name "Cuộc thi 2027" --start 2027-03-01 --end 2027-05-31',
    ),
    "campaign list": ("các cuộc thi, thời gian và trạng thái", "quizbot campaign list"),
    "campaign end": (
        "kết thúc cuộc thi đang diễn ra từ hôm nay (dừng nhắc nhở; gửi bản tổng kết)",
        "quizbot campaign end",
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
        "cấp quyền quản trị cho một người: toàn quận, hoặc một đơn vị và các đơn vị trực thuộc",
        "quizbot admins grant 123456789 --unit KM  (Zalo: thêm --platform zalo)",
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
    units = (
        f"Đã cập nhật cơ sở dữ liệu. Đơn vị: {counts.get('added', 0)} thêm mới, "
        f"{counts.get('updated', 0)} cập nhật, {counts.get('unchanged', 0)} không đổi, "
        f"{counts.get('deactivated', 0)} ngừng theo dõi.\n"
    )
    if not campaign.exists:
        return units + (
            "Chưa có cuộc thi nào (CAMPAIGN_START chưa đặt): tạo bằng «quizbot campaign new "
            '--name "…" --start NĂM-THÁNG-NGÀY --end NĂM-THÁNG-NGÀY».'
        )
    end = f" đến {full_date(campaign.end)}" if campaign.end else ""
    return units + f"Cuộc thi: «{campaign.name}», từ {full_date(campaign.start)}{end}."


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


CLI_HELP_UNIT = "mã đơn vị: quyền quản trị đơn vị đó và các đơn vị trực thuộc (mặc định: toàn quận)"


def cli_unknown_unit(code: str) -> str:
    return f"Không có đơn vị đang theo dõi nào mã «{code}» (xem «quizbot units»)."


CLI_HELP_MISSING = "chỉ in các đơn vị chưa có người báo cáo (chưa có bí thư/thư ký, chưa gắn nhóm)"


def cli_missing_units(units: Sequence[Unit], parents: Mapping[str, Unit]) -> str:
    """The units nobody reports for, top-level first, each with the unit it belongs to."""
    if not units:
        return "Đơn vị nào cũng đã có người báo cáo."
    lines = [f"Chưa có người báo cáo: {len(units)} đơn vị", f"{'Mã':<10} {'Thuộc':<10} Tên"]
    for unit in units:
        parent = parents.get(unit.parent or "")
        lines.append(f"{unit.code:<10} {parent.code if parent else '':<10} {unit.name}")
    return "\n".join(lines)


_PLATFORM_NAMES = {"telegram": "Telegram", "zalo": "Zalo"}
_ADMIN_SETTINGS = {"telegram": "ADMIN_IDS", "zalo": "ZALO_ADMIN_IDS"}


def cli_admins(
    configured: Mapping[str, Sequence[str]],
    granted: Mapping[str, Sequence[tuple[str, Unit | None]]],
) -> str:
    """Each platform's admins: those in the settings (the whole district), then those
    granted in the database, each with their scope."""
    lines = []
    for platform, name in _PLATFORM_NAMES.items():
        setting = _ADMIN_SETTINGS[platform]
        lines.append(f"{name}:")
        named = ", ".join(configured.get(platform, [])) or "(chưa có)"
        lines.append(f"  trong {setting} (toàn quận): {named}")
        grants = granted.get(platform, [])
        lines.append(f"  được cấp trong cơ sở dữ liệu:{'' if grants else ' (chưa có)'}")
        for user_id, unit in grants:
            scope = f"{unit.code} — {unit.name} và các đơn vị trực thuộc" if unit else "toàn quận"
            lines.append(f"    {user_id}: {scope}")
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


def cli_admin_changed(
    user_id: str, platform: str, *, grant: bool, changed: bool, unit: Unit | None = None
) -> str:
    who = f"{user_id} ({_PLATFORM_NAMES.get(platform, platform)})"
    scope = f"{unit.code} — {unit.name} và các đơn vị trực thuộc" if unit else "toàn quận"
    if grant:
        if changed:
            return f"Đã cấp quyền quản trị cho {who}: {scope}."
        return f"{who} đã là quản trị viên ({scope})."
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


# --- jobs and export on the command line (operators; plain text)

CLI_HELP_AT = "chạy như thể vào lúc này (giờ địa phương), ví dụ 2024-09-12T09:00"


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
