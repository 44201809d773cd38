"""Zalo as a first-class channel ([zalo] 9): the client, update translation, and the whole
bot on the fake Zalo API — register, approval by command, report, duplicate, undo, progress,
long answers split, files by signed link, the webhook, the budget."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from bot.channels.zalo.client import (
    ZaloBadRequest,
    ZaloClient,
    ZaloNothingYet,
    ZaloUnauthorized,
)
from bot.channels.zalo.inbound import to_inbound, unwrap, update_key
from bot.domain.messages import ChatKind
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.zalo import ZALO_ADMIN, ZALO_TOKEN, RunningZalo, zalo_settings

NOW = datetime.now(UTC)
AN = "f1e2d3c4b5a697887766"  # a ward secretary's Zalo id (20 hex characters, as live)


@pytest.fixture
def zalo():
    with FakeZaloApi(ZALO_TOKEN) as api:
        yield api


async def eventually(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------- the client


async def test_the_client_judges_answers_by_ok_not_by_http_status(zalo):
    client = ZaloClient(zalo.base_url, ZALO_TOKEN)
    try:
        assert (await client.get_me())["account_name"] == "quizbot"
        assert await client.get_update(timeout=0) is None  # 408: nothing yet
        with pytest.raises(ZaloNothingYet):
            await client.call("getUpdates", {"timeout": 0})
        with pytest.raises(ZaloBadRequest) as refused:
            await client.send_message("u1", "x" * 2001)  # HTTP 200, ok: false, 400
        assert refused.value.code == 400
    finally:
        await client.close()
    wrong = ZaloClient(zalo.base_url, "zalo-fake:a-wrong-token-of-some-length")
    try:
        with pytest.raises(ZaloUnauthorized) as rejected:
            await wrong.get_me()
        assert "a-wrong-token" not in str(rejected.value)  # the URL (and token) never shows
    finally:
        await wrong.close()


# ---------------------------------------------------------------- translation


def test_updates_are_read_tolerantly(zalo):
    now_update = zalo.update(user_id=AN, text="thêm 45 lượt", name="Nguyễn An")
    inbound = to_inbound(now_update, received_at=NOW)
    assert inbound is not None and inbound.sender.user_id == AN
    assert inbound.chat.platform == "zalo" and inbound.chat_kind is ChatKind.PRIVATE
    assert inbound.sender.display_name == "Nguyễn An" and inbound.text == "thêm 45 lượt"
    # Wrapped like an API answer, and a name under first_name.
    wrapped = {"ok": True, "result": zalo.update(user_id=AN, text="/tiendo")}
    wrapped["result"]["message"]["from"] = {"id": AN, "first_name": "An"}
    assert unwrap(wrapped) == wrapped["result"]
    command = to_inbound(unwrap(wrapped), received_at=NOW)
    assert command.command == "status" and command.sender.display_name == "An"
    # An image with a caption is read as its caption; a sticker gets the hint.
    photo = zalo.update(
        user_id=AN,
        event="message.image.received",
        extra={"photo_url": "https://x/y.jpg", "caption": "/bc 20"},
    )
    assert to_inbound(photo, received_at=NOW).command == "report"  # type: ignore[union-attr]
    sticker = zalo.update(user_id=AN, event="message.sticker.received")
    assert to_inbound(sticker, received_at=NOW).media == "sticker"  # type: ignore[union-attr]
    # In a group the bot sees only what mentions it; the mention goes.
    group = zalo.update(user_id=AN, chat_id="g" * 20, text="@Quiz Bot /bc 15", group=True)
    in_group = to_inbound(group, received_at=NOW)
    assert in_group.chat_kind is ChatKind.GROUP and in_group.args == ("15",)  # type: ignore[union-attr]
    assert update_key(group) == f"message.text.received:{group['message']['message_id']}"


# ---------------------------------------------------------------- the whole bot on Zalo


async def test_a_secretary_registers_is_approved_reports_and_asks_progress_on_zalo(
    zalo, tmp_path
):
    async with RunningZalo(zalo_settings(zalo, tmp_path)):
        zalo.say(AN, "/dangky khuong mai", name="Nguyễn Văn An")
        await eventually(lambda: len(zalo.snapshot()) >= 2)
        to_an = zalo.texts_to(AN)[0]
        assert "yêu cầu đăng ký làm người báo cáo của Phường Khương Mai (KM)" in to_an
        # The first answer to a new person on Zalo says it is automated; plain text only.
        assert "trợ lý tự động" in to_an and "<b>" not in to_an
        [request] = zalo.texts_to(ZALO_ADMIN)
        # No buttons on Zalo: the request says what to type.
        assert f"gõ /duyet {AN}" in request and f"gõ /tuchoi {AN}" in request

        zalo.say(ZALO_ADMIN, f"/duyet {AN}")
        await eventually(lambda: len(zalo.texts_to(AN)) == 2)
        assert "Phường Khương Mai" in zalo.texts_to(AN)[1]

        report = zalo.say(AN, "thêm 45 lượt ạ")
        await eventually(lambda: len(zalo.texts_to(AN)) == 3)
        assert "45/200" in zalo.texts_to(AN)[2]
        zalo.push(report)  # the same message delivered again: counted once, not answered
        zalo.say(AN, "/tiendo")
        await eventually(lambda: len(zalo.texts_to(AN)) == 4)
        progress = zalo.texts_to(AN)[3]
        assert "45/200" in progress and "<b>" not in progress

        zalo.say(AN, "/huy")
        await eventually(lambda: len(zalo.texts_to(AN)) == 5)
        zalo.say(AN, "/tiendo")
        await eventually(lambda: len(zalo.texts_to(AN)) == 6)
        assert "0/200" in zalo.texts_to(AN)[5]
    assert all(len(sent.text) <= 2000 for sent in zalo.snapshot())


def test_long_answers_are_split_on_line_boundaries_within_2000_characters():
    from bot.channels.zalo.notifier import ZaloNotifier
    from bot.domain.messages import Button, Outbound
    from bot.domain.model import ChatRef

    lines = [f"<b>Dòng {n}</b> &amp; một đoạn chữ khá dài để đủ độ dài cần thiết" for n in range(120)]
    message = Outbound(
        ChatRef("zalo", AN), "\n".join(lines), buttons=(Button("✅ Có", "confirm_held", "7", "có"),)
    )
    parts = ZaloNotifier(client=None).parts(message)  # type: ignore[arg-type]
    assert len(parts) >= 3 and all(len(part.text) <= 2000 for part in parts)
    joined = "\n".join(part.text for part in parts)
    assert "<b>" not in joined and "Dòng 0 & một" in joined
    assert all(part.buttons == () for part in parts)
    assert parts[-1].text.endswith("👉 ✅ Có: gõ có")
    for part in parts:  # each part ends at a line's end
        assert all(line.startswith(("Dòng", "👉")) for line in part.text.splitlines())
