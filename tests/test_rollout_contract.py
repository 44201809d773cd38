"""The rollout's repositories, the same tests on the memory fake, SQLite and PostgreSQL:
admin scopes, invitations, announcements, board links, and the ledger's board queries."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.model.entities import (
    AdminGrant,
    Announcement,
    ChatRef,
    Invitation,
    Person,
    ReportMode,
)
from bot.domain.model.views import BoardLink
from tests.conftest import at
from tests.test_storage_contract import AN, NOW, WEEK, append

ADMIN = Person("telegram", "900", "Quản trị")


def test_admin_grants_carry_their_scope(any_database):
    def work(store):
        assert store.admins.grant("telegram", "77", NOW) is True
        assert store.admins.grant("telegram", "78", NOW, "KM") is True
        assert store.admins.grant("telegram", "78", NOW, "KM") is False
        assert store.admins.grant("telegram", "78", NOW, "KT") is True  # moved
        return store.admins.grants(), store.admins.granted("telegram")

    grants, district = any_database.run(work)
    assert grants == [
        AdminGrant("telegram", "77", None),
        AdminGrant("telegram", "78", "KT"),
    ]
    assert district == ["77"]
    facts = any_database.run(lambda store: store.senders.facts("telegram", "78"))
    assert facts.granted_admin and facts.admin_unit == "KT"
    assert any_database.run(lambda store: store.admins.revoke("telegram", "78")) is True
    facts = any_database.run(lambda store: store.senders.facts("telegram", "78"))
    assert not facts.granted_admin and facts.admin_unit is None


def test_invitations_are_taken_up_to_their_uses_and_revoked_once(any_database):
    invitation = Invitation("AB12CD34", "KM", 2, 0, NOW + timedelta(days=1), ADMIN, NOW)
    any_database.run(lambda store: store.invitations.create(invitation))
    taken = [
        any_database.run(lambda store: store.invitations.take("AB12CD34", NOW)) for _ in range(3)
    ]
    assert taken == [True, True, False]
    later = NOW + timedelta(days=2)
    other = Invitation("EF56GH78", "KT", 5, 0, NOW + timedelta(days=1), ADMIN, NOW)
    any_database.run(lambda store: store.invitations.create(other))
    assert any_database.run(lambda store: store.invitations.take("EF56GH78", later)) is False
    assert any_database.run(lambda store: store.invitations.revoke("EF56GH78", NOW)) is True
    assert any_database.run(lambda store: store.invitations.revoke("EF56GH78", NOW)) is False
    assert any_database.run(lambda store: store.invitations.take("EF56GH78", NOW)) is False
    found = any_database.run(lambda store: store.invitations.get("EF56GH78"))
    assert found.refusal(NOW) == "revoked" and found.used == 0
    assert any_database.run(lambda store: store.invitations.get("AB12CD34")).used == 2
    any_database.run(
        lambda store: store.invitations.record_use("AB12CD34", AN, ChatRef("telegram", "1001"), NOW)
    )


def test_announcements_are_pending_until_planned(any_database):
    first = Announcement(0, "KM", "Họp lúc 8 giờ", ADMIN, NOW, "file-1", "anh.jpg", "photo")
    second = Announcement(0, None, "Toàn quận", ADMIN, NOW)
    ids = [
        any_database.run(lambda store, a=a: store.announcements.create(a)) for a in (first, second)
    ]
    assert any_database.run(lambda store: store.announcements.pending()) == ids
    any_database.run(lambda store: store.announcements.mark_planned(ids[0], NOW))
    assert any_database.run(lambda store: store.announcements.pending()) == ids[1:]
    got = any_database.run(lambda store: store.announcements.get(ids[0]))
    assert (got.scope, got.text, got.file_id, got.file_kind) == (
        "KM",
        "Họp lúc 8 giờ",
        "file-1",
        "photo",
    )
    assert got.by.key == ADMIN.key


def test_board_links_expire_and_are_revoked_per_person(any_database):
    mine = BoardLink("a" * 64, ADMIN, None, NOW, NOW + timedelta(days=7))
    also = BoardLink("b" * 64, ADMIN, "KM", NOW, NOW + timedelta(days=7))
    theirs = BoardLink("c" * 64, AN, "KM", NOW, NOW + timedelta(days=7))
    for link in (mine, also, theirs):
        any_database.run(lambda store, link=link: store.board_links.create(link))
    got = any_database.run(lambda store: store.board_links.get("b" * 64))
    assert (got.scope, got.person.key, got.usable(NOW)) == ("KM", ADMIN.key, True)
    assert not got.usable(NOW + timedelta(days=8))
    assert any_database.run(lambda store: store.board_links.revoke_all(ADMIN, NOW)) == 2
    assert any_database.run(lambda store: store.board_links.revoke_all(ADMIN, NOW)) == 0
    assert not any_database.run(lambda store: store.board_links.get("a" * 64)).usable(NOW)
    assert any_database.run(lambda store: store.board_links.get("c" * 64)).usable(NOW)
    assert any_database.run(lambda store: store.board_links.get("d" * 64)) is None


def test_the_ledgers_board_queries(any_database):
    def work(store):
        append(store, 1, 30)  # Thursday of the week
        append(store, 2, 5, sent_at=at("2024-09-16 08:00"))  # «tuantruoc», after the week
        append(store, 3, 7, unit="KT", sent_at=at("2024-09-16 09:00"))
        return store.ledger.week_records(1, "KM", WEEK)

    records = any_database.run(work)
    assert [(r[3], r[4], r[6]) for r in records] == [
        (ReportMode.ADD.value, 30, False),
        (ReportMode.ADD.value, 5, False),
    ]
    assert records[0][1].key == AN.key
    end_of_week = at("2024-09-16 00:00")
    on_time = any_database.run(lambda store: store.ledger.reported_before(1, WEEK, end_of_week))
    assert on_time == {"KM"}
