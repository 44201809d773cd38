"""Figures officials can trust (issue [figures]): each observation, on memory, SQLite and
PostgreSQL — roll-up through the unit tree, `tổng N` that stays a total, locks checked when a
change arrives, held implausible figures, corrections after a digest, the campaign's end."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.domain import wording
from bot.domain.model.entities import UnitKind
from bot.domain.model.weeks import Week
from bot.domain.scheduled.digests import weekly_digests
from bot.domain.usecases.unit_table import UnitTableError, units_from_rows
from tests.conftest import ADMIN_ID, CAMPAIGN, at, make_policy
from tests.support.dialogue import Dialogue, only_text, person

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
AN = person(1001, "Nguyễn Văn An")  # KM
BINH = person(1002, "Lê Văn Bình")  # KM, a second secretary
CHI = person(1003, "Đỗ Thị Chi")  # KM01, a cell of KM
DUNG = person(1004, "Vũ Dũng")  # KM02
STRANGER = person(4242, "Người lạ")
WEEK_37 = date(2024, 9, 9)
WEEK_38 = date(2024, 9, 16)


def approve(dialogue: Dialogue, who, code: str) -> None:
    dialogue.send(who, f"/register {code}", at=at("2024-09-09 08:00"))
    dialogue.send(ADMIN, f"/approve {who.user_id}", at=at("2024-09-09 08:00"))


def own(dialogue: Dialogue, code: str = "KM", week: date = WEEK_37) -> int:
    return dialogue.query(
        lambda store: store.ledger.own_total(store.campaigns.active().id, code, week)
    )


def rolled(dialogue: Dialogue, code: str, week: date = WEEK_37) -> int:
    rows = dialogue.query(
        lambda store: store.ledger.week_totals(store.campaigns.active().id, week, [code])
    )
    return rows[0].total


def entry_count(dialogue: Dialogue) -> int:
    def count(store):
        campaign = store.campaigns.active().id
        return sum(
            len(store.ledger.live_entries(campaign, unit.code, week))
            for unit in store.units.active()
            for week in (WEEK_37, WEEK_38)
        )

    return dialogue.query(count)


def texts_to(replies, chat_id) -> list[str]:
    return [reply.text for reply in replies if reply.chat.chat_id == str(chat_id)]


@pytest.fixture
def ward(db_dialogue: Dialogue) -> Dialogue:
    """KM with two secretaries; its cells KM01 and KM02 with one each."""
    for who, code in ((AN, "KM"), (BINH, "KM"), (CHI, "KM01"), (DUNG, "KM02")):
        approve(db_dialogue, who, code)
    return db_dialogue


# ---------------------------------------------------------------- 1. roll-up, counted once


def test_a_wards_figure_is_its_own_reports_plus_its_cells_each_counted_once(ward):
    ward.send(AN, "195")
    ward.send(CHI, "8")
    text = only_text(ward.send(DUNG, "2"))
    # The cell's reply: its own figure, then the ward's quota it counts toward.
    assert "Tuần 37 (09/09–15/09/2024): <b>2</b> lượt dự thi." in text
    assert "tính vào chỉ tiêu của <b>Phường Khương Mai</b> (KM): <b>205/200</b> (102%)" in text
    assert own(ward, "KM") == 195 and rolled(ward, "KM") == 205 and rolled(ward, "TX") == 205
    status = only_text(ward.send(AN, "/tiendo"))
    assert "Tuần 37 (09/09–15/09/2024): <b>205/200</b> lượt dự thi (102%)." in status
    assert "Trong đó: 195 do đơn vị trực tiếp báo cáo + 10 từ 2 chi bộ trực thuộc." in status
    sub_units = status.split("<b>Các chi bộ trực thuộc</b>\n")[1].split("\n\n")[0].splitlines()
    assert sub_units == [
        # The cells have no quota of their own: said once, not on every line.
        "1. Chi bộ Tổ dân phố số 1 (KM01) — 8 lượt",
        "2. Chi bộ Tổ dân phố số 2 (KM02) — 2 lượt",
        "<i>(Các đơn vị này không được giao chỉ tiêu riêng.)</i>",
    ]


def test_the_district_total_counts_every_entry_once_against_top_level_quotas(ward):
    ward.send(AN, "195")
    ward.send(CHI, "8")
    ward.send(ADMIN, "/bc DBCA 6")
    text = only_text(ward.send(ADMIN, "/tiendo all"))
    # 195 + 8 + 6, against KM, KT, NC, DTN (200 each) and DBCA (5): cells add no quota.
    assert "Toàn quận: <b>209</b> lượt dự thi (25% tổng chỉ tiêu 805)." in text
    assert "1. Đảng bộ Công an quận (DBCA) — 6/5 (120%) ✅" in text
    assert "2. Phường Khương Mai (KM) — 203/200 (101%) ✅" in text
    assert "↳ 1/2 chi bộ trực thuộc đã báo cáo; chưa báo cáo: KM02" in text


def test_quotas_at_two_levels_are_not_added_up(ward):
    # A ward's cells with quotas of their own still count toward the ward's 200 only.
    for code in ("KM01", "KM02"):
        ward.query(
            lambda store, code=code: store.units.upsert(
                replace(store.units.get(code), weekly_quota=5)
            )
        )
    ward.send(AN, "195")
    ward.send(CHI, "8")
    ward.send(ADMIN, "/dangkynhan KM", group=-900)
    ward.send(ADMIN, "/dangkynhan", group=-901)
    slot = at("2024-09-16 13:00")
    digests = ward.query(lambda store: weekly_digests(store, ward.policy, slot, slot))
    by_chat = {digest.chat.chat_id: digest for digest in digests}
    scoped = by_chat["-900"]
    assert "Tổng: <b>203</b> lượt dự thi (bằng 101% tổng chỉ tiêu 200)." in scoped.text
    assert scoped.attachments[1].rows[-1][3:5] == (200, 203)
    everything = by_chat["-901"]
    assert "Tổng: <b>203</b> lượt dự thi (bằng 25% tổng chỉ tiêu 805)." in everything.text


# ---------------------------------------------------------------- 2. «tổng N» stays a total


def test_editing_a_total_keeps_later_additions_on_top_of_it(ward):
    ward.send(AN, "3")
    ward.send(AN, "tổng 10")
    total_message = ward.last_message_id()
    assert "<b>12/200</b>" in only_text(ward.send(AN, "+2"))
    text = only_text(ward.edit(total_message, "tổng 8", at=at("2024-09-12 10:00")))
    assert "«tổng 10» → <b>«tổng 8»</b>" in text and "<b>10/200</b>" in text
    assert own(ward) == 10


def test_editing_an_addition_before_a_total_leaves_the_total(ward):
    ward.send(AN, "3")
    first = ward.last_message_id()
    ward.send(AN, "tổng 10")
    ward.send(AN, "+2")
    text = only_text(ward.edit(first, "1", at=at("2024-09-12 10:00")))
    assert "«+3» → <b>«+1»</b>" in text and "<b>12/200</b>" in text
    assert own(ward) == 12


def test_undoing_an_addition_before_another_secretarys_total_leaves_the_total(ward):
    ward.send(AN, "45")
    ward.send(BINH, "tổng 200")
    text = only_text(ward.send(AN, "/huy"))
    assert "Đã hủy báo cáo «+45»" in text and "<b>200/200</b>" in text
    assert own(ward) == 200


def test_undoing_a_total_names_it_as_sent(ward):
    ward.send(AN, "3")
    ward.send(AN, "tổng 0")
    text = only_text(ward.send(AN, "/huy"))
    assert "Đã hủy báo cáo «tổng 0» của <b>Phường Khương Mai</b> (KM)" in text
    assert "−3" not in text and "<b>3/200</b>" in text
    assert own(ward) == 3


def test_a_report_delivered_late_takes_its_place_by_sending_time(ward):
    ward.send(AN, "tổng 100", at=at("2024-09-12 10:00"))
    # Sent before the total, delivered after it: the total still stands.
    ward.send(BINH, "+20", at=at("2024-09-12 09:30"), processed_at=at("2024-09-12 10:05"))
    assert own(ward) == 100
    ward.send(BINH, "+5", at=at("2024-09-12 10:10"))
    assert own(ward) == 105


# ---------------------------------------------------------------- 3. locks when a change arrives

THREE_WEEKS_LATER = at("2024-10-03 09:00")


def test_an_old_message_edited_into_a_report_never_books_into_a_locked_week(ward):
    ward.send(AN, "chào anh", at=at("2024-09-12 09:00"))
    chatter = ward.last_message_id()
    text = only_text(ward.edit(chatter, "thêm 9999 lượt", at=THREE_WEEKS_LATER))
    assert text.startswith("🔒 Tuần 37 (09/09–15/09/2024) đã khóa sổ")
    assert own(ward) == 0 and entry_count(ward) == 0
    # An admin's own old chatter does not become a report either.
    ward.send(ADMIN, "/bc", at=at("2024-09-12 09:00"))
    text = only_text(ward.edit(ward.last_message_id(), "/bc KM 50", at=THREE_WEEKS_LATER))
    assert text.startswith("🔒") and own(ward) == 0


def test_an_old_refused_report_edited_later_cannot_wipe_a_locked_week(ward):
    ward.send(AN, "50", at=at("2024-09-12 09:00"))
    ward.send(AN, "/bc 0", at=at("2024-09-12 09:05"))
    refused = ward.last_message_id()
    text = only_text(ward.edit(refused, "/bc =0", at=THREE_WEEKS_LATER))
    assert text.startswith("🔒")
    assert own(ward) == 50


def test_editing_a_report_after_the_cut_off_is_refused(ward):
    ward.send(AN, "50", at=at("2024-09-12 09:00"))
    report = ward.last_message_id()
    text = only_text(ward.edit(report, "500", at=at("2024-09-16 12:00")))
    assert text.startswith("🔒")
    assert own(ward) == 50
    # Before the cut-off (Monday 11:59) the same edit is a late correction.
    assert "<b>55/200</b>" in only_text(ward.edit(report, "55", at=at("2024-09-16 11:59")))


def test_a_message_sent_before_approval_does_not_become_a_report_after_its_week_closed(ward):
    ward.send(STRANGER, "45", at=at("2024-09-12 09:00"))
    early = ward.last_message_id()
    approve(ward, STRANGER, "KM")
    text = only_text(ward.edit(early, "thêm 45", at=at("2024-09-20 09:00")))
    assert text.startswith("🔒") and own(ward) == 0


def test_undo_after_the_cut_off_cannot_reach_last_week(ward):
    ward.send(AN, "50", at=at("2024-09-12 09:00"))
    assert only_text(ward.send(AN, "/huy", at=at("2024-09-16 12:01"))) == wording.NOTHING_TO_UNDO
    assert own(ward) == 50


# ---------------------------------------------------------------- 8. the campaign's last day


@pytest.fixture
def ends_wednesday(any_database) -> Dialogue:
    campaign = replace(CAMPAIGN, end=date(2024, 9, 11))
    dialogue = Dialogue(None, make_policy(campaign), at("2024-09-12 09:00"), database=any_database)
    approve(dialogue, AN, "KM")
    return dialogue


def test_nothing_is_booked_after_the_campaigns_last_day(ends_wednesday):
    dialogue = ends_wednesday
    assert "✅" in only_text(dialogue.send(AN, "40", at=at("2024-09-11 23:59")))
    after = only_text(dialogue.send(AN, "5", at=at("2024-09-12 00:01")))
    assert after == wording.campaign_ended(dialogue.policy.campaign)
    dialogue.send(AN, "chào", at=at("2024-09-10 09:00"))
    edited = dialogue.edit(dialogue.last_message_id(), "thêm 9", at=at("2024-09-12 09:00"))
    assert only_text(edited) == wording.campaign_ended(dialogue.policy.campaign)
    assert only_text(dialogue.send(AN, "/huy", at=at("2024-09-12 10:00"))) == (
        wording.campaign_ended(dialogue.policy.campaign)
    )
    assert own(dialogue) == 40


# ---------------------------------------------------------------- 6. implausible figures are held


def test_a_figure_far_above_the_quota_is_held_until_confirmed(ward):
    replies = ward.send(AN, "1.200")
    text = only_text(replies)
    assert text.startswith("❓ Con số «+1.200» cho <b>Phường Khương Mai</b> (KM)")
    assert "cao hơn nhiều so với chỉ tiêu 200 lượt/tuần" in text
    assert [b.label for b in replies[0].buttons] == [wording.BUTTON_CONFIRM, wording.BUTTON_CANCEL]
    assert own(ward) == 0
    # Delivered again while it waits: still one question, nothing booked.
    assert "đang chờ đồng chí xác nhận" in only_text(ward.again(ward.last_message_id()))
    confirmed = only_text(ward.send(AN, "có ạ"))
    assert "✅ Đã ghi nhận «+1.200»" in confirmed and "<b>1.200/200</b>" in confirmed
    assert own(ward) == 1200
    assert only_text(ward.send(AN, "có")) == wording.NOTHING_TO_CONFIRM
    assert own(ward) == 1200


def test_a_held_figure_answered_no_books_nothing(ward):
    ward.send(AN, "tổng 900")
    text = only_text(ward.send(AN, "không"))
    assert "Đã bỏ qua «tổng 900»" in text
    assert own(ward) == 0 and entry_count(ward) == 0


def test_a_held_figure_confirmed_by_button_once(ward):
    replies = ward.send(CHI, "700")  # a cell: counts toward its ward's 200
    assert "chỉ tiêu 200 lượt/tuần" in only_text(replies)
    confirm = replies[0].buttons[0]
    first = ward.press(CHI, confirm.command, confirm.argument, button_message_id="77")
    assert first[0].edit_message_id == "77" and "✅ Đã ghi nhận «+700»" in first[0].text
    again = ward.press(CHI, confirm.command, confirm.argument, button_message_id="77")
    assert "đã được xác nhận" in again[0].text
    # Someone else's press does nothing.
    assert (
        only_text(ward.press(AN, confirm.command, confirm.argument, button_message_id="77"))
        == wording.NOTHING_TO_CONFIRM
    )
    assert own(ward, "KM01") == 700 and rolled(ward, "KM") == 700


def test_a_held_figure_confirmed_after_the_week_closed_is_refused(ward):
    ward.send(AN, "900", at=at("2024-09-15 20:00"))
    text = only_text(ward.send(AN, "có", at=at("2024-09-16 12:30")))
    assert text.startswith("🔒") and own(ward) == 0


def test_a_figure_within_three_times_the_quota_is_booked_at_once(ward):
    assert "✅" in only_text(ward.send(AN, "600"))
    assert own(ward) == 600


# ---------------------------------------------------------------- 4. corrections after a digest


def mark_digested(dialogue: Dialogue, week: Week) -> None:
    def work(store):
        if hasattr(store.job_runs, "claim"):
            slot = at("2024-09-16 13:00")
            run, _ = store.job_runs.claim("weekly-digest", week.iso, slot, slot, timedelta(0))
            store.job_runs.planned(run.id, 0, slot)
        else:
            store.job_runs.done.add(("weekly-digest", week.iso))

    dialogue.query(work)


def test_a_late_report_before_the_cut_off_is_in_the_digest(ward):
    ward.send(AN, "195", at=at("2024-09-13 09:00"))
    ward.send(AN, "5 tuantruoc", at=at("2024-09-16 09:00"))
    ward.send(ADMIN, "/dangkynhan", group=-900)
    slot = at("2024-09-16 13:00")  # the default schedule, after the 12:00 cut-off
    [digest] = ward.query(lambda store: weekly_digests(store, ward.policy, slot, slot))
    assert "• Phường Khương Mai (KM) — 200/200 (100%)" in digest.text


def test_an_admin_amendment_of_a_digested_week_sends_a_correction(ward):
    ward.send(AN, "195", at=at("2024-09-13 09:00"))
    ward.send(ADMIN, "/dangkynhan", group=-900)
    ward.send(ADMIN, "/dangkynhan KT", group=-901)  # another ward's officials: not told
    mark_digested(ward, Week(WEEK_37))
    replies = ward.send(ADMIN, "/bc KM 5 tuantruoc", at=at("2024-09-17 09:00"))
    [correction] = texts_to(replies, -900)
    assert correction.startswith("📝 <b>Đính chính tuần 37 (09/09–15/09/2024)</b>")
    assert "• Phường Khương Mai (KM): 195 → <b>200</b>/200 ✅ đạt" in correction
    assert "• Quận Thanh Xuân (TX): 195 → <b>200</b>" in correction
    assert texts_to(replies, -901) == []
    # KM's secretaries hear of it in their own chats.
    for secretary in (AN, BINH):
        [notice] = texts_to(replies, secretary.user_id)
        assert "Quản trị viên <b>Trần Thị Bình</b>" in notice and "«+5»" in notice
        assert "<b>200/200 (100%)</b>" in notice
    assert own(ward) == 200


def test_an_admin_change_before_any_digest_tells_only_the_units_secretaries(ward):
    ward.send(ADMIN, "/dangkynhan", group=-900)
    replies = ward.send(ADMIN, "/bc KM01 7")
    assert texts_to(replies, -900) == []
    [notice] = texts_to(replies, CHI.user_id)
    assert "đã điều chỉnh số liệu tuần 37 (09/09–15/09/2024)" in notice
    # A secretary's own report tells nobody else.
    assert [r.chat.chat_id for r in ward.send(CHI, "3")] == [CHI.user_id]


# ---------------------------------------------------------------- 9. unit codes vs report words


@pytest.mark.parametrize("code", ["CO", "THI", "TONG", "DA", "LA", "K"])
def test_a_unit_code_that_is_a_report_word_is_refused_when_loaded(code):
    rows = [
        {"code": "TX", "name": "Quận", "kind": "district", "parent": "", "weekly_quota": "0"},
        {"code": code, "name": "Cơ quan", "kind": "agency", "parent": "TX", "weekly_quota": "5"},
    ]
    with pytest.raises(UnitTableError) as raised:
        units_from_rows(rows)
    assert any(f"«{code}»" in p and "từ dùng khi báo cáo" in p for p in raised.value.problems)


def test_the_districts_units_file_has_no_such_code():
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "units.csv"
    with path.open(encoding="utf-8") as handle:
        units = units_from_rows(csv.DictReader(handle))
    by_code = {unit.code: unit for unit in units}
    cells = [u for u in units if u.kind is UnitKind.PARTY_CELL and by_code[u.parent].kind == "ward"]
    assert cells and all(cell.weekly_quota == 0 for cell in cells)
    district_orgs = [
        u
        for u in units
        if u.parent == "TX" and u.kind in (UnitKind.PARTY_CELL, UnitKind.PARTY_COMMITTEE)
    ]
    assert district_orgs and all(u.weekly_quota == 5 for u in district_orgs)
    assert all(u.weekly_quota == 200 for u in units if u.kind is UnitKind.WARD)
