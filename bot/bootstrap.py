"""Putting a running bot together: a channel, the core, and the scheduled jobs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url
from starlette.routing import Route

from bot.channels.console.simulator import ConsoleSimulator
from bot.channels.telegram.application import CONCURRENT_CHATS, build_application
from bot.channels.telegram.context import TelegramApp
from bot.channels.telegram.notifier import (
    TelegramNotifier,
    open_broadcast_notifier,
    telegram_limits,
)
from bot.channels.telegram.receiving import serve, telegram_inbox
from bot.channels.web.files import FileLinks, link_secret
from bot.channels.web.server import WebServer, build_web_app
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.notifier import ZaloNotifier
from bot.channels.zalo.receiving import poll, zalo_inbox
from bot.clock import Clock, MovableClock
from bot.cluster.leadership import Leadership, worker_name
from bot.cluster.pacing import DatabasePacer
from bot.config import ZALO, Settings
from bot.core import Core, NotInitialised, switch_campaign
from bot.domain import wording
from bot.domain.delivery import Channels
from bot.domain.model.entities import NO_CAMPAIGN, Campaign
from bot.domain.model.weeks import Month
from bot.domain.ports import Notifier
from bot.domain.scheduled.table import JOBS
from bot.domain.usecases.board import open_session, person_scope
from bot.domain.usecases.campaigns import current_campaign
from bot.inbox.pipeline import Inbox
from bot.storage import migrate
from bot.storage.database import Database, make_engine
from bot.storage.repositories import SqlStore
from bot.storage.seed import load_units
from jobs.runner import RunReport
from jobs.service import JobService


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


def attach_jobs(application: TelegramApp, settings: Settings, core: Core) -> None:
    """Start the scheduler with a Telegram-only bot and stop it before the bot; fan-outs go
    through their own Bot instance (see open_broadcast_notifier). The end-to-end tests of
    the Telegram channel run this way; `quizbot run` uses BotProcess."""
    running: dict[str, tuple[JobService, TelegramNotifier]] = {}

    async def start(app: TelegramApp) -> None:
        notifier = await open_broadcast_notifier(
            settings.telegram_api_base_url, settings.telegram_token.reveal()
        )
        service = JobService(core, notifier, settings.schedules, announced=core.announced)
        await service.start()
        running["jobs"] = (service, notifier)
        app.bot_data.jobs = service

    async def stop(_app: TelegramApp) -> None:
        if "jobs" in running:
            service, notifier = running.pop("jobs")
            await service.stop()
            await notifier.bot.shutdown()

    application.bot_data.on_start.append(start)
    application.bot_data.on_stop.append(stop)


def free_port_on(host: str) -> int:
    """A port nobody listens on now (the console's board)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def board_for(settings: Settings, core: Core) -> list[Route]:
    """The board's pages, signed with a key derived from the bot's own secrets."""
    from bot.channels.web.board import board_routes

    seed = settings.telegram_token.reveal() or settings.zalo_token.reveal() or "console"
    return board_routes(
        core.database,
        lambda: core.policy,
        core.renderer,
        hmac.new(seed.encode(), b"quizbot board", hashlib.sha256).digest(),
        secure=settings.public_base_url.startswith("https://"),
        telegram_token=settings.telegram_token.reveal(),
        now=core.clock.now,
    )


def zalo_webhook_secret(settings: Settings) -> str:
    """ZALO_WEBHOOK_SECRET, or one derived from the token (stable across restarts)."""
    if settings.zalo_webhook_secret:
        return settings.zalo_webhook_secret.reveal()
    seed = settings.zalo_token.reveal().encode()
    return hmac.new(seed, b"quizbot zalo webhook", hashlib.sha256).hexdigest()


def telegram_webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or one derived from the token (Telegram allows A-Z, a-z,
    0-9, _ and -, up to 256 characters)."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret.reveal()
    seed = settings.telegram_token.reveal().encode()
    return hmac.new(seed, b"quizbot telegram webhook", hashlib.sha256).hexdigest()


def message_counter(core: Core, platform: str) -> Callable[[int], Awaitable[None]]:
    """Counts a platform's sent messages in the campaign's local month."""

    async def count(sent: int) -> None:
        month = Month.of(core.now(), core.policy.tz).iso
        await core.database.run_async(lambda store: store.message_counts.add(platform, month, sent))

    return count


async def open_job_channels(
    settings: Settings, core: Core
) -> tuple[Channels, Callable[[], Awaitable[None]]]:
    """The notifiers of every configured platform for a one-off job run, and how to close
    them."""
    notifiers: list[Notifier] = []
    closers: list[Callable[[], Awaitable[object]]] = []
    if settings.has_telegram:
        telegram = await open_broadcast_notifier(
            settings.telegram_api_base_url, settings.telegram_token.reveal()
        )
        notifiers.append(telegram)
        closers.append(telegram.bot.shutdown)
    if settings.has_zalo:
        client = ZaloClient(settings.zalo_api_base_url, settings.zalo_token.reveal())
        notifiers.append(zalo_notifier(settings, core, client))
        closers.append(client.close)

    async def close() -> None:
        for closing in closers:
            await closing()

    return Channels(notifiers), close


def zalo_notifier(settings: Settings, core: Core, client: ZaloClient) -> ZaloNotifier:
    """Zalo's notifier: files by signed link when the bot has a public address."""
    links = None
    if settings.public_base_url:
        secret = link_secret(settings.zalo_token.reveal())
        links = FileLinks(core.database, settings.public_base_url, secret)
    return ZaloNotifier(client, links, message_counter(core, ZALO), core.policy.tz)


class BotProcess:
    """Every configured channel in one process, over one database, with the scheduler:
    Telegram and Zalo, each by webhook when PUBLIC_BASE_URL is set (Telegram polls anyway
    with `polling=True`) and otherwise by polling, and the bot's web server (webhooks, file
    links, /healthz, /metrics) when PUBLIC_BASE_URL is set."""

    def __init__(
        self,
        settings: Settings,
        core: Core,
        *,
        http_host: str | None = None,
        polling: bool = False,
        reuse_port: bool = False,
    ) -> None:
        self.settings = settings
        self.core = core
        self.http_host = http_host or settings.http_host
        # Telegram by webhook when the bot has a public address, unless asked to poll.
        self.telegram_webhook = bool(settings.public_base_url) and not polling
        self.application: TelegramApp | None = None
        self.zalo: Inbox | None = None
        self.zalo_client: ZaloClient | None = None
        self.zalo_notifier: ZaloNotifier | None = None
        self.links: FileLinks | None = None
        self.web: WebServer | None = None
        self.service: JobService | None = None
        self._broadcast: TelegramNotifier | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.reuse_port = reuse_port
        # On PostgreSQL several workers may share the database (`quizbot run --workers N`,
        # or N processes): each chat's updates go through the chats' turns, sends are
        # paced together, and the scheduler and the outbox run on the elected leader only.
        # SQLite is one process, which leads alone.
        self.worker: str | None = None
        self.pacer: DatabasePacer | None = None
        self.leadership: Leadership | None = None
        if not core.database.in_process:
            self.worker = worker_name()
            self.pacer = DatabasePacer(core.database)
            self.leadership = Leadership(core.database, self.worker, settings.leader_lease_seconds)

    async def start(self) -> None:
        settings, core = self.settings, self.core
        notifiers: list[Notifier] = []
        if settings.has_telegram:
            self.application = build_application(settings, core, self.pacer)
            self._broadcast = await open_broadcast_notifier(
                settings.telegram_api_base_url,
                settings.telegram_token.reveal(),
                telegram_limits(settings),
            )
            notifiers.append(self._broadcast)
        if settings.has_zalo:
            self.zalo_client = ZaloClient(settings.zalo_api_base_url, settings.zalo_token.reveal())
            self.zalo_notifier = zalo_notifier(settings, core, self.zalo_client)
            self.links = self.zalo_notifier.links
            self.zalo = zalo_inbox(
                core,
                self.zalo_notifier.send_replies,
                worker=self.worker,
                unsent_reply_seconds=settings.unsent_reply_seconds,
            )
            notifiers.append(self.zalo_notifier)
        self.channels = Channels(notifiers)
        # A use case's message to another platform's chat (an admin told on Telegram that
        # someone joined on Zalo) goes through the outbox with these channels' parts.
        core.elsewhere = self.channels.parts
        telegram_webhook_inbox = None
        if self.application is not None and self.telegram_webhook:
            telegram_webhook_inbox = self._telegram_inbox(self.application)
        if settings.public_base_url:
            app = build_web_app(
                core.database,
                zalo=self.zalo,
                zalo_secret=zalo_webhook_secret(settings) if self.zalo else "",
                telegram=telegram_webhook_inbox,
                telegram_secret=(
                    telegram_webhook_secret(settings) if telegram_webhook_inbox else ""
                ),
                files=self.links,
                policy=core.policy,
                clock=core.clock,
                leadership=self.leadership,
                board=board_for(settings, core),
            )
            self.web = WebServer(
                app, self.http_host, settings.http_port, reuse_port=self.reuse_port
            )
            await self.web.start()
        if self.application is not None:
            webhook = None
            if self.telegram_webhook:
                url = f"{settings.public_base_url}/telegram/webhook"
                webhook = (url, telegram_webhook_secret(settings))
            ready = asyncio.Event()
            inbox = telegram_webhook_inbox or self._telegram_inbox(self.application)
            serving = serve(self.application, self._stop, webhook, inbox, ready)
            # Not cancelled at stop: it stops the application itself once `_stop` is set.
            self._tasks.append(asyncio.create_task(serving, name="telegram"))
            while not ready.is_set():
                await self._raise_failures()
                await asyncio.sleep(0.01)
        if self.zalo is not None and self.zalo_client is not None:
            if settings.public_base_url:
                url = f"{settings.public_base_url}/zalo/webhook"
                await self.zalo_client.set_webhook(url, zalo_webhook_secret(settings))
                await self.zalo.start()
            else:
                self._tasks.append(
                    asyncio.create_task(poll(self.zalo_client, self.zalo, self._stop))
                )
            self._tasks.append(asyncio.create_task(self.zalo.run(self._stop)))
        if self.leadership is None:
            await self._lead()
        else:
            leading = self.leadership.run(self._lead, self._step_down, self._stop)
            # Not cancelled at stop: it steps down and gives the lease back itself.
            self._tasks.append(asyncio.create_task(leading, name="leadership"))

    def _telegram_inbox(self, application: TelegramApp) -> Inbox:
        return telegram_inbox(
            application,
            worker=self.worker,
            concurrent_chats=CONCURRENT_CHATS,
            unsent_reply_seconds=self.settings.unsent_reply_seconds,
        )

    async def _lead(self) -> None:
        """Run the scheduler and the outbox (as the elected leader, fenced by its lease)."""
        self.service = JobService(
            self.core,
            self.channels,
            self.settings.schedules,
            fence=self.leadership,
            pacer=self.pacer,
            announced=self.core.announced,
        )
        await self.service.start()

    async def _step_down(self) -> None:
        if self.service is not None:
            service, self.service = self.service, None
            await service.stop()

    async def run_until(self, stop: asyncio.Event) -> None:
        """Until `stop` is set, or a channel fails for good (a rejected token)."""
        waiting = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({waiting, *self._tasks}, return_when=asyncio.FIRST_COMPLETED)
            await self._raise_failures()
        finally:
            waiting.cancel()

    async def _raise_failures(self) -> None:
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                task.result()

    async def stop(self) -> None:
        self._stop.set()
        await self._step_down()
        for task in self._tasks:
            if not task.done() and task.get_name() not in ("telegram", "leadership"):
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.zalo is not None:
            await self.zalo.close()
        if self.web is not None:
            await self.web.stop()
        if self._broadcast is not None:
            await self._broadcast.bot.shutdown()
        if self.zalo_client is not None:
            await self.zalo_client.close()


def console_files_dir(settings: Settings) -> Path:
    """Where the simulator saves the files the bot sends: beside the SQLite file, or data/."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / "console-files"
    return Path("data") / "console-files"


async def run_console(settings: Settings, clock: MovableClock, stdin: TextIO, out: TextIO) -> None:
    core = open_core(settings, clock, console=True)
    links = None
    if settings.public_base_url:
        # What a Zalo chat would get: signed links under the public address.
        secret = link_secret(settings.zalo_token.reveal() or "console")
        links = FileLinks(core.database, settings.public_base_url, secret, clock=clock)
    simulator = ConsoleSimulator(
        core, clock, stdin, out, files_dir=console_files_dir(settings), zalo_links=links
    )
    core.elsewhere = simulator.channels.parts
    service = JobService(core, simulator.channels, settings.schedules, announced=core.announced)

    def tell(reports: list[RunReport]) -> None:
        for report in reports:
            simulator.say(
                wording.console_job_ran(
                    report.job, report.period, report.planned_now, report.queued
                )
            )

    async def show_jobs(_args: list[str]) -> None:
        planned = service.scheduler.schedule.planned(clock.now())
        simulator.say(
            wording.console_jobs([(p.job, p.cron, p.next_run) for p in planned], core.policy.tz)
        )

    async def run_job(args: list[str]) -> None:
        if not args or args[0] not in JOBS:
            simulator.say(wording.CONSOLE_JOB_USAGE)
            return
        tell([await service.runner.run(args[0], clock.now())])

    async def clock_moved() -> None:
        tell(await service.scheduler.tick())

    # The board, on this machine only: /bangtin and :board give links to it.
    board_port = free_port_on("127.0.0.1")
    board_address = f"http://127.0.0.1:{board_port}"
    if not settings.public_base_url:
        core.policy = replace(core.policy, public_base_url=board_address)
    board_server = WebServer(
        build_web_app(core.database, board=board_for(settings, core)), "127.0.0.1", board_port
    )

    async def show_board(_args: list[str]) -> None:
        person = simulator.state.user
        scope_or_why = core.database.run(lambda store: person_scope(store, core.policy, person))
        if isinstance(scope_or_why, str):
            simulator.say(scope_or_why)
            return
        token = core.database.run(
            lambda store: open_session(store, person, scope_or_why, clock.now())
        )
        simulator.say(wording.console_board(f"{board_address}/board/open/{token}"))

    simulator.extra_controls.update({"jobs": show_jobs, "job": run_job, "board": show_board})
    simulator.after_time_change = clock_moved
    await service.start(simulated=True)
    await board_server.start()
    try:
        await simulator.run()
    finally:
        await board_server.stop()
        await service.stop()
        core.close()
