"""The scheduled side of a running bot: scheduler, job runner and outbox, started together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from bot.clock import Clock
from bot.domain.delivery import Channels
from bot.domain.model.policy import Policy
from bot.domain.ports import Notifier, Renderer, UnitOfWork
from bot.signals import Signal
from jobs.outbox import OutboxDispatcher
from jobs.ports import Fence, Pacer
from jobs.ports import JobCore as Core
from jobs.runner import JobRunner
from jobs.scheduler import JobScheduler, Schedule

T = TypeVar("T")


@dataclass(frozen=True)
class FencedCore:
    """The bot's core as the scheduled side sees it, with a fenced database."""

    core: Core
    database: UnitOfWork

    @property
    def policy(self) -> Policy:
        return self.core.policy

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def renderer(self) -> Renderer:
        return self.core.renderer

    def now(self) -> datetime:
        return self.core.now()

    def refresh_campaign(self, now: datetime) -> None:
        self.core.refresh_campaign(now)


class JobService:
    def __init__(
        self,
        core: Core,
        notifier: Notifier | Channels,
        schedules: Mapping[str, Sequence[str]],
        *,
        fence: Fence | None = None,
        pacer: Pacer | None = None,
        announced: Signal | None = None,
    ) -> None:
        """With `fence`, this worker was elected to lead: every write is fenced, and what
        the previous leader left half done (claims, sends in flight) is taken over at start."""
        if fence is not None:
            core = FencedCore(core, fence.fenced_database())
        self.fence = fence
        self.dispatcher = OutboxDispatcher(
            core.database,
            notifier,
            may_send=fence.held if fence is not None else None,
            pacer=pacer,
        )
        self.runner = JobRunner(core, notifier, self.dispatcher)
        self.scheduler = JobScheduler(
            self.runner, Schedule(schedules, core.policy), core.policy, core.clock
        )
        self._catching_up: asyncio.Task[object] | None = None
        self.announced = announced
        self._announcing: asyncio.Task[object] | None = None
        self._announce_again = False

    async def start(self, *, simulated: bool = False) -> None:
        if self.fence is not None:
            await self.runner.take_over()
        self.scheduler.start(simulated=simulated)
        if self.announced is not None:
            loop = asyncio.get_running_loop()

            def wake() -> None:
                loop.call_soon_threadsafe(self._announce)

            self.announced.listen(wake)
        # Catching up may send hundreds of messages: it must not hold up the bot's start.
        self._catching_up = asyncio.create_task(self.scheduler.catch_up())

    async def wait_caught_up(self) -> None:
        if self._catching_up is not None:
            await self._catching_up

    def _announce(self) -> None:
        """Send the announcements just recorded; one sending at a time, once more if
        another came in meanwhile."""
        if self._announcing is not None and not self._announcing.done():
            self._announce_again = True
            return
        self._announce_again = False

        async def send() -> None:
            await self.scheduler.announce_pending()
            if self._announce_again:
                self._announce_again = False
                await self.scheduler.announce_pending()
            # Notices queued for another platform's chats go out with them.
            await self.runner.dispatcher.drain()

        self._announcing = asyncio.create_task(send())

    async def wait_announced(self) -> None:
        if self._announcing is not None:
            await self._announcing

    async def stop(self) -> None:
        if self.announced is not None:
            self.announced.listen(None)
        if self._announcing is not None and not self._announcing.done():
            self._announcing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._announcing
        self.scheduler.shutdown()
        if self._catching_up is not None and not self._catching_up.done():
            self._catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catching_up
