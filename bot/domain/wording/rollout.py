"""Rolling the bot out (admins and the people they bring in): units nobody reports for,
follow-up requests to the unit above, invitations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.model import Membership, MembershipStatus, Unit, UnitKind
from bot.domain.weeks import Month
from bot.domain.wording.common import esc, month_label, number, person_name, unit_name

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
