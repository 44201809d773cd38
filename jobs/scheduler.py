"""The schedule: APScheduler cron triggers in the campaign's time zone, plus catch-up.

Jobs carry only their name; when one fires, its slot is recomputed from its triggers, so a
late (misfired) run still covers the period it was due for. On start-up the latest slot of
each job is run if the bot missed it and it is still useful; the ledger makes a repeat of
a period impossible. A sweep every two minutes plans again, while still useful, a period whose
claim was abandoned by a crash before its messages were queued, and retries postponed sends.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock
from bot.domain.model.policy import Policy
from bot.domain.ports import Store
from bot.domain.scheduled.table import JOBS
from bot.domain.usecases.campaigns import SUMMARY_JOB, summary_due
from jobs.runner import JobRunner, RunReport

log = logging.getLogger(__name__)

# The longest gap between two slots of one job (a monthly job) plus a margin.
LOOKBACK = timedelta(days=40)
SWEEP_EVERY = timedelta(minutes=2)
# A campaign's final summary still goes this long after it was due (the bot was down);
# later, or for campaigns that ended before this version, it would only be noise.
SUMMARY_GRACE = timedelta(days=7)
# A fired job may start this late (the event loop was busy, the machine asleep) and still run.
MISFIRE_GRACE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Planned:
    job: str
    cron: str
    next_run: datetime | None


class Schedule:
    """The cron triggers of every job, and the slots they produce."""

    def __init__(self, schedules: Mapping[str, Sequence[str]], policy: Policy) -> None:
        self.crons = {name: tuple(schedules[name]) for name in JOBS}
        self.triggers = {
            name: [CronTrigger.from_crontab(cron, timezone=policy.tz) for cron in crons]
            for name, crons in self.crons.items()
        }

    def last_slot(self, name: str, now: datetime) -> datetime | None:
        slots = [slot for slot, _ in self.slots_between(now - LOOKBACK, now, only=name)]
        return slots[-1] if slots else None

    def slots_between(
        self, after: datetime, until: datetime, only: str | None = None
    ) -> list[tuple[datetime, str]]:
        found = []
        for name, triggers in self.triggers.items():
            if only is not None and name != only:
                continue
            for trigger in triggers:
                slot = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
                while slot is not None and slot <= until:
                    found.append((slot, name))
                    slot = trigger.get_next_fire_time(None, slot + timedelta(seconds=1))
        return sorted(found)

    def due_with(self, name: str, slot: datetime) -> frozenset[str]:
        """The other jobs that fall due at exactly this slot."""
        return frozenset(
            other
            for other, triggers in self.triggers.items()
            if other != name
            and any(trigger.get_next_fire_time(None, slot) == slot for trigger in triggers)
        )

    def planned(self, now: datetime) -> list[Planned]:
        return [
            Planned(name, cron, trigger.get_next_fire_time(None, now))
            for name, triggers in self.triggers.items()
            for cron, trigger in zip(self.crons[name], triggers, strict=True)
        ]


class JobScheduler:
    def __init__(self, runner: JobRunner, schedule: Schedule, policy: Policy, clock: Clock) -> None:
        self.runner = runner
        self.schedule = schedule
        self.policy = policy
        self.clock = clock
        self._scheduler: AsyncIOScheduler | None = None
        self._simulated_until: datetime | None = None

    # ------------------------------------------------------------ running

    def start(self, *, simulated: bool = False) -> None:
        """Start APScheduler in the running event loop. Simulated (the console's movable
        clock): a frequent tick runs the slots the simulated clock has passed."""
        scheduler = AsyncIOScheduler(timezone=self.policy.tz)
        if simulated:
            self._simulated_until = self.clock.now()
            scheduler.add_job(self.tick, IntervalTrigger(seconds=15), id="simulated-clock")
        else:
            for name, triggers in self.schedule.triggers.items():
                for index, trigger in enumerate(triggers):
                    scheduler.add_job(
                        self.fire,
                        trigger,
                        args=[name],
                        id=f"{name}#{index}",
                        misfire_grace_time=MISFIRE_GRACE_SECONDS,
                        coalesce=True,
                        max_instances=1,
                    )
        scheduler.add_job(
            self.sweep,
            IntervalTrigger(seconds=SWEEP_EVERY.total_seconds()),
            id="sweep",
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        self._scheduler = scheduler

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None

    async def fire(self, name: str) -> RunReport | None:
        slot = self.schedule.last_slot(name, self.clock.now())
        if slot is None:
            return None
        return await self._run(name, slot)

    async def _run(self, name: str, slot: datetime, now: datetime | None = None) -> RunReport:
        return await self.runner.run(name, slot, now, self.schedule.due_with(name, slot))

    async def catch_up(self) -> list[RunReport]:
        """Run each job's latest slot if it was missed and is still useful; then sweep."""
        now = self.clock.now()
        reports = []
        for name, job in JOBS.items():
            slot = self.schedule.last_slot(name, now)
            if slot is not None and job.still_useful(slot, now, self.policy):
                reports.append(await self._run(name, slot))
        await self.sweep()
        return reports

    async def sweep(self) -> None:
        now = self.clock.now()
        stale = await self.runner.core.database.run_async(
            lambda store: store.job_runs.stale_planning(self.runner.stale_before(now))
        )
        for run in stale:
            if run.job in JOBS and JOBS[run.job].still_useful(run.slot, now, self.policy):
                await self._run(run.job, run.slot)
        # Announcements recorded by another worker, or left unqueued by a crash.
        await self.announce_pending()
        await self.summarise_ended(now)
        await self.runner.dispatcher.drain()

    async def summarise_ended(self, now: datetime) -> list[RunReport]:
        """The final summary of each campaign whose last week has closed, once."""

        def due(store: Store) -> list[int]:
            return [
                campaign.id
                for campaign in store.campaigns.all()
                if (moment := summary_due(campaign, self.policy)) is not None
                and moment <= now < moment + SUMMARY_GRACE
                and not store.job_runs.has_run(SUMMARY_JOB, str(campaign.id))
            ]

        ready = await self.runner.core.database.run_async(due)
        return [await self.runner.summarise(campaign_id) for campaign_id in ready]

    async def announce_pending(self) -> list[RunReport]:
        pending = await self.runner.core.database.run_async(
            lambda store: store.announcements.pending()
        )
        return [await self.runner.announce(announcement_id) for announcement_id in pending]

    async def tick(self) -> list[RunReport]:
        """Simulated time: run every slot between the last tick and the simulated now."""
        now = self.clock.now()
        after = self._simulated_until or now
        self._simulated_until = now
        return await self.run_between(after, now)

    async def run_between(self, after: datetime, until: datetime) -> list[RunReport]:
        """Every slot in (after, until], in order, each as if run on time."""
        reports = []
        for slot, name in self.schedule.slots_between(after, until):
            reports.append(await self._run(name, slot, now=slot))
        return reports
