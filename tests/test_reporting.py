"""Reporting through the conversation: add, set, late, duplicates, edits, undo, refusals."""

from datetime import date, timedelta

import pytest

from bot.domain import wording
from bot.domain.model.entities import ReportMode
from bot.domain.reading.parsing import ParseProblem
from tests.conftest import ADMIN_ID, at, make_policy
from tests.support.dialogue import Dialogue, only_text, person

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
GRACE = timedelta(hours=12)
AN = person(1001, "Nguyễn Văn An")
BINH = person(1002, "Lê Văn Bình")
STRANGER = person(4242, "Người lạ")
WEEK_37 = date(2024, 9, 9)
WEEK_38 = date(2024, 9, 16)


def approve(dialogue: Dialogue, who=AN, code="KM") -> None:
    dialogue.send(who, f"/register {code}")
    dialogue.send(ADMIN, f"/approve {who.user_id}")


def total(dialogue: Dialogue, code="KM", week=WEEK_37) -> int:
    return dialogue.store.ledger.own_total(1, code, week)


def entries(dialogue: Dialogue):
    return list(dialogue.store.ledger.entries.values())


def test_a_report_is_answered_with_unit_week_total_percent_left_and_per_day(dialogue):
    approve(dialogue)
    text = only_text(dialogue.send(AN, "/report 45"))
    assert "Đã ghi nhận «+45» lượt dự thi cho <b>Phường Khương Mai</b> (KM)" in text
    assert "Tuần 37 (09/09–15/09/2024): <b>45/200</b> lượt dự thi (22%)." in text
    # Thursday: 4 days left including today; 155 left -> 39 a day.
    assert "Còn thiếu 155 lượt, cần khoảng 39 lượt mỗi ngày trong 4 ngày còn lại" in text
    assert total(dialogue) == 45


def test_free_text_forms_in_private_chat_accumulate(dialogue):
    approve(dialogue)
    for message in ("45", "+5", "thêm 10 lượt", "20 lượt dự thi", "đã có thêm 20", "bổ sung 500"):
        assert "✅" in only_text(dialogue.send(AN, message)), message
    assert total(dialogue) == 600
    assert "vượt 400 lượt" in only_text(dialogue.send(AN, "/tiendo"))


def test_set_makes_the_own_figure_that_number_and_effects_follow_the_fold(dialogue):
    approve(dialogue)
    dialogue.send(AN, "/bc 90")
    text = only_text(dialogue.send(AN, "tổng 180"))
    assert "«tổng 180»" in text and "<b>180/200</b>" in text
    assert [e.effect for e in entries(dialogue)] == [90, 90]
    dialogue.send(AN, "/baocao =100")
    assert [e.effect for e in entries(dialogue)] == [90, 90, -80]
    assert entries(dialogue)[-1].mode is ReportMode.SET
    assert total(dialogue) == 100
    dialogue.send(AN, "tuần này 0")
    assert total(dialogue) == 0


def test_the_same_message_delivered_twice_counts_once(dialogue):
    approve(dialogue)
    dialogue.send(AN, "thêm 45 lượt")
    message_id = dialogue.last_message_id()
    again = only_text(dialogue.again(message_id))
    assert "đã được ghi nhận trước đó" in again
    assert "<b>45/200</b>" in again
    dialogue.again(message_id)
    assert total(dialogue) == 45
    assert len(entries(dialogue)) == 1


def test_an_edit_revises_its_entry_and_is_audited(dialogue):
    approve(dialogue)
    dialogue.send(AN, "thêm 45 lượt")
    message_id = dialogue.last_message_id()
    dialogue.send(AN, "thêm 10 lượt")
    text = only_text(dialogue.edit(message_id, "thêm 50 lượt", at=at("2024-09-12 09:05")))
    assert "«+45» → <b>«+50»</b>" in text and "<b>60/200</b>" in text
    assert total(dialogue) == 60
    assert len(entries(dialogue)) == 2
    audit = [
        (record.action, record.old_requested, record.new_requested)
        for record in dialogue.store.ledger.audit
    ]
    assert audit[-1] == ("edit", 45, 50)


def test_an_edit_delivered_again_or_out_of_order_changes_nothing(dialogue):
    approve(dialogue)
    dialogue.send(AN, "45")
    message_id = dialogue.last_message_id()
    dialogue.edit(message_id, "50", at=at("2024-09-12 09:10"))
    dialogue.edit(message_id, "50", at=at("2024-09-12 09:10"))
    dialogue.edit(message_id, "70", at=at("2024-09-12 09:05"))  # an older edit arriving late
    assert total(dialogue) == 50
    assert [r.action for r in dialogue.store.ledger.audit].count("edit") == 1


def test_an_edited_total_stays_in_its_place_in_sending_order(dialogue):
    approve(dialogue)
    dialogue.send(AN, "30")
    dialogue.send(AN, "tổng 180")
    message_id = dialogue.last_message_id()
    dialogue.send(AN, "5")
    text = only_text(dialogue.edit(message_id, "tổng 200", at=at("2024-09-12 10:00")))
    assert "«tổng 180» → <b>«tổng 200»</b>" in text and "<b>205/200</b>" in text
    assert total(dialogue) == 205
    assert [e.effect for e in entries(dialogue)] == [30, 170, 5]


def test_an_edit_to_nonsense_is_refused_and_keeps_the_entry(dialogue):
    approve(dialogue)
    dialogue.send(AN, "thêm 45 lượt")
    message_id = dialogue.last_message_id()
    text = only_text(dialogue.edit(message_id, "xin lỗi gõ nhầm", at=at("2024-09-12 09:05")))
    assert text == wording.FREE_TEXT_HINT
    assert total(dialogue) == 45


def test_an_edit_before_a_later_total_leaves_the_total_as_it_is(dialogue):
    approve(dialogue)
    dialogue.send(AN, "100")
    first = dialogue.last_message_id()
    dialogue.send(AN, "tổng 20")
    text = only_text(dialogue.edit(first, "10", at=at("2024-09-12 10:00")))
    assert "«+100» → <b>«+10»</b>" in text
    assert total(dialogue) == 20


def test_an_edit_cannot_move_a_report_to_another_week(dialogue):
    approve(dialogue)
    dialogue.send(AN, "45")
    text = only_text(
        dialogue.edit(dialogue.last_message_id(), "45 tuantruoc", at=at("2024-09-12 09:05"))
    )
    assert text == wording.EDIT_CANNOT_MOVE
    assert total(dialogue) == 45


def test_an_edit_of_an_undone_report_is_refused(dialogue):
    approve(dialogue)
    dialogue.send(AN, "45")
    message_id = dialogue.last_message_id()
    dialogue.send(AN, "/undo")
    assert (
        only_text(dialogue.edit(message_id, "50", at=at("2024-09-12 10:00")))
        == wording.EDIT_OF_VOIDED
    )
    assert total(dialogue) == 0


def test_editing_chatter_into_a_report_counts_it_once(dialogue):
    approve(dialogue)
    dialogue.send(AN, "chào bot")
    message_id = dialogue.last_message_id()
    assert "✅" in only_text(dialogue.edit(message_id, "thêm 12 lượt", at=at("2024-09-12 09:05")))
    dialogue.edit(message_id, "thêm 15 lượt", at=at("2024-09-12 09:06"))
    assert total(dialogue) == 15
    assert (
        dialogue.edit(
            dialogue.send(AN, "hi") and dialogue.last_message_id(), "ho", at=at("2024-09-12 09:07")
        )
        == []
    )


def test_undo_voids_the_last_live_entry_then_the_one_before(dialogue):
    approve(dialogue)
    dialogue.send(AN, "45")
    dialogue.send(AN, "20")
    text = only_text(dialogue.send(AN, "/huy"))
    assert "Đã hủy báo cáo «+20» của" in text and "<b>45/200</b>" in text
    dialogue.send(AN, "/undo")
    assert total(dialogue) == 0
    assert only_text(dialogue.send(AN, "/undo")) == wording.NOTHING_TO_UNDO
    assert [r.action for r in dialogue.store.ledger.audit].count("void") == 2


def test_undo_delivered_twice_undoes_once(dialogue):
    approve(dialogue)
    dialogue.send(AN, "45")
    dialogue.send(AN, "20")
    dialogue.send(AN, "/undo")
    assert only_text(dialogue.again(dialogue.last_message_id())) == wording.ALREADY_HANDLED
    assert total(dialogue) == 45


def test_undo_only_touches_my_own_entries_and_a_later_total_stays(dialogue):
    approve(dialogue, AN)
    approve(dialogue, BINH)
    dialogue.send(AN, "100")
    dialogue.send(BINH, "tổng 20")
    assert "«+100»" in only_text(dialogue.send(AN, "/undo"))
    assert total(dialogue) == 20
    dialogue.send(BINH, "/undo")
    assert total(dialogue) == 0


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("/report 0", wording.add_out_of_bounds(10_000)),
        ("/report 10001", wording.add_out_of_bounds(10_000)),
        ("/report 10.001", wording.add_out_of_bounds(10_000)),
        ("/report " + "9" * 150, wording.add_out_of_bounds(10_000)),
        ("/report -5", wording.parse_problem(ParseProblem.NEGATIVE, 10_000, GRACE)),
        ("/report =10011", wording.set_out_of_bounds(10_000)),
        ("/report", wording.report_usage(GRACE)),
        (
            "/report ４５",
            wording.parse_problem(ParseProblem.NON_ASCII_DIGITS, 10_000, GRACE),
        ),
        ("9" * 5000, wording.parse_problem(ParseProblem.TOO_LONG, 10_000, GRACE)),
        ("x" * 10_000, wording.parse_problem(ParseProblem.TOO_LONG, 10_000, GRACE)),
        ("thêm 4,5 lượt", wording.parse_problem(ParseProblem.NOT_INTEGER, 10_000, GRACE)),
        (
            "tuần 37 thêm 5",
            wording.parse_problem(ParseProblem.SEVERAL_NUMBERS, 10_000, GRACE),
        ),
        ("hôm nay trời đẹp", wording.FREE_TEXT_HINT),
    ],
)
def test_bad_input_gets_a_clear_answer_and_changes_nothing(dialogue, message, expected):
    approve(dialogue)
    dialogue.send(AN, "10")
    assert only_text(dialogue.send(AN, message)) == expected
    assert total(dialogue) == 10
    assert len(entries(dialogue)) == 1


def test_max_report_comes_from_the_policy(memory_store):
    dialogue = Dialogue(memory_store, make_policy(max_report=50), at("2024-09-12 09:00"))
    approve(dialogue)
    assert "từ 1 đến 50 lượt" in only_text(dialogue.send(AN, "51"))
    assert "✅" in only_text(dialogue.send(AN, "50"))


def test_late_report_for_last_week_is_accepted_until_monday_noon(dialogue):
    approve(dialogue)
    text = only_text(dialogue.send(AN, "/report 30 tuantruoc", at=at("2024-09-16 11:59")))
    assert "Báo cáo bổ sung cho tuần trước" in text and "Tuần 37" in text
    assert total(dialogue, week=WEEK_37) == 30
    locked = only_text(dialogue.send(AN, "tuần trước thêm 5", at=at("2024-09-16 12:00")))
    assert locked.startswith(
        "🔒 Tuần 37 (09/09–15/09/2024) đã khóa sổ lúc 12:00 thứ Hai, 16/09/2024"
    )
    assert total(dialogue, week=WEEK_37) == 30


def test_only_an_admin_amends_a_locked_week(dialogue):
    text = only_text(dialogue.send(ADMIN, "/report KM 30 tuantruoc", at=at("2024-09-18 10:00")))
    assert "✅" in text
    assert total(dialogue, week=WEEK_37) == 30


def test_a_message_counts_for_the_week_it_was_sent_in(dialogue):
    approve(dialogue)
    dialogue.send(AN, "25", at=at("2024-09-15 23:59"), processed_at=at("2024-09-16 00:05"))
    assert total(dialogue, week=WEEK_37) == 25
    assert total(dialogue, week=WEEK_38) == 0


def test_strangers_and_pending_secretaries_cannot_report(dialogue):
    assert only_text(dialogue.send(STRANGER, "/report 5")) == wording.NOT_REGISTERED
    assert only_text(dialogue.send(STRANGER, "45")) == wording.NOT_REGISTERED
    dialogue.send(STRANGER, "/register KM")
    assert "đang chờ duyệt" in only_text(dialogue.send(STRANGER, "45"))
    assert entries(dialogue) == []


def test_a_secretary_reports_only_for_their_unit(dialogue):
    approve(dialogue)
    text = only_text(dialogue.send(AN, "/report KT 5"))
    assert text == wording.own_unit_only(dialogue.store.units.get("KM"))
    assert "✅" in only_text(dialogue.send(AN, "/report KM 5"))
    assert total(dialogue, "KT") == 0 and total(dialogue, "KM") == 5


def test_an_admin_names_the_unit_or_reports_in_its_group(dialogue):
    assert only_text(dialogue.send(ADMIN, "/report 5")) == wording.ADMIN_NEEDS_UNIT_CODE
    assert only_text(dialogue.send(ADMIN, "/report XX 5")) == wording.unknown_unit("XX")
    assert "không còn trong danh sách" in only_text(dialogue.send(ADMIN, "/report OLD 5"))
    dialogue.send(ADMIN, "/register KT", group=-100)
    assert "Phường Khương Trung" in only_text(dialogue.send(ADMIN, "/report 7", group=-100))
    assert total(dialogue, "KT") == 7


def test_reports_outside_the_campaign_are_refused(dialogue):
    approve(dialogue)
    before = only_text(dialogue.send(AN, "5", at=at("2024-08-30 09:00")))
    after = only_text(dialogue.send(AN, "5", at=at("2025-01-06 09:00")))
    # No campaign runs then: the reporter hears when it starts, or that it ended.
    campaign = dialogue.policy.campaign
    assert before == wording.no_campaign_running(
        campaign, at("2024-08-30 09:00").date(), admin=False
    )
    assert "bắt đầu từ ngày 02/09/2024" in before
    assert after == wording.campaign_ended(campaign)
    assert entries(dialogue) == []


def test_group_chatter_is_ignored_but_a_reply_to_the_bot_counts(dialogue):
    approve(dialogue)
    dialogue.send(AN, "/register KM", group=-500)
    assert dialogue.send(AN, "hẹn 5 giờ họp nhé", group=-500) == []
    assert dialogue.send(AN, "45", group=-500) == []
    replies = dialogue.send(AN, "thêm 45 lượt", group=-500, replies_to_bot=True)
    assert "✅" in only_text(replies)
    assert replies[0].reply_to == dialogue.last_message_id()
    assert total(dialogue) == 45


def test_names_with_markup_are_escaped(dialogue):
    mallory = person(666, "<b>Mallory</b> & <i>co</i>")
    replies = dialogue.send(mallory, "/register KM")
    notice = next(r for r in replies if r.chat.chat_id == ADMIN_ID)
    assert "&lt;b&gt;Mallory&lt;/b&gt; &amp; &lt;i&gt;co&lt;/i&gt;" in notice.text
    assert "<b>Mallory</b>" not in notice.text


def test_a_unit_named_in_the_text_must_be_the_senders_own(dialogue):
    approve(dialogue)
    text = only_text(dialogue.send(AN, "Khương Mai báo cáo thêm 70 lượt dự thi ạ"))
    assert "Đã ghi nhận «+70»" in text and total(dialogue) == 70
    assert "✅" in only_text(dialogue.send(AN, "phuong khuong mai them 5 luot"))
    asked = only_text(dialogue.send(AN, "Khương Trung báo cáo thêm 30 lượt"))
    assert asked.startswith("❓ Tin nhắn nêu tên <b>Phường Khương Trung</b> (KT)")
    assert total(dialogue) == 75 and total(dialogue, "KT") == 0
    # An admin names the unit to report for.
    assert "Phường Khương Trung" in only_text(dialogue.send(ADMIN, "Khương Trung thêm 30 lượt"))
    assert total(dialogue, "KT") == 30
