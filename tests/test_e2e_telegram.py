"""End to end: the real python-telegram-bot Application over HTTP against a fake Bot API."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import wording
from bot.domain.model.weeks import Week
from bot.domain.reading.parsing import ParseProblem
from bot.redaction import configure_logging
from bot.storage.database import Database, make_engine
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import ADMIN, TOKEN, RunningBot, bot_settings

AN = 1001
GRACE = timedelta(hours=12)
MEMBER = 5000
STRANGER = 4242
GROUP = -1001


@pytest.fixture
def api():
    with FakeBotApi(TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(api, tmp_path):
    running = await RunningBot(bot_settings(api, tmp_path)).start()
    yield running
    await running.stop()


async def say(api: FakeBotApi, user: int, text: str, chat: int | None = None, **kwargs):
    """Send a message and wait for the bot's first answer in that chat."""
    chat_id = user if chat is None else chat
    before = len(api.messages_to(chat_id))
    message = api.push_message(user_id=user, chat_id=chat, text=text, **kwargs)
    reply = await api.wait_for_reply(chat_id, before)
    return message, reply


def week_total(settings, code: str = "KM") -> int:
    database = Database(make_engine(settings.database_url))
    try:

        def total(store):
            campaign = store.campaigns.active()
            week = Week.of(datetime.now(UTC), settings.timezone)
            return store.ledger.own_total(campaign.id, code, week.start)

        return database.run(total)
    finally:
        database.dispose()


async def register_and_approve(api: FakeBotApi, user: int = AN, code: str = "KM") -> None:
    _, reply = await say(api, user, f"/register {code}", first_name="Nguyễn Văn", last_name="An")
    assert "Đã gửi yêu cầu" in reply.text
    notice = await api.wait_for(lambda sent: any(s.chat_id == ADMIN and s.buttons for s in sent))
    request = [s for s in notice if s.chat_id == ADMIN and s.buttons][-1]
    before = len(api.messages_to(user))
    api.push_callback(user_id=ADMIN, sent=request, data=request.buttons[0]["callback_data"])
    told = await api.wait_for_reply(user, before)
    assert "đã được duyệt" in told.text


async def test_registration_reports_edits_undo_status_and_restart(api, tmp_path):
    settings = bot_settings(api, tmp_path)
    bot = await RunningBot(settings).start()
    try:
        # Registration: the admin gets the request with buttons and approves with one.
        _, reply = await say(api, AN, "/register KM", first_name="Nguyễn Văn", last_name="An")
        expected = "Đã gửi yêu cầu đăng ký làm người báo cáo của <b>Phường Khương Mai</b> (KM)"
        assert expected in reply.text
        notice = await api.wait_for(lambda sent: any(s.chat_id == ADMIN for s in sent))
        request = next(s for s in notice if s.chat_id == ADMIN)
        assert "<b>Nguyễn Văn An</b> (ID 1001)" in request.text
        # The buttons name the request itself, not just the person.
        assert [b["callback_data"] for b in request.buttons] == ["approve:1", "reject:1"]
        before = len(api.messages_to(AN))
        api.push_callback(user_id=ADMIN, sent=request, data="approve:1")
        approved = await api.wait_for_reply(AN, before)
        assert "Yêu cầu của đồng chí đã được duyệt" in approved.text
        edits = [s for s in api.snapshot() if s.method == "editMessageText"]
        assert edits and edits[-1].chat_id == ADMIN and "Đã duyệt" in edits[-1].text
        assert any(s.method == "answerCallbackQuery" for s in api.snapshot())

        # A report, answered with the unit, the week, the total, the percent and what is left.
        message, reply = await say(api, AN, "thêm 45 lượt")
        assert "Đã ghi nhận «+45» lượt dự thi cho <b>Phường Khương Mai</b>" in reply.text
        assert (
            "<b>45/200</b> lượt dự thi (22%)" in reply.text and "Còn thiếu 155 lượt" in reply.text
        )
        assert reply.params.get("parse_mode") == "HTML"

        # The same message delivered a second time is not counted again.
        before = len(api.messages_to(AN))
        api.push_update({"message": message})
        again = await api.wait_for_reply(AN, before)
        assert "đã được ghi nhận trước đó" in again.text
        assert week_total(settings) == 45

        # Editing the message revises its entry.
        before = len(api.messages_to(AN))
        api.push_edit(message, "thêm 50 lượt")
        edited = await api.wait_for_reply(AN, before)
        assert "«+45» → <b>«+50»</b>" in edited.text
        assert week_total(settings) == 50

        _, reply = await say(api, AN, "/bc =120")
        assert "<b>120/200</b>" in reply.text
        _, reply = await say(api, AN, "/huy")
        assert "Đã hủy báo cáo «tổng 120»" in reply.text and "<b>50/200</b>" in reply.text

        # The group: bound by the secretary, then anyone there sees the unit and its siblings.
        _, reply = await say(api, AN, "/register@quizbot_test_bot KM", chat=GROUP)
        assert "Nhóm này đã được gắn với <b>Phường Khương Mai</b>" in reply.text
        status_message, status = await say(api, MEMBER, "/tiendo", chat=GROUP)
        assert status.text.startswith("📊 <b>Phường Khương Mai</b> (KM)")
        assert "▶ Phường Khương Mai (KM) — 50/200 (25%)" in status.text
        assert status.params["reply_parameters"]["message_id"] == status_message["message_id"]

        # An admin sees every unit.
        _, everything = await say(api, ADMIN, "/status all")
        assert "Tiến độ các đơn vị" in everything.text and "❌ chưa báo cáo" in everything.text
    finally:
        await bot.stop()

    # A restart keeps everything: the binding, the membership, the ledger.
    bot = await RunningBot(settings).start()
    try:
        _, status = await say(api, MEMBER, "/status", chat=GROUP)
        assert "50/200" in status.text
        _, reply = await say(api, AN, "5")
        assert "<b>55/200</b>" in reply.text
        assert week_total(settings) == 55
    finally:
        await bot.stop()


async def test_reports_sent_while_the_bot_was_down_are_handled_after_restart(api, tmp_path):
    settings = bot_settings(api, tmp_path)
    bot = await RunningBot(settings).start()
    await register_and_approve(api)
    await bot.stop()
    before = len(api.messages_to(AN))
    for amount in (10, 20, 30):
        api.push_message(user_id=AN, text=str(amount))
    bot = await RunningBot(settings).start()
    try:
        await api.wait_for(lambda sent: sum(1 for s in sent if s.chat_id == AN) >= before + 3)
        await api.wait_until_idle()
        assert week_total(settings) == 60
    finally:
        await bot.stop()


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        (STRANGER, "/report 5", wording.NOT_REGISTERED),
        (STRANGER, "45", wording.NOT_REGISTERED),
        (STRANGER, "/register ZZZ", wording.no_unit_matches("ZZZ", [])),
        (STRANGER, "/approve 1001", wording.NOT_ADMIN),
        (STRANGER, "/duyet 1001", wording.NOT_ADMIN),
        (STRANGER, "/reject 1001", wording.NOT_ADMIN),
        (STRANGER, "/tuchoi 1001", wording.NOT_ADMIN),
        (STRANGER, "/status all", wording.STATUS_ALL_ADMIN_ONLY),
        (STRANGER, "/tiendo", wording.NOT_REGISTERED),
        (STRANGER, "/nonsense", wording.unknown_command("/nonsense", 20)),
        (ADMIN, "/report 5", wording.ADMIN_NEEDS_UNIT_CODE),
    ],
)
async def test_refusals(api, bot, user, text, expected):
    _, reply = await say(api, user, text)
    assert reply.text == expected
    assert week_total(bot.settings) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-5", wording.parse_problem(ParseProblem.NEGATIVE, 10_000, GRACE)),
        ("0", wording.add_out_of_bounds(10_000)),
        ("/report 0", wording.add_out_of_bounds(10_000)),
        ("99999", wording.add_out_of_bounds(10_000)),
        ("9" * 5000, wording.parse_problem(ParseProblem.TOO_LONG, 10_000, GRACE)),
        ("/report " + "9" * 190, wording.add_out_of_bounds(10_000)),
        ("٤٥", wording.parse_problem(ParseProblem.NON_ASCII_DIGITS, 10_000, GRACE)),
        ("４５ lượt", wording.parse_problem(ParseProblem.NON_ASCII_DIGITS, 10_000, GRACE)),
        ("a" * 10_000, wording.parse_problem(ParseProblem.TOO_LONG, 10_000, GRACE)),
        ("<b>45</b>", wording.FREE_TEXT_HINT),
        ("4,5", wording.parse_problem(ParseProblem.NOT_INTEGER, 10_000, GRACE)),
    ],
)
async def test_bad_inputs_change_nothing(api, bot, text, expected):
    await register_and_approve(api)
    _, reply = await say(api, AN, text)
    assert reply.text == expected
    assert week_total(bot.settings) == 0


async def test_a_week_locked_after_the_cutoff_is_refused(api, tmp_path):
    # A zero-hour grace locks last week at Monday 00:00, so "tuantruoc" is always too late.
    settings = bot_settings(api, tmp_path, LATE_REPORT_CUTOFF_HOURS="0")
    bot = await RunningBot(settings).start()
    try:
        await register_and_approve(api)
        _, reply = await say(api, AN, "/report 5 tuantruoc")
        assert reply.text.startswith("🔒 Tuần") and "đã khóa sổ" in reply.text
    finally:
        await bot.stop()


async def test_markup_in_names_reaches_admins_escaped(api, bot):
    await say(api, 777, "/register KM", first_name="<b>Kẻ</b> & <a href='x'>gian</a>")
    sent = await api.wait_for(lambda all_sent: any(s.chat_id == ADMIN for s in all_sent))
    notice = next(s for s in sent if s.chat_id == ADMIN)
    assert "&lt;b&gt;Kẻ&lt;/b&gt; &amp; &lt;a href='x'&gt;gian&lt;/a&gt;" in notice.text


async def test_a_long_status_is_split_under_telegrams_limit(api, tmp_path):
    settings = bot_settings(api, tmp_path)
    bot = await RunningBot(settings).start()
    try:
        from dataclasses import replace

        from tests.support.units import UNITS

        database = Database(make_engine(settings.database_url))
        organisation = next(unit for unit in UNITS if unit.code == "DBCA")
        database.run(
            lambda store: [
                store.units.upsert(
                    replace(
                        organisation,
                        code=f"C{n:03d}",
                        name=f"Chi bộ cơ quan số {n} " + "x" * 40,
                    )
                )
                for n in range(100)
            ]
        )
        database.dispose()
        before = len(api.messages_to(ADMIN))
        api.push_message(user_id=ADMIN, text="/status all")
        await api.wait_for(
            lambda all_sent: sum(1 for s in all_sent if s.chat_id == ADMIN) >= before + 3
        )
        await api.wait_until_idle()
        parts = api.messages_to(ADMIN)[before:]
        texts_sent = [part for part in parts if part.method == "sendMessage"]
        assert 2 <= len(texts_sent) <= 3
        assert all(len(part.text) <= 4096 for part in texts_sent)
        # 100 new units, the test tree's 5 other top-level units with a quota, and the line
        # under KM naming its cells that have not reported: those shown, plus the lines the
        # answer says it left out for the spreadsheet to carry (it ends with the units nobody
        # reports for, which take room of their own).
        whole = "\n".join(part.text for part in texts_sent)
        shown = whole.count("chưa báo cáo")
        left_out = re.search(r"… và (\d+) dòng nữa", whole)
        assert shown + (int(left_out.group(1)) if left_out else 0) == 100 + 5 + 1
        assert "Chưa có người báo cáo: 108 đơn vị" in whole
        assert whole.rstrip().endswith("để người phụ trách tham gia.")
        if left_out:
            assert any(part.method == "sendDocument" for part in parts)
    finally:
        await bot.stop()


async def test_the_token_never_reaches_logs_or_replies(api, tmp_path, monkeypatch):
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    configure_logging("DEBUG", [TOKEN])
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    settings = bot_settings(api, tmp_path)
    try:
        bot = await RunningBot(settings).start()
        try:
            await register_and_approve(api)
            await say(api, AN, "thêm 45 lượt")
            await say(api, AN, "/tiendo")
            await say(api, STRANGER, "/approve 1001")

            # An exception that carries the token (as a URL in an error would) is scrubbed too.
            async def leaky(inbound):
                raise RuntimeError(f"request to {api.base_url}/bot{TOKEN}/sendMessage failed")

            monkeypatch.setattr(bot.core, "handle_async", leaky)
            _, reply = await say(api, AN, "thêm 5 lượt")
            assert reply.text == wording.INTERNAL_ERROR
        finally:
            await bot.stop()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name in ("httpx", "httpcore", "telegram", "apscheduler"):
            logging.getLogger(name).setLevel(
                logging.WARNING if name.startswith("http") else logging.NOTSET
            )
    log_text = captured.getvalue()
    assert "Set Bot API URL" in log_text and "bot***" in log_text  # the scrubbing did its work
    assert "sendMessage failed" in log_text and "RuntimeError" in log_text
    assert TOKEN not in log_text
    assert TOKEN.split(":")[1] not in log_text
    assert all(TOKEN not in sent.text for sent in api.snapshot())


async def test_an_implausible_figure_is_held_and_booked_by_its_button(api, tmp_path):
    settings = bot_settings(api, tmp_path)
    bot = await RunningBot(settings).start()
    try:
        await register_and_approve(api)
        _, question = await say(api, AN, "1.200")
        assert question.text.startswith("❓ Con số «+1.200» cho <b>Phường Khương Mai</b> (KM)")
        assert week_total(settings) == 0
        data = [b["callback_data"] for b in question.buttons]
        assert data[0].startswith("confirm_held:") and data[1].startswith("cancel_held:")
        api.push_callback(user_id=AN, sent=question, data=data[0], first_name="An")
        edited = await api.wait_for(
            lambda sent: any(
                s.method == "editMessageText" and "Đã ghi nhận «+1.200»" in s.text for s in sent
            )
        )
        assert any(s.chat_id == AN for s in edited if s.method == "editMessageText")
        assert week_total(settings) == 1200
        # The same button pressed again books nothing more.
        api.push_callback(user_id=AN, sent=question, data=data[0], first_name="An")
        await api.wait_for(
            lambda sent: any(
                s.method == "editMessageText" and "đã được xác nhận" in s.text for s in sent
            )
        )
        assert week_total(settings) == 1200
    finally:
        await bot.stop()


def media_message(api: FakeBotApi, kind: str, caption: str | None = None) -> dict:
    message = api.message(user_id=AN, text="")
    message.pop("text")
    message.pop("entities", None)
    payloads = {
        "photo": [{"file_id": "P1", "file_unique_id": "UP1", "width": 90, "height": 90}],
        "document": {"file_id": "D1", "file_unique_id": "UD1", "file_name": "bang-tong-hop.xlsx"},
        "sticker": {
            "file_id": "S1",
            "file_unique_id": "US1",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        },
        "voice": {"file_id": "V1", "file_unique_id": "UV1", "duration": 3},
    }
    message[kind] = payloads[kind]
    if caption is not None:
        message["caption"] = caption
    return message


@pytest.mark.parametrize(
    ("kind", "caption", "expected"),
    [
        ("photo", "45", "chỉ đọc số liệu trong tin nhắn chữ"),
        ("photo", "/bc 45", "chỉ đọc số liệu trong tin nhắn chữ"),
        ("document", "thêm 45 lượt", "chỉ đọc số liệu trong tin nhắn chữ"),
        ("photo", None, "chưa đọc được ảnh"),
        ("sticker", None, "chưa đọc được ảnh"),
        ("voice", None, "chưa đọc được ảnh"),
        ("document", None, "kèm chú thích /baocaothang"),
        ("document", "Báo cáo tháng 9 của phường", "Đã nhận báo cáo tháng"),
    ],
)
async def test_media_in_a_private_chat_get_an_answer_and_count_nothing(
    api, tmp_path, kind, caption, expected
):
    settings = bot_settings(api, tmp_path)
    bot = await RunningBot(settings).start()
    try:
        await register_and_approve(api)
        before = len(api.messages_to(AN))
        api.push_update({"message": media_message(api, kind, caption)})
        reply = await api.wait_for_reply(AN, before)
        assert expected in reply.text
        assert week_total(settings) == 0
    finally:
        await bot.stop()


async def test_a_button_pressed_while_the_bot_was_down_is_honoured_at_restart(api, tmp_path):
    settings = bot_settings(api, tmp_path)
    bot = await RunningBot(settings).start()
    try:
        await say(api, AN, "/register KM")
        notice = await api.wait_for(
            lambda sent: any(s.chat_id == ADMIN and s.buttons for s in sent)
        )
        request = [s for s in notice if s.chat_id == ADMIN and s.buttons][-1]
    finally:
        await bot.stop()
    before = len(api.messages_to(AN))
    api.push_callback(user_id=ADMIN, sent=request, data=request.buttons[0]["callback_data"])
    bot = await RunningBot(settings).start()
    try:
        told = await api.wait_for_reply(AN, before)
        assert "đã được duyệt" in told.text
    finally:
        await bot.stop()
