"""The scheduled jobs, platform-free: for a slot (the time a job was due), who is told what.

Each job reads the store at `now` and returns the messages to send; charts and tables are
described, not drawn. A job's *period* names what one run covers (the reminder slot, the
week digested, the day nudged, the month digested): the job ledger runs each period once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.model.jobnames import JobName
from bot.domain.model.messages import Outbound
from bot.domain.model.policy import Policy
from bot.domain.model.weeks import Month, local_date
from bot.domain.ports import Store
from bot.domain.scheduled.digests import monthly_digests, weekly_digests
from bot.domain.scheduled.reminders import monthly_nudges, weekly_reminders

# (store, policy, slot, now, the other jobs due at the same slot) -> the messages.
Collect = Callable[[Store, Policy, datetime, datetime, frozenset[str]], list[Outbound]]


@dataclass(frozen=True)
class JobDefinition:
    name: str
    period: Callable[[datetime, Policy], str]
    # A run missed while the bot was down is still worth running this long after its slot.
    grace: timedelta
    # ... or only on the same local day as its slot (a reminder about "today").
    same_day_only: bool
    collect: Collect

    def still_useful(self, slot: datetime, now: datetime, policy: Policy) -> bool:
        if now < slot:
            return False
        if self.same_day_only:
            return local_date(slot, policy.tz) == local_date(now, policy.tz)
        return now - slot <= self.grace


# ---------------------------------------------------------------- the job table


def _slot_period(slot: datetime, policy: Policy) -> str:
    return slot.astimezone(policy.tz).strftime("%Y-%m-%dT%H:%M")


def _digested_week(slot: datetime, policy: Policy) -> str:
    return policy.week_of(slot).previous().iso


def _day(slot: datetime, policy: Policy) -> str:
    return local_date(slot, policy.tz).isoformat()


def _month(slot: datetime, policy: Policy) -> str:
    return Month.of(slot, policy.tz).iso


JOBS: dict[str, JobDefinition] = {
    job.name: job
    for job in (
        JobDefinition(JobName.WEEKLY_REMINDER, _slot_period, timedelta(0), True, weekly_reminders),
        JobDefinition(
            JobName.WEEKLY_DIGEST, _digested_week, timedelta(days=2), False, weekly_digests
        ),
        JobDefinition(JobName.MONTHLY_NUDGE, _day, timedelta(0), True, monthly_nudges),
        JobDefinition(JobName.MONTHLY_DIGEST, _month, timedelta(days=2), False, monthly_digests),
    )
}
