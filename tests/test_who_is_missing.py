"""Units nobody reports for (no secretary on any platform, no bound group): admins see them in
/tiendo all, the weekly digest and `quizbot units --missing`; a reminder due for one reaches
the nearest unit above it that has a reporter, in that chat's one message for the slot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli import main
from bot.domain.model.entities import Unit, UnitKind
from bot.domain.scheduled.digests import weekly_digests
from bot.domain.scheduled.reminders import monthly_nudges, weekly_reminders
from tests.conftest import ADMIN_ID, at
from tests.support.dialogue import Dialogue, person
from tests.test_trust_cli import environment

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
AN = person(1001, "Nguyễn Văn An")
BINH = person(1002, "Lê Văn Bình")
KM_GROUP = -500
# A cell with a quota of its own: a weekly reminder is due for it when it is behind.
KM03 = Unit("KM03", "Chi bộ Tổ dân phố số 3", UnitKind.PARTY_CELL, "KM", 5)


@pytest.fixture
def district(db_dialogue: Dialogue) -> Dialogue:
    """KM has a secretary and a group; KT a secretary; everyone else nobody."""
    db_dialogue.query(lambda store: store.units.upsert(KM03))
    for who, code in ((AN, "KM"), (BINH, "KT")):
        db_dialogue.send(who, f"/dangky {code}", at=at("2024-09-02 08:00"))
        db_dialogue.send(ADMIN, f"/duyet {who.user_id}", at=at("2024-09-02 08:00"))
    db_dialogue.send(AN, "/dangky KM", group=KM_GROUP, at=at("2024-09-02 08:00"))
    return db_dialogue


def missing_lines(text: str) -> list[str]:
    section = text[text.index("Chưa có người báo cáo") :]
    return [line for line in section.splitlines() if line.startswith("• ")]


def test_tiendo_all_ends_with_the_units_nobody_reports_for_top_level_first(district):
    [reply] = district.send(ADMIN, "/tiendo all")
    assert "Chưa có người báo cáo: 7 đơn vị" in reply.text
    assert reply.text.rstrip().splitlines()[-1].startswith("Các đơn vị này chưa có")
    named = missing_lines(reply.text)
    # The district's own units first (tree order: wards, youth union, party committees,
    # mass organisations), then the cells, each with the unit it belongs to.
    assert named == [
        "• Phường Nhân Chính (NC)",
        "• Đoàn TNCS Hồ Chí Minh quận (DTN)",
        "• Đảng bộ Công an quận (DBCA)",
        "• Ủy ban MTTQ quận (MTTQ)",
        "• Chi bộ Tổ dân phố số 1 (KM01) — thuộc Phường Khương Mai",
        "• Chi bộ Tổ dân phố số 2 (KM02) — thuộc Phường Khương Mai",
        "• Chi bộ Tổ dân phố số 3 (KM03) — thuộc Phường Khương Mai",
    ]
    # The district itself, the units with a secretary or a group and inactive units are not.
    for code in ("(TX)", "(KM)", "(KT)", "(OLD)"):
        assert all(code not in line for line in named)


def test_a_secretary_or_a_bound_group_takes_a_unit_off_the_list(district):
    district.send(person(1003), "/dangky NC", at=at("2024-09-03 08:00"))
    district.send(ADMIN, "/duyet 1003", at=at("2024-09-03 08:00"))
    district.send(ADMIN, "/dangky DBCA", group=-700, at=at("2024-09-03 08:00"))
    [reply] = district.send(ADMIN, "/tiendo all")
    named = " ".join(missing_lines(reply.text))
    assert "(NC)" not in named and "(DBCA)" not in named and "(MTTQ)" in named
    # A secretary only asking is not a reporter yet.
    district.send(person(1004), "/dangky MTTQ", at=at("2024-09-03 09:00"))
    [reply] = district.send(ADMIN, "/tiendo all")
    assert "(MTTQ)" in " ".join(missing_lines(reply.text))


def test_the_weekly_digest_has_the_same_section_for_its_scope(district):
    district.send(ADMIN, "/dangkynhan", group=-800, at=at("2024-09-02 08:00"))
    district.send(ADMIN, "/dangkynhan KM", group=-801, at=at("2024-09-02 08:00"))
    slot = at("2024-09-16 13:00")
    messages = district.query(
        lambda store: weekly_digests(store, district.policy, slot, slot + timedelta(minutes=1))
    )
    by_chat = {message.chat.chat_id: message.text for message in messages}
    whole = by_chat["-800"]
    assert "Chưa có người báo cáo: 7 đơn vị" in whole
    assert "(NC)" in " ".join(missing_lines(whole))
    ward = by_chat["-801"]
    assert "Chưa có người báo cáo: 3 đơn vị" in ward
    assert [line.split("(")[1][:4] for line in missing_lines(ward)] == ["KM01", "KM02", "KM03"]


def test_a_reminder_for_a_unit_nobody_reports_for_reaches_its_ward_in_the_same_message(district):
    slot = at("2024-09-12 09:00")
    messages = district.query(lambda store: weekly_reminders(store, district.policy, slot, slot))
    to_group = [message for message in messages if message.chat.chat_id == str(KM_GROUP)]
    assert len(to_group) == 1, "one message for the ward's group"
    text = to_group[0].text
    # The ward's own reminder first, then the cell it must follow up.
    assert text.startswith("📣 <b>Nhắc nhở tiến độ tuần</b> — <b>Phường Khương Mai</b> (KM)")
    assert text.index("Nhắc nhở tiến độ tuần") < text.index("Đơn vị trực thuộc chưa có người")
    assert "Chi bộ Tổ dân phố số 3</b> (KM03) chưa có người báo cáo; đồng chí đôn đốc giúp" in text
    assert text.count("KM03) chưa có người báo cáo") == 1
    # Nobody else hears of KM03; NC (no reporter up to the district) is told to nobody.
    others = [message.text for message in messages if message.chat.chat_id != str(KM_GROUP)]
    assert all("KM03" not in other and "(NC)" not in other for other in others)
    assert all(message.chat.chat_id in {str(KM_GROUP), "1002"} for message in messages)


def test_a_monthly_nudge_for_cells_nobody_reports_for_goes_to_the_wards_group(district):
    slot = at("2024-09-15 09:00")
    messages = district.query(lambda store: monthly_nudges(store, district.policy, slot, slot))
    [to_group] = [message for message in messages if message.chat.chat_id == str(KM_GROUP)]
    text = to_group.text
    assert text.startswith("📝 <b>Nhắc báo cáo tháng 9/2024</b> — <b>Phường Khương Mai</b>")
    for cell in ("KM01", "KM02", "KM03"):
        assert text.count(f"({cell}) chưa có người báo cáo; đồng chí đôn đốc giúp") == 1
    assert "chưa gửi báo cáo tháng 9/2024" in text


def test_units_missing_on_the_command_line(tmp_path, monkeypatch, capsys):
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["units", "--missing"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Chưa có người báo cáo: 8 đơn vị"
    rows = [line.split()[:2] for line in out[2:]]
    assert ["KM01", "KM"] in rows and ["NC", "TX"] in rows
    assert [row[0] for row in rows][:1] == ["KM"]
    assert all(row[0] not in ("TX", "OLD") for row in rows)
