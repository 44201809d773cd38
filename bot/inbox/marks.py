"""Marks written a batch at a time: that a reply was sent, and that an update no use case
finished (one the handlers ignored) was handled.

One transaction per mark would cost a good share of the bot's throughput. A crash loses at
most the last FLUSH_EVERY seconds of them: such an update is handled again at start, which
its handler makes harmless (a report already recorded says so), and such a reply is sent
once more at start."""

from __future__ import annotations

import asyncio

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.repositories import SqlStore


class Marks:
    FLUSH_EVERY = 0.2
    FLUSH_AT = 64

    def __init__(self, database: Database, platform: str, clock: Clock) -> None:
        self.database = database
        self.platform = platform
        self.clock = clock
        self._handled: list[str] = []
        self._replied: list[str] = []
        self._flushing: asyncio.Task[None] | None = None

    async def handled(self, key: str) -> None:
        self._handled.append(key)
        await self._added()

    async def replied(self, key: str) -> None:
        self._replied.append(key)
        await self._added()

    async def _added(self) -> None:
        if len(self._handled) + len(self._replied) >= self.FLUSH_AT:
            await self.flush()
        elif self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.FLUSH_EVERY)
        await self.flush()

    async def flush(self) -> None:
        handled, self._handled = self._handled, []
        replied, self._replied = self._replied, []
        if not handled and not replied:
            return
        now, platform = self.clock.now(), self.platform

        def work(store: SqlStore) -> None:
            if handled:
                store.received.mark_handled(platform, handled, now)
            if replied:
                store.received.mark_replied(platform, replied, now)

        await self.database.run_async(work)
