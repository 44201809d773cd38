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
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.delivery import Channels
from bot.domain.model.messages import (
    Attachment,
    Outbound,
    Rendered,
    RenderedMessage,
    Send,
    StoredFile,
    with_files,
)
from bot.domain.ports import AbandonedSend, Notifier, Store
from bot.domain.scheduled.budget import allowance, fit, held_back_notice
from bot.domain.scheduled.reminders import abandoned_sends_notice, uncertain_sends_notice
from bot.domain.scheduled.table import JOBS
from bot.domain.usecases.announcements import JOB as ANNOUNCEMENT_JOB
from bot.domain.usecases.announcements import announcement_messages
from bot.domain.usecases.campaigns import SUMMARY_JOB, final_summaries
from jobs.outbox import DrainReport, OutboxDispatcher
from jobs.ports import JobCore as Core

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


class ClaimLost(Exception):
    """Another process took this run's claim over while it was being planned."""


class JobRunner:
    def __init__(
        self,
        core: Core,
        notifiers: Notifier | Channels,
        dispatcher: OutboxDispatcher,
        wall_clock: Clock | None = None,
    ) -> None:
        self.core = core
        self.channels = Channels.of(notifiers)
        self.dispatcher = dispatcher
        dispatcher.on_abandoned = self._tell_admins_abandoned
        # Claims are stamped in real time, even for a run "as if" at another moment: another
        # process judges a claim stale by its age, and a past stamp would look abandoned.
        self.wall_clock = wall_clock or core.clock
        # Set when this worker took the lead: a claim made before then is the previous
        # leader's, and stale at once.
        self.term_started: datetime | None = None

    def stale_before(self, now: datetime) -> datetime:
        """A claim made at or before this moment and never planned belongs to a process that
        died (or lost the lead)."""
        threshold = now - STALE_PLANNING
        return max(threshold, self.term_started) if self.term_started else threshold

    async def take_over(self) -> None:
        """Start a term as the elected leader: claims of the previous leader may be taken
        over at once, and its sends caught in flight are settled as of unknown outcome
        (they may have arrived, so they are never sent again)."""
        self.term_started = self.wall_clock.now()
        abandoned = await self.dispatcher.abandon_in_flight()
        if abandoned:
            log.warning(
                "%d sends of the previous leader were in flight: not resent", len(abandoned)
            )

    async def run(
        self,
        name: str,
        slot: datetime,
        now: datetime | None = None,
        together: frozenset[str] = frozenset(),
    ) -> RunReport:
        """`together`: the other jobs due at the same slot (a reminder and a nudge due at
        once become one message per chat)."""
        job = JOBS[name]
        moment = now or self.core.now()
        # A planned campaign may have started (or the running one ended) since the last run.
        self.core.refresh_campaign(moment)
        policy = self.core.policy
        period = job.period(slot, policy)
        return await self._run(
            name,
            period,
            slot,
            moment,
            lambda store: job.collect(store, policy, slot, moment, together),
        )

    async def announce(self, announcement_id: int) -> RunReport:
        """An announcement (/thongbao) as a run of its own: claimed once, queued within the
        budgets together with the mark that it was planned, then delivered."""
        moment = self.core.now()
        self.core.refresh_campaign(moment)
        policy = self.core.policy
        return await self._run(
            ANNOUNCEMENT_JOB,
            str(announcement_id),
            moment,
            moment,
            lambda store: announcement_messages(store, policy, announcement_id, moment),
            planned=lambda store: store.announcements.mark_planned(announcement_id, moment),
            prepare=self._passed_on,
        )

    async def _passed_on(self, messages: list[Outbound]) -> list[Outbound]:
        """A file kept by another platform (a Telegram photo announced to Zalo chats) is
        fetched once and attached, for the chats whose platform shows files as links."""
        fetched: dict[str, Attachment | None] = {}
        ready = []
        for message in messages:
            capabilities = self.channels.capabilities(message.chat.platform)
            files: list[Rendered] = []
            for file in message.attachments:
                if isinstance(file, StoredFile) and file.platform and capabilities.links:
                    if file.file_id not in fetched:
                        fetched[file.file_id] = await self.channels.fetch(file)
                    files.append(fetched[file.file_id] or file)
                else:
                    files.append(file)
            ready.append(replace(message, attachments=tuple(files)))
        return ready

    async def summarise(self, campaign_id: int) -> RunReport:
        """An ended campaign's final summary, once (the job ledger's period is its id)."""
        moment = self.core.now()
        self.core.refresh_campaign(moment)
        policy = self.core.policy
        return await self._run(
            SUMMARY_JOB,
            str(campaign_id),
            moment,
            moment,
            lambda store: final_summaries(store, policy, campaign_id, moment),
        )

    async def _run(
        self,
        name: str,
        period: str,
        slot: datetime,
        moment: datetime,
        collect: Callable[[Store], list[Outbound]],
        planned: Callable[[Store], None] | None = None,
        prepare: Callable[[list[Outbound]], Awaitable[list[Outbound]]] | None = None,
    ) -> RunReport:
        database = self.core.database
        claimed_at = self.wall_clock.now()
        stale_after = claimed_at - self.stale_before(claimed_at)
        run, must_plan = await database.run_async(
            lambda store: store.job_runs.claim(name, period, slot, claimed_at, stale_after)
        )
        queued = 0
        if must_plan:
            messages = await database.run_async(collect)
            if prepare is not None:
                messages = await prepare(messages)
            rendered = await asyncio.to_thread(self._render, messages)
            parts = [(message, self.channels.parts(message)) for message in rendered]

            def queue(store: Store) -> int:
                sends, notices = self._within_budgets(store, name, period, parts)
                # Fenced by the claim: queue only if nobody took this run over meanwhile.
                if not store.job_runs.planned(run.id, len(sends), moment, claimed_at):
                    raise ClaimLost(f"{name} {period}")
                store.outbox.enqueue(run.id, sends, moment)
                store.outbox.enqueue(None, notices, moment)
                if planned is not None:
                    planned(store)
                return len(sends)

            try:
                queued = await database.run_async(queue)
                log.info("job %s for %s: %d sends queued", name, period, queued)
            except ClaimLost:
                must_plan = False
                log.warning("job %s for %s was taken over by another process", name, period)
        else:
            log.info("job %s for %s was already run; delivering what is left", name, period)
        delivery = await self.dispatcher.drain()
        if delivery.uncertain:
            await self._tell_admins(name, period, delivery.uncertain)
        return RunReport(name, period, must_plan, queued, delivery)

    def _within_budgets(
        self,
        store: Store,
        name: str,
        period: str,
        planned: list[tuple[RenderedMessage, list[Send]]],
    ) -> tuple[list[Send], list[Send]]:
        """The sends that fit each platform's monthly budget, most useful first, and the
        admins' notices naming what was held back (notices are never held back)."""
        policy = self.core.policy
        now = self.wall_clock.now()
        allowed = {
            platform: allowance(store, policy, platform, name, now)
            for platform in {message.chat.platform for message, _ in planned}
        }
        sends: list[Send] = []
        notices: list[Send] = []
        for platform, limit in allowed.items():
            mine = [
                (message, parts) for message, parts in planned if message.chat.platform == platform
            ]
            if limit is None:
                sends.extend(part for _, parts in mine for part in parts)
                continue
            fitted = fit(mine, limit.left)
            if fitted.held:
                # The admins' notice on this platform costs messages too: make room for it.
                told_here = len(policy.configured_admin_ids(platform))
                fitted = fit(mine, max(0, limit.left - told_here))
            sends.extend(fitted.sends)
            if fitted.held:
                log.warning(
                    "job %s for %s: %d %s messages held back by the budget",
                    name,
                    period,
                    len(fitted.held),
                    platform,
                )
                for notice in held_back_notice(
                    policy, self.channels.platforms, limit, name, period, fitted.held
                ):
                    notices.extend(self.channels.parts(self._rendered(notice)))
        return sends, notices

    async def _tell_admins_abandoned(self, abandoned: list[AbandonedSend]) -> None:
        """Sends caught in flight (a takeover, a process killed mid-fan-out): the admins are
        told once which chats and which messages, queued behind the drain under way."""
        await self._queue(
            notice
            for platform in self.channels.platforms
            for notice in abandoned_sends_notice(self.core.policy, platform, abandoned)
        )

    async def _tell_admins(self, name: str, period: str, uncertain: int) -> None:
        await self._queue(
            notice
            for platform in self.channels.platforms
            for notice in uncertain_sends_notice(
                self.core.policy, platform, name, period, uncertain
            )
        )
        await self.dispatcher.drain()

    async def _queue(self, notices: Iterable[Outbound]) -> None:
        parts = [part for notice in notices for part in self.channels.parts(self._rendered(notice))]
        now = self.wall_clock.now()
        await self.core.database.run_async(lambda store: store.outbox.enqueue(None, parts, now))

    def _render(self, messages: list[Outbound]) -> list[RenderedMessage]:
        return [self._rendered(message) for message in messages]

    def _rendered(self, message: Outbound) -> RenderedMessage:
        return with_files(message, self.core.renderer.render)
