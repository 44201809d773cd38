"""Ward admins: a district admin gives a person admin rights over one unit and everything
below it (`/capquyen ID MÃ`), and takes them back (`/thuhoiquyen ID`)."""

from __future__ import annotations

from bot.domain import wording
from bot.domain.model.messages import Outbound
from bot.domain.usecases.turn import Turn


def grant(turn: Turn) -> list[Outbound]:
    if not turn.is_admin():
        return turn.reply(wording.GRANT_DISTRICT_ONLY)
    args = turn.inbound.args
    if len(args) != 2:
        return turn.reply(wording.GRANT_USAGE)
    user_id, code = args[0].strip(), args[1].strip().upper()
    unit = turn.store.units.get(code)
    if unit is None or not unit.active:
        return turn.reply(wording.unknown_unit(code))
    platform = turn.sender.platform
    changed = turn.store.admins.grant(platform, user_id, turn.now, unit.code)
    replies = turn.reply(wording.admin_granted(user_id, unit, changed=changed))
    if changed:
        replies.append(turn.to_user(user_id, wording.admin_granted_for_grantee(unit)))
    return replies


def revoke(turn: Turn) -> list[Outbound]:
    if not turn.is_admin():
        return turn.reply(wording.GRANT_DISTRICT_ONLY)
    args = turn.inbound.args
    if len(args) != 1:
        return turn.reply(wording.REVOKE_USAGE)
    user_id = args[0].strip()
    changed = turn.store.admins.revoke(turn.sender.platform, user_id)
    return turn.reply(wording.admin_revoked(user_id, changed=changed))
