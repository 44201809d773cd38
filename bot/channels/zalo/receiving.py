"""Zalo's side of the inbox (bot.inbox), by polling or by webhook.

Zalo removes an update from its queue once it is read (getUpdates has no offset), and a
webhook delivery is answered once: in both cases the update goes into the inbox (stored)
before anything else. Updates are keyed by (event, message id), as Zalo has no update id,
so a retried webhook delivery or a replay is never handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.channels.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloUnauthorized,
    ZaloUncertain,
    ZaloUnreachable,
)
from bot.channels.zalo.inbound import PLATFORM, chat_id_of, to_inbound, unwrap, update_key
from bot.cluster.ports import ClusterStore
from bot.core import Core
from bot.domain.model.messages import Outbound, RenderedMessage
from bot.inbox.pipeline import Arrival, Inbox
from bot.inbox.ports import ReceivedUpdate
from bot.inbox.rejected import RejectedUpdate
from bot.metrics import REPLY_SECONDS

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 30
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0

# Chats handled at the same time by one worker.
CONCURRENT_CHATS = 8

SendReplies = Callable[[list[RenderedMessage]], Awaitable[None]]


class ZaloPlatform:
    name = PLATFORM

    def __init__(self, core: Core, send_replies: SendReplies) -> None:
        self.core = core
        self._send_replies = send_replies

    def arrival(self, body: object) -> Arrival:
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
        return Arrival(stored, update)

    def decode(self, stored: ReceivedUpdate) -> object:
        return json.loads(stored.payload)

    async def dispatch(self, update: object) -> None:
        started = time.monotonic()
        try:
            assert isinstance(update, dict)
            inbound = to_inbound(update, self.core.now())
            if inbound is not None:
                replies = await self.core.handle_async(inbound)
                await self._send_replies(replies)
        finally:
            REPLY_SECONDS.labels(PLATFORM).observe(time.monotonic() - started)

    async def send_replies(self, replies: list[Outbound]) -> None:
        await self._send_replies(self.core.render(replies))

    def book_within(
        self, store: ClusterStore, replies: list[Outbound]
    ) -> dict[str, list[datetime]]:
        # Zalo publishes no rate limit: each worker paces its own replies.
        return {}


def zalo_inbox(
    core: Core,
    send_replies: SendReplies,
    *,
    worker: str | None = None,
    unsent_reply_seconds: float = 60.0,
) -> Inbox:
    """`worker`: this worker's name when several share the database (chats' turns)."""
    return Inbox(
        ZaloPlatform(core, send_replies),
        core.database,
        core.clock,
        worker=worker,
        concurrent_chats=CONCURRENT_CHATS,
        unsent_reply_seconds=unsent_reply_seconds,
    )


async def poll(client: ZaloClient, inbox: Inbox, stop: asyncio.Event) -> None:
    """getUpdates until `stop`: each update is stored the moment it is read."""
    await client.delete_webhook()  # getUpdates answers nothing while a webhook is set
    await inbox.start()
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
                await inbox.accept(update)
            except RejectedUpdate as rejected:
                log.warning("Zalo gave something that is no update (%s)", rejected.reason)
