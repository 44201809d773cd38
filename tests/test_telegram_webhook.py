"""Telegram by webhook ([scale] 10, first part): with PUBLIC_BASE_URL the bot registers
`/telegram/webhook` with a secret, refuses deliveries without it (storing nothing), stores an
update before its 200, and hands it to the same Application as polling would."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.storage.database import Database, make_engine
from bot.storage.received import RECEIVED
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import TOKEN, bot_settings
from tests.support.loopback import free_port, post_update
from tests.support.zalo import RunningZalo

SECRET = "telegram-webhook-secret-for-tests"


def stored(settings) -> int:
    import sqlalchemy as sa

    database = Database(make_engine(settings.database_url))
    try:
        return database.run(
            lambda store: store.connection.execute(
                sa.select(sa.func.count()).select_from(RECEIVED)
            ).scalar()
        )
    finally:
        database.dispose()


def post(url: str, body: dict, secret: str | None) -> int:
    return post_update(url, body, "X-Telegram-Bot-Api-Secret-Token", secret)


def public_settings(api, tmp_path, **extra: str):
    """A free port for the bot's web server, and settings reaching it with the secret."""
    port = free_port()
    settings = bot_settings(
        api,
        tmp_path,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HTTP_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        **extra,
    )
    return port, settings


@pytest.fixture
def api():
    with FakeBotApi(TOKEN) as fake:
        yield fake


async def test_the_webhook_refuses_a_wrong_secret_stores_then_answers_and_drops_repeats(
    api, tmp_path
):
    port, settings = public_settings(api, tmp_path)
    async with RunningZalo(settings):
        assert api.webhook is not None
        url = api.webhook["url"]
        assert url == f"http://127.0.0.1:{port}/telegram/webhook"
        assert api.webhook["secret_token"] == SECRET
        message = api.message(user_id=4242, text="/huongdan")
        update = {"update_id": 77, "message": message}
        for secret in (None, "wrong"):
            assert await asyncio.to_thread(post, url, update, secret) == 403
        assert stored(settings) == 0
        assert await asyncio.to_thread(post, url, update, SECRET) == 200
        assert stored(settings) == 1  # in the store before the 200
        assert await asyncio.to_thread(post, url, update, SECRET) == 200  # delivered again
        deadline = time.monotonic() + 10
        while not api.messages_to(4242) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
    answers = api.messages_to(4242)
    assert len(answers) == 1 and "ID của đồng chí: 4242" in answers[0].text
    assert stored(settings) == 1


async def test_polling_is_kept_when_asked_even_with_a_public_address(api, tmp_path):
    from bot.bootstrap import BotProcess, initialise, open_core
    from bot.clock import SystemClock

    port = free_port()
    settings = bot_settings(
        api, tmp_path, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", HTTP_PORT=str(port)
    )
    initialise(settings)
    core = open_core(settings, SystemClock())
    process = BotProcess(settings, core, http_host="127.0.0.1", polling=True)
    try:
        await process.start()
        api.push_message(user_id=4242, text="/huongdan")
        deadline = time.monotonic() + 10
        while not api.messages_to(4242) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        await process.stop()
        core.close()
    assert api.webhook is None and api.messages_to(4242)


def test_a_kill_9_right_after_the_200_loses_nothing(api, tmp_path):
    import urllib.request

    from bot.bootstrap import initialise
    from tests.support.crashes import REPO, bot_process, recorded, wait_until
    from tests.support.harness import cli_environment
    from tests.support.secretaries import approve_secretaries

    port, settings = public_settings(api, tmp_path, UNITS_FILE=str(REPO / "data" / "units.csv"))
    initialise(settings)
    approve_secretaries(settings.database_url, 10, 50_000)
    env = cli_environment(
        settings,
        PUBLIC_BASE_URL=settings.public_base_url,
        HTTP_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    url = f"{settings.public_base_url}/telegram/webhook"

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"{settings.public_base_url}/healthz", timeout=1):
                return api.webhook is not None
        except OSError:
            return False

    updates = [
        {
            "update_id": 1000 + n,
            "message": api.message(user_id=50_000 + n % 10, text=f"thêm {n % 7 + 1} lượt"),
        }
        for n in range(40)
    ]
    process = bot_process(env)
    wait_until(up, process)
    for update in updates[:20]:
        assert post(url, update, SECRET) == 200
    process.kill()  # right after the 20th 200: some are stored and not yet handled
    process.wait(timeout=30)
    api.webhook = None
    process = bot_process(env)
    try:
        wait_until(up, process)
        for update in updates[20:]:
            assert post(url, update, SECRET) == 200
        wait_until(lambda: len(recorded(settings.database_url)) >= 40, process)
        time.sleep(0.5)  # anything still arriving would be a second count
    finally:
        process.terminate()
        process.wait(timeout=30)
    entries = recorded(settings.database_url)
    assert len(entries) == len(set(entries)) == 40
