"""Invitations: an admin hands out a code (`/moi MÃ [N]`); whoever uses it (`/start CODE`
from the Telegram link, `/dangky CODE` on either platform) becomes a secretary of the unit at
once, or in a group binds the group to it. The invitation is the admin's consent.

A use is counted by one conditional update, so N people and no more get in, however many
try at once; a refused code (unknown, used up, expired, revoked) changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.domain import wording
from bot.domain.model.entities import Invitation, MembershipStatus, Person, Unit
from bot.domain.model.messages import Outbound
from bot.domain.ports import Store
from bot.domain.usecases import registration, status
from bot.domain.usecases.registration import admin_chats_over, approve_request
from bot.domain.usecases.turn import Turn

DEFAULT_USES = 3
MAX_USES = 100
# Letters and digits that cannot be mistaken for one another when read off a printed card.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    """Letters and at least one digit, so a code is never read as a unit's name."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if looks_like_code(code):
            return code


def looks_like_code(text: str) -> bool:
    candidate = text.strip().upper()
    return (
        len(candidate) == CODE_LENGTH
        and all(c in CODE_ALPHABET for c in candidate)
        and any(c.isdigit() for c in candidate)
        and any(c.isalpha() for c in candidate)
    )


def register(turn: Turn) -> list[Outbound]:
    """`/dangky`: with an invitation's code, join by it; otherwise ask to join a unit."""
    args = turn.inbound.args
    if len(args) == 1 and _is_invitation(turn, args[0]):
        return join(turn, args[0])
    return registration.register(turn)


def start(turn: Turn) -> list[Outbound]:
    """`/start CODE` comes from an invitation's Telegram link; `/start` alone is the help."""
    args = turn.inbound.args
    if len(args) == 1 and _is_invitation(turn, args[0]):
        return join(turn, args[0])
    return status.help_(turn)


def _is_invitation(turn: Turn, text: str) -> bool:
    code = text.strip().upper()
    if turn.store.units.get(code) is not None:
        return False
    return looks_like_code(code) or turn.store.invitations.get(code) is not None


def create_invitation(
    store: Store, unit: Unit, uses: int, by: Person, now: datetime, days: int
) -> Invitation:
    """A fresh invitation for the unit, valid `days` from `now`."""
    while True:  # 32^8 codes: a clash with a unit or an invitation is all but impossible
        code = new_code()
        if store.units.get(code) is None and store.invitations.get(code) is None:
            break
    invitation = Invitation(
        code=code,
        unit_code=unit.code,
        max_uses=uses,
        used=0,
        expires_at=now + timedelta(days=days),
        created_by=by,
        created_at=now,
    )
    store.invitations.create(invitation)
    return invitation


def invite(turn: Turn) -> list[Outbound]:
    """`/moi MÃ [N]`: admins, and unit admins inside their subtree."""
    if not turn.is_any_admin():
        return turn.reply(wording.NOT_ADMIN)
    args = turn.inbound.args
    if not args or len(args) > 2:
        return turn.reply(wording.INVITE_USAGE)
    code = args[0].strip().upper()
    unit = turn.store.units.get(code)
    if unit is None or not unit.active:
        return turn.reply(wording.unknown_unit(code))
    if not turn.is_admin_of(unit):
        return turn.reply(wording.outside_admin_scope(unit, turn.admin_unit()))
    uses = DEFAULT_USES
    if len(args) == 2:
        if not args[1].isdigit() or not 1 <= int(args[1]) <= MAX_USES:
            return turn.reply(wording.invite_bad_uses(MAX_USES))
        uses = int(args[1])
    invitation = create_invitation(
        turn.store, unit, uses, turn.sender, turn.now, turn.policy.invite_days
    )
    link = deep_link(turn.policy.telegram_username, invitation.code)
    return turn.reply(wording.invitation_created(invitation, unit, link, turn.policy.tz))


def deep_link(username: str | None, code: str) -> str | None:
    """Telegram's link that opens the bot and sends `/start CODE`."""
    return f"https://t.me/{username}?start={code}" if username else None


def revoke(turn: Turn) -> list[Outbound]:
    """`/huymoi CODE`: the admins of the invitation's unit."""
    if not turn.is_any_admin():
        return turn.reply(wording.NOT_ADMIN)
    if len(turn.inbound.args) != 1:
        return turn.reply(wording.REVOKE_INVITE_USAGE)
    code = turn.inbound.args[0].strip().upper()
    invitation = turn.store.invitations.get(code)
    if invitation is None:
        return turn.reply(wording.invitation_unknown(code))
    unit = turn.store.units.get(invitation.unit_code)
    if unit is None or not turn.is_admin_of(unit):
        return turn.reply(wording.outside_admin_scope(unit, turn.admin_unit()))
    revoked = turn.store.invitations.revoke(code, turn.now)
    return turn.reply(wording.invitation_revoked(invitation, unit, already=not revoked))


def join(turn: Turn, code: str) -> list[Outbound]:
    """Someone uses an invitation: in private they become the unit's secretary, in a group
    the group is bound to the unit."""
    code = code.strip().upper()
    invitation = turn.store.invitations.get(code)
    if invitation is None:
        return turn.reply(wording.invitation_unknown(code))
    unit = turn.store.units.get(invitation.unit_code)
    if unit is None or not unit.active:
        return turn.reply(wording.invitation_refused(code, "revoked", invitation, turn.policy.tz))
    person = turn.sender
    if turn.inbound.is_private:
        # One person's registrations one at a time (as /dangky).
        turn.store.members.lock_person(person.platform, person.user_id)
        current = turn.store.members.approved(person.platform, person.user_id)
        if current is not None and current.unit_code == unit.code:
            return turn.reply(wording.already_secretary(unit))
    elif turn.store.chats.unit_of(turn.inbound.chat) == unit.code:
        return turn.reply(wording.group_bound(unit))
    refusal = invitation.refusal(turn.now)
    if refusal is None and not turn.store.invitations.take(code, turn.now):
        # Taken, expired or revoked between the read and the update: read it again.
        taken = turn.store.invitations.get(code)
        refusal = (taken.refusal(turn.now) if taken else None) or "used_up"
    if refusal is not None:
        return turn.reply(wording.invitation_refused(code, refusal, invitation, turn.policy.tz))
    turn.store.invitations.record_use(code, person, turn.inbound.chat, turn.now)
    if turn.inbound.is_private:
        _make_secretary(turn, unit, invitation)
        answer = wording.joined_by_invitation(unit)
    else:
        turn.store.chats.bind(turn.inbound.chat, unit.code, person, turn.now)
        answer = wording.group_bound(unit)
    told = wording.joined_for_admins(
        person, unit, invitation, group=None if turn.inbound.is_private else turn.inbound.chat
    )
    # The admins on every platform: one on Telegram hears of a secretary who joined on Zalo.
    admins = admin_chats_over(turn, unit)
    return turn.reply(answer) + [Outbound(chat, told) for chat in admins]


def _make_secretary(turn: Turn, unit: Unit, invitation: Invitation) -> None:
    """An approved membership decided by the invitation's maker; any earlier request of the
    person's is superseded, as a new request does."""
    members, person = turn.store.members, turn.sender
    pending = members.pending(person.platform, person.user_id)
    if pending is not None:
        members.decide(pending.id, MembershipStatus.SUPERSEDED, person, turn.now)
    request = members.request(person, unit.code, turn.now)
    approve_request(turn, request, by=invitation.created_by)
