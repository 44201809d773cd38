"""Registration, approval by admins, and binding groups to units."""

from bot.domain import wording
from bot.domain.model.entities import ChatRef, MembershipStatus
from tests.conftest import ADMIN_ID, at, make_policy
from tests.support.dialogue import Dialogue, only_text, person

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
AN = person(1001, "Nguyễn Văn An")
STRANGER = person(4242, "Người lạ")


def statuses(dialogue: Dialogue, user_id: str = AN.user_id):
    return [
        (m.unit_code, m.status) for m in dialogue.store.members.rows if m.person.user_id == user_id
    ]


def test_a_request_reaches_every_admin_with_approve_and_reject_buttons(dialogue):
    dialogue.store.admins.grant("telegram", "901", at("2024-09-01 00:00"))
    replies = dialogue.send(AN, "/dangky km")
    assert replies[0].chat.chat_id == AN.user_id
    expected = "Đã gửi yêu cầu đăng ký làm người báo cáo của <b>Phường Khương Mai</b> (KM)"
    assert expected in replies[0].text
    notices = replies[1:]
    assert sorted(n.chat.chat_id for n in notices) == [ADMIN_ID, "901"]
    for notice in notices:
        assert "<b>Nguyễn Văn An</b> (ID 1001)" in notice.text
        request_id = str(dialogue.store.members.pending("telegram", "1001").id)
        assert [(b.command, b.argument) for b in notice.buttons] == [
            ("approve", request_id),
            ("reject", request_id),
        ]
    assert statuses(dialogue) == [("KM", MembershipStatus.PENDING)]


def test_a_repeated_request_does_not_notify_the_admins_again(dialogue):
    dialogue.send(AN, "/register KM")
    assert only_text(dialogue.send(AN, "/register KM")) == wording.request_still_pending(
        dialogue.store.units.get("KM")
    )


def test_a_new_request_supersedes_the_pending_one(dialogue):
    dialogue.send(AN, "/register KM")
    dialogue.send(AN, "/register KT")
    assert statuses(dialogue) == [
        ("KM", MembershipStatus.SUPERSEDED),
        ("KT", MembershipStatus.PENDING),
    ]


def test_approval_by_command_tells_both_sides(dialogue):
    dialogue.send(AN, "/register KM")
    replies = dialogue.send(ADMIN, "/duyet 1001")
    assert [r.chat.chat_id for r in replies] == [ADMIN_ID, AN.user_id]
    assert "Đã duyệt <b>Nguyễn Văn An</b> (ID 1001)" in replies[0].text
    assert "đồng chí là người báo cáo của <b>Phường Khương Mai</b>" in replies[1].text
    assert statuses(dialogue) == [("KM", MembershipStatus.APPROVED)]
    assert "✅" in only_text(dialogue.send(AN, "45"))


def approve_button(replies):
    notice = next(r for r in replies if r.chat.chat_id == ADMIN_ID)
    return notice.buttons[0]


def test_approval_by_button_edits_the_admins_message(dialogue):
    button = approve_button(dialogue.send(AN, "/register KM"))
    replies = dialogue.press(ADMIN, button.command, button.argument, button_message_id="77")
    assert replies[0].edit_message_id == "77"
    assert replies[0].buttons == ()
    # A second press (another admin, or a double tap) says who decided it, and how.
    again = dialogue.press(ADMIN, button.command, button.argument, button_message_id="77")
    assert "đã được quản trị viên (ID 900) duyệt trước" in again[0].text
    assert again[0].edit_message_id == "77" and again[0].buttons == ()
    assert statuses(dialogue) == [("KM", MembershipStatus.APPROVED)]


def test_an_old_button_never_approves_a_request_made_since(dialogue):
    old = approve_button(dialogue.send(AN, "/register KM02"))
    dialogue.send(AN, "/register DTN")
    replies = dialogue.press(ADMIN, old.command, old.argument, button_message_id="77")
    assert [r.text for r in replies] == [wording.REQUEST_CHANGED]
    assert statuses(dialogue) == [
        ("KM02", MembershipStatus.SUPERSEDED),
        ("DTN", MembershipStatus.PENDING),
    ]
    # The new request's own button (or /duyet) decides the new request.
    assert "Đã duyệt" in dialogue.send(ADMIN, "/duyet 1001")[0].text
    assert statuses(dialogue)[-1] == ("DTN", MembershipStatus.APPROVED)


def test_a_flood_of_requests_notifies_the_admins_a_few_times_only(dialogue):
    for admin in ("901", "902", "903", "904"):
        dialogue.store.admins.grant("telegram", admin, at("2024-09-01 00:00"))
    notices = 0
    for attempt in range(100):
        code = ("KM", "KT", "NC")[attempt % 3]
        replies = dialogue.send(AN, f"/dangky {code}")
        notices += sum(1 for r in replies if r.chat.chat_id != AN.user_id)
    assert notices == 3 * 5  # three requests a day, each to five admins
    assert only_text(dialogue.send(AN, "/dangky KM")) == wording.too_many_requests(3)
    pending = [s for s in statuses(dialogue) if s[1] is MembershipStatus.PENDING]
    assert pending == [("NC", MembershipStatus.PENDING)]
    # The same request repeated never notifies again, and the next day one more is allowed.
    tomorrow = at("2024-09-13 09:00")
    assert (
        sum(1 for r in dialogue.send(AN, "/dangky NC", at=tomorrow) if r.chat.chat_id != AN.user_id)
        == 0
    )
    assert len(dialogue.send(AN, "/dangky KM", at=tomorrow)) == 6


def test_rejection_tells_the_requester_and_grants_nothing(dialogue):
    dialogue.send(AN, "/register KM")
    replies = dialogue.send(ADMIN, "/tuchoi 1001")
    assert "không được duyệt" in replies[1].text
    assert statuses(dialogue) == [("KM", MembershipStatus.REJECTED)]
    assert only_text(dialogue.send(AN, "45")) == wording.NOT_REGISTERED


def test_only_admins_decide(dialogue):
    dialogue.send(AN, "/register KM")
    for command in ("/approve 1001", "/reject 1001", "/duyet 1001"):
        assert only_text(dialogue.send(STRANGER, command)) == wording.NOT_ADMIN, command
    assert statuses(dialogue) == [("KM", MembershipStatus.PENDING)]


def test_decisions_need_a_user_with_a_pending_request(dialogue):
    assert only_text(dialogue.send(ADMIN, "/approve")) == wording.DECIDE_USAGE
    assert only_text(dialogue.send(ADMIN, "/approve 1 2")) == wording.DECIDE_USAGE
    assert only_text(dialogue.send(ADMIN, "/approve 5555")) == wording.no_pending_request("5555")


def test_unknown_or_missing_unit_code(dialogue):
    assert only_text(dialogue.send(AN, "/register")) == wording.REGISTER_USAGE
    assert only_text(dialogue.send(AN, "/register ZZZ")).startswith(
        "Không tìm thấy đơn vị nào có mã hoặc tên «ZZZ»."
    )
    assert "Không tìm thấy" in only_text(dialogue.send(AN, "/register OLD"))
    assert statuses(dialogue) == []


def test_an_admin_registering_is_approved_at_once(dialogue):
    text = only_text(dialogue.send(ADMIN, "/register KT"))
    assert text == wording.admin_registered_directly(dialogue.store.units.get("KT"))
    assert statuses(dialogue, ADMIN_ID) == [("KT", MembershipStatus.APPROVED)]


def test_moving_to_another_unit_takes_effect_on_approval(dialogue):
    dialogue.send(AN, "/register KM")
    dialogue.send(ADMIN, "/approve 1001")
    replies = dialogue.send(AN, "/register KT")
    assert "Hiện đang báo cáo cho: <b>Phường Khương Mai</b>" in replies[1].text
    assert "Phường Khương Mai" in only_text(dialogue.send(AN, "5"))  # still KM until approved
    dialogue.send(ADMIN, "/approve 1001")
    assert "Phường Khương Trung" in only_text(dialogue.send(AN, "5"))
    assert statuses(dialogue) == [
        ("KM", MembershipStatus.SUPERSEDED),
        ("KT", MembershipStatus.APPROVED),
    ]


def test_a_group_bound_to_a_unit_cannot_be_taken_over_by_another_units_secretary(dialogue):
    binh = person(1002, "Lê Văn Bình")
    for who, code in ((AN, "KM"), (binh, "KT")):
        dialogue.send(who, f"/dangky {code}")
        dialogue.send(ADMIN, f"/duyet {who.user_id}")
    dialogue.send(AN, "/dangky KM", group=-500)
    refused = only_text(dialogue.send(binh, "/dangky KT", group=-500))
    assert refused == wording.group_bound_elsewhere(dialogue.store.units.get("KM"))
    assert dialogue.store.chats.unit_of(dialogue_chat(-500)) == "KM"
    assert "Phường Khương Mai" in only_text(dialogue.send(binh, "/tiendo", group=-500))
    # An admin may re-bind it.
    dialogue.send(ADMIN, "/dangky KT", group=-500)
    assert dialogue.store.chats.unit_of(dialogue_chat(-500)) == "KT"


def dialogue_chat(chat_id: int) -> ChatRef:
    return ChatRef("telegram", str(chat_id))


def test_a_secretary_binds_their_group_and_only_to_their_unit(dialogue):
    dialogue.send(AN, "/register KM")
    dialogue.send(ADMIN, "/approve 1001")
    wrong = only_text(dialogue.send(AN, "/register KT", group=-500))
    assert wrong == wording.bind_other_unit(dialogue.store.units.get("KM"))
    group = dialogue.sent[dialogue.last_message_id()].chat
    assert dialogue.store.chats.unit_of(group) is None
    bound = only_text(dialogue.send(AN, "/register KM", group=-500))
    assert bound == wording.group_bound(dialogue.store.units.get("KM"))
    assert dialogue.store.chats.unit_of(group) == "KM"
    status = only_text(dialogue.send(STRANGER, "/tiendo", group=-500))
    assert status.startswith("📊 <b>Phường Khương Mai</b> (KM)")


def test_a_stranger_in_a_group_is_sent_to_the_private_chat(dialogue):
    assert (
        only_text(dialogue.send(STRANGER, "/register KM", group=-500))
        == wording.REGISTER_IN_PRIVATE
    )
    assert statuses(dialogue, STRANGER.user_id) == []


def test_without_any_admin_the_requester_is_told(memory_store):
    dialogue = Dialogue(
        memory_store, make_policy(configured_admins=frozenset()), at("2024-09-12 09:00")
    )
    text = only_text(dialogue.send(AN, "/register KM"))
    assert "Hiện chưa có quản trị viên nào để duyệt" in text


def test_registration_and_the_unit_list_find_units_by_name(dialogue):
    replies = dialogue.send(AN, "/dangky khuong mai")
    assert "Phường Khương Mai</b> (KM)" in replies[0].text
    assert statuses(dialogue) == [("KM", MembershipStatus.PENDING)]
    several = only_text(dialogue.send(STRANGER, "/dangky Chi bộ Tổ dân phố"))
    assert several.startswith("Có 2 đơn vị khớp với «Chi bộ Tổ dân phố»")
    assert "• KM01 — Chi bộ Tổ dân phố số 1" in several
    unknown = only_text(dialogue.send(STRANGER, "/dangky Khuong Maii"))
    assert (
        "Không tìm thấy" in unknown
        and "Có phải đồng chí muốn tìm: Phường Khương Mai (KM)" in unknown
    )
    # /donvi works for everyone, by name too; quotas are for admins.
    listing = only_text(dialogue.send(STRANGER, "/donvi khương"))
    assert "KM — Phường Khương Mai" in listing and "KT — Phường Khương Trung" in listing
    assert "200" not in listing
    assert "KM — Phường Khương Mai — 200" in only_text(dialogue.send(ADMIN, "/donvi"))
