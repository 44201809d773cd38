"""The reminders: each week to units behind their quota, and before the monthly report's due day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.domain import wording
from bot.domain.model.entities import (
    ChatRef,
    Unit,
    UnitKind,
    UnitWeekTotal,
)
from bot.domain.model.jobnames import JobName
from bot.domain.model.messages import Outbound
from bot.domain.model.policy import Policy, ReminderTarget
from bot.domain.model.progress import Place, Progress, Standing, place_of
from bot.domain.model.tree import UnitTree
from bot.domain.model.weeks import Month, local_date
from bot.domain.ports import AbandonedSend, Store
from bot.domain.usecases.coverage import DueReminder, delivered
from bot.domain.usecases.status import sub_unit_report


def weekly_reminders(
    store: Store,
    policy: Policy,
    slot: datetime,
    now: datetime,
    together: frozenset[str] = frozenset(),
) -> list[Outbound]:
    """Units behind their quota are reminded. When the monthly nudge falls due at the same
    slot, each chat gets one message carrying both."""
    dues = _weekly_dues(store, policy, slot, now)
    if JobName.MONTHLY_NUDGE in together:
        dues += _monthly_dues(store, policy, slot, now)
    return _delivered(store, policy, dues)


def _delivered(store: Store, policy: Policy, dues: Sequence[DueReminder]) -> list[Outbound]:
    """Each chat's one message for the slot; units nobody reports for passed up the tree."""
    if not dues:
        return []
    tree = UnitTree(store.units.active())
    return delivered(dues, tree, reminder_chats(store, policy, None))


def reminder_chats(
    store: Store, policy: Policy, codes: Sequence[str] | None
) -> dict[str, list[ChatRef]]:
    """Where each unit's reminders go, as the REMINDER_TARGET setting says (every unit's
    for None)."""
    everything = store.chats.unit_chats(codes)
    if policy.reminder_target is ReminderTarget.BOTH:
        return everything
    groups = store.chats.unit_groups(codes)
    chosen = {}
    for code, chats in everything.items():
        bound = groups.get(code, [])
        privates = [chat for chat in chats if chat not in bound]
        if policy.reminder_target is ReminderTarget.GROUP:
            chosen[code] = bound or privates
        else:
            chosen[code] = privates or bound
    return chosen


def _weekly_dues(store: Store, policy: Policy, slot: datetime, now: datetime) -> list[DueReminder]:
    week = policy.week_of(slot)
    if not policy.campaign.is_running_on(local_date(slot, policy.tz)):
        return []
    rows = {
        row.unit.code: row for row in store.ledger.week_totals(policy.campaign.id, week.start, None)
    }
    tree = UnitTree(row.unit for row in rows.values())
    behind = [r for r in rows.values() if r.unit.weekly_quota > 0 and r.total < r.unit.weekly_quota]
    dues = []
    # Furthest behind first: where a platform's message budget runs short, they are told.
    for row in sorted(behind, key=lambda r: (r.total / r.unit.weekly_quota, r.unit.code)):
        unit = row.unit
        standing = Standing(
            unit,
            row.figure,
            Progress(row.total, unit.weekly_quota, week.days_left(now, policy.tz)),
            tree.has_sub_units(unit.code),
            tree.sub_unit_noun(unit.code),
        )
        below = sub_unit_report(tree, rows, unit)
        text = wording.weekly_reminder(
            standing, week, below, policy.campaign.metric, _rank(tree, rows, unit)
        )
        gist = wording.weekly_gist(row.total, unit.weekly_quota)
        dues.append(DueReminder(unit, text, gist))
    return dues


def _rank(tree: UnitTree, rows: Mapping[str, UnitWeekTotal], unit: Unit) -> Place:
    """Where the unit stands among its siblings of the same kind (wards among wards)."""
    siblings = [
        rows[sibling.code]
        for sibling in tree.children(unit.parent)
        if sibling.kind is unit.kind and sibling.code in rows
    ]
    return place_of(siblings, unit.code, wording.KIND_PLURALS[unit.kind])


def uncertain_sends_notice(
    policy: Policy, platform: str, job: str, period: str, count: int
) -> list[Outbound]:
    """Sends that may or may not have arrived are never repeated: the admins hear of them."""
    text = wording.uncertain_sends_for_admins(job, period, count)
    return [
        Outbound(ChatRef(platform, user), text) for user in policy.configured_admin_ids(platform)
    ]


def abandoned_sends_notice(
    policy: Policy, platform: str, abandoned: Sequence[AbandonedSend]
) -> list[Outbound]:
    """Sends caught in flight are never repeated: the admins hear which ones, once."""
    if not abandoned:
        return []
    text = wording.abandoned_sends_for_admins([(s.chat.chat_id, s.first_line) for s in abandoned])
    return [
        Outbound(ChatRef(platform, user), text) for user in policy.configured_admin_ids(platform)
    ]


def monthly_nudges(
    store: Store,
    policy: Policy,
    slot: datetime,
    now: datetime,
    together: frozenset[str] = frozenset(),
) -> list[Outbound]:
    if JobName.WEEKLY_REMINDER in together:
        return []  # carried by the weekly reminder of the same slot, one message per chat
    return _delivered(store, policy, _monthly_dues(store, policy, slot, now))


def _monthly_dues(store: Store, policy: Policy, slot: datetime, now: datetime) -> list[DueReminder]:
    month = Month.of(slot, policy.tz)
    due = policy.monthly_due(month)
    if now >= due or not policy.campaign.is_running_on(local_date(slot, policy.tz)):
        return []
    sent = {s.unit_code for s in store.submissions.for_month(policy.campaign.id, month.iso)}
    missing = [u for u in reporting_units(store.units.active()) if u.code not in sent]
    days_left = (due.date() - local_date(now, policy.tz)).days
    dues = [
        DueReminder(
            unit,
            wording.monthly_nudge(unit, month, due, days_left, policy.tz),
            wording.monthly_gist(month),
        )
        for unit in sorted(missing, key=lambda u: u.code)
    ]
    return dues


def reporting_units(units: Sequence[Unit]) -> list[Unit]:
    """Units that owe a monthly report: all but the district itself."""
    return [unit for unit in units if unit.kind is not UnitKind.DISTRICT]
