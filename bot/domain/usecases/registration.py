"""Who may report: registration requests, approval by an admin, and binding a group to a unit.

Every step is idempotent by state (a repeated request finds the pending one, a repeated
approval finds nothing pending), so a message delivered twice never notifies twice.
"""

from __future__ import annotations

from datetime import datetime, time

from bot.domain import wording
from bot.domain.model.entities import ChatRef, Membership, MembershipStatus, Person, Unit
from bot.domain.model.messages import Button, Outbound
from bot.domain.model.weeks import local_date
from bot.domain.reading.naming import closest_units, search_units
from bot.domain.usecases.turn import Turn

# Requests one person may make in a day (each one notifies every admin).
REQUESTS_PER_DAY = 3


# At most this many units are offered for a name that fits several.
REGISTER_CANDIDATES = 5


def register(turn: Turn) -> list[Outbound]:
    if not turn.inbound.args:
        return turn.reply(wording.REGISTER_USAGE)
    query = " ".join(turn.inbound.args)
    unit = turn.store.units.get(query.strip().upper())
    if unit is None or not unit.active:
        # «/dangky Khương Mai»: by name, as people know their unit.
        active = turn.store.units.active()
        found = search_units(query, active, limit=REGISTER_CANDIDATES)
        if len(found) > 1:
            return turn.reply(wording.several_units_match(query, found))
        if not found:
            return turn.reply(wording.no_unit_matches(query, closest_units(query, active)))
        unit = found[0]
    if turn.inbound.is_private:
        return _request_membership(turn, unit)
    return _bind_group(turn, unit)


def approve(turn: Turn) -> list[Outbound]:
    return _decide(turn, MembershipStatus.APPROVED)


def reject(turn: Turn) -> list[Outbound]:
    return _decide(turn, MembershipStatus.REJECTED)


def _admins_covering(turn: Turn, unit: Unit) -> list[tuple[str, str]]:
    """(platform, user id) of every admin who looks after this unit: the district's
    (settings and grants) and the unit admins of the unit and of every unit above it."""
    covering = {unit.code, *(above.code for above in turn.ancestors(unit))}
    granted = {
        (grant.platform, grant.user_id)
        for grant in turn.store.admins.grants()
        if grant.unit_code is None or grant.unit_code in covering
    }
    return sorted(granted | set(turn.policy.configured_admins))


def admin_chats_over(turn: Turn, unit: Unit) -> list[ChatRef]:
    """Those admins' private chats, on every platform."""
    contacts = turn.store.contacts
    return [
        contacts.private_chat(platform, user) or ChatRef(platform, user)
        for platform, user in _admins_covering(turn, unit)
    ]


def admins_over(turn: Turn, unit: Unit) -> list[str]:
    """Who decides for this unit on the sender's platform (decisions are by user id)."""
    platform = turn.sender.platform
    return [user for where, user in _admins_covering(turn, unit) if where == platform]


def _request_membership(turn: Turn, unit: Unit) -> list[Outbound]:
    members = turn.store.members
    person = turn.sender
    # One person's requests one at a time: two at once would leave one orphaned.
    members.lock_person(person.platform, person.user_id)
    current = members.approved(person.platform, person.user_id)
    if current is not None and current.unit_code == unit.code:
        return turn.reply(wording.already_secretary(unit))
    pending = members.pending(person.platform, person.user_id)
    if pending is not None and pending.unit_code == unit.code:
        return turn.reply(wording.request_still_pending(unit))
    day_start = datetime.combine(local_date(turn.now, turn.policy.tz), time(0), turn.policy.tz)
    if not turn.is_any_admin() and (
        members.requests_since(person.platform, person.user_id, day_start) >= REQUESTS_PER_DAY
    ):
        # Each request notifies every admin: a person flipping units is stopped here.
        return turn.reply(wording.too_many_requests(REQUESTS_PER_DAY))
    if pending is not None:
        members.decide(pending.id, MembershipStatus.SUPERSEDED, person, turn.now)
    request = members.request(person, unit.code, turn.now)
    if turn.is_admin_of(unit):
        approve_request(turn, request)
        return turn.reply(wording.admin_registered_directly(unit))

    admins = admins_over(turn, unit)
    current_unit = turn.store.units.get(current.unit_code) if current else None
    # The buttons name this request, so a press decides it and nothing else.
    buttons = (
        Button(
            wording.BUTTON_APPROVE, "approve", str(request.id), typed=f"/duyet {person.user_id}"
        ),
        Button(wording.BUTTON_REJECT, "reject", str(request.id), typed=f"/tuchoi {person.user_id}"),
    )
    notices = [
        turn.to_user(admin, wording.request_for_admin(person, unit, current_unit), buttons)
        for admin in admins
    ]
    return turn.reply(wording.request_sent(unit, admins_available=bool(admins))) + notices


def _bind_group(turn: Turn, unit: Unit) -> list[Outbound]:
    member_unit = turn.member_unit()
    if not turn.is_admin_of(unit):
        if turn.admin_unit() is not None and (member_unit is None or member_unit.code != unit.code):
            return turn.reply(wording.outside_admin_scope(unit, turn.admin_unit()))
        if member_unit is None:
            return turn.reply(wording.REGISTER_IN_PRIVATE)
        if member_unit.code != unit.code:
            return turn.reply(wording.bind_other_unit(member_unit))
        # A group bound to a unit changes hands only by an admin or that unit's secretary.
        bound = turn.chat_unit()
        if bound is not None and bound.code != member_unit.code:
            return turn.reply(wording.group_bound_elsewhere(bound))
    turn.store.chats.bind(turn.inbound.chat, unit.code, turn.sender, turn.now)
    return turn.reply(wording.group_bound(unit))


def _decide(turn: Turn, decision: MembershipStatus) -> list[Outbound]:
    if not turn.is_any_admin():
        return turn.reply(wording.NOT_ADMIN)
    args = turn.inbound.args
    if len(args) != 1 or not args[0].strip():
        return turn.reply(wording.DECIDE_USAGE)
    pressed = turn.inbound.button_message_id is not None
    if pressed:
        shown = turn.store.members.get(int(args[0])) if args[0].isdigit() else None
        if shown is None:
            return turn.answer_press(wording.REQUEST_CHANGED)
        decided = (MembershipStatus.APPROVED, MembershipStatus.REJECTED)
        if shown.status in decided and shown.decided_by is not None:
            # Another admin was first: the button now says who decided, and how.
            shown_unit = turn.store.units.get(shown.unit_code)
            if shown_unit is not None:
                return turn.answer_press(wording.request_decided_by(shown, shown_unit))
        user_id = shown.person.user_id
    else:
        user_id = args[0].strip()
    # Two admins (or one button pressed twice) deciding at once: the second finds nothing.
    turn.store.members.lock_person(turn.sender.platform, user_id)
    request = turn.store.members.pending(turn.sender.platform, user_id)
    if pressed and (request is None or str(request.id) != args[0]):
        # The button was shown for a request that was decided or replaced since.
        return turn.answer_press(wording.REQUEST_CHANGED)
    if request is None:
        return turn.reply(wording.no_pending_request(user_id))
    unit = turn.store.units.get(request.unit_code)
    if unit is None:
        raise LookupError(f"membership names unit {request.unit_code!r}, which is unknown")
    if not turn.is_admin_of(unit):
        return turn.reply(wording.outside_admin_scope(unit, turn.admin_unit()))
    if decision is MembershipStatus.APPROVED:
        if not approve_request(turn, request):
            return turn.reply(wording.no_pending_request(user_id))
        for_admin = wording.approved_for_admin(request.person, unit)
        for_requester = wording.approved_for_requester(unit)
    else:
        if not turn.store.members.decide_pending(
            request.id, MembershipStatus.REJECTED, turn.sender, turn.now
        ):
            return turn.reply(wording.no_pending_request(user_id))
        for_admin = wording.rejected_for_admin(request.person, unit)
        for_requester = wording.rejected_for_requester(unit)
    return [*turn.answer_press(for_admin), turn.to_user(request.person.user_id, for_requester)]


def approve_request(turn: Turn, request: Membership, by: Person | None = None) -> bool:
    """Approve a pending request (decided by `by`, the sender by default), the person's
    earlier unit superseded; False if it was decided meanwhile."""
    members, decider = turn.store.members, by or turn.sender
    person: Person = request.person
    previous = members.approved(person.platform, person.user_id)
    if not members.decide_pending(request.id, MembershipStatus.APPROVED, decider, turn.now):
        return False
    if previous is not None and previous.id != request.id:
        members.decide(previous.id, MembershipStatus.SUPERSEDED, decider, turn.now)
    return True
