"""Campaigns as data: two campaigns in one database keep their figures, quotas, digests and
exports apart; registrations carry over; nothing is booked between them; a planned campaign
starts on its day; the final summary goes once; with no campaign the bot says so."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from bot.bootstrap import open_core
from bot.cli import main
from bot.clock import MovableClock
from bot.config import load_settings
from bot.domain import wording
from bot.domain.model.commands import split_command
from bot.domain.model.entities import ChatRef, Person
from bot.domain.model.messages import ChatKind, Inbound
from bot.domain.model.weeks import Week
from bot.domain.scheduled.digests import weekly_digests
from tests.conftest import ADMIN_ID, TZ
from tests.test_trust_cli import environment

AN = Person("telegram", "1001", "Nguyễn Văn An")
ADMIN = Person("telegram", ADMIN_ID, "Quản trị")
FIRST_END = "2024-12-29"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    values = environment(tmp_path)
    values["CAMPAIGN_END"] = FIRST_END
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    return tmp_path


def say(core, who: Person, text: str, group: str | None = None) -> str:
    command, args = split_command(text)
    chat = ChatRef("telegram", group or who.user_id)
    inbound = Inbound(
        sender=who,
        chat=chat,
        chat_kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
        sent_at=core.now(),
        text=text,
        command=command,
        args=args,
        message_id=str(abs(hash((text, core.now())))),
    )
    return "\n".join(reply.text for reply in core.handle(inbound) if reply.chat == chat)


def second_campaign(cli, capsys) -> None:
    quotas = cli / "chi-tieu-2025.csv"
    quotas.write_text("code,weekly_quota\nKM,300\n", encoding="utf-8")
    assert (
        main(
            [
                "campaign",
                "new",
                "--name",
                "Cuộc thi mùa xuân 2025",
                "--start",
                "2025-03-03",
                "--end",
                "2025-03-30",
                "--quotas",
                str(quotas),
            ]
        )
        == 0
    )
    assert "Đã tạo cuộc thi #2 «Cuộc thi mùa xuân 2025»" in capsys.readouterr().out


def test_campaign_new_list_and_the_refusals(cli, capsys):
    capsys.readouterr()
    second_campaign(cli, capsys)
    assert main(["campaign", "list"]) == 0
    listing = capsys.readouterr().out
    assert "đã kết thúc" in listing and "Cuộc thi mùa xuân 2025 (lượt dự thi)" in listing
    # One campaign at a time; names are unique; dates in order.
    overlap = ["campaign", "new", "--name", "Khác", "--start", "2025-03-20", "--end", "2025-04-30"]
    assert main(overlap) == 2
    assert "Trùng thời gian với cuộc thi #2" in capsys.readouterr().err
    same = ["--start", "2026-01-05", "--end", "2026-02-01"]
    assert main(["campaign", "new", "--name", "Cuộc thi mùa xuân 2025", *same]) == 2
    assert "Đã có cuộc thi tên" in capsys.readouterr().err
    backwards = [
        "campaign",
        "new",
        "--name",
        "Ngược",
        "--start",
        "2026-02-01",
        "--end",
        "2026-01-05",
    ]
    assert main(backwards) == 2
    assert (
        main(["campaign", "new", "--name", "X", "--start", "3/2/2026", "--end", "2026-04-01"]) == 2
    )
    assert "--start phải là ngày dạng 2024-09-02" in capsys.readouterr().err
    bad = cli / "sai.csv"
    bad.write_text("KM,ba trăm\nZZ,5\n", encoding="utf-8")
    args = ["campaign", "new", "--name", "Y", "--start", "2027-01-04", "--end", "2027-02-28"]
    assert main([*args, "--quotas", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "dòng 1: chỉ tiêu «ba trăm»" in err and "dòng 2: không có đơn vị «ZZ»" in err
    # Nothing runs today (December 2026): there is nothing to end.
    assert main(["campaign", "end"]) == 2
    assert wording.CLI_NO_RUNNING_CAMPAIGN in capsys.readouterr().err


def test_two_campaigns_keep_their_figures_quotas_and_exports_apart(cli, capsys):
    capsys.readouterr()
    second_campaign(cli, capsys)
    settings = load_settings(env_file=None)
    clock = MovableClock(at("2024-09-12 09:00"))
    core = open_core(settings, clock)
    try:
        say(core, AN, "/dangky KM")
        say(core, ADMIN, "/duyet 1001")
        assert "50/200" in say(core, AN, "thêm 50 lượt")
        say(core, ADMIN, "/dangkynhan", group="-900")
        # Between campaigns: told when the next starts; nothing booked.
        clock.set(at("2025-01-15 09:00"))
        between = say(core, AN, "thêm 7 lượt")
        assert "Hiện chưa có cuộc thi nào đang diễn ra" in between
        assert "«Cuộc thi mùa xuân 2025» bắt đầu từ ngày 03/03/2025" in between
        assert "Cuộc thi mùa xuân 2025" in say(core, ADMIN, "/cuocthi")
        # The planned campaign starts on its day: the same secretary reports, no new
        # registration, against the new campaign's own quota for KM.
        clock.set(at("2025-03-05 09:00"))
        assert "20/300" in say(core, AN, "thêm 20 lượt")
        assert "20/300" in say(core, AN, "/tiendo")
        assert "Cuộc thi mùa xuân 2025</b> — đang diễn ra" in say(core, ADMIN, "/cuocthi")

        def booked(store):
            return {
                campaign.id: store.ledger.week_totals(campaign.id, week, None)
                for campaign, week in (
                    (store.campaigns.get(1), Week.of(at("2024-09-12 09:00"), TZ).start),
                    (store.campaigns.get(2), Week.of(at("2025-03-05 09:00"), TZ).start),
                )
            }

        totals = core.database.run(booked)
        km = {
            cid: next(r.total for r in rows if r.unit.code == "KM") for cid, rows in totals.items()
        }
        assert km == {1: 50, 2: 20}
        # A digest of a week of the second campaign shows its figure and its quota.
        monday = at("2025-03-10 13:00")
        digests = core.database.run(
            lambda store: weekly_digests(store, core.policy, monday, monday)
        )
        [digest] = digests
        assert "Khương Mai" in digest.text and "20/300" in digest.text
    finally:
        core.close()
    # Each campaign's export: its own weeks, figures and quotas.
    for number, expected in ((1, (200, 50)), (2, (300, 20))):
        target = cli / f"cuoc-thi-{number}.xlsx"
        assert main(["export", "--campaign", str(number), "-o", str(target)]) == 0
        sheet = openpyxl.load_workbook(target).active
        rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
        [km] = [row for row in rows if row[0] == "KM"]
        assert km[3] == expected[0] and expected[1] in km
    assert main(["export", "--campaign", "9", "-o", str(cli / "x.xlsx")]) == 2


async def test_the_final_summary_goes_once_after_the_last_week_closes(cli):
    from jobs.service import JobService
    from tests.test_jobs_in_memory import Recorder

    settings = load_settings(env_file=None)
    clock = MovableClock(at("2024-12-20 09:00"))
    core = open_core(settings, clock)
    try:
        say(core, AN, "/dangky KM")
        say(core, ADMIN, "/duyet 1001")
        say(core, ADMIN, "/dangkynhan", group="-900")
        say(core, AN, "thêm 230 lượt")
        notifier = Recorder()
        service = JobService(core, notifier, settings.schedules)
        # Sunday 29/12 was the last day; the week closes Monday 12:00: not before.
        clock.set(at("2024-12-30 11:00"))
        assert await service.scheduler.summarise_ended(core.now()) == []
        # No reminder once the campaign is over.
        assert (await service.runner.run("weekly-reminder", core.now())).queued == 0
        clock.set(at("2024-12-30 12:30"))
        [report] = await service.scheduler.summarise_ended(core.now())
        assert report.queued == 2  # the text and the spreadsheet, to the one subscribed chat
        [summary] = [m for m in notifier.sent if m.text]
        assert summary.chat.chat_id == "-900"
        assert summary.text.startswith("🏁 <b>Tổng kết ")
        assert "Tổng cộng: <b>230</b> lượt dự thi" in summary.text
        assert "• Phường Khương Mai (KM): 230/3.400; đạt chỉ tiêu 1/17 tuần" in summary.text
        assert [m.attachments[0].filename for m in notifier.sent if m.attachments] == [
            wording.EXPORT_FILE_WHOLE
        ]
        # Again (the next sweep, a restart): nothing more.
        assert await service.scheduler.summarise_ended(core.now()) == []
        clock.set(at("2024-12-31 09:00"))
        assert await service.scheduler.summarise_ended(core.now()) == []
        assert len([m for m in notifier.sent if m.text]) == 1
    finally:
        core.close()


def test_without_any_campaign_the_bot_says_so(tmp_path, monkeypatch, capsys):
    values = environment(tmp_path)
    values.pop("CAMPAIGN_START")
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CAMPAIGN_START", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert "Chưa có cuộc thi nào" in capsys.readouterr().out
    core = open_core(load_settings(env_file=None), MovableClock(at("2026-12-07 09:00")))
    try:
        say(core, AN, "/dangky KM")
        say(core, ADMIN, "/duyet 1001")
        refused = say(core, AN, "thêm 5 lượt")
        assert "Hiện chưa có cuộc thi nào đang diễn ra" in refused
        assert "quizbot campaign new" not in refused
        admin = say(core, ADMIN, "/bc KM 5")
        assert "quizbot campaign new" in admin
        assert "Chưa có cuộc thi nào" in say(core, ADMIN, "/cuocthi")
        assert "Hiện chưa có cuộc thi nào" in say(core, AN, "/tiendo")
        assert core.database.run(lambda store: store.campaigns.all()) == []
    finally:
        core.close()


def test_a_quota_file_may_be_a_units_csv(cli, capsys):
    from tests.support.units import CSV_HEADER

    quotas = cli / "don-vi-2027.csv"
    quotas.write_text(CSV_HEADER + "KM,Phường Khương Mai,ward,TX,250\n", encoding="utf-8")
    dates = ["--start", "2027-03-01", "--end", "2027-03-28"]
    assert main(["campaign", "new", "--name", "2027", *dates, "--quotas", str(quotas)]) == 0
    settings = load_settings(env_file=None)
    core = open_core(settings, MovableClock(at("2027-03-03 09:00")))
    try:
        quotas_now = core.database.run(lambda store: store.campaigns.quotas(2))
        assert quotas_now["KM"] == 250 and quotas_now["KT"] == 200
        # The campaign has started: the unit table carries its quotas.
        assert core.database.run(lambda store: store.units.get("KM")).weekly_quota == 250
    finally:
        core.close()
