"""The application core: the domain bound to a database and a clock. Channels call `handle`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.clock import Clock
from bot.config import Settings
from bot.domain.model.entities import NO_CAMPAIGN, Campaign
from bot.domain.model.messages import Inbound, Outbound, RenderedMessage, Send, with_files
from bot.domain.model.policy import Policy
from bot.domain.model.weeks import local_date
from bot.domain.ports import Renderer
from bot.domain.usecases import conversation
from bot.domain.usecases.campaigns import current_campaign
from bot.inbox import handling as handlings
from bot.reports.renderer import FileRenderer
from bot.signals import Signal
from bot.storage import migrate
from bot.storage.database import Database, make_engine
from bot.storage.repositories import SqlStore
from bot.storage.seed import load_units

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


def initialise(settings: Settings) -> tuple[Campaign, Counter[str]]:
    """Apply migrations, load the units file; the first time, with CAMPAIGN_START set,
    create the first campaign. The current campaign's quotas follow units.csv unless they
    came from a file of their own (new units get units.csv's)."""
    database = Database(make_engine(settings.database_url))
    try:
        migrate.upgrade(database.engine)
        today = datetime.now(settings.timezone).date()

        def work(store: SqlStore) -> tuple[Campaign, Counter[str]]:
            counts = load_units(store, settings.units_file)
            file_quotas = {unit.code: unit.weekly_quota for unit in store.units.everything()}
            if not store.campaigns.all() and settings.seeds_campaign:
                first = store.campaigns.create(
                    settings.campaign_name,
                    settings.campaign_start,
                    settings.campaign_end,
                    settings.campaign_metric,
                )
                store.campaigns.set_quotas(first.id, file_quotas)
            current = current_campaign(store.campaigns.all(), today)
            if current.exists:
                own = store.campaigns.quotas(current.id)
                follows = store.campaigns.follows_units_file(current.id)
                store.campaigns.set_quotas(
                    current.id,
                    {
                        code: quota
                        for code, quota in file_quotas.items()
                        if follows or code not in own
                    },
                )
            switch_campaign(store, today, force=True)
            return current, counts

        return database.run(work)
    finally:
        database.dispose()


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


def open_core(settings: Settings, clock: Clock, *, console: bool = False) -> Core:
    """The core for a running bot; the database must have been initialised. Without any
    campaign yet it still runs: reporters are told none is running, admins how to start one."""
    database = Database(make_engine(settings.database_url))
    if not migrate.is_up_to_date(database.engine):
        database.dispose()
        raise NotInitialised("the database schema is not up to date")
    core = Core(
        database,
        settings.policy(NO_CAMPAIGN, console=console),
        clock,
        campaigns_from_database=True,
    )
    core.refresh_campaign(clock.now())
    return core
