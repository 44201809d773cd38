"""Reminders, weekly and monthly digests, charts and message budgets (scheduled)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.model.collation import vietnamese_key
from bot.domain.model.entities import (
    Submission,
    Unit,
)
from bot.domain.model.messages import Column, Outbound
from bot.domain.model.progress import Place, Standing, whole_percent
from bot.domain.model.weeks import Month, Week

if TYPE_CHECKING:
    from bot.domain.model.views import (
        DigestBranch,
        DigestLine,
        MonthlyDigest,
        MonthlyLine,
        SubUnitReport,
        WeeklyDigest,
    )
from bot.domain.wording.common import (
    PLATFORM_NAMES,
    RUN_TITLES,
    due_label,
    esc,
    month_label,
    number,
    person_name,
    place_sentence,
    progress_lines,
    scope_name,
    standing_lines,
    unit_name,
    week_label,
    weeks_with_dates,
)

# --- message budgets (Zalo)


def budget_held_back(
    platform: str,
    month: Month,
    budget: int,
    used: int,
    job: str,
    period: str,
    held: Sequence[Outbound],
) -> str:
    """To the admins: which messages of a run were not sent because the month's budget of a
    platform is used up, named one by one (first line of each, where it would have gone)."""
    name = PLATFORM_NAMES.get(platform, platform)
    lines = [
        f"⚠️ <b>Hạn mức tin nhắn {name} {month_label(month)} sắp hết</b>: đã gửi và đang chờ "
        f"gửi {number(used)}/{number(budget)} tin; phần còn lại được giữ cho các bản tổng hợp "
        "gửi cán bộ trong tháng.",
        f"Việc «{esc(RUN_TITLES.get(job, job))}» (kỳ {esc(period)}) chưa gửi "
        f"{number(len(held))} tin sau:",
    ]
    for message in held[:30]:
        first = message.text.splitlines()[0] if message.text else "(tệp)"
        lines.append(f"• {first} → {name} {esc(message.chat.chat_id)}")
    if len(held) > 30:
        lines.append(f"… và {number(len(held) - 30)} tin khác.")
    lines.append(
        "Các tin này không tự gửi lại. Có thể nâng ZALO_MONTHLY_MESSAGE_BUDGET nếu gói Zalo cho "
        "phép, rồi chạy lại việc này bằng «quizbot jobs run»."
    )
    return "\n".join(lines)


# --- weekly reminder and digest


def weekly_reminder(
    standing: Standing,
    week: Week,
    below: SubUnitReport,
    metric: str,
    rank: Place | None = None,
) -> str:
    """`rank`: where the unit stands among the units of its kind."""
    unit, progress = standing.unit, standing.progress
    lines = [f"📣 <b>Nhắc nhở tiến độ tuần</b> — {unit_name(unit)}"]
    if not standing.figure.reported:
        this_week = week_label(week, mid_sentence=True)
        lines.append(
            f"Đơn vị <b>chưa báo cáo lượt dự thi nào</b> trong {this_week}; "
            f"chỉ tiêu tuần là {number(progress.quota)} lượt."
        )
        lines.append(progress_lines(week, progress, metric)[-1])
    else:
        lines.extend(standing_lines(week, standing, metric))
    if rank is not None and rank.out_of > 1:
        lines.append(place_sentence(rank))
    if below.silent:
        codes = ", ".join(f"{esc(u.name)} ({esc(u.code)})" for u in below.silent)
        lines.append(
            f"Các {standing.sub_unit_noun} trực thuộc chưa báo cáo "
            f"({len(below.silent)}/{below.count}): {codes}."
        )
    if not standing.figure.reported:
        lines.append(
            "Nếu đã có kết quả, đề nghị đồng chí báo cáo ngay bằng /bc N hoặc nhắn «thêm N lượt»."
        )
    else:
        lines.append(
            "Đề nghị đồng chí tiếp tục động viên để đơn vị hoàn thành chỉ tiêu; báo cáo thêm "
            "bằng /bc N hoặc nhắn «thêm N lượt»."
        )
    return "\n".join(lines)


DIGEST_EXTRA_COLUMNS = (Column("Số tuần liên tiếp chưa đạt", "int", 14),)


def digest_extra_values(line: DigestLine) -> tuple[int | None]:
    return (line.missed_weeks if line.unit.weekly_quota > 0 else None,)


_DIGEST_HEADINGS = {
    0: "⚠️ <b>Chưa đạt</b>",
    1: "❌ <b>Chưa báo cáo</b>",
    2: "✅ <b>Đạt chỉ tiêu</b>",
    3: "ℹ️ <b>Không giao chỉ tiêu</b>",
}
# How many units the escalation list names below the top level before it points to the file.
_STREAK_SUB_UNITS = 20


def weekly_digest(digest: WeeklyDigest, metric: str, budget: int) -> str:
    """The tree of the scope: its top-level units grouped behind, not reported, met, each
    with its sub-units. When that is longer than `budget`, each unit's sub-units shrink to
    one line; when even that is too long, the list stops and points to the spreadsheet.
    The escalation list names every top-level unit behind two weeks or more, always."""
    branches = digest.branches
    tops = [branch.line for branch in branches]
    with_quota = [line for line in tops if line.unit.weekly_quota > 0]
    met = sum(1 for line in with_quota if line.standing == "met")
    behind = sum(1 for line in with_quota if line.standing == "behind")
    silent = sum(1 for line in with_quota if line.standing == "silent")
    total, quota = digest.total, digest.quota
    share = f" (bằng {whole_percent(total, quota)}% tổng chỉ tiêu {number(quota)})" if quota else ""
    head = [
        f"📊 <b>Tổng hợp {week_label(digest.week, mid_sentence=True)}</b>",
        f"Phạm vi: {scope_name(digest.scope)}.",
        f"Tổng: <b>{number(total)}</b> {esc(metric)}{share}.",
        f"Đạt chỉ tiêu: {met}/{len(with_quota)} đơn vị · Chưa đạt: {behind} · "
        f"Chưa báo cáo: {silent}",
    ]
    if not any(line.reported for line in digest.lines):
        head.append("Trong tuần chưa có đơn vị nào báo cáo.")
    streaks = _streak_lines(digest)
    tail = ["", "<i>Biểu đồ và bảng số liệu (Excel) gửi kèm.</i>"]
    fixed = len("\n".join([*head, *streaks, *tail])) + 2
    for detailed in (True, False):
        body = _digest_tree(branches, detailed=detailed)
        if fixed + len("\n".join(body)) <= budget:
            return "\n".join([*head, *streaks, *body, *tail])
    body = _digest_tree(branches, detailed=False)
    kept: list[str] = []
    room = budget - fixed - 200  # the closing line
    for line in body:
        if len(line) + 1 > room:
            break
        kept.append(line)
        room -= len(line) + 1
    left = sum(1 for line in body[len(kept) :] if line.startswith("• "))
    kept.append(f"… và {number(left)} đơn vị khác: xem đầy đủ trong tệp Excel đính kèm.")
    return "\n".join([*head, *streaks, *kept, *tail])


def _digest_tree(branches: Sequence[DigestBranch], *, detailed: bool) -> list[str]:
    lines: list[str] = []
    group = None
    for branch in branches:
        if branch.line.level_group != group:
            group = branch.line.level_group
            lines += ["", _DIGEST_HEADINGS[group]]
        lines.append(
            f"• {esc(branch.line.unit.name)} ({esc(branch.line.unit.code)}) — "
            f"{_digest_figures(branch.line)}"
        )
        if not branch.sub_units:
            continue
        if detailed:
            lines += [
                f"    ◦ {esc(line.unit.name)} ({esc(line.unit.code)}) — {_digest_figures(line)}"
                for line in branch.sub_units
            ]
            continue
        silent = [line.unit for line in branch.sub_units if not line.reported]
        count = len(branch.sub_units)
        text = f"    ↳ {count - len(silent)}/{count} {branch.noun} trực thuộc đã báo cáo"
        if silent:
            text += "; chưa báo cáo: " + ", ".join(esc(unit.code) for unit in silent)
        lines.append(text)
    return lines


def _streak_lines(digest: WeeklyDigest) -> list[str]:
    tops = [branch.line for branch in digest.branches if branch.line.missed_weeks >= 2]
    below = [
        line for branch in digest.branches for line in branch.sub_units if line.missed_weeks >= 2
    ]
    if not tops and not below:
        return []

    def entry(line: DigestLine) -> str:
        return f"• {esc(line.unit.name)} ({esc(line.unit.code)}) — {line.missed_weeks} tuần"

    def by_streak(lines: list[DigestLine]) -> list[DigestLine]:
        return sorted(lines, key=lambda line: (-line.missed_weeks, vietnamese_key(line.unit.name)))

    found = ["", "🔁 <b>Chưa đạt chỉ tiêu từ 2 tuần liên tiếp trở lên</b>"]
    found += [entry(line) for line in by_streak(tops)]
    shown = by_streak(below)[:_STREAK_SUB_UNITS]
    found += [f"    ◦ {entry(line)[2:]}" for line in shown]
    if len(below) > len(shown):
        found.append(
            f"    … và {number(len(below) - len(shown))} đơn vị trực thuộc khác (xem tệp Excel)."
        )
    return found


def _digest_figures(line: DigestLine) -> str:
    quota = line.unit.weekly_quota
    if quota == 0:
        return f"{number(line.total)} lượt" if line.reported else "chưa báo cáo"
    return f"{number(line.total)}/{number(quota)} ({whole_percent(line.total, quota)}%)"


CHART_AXIS = "% chỉ tiêu tuần"
CHART_COUNT_AXIS = "Số lượt dự thi trong tuần"
CHART_SHARE_LEGEND = (("met", "Đạt chỉ tiêu"), ("behind", "Chưa đạt"), ("silent", "Chưa báo cáo"))
CHART_COUNT_LEGEND = (("reported", "Đã báo cáo"), ("silent", "Chưa báo cáo"))
# Characters per line of a unit's name beside its bar; words are never cut.
CHART_LABEL_WIDTH = 30


def chart_label(unit: Unit) -> str:
    words = f"{unit.name} ({unit.code})"
    return "\n".join(
        textwrap.wrap(words, CHART_LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)
    )


def chart_share_value(total: int, quota: int) -> str:
    return f"{number(total)}/{number(quota)} ({whole_percent(total, quota)}%)"


def chart_count_value(total: int, *, reported: bool) -> str:
    return f"{number(total)} lượt" if reported else "chưa báo cáo"


def chart_file(week: Week) -> str:
    return f"quizbot-bieu-do-{week.iso}.png"


def chart_title(
    campaign: str, scope: Unit | None, week: Week, *, counts: bool, lowest_only: int = 0
) -> str:
    """Campaign, scope and week; `lowest_only`: how many bars, when only the lowest are shown."""
    whom = f"{scope.name} ({scope.code})" if scope else "Tất cả các đơn vị"
    if lowest_only:
        whom += f" — {lowest_only} đơn vị có tỷ lệ thấp nhất"
    what = "số lượt dự thi của các đơn vị trực thuộc" if counts else "tỷ lệ hoàn thành chỉ tiêu"
    lines = [
        *textwrap.wrap(campaign, 90, break_long_words=False),
        *textwrap.wrap(whom, 90, break_long_words=False),
        f"{week_label(week)}: {what}",
    ]
    return "\n".join(lines)


# --- monthly digest

MONTHLY_EXTRA_COLUMNS = (
    Column("Báo cáo tháng", "text", 14),
    Column("Thời điểm gửi", "text", 18),
    Column("Tệp đính kèm", "text", 24),
    Column("Nội dung báo cáo", "text", 60),
)


def monthly_extra_values(line: MonthlyLine, tz: ZoneInfo) -> tuple[str, str, str, str]:
    submission = line.submission
    if submission is None:
        return ("Chưa gửi", "", "", "")
    sent = submission.submitted_at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
    status = "Đúng hạn" if line.on_time else "Muộn"
    return (status, sent, submission.file_name or "", submission.text)


# How much of each report's text the monthly digest quotes, longest first, as room allows.
_EXCERPTS = (240, 100, 0)


def monthly_digest(digest: MonthlyDigest, tz: ZoneInfo, metric: str, budget: int) -> str:
    """On time, late, missing; under each report that came in, the start of its text and
    how to read it whole. Quotes shrink, then the lists stop, to stay within `budget`."""
    on_time = [line for line in digest.lines if line.on_time]
    late = [line for line in digest.lines if line.submission and not line.on_time]
    missing = [line for line in digest.lines if line.submission is None]
    head = [
        f"🗓 <b>Báo cáo {month_label(digest.month)}</b>",
        f"Phạm vi: {scope_name(digest.scope)}. Hạn gửi: {due_label(digest.due, tz)}.",
        f"Đúng hạn: {len(on_time)} · Muộn: {len(late)} · Chưa gửi: {len(missing)} "
        f"(trên {len(digest.lines)} đơn vị)",
    ]
    if digest.weeks:
        head.append(
            f"Tổng {esc(metric)} {weeks_with_dates(digest.weeks)}: "
            f"<b>{number(digest.month_total)}</b>."
        )
    else:
        head.append("Không có tuần nào kết thúc kể từ bản tổng hợp tháng trước.")
    tail = [
        "",
        "<i>Đọc toàn văn một báo cáo: /xembaocao MÃ. Bảng số liệu tháng (Excel, có cột nội "
        "dung báo cáo) gửi kèm; tệp các đơn vị đã gửi được chuyển tiếp ngay sau đây.</i>",
    ]
    # What needs action first, as in the weekly digest.
    groups = [
        ("❌ <b>Chưa gửi</b>", missing),
        ("⏰ <b>Gửi muộn</b>", late),
        ("✅ <b>Đúng hạn</b>", on_time),
    ]
    fixed = len("\n".join([*head, *tail])) + 2
    body: list[str] = []
    for excerpt in _EXCERPTS:
        body = []
        for heading, members in groups:
            if members:
                body += ["", heading]
                for line in members:
                    body += _monthly_entry(line, tz, excerpt)
        if fixed + len("\n".join(body)) <= budget:
            return "\n".join([*head, *body, *tail])
    kept: list[str] = []
    room = budget - fixed - 200
    for entry in body:
        if len(entry) + 1 > room:
            break
        kept.append(entry)
        room -= len(entry) + 1
    left = sum(1 for entry in body[len(kept) :] if entry.startswith("• "))
    kept.append(f"… và {number(left)} đơn vị khác: xem đầy đủ trong tệp Excel đính kèm.")
    return "\n".join([*head, *kept, *tail])


def _monthly_entry(line: MonthlyLine, tz: ZoneInfo, excerpt: int) -> list[str]:
    head = f"• {esc(line.unit.name)} ({esc(line.unit.code)})"
    submission = line.submission
    if submission is None:
        return [f"{head} · {number(line.month_total)} lượt"]
    sent = submission.submitted_at.astimezone(tz).strftime("%d/%m %H:%M")
    head += f" — gửi {sent} · {number(line.month_total)} lượt"
    if submission.file_name:
        head += f" · kèm tệp «{esc(submission.file_name)}»"
    quoted = " ".join(submission.text.split())
    if not excerpt or not quoted:
        return [head]
    if len(quoted) > excerpt:
        cut = quoted[:excerpt].rsplit(" ", 1)[0]
        quoted = f"{cut}… (/xembaocao {line.unit.code})"
    return [head, f"    «{esc(quoted)}»"]


READ_REPORT_USAGE = (
    "Cách dùng: /xembaocao kèm mã đơn vị, ví dụ /xembaocao KM (tháng này) hoặc "
    "/xembaocao KM thang 9."
)
READ_REPORT_NOT_ALLOWED = (
    "Đồng chí chỉ xem được báo cáo tháng của đơn vị mình và các đơn vị trực thuộc "
    "(quản trị viên và cuộc trò chuyện nhận bản tổng hợp xem được các đơn vị trong phạm vi)."
)


def no_monthly_report(unit: Unit, month: Month) -> str:
    return f"{unit_name(unit)} chưa gửi báo cáo {month_label(month)}."


def monthly_report_in_full(
    unit: Unit, month: Month, submission: Submission, due: datetime, tz: ZoneInfo
) -> str:
    sent = submission.submitted_at.astimezone(tz).strftime("%H:%M ngày %d/%m/%Y")
    timing = "đúng hạn" if submission.submitted_at < due else "muộn"
    lines = [
        f"🗓 <b>Báo cáo {month_label(month)}</b> — {unit_name(unit)}",
        f"Gửi lúc {sent} ({timing}), người gửi: {person_name(submission.submitter)}.",
    ]
    if submission.file_name:
        lines.append(f"Tệp đính kèm: «{esc(submission.file_name)}».")
    lines += ["", esc(submission.text) if submission.text else "<i>(Báo cáo chỉ có tệp.)</i>"]
    return "\n".join(lines)


def report_file_caption(unit: Unit, month: Month) -> str:
    return f"📎 Báo cáo {month_label(month)} — {unit_name(unit)}"
