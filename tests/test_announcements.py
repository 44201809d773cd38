"""/thongbao end to end, one process serving Telegram and Zalo: every chat of the scope gets
the announcement once (the group where a unit has one, else its secretaries), within the Zalo
budget (what does not fit is held and named to the admins), and a restart or a second run
sends nothing twice."""

from __future__ import annotations

import pytest

from bot.domain.model.entities import ChatRef, MembershipStatus, Person
from bot.domain.model.messages import ChatKind, Inbound
from tests.support.fake_bot_api import FakeBotApi
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.harness import ADMIN, TOKEN
from tests.support.zalo import QUIET, ZALO_ADMIN, ZALO_TOKEN, RunningZalo, zalo_settings
from tests.test_zalo import eventually

KM_GROUP = "-700"
KT_SECRETARY = "1002"
# KM01 has one Zalo secretary, KM02 two; KM itself a Telegram group; KT (outside) one.
ZALO_SECRETARIES = [
    ("0a0a0a0a0a0a0a01", "KM01"),
    ("0b0b0b0b0b0b0b02", "KM02"),
    ("0c0c0c0c0c0c0c03", "KM02"),
]
TEXT = "Họp giao ban 8 giờ sáng thứ Hai tại hội trường UBND phường."


@pytest.fixture
def zalo():
    with FakeZaloApi(ZALO_TOKEN, now=QUIET.timestamp) as api:
        yield api


@pytest.fixture
def telegram():
    with FakeBotApi(TOKEN) as api:
        yield api


def both(zalo, telegram, tmp_path, **extra):
    return zalo_settings(
        zalo,
        tmp_path,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        ADMIN_IDS=str(ADMIN),
        **extra,
    )


def seed(process) -> None:
    now = process.core.now()
    admin = Person("telegram", str(ADMIN), "Quản trị")

    def work(store):
        people = [(Person("zalo", user, f"Thư ký {code}"), code) for user, code in ZALO_SECRETARIES]
        people.append((Person("telegram", KT_SECRETARY, "Thư ký KT"), "KT"))
        for person, code in people:
            request = store.members.request(person, code, now)
            store.members.decide(request.id, MembershipStatus.APPROVED, admin, now)
        store.chats.bind(ChatRef("telegram", KM_GROUP), "KM", admin, now)

    process.core.database.run(work)


def announcement(text: str) -> Inbound:
    return Inbound(
        sender=Person("telegram", str(ADMIN), "Trần Thị Bình"),
        chat=ChatRef("telegram", str(ADMIN)),
        chat_kind=ChatKind.PRIVATE,
        sent_at=QUIET,
        text=text,
        command="announce",
        args=tuple(text.split()[1:]),
        message_id="9001",
    )


def announced_to(zalo, telegram) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sent in zalo.snapshot():
        if "Thông báo" in sent.text and TEXT[:20] in sent.text:
            counts[f"zalo:{sent.chat_id}"] = counts.get(f"zalo:{sent.chat_id}", 0) + 1
    for chat in (KM_GROUP, KT_SECRETARY):
        for message in telegram.messages_to(int(chat)):
            if TEXT[:20] in message.text:
                counts[f"telegram:{chat}"] = counts.get(f"telegram:{chat}", 0) + 1
    return counts


async def test_each_chat_of_the_ward_once_on_both_platforms(zalo, telegram, tmp_path):
    async with RunningZalo(both(zalo, telegram, tmp_path)) as process:
        seed(process)
        [answer] = await process.core.handle_async(announcement(f"/thongbao KM {TEXT}"))
        assert "sẽ gửi tới 4 cuộc trò chuyện (Telegram 1, Zalo 3)" in answer.text
        expected = {f"telegram:{KM_GROUP}": 1, **{f"zalo:{u}": 1 for u, _ in ZALO_SECRETARIES}}
        await eventually(lambda: announced_to(zalo, telegram) == expected)
        # Run again (a second wake-up, the sweep): nothing more goes out.
        await process.service.scheduler.announce_pending()
        await process.service.runner.announce(1)
        await process.service.scheduler.sweep()
    assert announced_to(zalo, telegram) == expected
    [group_message] = [m for m in telegram.messages_to(int(KM_GROUP)) if TEXT[:20] in m.text]
    assert "Thông báo" in group_message.text and "Phường Khương Mai" in group_message.text
    assert "Trần Thị Bình" in group_message.text
    # Restarted on the same database: still once.
    async with RunningZalo(both(zalo, telegram, tmp_path)) as process:
        await process.service.wait_caught_up()
    assert announced_to(zalo, telegram) == expected


async def test_the_zalo_budget_holds_some_back_and_the_admins_hear_which(zalo, telegram, tmp_path):
    settings = both(zalo, telegram, tmp_path, ZALO_MONTHLY_MESSAGE_BUDGET="2")
    async with RunningZalo(settings) as process:
        seed(process)
        [answer] = await process.core.handle_async(announcement(f"/thongbao KM {TEXT}"))
        # 2 messages left; one is kept for the admin's notice on Zalo: 1 fits, 2 held.
        assert "Zalo 3" in answer.text and "2 cuộc trò chuyện Zalo sẽ được giữ lại" in answer.text
        await eventually(
            lambda: any("Hạn mức tin nhắn Zalo" in t for t in zalo.texts_to(ZALO_ADMIN))
        )
        await eventually(lambda: f"telegram:{KM_GROUP}" in announced_to(zalo, telegram))
        await process.service.wait_announced()
    sent = announced_to(zalo, telegram)
    zalo_sent = {chat: n for chat, n in sent.items() if chat.startswith("zalo:")}
    assert list(zalo_sent.values()) == [1]
    [notice] = [t for t in zalo.texts_to(ZALO_ADMIN) if "Hạn mức tin nhắn Zalo" in t]
    assert "chưa gửi 2 tin" in notice and "Thông báo" in notice


async def test_recorded_before_a_crash_it_is_sent_once_at_start(zalo, telegram, tmp_path):
    settings = both(zalo, telegram, tmp_path)
    async with RunningZalo(settings) as process:
        seed(process)
        # The process "dies" right after the commit: nobody is listening for the wake-up.
        process.core.announced.listen(None)
        await process.core.handle_async(announcement(f"/thongbao {TEXT}"))
        assert announced_to(zalo, telegram) == {}
    async with RunningZalo(settings) as process:
        await process.service.wait_caught_up()
        everyone = {
            f"telegram:{KM_GROUP}": 1,
            f"telegram:{KT_SECRETARY}": 1,
            **{f"zalo:{u}": 1 for u, _ in ZALO_SECRETARIES},
        }
        await eventually(lambda: announced_to(zalo, telegram) == everyone)


async def test_refusals(zalo, telegram, tmp_path):
    async with RunningZalo(both(zalo, telegram, tmp_path)) as process:
        seed(process)
        stranger = Inbound(
            sender=Person("telegram", "4242", "Người lạ"),
            chat=ChatRef("telegram", "4242"),
            chat_kind=ChatKind.PRIVATE,
            sent_at=QUIET,
            text=f"/thongbao {TEXT}",
            command="announce",
            args=tuple(TEXT.split()),
            message_id="1",
        )
        [refused] = await process.core.handle_async(stranger)
        assert "quản trị" in refused.text
        [usage] = await process.core.handle_async(announcement("/thongbao"))
        assert "Cách dùng: /thongbao" in usage.text
        [nobody] = await process.core.handle_async(announcement(f"/thongbao NC {TEXT}"))
        assert "Chưa có nhóm hay người báo cáo nào" in nobody.text
        pending = process.core.database.run(lambda store: store.announcements.pending())
        assert pending == []


def test_a_photo_goes_with_it_to_its_own_platform_and_is_named_elsewhere(db_dialogue):
    from bot.domain.model.messages import FileRef, StoredFile
    from bot.domain.usecases.announcements import announcement_messages
    from tests.conftest import ADMIN_ID, at

    now = at("2024-09-12 09:00")
    admin = Person("telegram", ADMIN_ID, "Trần Thị Bình")

    def setup(store):
        for person, code in (
            (Person("telegram", "1001", "An"), "KM01"),
            (Person("zalo", "0d0d0d0d", "Bình"), "KM02"),
        ):
            request = store.members.request(person, code, now)
            store.members.decide(request.id, MembershipStatus.APPROVED, admin, now)

    db_dialogue.query(setup)
    inbound = Inbound(
        sender=admin,
        chat=ChatRef("telegram", ADMIN_ID),
        chat_kind=ChatKind.PRIVATE,
        sent_at=now,
        text="/thongbao KM Lịch thi tuần tới",
        command="announce",
        args=("KM", "Lịch", "thi", "tuần", "tới"),
        message_id="77",
        photo=FileRef("AgAD-photo-id", "anh-1.jpg"),
        media="photo",
    )
    [answer] = db_dialogue.handle(inbound, now)
    assert "(Telegram 1, Zalo 1)" in answer.text
    messages = db_dialogue.query(
        lambda store: announcement_messages(store, db_dialogue.policy, 1, now)
    )
    by_platform = {message.chat.platform: message for message in messages}
    [photo] = by_platform["telegram"].attachments
    assert isinstance(photo, StoredFile) and photo.photo and photo.file_id == "AgAD-photo-id"
    assert "Lịch thi tuần tới" in by_platform["telegram"].text
    # To Zalo, the file Telegram keeps is passed on (as a link where Zalo can have one).
    [passed_on] = by_platform["zalo"].attachments
    assert isinstance(passed_on, StoredFile) and passed_on.platform == "telegram"
    assert photo.platform is None
    assert "Kèm tệp «anh-1.jpg»" in by_platform["zalo"].text


@pytest.mark.parametrize("public", [False, True], ids=["no public address", "public address"])
async def test_a_photo_captioned_thongbao_on_telegram_reaches_the_group_as_a_photo(
    zalo, telegram, tmp_path, public
):
    from tests.support.loopback import free_port

    photo = b"\x89PNG\r\n\x1a\n" + b"anh-thong-bao" * 50
    telegram.kept_files["large-id"] = photo
    extra = {"PUBLIC_BASE_URL": f"http://127.0.0.1:{free_port()}"} if public else {}
    if public:
        extra["HTTP_PORT"] = extra["PUBLIC_BASE_URL"].rsplit(":", 1)[1]
    async with RunningZalo(both(zalo, telegram, tmp_path, **extra)) as process:
        seed(process)
        if public:
            # With a public address Telegram delivers by webhook: the message goes straight to
            # the core (the caption's parsing is the other case's).
            from dataclasses import replace

            from bot.domain.model.messages import FileRef

            inbound = replace(
                announcement(f"/thongbao KM {TEXT}"),
                photo=FileRef("large-id", "anh-l1.jpg"),
                media="photo",
            )
            await process.core.handle_async(inbound)
        else:
            message = telegram.message(user_id=ADMIN, text="", date=int(QUIET.timestamp()))
            del message["text"]
            message["photo"] = [
                {"file_id": "small-id", "file_unique_id": "s1", "width": 90, "height": 60},
                {"file_id": "large-id", "file_unique_id": "l1", "width": 1280, "height": 960},
            ]
            message["caption"] = f"/thongbao KM {TEXT}"
            telegram.push_update({"message": message})
        await eventually(
            lambda: any(s.method == "sendPhoto" for s in telegram.messages_to(int(KM_GROUP)))
        )
        [sent_photo] = [s for s in telegram.messages_to(int(KM_GROUP)) if s.method == "sendPhoto"]
        assert sent_photo.params["photo"] == "large-id"
        secretary = ZALO_SECRETARIES[0][0]
        if public:
            # Zalo gets the photo itself, by a signed link to the bot's own web server.
            await eventually(
                lambda: any(s.photo for s in zalo.snapshot() if s.chat_id == secretary)
            )
            [linked] = [s for s in zalo.snapshot() if s.chat_id == secretary and s.photo]
            assert linked.photo == photo and linked.photo_status == 200
        else:
            await eventually(lambda: len(zalo.texts_to(secretary)) >= 2)
            assert any("xem tệp trên Telegram" in text for text in zalo.texts_to(secretary))
        await eventually(lambda: len(announced_to(zalo, telegram)) == 4)
