"""What admins and group members read: status, the unit list, help lines, subscriptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.domain.model.commands import COMMAND_TABLE, Audience, help_lines, menu
from bot.domain.model.entities import (
    Campaign,
    Figure,
    Person,
    Unit,
    UnitKind,
    UnitWeekTotal,
)
from bot.domain.model.messages import Column
from bot.domain.model.progress import Standing, places, whole_percent
from bot.domain.model.weeks import Month, Week

if TYPE_CHECKING:
    from bot.domain.model.views import SubUnitReport
from bot.domain.wording.common import (
    KIND_WORDS,
    NOT_REGISTERED,
    esc,
    full_date,
    month_label,
    number,
    person_name,
    scope_name,
    standing_line,
    standing_lines,
    standing_lines_ranked,
    unit_name,
    week_label,
    weeks_with_dates,
)

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
    "board": "/bangtin — đường dẫn bảng tin tiến độ trên web (/huybangtin: hủy các đường dẫn)",
    "campaign": "/cuocthi — cuộc thi đang diễn ra (hoặc sắp diễn ra) và cuộc thi tiếp theo",
    "announce": (
        "/thongbao [MÃ] nội dung — gửi thông báo (kèm ảnh hoặc tệp nếu có) tới mọi nhóm và "
        "người báo cáo của đơn vị và các đơn vị trực thuộc"
    ),
    "invite": (
        "/moi MÃ [N] — tạo mã mời cho đơn vị (N người dùng, mặc định 3): người nhận đăng ký "
        "ngay, không cần duyệt; /huymoi MÃ_MỜI — hủy mã mời"
    ),
    "grant": (
        "/capquyen ID MÃ, /thuhoiquyen ID — giao hoặc thu hồi quyền quản trị một đơn vị và "
        "các đơn vị trực thuộc (quản trị viên cấp quận)"
    ),
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
    "bangtin": "Bảng tin tiến độ trên web",
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


# --- subscriptions

UNSUBSCRIBED = "🔕 Cuộc trò chuyện này sẽ không nhận bản tổng hợp nữa."
NOT_SUBSCRIBED = "Cuộc trò chuyện này chưa đăng ký nhận bản tổng hợp."


def subscribed(scope: Unit | None) -> str:
    return (
        f"🔔 Cuộc trò chuyện này sẽ nhận bản tổng hợp hằng tuần (kèm biểu đồ và tệp Excel) "
        f"và bản tổng hợp báo cáo tháng của {scope_name(scope)}. Gửi /huynhan để dừng."
    )
