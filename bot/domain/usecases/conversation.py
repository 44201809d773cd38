"""The conversation: one inbound message in, the messages to send out.

This is the single entry point every channel calls, inside one unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.domain import wording
from bot.domain.model.commands import EDITABLE
from bot.domain.model.messages import Inbound, Outbound
from bot.domain.model.policy import Policy
from bot.domain.model.weeks import local_date
from bot.domain.ports import Store
from bot.domain.usecases import (
    announcements,
    board,
    campaigns,
    delegation,
    exports,
    invitations,
    media,
    monthly,
    registration,
    reporting,
    status,
    subscriptions,
)
from bot.domain.usecases.turn import Turn

UseCase = Callable[[Turn], list[Outbound]]
# Commands about figures or reports of a campaign: before any campaign exists, the answer
# says so (reports are refused by their own lock check, with the same words).
NEEDS_A_CAMPAIGN = frozenset({"status", "history", "export", "monthly", "readreport"})

USE_CASES: dict[str, UseCase] = {
    "start": invitations.start,
    "register": invitations.register,
    "approve": registration.approve,
    "reject": registration.reject,
    "report": reporting.report_command,
    "undo": reporting.undo,
    "status": status.status,
    "history": status.history,
    "units": status.units,
    "monthly": monthly.submit,
    "readreport": monthly.read,
    "subscribe": subscriptions.subscribe,
    "unsubscribe": subscriptions.unsubscribe,
    "export": exports.export,
    "announce": announcements.announce,
    "campaign": campaigns.show,
    "board": board.open_board,
    "unboard": board.close_board,
    "grant": delegation.grant,
    "invite": invitations.invite,
    "uninvite": invitations.revoke,
    "revoke": delegation.revoke,
    # Buttons only: the answer to a report held for confirmation.
    "confirm_held": reporting.confirm_held,
    "pick_other": reporting.pick_other,
    "cancel_held": reporting.cancel_held,
}


def handle(inbound: Inbound, store: Store, policy: Policy, now: datetime) -> list[Outbound]:
    turn = Turn(inbound=inbound, store=store, policy=policy, now=now)
    # Written only the first time: the sender's facts say whether the chat is known.
    first_contact = (
        inbound.is_private
        and turn.facts.private_chat is None
        and store.contacts.remember(
            inbound.sender.platform, inbound.sender.user_id, inbound.chat.chat_id, now
        )
    )
    replies = _answer(turn)
    if first_contact and inbound.chat.platform in policy.introduced_on:
        return introduced(replies, inbound)
    return replies


def introduced(replies: list[Outbound], inbound: Inbound) -> list[Outbound]:
    """The first answer to a new person says it comes from an automated system (Zalo's
    terms ask it), unless it already does (the help text)."""
    for index, reply in enumerate(replies):
        if reply.chat != inbound.chat:
            continue
        if wording.AUTOMATED_MARK not in reply.text:
            replies[index] = replace(reply, text=f"{reply.text}\n{wording.AUTOMATED_NOTICE}")
        break
    return replies


def _answer(turn: Turn) -> list[Outbound]:
    inbound, policy = turn.inbound, turn.policy
    if inbound.media is not None and inbound.command is None:
        # Never a figure: an edited caption changes nothing, a new one gets an answer.
        return [] if inbound.edited_at is not None else media.answer(turn)
    if inbound.edited_at is not None:
        if inbound.command is None or inbound.command in EDITABLE:
            return reporting.report_edit(turn)
        return []  # re-running /status or /undo because its message was edited helps nobody
    if inbound.command is None:
        if inbound.text.startswith("/") and (inbound.is_private or inbound.replies_to_bot):
            name = inbound.text.split()[0]
            return turn.reply(wording.unknown_command(name, policy.monthly_due_day))
        return reporting.report_free_text(turn)
    use_case = USE_CASES.get(inbound.command)
    if use_case is None:
        return []
    if inbound.command in NEEDS_A_CAMPAIGN and not policy.campaign.exists:
        today = local_date(turn.now, policy.tz)
        return turn.reply(
            wording.no_campaign_running(policy.campaign, today, admin=turn.is_any_admin())
        )
    return use_case(turn)
