"""Campaigns (admins in chat, operators on the command line): which one runs, when the next
starts, how to start one, and the final summary of one that ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.model.entities import Campaign, Unit
from bot.domain.model.progress import whole_percent
from bot.domain.wording.common import esc, full_date, number, scope_name

_STATES = {"planned": "sắp diễn ra", "running": "đang diễn ra", "ended": "đã kết thúc"}
HOW_TO_START = (
    "Quản trị viên tạo cuộc thi mới bằng lệnh (trên máy chủ): quizbot campaign new --name "
    '"Tên cuộc thi" --start NĂM-THÁNG-NGÀY --end NĂM-THÁNG-NGÀY.'
)


def span(campaign: Campaign) -> str:
    end = f" đến {full_date(campaign.end)}" if campaign.end else " (chưa định ngày kết thúc)"
    return f"từ {full_date(campaign.start)}{end}"


def no_campaign_running(campaign: Campaign, today: date, *, admin: bool) -> str:
    """To someone reporting when no campaign runs: when the next starts, or that the last
    one ended; an admin also hears how to start one."""
    if not campaign.exists:
        text = "Hiện chưa có cuộc thi nào đang diễn ra nên bot chưa nhận báo cáo."
    elif campaign.state(today) == "planned":
        text = (
            f"Hiện chưa có cuộc thi nào đang diễn ra. «{esc(campaign.name)}» bắt đầu từ ngày "
            f"{full_date(campaign.start)}; chưa nhận báo cáo trước ngày này."
        )
    else:
        end = full_date(campaign.end) if campaign.end else ""
        text = f"«{esc(campaign.name)}» đã kết thúc ngày {end}; không nhận thêm báo cáo."
    if admin and (not campaign.exists or campaign.state(today) != "planned"):
        text += "\n" + HOW_TO_START
    return text


def campaign_card(current: Campaign, following: Campaign | None, today: date) -> str:
    """`/cuocthi`."""
    if not current.exists:
        return "🏁 Chưa có cuộc thi nào.\n" + HOW_TO_START
    state = current.state(today)
    lines = [
        f"🏁 <b>{esc(current.name)}</b> — {_STATES[state]}",
        f"Thời gian: {span(current)}. Số liệu tính theo: {esc(current.metric)}.",
    ]
    if following is not None:
        lines.append(f"Cuộc thi tiếp theo: «{esc(following.name)}», {span(following)}.")
    elif state == "ended":
        lines.append(HOW_TO_START)
    return "\n".join(lines)


def final_summary(
    campaign: Campaign,
    scope: Unit | None,
    total: int,
    quota: int,
    tops: Sequence[tuple[Unit, int, int, int, int]],
    every_week: Sequence[Unit],
    weeks: int,
) -> str:
    """The day after the campaign's last week closes: the whole campaign against its quota,
    per top-level unit (its total, its quota, weeks met of weeks owed), the units that met
    every week. `tops`: (unit, total, quota over the campaign, weeks met, weeks owed)."""
    share = f" ({whole_percent(total, quota)}% chỉ tiêu {number(quota)})" if quota else ""
    lines = [
        f"🏁 <b>Tổng kết {esc(campaign.name)}</b> — {scope_name(scope)}",
        f"{span(campaign).capitalize()}, {weeks} tuần.",
        f"Tổng cộng: <b>{number(total)}</b> {esc(campaign.metric)}{share}.",
        "",
    ]
    for unit, unit_total, unit_quota, met, owed in tops:
        against = f"/{number(unit_quota)}" if unit_quota else ""
        weeks_met = f"; đạt chỉ tiêu {met}/{owed} tuần" if owed else ""
        lines.append(
            f"• {esc(unit.name)} ({esc(unit.code)}): {number(unit_total)}{against}{weeks_met}"
        )
    lines.append("")
    if every_week:
        names = ", ".join(f"{esc(u.name)} ({esc(u.code)})" for u in every_week)
        lines.append(f"🏆 Đạt chỉ tiêu tất cả các tuần: {names}.")
    else:
        lines.append("Chưa đơn vị nào đạt chỉ tiêu tất cả các tuần.")
    lines.append("Bảng số liệu cả cuộc thi ở tệp Excel đính kèm. Cảm ơn các đồng chí!")
    return "\n".join(lines)


# --- the command line


def cli_campaign_created(campaign: Campaign, quotas_from_file: bool) -> str:
    source = "từ tệp chỉ tiêu" if quotas_from_file else "theo units.csv"
    return (
        f"Đã tạo cuộc thi #{campaign.id} «{campaign.name}», {span(campaign)}; chỉ tiêu {source}. "
        "Đơn vị, người báo cáo, nhóm, đăng ký nhận tổng hợp và quản trị viên được giữ nguyên."
    )


def cli_campaign_overlaps(other: Campaign) -> str:
    return (
        f"Trùng thời gian với cuộc thi #{other.id} «{other.name}» ({span(other)}): mỗi lúc chỉ "
        "một cuộc thi diễn ra. Chọn ngày khác, hoặc kết thúc cuộc thi đó bằng "
        "«quizbot campaign end»."
    )


def cli_campaign_name_taken(name: str) -> str:
    return f"Đã có cuộc thi tên «{name}»; đặt tên khác."


def cli_campaign_bad_dates() -> str:
    return "Ngày kết thúc (--end) phải từ ngày bắt đầu (--start) trở đi."


def cli_campaigns(campaigns: Sequence[Campaign], today: date) -> str:
    if not campaigns:
        return "Chưa có cuộc thi nào. " + HOW_TO_START
    lines = [f"{'#':>3}  {'Trạng thái':<13} {'Thời gian':<34} Tên (tính theo)"]
    for campaign in campaigns:
        lines.append(
            f"{campaign.id:>3}  {_STATES[campaign.state(today)]:<13} {span(campaign):<34} "
            f"{campaign.name} ({campaign.metric})"
        )
    return "\n".join(lines)


def cli_campaign_ended(campaign: Campaign, day: date) -> str:
    return (
        f"Cuộc thi #{campaign.id} «{campaign.name}» kết thúc ngày {full_date(day)}: không còn "
        "nhắc nhở; bản tổng kết gửi các nhóm nhận tổng hợp sau khi tuần cuối khóa sổ."
    )


CLI_NO_RUNNING_CAMPAIGN = "Không có cuộc thi nào đang diễn ra để kết thúc."


def cli_unknown_campaign(campaign_id: int) -> str:
    return f"Không có cuộc thi #{campaign_id} (xem «quizbot campaign list»)."


def quota_line_unknown_unit(line: int, code: str) -> str:
    return f"Tệp chỉ tiêu, dòng {line}: không có đơn vị «{code}»"


def quota_line_not_a_quota(line: int, raw: str, most: int) -> str:
    return f"Tệp chỉ tiêu, dòng {line}: chỉ tiêu «{raw}» không phải số nguyên từ 0 đến {most:,}"


CLI_HELP_CAMPAIGN_NAME = "tên cuộc thi, như mọi người gọi"
CLI_HELP_CAMPAIGN_START = "ngày bắt đầu, NĂM-THÁNG-NGÀY"
CLI_HELP_CAMPAIGN_END = "ngày kết thúc, NĂM-THÁNG-NGÀY"
CLI_HELP_CAMPAIGN_METRIC = "điều được đếm (mặc định: lượt dự thi)"
CLI_HELP_CAMPAIGN_QUOTAS = (
    "tệp CSV «code,weekly_quota» riêng cho cuộc thi (mặc định: theo units.csv)"
)
CLI_HELP_CAMPAIGN_ID = "số của cuộc thi (xem quizbot campaign list)"
CLI_HELP_EXPORT_CAMPAIGN = "cả một cuộc thi (kể cả đã kết thúc), theo số của nó"
