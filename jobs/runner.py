"""Running one job for one slot: claim its period in the ledger, plan, queue, deliver.

Planning happens in three steps so that drawing charts never holds the database: claim the
period (a committed ledger row), collect the messages (a read), render their files (no
database), then queue every send and mark the run planned in one transaction. A crash before
that last commit leaves the claim unplanned; it is taken over once stale and planned again,
which is safe because nothing had been queued.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.app import Core
from bot.domain.jobs import JOBS
from bot.domain.messages import Outbound, with_files
from bot.domain.ports import Notifier
from bot.storage.repositories import SqlStore
from jobs.outbox import DrainReport, OutboxDispatcher

log = logging.getLogger(__name__)

# A claim that was not planned within this time belongs to a process that died.
STALE_PLANNING = timedelta(minutes=2)


@dataclass(frozen=True)
class RunReport:
    job: str
    period: str
    # False when the period had already been run (or is being run elsewhere).
    planned_now: bool
    queued: int
    delivery: DrainReport


class JobRunner:
    def __init__(self, core: Core, notifier: Notifier, dispatcher: OutboxDispatcher) -> None:
        self.core = core
        self.notifier = notifier
        self.dispatcher = dispatcher

    async def run(self, name: str, slot: datetime, now: datetime | None = None) -> RunReport:
        job = JOBS[name]
        policy = self.core.policy
        moment = now or self.core.now()
        period = job.period(slot, policy)
        database = self.core.database
        run, must_plan = await database.run_async(
            lambda store: store.job_runs.claim(name, period, slot, moment, STALE_PLANNING)
        )
        queued = 0
        if must_plan:
            messages = await database.run_async(
                lambda store: job.collect(store, policy, slot, moment)
            )
            rendered = await asyncio.to_thread(self._render, messages)
            parts = [part for message in rendered for part in self.notifier.parts(message)]

            def queue(store: SqlStore) -> None:
                store.outbox.enqueue(run.id, parts, moment)
                store.job_runs.planned(run.id, len(parts), moment)

            await database.run_async(queue)
            queued = len(parts)
            log.info("job %s for %s: %d sends queued", name, period, queued)
        else:
            log.info("job %s for %s was already run; delivering what is left", name, period)
        return RunReport(name, period, must_plan, queued, await self.dispatcher.drain())

    def _render(self, messages: list[Outbound]) -> list[Outbound]:
        renderer = self.core.renderer
        return [with_files(message, renderer.render) for message in messages]
