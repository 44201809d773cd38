"""Progress views: a unit with its siblings, every unit (admins), help and the unit table."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import texts
from bot.domain.messages import Outbound
from bot.domain.model import KIND_ORDER, Unit, UnitWeekTotal
from bot.domain.parsing import fold
from bot.domain.progress import Progress, ranking_key
from bot.domain.turn import Turn
from bot.domain.weeks import Week

_ALL_WORDS = frozenset({"all", "tatca", "tat ca"})


def status(turn: Turn) -> list[Outbound]:
    argument = " ".join(turn.inbound.args).strip()
    admin = turn.is_admin()
    if fold(argument) in _ALL_WORDS:
        return turn.reply(all_units_status(turn) if admin else texts.STATUS_ALL_ADMIN_ONLY)
    chat_unit = turn.chat_unit()
    member_unit = turn.member_unit()
    if argument:
        code = argument.split()[0].upper()
        unit = turn.store.units.get(code)
        if not (admin or chat_unit or member_unit):
            return turn.reply(_needs_unit(turn))
        if unit is None or not unit.active:
            return turn.reply(texts.unknown_unit(code))
        return turn.reply(unit_status(turn, unit))
    unit = chat_unit or member_unit
    if unit is not None:
        return turn.reply(unit_status(turn, unit))
    if admin:
        return turn.reply(all_units_status(turn))
    return turn.reply(_needs_unit(turn))


def unit_status(turn: Turn, unit: Unit) -> str:
    week, note = _status_week(turn)
    codes = [
        sibling.code
        for sibling in comparable_siblings(turn.store.units.children(unit.parent), unit)
    ]
    rows = ranked(turn.store.ledger.week_totals(turn.campaign.id, week.start, codes))
    own = next(row for row in rows if row.unit.code == unit.code)
    progress = Progress(own.total, unit.weekly_quota, week.days_left(turn.now, turn.policy.tz))
    return texts.unit_status(unit, week, progress, listed(rows, keep=unit.code), turn.metric, note)


def comparable_siblings(siblings: Sequence[Unit], unit: Unit) -> list[Unit]:
    """The unit's siblings of the same kind (wards against wards); all siblings if it has none."""
    same_kind = [sibling for sibling in siblings if sibling.kind is unit.kind]
    chosen = same_kind if len(same_kind) > 1 else list(siblings)
    return chosen if any(s.code == unit.code for s in chosen) else [*chosen, unit]


def all_units_status(turn: Turn) -> str:
    week, note = _status_week(turn)
    rows = ranked(turn.store.ledger.week_totals(turn.campaign.id, week.start, None))
    return texts.all_status(week, listed(rows), turn.metric, note)


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
        texts.help_text(
            turn.campaign,
            due_day=turn.policy.monthly_due_day,
            user_id=turn.sender.user_id,
            admin=turn.is_admin(),
            unit=turn.member_unit(),
            pending_unit=pending_unit,
            group_unit=chat_unit,
        )
    )


def units(turn: Turn) -> list[Outbound]:
    if not turn.is_admin():
        return turn.reply(texts.NOT_ADMIN)
    return turn.reply(texts.units_table(tree_order(turn.store.units.active())))


def tree_order(units: Sequence[Unit]) -> list[tuple[int, Unit]]:
    """Units depth-first from the roots, each with its depth, children in name order."""
    by_parent: dict[str | None, list[Unit]] = {}
    codes = {unit.code for unit in units}
    for unit in units:
        parent = unit.parent if unit.parent in codes else None
        by_parent.setdefault(parent, []).append(unit)
    ordered: list[tuple[int, Unit]] = []
    stack = [(0, unit) for unit in sorted(by_parent.get(None, []), key=_tree_key, reverse=True)]
    while stack:
        depth, unit = stack.pop()
        ordered.append((depth, unit))
        children = sorted(by_parent.get(unit.code, []), key=_tree_key, reverse=True)
        stack.extend((depth + 1, child) for child in children)
    return ordered


_KIND_RANK = {kind: rank for rank, kind in enumerate(KIND_ORDER)}


def _tree_key(unit: Unit) -> tuple[int, str]:
    return (_KIND_RANK[unit.kind], unit.name)


def _status_week(turn: Turn) -> tuple[Week, str | None]:
    """This week, or the campaign's last week (with a note) once the campaign is over."""
    campaign = turn.campaign
    today = turn.now.astimezone(turn.policy.tz).date()
    if campaign.end is not None and today > campaign.end:
        return Week.containing(campaign.end), texts.campaign_ended_note(campaign)
    return turn.policy.week_of(turn.now), None


def _needs_unit(turn: Turn) -> str:
    if turn.inbound.is_private:
        return texts.STATUS_NEEDS_UNIT_PRIVATE
    return texts.STATUS_NEEDS_UNIT_GROUP
