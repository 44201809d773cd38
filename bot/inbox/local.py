"""One process keeps each chat's order itself (SQLite, or a single worker).

Against the real Bot API every answer waits tens to hundreds of milliseconds on the network,
so a bot that handles one update at a time serves a few messages a second; handling every
update at once may reorder one person's "45" and "/huy". Here an update first waits for its
own chat's earlier updates and only then takes one of the slots, so a slow or rate-limited
chat holds one slot at most and delays only itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.inbox.handling import Finish, Handling
from bot.inbox.marks import Marks
from bot.inbox.ports import ReceivedUpdate
from bot.storage.database import Database
from bot.storage.repositories import SqlStore

Handle = Callable[[ReceivedUpdate, Finish], Awaitable[Handling]]


class LocalSequencer:
    def __init__(
        self,
        database: Database,
        platform: str,
        handle: Handle,
        marks: Marks,
        concurrent_chats: int,
    ) -> None:
        self.database = database
        self.platform = platform
        self.handle = handle
        self.marks = marks
        self.slots = concurrent_chats
        self._slots = asyncio.Semaphore(concurrent_chats)
        # Chat id -> (lock, updates holding or waiting for it); dropped at zero.
        self._chats: dict[str | None, tuple[asyncio.Lock, int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, updates: Sequence[ReceivedUpdate]) -> set[str]:
        now = self.marks.clock.now()
        platform = self.platform
        new = await self.database.run_async(
            lambda store: store.received.store(platform, updates, now)
        )
        for update in updates:
            if update.key in new:
                self._spawn(update)
        return new

    async def replay(self) -> None:
        platform = self.platform
        stored = await self.database.run_async(lambda store: store.received.unhandled(platform))
        for update in stored:
            self._spawn(update)

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Every update accepted so far is handled (as python-telegram-bot's own stop
        handles what its queue holds)."""
        await self.idle()

    def _spawn(self, update: ReceivedUpdate) -> None:
        # Tasks start in creation order and a lock serves its waiters first come, first
        # served: a chat's updates are handled in the order they arrived.
        key = update.chat_id
        lock, users = self._chats.get(key, (asyncio.Lock(), 0))
        self._chats[key] = (lock, users + 1)
        task = asyncio.create_task(self._in_turn(lock, update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _in_turn(self, lock: asyncio.Lock, update: ReceivedUpdate) -> None:
        try:
            async with lock, self._slots:
                handling = await self.handle(update, self._finish)
            if not handling.finished:
                await self.marks.handled(update.key)
        finally:
            lock, users = self._chats[update.chat_id]
            if users == 1:
                del self._chats[update.chat_id]
            else:
                self._chats[update.chat_id] = (lock, users - 1)

    def _finish(self, store: SqlStore, key: str, reply: str | None, now: datetime) -> None:
        store.received.finish(self.platform, key, reply, now)
