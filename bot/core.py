"""The application core: the domain bound to a database and a clock. Channels call `handle`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.clock import Clock
from bot.domain.model.entities import Campaign
from bot.domain.model.messages import Inbound, Outbound, RenderedMessage, Send, with_files
from bot.domain.model.policy import Policy
from bot.domain.model.weeks import local_date
from bot.domain.ports import Renderer
from bot.domain.usecases import conversation
from bot.domain.usecases.campaigns import current_campaign
from bot.inbox import handling as handlings
from bot.render.renderer import FileRenderer
from bot.signals import Signal
from bot.storage.database import Database
from bot.storage.repositories import SqlStore

log = logging.getLogger(__name__)

# How often a running bot looks for a campaign made, ended or started (besides at midnight).
CAMPAIGN_REFRESH_SECONDS = 60


class NotInitialised(RuntimeError):
    pass


@dataclass
class Core:
    database: Database
    policy: Policy
    clock: Clock
    renderer: Renderer = field(default_factory=FileRenderer)
    # Told after an announcement, or a notice to another platform's chat, is committed, so
    # that this process's job service (when it leads) sends it at once.
    announced: Signal = field(default_factory=Signal)
    # How a message to another platform's chat is cut into sends (the running bot's
    # channels): it then goes through the outbox, in the same transaction. None (a channel
    # run on its own, in tests): such messages are left out, with a log line.
    elsewhere: Callable[[RenderedMessage], list[Send]] | None = None
    # Whether the campaign is the database's current one, read again when the day changes
    # and at least every CAMPAIGN_REFRESH_SECONDS (a campaign made or ended by the command
    # line, a planned one starting); else the policy's campaign stays as given (tests).
    campaigns_from_database: bool = False
    _campaign_day: date | None = field(default=None, init=False, repr=False)
    _campaign_read: float = field(default=0.0, init=False, repr=False)

    def refresh_campaign(self, now: datetime) -> None:
        """Work with the campaign current at `now`; the units carry its quotas."""
        if not self.campaigns_from_database:
            return
        today = local_date(now, self.policy.tz)
        fresh = time.monotonic() - self._campaign_read < CAMPAIGN_REFRESH_SECONDS
        if today == self._campaign_day and fresh:
            return
        current = self.database.run(lambda store: switch_campaign(store, today))
        self._campaign_day, self._campaign_read = today, time.monotonic()
        if current != self.policy.campaign:
            self.policy = replace(self.policy, campaign=current)

    def handle(self, inbound: Inbound) -> list[RenderedMessage]:
        """One inbound message in one unit of work; returns what to send, files rendered
        after the transaction so that drawing a chart never holds the database."""
        # The update being handled, if it came through the inbox: its handled mark and the
        # reply are written in this same transaction (bot.inbox.handling).
        handling = handlings.take()
        self.refresh_campaign(self.clock.now())

        announced = False

        def work(store: SqlStore) -> list[Outbound]:
            nonlocal announced
            now = self.clock.now()
            replies = conversation.handle(inbound, store, self.policy, now)
            platform = inbound.chat.platform
            away = [r for r in replies if r.chat.platform != platform]
            if away:
                # A platform answers only in its own chats: the rest goes by the outbox.
                replies = [r for r in replies if r.chat.platform == platform]
                if self.elsewhere is None:
                    log.warning("%d messages to other platforms' chats left out", len(away))
                    away = []
                else:
                    parts = [
                        part
                        for message in away
                        for part in self.elsewhere(with_files(message, self.renderer.render))
                    ]
                    store.outbox.enqueue(None, parts, now)
            if handling is not None:
                handling.finish(store, replies, now)
            announced = store.announcements.created or bool(away)
            return replies

        replies = self.database.run(work)
        if handling is not None:
            handling.committed()
        if announced:
            self.announced.notify()
        return self.render(replies)

    async def handle_async(self, inbound: Inbound) -> list[RenderedMessage]:
        if self.database.in_process:
            # SQLite work is a fraction of a millisecond of in-process CPU; handing it to a
            # thread costs more (GIL hand-offs) than it frees the event loop.
            return self.handle(inbound)
        # A database server means network waits: keep the event loop free meanwhile.
        return await asyncio.to_thread(self.handle, inbound)

    def render(self, replies: list[Outbound]) -> list[RenderedMessage]:
        return [with_files(reply, self.renderer.render) for reply in replies]

    def now(self) -> datetime:
        return self.clock.now()

    def close(self) -> None:
        self.database.dispose()


def switch_campaign(store: SqlStore, today: date, *, force: bool = False) -> Campaign:
    """The campaign current on `today`; when it is not the one marked current (or `force`),
    mark it and give the units its quotas."""
    current = current_campaign(store.campaigns.all(), today)
    if not current.exists:
        return current
    marked = store.campaigns.active()
    if force or marked is None or marked.id != current.id:
        store.campaigns.make_current(current.id)
        store.units.apply_quotas(store.campaigns.quotas(current.id))
    return current
