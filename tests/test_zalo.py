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
from bot.domain.model.messages import ChatKind
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.loopback import free_port
from tests.support.zalo import QUIET, ZALO_ADMIN, ZALO_TOKEN, RunningZalo, zalo_settings

NOW = datetime.now(UTC)
AN = "f1e2d3c4b5a697887766"  # a ward secretary's Zalo id (20 hex characters, as live)


@pytest.fixture
def zalo():
    with FakeZaloApi(ZALO_TOKEN, now=QUIET.timestamp) as api:
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


async def test_a_secretary_registers_is_approved_reports_and_asks_progress_on_zalo(zalo, tmp_path):
    async with RunningZalo(zalo_settings(zalo, tmp_path)):
        zalo.say(AN, "/dangky khuong mai", name="Nguyễn Văn An")
        await eventually(lambda: len(zalo.snapshot()) >= 2)
        to_an = zalo.texts_to(AN)[0]
        assert "yêu cầu đăng ký làm người báo cáo của Phường Khương Mai (KM)" in to_an
        # The first answer to a new person on Zalo says it is automated; plain text only.
        assert "trợ lý tự động" in to_an and "<b>" not in to_an
        [request] = zalo.texts_to(ZALO_ADMIN)
        # No buttons on Zalo: the request says what to type.
        assert f"/duyet {AN}" in request and f"/tuchoi {AN}" in request
        assert "bấm" not in request and "nút" not in request

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
    from bot.domain.model.entities import ChatRef
    from bot.domain.model.messages import Button, Outbound

    lines = [
        f"<b>Dòng {n}</b> &amp; một đoạn chữ khá dài để đủ độ dài cần thiết" for n in range(120)
    ]
    message = Outbound(
        ChatRef("zalo", AN), "\n".join(lines), buttons=(Button("✅ Có", "confirm_held", "7", "có"),)
    )
    parts = ZaloNotifier(client=None).parts(message)  # type: ignore[arg-type]
    assert len(parts) >= 3 and all(len(part.text) <= 2000 for part in parts)
    joined = "\n".join(part.text for part in parts)
    assert "<b>" not in joined and "Dòng 0 & một" in joined
    assert all(part.buttons == () for part in parts)
    assert parts[-1].text.endswith("👉 Đồng chí trả lời «có» (✅ Có).")
    for part in parts:  # each part ends at a line's end
        assert all(line.startswith(("Dòng", "👉")) for line in part.text.splitlines())


# ---------------------------------------------------------------- the web server


SECRET = "webhook-secret-for-tests"


def public_settings(zalo, tmp_path, **extra):
    port = free_port()
    return zalo_settings(
        zalo,
        tmp_path,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HTTP_PORT=str(port),
        ZALO_WEBHOOK_SECRET=SECRET,
        **extra,
    )


def stored_updates(process) -> int:
    import sqlalchemy as sa

    from bot.storage.received import RECEIVED

    return process.core.database.run(
        lambda store: store.connection.execute(
            sa.select(sa.func.count()).select_from(RECEIVED)
        ).scalar()
    )


async def test_the_webhook_checks_its_secret_stores_then_answers_and_drops_repeats(zalo, tmp_path):
    from tests.support.fake_zalo_api import deliver

    settings = public_settings(zalo, tmp_path)
    async with RunningZalo(settings) as process:
        assert zalo.webhook == {
            "url": f"{settings.public_base_url}/zalo/webhook",
            "secret": "webhook-secret-for-tests",
        }
        url = zalo.webhook["url"]
        update = zalo.update(user_id=AN, text="/huongdan")
        for secret in (None, "wrong-secret-of-length"):
            assert await asyncio.to_thread(deliver, url, update, secret) == 403
        assert stored_updates(process) == 0
        assert await asyncio.to_thread(deliver, url, update, "webhook-secret-for-tests") == 200
        assert stored_updates(process) == 1  # stored before the 200
        # Delivered again (Zalo retries): stored and answered once.
        assert await asyncio.to_thread(deliver, url, update, "webhook-secret-for-tests") == 200
        wrapped = {"ok": True, "result": zalo.update(user_id=AN, text="/donvi")}
        assert await asyncio.to_thread(deliver, url, wrapped, "webhook-secret-for-tests") == 200
        await process.zalo.idle()
        assert stored_updates(process) == 2
    sent = zalo.texts_to(AN)
    assert len(sent) == 2 and "trợ lý tự động" in sent[0] and "Danh sách đơn vị" in sent[1]


async def test_health_says_whether_the_database_answers(zalo, tmp_path):
    import httpx

    settings = public_settings(zalo, tmp_path)
    async with RunningZalo(settings), httpx.AsyncClient() as http:
        answer = await http.get(f"{settings.public_base_url}/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "database": True,
        "outbox_backlog": 0,
        "leader": {"live": True, "this_worker": True},
    }


# ---------------------------------------------------------------- jobs on Zalo

BINH = "0a1b2c3d4e5f60718293"  # another ward's secretary


def seed_zalo(process, secretaries=(), subscribers=()) -> None:
    from bot.domain.model.entities import ChatRef, MembershipStatus, Person

    admin = Person("zalo", ZALO_ADMIN, "Quản trị")
    now = process.core.now()

    def work(store):
        for user_id, code in secretaries:
            request = store.members.request(Person("zalo", user_id, f"Thư ký {code}"), code, now)
            store.members.decide(request.id, MembershipStatus.APPROVED, admin, now)
        for chat_id in subscribers:
            store.subscriptions.subscribe(ChatRef("zalo", chat_id), None, admin, now)

    process.core.database.run(work)


async def test_reminders_and_digests_reach_zalo_with_the_chart_and_the_spreadsheet_by_link(
    zalo, tmp_path
):
    import io
    import re

    import httpx
    import openpyxl

    from tests.support.fake_zalo_api import deliver

    settings = public_settings(zalo, tmp_path)
    async with RunningZalo(settings) as process:
        seed_zalo(process, [(AN, "KM"), (BINH, "KT")], [ZALO_ADMIN])
        # With a public address, updates come by webhook (polling stops while one is set).
        update = zalo.update(user_id=AN, text="thêm 150 lượt")
        assert await asyncio.to_thread(deliver, zalo.webhook["url"], update, SECRET) == 200
        await process.zalo.idle()
        runner = process.service.runner
        now = process.core.now()
        reminded = await runner.run("weekly-reminder", now)
        assert reminded.delivery.sent == 2
        assert "Nhắc nhở tiến độ tuần" in zalo.texts_to(AN)[1] and "150/200" in zalo.texts_to(AN)[1]
        assert "chưa báo cáo lượt dự thi nào" in zalo.texts_to(BINH)[0]

        await runner.run("weekly-digest", now)
        to_admin = [sent for sent in zalo.snapshot() if sent.chat_id == ZALO_ADMIN]
        assert "Tổng hợp tuần" in to_admin[0].text and "<b>" not in to_admin[0].text
        [photo] = [sent for sent in to_admin if sent.method == "sendPhoto"]
        # Zalo fetched the chart from the bot's own server: a PNG.
        assert photo.photo_status == 200 and photo.photo_type == "image/png"
        assert photo.photo.startswith(b"\x89PNG\r\n\x1a\n")
        [link_text] = [sent.text for sent in to_admin if "Tải tệp" in sent.text]
        link = re.search(r"(http://\S+)", link_text).group(1)
        async with httpx.AsyncClient() as http:
            sheet = await http.get(link)
            assert sheet.status_code == 200
            workbook = openpyxl.load_workbook(io.BytesIO(sheet.content))
            assert workbook.active.title.startswith("Tuần")
            unsigned = link.split("&sig=")[0]
            assert (await http.get(unsigned)).status_code == 403
            stamp = re.search(r"exp=(\d+)", link).group(1)
            extended = link.replace(f"exp={stamp}", f"exp={int(stamp) + 86400}")
            assert (await http.get(extended)).status_code == 403
            # A genuine signature on an expiry that has passed.
            file_id = link.split("/files/")[1].split("/")[0]
            past = datetime.fromtimestamp(time.time() - 60, UTC)
            expired = process.links.url(file_id, "x.xlsx", past)
            assert (await http.get(expired)).status_code == 403


async def test_without_a_public_address_a_digest_on_zalo_says_where_to_get_the_files(
    zalo, tmp_path
):
    async with RunningZalo(zalo_settings(zalo, tmp_path)) as process:
        seed_zalo(process, subscribers=[ZALO_ADMIN])
        report = await process.service.runner.run("weekly-digest", process.core.now())
        assert report.delivery.failed == 0
    texts_sent = zalo.texts_to(ZALO_ADMIN)
    assert sum("chưa gửi được qua Zalo" in text and "/xuat" in text for text in texts_sent) == 2
    assert not [sent for sent in zalo.snapshot() if sent.method == "sendPhoto"]


async def test_the_budget_keeps_the_furthest_behind_and_tells_the_admins_what_it_held(
    zalo, tmp_path
):
    secretaries = [(f"{n:020x}", code) for n, code in enumerate(["KM", "KT", "NC", "DTN"], 1)]
    async with RunningZalo(
        zalo_settings(zalo, tmp_path, ZALO_MONTHLY_MESSAGE_BUDGET="6")
    ) as process:
        seed_zalo(process, secretaries)
        figures = {"KM": 150, "KT": 20, "NC": 100}  # DTN: nothing (furthest behind)
        for user_id, code in secretaries:
            if code in figures:
                zalo.say(user_id, f"/bc {figures[code]}")
        month = process.core.now().astimezone(process.core.policy.tz).strftime("%Y-%m")

        def counted_now() -> int:
            return process.core.database.run(lambda store: store.message_counts.sent("zalo", month))

        # The answers: 3 of the 6, counted (a send is counted right after it went out).
        await eventually(lambda: len(zalo.snapshot()) == 3 and counted_now() == 3)
        report = await process.service.runner.run("weekly-reminder", process.core.now())
        counted = counted_now()
    # 3 answers sent, 3 left, one of them for the admin's notice: 2 reminders fit...
    reminded = {
        sent.chat_id
        for sent in zalo.snapshot()
        if sent.text.startswith("📣 Nhắc nhở tiến độ tuần") and sent.chat_id != ZALO_ADMIN
    }
    # ...the furthest behind first: DTN (0/200) and KT (20/200).
    assert reminded == {secretaries[3][0], secretaries[1][0]}
    assert report.queued == 2
    [notice] = zalo.texts_to(ZALO_ADMIN)
    assert "Hạn mức tin nhắn Zalo" in notice and "chưa gửi 2 tin" in notice
    assert "Phường Nhân Chính (NC)" in notice and "Phường Khương Mai (KM)" in notice
    assert counted == len(zalo.snapshot()) == 6


async def test_the_months_zalo_messages_show_in_jobs_list_and_in_the_admins_progress(
    zalo, tmp_path, monkeypatch, capsys
):
    from bot.cli import main

    settings = zalo_settings(zalo, tmp_path, ZALO_MONTHLY_MESSAGE_BUDGET="3000")
    async with RunningZalo(settings):
        zalo.say(ZALO_ADMIN, "/huongdan")
        # The admin's help takes one or two of Zalo's 2 000-character messages.
        await eventually(lambda: len(zalo.texts_to(ZALO_ADMIN)) >= 1)
        await asyncio.sleep(0.5)
        helped = len(zalo.texts_to(ZALO_ADMIN))
        zalo.say(ZALO_ADMIN, "/tiendo all")
        # The answer, too (it ends with the units nobody reports for).
        await eventually(
            lambda: "Chưa có người báo cáo" in "\n".join(zalo.texts_to(ZALO_ADMIN)[helped:])
        )
    left = f"{3000 - helped:,}".replace(",", ".")
    assert f"📨 Tin nhắn Zalo tháng 9/2024: đã gửi {helped}/3.000, còn {left}." in "\n".join(
        zalo.texts_to(ZALO_ADMIN)[helped:]
    )
    for key, value in {
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "ZALO_API_BASE_URL": zalo.base_url,
        "DATABASE_URL": settings.database_url,
        "UNITS_FILE": str(settings.units_file),
        "CAMPAIGN_START": "2024-09-02",
        "TELEGRAM_BOT_TOKEN": "",
    }.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    assert main(["jobs", "list"]) == 0
    # Counted in the campaign's local month; the listing is for the month it runs in.
    assert "Tin nhắn Zalo tháng" in capsys.readouterr().out


# ---------------------------------------------------------------- both platforms at once


async def test_one_process_serves_telegram_and_zalo_with_the_same_figures(zalo, tmp_path):
    from bot.domain.rendering import plain_text
    from tests.support.fake_bot_api import FakeBotApi
    from tests.support.harness import ADMIN, TOKEN

    telegram_secretary = 1001
    with FakeBotApi(TOKEN) as telegram:
        settings = zalo_settings(
            zalo,
            tmp_path,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            ADMIN_IDS=str(ADMIN),
        )
        async with RunningZalo(settings) as process:
            # Ward KM has a secretary on each platform; each platform's admin subscribes.
            seed_zalo(process, [(AN, "KM")], [ZALO_ADMIN])
            from bot.domain.model.entities import ChatRef, MembershipStatus, Person

            def telegram_side(store):
                person = Person("telegram", str(telegram_secretary), "Trần Bình")
                request = store.members.request(person, "KM", QUIET)
                admin = Person("telegram", str(ADMIN), "Admin")
                store.members.decide(request.id, MembershipStatus.APPROVED, admin, QUIET)
                store.subscriptions.subscribe(ChatRef("telegram", "-900"), None, admin, QUIET)

            process.core.database.run(telegram_side)
            telegram.push_message(
                user_id=telegram_secretary, text="thêm 30 lượt", date=int(QUIET.timestamp())
            )
            zalo.say(AN, "thêm 20 lượt")
            await eventually(lambda: telegram.messages_to(telegram_secretary) and zalo.texts_to(AN))
            telegram.push_message(
                user_id=telegram_secretary, text="/tiendo", date=int(QUIET.timestamp())
            )
            zalo.say(AN, "/tiendo")
            await eventually(
                lambda: (
                    len(telegram.messages_to(telegram_secretary)) == 2
                    and len(zalo.texts_to(AN)) == 2
                )
            )
            on_telegram = plain_text(telegram.messages_to(telegram_secretary)[1].text)
            on_zalo = zalo.texts_to(AN)[1]
            assert "50/200" in on_telegram and "50/200" in on_zalo
            assert on_telegram.splitlines()[:3] == on_zalo.splitlines()[:3]
            # The digest of this week goes to the subscribed chats on both platforms.
            monday = QUIET.replace(day=16, hour=13)
            report = await process.service.runner.run("weekly-digest", monday, now=monday)
            assert report.delivery.sent >= 2
        telegram_digest = plain_text(telegram.messages_to(-900)[0].text)
        zalo_digest = next(t for t in zalo.texts_to(ZALO_ADMIN) if "Tổng hợp tuần" in t)
        assert "Tổng: 50 lượt dự thi" in telegram_digest and "Tổng: 50 lượt dự thi" in zalo_digest


async def test_an_official_on_zalo_subscribes_and_exports_a_spreadsheet_by_link(zalo, tmp_path):
    import io
    import re

    import httpx
    import openpyxl

    from tests.support.fake_zalo_api import deliver

    settings = public_settings(zalo, tmp_path)
    async with RunningZalo(settings) as process:
        url = zalo.webhook["url"]
        for text in ("/dangkynhan", "/xuat tuan"):
            update = zalo.update(user_id=ZALO_ADMIN, text=text)
            assert await asyncio.to_thread(deliver, url, update, SECRET) == 200
            await process.zalo.idle()
        subscribed = process.core.database.run(lambda store: store.subscriptions.active())
        assert [s.chat.chat_id for s in subscribed] == [ZALO_ADMIN]
        sent = zalo.texts_to(ZALO_ADMIN)
        assert "bản tổng hợp" in sent[0]
        link = re.search(r"(http://\S+)", next(t for t in sent if "Tải tệp" in t)).group(1)
        async with httpx.AsyncClient() as http:
            sheet = await http.get(link)
        workbook = openpyxl.load_workbook(io.BytesIO(sheet.content))
        assert workbook.active.title == "Tuần 37"


async def test_each_chats_updates_are_handled_in_the_order_they_arrived(zalo, tmp_path):
    import random

    from bot.bootstrap import initialise, open_core
    from bot.channels.zalo.receiving import zalo_inbox
    from bot.clock import FixedClock

    settings = zalo_settings(zalo, tmp_path)
    initialise(settings)
    core = open_core(settings, FixedClock(QUIET))
    handled: list[tuple[str, str]] = []

    async def slow_handle(inbound):
        await asyncio.sleep(random.uniform(0, 0.01))  # later updates may finish first
        handled.append((inbound.chat.chat_id, inbound.text))
        return []

    async def no_replies(_replies):
        return None

    core.handle_async = slow_handle  # the receiver is under test, not the conversation
    receiver = zalo_inbox(core, no_replies)
    try:
        chats = [f"{n:020x}" for n in range(5)]
        for index in range(60):
            chat = chats[index % 5]
            await receiver.accept(zalo.update(user_id=chat, text=f"{index}"))
        await receiver.idle()
    finally:
        core.close()
    assert len(handled) == 60
    for chat in chats:
        mine = [int(text) for chat_id, text in handled if chat_id == chat]
        assert mine == sorted(mine) and len(mine) == 12
    assert receiver.sequencer._chats == {}  # nothing kept once a chat's updates are done


async def test_metrics_count_updates_replies_sends_and_the_budget(zalo, tmp_path):
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    from tests.support.fake_zalo_api import deliver

    def samples(text: str) -> dict[tuple[str, tuple], float]:
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    settings = public_settings(zalo, tmp_path)
    async with RunningZalo(settings) as process, httpx.AsyncClient() as http:
        before = samples((await http.get(f"{settings.public_base_url}/metrics")).text)
        update = zalo.update(user_id=AN, text="/huongdan")
        assert await asyncio.to_thread(deliver, zalo.webhook["url"], update, SECRET) == 200
        await process.zalo.idle()
        seed_zalo(process, [(AN, "KM")])
        await process.service.runner.run("weekly-reminder", process.core.now())
        after = samples((await http.get(f"{settings.public_base_url}/metrics")).text)
    zalo_label = (("platform", "zalo"),)

    def grew(name: str, labels: tuple = zalo_label) -> float:
        return after.get((name, labels), 0) - before.get((name, labels), 0)

    assert grew("quizbot_updates_received_total") == 1
    assert grew("quizbot_updates_handled_total") == 1
    assert grew("quizbot_reply_seconds_count") == 1
    assert grew("quizbot_outbox_sends_total", (("platform", "zalo"), ("result", "sent"))) == 1
    assert after[("quizbot_outbox_backlog", ())] == 0
    assert after[("quizbot_messages_sent_this_month", zalo_label)] == 2  # the answer, the reminder
    assert after[("quizbot_message_budget", zalo_label)] == 3000
