"""Rolling the bot out (admins and the people they bring in): units nobody reports for,
follow-up requests to the unit above, invitations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.model.entities import (
    Announcement,
    ChatRef,
    Invitation,
    Membership,
    MembershipStatus,
    Person,
    Unit,
    UnitKind,
)
from bot.domain.model.messages import Column
from bot.domain.model.weeks import Month
from bot.domain.wording.common import (
    PLATFORM_NAMES,
    esc,
    moment,
    month_label,
    number,
    person_name,
    scope_name,
    unit_name,
)

# A chat message names at most this many units nobody reports for; the rest are counted.
MISSING_NAMED = 30


def no_reporter_section(units: Sequence[Unit], parents: Mapping[str, Unit]) -> str:
    """`Chưa có người báo cáo: N đơn vị`, then the units (top-level first), each below the
    top level with the unit it belongs to."""
    lines = [f"👤 <b>Chưa có người báo cáo: {number(len(units))} đơn vị</b>"]
    for unit in units[:MISSING_NAMED]:
        parent = parents.get(unit.parent or "")
        # The district's own units need no "thuộc quận".
        shown = parent is not None and parent.kind is not UnitKind.DISTRICT
        under = f" — thuộc {esc(parent.name)}" if shown and parent else ""
        lines.append(f"• {esc(unit.name)} ({esc(unit.code)}){under}")
    if len(units) > MISSING_NAMED:
        lines.append(f"… và {number(len(units) - MISSING_NAMED)} đơn vị khác.")
    lines.append(
        "Các đơn vị này chưa có bí thư/thư ký đăng ký và chưa có nhóm chat gắn với bot; "
        "tạo mã mời bằng /moi MÃ để người phụ trách tham gia."
    )
    return "\n".join(lines)


def no_reporter_follow_up(unit: Unit, gist: str) -> str:
    """One unit nobody reports for, told to the unit above it."""
    return f"• {unit_name(unit)} chưa có người báo cáo; đồng chí đôn đốc giúp: {gist}."


def no_reporter_follow_ups(lines: Sequence[str]) -> str:
    return "\n".join(
        [
            "👥 <b>Đơn vị trực thuộc chưa có người báo cáo</b>",
            *lines,
            "Người phụ trách đơn vị có thể đăng ký với bot bằng /dangky kèm mã đơn vị, "
            "hoặc bằng mã mời của quản trị viên.",
        ]
    )


def weekly_gist(total: int, quota: int) -> str:
    if total == 0:
        return f"tuần này chưa báo cáo lượt dự thi nào, chỉ tiêu {number(quota)} lượt"
    return f"tuần này mới đạt {number(total)}/{number(quota)} lượt"


def monthly_gist(month: Month) -> str:
    return f"chưa gửi báo cáo {month_label(month)}"


# --- ward admins (rights over one unit and everything below it)


def outside_admin_scope(unit: Unit | None, scope: Unit | None) -> str:
    """A unit admin acting outside their subtree."""
    where = unit_name(unit) if unit is not None else "Phạm vi này"
    mine = f"{unit_name(scope)} và các đơn vị trực thuộc" if scope else "đơn vị được giao"
    return (
        f"⛔ {where} không thuộc phạm vi quản trị của đồng chí ({mine}). "
        "Việc này do quản trị viên cấp trên thực hiện."
    )


def request_decided_by(request: Membership, unit: Unit) -> str:
    """The answer to a button of a request another admin has decided already."""
    verb = "duyệt" if request.status is MembershipStatus.APPROVED else "từ chối"
    return (
        f"ℹ️ Yêu cầu đăng ký của {person_name(request.person)} vào {unit_name(unit)} đã được "
        f"quản trị viên (ID {esc(request.decided_by or '')}) {verb} trước; không thực hiện gì thêm."
    )


GRANT_USAGE = (
    "Cách dùng: /capquyen ID MÃ — giao quyền quản trị một đơn vị và các đơn vị trực thuộc, "
    "ví dụ /capquyen 123456789 KM. Người được giao xem ID của mình bằng /huongdan."
)
REVOKE_USAGE = (
    "Cách dùng: /thuhoiquyen ID — thu hồi quyền quản trị đã giao, ví dụ /thuhoiquyen 123456789."
)
GRANT_DISTRICT_ONLY = "⛔ Chỉ quản trị viên cấp quận mới giao hoặc thu hồi quyền quản trị."


def admin_granted(user_id: str, unit: Unit, *, changed: bool) -> str:
    if not changed:
        return f"ℹ️ ID {esc(user_id)} đã có quyền quản trị {unit_name(unit)} từ trước."
    return (
        f"✅ Đã giao cho ID {esc(user_id)} quyền quản trị {unit_name(unit)} và các đơn vị "
        "trực thuộc: duyệt đăng ký, báo cáo thay, xem tiến độ, xuất Excel, tạo mã mời, gửi "
        "thông báo trong phạm vi này."
    )


def admin_granted_for_grantee(unit: Unit) -> str:
    return (
        f"🔑 Đồng chí được giao quyền quản trị {unit_name(unit)} và các đơn vị trực thuộc. "
        "Gửi /huongdan để xem các lệnh dành cho quản trị viên."
    )


def admin_revoked(user_id: str, *, changed: bool) -> str:
    if not changed:
        return f"ℹ️ ID {esc(user_id)} không có quyền quản trị được giao trong cơ sở dữ liệu."
    return f"✅ Đã thu hồi quyền quản trị của ID {esc(user_id)}."


# --- invitations

INVITE_USAGE = (
    "Cách dùng: /moi MÃ [N] — tạo mã mời cho đơn vị, dùng được cho N người (mặc định 3), "
    "ví dụ /moi KM01 hoặc /moi KM 5."
)
REVOKE_INVITE_USAGE = "Cách dùng: /huymoi MÃ_MỜI — hủy một mã mời, ví dụ /huymoi K7M2Q9XA."


def invite_bad_uses(most: int) -> str:
    return f"Số người dùng mã mời phải là số nguyên từ 1 đến {most}, ví dụ /moi KM 5."


def invitation_created(invitation: Invitation, unit: Unit, link: str | None, tz: ZoneInfo) -> str:
    code = esc(invitation.code)
    lines = [
        f"🎟 <b>Mã mời cho {esc(unit.name)}</b> ({esc(unit.code)}): <b>{code}</b>",
        f"Dùng được cho {invitation.max_uses} người, đến {moment(invitation.expires_at, tz)}. "
        "Người dùng mã trở thành người báo cáo của đơn vị ngay, không cần duyệt; dùng mã "
        "trong nhóm chat thì nhóm được gắn với đơn vị.",
    ]
    if link:
        lines.append(f"Telegram: mở đường dẫn {esc(link)} rồi bấm «Bắt đầu».")
    else:
        lines.append(f"Telegram: gửi /dangky {esc(invitation.code)} cho bot.")
    lines.append(f"Zalo: gửi /dangky {esc(invitation.code)} cho bot.")
    lines.append(f"Hủy mã: /huymoi {esc(invitation.code)}. In thẻ mời có mã QR: quizbot invite.")
    return "\n".join(lines)


def invitation_unknown(code: str) -> str:
    return (
        f"⛔ Không có mã mời «{esc(code)}». Đồng chí kiểm tra lại mã (8 ký tự chữ và số), "
        "hoặc đăng ký bằng mã đơn vị: /dangky MÃ."
    )


_REFUSALS = {
    "used_up": "đã được dùng đủ {uses} lượt",
    "expired": "đã hết hạn từ {until}",
    "revoked": "đã bị hủy",
}


def invitation_refused(code: str, reason: str, invitation: Invitation, tz: ZoneInfo) -> str:
    why = _REFUSALS[reason].format(
        uses=invitation.max_uses, until=moment(invitation.expires_at, tz)
    )
    return (
        f"⛔ Mã mời «{esc(code)}» {why}, nên không dùng được nữa; không có gì thay đổi. "
        "Đồng chí xin quản trị viên một mã mới, hoặc gửi /dangky MÃ để chờ duyệt."
    )


def invitation_revoked(invitation: Invitation, unit: Unit, *, already: bool) -> str:
    if already:
        return f"ℹ️ Mã mời {esc(invitation.code)} ({unit_name(unit)}) đã bị hủy từ trước."
    return (
        f"✅ Đã hủy mã mời {esc(invitation.code)} của {unit_name(unit)} "
        f"(đã dùng {invitation.used}/{invitation.max_uses}). Những người đã tham gia vẫn giữ "
        "nguyên vai trò."
    )


def joined_by_invitation(unit: Unit) -> str:
    return (
        f"🎉 Chào mừng đồng chí! Đồng chí đã là người báo cáo của {unit_name(unit)}.\n"
        "Gửi số lượt dự thi, ví dụ «thêm 45 lượt» hoặc /bc 45; xem tiến độ bằng /tiendo; "
        "xem hướng dẫn bằng /huongdan."
    )


def joined_for_admins(
    person: Person, unit: Unit, invitation: Invitation, group: ChatRef | None
) -> str:
    how = f"mã mời {esc(invitation.code)} ({invitation.used + 1}/{invitation.max_uses})"
    if group is not None:
        return (
            f"🔗 {person_name(person)} đã gắn nhóm {esc(group.chat_id)} với {unit_name(unit)} "
            f"bằng {how}."
        )
    return f"🆕 {person_name(person)} đã tham gia báo cáo cho {unit_name(unit)} bằng {how}."


# --- invitation cards and their spreadsheet (quizbot invite)

INVITES_FILE = "quizbot-ma-moi.xlsx"
INVITES_SHEET = "Mã mời"
INVITES_COLUMNS = (
    Column("Mã đơn vị", "text", 10),
    Column("Tên đơn vị", "text", 40),
    Column("Thuộc", "text", 10),
    Column("Mã mời", "text", 11),
    Column("Đường dẫn Telegram", "text", 48),
    Column("Số người dùng được", "int", 10),
    Column("Hạn dùng", "text", 18),
    Column("Thẻ mời (PNG)", "text", 24),
)


def invite_expiry(expires: datetime) -> str:
    """An invitation's expiry in the spreadsheet, in local time."""
    return f"{expires:%H:%M %d/%m/%Y}"


def card_file(unit: Unit) -> str:
    return f"the-moi-{unit.code}.png"


def card_title(unit: Unit) -> str:
    return f"Thư mời tham gia báo cáo\n{unit.name} ({unit.code})"


def card_code_line(code: str) -> str:
    return f"Mã mời: {code}"


def card_steps(invitation: Invitation, link: str | None, tz: ZoneInfo) -> list[str]:
    """Three steps, Zalo included, as a person reads them off the printed card."""
    code = invitation.code
    first = (
        "1. Telegram: quét mã QR bằng camera điện thoại (hoặc mở đường dẫn "
        f"{link}), rồi bấm «Bắt đầu»."
        if link
        else f"1. Telegram: mở bot của quận và gửi tin nhắn /dangky {code}."
    )
    return [
        first,
        f"2. Zalo: mở bot của quận trên Zalo và gửi tin nhắn /dangky {code}.",
        "3. Khi bot chào mừng, đồng chí đã là người báo cáo của đơn vị, không cần chờ duyệt: "
        "gửi số lượt dự thi, ví dụ «thêm 45 lượt»; xem tiến độ bằng /tiendo.",
        "",
        f"Mã dùng được cho {invitation.max_uses} người, đến {moment(invitation.expires_at, tz)}.",
    ]


def cli_invites_written(count: int, folder: str, sheet: str, *, with_links: bool) -> str:
    lines = [f"Đã tạo {count} mã mời: thẻ mời PNG trong {folder}, danh sách trong {sheet}."]
    if not with_links:
        lines.append(
            "Chưa có Telegram (TELEGRAM_BOT_TOKEN) nên thẻ không có đường dẫn; mã QR chứa mã mời."
        )
    return "\n".join(lines)


CLI_INVITE_NOTHING = "Không có đơn vị nào cần mã mời (mọi đơn vị đã có người báo cáo)."
CLI_HELP_INVITE_UNIT = "mã mời cho một đơn vị"
CLI_HELP_INVITE_ALL = "mã mời cho mọi đơn vị đang theo dõi (trừ cấp quận)"
CLI_HELP_INVITE_MISSING = "mã mời cho các đơn vị chưa có người báo cáo"
CLI_HELP_INVITE_OUT = "thư mục ghi thẻ mời (PNG) và danh sách (Excel)"
CLI_HELP_INVITE_USES = "số người dùng được mỗi mã (mặc định 3)"


# --- announcements

ANNOUNCE_USAGE = (
    "Cách dùng: /thongbao [MÃ] nội dung — gửi thông báo tới mọi nhóm và người báo cáo của "
    "đơn vị và các đơn vị trực thuộc (không có MÃ: toàn bộ phạm vi của đồng chí). Có thể gửi "
    "kèm ảnh hoặc tệp với chú thích /thongbao nội dung."
)


def announcement_too_long(most: int) -> str:
    return f"Nội dung thông báo dài quá {number(most)} ký tự; đồng chí rút gọn hoặc gửi kèm tệp."


def announcement_nobody(scope: Unit | None) -> str:
    return (
        f"Chưa có nhóm hay người báo cáo nào trong {scope_name(scope)} để nhận thông báo; "
        "không có gì được gửi. Xem /tiendo all để biết đơn vị chưa có người báo cáo."
    )


def announcement_accepted(
    scope: Unit | None, by_platform: Mapping[str, int], held: Mapping[str, int]
) -> str:
    counts = ", ".join(
        f"{PLATFORM_NAMES.get(platform, platform)} {number(count)}"
        for platform, count in sorted(by_platform.items())
    )
    total = sum(by_platform.values())
    lines = [
        f"📢 Đã nhận thông báo cho {scope_name(scope)}: sẽ gửi tới {number(total)} cuộc trò "
        f"chuyện ({counts}), mỗi nơi một lần, trong ít phút."
    ]
    for platform, count in sorted(held.items()):
        name = PLATFORM_NAMES.get(platform, platform)
        lines.append(
            f"⚠️ Hạn mức tin nhắn {name} tháng này không đủ: {number(count)} cuộc trò chuyện "
            f"{name} sẽ được giữ lại, quản trị viên được báo tên từng nơi."
        )
    return "\n".join(lines)


def announcement_text(announcement: Announcement, scope: Unit | None) -> str:
    sender = announcement.by.display_name.strip() or "quản trị viên"
    lines = [f"📢 <b>Thông báo</b> — gửi {scope_name(scope)}"]
    if announcement.text:
        lines.append(esc(announcement.text))
    if announcement.file_name:
        lines.append(f"<i>Kèm tệp «{esc(announcement.file_name)}».</i>")
    lines.append(f"<i>Người gửi: {esc(sender)}</i>")
    return "\n".join(lines)
