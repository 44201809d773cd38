"""The application core: the domain bound to a database and a clock. Channels call `handle`."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.config import Settings
from bot.domain import conversation
from bot.domain.messages import Inbound, Outbound, RenderedMessage, with_files
from bot.domain.model import Campaign
from bot.domain.policy import Policy
from bot.domain.ports import Renderer
from bot.inbox import handling as handlings
from bot.reports.renderer import FileRenderer
from bot.signals import Signal
from bot.storage import migrate
from bot.storage.database import Database, make_engine
from bot.storage.repositories import SqlStore
from bot.storage.seed import load_units

log = logging.getLogger(__name__)


class NotInitialised(RuntimeError):
    pass


@dataclass
class Core:
    database: Database
    policy: Policy
    clock: Clock
    renderer: Renderer = field(default_factory=FileRenderer)
    # Told after an announcement is committed, so that the leader sends it at once.
    announced: Signal = field(default_factory=Signal)

    def handle(self, inbound: Inbound) -> list[RenderedMessage]:
        """One inbound message in one unit of work; returns what to send, files rendered
        after the transaction so that drawing a chart never holds the database."""
        # The update being handled, if it came through the inbox: its handled mark and the
        # reply are written in this same transaction (bot.inbox.handling).
        handling = handlings.take()

        announced = False

        def work(store: SqlStore) -> list[Outbound]:
            nonlocal announced
            now = self.clock.now()
            replies = conversation.handle(inbound, store, self.policy, now)
            if handling is not None:
                handling.finish(store, replies, now)
            announced = store.announcements.created
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


def initialise(settings: Settings) -> tuple[Campaign, Counter[str]]:
    """Apply migrations, load the units file and activate the configured campaign."""
    database = Database(make_engine(settings.database_url))
    try:
        migrate.upgrade(database.engine)

        def work(store: SqlStore) -> tuple[Campaign, Counter[str]]:
            counts = load_units(store, settings.units_file)
            campaign = store.campaigns.activate(
                settings.campaign_name,
                settings.campaign_start,
                settings.campaign_end,
                settings.campaign_metric,
            )
            return campaign, counts

        return database.run(work)
    finally:
        database.dispose()


def open_core(settings: Settings, clock: Clock, *, console: bool = False) -> Core:
    """The core for a running bot; the database must have been initialised."""
    database = Database(make_engine(settings.database_url))
    if not migrate.is_up_to_date(database.engine):
        database.dispose()
        raise NotInitialised("the database schema is not up to date")
    campaign = database.run(lambda store: store.campaigns.active())
    if campaign is None:
        database.dispose()
        raise NotInitialised("no active campaign")
    return Core(database, settings.policy(campaign, console=console), clock)
