"""Who reports for which unit: the units nobody reports for, and where their reminders go.

A unit *has a reporter* when someone can be reached for it: an approved secretary on any
platform, or a bound group, whose chat has not left the bot. A unit without one would
otherwise fall through silently (no reminder, no answer): admins see them listed, and a
reminder due for one goes to the nearest unit above it that has a reporter, merged into
that chat's one message for the slot.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.domain import wording
from bot.domain.model.entities import ChatRef, Unit, UnitKind
from bot.domain.model.messages import Outbound
from bot.domain.model.tree import UnitTree
from bot.domain.ports import Store


def reached_units(store: Store) -> frozenset[str]:
    """Codes of the units somebody reports for (one query)."""
    return frozenset(store.chats.unit_chats(None))


def without_reporter(
    tree: UnitTree, reached: Collection[str], scope: Unit | None = None
) -> list[Unit]:
    """The scope's units nobody reports for, top-level units first (then tree order). The
    district itself is the admins' and is never listed."""
    if scope is not None and scope.code not in tree:
        return []
    # One walk of the tree: depth first, then kept in that order within each depth.
    walked = tree.ordered(tree.by_code[scope.code] if scope is not None else None)
    missing = [
        (depth, index, unit)
        for index, (depth, unit) in enumerate(walked)
        if unit.kind is not UnitKind.DISTRICT and unit.code not in reached
    ]
    return [unit for _, _, unit in sorted(missing, key=lambda found: found[:2])]


@dataclass(frozen=True)
class DueReminder:
    """A reminder due for a unit: what its own chats are told, and in a few words what the
    unit above it is asked to follow up when nobody reports for it."""

    unit: Unit
    text: str
    gist: str


def delivered(
    dues: Sequence[DueReminder],
    tree: UnitTree,
    chats: Mapping[str, Sequence[ChatRef]],
) -> list[Outbound]:
    """Each reminder to its unit's chats; one for a unit nobody reports for goes, as a
    follow-up request, to the nearest unit above with chats (when none has any, the unit
    is in the admins' lists: /tiendo all, the digest, `quizbot units --missing`). Every
    chat gets one message for the slot, its own reminders first, in the order given."""
    own: dict[ChatRef, list[str]] = {}
    passed_on: dict[ChatRef, list[str]] = {}
    for due in dues:
        reached = chats.get(due.unit.code)
        if reached:
            for chat in reached:
                own.setdefault(chat, []).append(due.text)
            continue
        above = next((unit for unit in tree.ancestors(due.unit.code) if chats.get(unit.code)), None)
        for chat in chats[above.code] if above is not None else ():
            passed_on.setdefault(chat, []).append(wording.no_reporter_follow_up(due.unit, due.gist))
    messages = []
    for chat in [*own, *(chat for chat in passed_on if chat not in own)]:
        parts = own.get(chat, [])
        if chat in passed_on:
            parts = [*parts, wording.no_reporter_follow_ups(passed_on[chat])]
        messages.append(Outbound(chat, wording.joined_reminders(parts)))
    return messages
