"""Running the bot on the Zalo channel (and Telegram beside it, if asked) against the fakes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.bootstrap import BotProcess, initialise, open_core
from bot.clock import Clock, FixedClock
from bot.config import Settings, load_settings
from bot.core import Core
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.units import units_csv

# A quiet moment of the campaign: Friday of week 37, when no scheduled job is due or worth
# catching up at start (Monday's digest is over two days old, Thursday's reminder a day).
QUIET = datetime(2024, 9, 13, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

# Not a real token: real ones look like «12345689:abc-xyz» with more characters.
ZALO_TOKEN = "zalo-fake:token-for-the-loopback-api"
ZALO_ADMIN = "a0f1e2d3c4b5a6978877"


def zalo_settings(zalo: FakeZaloApi, tmp_path: Path, **extra: str) -> Settings:
    units = tmp_path / "units.csv"
    units.write_text(units_csv(), encoding="utf-8")
    environment = {
        "ZALO_BOT_TOKEN": zalo.token,
        "ZALO_API_BASE_URL": zalo.base_url,
        "ZALO_ADMIN_IDS": ZALO_ADMIN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'quizbot.db'}",
        "UNITS_FILE": str(units),
        "CAMPAIGN_START": "2024-09-02",
    }
    environment.update(extra)
    return load_settings(environment, env_file=None)


class RunningZalo:
    """The whole bot process (BotProcess, as `quizbot run` starts it) in this event loop."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or FixedClock(QUIET)
        self.core: Core | None = None
        self.process: BotProcess | None = None

    async def __aenter__(self) -> BotProcess:
        initialise(self.settings)
        self.core = open_core(self.settings, self.clock)
        self.process = BotProcess(self.settings, self.core, http_host="127.0.0.1")
        await self.process.start()
        return self.process

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            await self.process.stop()
        if self.core is not None:
            self.core.close()
