"""Invitations: /moi makes a code; whoever uses it becomes a secretary at once (in a group:
binds the group); a used-up, expired or revoked code is refused with the reason and changes
nothing (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain import wording
from bot.domain.usecases.invitations import CODE_ALPHABET, looks_like_code, new_code
from tests.conftest import ADMIN_ID, at
from tests.support.dialogue import Dialogue, person

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
WARD_ADMIN = person(1500, "Đỗ Thị Hoa")
PEOPLE = [person(2000 + n, f"Bí thư {n}") for n in range(5)]
CREATED = at("2024-09-03 08:00")


def code_in(text: str) -> str:
    found = re.search(r"Mã mời cho .*?: <b>([A-Z0-9]{8})</b>", text)
    assert found, text
    return found.group(1)


@pytest.fixture
def invited(db_dialogue: Dialogue) -> tuple[Dialogue, str]:
    db_dialogue.policy = replace(db_dialogue.policy, telegram_username="quizbot_tx_bot")
    [reply] = db_dialogue.send(ADMIN, "/moi km01", at=CREATED)
    return db_dialogue, code_in(reply.text)


def secretaries(dialogue: Dialogue, code: str) -> list[str]:
    found = dialogue.query(lambda store: store.members.secretaries([code]))
    return [p.user_id for p in found.get(code, [])]


def test_the_answer_gives_the_link_the_code_and_the_zalo_line(invited):
    dialogue, code = invited
    text = dialogue.query(lambda store: store.invitations.get(code))
    assert text is not None and text.max_uses == 3 and text.unit_code == "KM01"
    assert text.expires_at == CREATED + timedelta(days=30)
    [reply] = dialogue.send(ADMIN, "/moi KM 5", at=CREATED)
    assert f"https://t.me/quizbot_tx_bot?start={code_in(reply.text)}" in reply.text
    assert f"Zalo: gửi /dangky {code_in(reply.text)} cho bot." in reply.text
    assert "Dùng được cho 5 người, đến 08:00 thứ Năm, 03/10/2024" in reply.text


def test_three_people_join_the_fourth_is_refused_and_nothing_changes(invited):
    dialogue, code = invited
    for n, who in enumerate(PEOPLE[:3]):
        replies = dialogue.send(who, f"/start {code}", at=CREATED + timedelta(hours=n + 1))
        assert replies[0].chat.chat_id == who.user_id
        assert "Đồng chí đã là người báo cáo của <b>Chi bộ Tổ dân phố số 1</b>" in replies[0].text
        # The admins of the unit's scope are told who joined, through which invitation.
        [told] = [r for r in replies if r.chat.chat_id == ADMIN_ID]
        assert f"mã mời {code} ({n + 1}/3)" in told.text and who.display_name in told.text
    [refused] = dialogue.send(PEOPLE[3], f"/dangky {code}", at=CREATED + timedelta(hours=5))
    assert refused.text == wording.invitation_refused(
        code, "used_up", dialogue.query(lambda s: s.invitations.get(code)), dialogue.policy.tz
    )
    assert "đã được dùng đủ 3 lượt" in refused.text
    assert secretaries(dialogue, "KM01") == [p.user_id for p in PEOPLE[:3]]
    # The first one reports at once, with no approval.
    assert "✅" in dialogue.send(PEOPLE[0], "/bc 7", at=at("2024-09-04 08:00"))[0].text
    # Using it again changes nothing and uses nothing.
    again = dialogue.send(PEOPLE[0], f"/dangky {code}", at=at("2024-09-04 09:00"))
    assert again[0].text == wording.already_secretary(dialogue.query(lambda s: s.units.get("KM01")))
    assert dialogue.query(lambda s: s.invitations.get(code)).used == 3


def test_an_expired_or_revoked_code_is_refused_with_its_reason(invited):
    dialogue, code = invited
    late = CREATED + timedelta(days=30, minutes=1)
    [expired] = dialogue.send(PEOPLE[0], f"/dangky {code}", at=late)
    assert f"Mã mời «{code}» đã hết hạn từ 08:00 thứ Năm, 03/10/2024" in expired.text
    assert secretaries(dialogue, "KM01") == []
    [reply] = dialogue.send(ADMIN, "/moi KM01 2", at=CREATED)
    second = code_in(reply.text)
    [revoked] = dialogue.send(ADMIN, f"/huymoi {second.lower()}", at=CREATED)
    assert "Đã hủy mã mời" in revoked.text
    [refused] = dialogue.send(PEOPLE[1], f"/start {second}", at=CREATED + timedelta(hours=1))
    assert "đã bị hủy" in refused.text
    assert secretaries(dialogue, "KM01") == []
    [unknown] = dialogue.send(PEOPLE[1], "/dangky ZZZZ9999", at=CREATED)
    assert unknown.text == wording.invitation_unknown("ZZZZ9999")


def test_in_a_group_the_code_binds_the_group(invited):
    dialogue, code = invited
    replies = dialogue.send(PEOPLE[0], f"/dangky {code}", group=-4000, at=CREATED)
    assert replies[0].text == wording.group_bound(dialogue.query(lambda s: s.units.get("KM01")))
    assert dialogue.query(lambda s: s.chats.unit_of(replies[0].chat)) == "KM01"
    assert any("đã gắn nhóm -4000" in r.text for r in replies if r.chat.chat_id == ADMIN_ID)
    # The group is now KM01's: a unit with a bound group has a reporter.
    assert secretaries(dialogue, "KM01") == []


def test_a_person_who_joins_leaves_a_pending_request_and_an_old_unit_behind(invited):
    dialogue, code = invited
    dialogue.send(PEOPLE[0], "/dangky KT", at=CREATED)
    dialogue.send(PEOPLE[0], f"/dangky {code}", at=CREATED + timedelta(minutes=5))

    def states(store):
        approved = store.members.approved("telegram", PEOPLE[0].user_id)
        pending = store.members.pending("telegram", PEOPLE[0].user_id)
        return (approved.unit_code if approved else None, pending)

    assert dialogue.query(states) == ("KM01", None)


def test_only_admins_invite_and_a_ward_admin_only_inside_its_ward(invited):
    dialogue, _ = invited
    assert dialogue.send(PEOPLE[0], "/moi KM01")[0].text == wording.NOT_ADMIN
    dialogue.send(ADMIN, "/capquyen 1500 KM")
    assert "Mã mời cho Chi bộ Tổ dân phố số 2" in dialogue.send(WARD_ADMIN, "/moi KM02")[0].text
    assert "không thuộc phạm vi quản trị" in dialogue.send(WARD_ADMIN, "/moi KT")[0].text
    assert dialogue.send(ADMIN, "/moi KM01 0")[0].text == wording.invite_bad_uses(100)
    assert dialogue.send(ADMIN, "/moi")[0].text == wording.INVITE_USAGE


def test_people_taking_the_last_uses_at_once_never_pass_the_limit(sql_database):
    """The use is counted by one conditional update: 6 at once for 2 uses, 2 get in."""
    from bot.domain.model.entities import Invitation
    from tests.conftest import run_together, seed

    seed(sql_database)
    invitation = Invitation("AB12CD34", "KM", 2, 0, CREATED + timedelta(days=1), ADMIN, CREATED)
    sql_database.run(lambda store: store.invitations.create(invitation))
    taken: list[bool] = []

    def take() -> None:
        taken.append(sql_database.run(lambda store: store.invitations.take("AB12CD34", CREATED)))

    run_together([take] * 6)
    assert sorted(taken) == [False] * 4 + [True] * 2
    assert sql_database.run(lambda store: store.invitations.get("AB12CD34")).used == 2


def test_codes_are_readable_and_never_a_unit_name():
    for _ in range(200):
        code = new_code()
        assert looks_like_code(code) and set(code) <= set(CODE_ALPHABET)
    assert not looks_like_code("KHUONGMA")  # a word, no digit: read as a unit's name
