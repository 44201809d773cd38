"""bench/fanout_statements: what a digest's fan-out costs the database, per send, counted
(not timed) with SQLAlchemy's statement events.

The leader's own objects on PostgreSQL: the lease taken (`Leadership`), the job service
fenced by it and paced through the database (`DatabasePacer`), a weekly digest to N
subscribed group chats (a text, the chart and the spreadsheet each: three sends a chat)
through a fake Bot API on loopback. Everything the job runs is counted, from claiming its
period to the last send's mark.

    python -m bench.fanout_statements [--chats 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import initialise, open_core
from bot.channels.telegram.notifier import open_broadcast_notifier, telegram_limits
from bot.clock import FixedClock
from bot.cluster.leadership import Leadership
from bot.cluster.pacing import DatabasePacer
from bot.domain.model.entities import ChatRef, Person
from bot.domain.model.jobnames import JobName
from jobs.service import JobService
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import bot_settings
from tests.support.postgres import schema_url
from tests.support.statements import StatementLog

TOKEN = "4242:bench-token-for-the-loopback-api"
BASE_URL = os.environ.get(
    "QUIZBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Monday 13:00 of week 38: the digest of week 37.
SLOT = datetime(2024, 9, 16, 6, 0, tzinfo=UTC)
SENDS = ("sendMessage", "sendPhoto", "sendDocument")


async def measure(chats: int, url: str, folder: Path) -> tuple[int, int, int]:
    """(transactions, statements, sends) of a weekly digest to `chats` group chats, on an
    empty PostgreSQL schema at `url`."""
    with FakeBotApi(TOKEN) as api:
        settings = bot_settings(api, folder, DATABASE_URL=url)
        initialise(settings)
        core = open_core(settings, FixedClock(SLOT))
        admin = Person("telegram", "900", "Bench")
        groups = [ChatRef("telegram", str(-9000 - n)) for n in range(chats)]

        def subscribe(store) -> None:
            for chat in groups:
                store.subscriptions.subscribe(chat, None, admin, SLOT)

        core.database.run(subscribe)
        notifier = await open_broadcast_notifier(
            settings.telegram_api_base_url,
            settings.telegram_token.reveal(),
            telegram_limits(settings),
        )
        leadership = Leadership(core.database, "bench:1:leader", 3600)
        elected, stop = asyncio.Event(), asyncio.Event()

        async def on_elected() -> None:
            elected.set()

        async def on_deposed() -> None:
            return None

        leading = asyncio.create_task(leadership.run(on_elected, on_deposed, stop))
        await elected.wait()
        service = JobService(
            core,
            notifier,
            settings.schedules,
            fence=leadership,
            pacer=DatabasePacer(core.database),
        )
        try:
            with StatementLog(core.database.engine) as log:
                await service.runner.run(JobName.WEEKLY_DIGEST, SLOT)
                await service.dispatcher.drain()
                lines = log.take()
        finally:
            stop.set()
            await leading
            await notifier.bot.shutdown()
            core.close()
        sends = sum(1 for sent in api.snapshot() if sent.method in SENDS)
        return StatementLog.transactions(lines), StatementLog.statements(lines), sends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=2)
    arguments = parser.parse_args()
    with schema_url(BASE_URL, "quizbot_bench") as url:
        counts = asyncio.run(measure(arguments.chats, url, Path(tempfile.mkdtemp())))
    transactions, statements, sends = counts
    print(
        f"{arguments.chats} chats, {sends} sends: {transactions} transactions, "
        f"{statements} statements; {statements / sends:.1f} statements and "
        f"{transactions / sends:.1f} transactions per send"
    )


if __name__ == "__main__":
    main()
