"""Who acts for which unit: the answer every reporting use case needs first."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import wording
from bot.domain.model.entities import Unit
from bot.domain.usecases.turn import Turn


@dataclass(frozen=True)
class Refusal:
    text: str


def reporting_unit(turn: Turn, code: str | None) -> Unit | Refusal:
    """The unit this sender reports for here, or why they may not report."""
    member_unit = turn.member_unit()
    if code is not None:
        unit = turn.store.units.get(code)
        if unit is None:
            return Refusal(wording.unknown_unit(code))
        if (member_unit is None or member_unit.code != unit.code) and not turn.is_admin_of(unit):
            if turn.admin_unit() is not None:
                return Refusal(wording.outside_admin_scope(unit, turn.admin_unit()))
            return Refusal(
                wording.own_unit_only(member_unit) if member_unit else not_a_reporter(turn)
            )
    elif member_unit is not None:
        unit = member_unit
    elif turn.is_any_admin():
        chat_unit = turn.chat_unit()
        if chat_unit is None:
            return Refusal(wording.ADMIN_NEEDS_UNIT_CODE)
        if not turn.is_admin_of(chat_unit):
            return Refusal(wording.outside_admin_scope(chat_unit, turn.admin_unit()))
        unit = chat_unit
    else:
        return Refusal(not_a_reporter(turn))
    if not unit.active:
        return Refusal(wording.unit_inactive(unit))
    return unit


def not_a_reporter(turn: Turn) -> str:
    pending = turn.store.members.pending(turn.sender.platform, turn.sender.user_id)
    if pending is not None:
        unit = turn.store.units.get(pending.unit_code)
        if unit is not None:
            return wording.awaiting_approval(unit)
    return wording.NOT_REGISTERED
