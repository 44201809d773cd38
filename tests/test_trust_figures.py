"""Figures an official checks by hand (issue [trust]): monthly digests that leave no week out,
one rounding everywhere, shared ranks, a ward's stated total, spreadsheet rows that say what
the chat says. On memory, SQLite and PostgreSQL where a store is involved."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from bot.clock import FixedClock
from bot.domain.model.entities import Campaign
from bot.domain.scheduled.digests import monthly_digests, weekly_digests
from bot.render.renderer import FileRenderer
from jobs.outbox import OutboxDispatcher
from jobs.runner import JobRunner
from tests.conftest import ADMIN_ID, at, make_policy
from tests.support.dialogue import Dialogue, only_text, person
from tests.test_jobs_in_memory import MemoryCore, Recorder

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
AN = person(1001, "Nguyễn Văn An")  # KM
CHI = person(1003, "Đỗ Thị Chi")  # KM01, a cell of KM
DUNG = person(1004, "Vũ Dũng")  # KM02


def approve(dialogue: Dialogue, who, code: str) -> None:
    dialogue.send(who, f"/register {code}", at=at("2024-09-02 08:00"))
    dialogue.send(ADMIN, f"/approve {who.user_id}", at=at("2024-09-02 08:00"))


def subscribe(dialogue: Dialogue, chat_id: int) -> None:
    dialogue.send(ADMIN, "/dangkynhan", group=chat_id, at=at("2024-09-02 08:00"))


@pytest.fixture
def ward(db_dialogue: Dialogue) -> Dialogue:
    for who, code in ((AN, "KM"), (CHI, "KM01"), (DUNG, "KM02")):
        approve(db_dialogue, who, code)
    return db_dialogue


# ---------------------------------------------------------------- 4. a ward's stated total


def test_a_wards_total_is_its_rolled_up_figure_and_counts_its_cells_once(ward):
    ward.send(CHI, "20", at=at("2024-09-10 09:00"))
    ward.send(DUNG, "15", at=at("2024-09-10 09:30"))
    text = only_text(ward.send(AN, "tổng 180", at=at("2024-09-10 10:00")))
    assert "<b>180/200</b>" in text
    assert "Trong đó: 145 do đơn vị trực tiếp báo cáo + 35 từ 2 chi bộ trực thuộc." in text
    status = only_text(ward.send(AN, "/tiendo", at=at("2024-09-10 11:00")))
    assert "<b>180/200</b>" in status
    # A cell that reports later adds to the ward's figure on top of the stated total.
    ward.send(CHI, "5", at=at("2024-09-10 12:00"))
    assert "<b>185/200</b>" in only_text(ward.send(AN, "/tiendo", at=at("2024-09-10 12:30")))


def test_a_wards_total_below_its_cells_figure_books_nothing_and_says_why(ward):
    ward.send(CHI, "20", at=at("2024-09-10 09:00"))
    ward.send(DUNG, "15", at=at("2024-09-10 09:30"))
    text = only_text(ward.send(AN, "tổng 30", at=at("2024-09-10 10:00")))
    assert "Chưa ghi nhận" in text and "35 lượt, từ 2 chi bộ" in text
    assert "<b>35/200</b>" in only_text(ward.send(AN, "/tiendo", at=at("2024-09-10 11:00")))


def test_an_edited_ward_total_stays_the_rolled_up_figure(ward):
    ward.send(CHI, "20", at=at("2024-09-10 09:00"))
    ward.send(AN, "tổng 100", at=at("2024-09-10 10:00"))
    sent = ward.last_message_id()
    text = only_text(ward.edit(sent, "tổng 120", at=at("2024-09-10 10:05")))
    assert "<b>120/200</b>" in text and "«tổng 100» → <b>«tổng 120»</b>" in text


# ---------------------------------------------------------------- 3. ranks and ties


def test_equal_figures_share_a_place_and_silent_units_are_not_ranked(dialogue):
    for who, code in ((AN, "KM"), (person(1002, "B"), "KT"), (person(1005, "C"), "NC")):
        approve(dialogue, who, code)
    dialogue.send(AN, "50", at=at("2024-09-10 09:00"))
    dialogue.send(person(1002, "B"), "50", at=at("2024-09-10 09:00"))
    slot = at("2024-09-12 09:00")
    from bot.domain.scheduled.reminders import weekly_reminders

    by_chat = {
        m.chat.chat_id: m.text
        for m in weekly_reminders(dialogue.store, dialogue.policy, slot, slot)
    }
    assert "Đơn vị đang đồng hạng 1/3 trong các phường của quận." in by_chat["1001"]
    assert "Đơn vị đang đồng hạng 1/3 trong các phường của quận." in by_chat["1002"]
    assert "chưa báo cáo nên chưa được xếp hạng" in by_chat["1005"]
    status = only_text(dialogue.send(ADMIN, "/tiendo all", at=at("2024-09-10 10:00")))
    lines = status.splitlines()
    assert "1. Phường Khương Mai (KM) — 50/200 (25%)" in lines
    assert "1. Phường Khương Trung (KT) — 50/200 (25%)" in lines
    assert "– Phường Nhân Chính (NC) — ❌ chưa báo cáo: chưa xếp hạng" in lines


def test_places_follow_standard_competition_ranking():
    from bot.domain.model.entities import Figure, Unit, UnitKind, UnitWeekTotal
    from bot.domain.model.progress import places

    def row(code: str, total: int, entries: int = 1) -> UnitWeekTotal:
        unit = Unit(code, f"Phường {code}", UnitKind.WARD, "TX", 200)
        return UnitWeekTotal(unit, Figure(total, entries, total, entries, 0))

    rows = [row("A", 90), row("B", 50), row("C", 120), row("D", 50), row("E", 0, 0), row("F", 0)]
    placed = [(place, r.unit.code) for place, r in places(rows)]
    assert placed == [(1, "C"), (2, "A"), (3, "B"), (3, "D"), (5, "F"), (None, "E")]


def test_a_cells_ranking_lists_every_cell_reported_or_not(ward):
    ward.send(CHI, "8", at=at("2024-09-10 09:00"))
    text = only_text(ward.send(CHI, "/tiendo", at=at("2024-09-10 10:00")))
    ranking = text.split("<b>Xếp hạng các đơn vị cùng cấp</b>\n")[1].splitlines()
    assert ranking[0] == "1. ▶ Chi bộ Tổ dân phố số 1 (KM01) — 8 lượt"
    assert ranking[1] == "– Chi bộ Tổ dân phố số 2 (KM02) — ❌ chưa báo cáo: chưa xếp hạng"
    # No quota of their own: said once, not on every line.
    assert text.count("(Các đơn vị này không được giao chỉ tiêu riêng.)") == 1
    assert "(không giao chỉ tiêu)" not in text


# ---------------------------------------------------------------- 2. one rounding everywhere


def percent_in_xlsx(table, code: str) -> str:
    content = FileRenderer().render(table).content
    sheet = load_workbook(io.BytesIO(content)).active
    header_row = next(
        row for row in sheet.iter_rows() if any(cell.value == "Tỷ lệ" for cell in row)
    )
    column = next(cell.column for cell in header_row if cell.value == "Tỷ lệ")
    for row in sheet.iter_rows(min_row=header_row[0].row + 1):
        if row[0].value == code:
            cell = row[column - 1]
            assert cell.number_format == "0%"
            # What Excel shows for a `0%` cell: the value × 100, rounded half up.
            shown = int(cell.value * 100 + 0.5 + 1e-9)
            return f"{shown}%"
    raise AssertionError(f"no row for {code}")


@pytest.mark.parametrize(("figure", "shown"), [(17, "8%"), (35, "17%"), (199, "99%")])
def test_chat_chart_and_spreadsheet_show_the_same_percent(dialogue, figure, shown):
    approve(dialogue, AN, "KM")
    subscribe(dialogue, -900)
    chat_reply = only_text(dialogue.send(AN, str(figure), at=at("2024-09-10 09:00")))
    assert f"({shown})" in chat_reply
    slot = at("2024-09-16 13:00")
    [digest] = weekly_digests(dialogue.store, dialogue.policy, slot, slot)
    chart, table = digest.attachments
    [bar] = [bar for bar in chart.bars if "Khương Mai" in bar.label]
    assert f"({shown})" in bar.value_label
    assert percent_in_xlsx(table, "KM") == shown
    [export] = dialogue.send(ADMIN, "/xuat tuan 37", at=at("2024-09-16 14:00"))[0].attachments
    assert percent_in_xlsx(export, "KM") == shown


# ---------------------------------------------------------------- 6. spreadsheet rows


def test_spreadsheet_rows_show_what_the_chat_says(ward):
    ward.send(CHI, "8", at=at("2024-09-10 09:00"))
    [reply] = ward.send(ADMIN, "/xuat tuan 37", at=at("2024-09-16 14:00"))
    [table] = reply.attachments
    header = [column.header for column in table.columns]
    rows = {row[0]: row for row in table.rows}
    quota, status = header.index("Chỉ tiêu/tuần"), header.index("Tình trạng")
    chat = only_text(ward.send(ADMIN, "/tiendo all", at=at("2024-09-16 14:00")))
    district_quota = int(chat.split("tổng chỉ tiêu ")[1].split(")")[0].replace(".", ""))
    # The district owes what its top-level units owe, as the chat says.
    assert rows["TX"][quota] == district_quota > 0
    assert rows["TX"][status] == "Chưa đạt"
    assert rows["KM01"][status] == "Không giao chỉ tiêu"  # reported, no quota of its own
    assert rows["KM02"][status] == "Chưa báo cáo"  # nothing reported


def test_the_monthly_sheet_has_the_district_row(dialogue):
    approve(dialogue, AN, "KM")
    subscribe(dialogue, -900)
    dialogue.send(AN, "30", at=at("2024-09-05 10:00"))
    slot = at("2024-09-20 08:00")
    [digest] = monthly_digests(dialogue.store, dialogue.policy, slot, slot)
    table = digest.attachments[0]
    rows = {row[0]: row for row in table.rows}
    assert "TX" in rows and rows["TX"][3] > 0


# ---------------------------------------------------------------- 1. every week in one month


def district_total(text: str, marker: str) -> int:
    figure = text.split(marker)[1].split("<b>")[1].split("</b>")[0]
    return int(figure.replace(".", ""))


async def test_over_a_campaign_the_monthly_totals_add_up_to_the_weekly_ones(sql_database):
    """A campaign of 14 weeks, reports every week, digests run by the job runner; the October
    digest is missed (the bot was down past its grace) and the runner is built anew (a
    restart) between months. Every closed week is in exactly one monthly digest."""
    campaign = Campaign(1, "Cuộc thi thử", date(2024, 9, 2), date(2024, 12, 8), "lượt dự thi")
    policy = make_policy(campaign)
    dialogue = Dialogue(None, policy, at("2024-09-02 08:00"), database=sql_database)
    approve(dialogue, AN, "KM")
    approve(dialogue, CHI, "KM01")
    subscribe(dialogue, -900)
    monday = at("2024-09-02 10:00")
    for week in range(14):
        day = monday + timedelta(weeks=week)
        dialogue.send(AN, str(10 + week), at=day)
        dialogue.send(CHI, str(week % 3 + 1), at=day + timedelta(hours=1))

    weekly_sum = 0
    monthly_sum = 0
    covered: list[str] = []
    notifier = Recorder()

    def runner_at(moment):
        clock = FixedClock(moment)
        core = MemoryCore(sql_database, policy, clock)
        return JobRunner(core, notifier, OutboxDispatcher(core.database, notifier), clock)

    for week in range(14):
        slot = at("2024-09-09 13:00") + timedelta(weeks=week)
        await runner_at(slot).run("weekly-digest", slot, now=slot)
    for month_slot in ("2024-09-20 08:00", "2024-11-20 08:00", "2024-12-20 08:00"):
        slot = at(month_slot)  # October's slot is missed
        await runner_at(slot).run("monthly-digest", slot, now=slot)
    for message in notifier.sent:
        if message.chat.chat_id != "-900" or not message.text:
            continue
        if message.text.startswith("📊 <b>Tổng hợp tuần"):
            weekly_sum += district_total(message.text, "\nTổng: ")
        if "Báo cáo tháng" in message.text and "Tổng lượt dự thi tuần" in message.text:
            monthly_sum += district_total(message.text, "Tổng lượt dự thi tuần")
            covered.append(message.text.split("Tổng lượt dự thi ")[1].split(":")[0])
    weeks_digested = sum(1 for m in notifier.sent if m.text.startswith("📊 <b>Tổng hợp tuần"))
    assert weeks_digested == 14
    assert covered == [
        "tuần 36–37 (02/09–15/09/2024)",
        "tuần 38–46 (16/09–17/11/2024)",
        "tuần 47–49 (18/11–08/12/2024)",
    ]
    assert monthly_sum == weekly_sum == sum(10 + w + w % 3 + 1 for w in range(14))
