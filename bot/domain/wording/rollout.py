"""Rolling the bot out (admins and the people they bring in): units nobody reports for,
follow-up requests to the unit above, invitations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.model import Unit, UnitKind
from bot.domain.weeks import Month
from bot.domain.wording.common import esc, month_label, number, unit_name

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
