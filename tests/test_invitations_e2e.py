"""Invitations end to end: the Telegram deep link through the fake Bot API (`/start CODE`,
the username from getMe) and `/dangky CODE` on Zalo."""

from __future__ import annotations

import re

import pytest

from tests.support.fake_bot_api import BOT_USERNAME, FakeBotApi
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.harness import ADMIN, TOKEN, RunningBot, bot_settings
from tests.support.zalo import QUIET, ZALO_ADMIN, ZALO_TOKEN, RunningZalo, zalo_settings
from tests.test_e2e_telegram import say
from tests.test_zalo import eventually

NEWCOMER = 7001
ZALO_NEWCOMER = "a9b8c7d6e5f40312"


@pytest.fixture
def api():
    with FakeBotApi(TOKEN) as fake:
        yield fake


async def test_the_deep_link_makes_a_secretary_who_reports_at_once(api, tmp_path):
    running = await RunningBot(bot_settings(api, tmp_path)).start()
    try:
        _, invitation = await say(api, ADMIN, "/moi KM01 2")
        link = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Z0-9]{{8}})", invitation.text)
        assert link, invitation.text
        code = link.group(1)
        before_admin = len(api.messages_to(ADMIN))
        # Opening the link sends «/start CODE» from the person's private chat.
        _, welcome = await say(api, NEWCOMER, f"/start {code}", first_name="Phan Thị Lan")
        assert "Đồng chí đã là người báo cáo của <b>Chi bộ Tổ dân phố số 1</b>" in welcome.text
        told = await api.wait_for_reply(ADMIN, before_admin)
        assert "Phan Thị Lan" in told.text and f"mã mời {code} (1/2)" in told.text
        _, accepted = await say(api, NEWCOMER, "/bc 9")
        assert "✅" in accepted.text
    finally:
        await running.stop()


@pytest.fixture
def zalo():
    with FakeZaloApi(ZALO_TOKEN, now=QUIET.timestamp) as fake:
        yield fake


async def test_dangky_with_the_code_on_zalo(zalo, tmp_path):
    async with RunningZalo(zalo_settings(zalo, tmp_path)):
        zalo.say(ZALO_ADMIN, "/moi KM02")
        await eventually(lambda: len(zalo.texts_to(ZALO_ADMIN)) >= 1)
        created = zalo.texts_to(ZALO_ADMIN)[0]
        code = re.search(r"gửi /dangky ([A-Z0-9]{8}) cho bot", created)
        assert code, created
        zalo.say(ZALO_NEWCOMER, f"/dangky {code.group(1)}", name="Hà Văn Sơn")
        await eventually(lambda: len(zalo.texts_to(ZALO_NEWCOMER)) >= 1)
        welcome = zalo.texts_to(ZALO_NEWCOMER)[0]
        assert "người báo cáo của Chi bộ Tổ dân phố số 2 (KM02)" in welcome
        assert "<b>" not in welcome
        await eventually(lambda: len(zalo.texts_to(ZALO_ADMIN)) >= 2)
        assert "Hà Văn Sơn" in zalo.texts_to(ZALO_ADMIN)[1]
        zalo.say(ZALO_NEWCOMER, "thêm 4 lượt")
        await eventually(lambda: len(zalo.texts_to(ZALO_NEWCOMER)) >= 2)
        assert "4" in zalo.texts_to(ZALO_NEWCOMER)[1] and "✅" in zalo.texts_to(ZALO_NEWCOMER)[1]


async def test_a_telegram_admin_hears_of_a_zalo_secretary_who_joined(zalo, tmp_path):
    from bot.domain.model.entities import ChatRef, Person
    from bot.domain.model.messages import ChatKind, Inbound

    with FakeBotApi(TOKEN) as telegram:
        settings = zalo_settings(
            zalo,
            tmp_path,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            ADMIN_IDS=str(ADMIN),
        )
        async with RunningZalo(settings) as process:
            invite = Inbound(
                sender=Person("telegram", str(ADMIN), "Quản trị"),
                chat=ChatRef("telegram", str(ADMIN)),
                chat_kind=ChatKind.PRIVATE,
                sent_at=QUIET,
                text="/moi KM01",
                command="invite",
                args=("KM01",),
                message_id="501",
            )
            [created] = await process.core.handle_async(invite)
            code = re.search(r"/dangky ([A-Z0-9]{8}) cho bot", created.text).group(1)
            zalo.say(ZALO_NEWCOMER, f"/dangky {code}", name="Hà Văn Sơn")
            await eventually(lambda: len(zalo.texts_to(ZALO_NEWCOMER)) >= 1)
            # Told on Telegram (through the outbox), and the Zalo admin on Zalo.
            await eventually(
                lambda: any("Hà Văn Sơn" in m.text for m in telegram.messages_to(ADMIN))
            )
            await eventually(lambda: any("Hà Văn Sơn" in t for t in zalo.texts_to(ZALO_ADMIN)))
        [told] = [m for m in telegram.messages_to(ADMIN) if "Hà Văn Sơn" in m.text]
        assert f"mã mời {code} (1/3)" in told.text
