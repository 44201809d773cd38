"""Progress views: a unit with its siblings, every unit (admins), help and the unit table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.domain import wording
from bot.domain.model.entities import NO_FIGURE, BudgetUsage, Person, Unit, UnitWeekTotal, combined
from bot.domain.model.messages import Outbound, TableSpec
from bot.domain.model.policy import Policy
from bot.domain.model.progress import places, ranking_key
from bot.domain.model.tree import UnitTree, top_units
from bot.domain.model.views import SubUnitReport
from bot.domain.model.weeks import Month, Week, local_date
from bot.domain.ports import Store
from bot.domain.reading.naming import closest_units, search_units
from bot.domain.reading.parsing import fold
from bot.domain.reading.periods import split_trailing_period
from bot.domain.usecases.coverage import reached_units, without_reporter
from bot.domain.usecases.exports import month_weeks, week_table
from bot.domain.usecases.standing import figures_of, standing_of
from bot.domain.usecases.turn import Turn

_ALL_WORDS = frozenset({"all", "tatca", "tat ca"})
# An answer is at most this many messages of Telegram's 4 096 characters.
REPLY_MESSAGES = 3
# What one message holds: Telegram's 4 096 characters, Zalo's 2 000 (with room for markup
# and the parts' seams).
MESSAGE_ROOM = {"zalo": 1900}
DEFAULT_MESSAGE_ROOM = 4000


def reply_budget(platform: str) -> int:
    """Characters an answer may take on a platform: REPLY_MESSAGES of its messages."""
    return REPLY_MESSAGES * MESSAGE_ROOM.get(platform, DEFAULT_MESSAGE_ROOM)


def status(turn: Turn) -> list[Outbound]:
    argument, period = _period_in(turn, " ".join(turn.inbound.args).strip())
    if isinstance(period, Month):
        return month_status(turn, argument, period)
    week = period
    admin = turn.is_any_admin()
    if fold(argument) in _ALL_WORDS:
        return all_units_reply(turn, week) if admin else turn.reply(wording.STATUS_ALL_ADMIN_ONLY)
    chat_unit = turn.chat_unit()
    member_unit = turn.member_unit()
    if argument:
        code = argument.split()[0].upper()
        unit = turn.store.units.get(code)
        if not (admin or chat_unit or member_unit):
            return turn.reply(_needs_unit(turn))
        if unit is None or not unit.active:
            return turn.reply(wording.unknown_unit(code))
        return turn.reply(unit_status(turn, unit, week))
    unit = chat_unit or member_unit
    if unit is not None:
        return turn.reply(unit_status(turn, unit, week))
    if admin:
        return all_units_reply(turn, week)
    return turn.reply(_needs_unit(turn))


def all_units_reply(turn: Turn, chosen: Week | None = None) -> list[Outbound]:
    """Every unit, in at most REPLY_MESSAGES messages: beyond that, the start of the list
    and the whole of it as a spreadsheet (a group must not get dozens of messages). A unit
    admin's "every unit" is their unit and everything below it."""
    scope = turn.admin_unit()
    if scope is not None:
        section = missing_section(turn.store, turn.unit_tree(), scope)
        return turn.reply(_with_section(unit_status(turn, scope, chosen), section))
    text = all_units_status(turn, chosen)
    # It ends with the units nobody reports for, whatever had to be cut above them.
    missing = missing_section(turn.store, turn.unit_tree())
    budget = reply_budget(turn.inbound.chat.platform) - len(missing) - 2
    if len(text) <= budget:
        return turn.reply(_with_section(text, missing))
    week, _ = _status_week(turn, chosen)
    table = week_table(turn.store, turn.policy, week, as_of=turn.now)
    return turn.reply(_with_section(cut_short(text, budget), missing), attachments=(table,))


def missing_section(store: Store, tree: UnitTree, scope: Unit | None = None) -> str:
    """`Chưa có người báo cáo: N đơn vị` with their names; empty when every unit has one."""
    missing = without_reporter(tree, reached_units(store), scope)
    return wording.no_reporter_section(missing, tree.by_code) if missing else ""


def _with_section(text: str, section: str) -> str:
    return f"{text}\n\n{section}" if section else text


def cut_short(text: str, budget: int) -> str:
    """The start of a text too long for REPLY_MESSAGES messages, and a closing line saying
    that the whole of it is in the spreadsheet sent with it."""
    lines = text.splitlines()
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > budget - 300:  # room for the closing line
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, "", wording.status_cut_short(len(lines) - len(kept))])


def unit_status(turn: Turn, unit: Unit, chosen: Week | None = None) -> str:
    """The unit's progress with its breakdown, its sub-units (a ward's cells, a district's
    wards and organisations), and its place among siblings of the same kind."""
    week, note = _status_week(turn, chosen)
    tree = turn.unit_tree()
    chain = [unit, *tree.ancestors(unit.code)]
    children = tree.children(unit.code)
    siblings = comparable_siblings(tree.children(unit.parent), unit) if unit.parent in tree else []
    figures = figures_of(turn, week, [*chain, *children, *siblings])
    standing = standing_of(turn, unit, week, figures, chain)
    sub_rows = ranked([figures[child.code] for child in children if child.code in figures])
    sibling_rows = ranked([figures[s.code] for s in siblings if s.code in figures])
    return wording.unit_status(
        standing,
        week,
        sub_rows,
        # Cells are compared with every cell, reported or not; units with quotas with the
        # units that owe something or said something.
        sibling_rows if unit.weekly_quota == 0 else listed(sibling_rows, keep=unit.code),
        turn.metric,
        note,
    )


HISTORY_WEEKS = 8


def history(turn: Turn) -> list[Outbound]:
    """`/lichsu [MÃ]`: a unit's last weeks against its quota, sub-units included."""
    argument = " ".join(turn.inbound.args).strip()
    admin = turn.is_any_admin()
    unit = turn.chat_unit() or turn.member_unit() or turn.admin_unit()
    if argument:
        named = _named_unit(turn, argument, admin or unit is not None)
        if isinstance(named, str):
            return turn.reply(named)
        unit = named
    if unit is None:
        return turn.reply(wording.HISTORY_USAGE if admin else _needs_unit(turn))
    current, _ = _status_week(turn)
    weeks = [
        week
        for week in (current.shifted(-k) for k in range(HISTORY_WEEKS))
        if turn.policy.covers(week)
    ]
    figures = turn.store.ledger.totals_by_week(
        turn.campaign.id, [week.start for week in weeks], [unit.code]
    )
    rows = [(week, figures.get((unit.code, week.start), NO_FIGURE).total) for week in weeks]
    return turn.reply(wording.unit_history(unit, rows, current, turn.metric))


def comparable_siblings(siblings: Sequence[Unit], unit: Unit) -> list[Unit]:
    """The unit's siblings of the same kind (wards against wards); all siblings if it has none."""
    same_kind = [sibling for sibling in siblings if sibling.kind is unit.kind]
    chosen = same_kind if len(same_kind) > 1 else list(siblings)
    return chosen if any(s.code == unit.code for s in chosen) else [*chosen, unit]


def all_units_status(turn: Turn, chosen: Week | None = None) -> str:
    """Every unit: the district total, the top-level units ranked, and under each, which of
    its sub-units have not reported."""
    week, note = _status_week(turn, chosen)
    rows = {
        row.unit.code: row
        for row in turn.store.ledger.week_totals(turn.campaign.id, week.start, None)
    }
    tree = UnitTree(row.unit for row in rows.values())  # every active unit is in the rows
    roots = tree.roots
    summary = combined(rows[unit.code].figure for unit in roots if unit.code in rows)
    quota = sum(tree.effective_quota(unit.code) for unit in roots)
    top_rows = listed(ranked([rows[u.code] for u in top_units(tree, None) if u.code in rows]))
    below = {row.unit.code: sub_unit_report(tree, rows, row.unit) for row in top_rows}
    root_kind = roots[0].kind if len(roots) == 1 else None
    text = wording.all_status(week, summary, quota, top_rows, below, turn.metric, note, root_kind)
    usage = budget_usage(turn.store, turn.policy, turn.now)
    return "\n".join([text, "", *map(wording.budget_line, usage)]) if usage else text


def budget_usage(store: Store, policy: Policy, now: datetime) -> list[BudgetUsage]:
    """Messages sent this month on each platform with a budget, against it."""
    month = Month.of(now, policy.tz)
    return [
        BudgetUsage(platform, month, store.message_counts.sent(platform, month.iso), budget)
        for platform, budget in sorted(policy.message_budgets.items())
    ]


def sub_unit_report(tree: UnitTree, rows: Mapping[str, UnitWeekTotal], unit: Unit) -> SubUnitReport:
    children = [child for child in tree.children(unit.code) if child.code in rows]
    silent = tuple(child for child in children if not rows[child.code].reported)
    return SubUnitReport(len(children), silent, tree.sub_unit_noun(unit.code))


def ranked(rows: Sequence[UnitWeekTotal]) -> list[UnitWeekTotal]:
    return sorted(
        rows, key=lambda row: ranking_key(row.total, row.unit.weekly_quota, row.unit.name)
    )


def listed(rows: Sequence[UnitWeekTotal], keep: str | None = None) -> list[UnitWeekTotal]:
    """Leave out units that owe nothing and said nothing (no quota, no report)."""
    return [
        row for row in rows if row.unit.weekly_quota > 0 or row.reported or row.unit.code == keep
    ]


def help_(turn: Turn) -> list[Outbound]:
    # /start is what a person sends after unblocking the bot: their chat is reachable again.
    turn.store.chats.mark_reachable(turn.inbound.chat, turn.now)
    pending = turn.store.members.pending(turn.sender.platform, turn.sender.user_id)
    pending_unit = turn.store.units.get(pending.unit_code) if pending else None
    chat_unit = None if turn.inbound.is_private else turn.chat_unit()
    return turn.reply(
        wording.help_text(
            turn.campaign,
            due_day=turn.policy.monthly_due_day,
            user_id=turn.sender.user_id,
            admin=turn.is_any_admin(),
            unit=turn.member_unit(),
            pending_unit=pending_unit,
            group_unit=chat_unit,
        )
    )


def units(turn: Turn) -> list[Outbound]:
    """`/donvi [tên]`: the units, or those matching a name, for everyone; admins also see
    the quotas and who reports for each unit."""
    query = " ".join(turn.inbound.args).strip()
    tree = turn.unit_tree()
    if not query:
        shown = tree.ordered()
    else:
        everything = list(tree.by_code.values())
        found = search_units(query, everything)
        if not found:
            return turn.reply(wording.no_unit_matches(query, closest_units(query, everything)))
        shown = [(0, unit) for unit in found]
    # Who reports for a unit: for its admins (a unit admin's subtree, blank elsewhere).
    secretaries = (
        turn.store.members.secretaries([unit.code for _, unit in shown if turn.is_admin_of(unit)])
        if turn.is_any_admin()
        else None
    )
    text = wording.units_table(shown, secretaries=secretaries)
    budget = reply_budget(turn.inbound.chat.platform)
    if len(text) <= budget:
        return turn.reply(text)
    # Thousands of units: the start of the list, and all of it as a spreadsheet.
    table = units_spreadsheet(shown, tree, secretaries)
    return turn.reply(cut_short(text, budget), attachments=(table,))


def units_spreadsheet(
    shown: Sequence[tuple[int, Unit]],
    tree: UnitTree,
    secretaries: Mapping[str, Sequence[Person]] | None,
) -> TableSpec:
    """The unit list as a spreadsheet; the quotas and reporters for admins only."""
    columns, rows = wording.units_columns(admin=secretaries is not None), []
    for depth, unit in shown:
        row: tuple[str | int | None, ...] = (unit.code, "  " * depth + unit.name, unit.parent or "")
        if secretaries is not None:
            people = ", ".join(p.display_name for p in secretaries.get(unit.code, []))
            row += (tree.effective_quota(unit.code), people)
        rows.append(row)
    return TableSpec(
        wording.UNITS_FILE,
        wording.UNITS_SHEET,
        columns,
        tuple(rows),
        title_lines=(wording.UNITS_SHEET,),
    )


def _period_in(turn: Turn, argument: str) -> tuple[str, Week | Month | None]:
    """A week or month named at the end of the argument («tuantruoc», «tuan 37», «thang 9»),
    and the rest."""
    return split_trailing_period(argument, local_date(turn.now, turn.policy.tz))


def _status_week(turn: Turn, chosen: Week | None = None) -> tuple[Week, str | None]:
    """The week asked for, else this week, or the campaign's last week (with a note) once
    the campaign is over."""
    if chosen is not None:
        return chosen, None
    campaign = turn.campaign
    today = turn.now.astimezone(turn.policy.tz).date()
    if campaign.end is not None and today > campaign.end:
        return Week.containing(campaign.end), wording.campaign_ended_note(campaign)
    return turn.policy.week_of(turn.now), None


def _named_unit(turn: Turn, argument: str, may_ask: bool) -> Unit | str:
    """The active unit whose code starts the argument, or why not (the refusal's text):
    naming a unit needs a bound chat, a membership or an admin (`may_ask`)."""
    if not may_ask:
        return _needs_unit(turn)
    code = argument.split()[0]
    named = turn.store.units.get(code.upper())
    if named is None or not named.active:
        return wording.unknown_unit(code)
    return named


def _needs_unit(turn: Turn) -> str:
    if turn.inbound.is_private:
        return wording.STATUS_NEEDS_UNIT_PRIVATE
    return wording.STATUS_NEEDS_UNIT_GROUP


def month_status(turn: Turn, argument: str, month: Month) -> list[Outbound]:
    """`/tiendo thang 9` (a unit's month, week by week) or `/tiendo all thang 9` (admins:
    every top-level unit over the month's weeks against the month's quota)."""
    today = local_date(turn.now, turn.policy.tz)
    weeks = month_weeks(turn.policy, month, today)
    admin = turn.is_any_admin()
    everyone = fold(argument) in _ALL_WORDS
    unit = turn.chat_unit() or turn.member_unit()
    if everyone and turn.admin_unit() is not None:
        unit, everyone = turn.admin_unit(), False
    if argument and not everyone:
        named = _named_unit(turn, argument, admin or unit is not None)
        if isinstance(named, str):
            return turn.reply(named)
        unit = named
    if everyone or unit is None:
        if not admin:
            return turn.reply(wording.STATUS_ALL_ADMIN_ONLY if everyone else _needs_unit(turn))
        unit = None
    if not weeks:
        return turn.reply(wording.month_has_no_weeks(month))
    tree = turn.unit_tree()
    shown = [unit] if unit is not None else top_units(tree, None)
    codes = [u.code for u in shown] + ([c.code for c in tree.children(unit.code)] if unit else [])
    totals = turn.store.ledger.totals_by_week(turn.campaign.id, [w.start for w in weeks], codes)
    if unit is not None:
        by_week = [(w, totals.get((unit.code, w.start), NO_FIGURE).total) for w in weeks]
        quota = tree.effective_quota(unit.code)
        return turn.reply(wording.unit_month(unit, month, by_week, quota, turn.metric))
    rows = [
        UnitWeekTotal(u, combined(totals.get((u.code, w.start), NO_FIGURE) for w in weeks))
        for u in shown
    ]
    quotas = {u.code: tree.effective_quota(u.code) * len(weeks) for u in shown}
    return turn.reply(wording.all_month(month, weeks, places(rows), quotas, turn.metric))
