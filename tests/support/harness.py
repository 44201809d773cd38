"""Running the real Telegram channel (python-telegram-bot Application) against the fake API."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from telegram.ext import Application

from bot.bootstrap import attach_jobs, initialise, open_core
from bot.channels.telegram.application import build_application
from bot.channels.telegram.receiving import serve
from bot.clock import Clock, SystemClock
from bot.config import Settings, load_settings
from bot.core import Core
from tests.support.fake_bot_api import FakeBotApi
from tests.support.units import units_csv

# Not a real token (a real one has 8-10 digits and 35 characters after the colon).
TOKEN = "4242:fake-token-for-the-loopback-api"
ADMIN = 900


def bot_settings(api: FakeBotApi, tmp_path: Path, **extra: str) -> Settings:
    units = tmp_path / "units.csv"
    units.write_text(units_csv(), encoding="utf-8")
    environment = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'quizbot.db'}",
        "ADMIN_IDS": str(ADMIN),
        "UNITS_FILE": str(units),
        "CAMPAIGN_START": "2024-09-02",
    }
    environment.update(extra)
    return load_settings(environment, env_file=None)


def cli_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment for `python -m bot.cli …` in a child process, on the same settings."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": settings.telegram_token.reveal(),
        "TELEGRAM_API_BASE_URL": settings.telegram_api_base_url,
        "DATABASE_URL": settings.database_url,
        "UNITS_FILE": str(settings.units_file),
        "ADMIN_IDS": ",".join(sorted(settings.admin_ids)),
        "CAMPAIGN_START": settings.campaign_start.isoformat(),
        "CAMPAIGN_END": settings.campaign_end.isoformat() if settings.campaign_end else "",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


class RunningBot:
    """Starts the Application the way run_polling does, without owning the event loop."""

    def __init__(
        self, settings: Settings, clock: Clock | None = None, *, jobs: bool = False
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.jobs = jobs
        self.application: Application | None = None
        self.core: Core | None = None
        self._stop = asyncio.Event()
        self._serving: asyncio.Task[None] | None = None

    async def start(self) -> RunningBot:
        initialise(self.settings)
        self.core = open_core(self.settings, self.clock)
        application = build_application(self.settings, self.core)
        if self.jobs:
            attach_jobs(application, self.settings, self.core)
        self._stop = asyncio.Event()
        self._serving = asyncio.create_task(serve(application, self._stop))
        while not application.running:  # started: initialised, post_init done, polling next
            if self._serving.done():
                self._serving.result()
            await asyncio.sleep(0.01)
        self.application = application
        return self

    async def stop(self) -> None:
        if self.application is None:
            return
        self._stop.set()
        if self._serving is not None:
            await self._serving
        self.application = None
        if self.core is not None:
            self.core.close()

    async def caught_up(self) -> None:
        """Wait until the start-up catch-up of scheduled jobs is over."""
        assert self.application is not None
        await self.application.bot_data.jobs.wait_caught_up()
