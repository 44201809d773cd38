"""Every place a figure is shown agrees ([figures]): `/tiendo`, `/tiendo all`, the reminder,
the weekly digest's text, chart and spreadsheet (re-read with openpyxl), and the export —
with each other and with the ledger's reference fold, sub-units included; and the district
total is the sum of all live entries, each counted once. Memory, SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import load_workbook

from bot.domain.model.messages import ChartSpec, TableSpec
from bot.domain.model.weeks import Week
from bot.domain.scheduled.digests import weekly_digests
from bot.domain.scheduled.reminders import weekly_reminders
from bot.domain.usecases.exports import week_table
from bot.render.renderer import FileRenderer
from tests.conftest import ADMIN_ID, at
from tests.support.dialogue import Dialogue, only_text, person

ADMIN = person(ADMIN_ID, "Quản trị")
WEEK = Week(date(2024, 9, 9))
SECRETARIES = {
    "KM": [person(1001, "An"), person(1002, "Bình")],
    "KM01": [person(1003, "Chi")],
    "KM02": [person(1004, "Dũng")],
    "KT": [person(1005, "Giang")],
}
# (unit, secretary index, message, local time): additions, totals, an edit and an undo below.
SCRIPT = [
    ("KM", 0, "45", "2024-09-09 10:00"),
    ("KM", 1, "tổng 120", "2024-09-10 10:00"),
    ("KM", 0, "+30", "2024-09-11 10:00"),
    ("KM01", 0, "đã có 12", "2024-09-10 11:00"),
    ("KM01", 0, "thêm 5", "2024-09-11 11:00"),
    ("KM02", 0, "9", "2024-09-12 08:00"),
    ("KT", 0, "80", "2024-09-12 08:30"),
]


def figure_in(text: str, code: str) -> int:
    # A figure, not a streak ("— 2 tuần" in the digest's escalation list).
    match = re.search(rf"\({code}\)[^\n]*? — ([0-9.]+)(?![0-9.]| tuần)", text)
    assert match, (code, text)
    return int(match.group(1).replace(".", ""))


def test_every_view_shows_the_same_rolled_up_figures(db_dialogue: Dialogue):
    dialogue = db_dialogue
    for code, people in SECRETARIES.items():
        for who in people:
            dialogue.send(who, f"/register {code}", at=at("2024-09-09 08:00"))
            dialogue.send(ADMIN, f"/approve {who.user_id}", at=at("2024-09-09 08:00"))
    for code, index, text, when in SCRIPT:
        dialogue.send(SECRETARIES[code][index], text, at=at(when))
    dialogue.send(SECRETARIES["KM01"][0], "/huy", at=at("2024-09-12 09:00"))  # undoes «thêm 5»
    dialogue.send(SECRETARIES["KM02"][0], "chào", at=at("2024-09-12 08:10"))
    dialogue.edit(dialogue.last_message_id(), "thêm 1", at=at("2024-09-12 08:20"))
    dialogue.send(ADMIN, "/bc DBCA 4", at=at("2024-09-12 09:00"))
    dialogue.send(ADMIN, "/dangkynhan", group=-900, at=at("2024-09-09 08:00"))

    # The reference fold: KM 120 + 30; KM01 12; KM02 9 + 1; KT 80; DBCA 4.
    own = {"KM": 150, "KM01": 12, "KM02": 10, "KT": 80, "DBCA": 4}
    expected = {"KM": 172, "KM01": 12, "KM02": 10, "KT": 80, "DBCA": 4}
    district = sum(own.values())

    def live_sum(store) -> int:
        campaign = store.campaigns.active().id
        return sum(
            entry.effect
            for unit in store.units.everything()
            for entry in store.ledger.live_entries(campaign, unit.code, WEEK.start)
        )

    assert dialogue.query(live_sum) == district == 256

    # /tiendo of the ward, and of everything for an admin.
    thursday = at("2024-09-12 10:00")
    ward = only_text(dialogue.send(SECRETARIES["KM"][0], "/tiendo", at=thursday))
    assert (
        "<b>172/200</b>" in ward
        and "Trong đó: 150 do đơn vị trực tiếp báo cáo + 22 từ 2 chi bộ" in ward
    )
    assert figure_in(ward, "KM01") == 12 and figure_in(ward, "KM02") == 10
    everything = only_text(dialogue.send(ADMIN, "/tiendo all", at=thursday))
    assert f"Toàn quận: <b>{district}</b>" in everything
    for code in ("KM", "KT", "DBCA"):
        assert figure_in(everything, code) == expected[code]

    # The reminder (Saturday) to the wards behind.
    saturday = at("2024-09-14 15:00")
    reminders = dialogue.query(
        lambda store: weekly_reminders(store, dialogue.policy, saturday, saturday)
    )
    km_reminder = next(m.text for m in reminders if m.chat.chat_id == "1001")
    assert "<b>172/200</b>" in km_reminder

    # The weekly digest after the cut-off: text, chart, spreadsheet.
    monday = at("2024-09-16 13:00")
    [digest] = dialogue.query(lambda store: weekly_digests(store, dialogue.policy, monday, monday))
    assert f"Tổng: <b>{district}</b>" in digest.text
    for code in ("KM", "KT", "DBCA"):
        assert figure_in(digest.text, code) == expected[code]
    chart, table = digest.attachments
    assert isinstance(chart, ChartSpec) and isinstance(table, TableSpec)
    bars = {re.search(r"\((\w+)\)$", bar.label).group(1): bar.total for bar in chart.bars}
    assert bars["KM"] == 172 and bars["KT"] == 80 and bars["DBCA"] == 4
    digest_rows = spreadsheet_rows(table)
    export_rows = spreadsheet_rows(
        dialogue.query(lambda store: week_table(store, dialogue.policy, WEEK))
    )
    for rows in (digest_rows, export_rows):
        for code, figure in expected.items():
            assert rows[code] == figure, (code, rows[code])
        assert rows["TX"] == district
        assert rows["Tổng cộng"] == district


def spreadsheet_rows(table: TableSpec) -> dict[str, int]:
    """Unit code (or the total row's label) -> the week's figure, read back from the XLSX."""
    workbook = load_workbook(io.BytesIO(FileRenderer().render(table).content))
    sheet = workbook.worksheets[0]
    header_row = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Mã")
    header = [cell.value for cell in sheet[header_row]]
    week_column = next(i for i, h in enumerate(header) if str(h).startswith("Tuần 37"))
    found = {}
    for row in sheet.iter_rows(min_row=header_row + 1, values_only=True):
        key = row[0] or str(row[1]).strip()
        found[key] = row[week_column]
    return found
