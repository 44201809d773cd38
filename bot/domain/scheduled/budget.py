"""Platforms with a monthly message budget (Zalo's basic plan: about 3 000 messages).

A fan-out that would pass the budget sends the most useful first: digests to officials come
before reminders (a reserve is kept for the digests still due this month), and reminders
come furthest behind first (the jobs list them in that order). What is held back is named
to the admins; nothing is dropped in silence.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain import wording
from bot.domain.model.entities import ChatRef
from bot.domain.model.jobnames import JobName
from bot.domain.model.messages import Outbound, RenderedMessage, Send
from bot.domain.model.policy import Policy
from bot.domain.model.weeks import Month, local_date
from bot.domain.ports import Store

DIGEST_JOBS = frozenset({JobName.WEEKLY_DIGEST, JobName.MONTHLY_DIGEST})
# What one digest costs on Zalo: its text in 2 000-character parts, the chart, the link.
DIGEST_SENDS = 8


@dataclass(frozen=True)
class Allowance:
    platform: str
    month: Month
    budget: int
    # Sent this month, plus queued and not yet out.
    used: int
    # Kept for the digests still due this month.
    reserve: int

    @property
    def left(self) -> int:
        return max(0, self.budget - self.used - self.reserve)


def allowance(
    store: Store, policy: Policy, platform: str, job: str, now: datetime
) -> Allowance | None:
    """What a run of `job` may send on `platform`; None when the platform has no budget."""
    budget = policy.message_budgets.get(platform)
    if budget is None:
        return None
    month = Month.of(now, policy.tz)
    used = store.message_counts.sent(platform, month.iso) + store.outbox.waiting(platform)
    reserve = 0 if job in DIGEST_JOBS else digest_reserve(store, policy, platform, now)
    return Allowance(platform, month, budget, used, reserve)


def digest_reserve(store: Store, policy: Policy, platform: str, now: datetime) -> int:
    """Sends to keep for the digests still due this month to the platform's subscribers:
    one weekly digest per Monday left, and the monthly digest if its day is still ahead."""
    subscribers = sum(1 for s in store.subscriptions.active() if s.chat.platform == platform)
    if not subscribers:
        return 0
    today = local_date(now, policy.tz)
    last_day = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    mondays = sum(
        1
        for day in range(today.day + 1, last_day.day + 1)
        if date(today.year, today.month, day).weekday() == 0
    )
    monthly = 1 if today.day < policy.monthly_due_day else 0
    return subscribers * DIGEST_SENDS * (mondays + monthly)


@dataclass(frozen=True)
class Fitted:
    sends: list[Send]
    # Whole messages held back (a digest is never sent in part).
    held: list[RenderedMessage]


def fit(planned: Sequence[tuple[RenderedMessage, list[Send]]], left: int) -> Fitted:
    """Messages (with their separate sends) in the order given, each whole, while the sends
    fit in `left`; the rest held back."""
    sends: list[Send] = []
    held: list[RenderedMessage] = []
    for message, parts in planned:
        if held or len(parts) > left:
            held.append(message)
            continue
        sends.extend(parts)
        left -= len(parts)
    return Fitted(sends, held)


def held_back_notice(
    policy: Policy,
    platforms: Sequence[str],
    limit: Allowance,
    job: str,
    period: str,
    held: Sequence[Outbound],
) -> list[Outbound]:
    """Every admin, on every platform the bot serves, hears exactly what was not sent."""
    text = wording.budget_held_back(
        limit.platform, limit.month, limit.budget, limit.used, job, period, held
    )
    return [
        Outbound(ChatRef(platform, user), text)
        for platform in platforms
        for user in policy.configured_admin_ids(platform)
    ]
