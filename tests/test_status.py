"""Progress views: a unit and its siblings, all units, help and the unit table."""

from bot.domain import wording
from tests.conftest import ADMIN_ID, CAMPAIGN, at
from tests.support.dialogue import only_text, person

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
AN = person(1001, "Nguyễn Văn An")
STRANGER = person(4242, "Người lạ")


def report(dialogue, code, amount, when="2024-09-12 08:00"):
    dialogue.send(ADMIN, f"/report {code} {amount}", at=at(when))


def test_a_units_status_ranks_it_among_siblings_of_the_same_kind(dialogue):
    report(dialogue, "KM", 120)
    report(dialogue, "NC", 250)
    report(dialogue, "DTN", 10)
    dialogue.send(AN, "/register KM")
    dialogue.send(ADMIN, "/approve 1001")
    text = only_text(dialogue.send(AN, "/status"))
    assert text.splitlines()[:4] == [
        "📊 <b>Phường Khương Mai</b> (KM)",
        "Tuần 37 (09/09–15/09/2024): <b>120/200</b> lượt dự thi (60%).",
        "Trong đó: 120 do đơn vị trực tiếp báo cáo; chưa có chi bộ trực thuộc nào báo cáo.",
        "Còn thiếu 80 lượt, cần khoảng 20 lượt mỗi ngày trong 4 ngày còn lại (đến hết Chủ nhật).",
    ]
    ranking = text.split("<b>Xếp hạng các đơn vị cùng cấp</b>\n")[1].splitlines()
    assert ranking == [
        "1. Phường Nhân Chính (NC) — 250/200 (125%) ✅",
        "2. ▶ Phường Khương Mai (KM) — 120/200 (60%)",
        "– Phường Khương Trung (KT) — ❌ chưa báo cáo: chưa xếp hạng",
    ]


def test_the_districts_status_ranks_its_top_level_units_with_the_district_total(dialogue):
    report(dialogue, "KM", 120)
    report(dialogue, "KM01", 30)
    report(dialogue, "DBCA", 5)
    text = only_text(dialogue.send(ADMIN, "/tiendo TX"))
    lines = text.splitlines()
    assert lines[:5] == [
        "📊 <b>Quận Thanh Xuân</b> (TX)",
        "Tuần 37 (09/09–15/09/2024): <b>155</b> lượt dự thi.",
        "Trong đó: 0 do đơn vị trực tiếp báo cáo + 155 từ 3 đơn vị trực thuộc.",
        "Đơn vị không được giao chỉ tiêu tuần.",
        "So với tổng chỉ tiêu của các đơn vị trực thuộc (805 lượt): đạt 19%.",
    ]
    ranked = text.split("<b>Các đơn vị trực thuộc</b>\n")[1].splitlines()
    assert ranked[:3] == [
        "1. Đảng bộ Công an quận (DBCA) — 5/5 (100%) ✅",
        "2. Phường Khương Mai (KM) — 150/200 (75%)",
        # Not ranked among those that reported; Vietnamese order among them: Đ before P.
        "– Đoàn TNCS Hồ Chí Minh quận (DTN) — ❌ chưa báo cáo: chưa xếp hạng",
    ]


def test_a_unit_alone_of_its_kind_is_ranked_among_all_its_siblings(dialogue):
    report(dialogue, "DTN", 50)
    text = only_text(dialogue.send(ADMIN, "/tiendo DTN"))
    assert "▶ Đoàn TNCS Hồ Chí Minh quận (DTN) — 50/200 (25%)" in text
    assert "Phường Khương Mai (KM)" in text
    assert "MTTQ" not in text  # no quota and no report: nothing to show


def test_status_all_is_for_admins_and_marks_units_without_reports(dialogue):
    report(dialogue, "KM", 200)
    report(dialogue, "KM01", 3)
    report(dialogue, "MTTQ", 12)
    assert only_text(dialogue.send(STRANGER, "/status all")) == wording.STATUS_ALL_ADMIN_ONLY
    text = only_text(dialogue.send(ADMIN, "/tiendo tất cả"))
    lines = text.splitlines()
    assert lines[0] == "📊 <b>Tiến độ các đơn vị — Tuần 37 (09/09–15/09/2024)</b>"
    # The district total counts the cell's 3 once (inside its ward's 203), against the
    # quotas of the top-level units: 4 × 200 + 5.
    assert lines[1] == "Toàn quận: <b>215</b> lượt dự thi (26% tổng chỉ tiêu 805)."
    assert lines[2] == "Đạt chỉ tiêu: 1/5 đơn vị · Chưa báo cáo: 4"
    # Then the units nobody reports for (tests/test_who_is_missing.py).
    assert lines[4 : lines.index("", 4)] == [
        "1. Phường Khương Mai (KM) — 203/200 (101%) ✅",
        "    ↳ 1/2 chi bộ trực thuộc đã báo cáo; chưa báo cáo: KM02",
        "2. Ủy ban MTTQ quận (MTTQ) — 12 (không giao chỉ tiêu)",
        "– Đoàn TNCS Hồ Chí Minh quận (DTN) — ❌ chưa báo cáo: chưa xếp hạng",
        "– Phường Khương Trung (KT) — ❌ chưa báo cáo: chưa xếp hạng",
        "– Phường Nhân Chính (NC) — ❌ chưa báo cáo: chưa xếp hạng",
        "– Đảng bộ Công an quận (DBCA) — ❌ chưa báo cáo: chưa xếp hạng",
    ]
    assert only_text(dialogue.send(ADMIN, "/status")) == text


def test_status_of_a_named_unit_needs_a_bound_chat_a_membership_or_an_admin(dialogue):
    assert only_text(dialogue.send(STRANGER, "/status KM")) == wording.NOT_REGISTERED
    assert (
        only_text(dialogue.send(STRANGER, "/status KM", group=-9))
        == wording.STATUS_NEEDS_UNIT_GROUP
    )
    assert only_text(dialogue.send(ADMIN, "/status XYZ")) == wording.unknown_unit("XYZ")
    assert "Chi bộ Tổ dân phố số 2" in only_text(dialogue.send(ADMIN, "/status km02"))


def test_after_the_campaign_the_last_week_is_shown_with_a_note(dialogue):
    report(dialogue, "KM", 40, when="2024-12-27 09:00")
    dialogue.now = at("2025-02-01 09:00")
    text = only_text(dialogue.send(ADMIN, "/status KM"))
    assert "Cuộc thi đã kết thúc ngày 29/12/2024" in text
    assert "Tuần 52 (23/12–29/12/2024): <b>40/200</b>" in text
    assert "Tuần đã kết thúc, còn thiếu 160 lượt" in text


def test_help_lists_what_each_role_may_do(dialogue):
    stranger = only_text(dialogue.send(STRANGER, "/huongdan"))
    assert "Đồng chí chưa đăng ký" in stranger and "/dangky MÃ" in stranger
    assert "/bc 45" not in stranger
    # A secretary sees the Vietnamese command names only.
    assert "/register" not in stranger and "Lệnh tiếng Anh" not in stranger
    assert "trợ lý tự động" in stranger and "ID của đồng chí: 4242" in stranger
    dialogue.send(AN, "/register KM")
    assert "đang chờ duyệt" in only_text(dialogue.send(AN, "/start"))
    dialogue.send(ADMIN, "/approve 1001")
    secretary = only_text(dialogue.send(AN, "/help"))
    assert "người báo cáo của <b>Phường Khương Mai</b>" in secretary
    assert "/bc 45" in secretary and "/duyet" not in secretary
    admin = only_text(dialogue.send(ADMIN, "/help"))
    assert "quản trị viên" in admin and "/duyet ID" in admin and "/tiendo all" in admin


def test_units_table_for_admins_in_tree_order_with_quotas_and_secretaries(dialogue):
    dialogue.send(AN, "/register KM")
    dialogue.send(ADMIN, "/approve 1001")
    text = only_text(dialogue.send(ADMIN, "/donvi"))
    lines = text.splitlines()
    assert lines[1] == "TX — Quận Thanh Xuân — không giao chỉ tiêu — chưa có người báo cáo"
    khuong_mai = "  KM — Phường Khương Mai — 200 — <b>Nguyễn Văn An</b> (ID 1001)"
    assert lines.index(khuong_mai) < lines.index(
        "    KM01 — Chi bộ Tổ dân phố số 1 — không giao chỉ tiêu — chưa có người báo cáo"
    )
    assert not any("OLD" in line for line in lines)
    # A secretary sees codes and names only: no quotas, nobody's id.
    for_secretary = only_text(dialogue.send(AN, "/donvi khuong mai"))
    assert "Phường Khương Mai" in for_secretary and "ID 1001" not in for_secretary
    assert "200" not in for_secretary


def test_names_are_listed_in_vietnamese_order(memory_store):
    from bot.domain.model.collation import sorted_names
    from bot.domain.model.entities import Unit, UnitKind
    from bot.domain.model.tree import UnitTree

    names = ["Đống Đa", "Dịch Vọng", "Ân Thi", "An Lạc", "Bá", "Bà", "Ba", "Bạ", "Ơ", "Ô", "O", "Z"]
    assert sorted_names(names) == [
        "An Lạc", "Ân Thi", "Ba", "Bà", "Bá", "Bạ", "Dịch Vọng", "Đống Đa", "O", "Ô", "Ơ", "Z",
    ]  # fmt: skip
    wards = [Unit(f"W{i}", name, UnitKind.WARD, "TX", 200) for i, name in enumerate(names)]
    tree = UnitTree([Unit("TX", "Quận", UnitKind.DISTRICT, None, 0), *wards])
    assert [unit.name for unit in tree.children("TX")] == sorted_names(names)


def test_unknown_commands_and_edits_of_other_commands_are_harmless(dialogue):
    unknown = only_text(dialogue.send(AN, "/foo"))
    assert unknown.startswith("Không có lệnh «/foo».") and "/tiendo" in unknown
    assert dialogue.send(AN, "/foo", group=-7) == []  # a group's command for another bot
    dialogue.send(ADMIN, "/status")
    assert dialogue.edit(dialogue.last_message_id(), "/status KM", at=at("2024-09-12 09:01")) == []


def test_status_all_for_thousands_of_units_is_three_messages_at_most_and_a_spreadsheet(
    memory_store, policy
):
    from bot.domain.model.entities import Unit, UnitKind
    from bot.domain.model.messages import TableSpec
    from bot.domain.usecases.status import reply_budget
    from tests.support.dialogue import Dialogue

    for n in range(600):
        memory_store.units.upsert(
            Unit(f"P{n:03d}", f"Phường số {n} có tên khá dài", UnitKind.WARD, "TX", 200)
        )
    dialogue = Dialogue(memory_store, policy, at("2024-09-12 09:00"))
    [reply] = dialogue.send(ADMIN, "/tiendo all", group=-900)
    assert len(reply.text) <= reply_budget("telegram")
    assert "đầy đủ trong tệp Excel đính kèm" in reply.text
    assert reply.text.startswith("📊 <b>Tiến độ các đơn vị")
    [table] = reply.attachments
    assert isinstance(table, TableSpec)
    assert {row[0] for row in table.rows} >= {f"P{n:03d}" for n in range(600)}


def test_status_and_export_of_a_named_period_and_a_units_history(dialogue):
    from bot.domain.model.messages import TableSpec

    dialogue.send(AN, "/register KM")
    dialogue.send(ADMIN, "/approve 1001")
    dialogue.send(AN, "50", at=at("2024-09-04 09:00"))  # week 36
    dialogue.send(AN, "120", at=at("2024-09-11 09:00"))  # week 37
    dialogue.send(AN, "30")  # Thursday of week 37
    last = only_text(dialogue.send(AN, "/tiendo tuantruoc"))
    assert "Tuần 36 (02/09–08/09/2024): <b>50/200</b>" in last
    named = only_text(dialogue.send(AN, "/tiendo tuan 36"))
    assert "Tuần 36 (02/09–08/09/2024): <b>50/200</b>" in named
    assert "<b>150/200</b>" in only_text(dialogue.send(AN, "/tiendo"))
    [week] = dialogue.send(ADMIN, "/xuat tuantruoc")
    assert "tuần 36" in week.text and isinstance(week.attachments[0], TableSpec)
    [by_number] = dialogue.send(ADMIN, "/xuat tuan 37")
    assert "tuần 37" in by_number.text
    [month] = dialogue.send(ADMIN, "/xuat thang 9")
    assert "tháng 9/2024" in month.text and "tuần 36–37" in month.text
    history = only_text(dialogue.send(AN, "/lichsu"))
    assert history.startswith("🗂 <b>8 tuần gần nhất</b> — <b>Phường Khương Mai</b> (KM)")
    assert "• Tuần 37 (09/09–15/09/2024): 150/200 (75%) ⏳" in history
    assert "• Tuần 36 (02/09–08/09/2024): 50/200 (25%) ⚠️" in history
    assert "KT" in only_text(dialogue.send(ADMIN, "/lichsu KT"))
    assert only_text(dialogue.send(STRANGER, "/lichsu")) == wording.NOT_REGISTERED


def test_one_command_table_feeds_the_parser_the_help_and_the_menu():
    from bot.domain.model.commands import COMMAND_TABLE, canonical, menu
    from bot.domain.usecases.conversation import USE_CASES

    for command in COMMAND_TABLE:
        assert command.name in USE_CASES  # every command does something
        for alias in command.aliases:
            assert canonical(f"/{alias}") == command.name
        for _, key in command.help:
            assert key in wording.HELP_LINES
    assert set(menu()) <= set(wording.MENU_LINES)
    assert [name for name, _ in wording.command_menu(20)] == menu()
    admin_help = wording.help_text(
        CAMPAIGN,
        due_day=20,
        user_id="9",
        admin=True,
        unit=None,
        pending_unit=None,
        group_unit=None,
    )
    for command in COMMAND_TABLE:
        if command.help:
            assert f"/{command.shown}" in admin_help, command.name
