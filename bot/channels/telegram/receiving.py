"""Telegram's side of the inbox (bot.inbox): reading an update's key and chat, decoding a
stored one, dispatching it to the TelegramApp, and polling with a durable offset.

python-telegram-bot's own Updater confirms an offset (asks for updates after it) as soon as
it has queued the fetched updates in memory, so a crash loses every update fetched but not
yet handled. Here each batch from getUpdates goes into the inbox first; only the next
getUpdates, which starts after the stored batch, confirms it to Telegram. The webhook
(bot/channels/web/server.py) feeds the same inbox, one update at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot.channels.telegram.application import CONCURRENT_CHATS
from bot.channels.telegram.context import TelegramApp
from bot.channels.telegram.ratelimit import SharedRateLimiter
from bot.clock import Clock
from bot.cluster.ports import ClusterStore
from bot.core import Core
from bot.domain.model.messages import Outbound
from bot.inbox.pipeline import Arrival, Inbox
from bot.inbox.ports import ReceivedUpdate
from bot.inbox.rejected import RejectedUpdate

log = logging.getLogger(__name__)

PLATFORM = "telegram"
POLL_TIMEOUT_SECONDS = 30
# After a failed poll: wait, doubling up to the maximum, so a network outage is not a loop.
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0


def received(update: Update) -> ReceivedUpdate:
    chat = update.effective_chat
    return ReceivedUpdate(
        key=str(update.update_id),
        sequence=update.update_id,
        chat_id=str(chat.id) if chat is not None else None,
        payload=json.dumps(update.to_dict(), ensure_ascii=False),
    )


class TelegramPlatform:
    name = PLATFORM

    def __init__(self, application: TelegramApp, core: Core) -> None:
        self.application = application
        self.core = core
        limiter = application.bot.rate_limiter
        # Sends paced in the database (several workers): a reply's moment is booked in
        # the transaction that handled its update, rather than in one of its own.
        self.paced = limiter.limits if isinstance(limiter, SharedRateLimiter) else None

    def arrival(self, body: object) -> Arrival:
        """A polled Update, or a webhook body (checked: Telegram retries what is not 200)."""
        if isinstance(body, Update):
            return Arrival(received(body), body)
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
            return Arrival(received(update), update)
        except Exception as error:  # whatever python-telegram-bot cannot make an Update of
            raise RejectedUpdate("not_an_update") from error

    def decode(self, stored: ReceivedUpdate) -> object:
        return Update.de_json(json.loads(stored.payload), self.application.bot)

    async def dispatch(self, update: object) -> None:
        await self.application.process_update(update)

    async def send_replies(self, replies: list[Outbound]) -> None:
        notifier = self.application.bot_data.notifier
        await notifier.send_replies(self.core.render(replies))

    def book_within(
        self, store: ClusterStore, replies: list[Outbound]
    ) -> dict[str, list[datetime]]:
        """One moment per new message (an edit is not paced); a reply that turns out to
        need more sends (a long text, a file) books the rest when it sends them."""
        if self.paced is None:
            return {}
        slots = store.send_slots
        booked: dict[str, list[datetime]] = {}
        for reply in replies:
            if reply.edit_message_id is None:
                chat_id = reply.chat.chat_id
                # Real time: pacing is about Telegram's clock, not the bot's.
                moment = slots.reserve(PLATFORM, chat_id, self.paced, datetime.now(UTC))
                booked.setdefault(chat_id, []).append(moment)
        return booked


def telegram_inbox(
    application: TelegramApp,
    clock: Clock | None = None,
    *,
    worker: str | None = None,
    concurrent_chats: int = CONCURRENT_CHATS,
    unsent_reply_seconds: float = 60.0,
) -> Inbox:
    core = application.bot_data.core
    return Inbox(
        TelegramPlatform(application, core),
        core.database,
        clock or core.clock,
        worker=worker,
        concurrent_chats=concurrent_chats,
        unsent_reply_seconds=unsent_reply_seconds,
    )


class DurablePoller:
    def __init__(
        self, application: TelegramApp, inbox: Inbox, *, poll_timeout: int = POLL_TIMEOUT_SECONDS
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.poll_timeout = poll_timeout

    async def run(self) -> None:
        """Hand on what was stored but not handled, then poll until cancelled."""
        bot = self.application.bot
        await bot.delete_webhook(drop_pending_updates=False)
        await self.inbox.start()
        database = self.inbox.database
        last = await database.run_async(lambda store: store.received.last_sequence(PLATFORM))
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
            await self.inbox.accept_all([Arrival(received(update), update) for update in updates])
            # Only now may the next getUpdates confirm them to Telegram.
            offset = updates[-1].update_id + 1


async def serve(
    application: TelegramApp,
    stop: asyncio.Event,
    webhook: tuple[str, str] | None = None,
    inbox: Inbox | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Run the application until `stop` is set: with the durable poller, or, given
    `webhook` (url, secret), registered for webhook deliveries (the bot's web server feeds
    `inbox`). `ready` is set once updates can come in."""
    inbox = inbox or telegram_inbox(application)
    # python-telegram-bot's lifecycle (initialise, post_init, start; stop, shutdown,
    # post_shutdown) as its run_polling keeps it, without its Updater (see above).
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    if webhook is not None:
        url, secret = webhook
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
        )
    # The inbox keeps the chats moving (and ends by itself once `stop` is set); polling
    # feeds it beside, until cancelled.
    receiving: list[asyncio.Task[object]] = [asyncio.create_task(inbox.run(stop))]
    if webhook is None:
        receiving.append(asyncio.create_task(DurablePoller(application, inbox).run()))
    if ready is not None:
        ready.set()
    stopping: asyncio.Task[object] = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({*receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopping:
                task.result()  # a rejected token ends the bot: raise it
    finally:
        stopping.cancel()
        for task in receiving:
            task.cancel()
        for task in (*receiving, stopping):
            # Whatever a receiving task raised was raised above already.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # What was taken up is finished; what waits is handled after the restart.
        await inbox.close()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
