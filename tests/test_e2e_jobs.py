"""Scheduled jobs end to end: python-telegram-bot over HTTP against the fake Bot API."""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from bot.bootstrap import initialise, open_core
from bot.channels.telegram.notifier import open_broadcast_notifier
from bot.clock import FixedClock
from bot.domain.model.entities import ChatRef, MembershipStatus, MessageRef, Person, ReportMode
from bot.domain.model.ledger import changed_effects
from bot.domain.model.weeks import Week
from bot.storage.database import Database, make_engine
from jobs.outbox import OutboxDispatcher
from jobs.runner import JobRunner
from tests.conftest import TZ, at
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import ADMIN, TOKEN, RunningBot, bot_settings, cli_environment

REPO = Path(__file__).resolve().parents[1]
THURSDAY = at("2024-09-12 09:00")
ADMIN_PERSON = Person("telegram", str(ADMIN), "Admin")


@pytest.fixture
def api():
    with FakeBotApi(TOKEN) as fake:
        yield fake


def seed(settings, *, secretaries=(), groups=(), reports=(), subscriptions=(), submissions=()):
    """Memberships, bindings, ledger entries and subscriptions written straight in."""
    initialise(settings)
    database = Database(make_engine(settings.database_url))
    now = datetime(2024, 9, 2, tzinfo=UTC)

    def work(store):
        campaign = store.campaigns.active()
        for user_id, code in secretaries:
            person = Person("telegram", str(user_id), f"Thư ký {user_id}")
            request = store.members.request(person, code, now)
            store.members.decide(request.id, MembershipStatus.APPROVED, ADMIN_PERSON, now)
        for chat_id, code in groups:
            store.chats.bind(ChatRef("telegram", str(chat_id)), code, ADMIN_PERSON, now)
        for number, (code, day, amount) in enumerate(reports):
            week_start = Week.containing(day).start
            store.ledger.append(
                campaign_id=campaign.id,
                unit_code=code,
                week_start=week_start,
                mode=ReportMode.ADD,
                requested=amount,
                reporter=ADMIN_PERSON,
                source=MessageRef("telegram", "seed", str(number)),
                sent_at=now,
                recorded_at=now,
            )
            live = store.ledger.live_entries(campaign.id, code, week_start)
            store.ledger.set_effects(changed_effects(live)[1])
        for chat_id, scope in subscriptions:
            store.subscriptions.subscribe(
                ChatRef("telegram", str(chat_id)), scope, ADMIN_PERSON, now
            )
        for number, (code, moment, *file) in enumerate(submissions):
            store.submissions.save(
                campaign_id=campaign.id,
                unit_code=code,
                month=moment.strftime("%Y-%m"),
                text="Báo cáo",
                file_id=file[0] if file else None,
                file_name=file[1] if file else None,
                submitter=ADMIN_PERSON,
                source=MessageRef("telegram", "seed-m", str(number)),
                at=moment,
            )

    database.run(work)
    database.dispose()


async def run_job(settings, name: str, moment: datetime):
    core = open_core(settings, FixedClock(moment))
    notifier = await open_broadcast_notifier(
        settings.telegram_api_base_url, settings.telegram_token.reveal()
    )
    try:
        dispatcher = OutboxDispatcher(core.database, notifier)
        return await JobRunner(core, notifier, dispatcher).run(name, moment)
    finally:
        await notifier.bot.shutdown()
        core.close()


def outbox_counts(settings) -> dict[str, int]:
    database = Database(make_engine(settings.database_url))
    try:
        return database.run(lambda store: store.outbox.counts())
    finally:
        database.dispose()


def district(api, tmp_path, **extra):
    # Reminders to groups and secretaries alike, so that one run reaches both kinds of chat.
    extra.setdefault("REMINDER_TARGET", "both")
    settings = bot_settings(api, tmp_path, CAMPAIGN_END="2024-12-29", **extra)
    seed(
        settings,
        secretaries=[(1001, "KM"), (1002, "KT"), (1003, "DTN")],
        groups=[(-500, "KM")],
        reports=[
            ("KM", date(2024, 9, 5), 30),
            ("KM", date(2024, 9, 10), 120),
            ("KT", date(2024, 9, 11), 200),
            ("KM", date(2024, 9, 17), 45),
        ],
    )
    return settings


def chats_messaged(api, method="sendMessage") -> list[int]:
    return sorted(s.chat_id for s in api.snapshot() if s.method == method)


async def test_a_reminder_run_reaches_only_the_units_behind_and_runs_once(api, tmp_path):
    settings = district(api, tmp_path)
    report = await run_job(settings, "weekly-reminder", THURSDAY)
    assert report.planned_now and report.delivery.sent == 3
    assert chats_messaged(api) == [-500, 1001, 1003]
    km = next(s for s in api.snapshot() if s.chat_id == 1001)
    assert "Nhắc nhở tiến độ tuần" in km.text and "<b>120/200</b>" in km.text
    silent = next(s for s in api.snapshot() if s.chat_id == 1003)
    assert "chưa báo cáo lượt dự thi nào" in silent.text
    again = await run_job(settings, "weekly-reminder", THURSDAY)
    assert not again.planned_now and again.delivery.sent == 0
    assert len(api.snapshot()) == 3


async def test_by_default_a_unit_with_a_group_is_reminded_there_once_with_its_nudge(api, tmp_path):
    from jobs.scheduler import JobScheduler, Schedule

    settings = district(api, tmp_path, REMINDER_TARGET="group")
    # Thursday 19 September 2024, 09:00: the weekly reminder and the monthly nudge are due.
    slot = datetime(2024, 9, 19, 9, 0, tzinfo=TZ)
    clock = FixedClock(slot)
    core = open_core(settings, clock)
    notifier = await open_broadcast_notifier(
        settings.telegram_api_base_url, settings.telegram_token.reveal()
    )
    try:
        runner = JobRunner(core, notifier, OutboxDispatcher(core.database, notifier))
        schedule = Schedule(settings.schedules, core.policy)
        assert schedule.due_with("weekly-reminder", slot) == {"monthly-nudge"}
        scheduler = JobScheduler(runner, schedule, core.policy, clock)
        reports = await scheduler.run_between(slot - timedelta(minutes=1), slot)
        assert sorted(report.job for report in reports) == ["monthly-nudge", "weekly-reminder"]
    finally:
        await notifier.bot.shutdown()
        core.close()
    sent = [s for s in api.snapshot() if s.method == "sendMessage"]
    # KM: its group only (not also its secretary); KT and DTN, without groups, in private.
    # Each is behind in week 38 and has no monthly report: one message carries both.
    assert sorted(s.chat_id for s in sent) == [-500, 1002, 1003]
    for message in sent:
        assert "Nhắc nhở tiến độ tuần" in message.text
        assert "Nhắc báo cáo tháng 9/2024" in message.text


async def test_the_weekly_digest_arrives_with_a_real_png_chart_and_xlsx(api, tmp_path):
    settings = district(api, tmp_path)
    seed_subscription(settings, -900, None)
    await run_job(settings, "weekly-digest", at("2024-09-16 08:00"))
    sent = [s for s in api.snapshot() if s.chat_id == -900]
    assert [s.method for s in sent] == ["sendMessage", "sendPhoto", "sendDocument"]
    assert sent[0].text.startswith("📊 <b>Tổng hợp tuần 37 (09/09–15/09/2024)</b>")
    png = sent[1].file_content
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and sent[1].file_name == "quizbot-bieu-do-2024-W37.png"
    width, height = Image.open(io.BytesIO(png)).size
    assert width >= 800 and height >= 300
    sheet = openpyxl.load_workbook(io.BytesIO(sent[2].file_content)).active
    # Title rows (campaign, scope, as of), a blank row, then the frozen, filtered header.
    assert sheet["A1"].value == settings.campaign_name and sheet["A1"].font.bold
    assert sheet["A2"].value.startswith("Phạm vi: Quận Thanh Xuân (TX) và các đơn vị trực thuộc")
    assert sheet["A3"].value.startswith("Số liệu tính đến ")
    assert sheet.freeze_panes == "C6" and sheet.auto_filter.ref.startswith("A5:")
    assert sheet.title == "Tuần 37"
    header = [cell.value for cell in sheet[5]]
    assert header[:5] == ["Mã", "Đơn vị", "Cấp trên", "Chỉ tiêu/tuần", "Tuần 37 (09/09–15/09)"]
    rows = {row[0].value: [cell.value for cell in row] for row in sheet.iter_rows(min_row=6)}
    total = next(iter(sheet.iter_rows(min_row=sheet.max_row)))
    assert total[1].value == "Tổng cộng" and total[1].font.bold and total[4].value == 320
    standing = header.index("Tình trạng")
    assert rows["KM"][4] == 120 and rows["KM"][standing] == "Chưa đạt"
    assert rows["KT"][4] == 200 and rows["KT"][standing] == "Đạt"
    km_row = next(row for row in sheet.iter_rows(min_row=6) if row[0].value == "KM")
    share = km_row[header.index("Tỷ lệ")]
    assert share.value == pytest.approx(0.6) and share.number_format == "0%"


async def test_the_monthly_digest_sorts_submissions_and_attaches_the_month(api, tmp_path):
    settings = district(api, tmp_path)
    seed_subscription(settings, -900, "KM")
    seed(settings, submissions=[("KM", at("2024-09-18 10:00"), "DOC-KM-9", "bc-km.pdf")])
    await run_job(settings, "monthly-digest", at("2024-09-20 08:00"))
    text, document, forwarded = [s for s in api.snapshot() if s.chat_id == -900]
    assert "Đúng hạn: 1 · Muộn: 0 · Chưa gửi: 2 (trên 3 đơn vị)" in text.text
    assert "«Báo cáo»" in text.text and "kèm tệp «bc-km.pdf»" in text.text
    # The unit's own file goes on by its Telegram file id, captioned with whose it is.
    assert forwarded.method == "sendDocument" and forwarded.params["document"] == "DOC-KM-9"
    assert forwarded.text == "📎 Báo cáo tháng 9/2024 — <b>Phường Khương Mai</b> (KM)"
    assert document.file_name == "quizbot-thang-2024-09.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(document.file_content)).active
    assert sheet.title == "Tháng 9-2024"
    assert sheet["A2"].value.startswith("Phạm vi: Phường Khương Mai (KM) và các đơn vị trực thuộc")
    header = [cell.value for cell in sheet[5]]
    rows = {row[0].value: [cell.value for cell in row] for row in sheet.iter_rows(min_row=6)}
    assert header[4:6] == ["Tuần 36 (02/09–08/09)", "Tuần 37 (09/09–15/09)"]
    assert rows["KM"][4:7] == [30, 120, 150]
    assert rows["KM"][header.index("Báo cáo tháng")] == "Đúng hạn"
    assert rows["KM01"][header.index("Báo cáo tháng")] == "Chưa gửi"


def seed_subscription(settings, chat_id, scope):
    seed(settings, subscriptions=[(chat_id, scope)])


async def test_a_429_is_waited_out_then_sent_with_nothing_inside_the_window(api, tmp_path):
    settings = district(api, tmp_path)
    api.retry_after_once[1001] = 1
    report = await run_job(settings, "weekly-reminder", THURSDAY)
    assert report.delivery.rate_limited == 1 and report.delivery.sent == 3
    assert chats_messaged(api) == [-500, 1001, 1003]
    [(_, _, code, refused_at)] = api.failures
    assert code == 429
    inside = [
        t for method, t in api.requests if method != "getMe" and refused_at < t < refused_at + 1
    ]
    assert inside == []


async def test_chats_that_blocked_the_bot_are_skipped_and_remembered(api, tmp_path):
    settings = district(api, tmp_path)
    api.forbidden_chats.add(1001)
    report = await run_job(settings, "weekly-reminder", THURSDAY)
    assert report.delivery.gone == 1 and report.delivery.sent == 2
    assert chats_messaged(api) == [-500, 1003]
    await run_job(settings, "weekly-reminder", at("2024-09-14 15:00"))
    attempts = [f for f in api.failures if f[1] == 1001]
    assert len(attempts) == 1  # the second run did not even try


async def test_a_group_upgraded_to_a_supergroup_keeps_its_binding(api, tmp_path):
    settings = district(api, tmp_path)
    api.migrated_chats[-500] = -100500
    report = await run_job(settings, "weekly-reminder", THURSDAY)
    assert report.delivery.sent == 3
    assert chats_messaged(api) == [-100500, 1001, 1003]
    database = Database(make_engine(settings.database_url))
    try:
        assert (
            database.run(lambda store: store.chats.unit_of(ChatRef("telegram", "-100500"))) == "KM"
        )
    finally:
        database.dispose()


async def test_the_bot_down_at_the_scheduled_time_catches_up_once_that_day(api, tmp_path):
    settings = district(api, tmp_path)
    afternoon = FixedClock(at("2024-09-12 14:00"))
    bot = await RunningBot(settings, afternoon, jobs=True).start()
    try:
        await bot.caught_up()
    finally:
        await bot.stop()
    assert chats_messaged(api) == [-500, 1001, 1003]
    assert "Còn thiếu 80 lượt" in next(s.text for s in api.snapshot() if s.chat_id == 1001)
    bot = await RunningBot(settings, FixedClock(at("2024-09-12 18:00")), jobs=True).start()
    try:
        await bot.caught_up()
    finally:
        await bot.stop()
    assert chats_messaged(api) == [-500, 1001, 1003]  # not twice
    bot = await RunningBot(settings, FixedClock(at("2024-09-13 10:00")), jobs=True).start()
    try:
        await bot.caught_up()
    finally:
        await bot.stop()
    assert chats_messaged(api) == [-500, 1001, 1003]  # Thursday's reminder is stale on Friday


def quota_units_for(count: int) -> list[str]:
    """`count` unit codes from the district's file, units with a quota, repeated as needed
    (a unit may have several secretaries, each reminded in their own chat)."""
    with (REPO / "data" / "units.csv").open(encoding="utf-8") as handle:
        codes = [row["code"] for row in csv.DictReader(handle) if int(row["weekly_quota"]) > 0]
    return [codes[n % len(codes)] for n in range(count)]


def job_process(settings) -> subprocess.Popen:
    env = cli_environment(settings)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "jobs",
            "run",
            "weekly-reminder",
            "--at",
            "2024-09-12T09:00",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_killed_in_the_middle_of_a_fan_out_every_chat_gets_it_exactly_once(api, tmp_path):
    units = quota_units_for(30)
    settings = bot_settings(api, tmp_path, UNITS_FILE=str(REPO / "data" / "units.csv"))
    seed(settings, secretaries=[(2000 + n, code) for n, code in enumerate(units)])
    api.hold_from = 12
    process = job_process(settings)
    assert await asyncio.to_thread(api.holding.wait, 60), "the fan-out never reached 12 sends"
    # Kill only once every sender is blocked on a held answer: no send is half-made.
    settled, last = time.monotonic(), len(api.snapshot())
    while time.monotonic() - settled < 0.5:
        await asyncio.sleep(0.05)
        if len(api.snapshot()) != last:
            settled, last = time.monotonic(), len(api.snapshot())
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    in_flight_at_kill = len(api.snapshot())
    assert 12 <= in_flight_at_kill < 30
    api.hold_from = None
    api.release.set()

    resumed = job_process(settings)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    assert "đã chạy trước đó" in stdout
    received = chats_messaged(api)
    assert received == sorted(2000 + n for n in range(30))  # each chat exactly once
    counts = outbox_counts(settings)
    assert counts["sent"] + counts.get("sending", 0) == 30
    assert counts.get("sending", 0) == in_flight_at_kill - 11  # never resent


async def test_monthly_report_with_a_document_export_and_subscribe_over_telegram(api, tmp_path):
    settings = bot_settings(api, tmp_path)
    seed(settings, secretaries=[(1001, "KM")])
    bot = await RunningBot(settings).start()
    try:
        message = api.message(user_id=1001, text="")
        message.pop("text")
        message.pop("entities", None)
        message["caption"] = "/baocaothang Báo cáo tháng đính kèm"
        message["document"] = {
            "file_id": "DOC1",
            "file_unique_id": "U1",
            "file_name": "bc-thang.pdf",
        }
        api.push_update({"message": message})
        reply = await api.wait_for_reply(1001, 0)
        assert "Đã nhận báo cáo tháng" in reply.text and "kèm tệp «bc-thang.pdf»" in reply.text

        api.push_message(user_id=ADMIN, chat_id=-900, text="/dangkynhan KM")
        reply = await api.wait_for_reply(-900, 0)
        assert "sẽ nhận bản tổng hợp" in reply.text

        api.push_message(user_id=ADMIN, text="/xuat tuan")
        sent = await api.wait_for(
            lambda all_sent: any(s.method == "sendDocument" for s in all_sent)
        )
        document = next(s for s in sent if s.method == "sendDocument")
        assert document.chat_id == ADMIN and document.file_name.endswith(".xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(document.file_content)).active
        assert sheet["A5"].value == "Mã" and sheet.max_row >= 13
    finally:
        await bot.stop()
    database = Database(make_engine(settings.database_url))
    try:
        month = datetime.now(TZ).strftime("%Y-%m")
        stored = database.run(lambda store: store.submissions.current(1, "KM", month))
        assert stored is not None and stored.file_id == "DOC1"
    finally:
        database.dispose()


async def test_a_run_whose_planning_crashed_is_planned_again_by_the_sweep(api, tmp_path):
    from jobs.scheduler import JobScheduler, Schedule

    settings = district(api, tmp_path)
    clock = FixedClock(THURSDAY)
    core = open_core(settings, clock)
    # A process claimed Thursday's reminder and died before queueing anything.
    core.database.run(
        lambda store: store.job_runs.claim(
            "weekly-reminder", "2024-09-12T09:00", THURSDAY, THURSDAY, timedelta(minutes=2)
        )
    )
    notifier = await open_broadcast_notifier(
        settings.telegram_api_base_url, settings.telegram_token.reveal()
    )
    try:
        runner = JobRunner(core, notifier, OutboxDispatcher(core.database, notifier))
        scheduler = JobScheduler(
            runner, Schedule(settings.schedules, core.policy), core.policy, clock
        )
        clock.set(THURSDAY + timedelta(minutes=1))
        await scheduler.sweep()
        assert api.snapshot() == []  # the claim may still be alive
        clock.set(THURSDAY + timedelta(minutes=5))
        await scheduler.sweep()
        assert chats_messaged(api) == [-500, 1001, 1003]
        await scheduler.sweep()
        assert len(api.snapshot()) == 3
    finally:
        await notifier.bot.shutdown()
        core.close()
