"""Polling with a durable inbox: an update is stored before Telegram is told it arrived.

python-telegram-bot's own Updater confirms an offset (asks for updates after it) as soon as
it has queued the fetched updates in memory, so a crash loses every update fetched but not
yet handled. Here each batch from getUpdates is written to the database first; only the
next getUpdates, which starts after the stored batch, confirms it to Telegram. An update is
marked handled once its handler is done (see ordering.py); at start-up, stored updates not
yet handled are handled first, in the order they came. Handling is idempotent (a report is
keyed by its message), so a replay never counts twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Coroutine, Sequence
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import Application

from bot.channels.turns import ChatTurns
from bot.channels.updates import RejectedUpdate
from bot.clock import Clock, SystemClock
from bot.metrics import UPDATES_HANDLED, UPDATES_RECEIVED
from bot.storage.database import Database
from bot.storage.received import ReceivedUpdate

log = logging.getLogger(__name__)

PLATFORM = "telegram"
POLL_TIMEOUT_SECONDS = 30
# After a failed poll: wait, doubling up to the maximum, so a network outage is not a loop.
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0
# Updates a worker decoded on arrival and keeps until it handles them. The worker that
# stores an update usually takes its chat's turn and handles it, so each is decoded once;
# one handled by another worker (or after a restart) is decoded from its stored payload.
DECODED_KEPT = 1024


def received(update: Update) -> ReceivedUpdate:
    chat = update.effective_chat
    return ReceivedUpdate(
        key=str(update.update_id),
        sequence=update.update_id,
        chat_id=str(chat.id) if chat is not None else None,
        payload=json.dumps(update.to_dict(), ensure_ascii=False),
    )


class HandledMarks:
    """Marks updates handled, a batch at a time: one transaction per update would cost a
    quarter of the bot's throughput. A crash loses at most the last FLUSH_EVERY of marks;
    those updates are handled again at start, which their handlers make harmless (a report
    already recorded says so)."""

    FLUSH_EVERY = 0.2
    FLUSH_AT = 64

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self.database = database
        self.clock = clock or SystemClock()
        self._keys: list[str] = []
        self._flushing: asyncio.Task[None] | None = None

    async def add(self, update: object) -> None:
        """Called by the update processor once an update's handler is done."""
        if not isinstance(update, Update):
            return
        self._keys.append(str(update.update_id))
        UPDATES_HANDLED.labels(PLATFORM).inc()
        if len(self._keys) >= self.FLUSH_AT:
            await self.flush()
        elif self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.FLUSH_EVERY)
        await self.flush()

    async def flush(self) -> None:
        keys, self._keys = self._keys, []
        if keys:
            now = self.clock.now()
            await self.database.run_async(
                lambda store: store.received.mark_handled(PLATFORM, keys, now)
            )


class DurablePoller:
    def __init__(
        self,
        application: Application,
        database: Database,
        *,
        poll_timeout: int = POLL_TIMEOUT_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self.application = application
        self.database = database
        self.poll_timeout = poll_timeout
        self.clock = clock or SystemClock()

    async def run(self) -> None:
        """Replay what was stored but not handled, then poll until cancelled."""
        bot = self.application.bot
        await bot.delete_webhook(drop_pending_updates=False)
        stored = await self.database.run_async(lambda store: store.received.unhandled(PLATFORM))
        if stored:
            log.info("handling %d updates stored before the last stop", len(stored))
        for update in stored:
            await self._enqueue(Update.de_json(json.loads(update.payload), bot))
        last = await self.database.run_async(lambda store: store.received.last_sequence(PLATFORM))
        offset = last + 1 if last is not None else None
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=self.poll_timeout,
                    allowed_updates=Update.ALL_TYPES,
                )
            except InvalidToken:
                raise
            except (TimedOut, NetworkError) as error:
                log.warning("getUpdates failed (%s); trying again in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            delay = RETRY_FIRST_SECONDS
            if not updates:
                continue
            new = await self._store(updates)
            UPDATES_RECEIVED.labels(PLATFORM).inc(len(new))
            # Only now may the next getUpdates confirm them to Telegram.
            offset = updates[-1].update_id + 1
            for update in updates:
                if str(update.update_id) in new:
                    await self._enqueue(update)

    async def _store(self, updates: Sequence[Update]) -> set[str]:
        batch = [received(update) for update in updates]
        now = self.clock.now()
        return await self.database.run_async(
            lambda store: store.received.store(PLATFORM, batch, now)
        )

    async def _enqueue(self, update: Update) -> None:
        await self.application.update_queue.put(update)


class WebhookInbox:
    """Updates Telegram delivers to the bot's web server: each is stored before the answer
    (Telegram delivers again until it gets a 200), then goes to the same Application, and so
    the same handlers, as a polled one. With `worker` (several workers on one database), a
    chat's updates go through the chats' turns (bot.channels.turns): handled in order by
    whichever worker holds the chat's turn."""

    def __init__(
        self,
        application: Application,
        database: Database,
        clock: Clock | None = None,
        *,
        worker: str | None = None,
        concurrent_chats: int = 8,
    ) -> None:
        self.application = application
        self.database = database
        self.clock = clock or SystemClock()
        self._decoded: OrderedDict[str, Update] = OrderedDict()
        self.turns = (
            ChatTurns(
                database,
                PLATFORM,
                self._process_stored,
                holder=worker,
                concurrent_chats=concurrent_chats,
            )
            if worker is not None
            else None
        )

    async def accept(self, body: object) -> bool:
        """Store and queue one update; False when it is not one or was stored before."""
        if not isinstance(body, dict):
            raise RejectedUpdate("not_an_object")
        update_id = body.get("update_id")
        # bool is an int to Python; an id past 63 bits fits no database column.
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise RejectedUpdate("bad_update_id")
        if not 0 <= update_id < 2**63:
            raise RejectedUpdate("bad_update_id")
        try:
            update = Update.de_json(body, self.application.bot)
            stored = received(update)
        except Exception as error:  # whatever python-telegram-bot cannot make an Update of
            raise RejectedUpdate("not_an_update") from error
        now = self.clock.now()
        if self.turns is not None and stored.chat_id is not None:
            # Kept before the turn is taken: handling may begin before accept returns.
            self._keep(stored.key, update)
            new = await self.turns.accept(stored, now)
            if new:
                UPDATES_RECEIVED.labels(PLATFORM).inc()
            else:
                self._decoded.pop(stored.key, None)
            return new
        keys = await self.database.run_async(
            lambda store: store.received.store(PLATFORM, [stored], now)
        )
        if stored.key in keys:
            UPDATES_RECEIVED.labels(PLATFORM).inc()
            await self.application.update_queue.put(update)
        return stored.key in keys

    async def receive(self, stop: asyncio.Event) -> None:
        """Until `stop`: deliveries come by the web server; with chats' turns, also take up
        the chats that wait with nobody on their turn (stored before a restart, or by a
        worker that died)."""
        if self.turns is None:
            await self.replay()
            await stop.wait()
            return
        sweeping = asyncio.create_task(self.turns.sweep_forever())
        try:
            await stop.wait()
        finally:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
            await self.turns.close()

    def _keep(self, key: str, update: Update) -> None:
        self._decoded[key] = update
        while len(self._decoded) > DECODED_KEPT:
            self._decoded.popitem(last=False)

    async def _process_stored(self, stored: ReceivedUpdate) -> None:
        update = self._decoded.pop(stored.key, None) or Update.de_json(
            json.loads(stored.payload), self.application.bot
        )
        await self.application.process_update(update)
        UPDATES_HANDLED.labels(PLATFORM).inc()

    async def replay(self) -> None:
        stored = await self.database.run_async(lambda store: store.received.unhandled(PLATFORM))
        for update in stored:
            await self.application.update_queue.put(
                Update.de_json(json.loads(update.payload), self.application.bot)
            )


async def serve(
    application: Application,
    database: Database,
    stop: asyncio.Event,
    webhook: tuple[str, str] | None = None,
    inbox: WebhookInbox | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Run the application until `stop` is set: with the durable poller, or, given
    `webhook` (url, secret), registered for webhook deliveries (the bot's web server feeds
    `inbox`). The application's update processor must report handled updates to
    `application.bot_data["handled"]`. `ready` is set once updates can come in."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    if webhook is not None:
        url, secret = webhook
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
        )
        inbox = inbox or WebhookInbox(application, database)
        receiving: Coroutine[Any, Any, object] = inbox.receive(stop)
    else:
        receiving = DurablePoller(application, database).run()
    if ready is not None:
        ready.set()
    polling: asyncio.Task[object] = asyncio.create_task(receiving)
    stopping: asyncio.Task[object] = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if polling in done:
            polling.result()  # a rejected token ends the bot: raise it
    finally:
        stopping.cancel()
        # A webhook inbox, once `stop` is set, finishes the chats it has taken up.
        if webhook is None or not stop.is_set():
            polling.cancel()
        for task in (polling, stopping):
            # Whatever the receiving task raised was raised above already.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if application.running:
            await application.stop()
        await application.bot_data["handled"].flush()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
