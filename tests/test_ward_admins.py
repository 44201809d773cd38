"""Ward admins: a district admin gives a person admin rights over one unit and everything
below it; inside that subtree they do what a district admin does, outside it they are refused
with the reason (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.domain import wording
from bot.domain.model.entities import MembershipStatus
from bot.domain.model.messages import TableSpec
from tests.conftest import ADMIN_ID, at
from tests.support.dialogue import Dialogue, person
from tests.test_trust_cli import environment

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
WARD_ADMIN = person(1500, "Đỗ Thị Hoa")  # KM's
OTHER_WARD_ADMIN = person(1600, "Vũ Văn Nam")  # KT's
AN = person(1001, "Nguyễn Văn An")
BINH = person(1002, "Lê Văn Bình")


@pytest.fixture
def wards(db_dialogue: Dialogue) -> Dialogue:
    granted = db_dialogue.send(ADMIN, "/capquyen 1500 KM", at=at("2024-09-02 08:00"))
    assert "Đã giao cho ID 1500 quyền quản trị <b>Phường Khương Mai</b> (KM)" in granted[0].text
    # The person granted is told, in private.
    assert granted[1].chat.chat_id == "1500" and "được giao quyền quản trị" in granted[1].text
    db_dialogue.send(ADMIN, "/capquyen 1600 KT", at=at("2024-09-02 08:00"))
    return db_dialogue


def membership_states(dialogue: Dialogue, user_id: str) -> list[MembershipStatus]:
    def work(store):
        approved = store.members.approved("telegram", user_id)
        pending = store.members.pending("telegram", user_id)
        return [m.status for m in (approved, pending) if m is not None]

    return dialogue.query(work)


def test_a_request_reaches_the_admins_of_every_unit_above_and_the_first_decision_wins(wards):
    replies = wards.send(AN, "/dangky KM01", at=at("2024-09-03 08:00"))
    notified = sorted(r.chat.chat_id for r in replies if r.chat.chat_id != AN.user_id)
    # The district's admin and KM's; not KT's.
    assert notified == ["1500", ADMIN_ID]
    buttons = {r.chat.chat_id: r.buttons[0] for r in replies if r.buttons}
    button = buttons["1500"]
    decided = wards.press(WARD_ADMIN, button.command, button.argument, button_message_id="70")
    assert "Đã duyệt" in decided[0].text
    assert decided[1].chat.chat_id == AN.user_id
    assert membership_states(wards, AN.user_id) == [MembershipStatus.APPROVED]
    # The district admin's button, pressed later, says who decided.
    late = buttons[ADMIN_ID]
    answer = wards.press(ADMIN, late.command, late.argument, button_message_id="71")
    assert answer[0].text == (
        "ℹ️ Yêu cầu đăng ký của <b>Nguyễn Văn An</b> (ID 1001) vào <b>Chi bộ Tổ dân phố số 1</b> "
        "(KM01) đã được quản trị viên (ID 1500) duyệt trước; không thực hiện gì thêm."
    )
    assert answer[0].edit_message_id == "71"
    assert len(answer) == 1


def test_a_ward_admin_is_refused_a_cell_of_another_ward(wards):
    wards.send(BINH, "/dangky KT", at=at("2024-09-03 08:00"))
    [refused] = wards.send(WARD_ADMIN, "/duyet 1002", at=at("2024-09-03 09:00"))
    assert refused.text == wording.outside_admin_scope(
        wards.query(lambda store: store.units.get("KT")),
        wards.query(lambda store: store.units.get("KM")),
    )
    assert "không thuộc phạm vi quản trị của đồng chí" in refused.text
    assert membership_states(wards, BINH.user_id) == [MembershipStatus.PENDING]
    # KT's own admin may.
    assert "Đã duyệt" in wards.send(OTHER_WARD_ADMIN, "/duyet 1002")[0].text


def test_a_ward_admin_reports_and_amends_for_its_units_only(wards):
    [accepted] = wards.send(WARD_ADMIN, "/bc KM01 12", at=at("2024-09-12 10:00"))
    assert "✅" in accepted.text and "12" in accepted.text
    [refused] = wards.send(WARD_ADMIN, "/bc KT 12", at=at("2024-09-12 10:00"))
    assert "không thuộc phạm vi quản trị" in refused.text
    # Last week is closed for secretaries by now; a ward admin may still amend its ward's.
    monday_afternoon = at("2024-09-16 15:00")
    [amended] = wards.send(WARD_ADMIN, "/bc KM 5 tuantruoc", at=monday_afternoon)
    assert "✅" in amended.text
    [closed] = wards.send(WARD_ADMIN, "/bc KT 5 tuantruoc", at=monday_afternoon)
    assert "không thuộc phạm vi quản trị" in closed.text

    def totals(store):
        rows = store.ledger.week_totals(1, at("2024-09-09 00:00").date(), None)
        return {row.unit.code: row.total for row in rows}

    figures = wards.query(totals)
    assert figures["KM"] == 17 and figures["KM01"] == 12 and figures["KT"] == 0


def test_a_ward_admins_view_export_and_digests_are_its_subtree(wards):
    [status] = wards.send(WARD_ADMIN, "/tiendo all", at=at("2024-09-12 10:00"))
    # Its ward with its cells (and the ward's place among wards), then who is missing in it.
    assert status.text.startswith("📊 <b>Phường Khương Mai</b> (KM)")
    missing = status.text[status.text.index("Chưa có người báo cáo") :]
    assert "Chưa có người báo cáo: 3 đơn vị" in missing
    assert "(KM)" in missing and "(KM01)" in missing and "(KM02)" in missing
    assert "(NC)" not in missing
    [export] = wards.send(WARD_ADMIN, "/xuat tuan", at=at("2024-09-12 10:00"))
    [table] = [a for a in export.attachments if isinstance(a, TableSpec)]
    codes = [row[0] for row in table.rows if row[0]]
    assert codes == ["KM", "KM01", "KM02"]
    # Digests: its ward by default, a unit inside it, never one outside.
    assert "Phường Khương Mai" in wards.send(WARD_ADMIN, "/dangkynhan", group=-900)[0].text
    refused = wards.send(WARD_ADMIN, "/dangkynhan KT", group=-901)[0].text
    assert "không thuộc phạm vi quản trị" in refused
    subscriptions = wards.query(lambda store: store.subscriptions.active())
    assert [(s.chat.chat_id, s.scope) for s in subscriptions] == [("-900", "KM")]
    # A district-wide subscription is not theirs to stop.
    wards.send(ADMIN, "/dangkynhan", group=-902)
    assert "không thuộc phạm vi quản trị" in wards.send(WARD_ADMIN, "/huynhan", group=-902)[0].text
    assert wards.send(WARD_ADMIN, "/huynhan", group=-900)[0].text == wording.UNSUBSCRIBED


def test_only_a_district_admin_grants_and_a_revoked_admin_is_refused(wards):
    refused = wards.send(WARD_ADMIN, "/capquyen 1700 KM01")[0].text
    assert refused == wording.GRANT_DISTRICT_ONLY
    assert wards.send(ADMIN, "/capquyen 1500")[0].text == wording.GRANT_USAGE
    assert wards.send(ADMIN, "/capquyen 1500 ZZ")[0].text == wording.unknown_unit("ZZ")
    assert "Đã thu hồi" in wards.send(ADMIN, "/thuhoiquyen 1500")[0].text
    wards.send(AN, "/dangky KM01")
    assert wards.send(WARD_ADMIN, "/duyet 1001")[0].text == wording.NOT_ADMIN
    assert membership_states(wards, AN.user_id) == [MembershipStatus.PENDING]


def test_ward_admins_on_the_command_line(tmp_path, monkeypatch, capsys):
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert main(["init"]) == 0
    assert main(["admins", "grant", "1500", "--unit", "km"]) == 0
    assert "1500 (Telegram): KM — Phường Khương Mai" in capsys.readouterr().out
    assert main(["admins", "grant", "zalo77", "--platform", "zalo", "--unit", "KT"]) == 0
    assert main(["admins", "grant", "1501", "--unit", "ZZ"]) == 2
    assert "«ZZ»" in capsys.readouterr().err
    assert main(["admins", "list"]) == 0
    listing = capsys.readouterr().out
    telegram, zalo = listing.split("Zalo:")
    assert "1500: KM — Phường Khương Mai và các đơn vị trực thuộc" in telegram
    assert "zalo77: KT — Phường Khương Trung và các đơn vị trực thuộc" in zalo
    assert main(["admins", "revoke", "1500"]) == 0
    assert main(["admins", "list"]) == 0
    assert "1500:" not in capsys.readouterr().out
