"""Receiving from Zalo through the durable inbox, by polling or by webhook.

Zalo removes an update from its queue once it is read (getUpdates has no offset), and a
webhook delivery is answered once: in both cases the update is written to the database
before anything else, then handled, then marked handled. At start-up, stored updates not yet
handled are handled first. Updates are keyed by (event, message id), so a retried webhook
delivery or a replay is never handled twice; each chat's updates are handled one at a time,
in the order they arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.app import Core
from bot.channels.turns import ChatTurns
from bot.channels.updates import RejectedUpdate
from bot.channels.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloUnauthorized,
    ZaloUncertain,
    ZaloUnreachable,
)
from bot.channels.zalo.inbound import PLATFORM, chat_id_of, to_inbound, unwrap, update_key
from bot.domain.messages import RenderedMessage
from bot.metrics import REPLY_SECONDS, UPDATES_HANDLED, UPDATES_RECEIVED
from bot.storage.received import ReceivedUpdate

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 30
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0

# Chats handled at the same time by one worker, when several share the database.
CONCURRENT_CHATS = 8

SendReplies = Callable[[list[RenderedMessage]], Awaitable[None]]


class ZaloReceiver:
    def __init__(self, core: Core, send_replies: SendReplies, *, worker: str | None = None) -> None:
        """`worker`: this worker's name when several share the database; each chat's
        updates are then handled through the chats' turns (bot.channels.turns), in order
        across workers, rather than this process's own per-chat locks."""
        self.core = core
        self.send_replies = send_replies
        self.turns = (
            ChatTurns(
                core.database,
                PLATFORM,
                self._answer_stored,
                holder=worker,
                concurrent_chats=CONCURRENT_CHATS,
            )
            if worker is not None
            else None
        )
        self._chat_locks: dict[str, asyncio.Lock] = {}
        # Updates of each chat accepted and not yet handled: its lock goes with the last.
        self._chat_waiting: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, body: object) -> bool:
        """Store an update (a webhook body or a polled update) and start handling it.
        False when it is not an update or was stored before (a retried delivery)."""
        update = unwrap(body)
        key = update_key(update) if update is not None else None
        if update is None or key is None:
            raise RejectedUpdate("not_an_update")
        stored = ReceivedUpdate(
            key=key,
            sequence=None,
            chat_id=chat_id_of(update),
            payload=json.dumps(update, ensure_ascii=False),
        )
        now = self.core.now()
        if self.turns is not None and stored.chat_id:
            new = await self.turns.accept(stored, now)
            if new:
                UPDATES_RECEIVED.labels(PLATFORM).inc()
            return new
        keys = await self.core.database.run_async(
            lambda store: store.received.store(PLATFORM, [stored], now)
        )
        if key in keys:
            UPDATES_RECEIVED.labels(PLATFORM).inc()
            self._start(key, update)
        return key in keys

    async def replay(self) -> int:
        """Handle what was stored but not handled before the last stop, in arrival order
        (with several workers, the chats' turns take them up instead: see `turns`)."""
        if self.turns is not None:
            return 0
        stored = await self.core.database.run_async(
            lambda store: store.received.unhandled(PLATFORM)
        )
        for update in stored:
            self._start(update.key, json.loads(update.payload))
        return len(stored)

    async def idle(self) -> None:
        """Wait until every update accepted so far is handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self.turns is not None:
            await self.turns.idle()

    async def close(self) -> None:
        """A clean stop: what is being handled is finished; with chats' turns, the rest is
        left to another worker (or to the restart)."""
        if self.turns is not None:
            await self.turns.close()
        await self.idle()

    def _start(self, key: str, update: dict[str, Any]) -> None:
        # Tasks start in creation order and a lock serves its waiters first come, first
        # served: a chat's updates are handled in the order they arrived.
        task = asyncio.create_task(self._handle(key, update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, key: str, update: dict[str, Any]) -> None:
        chat = chat_id_of(update) or ""
        lock = self._chat_locks.setdefault(chat, asyncio.Lock())
        self._chat_waiting[chat] = self._chat_waiting.get(chat, 0) + 1
        try:
            async with lock:
                await self._handle_in_order(key, update)
        finally:
            self._chat_waiting[chat] -= 1
            if not self._chat_waiting[chat]:
                del self._chat_waiting[chat], self._chat_locks[chat]

    async def _handle_in_order(self, key: str, update: dict[str, Any]) -> None:
        await self._answer(key, update)
        now = self.core.now()
        await self.core.database.run_async(
            lambda store: store.received.mark_handled(PLATFORM, [key], now)
        )

    async def _answer_stored(self, stored: ReceivedUpdate) -> None:
        await self._answer(stored.key, json.loads(stored.payload))

    async def _answer(self, key: str, update: dict[str, Any]) -> None:
        started = time.monotonic()
        try:
            inbound = to_inbound(update, self.core.now())
            if inbound is not None:
                replies = await self.core.handle_async(inbound)
                await self.send_replies(replies)
        except Exception:
            log.exception("Zalo update %s could not be handled", key)
        REPLY_SECONDS.labels(PLATFORM).observe(time.monotonic() - started)
        UPDATES_HANDLED.labels(PLATFORM).inc()


async def poll(client: ZaloClient, receiver: ZaloReceiver, stop: asyncio.Event) -> None:
    """getUpdates until `stop`: each update is stored the moment it is read."""
    await client.delete_webhook()  # getUpdates answers nothing while a webhook is set
    replayed = await receiver.replay()
    if replayed:
        log.info("handling %d Zalo updates stored before the last stop", replayed)
    delay = RETRY_FIRST_SECONDS
    while not stop.is_set():
        try:
            update = await client.get_update(POLL_TIMEOUT_SECONDS)
        except ZaloUnauthorized:
            raise
        except (ZaloError, ZaloUnreachable, ZaloUncertain) as error:
            log.warning("Zalo getUpdates failed (%s); trying again in %.0f s", error, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            continue
        delay = RETRY_FIRST_SECONDS
        if update is not None:
            try:
                await receiver.accept(update)
            except RejectedUpdate as rejected:
                log.warning("Zalo gave something that is no update (%s)", rejected.reason)
