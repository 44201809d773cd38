"""Updates of one chat are handled in the order they came; different chats at the same time.

Against the real Bot API every answer waits tens to hundreds of milliseconds on the network,
so a bot that handles one update at a time serves a few messages a second. PTB's own
concurrent mode lifts that limit but may reorder one person's "45" and "/huy"; this
processor keeps each chat's order and lets other chats proceed meanwhile. An update waits
for its own chat's earlier updates *before* it takes one of the slots, so a slow or
rate-limited chat holds one slot at most and delays only itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own limit is set this high so that only the slots below bound the work: its
# semaphore is taken before do_process_update, i.e. before an update waits for its chat.
_UNBOUNDED = 1_000_000

OnHandled = Callable[[object], Awaitable[None]]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int, on_handled: OnHandled | None = None) -> None:
        super().__init__(_UNBOUNDED)
        self.slots = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        # Chat id -> (lock, number of updates holding or waiting for it); dropped at zero.
        self._chats: dict[object, tuple[asyncio.Lock, int]] = {}
        # Called once an update's handler is done (the durable inbox marks it handled).
        self.on_handled = on_handled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock, users = self._chats.get(key, (asyncio.Lock(), 0))
        self._chats[key] = (lock, users + 1)
        try:
            async with lock, self._slots:
                await coroutine
            if self.on_handled is not None:
                await self.on_handled(update)
        finally:
            lock, users = self._chats[key]
            if users == 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _chat_key(update: object) -> object:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    # Updates without a chat (none that this bot subscribes to) share one queue.
    return None
