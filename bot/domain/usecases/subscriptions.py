"""Officials choose where digests go: /subscribe in a chat, for a unit and all below it."""

from __future__ import annotations

from bot.domain import wording
from bot.domain.model.messages import Outbound
from bot.domain.usecases.turn import Turn


def subscribe(turn: Turn) -> list[Outbound]:
    if not turn.is_any_admin():
        return turn.reply(wording.NOT_ADMIN)
    # A unit admin's digests are for their subtree unless they name a unit inside it.
    scope = turn.admin_unit()
    if turn.inbound.args:
        code = turn.inbound.args[0].upper()
        scope = turn.store.units.get(code)
        if scope is None or not scope.active:
            return turn.reply(wording.unknown_unit(code))
        if not turn.is_admin_of(scope):
            return turn.reply(wording.outside_admin_scope(scope, turn.admin_unit()))
    turn.store.subscriptions.subscribe(
        turn.inbound.chat, scope.code if scope else None, turn.sender, turn.now
    )
    return turn.reply(wording.subscribed(scope))


def unsubscribe(turn: Turn) -> list[Outbound]:
    if not turn.is_any_admin():
        return turn.reply(wording.NOT_ADMIN)
    current = turn.store.subscriptions.of(turn.inbound.chat)
    if current is not None and not turn.is_admin():
        # A unit admin stops only digests of their own subtree.
        scope = turn.store.units.get(current.scope) if current.scope else None
        if scope is None or not turn.is_admin_of(scope):
            return turn.reply(wording.outside_admin_scope(scope, turn.admin_unit()))
    if turn.store.subscriptions.unsubscribe(turn.inbound.chat):
        return turn.reply(wording.UNSUBSCRIBED)
    return turn.reply(wording.NOT_SUBSCRIBED)
