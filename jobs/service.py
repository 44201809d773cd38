"""The scheduled side of a running bot: scheduler, job runner and outbox, started together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence

from bot.domain.delivery import Channels
from bot.domain.ports import Notifier
from jobs.outbox import OutboxDispatcher
from jobs.ports import JobCore as Core
from jobs.runner import JobRunner
from jobs.scheduler import JobScheduler, Schedule


class JobService:
    def __init__(
        self, core: Core, notifier: Notifier | Channels, schedules: Mapping[str, Sequence[str]]
    ) -> None:
        self.dispatcher = OutboxDispatcher(core.database, notifier)
        self.runner = JobRunner(core, notifier, self.dispatcher)
        self.scheduler = JobScheduler(
            self.runner, Schedule(schedules, core.policy), core.policy, core.clock
        )
        self._catching_up: asyncio.Task[object] | None = None

    async def start(self, *, simulated: bool = False) -> None:
        self.scheduler.start(simulated=simulated)
        # Catching up may send hundreds of messages: it must not hold up the bot's start.
        self._catching_up = asyncio.create_task(self.scheduler.catch_up())

    async def wait_caught_up(self) -> None:
        if self._catching_up is not None:
            await self._catching_up

    async def stop(self) -> None:
        self.scheduler.shutdown()
        if self._catching_up is not None and not self._catching_up.done():
            self._catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catching_up
