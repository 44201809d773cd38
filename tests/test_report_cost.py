"""What one report costs the database through the webhook on PostgreSQL, one worker ([core]):
counted with SQLAlchemy's statement events while reports go through the real pipeline
(the web server, the durable inbox, the chats' turns, python-telegram-bot, the use case,
the reply through the fake Bot API)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from telegram import Update

from bot.bootstrap import BotProcess, initialise, open_core
from bot.inbox import chat_turns as turns
from bot.storage.database import Database, make_engine
from bot.storage.received import RECEIVED
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import TOKEN, bot_settings
from tests.support.loopback import free_port, post_update
from tests.support.secretaries import approve_secretaries
from tests.support.statements import StatementLog
from tests.support.zalo import QUIET

pytestmark = pytest.mark.postgres

SECRET = "report-cost-webhook-secret"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_USER = 70_000
REPORTS = 6
# The budget (docs/ARCHITECTURE.md, "What a report costs"): two transactions, storing the
# update and handling it (the report, its reply kept for sending, the handled mark, the
# chat's next update and the reply's send slot), and at most 12 statements. The marks that
# replies were sent are written a batch at a time, each report counting by its share.
MAX_TRANSACTIONS = 2
MAX_STATEMENTS = 12
REPLIED_MARK = "UPDATE received_update SET replied_at="


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi(TOKEN) as fake:
        yield fake


def unsettled(database: Database) -> int:
    """Updates not handled yet, or whose reply is not marked sent yet."""
    return database.run(
        lambda store: store.connection.execute(
            sa.select(sa.func.count())
            .select_from(RECEIVED)
            .where(
                sa.or_(
                    RECEIVED.c.handled_at.is_(None),
                    sa.and_(RECEIVED.c.reply.is_not(None), RECEIVED.c.replied_at.is_(None)),
                )
            )
        ).scalar_one()
    )


async def test_a_report_through_the_webhook_is_decoded_once_and_stays_within_its_statement_budget(
    api, tmp_path, postgres_url, monkeypatch
):
    from bot.clock import FixedClock

    # Nothing else runs meanwhile: no sweep for chats left waiting, no lease renewal.
    monkeypatch.setattr(turns, "SWEEP_SECONDS", 3600.0)
    decoded: list[int] = []
    de_json = Update.de_json.__func__  # type: ignore[attr-defined]

    def counting_de_json(cls, data, bot=None):
        decoded.append(data.get("update_id") if isinstance(data, dict) else None)
        return de_json(cls, data, bot)

    monkeypatch.setattr(Update, "de_json", classmethod(counting_de_json))
    port = free_port()
    settings = bot_settings(
        api,
        tmp_path,
        DATABASE_URL=postgres_url,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HTTP_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        LEADER_LEASE_SECONDS="3600",
    )
    initialise(settings)
    approve_secretaries(postgres_url, REPORTS, FIRST_USER)
    core = open_core(settings, FixedClock(QUIET))
    watcher = Database(make_engine(postgres_url))
    process = BotProcess(settings, core, http_host="127.0.0.1")
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    counted: list[str] = []
    posters = ThreadPoolExecutor(REPORTS)
    try:
        await process.start()
        with StatementLog(core.database.engine) as log:
            # Two rounds: the first meets each secretary for the first time (their private
            # chat is remembered, their send slot created); the second, the one counted, is
            # the everyday report of someone the bot knows, six of them at once.
            for round_ in range(2):
                log.take()

                async def report(n: int, round_: int = round_) -> None:
                    body = {
                        "update_id": 500 + round_ * REPORTS + n,
                        "message": api.message(user_id=FIRST_USER + n, text=f"thêm {round_ + 2}"),
                    }
                    # Threads of their own: the bot's database work uses the loop's pool.
                    loop = asyncio.get_running_loop()
                    posting = loop.run_in_executor(posters, post_update, url, body, HEADER, SECRET)
                    assert await posting == 200

                await asyncio.gather(*(report(n) for n in range(REPORTS)))
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and (
                    any(len(api.messages_to(FIRST_USER + n)) <= round_ for n in range(REPORTS))
                    or unsettled(watcher)
                ):
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.3)
                for n in range(REPORTS):
                    assert "Đã ghi nhận" in api.messages_to(FIRST_USER + n)[round_].text
                if round_ == 1:
                    counted = log.take()
    finally:
        posters.shutdown()
        await process.stop()
        core.close()
        watcher.dispose()
    # Each update is decoded once, on arrival; its handling uses that Update.
    assert sorted(decoded) == sorted(set(decoded)) and len(decoded) == 2 * REPORTS
    shown = "\n".join(counted)
    marks = sum(1 for line in counted if line.startswith(REPLIED_MARK))
    assert 1 <= marks < REPORTS, shown  # batched across replies
    # A mark's COMMIT follows it: the rest are the reports' own.
    transactions = StatementLog.transactions(counted) - marks
    assert transactions <= MAX_TRANSACTIONS * REPORTS, shown
    statements = StatementLog.statements(counted)
    print(f"{REPORTS} reports: {transactions} transactions, {statements} statements, {marks} marks")
    assert statements <= MAX_STATEMENTS * REPORTS, shown
