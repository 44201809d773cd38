"""Announcements: `/thongbao [MÃ] nội dung` (admins, unit admins for their subtree) sends a text,
and the photo or document it came with, to every chat of the scope, by the rule of
reminders (a unit's bound group, else its secretaries in private).

The use case only records the announcement, in the update's own unit of work; the leader
then sends it as a run of its own (claimed once, queued in the outbox within the platforms'
monthly budgets, paced, never resent after a crash), so each chat gets it exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.domain import wording
from bot.domain.model.entities import Announcement, ChatRef, Unit
from bot.domain.model.jobnames import ANNOUNCEMENT_RUN
from bot.domain.model.messages import Outbound, Rendered, StoredFile
from bot.domain.model.policy import Policy
from bot.domain.model.tree import UnitTree, scope_units
from bot.domain.ports import Store
from bot.domain.scheduled.budget import allowance
from bot.domain.scheduled.reminders import reminder_chats
from bot.domain.usecases.turn import Turn

JOB = ANNOUNCEMENT_RUN
# Telegram's caption-free text limit leaves room for the heading above the text.
MAX_TEXT = 3500


def announce(turn: Turn) -> list[Outbound]:
    if not turn.is_any_admin():
        return turn.reply(wording.NOT_ADMIN)
    scope, text = _scope_and_text(turn)
    if isinstance(scope, str):
        return turn.reply(scope)
    file = turn.inbound.photo or turn.inbound.document
    if not text and file is None:
        return turn.reply(wording.ANNOUNCE_USAGE)
    if len(text) > MAX_TEXT:
        return turn.reply(wording.announcement_too_long(MAX_TEXT))
    chats = recipients(turn.store, turn.policy, scope)
    if not chats:
        return turn.reply(wording.announcement_nobody(scope))
    announcement = Announcement(
        id=0,
        scope=scope.code if scope else None,
        text=text,
        by=turn.sender,
        created_at=turn.now,
        file_id=file.file_id if file else None,
        file_name=file.file_name if file else None,
        file_kind=("photo" if turn.inbound.photo else "document") if file else None,
    )
    turn.store.announcements.create(announcement)
    by_platform = Counter(chat.platform for chat in chats)
    return turn.reply(
        wording.announcement_accepted(scope, dict(by_platform), _held(turn, by_platform))
    )


def _held(turn: Turn, by_platform: Counter[str]) -> dict[str, int]:
    """How many chats each budgeted platform will not reach this month, as the run will
    decide: when they do not all fit, room is kept for the admins' notice naming them."""
    held = {}
    for platform, count in by_platform.items():
        limit = allowance(turn.store, turn.policy, platform, JOB, turn.now)
        if limit is None or count <= limit.left:
            continue
        room = max(0, limit.left - len(turn.policy.configured_admin_ids(platform)))
        held[platform] = count - room
    return held


def _scope_and_text(turn: Turn) -> tuple[Unit | str | None, str]:
    """The unit named first (if the first word is one) and the text after it, with its
    line breaks as written; a unit admin's scope by default is their unit."""
    body = turn.inbound.text.strip()
    body = body.split(maxsplit=1)[1] if " " in body or "\n" in body else ""
    first = body.split(maxsplit=1)[0] if body else ""
    named = turn.store.units.get(first.upper()) if first else None
    if named is not None and named.active:
        if not turn.is_admin_of(named):
            return wording.outside_admin_scope(named, turn.admin_unit()), ""
        rest = body[len(first) :].strip()
        return named, rest
    return turn.admin_unit(), body


def recipients(store: Store, policy: Policy, scope: Unit | None) -> list[ChatRef]:
    """Every chat of the scope, once, in tree order: each unit's bound group, else its
    secretaries in private (as REMINDER_TARGET says)."""
    tree = UnitTree(store.units.active())
    units = scope_units(tree, scope)
    chats = reminder_chats(store, policy, [unit.code for unit in units])
    ordered: list[ChatRef] = []
    for unit in units:
        for chat in chats.get(unit.code, []):
            if chat not in ordered:
                ordered.append(chat)
    return ordered


def announcement_messages(
    store: Store, policy: Policy, announcement_id: int, now: datetime
) -> list[Outbound]:
    """What the run of an announcement sends: one message per chat of its scope."""
    announcement = store.announcements.get(announcement_id)
    if announcement is None:
        return []
    scope = store.units.get(announcement.scope) if announcement.scope else None
    messages = []
    origin = announcement.by.platform
    for chat in recipients(store, policy, scope):
        files: tuple[Rendered, ...] = ()
        if announcement.file_id and announcement.file_name:
            # The platform it came from keeps the file: sent on by its id there; to another
            # platform's chats it is passed on as a link where they show links (the send
            # says where to see it otherwise).
            files = (
                StoredFile(
                    announcement.file_id,
                    announcement.file_name,
                    photo=announcement.file_kind == "photo",
                    platform=None if chat.platform == origin else origin,
                ),
            )
        text = wording.announcement_text(announcement, scope)
        messages.append(Outbound(chat, text, attachments=files))
    return messages
