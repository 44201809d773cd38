"""The same repository tests on the memory fake, SQLite and PostgreSQL."""

from datetime import UTC, date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.domain.model.entities import (
    ChatRef,
    MembershipStatus,
    MessageRef,
    Person,
    ReportMode,
    Unit,
    UnitKind,
)
from bot.domain.model.ledger import changed_effects
from tests.conftest import at
from tests.support.memory_store import DuplicateSource

NOW = at("2024-09-12 09:00")
WEEK = date(2024, 9, 9)
NEXT_WEEK = date(2024, 9, 16)
AN = Person("telegram", "1001", "Nguyễn Văn An")
BINH = Person("telegram", "1002", "Lê Bình")


def source(number: int, chat: str = "1001") -> MessageRef:
    return MessageRef("telegram", chat, str(number))


def append(
    store,
    number,
    requested,
    *,
    unit="KM",
    week=WEEK,
    reporter=AN,
    mode=ReportMode.ADD,
    chat="1001",
    sent_at=NOW,
):
    """Append an entry and re-fold its unit's week, as the reporting use case does."""
    campaign = store.campaigns.active()
    entry = store.ledger.append(
        campaign_id=campaign.id,
        unit_code=unit,
        week_start=week,
        mode=mode,
        requested=requested,
        reporter=reporter,
        source=source(number, chat),
        sent_at=sent_at,
        recorded_at=NOW,
    )
    refold(store, unit, week)
    return entry


def refold(store, unit="KM", week=WEEK):
    campaign = store.campaigns.active()
    _, effects = changed_effects(store.ledger.live_entries(campaign.id, unit, week))
    store.ledger.set_effects(effects)


def campaign_id(database) -> int:
    return database.run(lambda store: store.campaigns.active().id)


def own(database, unit="KM", week=WEEK) -> int:
    cid = campaign_id(database)
    return database.run(lambda store: store.ledger.own_total(cid, unit, week))


def test_append_find_and_total(any_database):
    entry = any_database.run(lambda store: append(store, 1, 45))
    any_database.run(lambda store: append(store, 2, 20))
    any_database.run(lambda store: append(store, 3, 7, week=NEXT_WEEK))
    any_database.run(lambda store: append(store, 4, 9, unit="KT"))
    found = any_database.run(lambda store: store.ledger.entry_for(source(1)))
    assert found.id == entry.id and found.requested == 45 and found.effect == 45
    assert found.mode is ReportMode.ADD and found.reporter == AN
    assert found.sent_at == NOW and found.sent_at.tzinfo is not None
    assert any_database.run(lambda store: store.ledger.entry_for(source(99))) is None
    assert own(any_database) == 65
    assert own(any_database, week=NEXT_WEEK) == 7
    assert own(any_database, "NC") == 0


def test_live_entries_come_in_sending_order_and_effects_make_the_fold(any_database):
    # Delivered out of order: the total sent last is still the total.
    any_database.run(lambda store: append(store, 1, 10, mode=ReportMode.SET, sent_at=NOW))
    any_database.run(lambda store: append(store, 2, 3, sent_at=NOW - timedelta(minutes=5)))
    any_database.run(lambda store: append(store, 3, 2, sent_at=NOW + timedelta(minutes=5)))
    cid = campaign_id(any_database)
    live = any_database.run(lambda store: store.ledger.live_entries(cid, "KM", WEEK))
    assert [e.source.message_id for e in live] == ["2", "1", "3"]
    assert [e.effect for e in live] == [3, 7, 2]
    assert own(any_database) == 12


def test_the_same_source_cannot_be_appended_twice(any_database):
    any_database.run(lambda store: append(store, 1, 45))
    with pytest.raises((IntegrityError, DuplicateSource)):
        any_database.run(lambda store: append(store, 1, 45))
    assert own(any_database) == 45


def test_void_and_last_live_entry(any_database):
    first = any_database.run(lambda store: append(store, 1, 45))
    second = any_database.run(lambda store: append(store, 2, 20))
    any_database.run(lambda store: append(store, 3, 5, reporter=BINH, chat="1002"))
    cid = campaign_id(any_database)
    last = any_database.run(lambda store: store.ledger.last_live_entry(cid, AN, [WEEK]))
    assert last.id == second.id

    def void_second(store):
        store.ledger.void(second, AN, NOW, source(9))
        refold(store)

    any_database.run(void_second)
    assert own(any_database) == 50
    assert (
        any_database.run(lambda store: store.ledger.last_live_entry(cid, AN, [WEEK])).id == first.id
    )
    assert (
        any_database.run(lambda store: store.ledger.last_live_entry(cid, AN, [NEXT_WEEK])) is None
    )
    assert any_database.run(lambda store: store.ledger.entry_for(source(2))).void is True


def test_revise_keeps_the_entry_and_records_the_edit_time(any_database):
    entry = any_database.run(lambda store: append(store, 1, 45))
    edited_at = NOW + timedelta(minutes=5)

    def revise(store):
        revised = store.ledger.revise(
            entry, mode=ReportMode.SET, requested=50, by=AN, at=edited_at, edited_at=edited_at
        )
        refold(store)
        return revised

    revised = any_database.run(revise)
    assert (revised.id, revised.mode, revised.requested) == (entry.id, ReportMode.SET, 50)
    assert revised.edited_at == edited_at
    assert revised.edited_at.astimezone(UTC) == edited_at.astimezone(UTC)
    assert own(any_database) == 50


def test_week_totals_roll_up_through_the_unit_tree(any_database):
    any_database.run(lambda store: append(store, 1, 45))
    any_database.run(lambda store: append(store, 2, 40, mode=ReportMode.SET))
    voided = any_database.run(lambda store: append(store, 3, 100))

    def void(store):
        store.ledger.void(voided, AN, NOW, None)
        refold(store)

    any_database.run(void)
    any_database.run(lambda store: append(store, 4, 3, unit="KM01"))
    any_database.run(lambda store: append(store, 5, 8, week=NEXT_WEEK))
    any_database.run(lambda store: append(store, 6, 6, unit="DBCA"))
    cid = campaign_id(any_database)
    rows = any_database.run(lambda store: store.ledger.week_totals(cid, WEEK, None))
    by_code = {
        row.unit.code: (
            row.figure.total,
            row.figure.own,
            row.figure.entries,
            row.figure.reporting_sub_units,
        )
        for row in rows
    }
    assert by_code == {
        "TX": (49, 0, 4, 3),
        "KM": (43, 40, 3, 1),
        "KT": (0, 0, 0, 0),
        "NC": (0, 0, 0, 0),
        "DTN": (0, 0, 0, 0),
        "MTTQ": (0, 0, 0, 0),
        "DBCA": (6, 6, 1, 0),
        "KM01": (3, 3, 1, 0),
        "KM02": (0, 0, 0, 0),
    }
    some = any_database.run(lambda store: store.ledger.week_totals(cid, WEEK, ["KM", "KT", "OLD"]))
    assert sorted((row.unit.code, row.total) for row in some) == [("KM", 43), ("KT", 0)]


def test_memberships(any_database):
    request = any_database.run(lambda store: store.members.request(AN, "KM", NOW))
    assert request.status is MembershipStatus.PENDING
    assert (
        any_database.run(lambda store: store.members.pending("telegram", "1001")).id == request.id
    )
    assert any_database.run(lambda store: store.members.approved("telegram", "1001")) is None
    admin = Person("telegram", "900", "Admin")
    any_database.run(
        lambda store: store.members.decide(request.id, MembershipStatus.APPROVED, admin, NOW)
    )
    approved = any_database.run(lambda store: store.members.approved("telegram", "1001"))
    assert approved.unit_code == "KM" and approved.person == AN
    assert any_database.run(lambda store: store.members.pending("telegram", "1001")) is None
    assert any_database.run(lambda store: store.members.approved("zalo", "1001")) is None
    unit = any_database.run(lambda store: store.members.reporting_unit("telegram", "1001"))
    assert unit is not None and unit.code == "KM"
    assert any_database.run(lambda store: store.members.reporting_unit("telegram", "1002")) is None


def test_chat_bindings(any_database):
    group = ChatRef("telegram", "-500")
    assert any_database.run(lambda store: store.chats.unit_of(group)) is None
    any_database.run(lambda store: store.chats.bind(group, "KM", AN, NOW))
    any_database.run(lambda store: store.chats.bind(group, "KT", AN, NOW))
    assert any_database.run(lambda store: store.chats.unit_of(group)) == "KT"
    assert any_database.run(lambda store: store.chats.unit_of(ChatRef("zalo", "-500"))) is None


def test_admin_grants(any_database):
    assert any_database.run(lambda store: store.admins.grant("telegram", "77", NOW)) is True
    assert any_database.run(lambda store: store.admins.grant("telegram", "77", NOW)) is False
    assert any_database.run(lambda store: store.admins.is_admin("telegram", "77")) is True
    assert any_database.run(lambda store: store.admins.granted("telegram")) == ["77"]
    assert any_database.run(lambda store: store.admins.revoke("telegram", "77")) is True
    assert any_database.run(lambda store: store.admins.is_admin("telegram", "77")) is False


def test_inbox_remembers_handled_messages(any_database):
    assert any_database.run(lambda store: store.inbox.first_time(source(5), "undo", NOW)) is True
    assert any_database.run(lambda store: store.inbox.first_time(source(5), "undo", NOW)) is False
    assert (
        any_database.run(lambda store: store.inbox.first_time(source(5, "-9"), "undo", NOW)) is True
    )


def test_units_upsert_and_children(any_database):
    new = Unit("KM03", "Chi bộ số 3", UnitKind.PARTY_CELL, "KM", 5)
    assert any_database.run(lambda store: store.units.upsert(new)) == "added"
    assert any_database.run(lambda store: store.units.upsert(new)) == "unchanged"
    renamed = Unit("KM03", "Chi bộ Tổ dân phố số 3", UnitKind.PARTY_CELL, "KM", 5)
    assert any_database.run(lambda store: store.units.upsert(renamed)) == "updated"
    assert any_database.run(lambda store: store.units.get("KM03")) == renamed
    children = any_database.run(lambda store: store.units.children("KM"))
    assert sorted(u.code for u in children) == ["KM01", "KM02", "KM03"]
    roots = any_database.run(lambda store: store.units.children(None))
    assert [u.code for u in roots] == ["TX"]
    assert "OLD" not in [u.code for u in any_database.run(lambda store: store.units.active())]


def test_campaigns_keep_their_history(any_database):
    first = any_database.run(lambda store: store.campaigns.active())
    second = any_database.run(
        lambda store: store.campaigns.activate("Đợt 2", date(2025, 1, 6), None, "lượt dự thi")
    )
    assert second.id != first.id
    assert any_database.run(lambda store: store.campaigns.active()) == second
    names = [c.name for c in any_database.run(lambda store: store.campaigns.all())]
    assert names == [first.name, "Đợt 2"]
    again = any_database.run(
        lambda store: store.campaigns.activate(
            first.name, first.start, date(2025, 1, 31), first.metric
        )
    )
    assert again.id == first.id and again.end == date(2025, 1, 31)


def test_unit_chats_are_bound_groups_and_secretaries_private_chats_minus_gone(any_database):
    admin = Person("telegram", "900", "Admin")

    def setup(store):
        for who, code in ((AN, "KM"), (BINH, "KT")):
            request = store.members.request(who, code, NOW)
            store.members.decide(request.id, MembershipStatus.APPROVED, admin, NOW)
        store.chats.bind(ChatRef("telegram", "-500"), "KM", AN, NOW)

    any_database.run(setup)
    chats = any_database.run(lambda store: store.chats.unit_chats(["KM", "KT", "NC"]))
    assert chats == {
        "KM": [ChatRef("telegram", "-500"), ChatRef("telegram", "1001")],
        "KT": [ChatRef("telegram", "1002")],
    }
    any_database.run(lambda store: store.chats.mark_gone(ChatRef("telegram", "1001"), "x", NOW))
    assert any_database.run(lambda store: store.chats.unit_chats(None))["KM"] == [
        ChatRef("telegram", "-500")
    ]
    any_database.run(lambda store: store.chats.mark_reachable(ChatRef("telegram", "1001"), NOW))
    assert len(any_database.run(lambda store: store.chats.unit_chats(["KM"]))["KM"]) == 2
    groups = any_database.run(lambda store: store.chats.unit_groups(["KM", "KT"]))
    assert groups == {"KM": [ChatRef("telegram", "-500")]}


def test_a_migrated_group_keeps_its_binding_and_subscription(any_database):
    old, new = ChatRef("telegram", "-500"), ChatRef("telegram", "-100500")
    any_database.run(lambda store: store.chats.bind(old, "KM", AN, NOW))
    any_database.run(lambda store: store.subscriptions.subscribe(old, "KM", AN, NOW))
    any_database.run(lambda store: store.chats.migrate(old, new, NOW))
    assert any_database.run(lambda store: store.chats.unit_of(new)) == "KM"
    assert any_database.run(lambda store: store.chats.unit_of(old)) is None
    assert any_database.run(lambda store: store.subscriptions.of(new)).scope == "KM"
    assert any_database.run(lambda store: store.subscriptions.of(old)) is None


def test_subscriptions(any_database):
    group = ChatRef("telegram", "-900")
    any_database.run(lambda store: store.subscriptions.subscribe(group, None, AN, NOW))
    any_database.run(lambda store: store.subscriptions.subscribe(group, "KM", AN, NOW))
    assert [s.scope for s in any_database.run(lambda store: store.subscriptions.active())] == ["KM"]
    any_database.run(lambda store: store.chats.mark_gone(group, "kicked", NOW))
    assert any_database.run(lambda store: store.subscriptions.active()) == []
    assert any_database.run(lambda store: store.subscriptions.unsubscribe(group)) is True
    assert any_database.run(lambda store: store.subscriptions.unsubscribe(group)) is False
    assert any_database.run(lambda store: store.subscriptions.of(group)) is None


def test_submissions_replace_but_keep_history(any_database):
    cid = campaign_id(any_database)

    def save(text, unit="KM", month="2024-09", number=1):
        return lambda store: store.submissions.save(
            campaign_id=cid,
            unit_code=unit,
            month=month,
            text=text,
            file_id=None,
            file_name=None,
            submitter=AN,
            source=source(number),
            at=NOW,
        )

    any_database.run(save("first", number=1))
    any_database.run(save("second", number=2))
    any_database.run(save("KT", unit="KT", number=3))
    any_database.run(save("October", month="2024-10", number=4))
    current = any_database.run(lambda store: store.submissions.current(cid, "KM", "2024-09"))
    assert current.text == "second" and current.submitted_at == NOW
    month = any_database.run(lambda store: store.submissions.for_month(cid, "2024-09"))
    assert sorted((s.unit_code, s.text) for s in month) == [("KM", "second"), ("KT", "KT")]


def test_totals_by_week_roll_up(any_database):
    any_database.run(lambda store: append(store, 1, 45))
    any_database.run(lambda store: append(store, 2, 5, unit="KM02"))
    any_database.run(lambda store: append(store, 3, 7, week=NEXT_WEEK))
    voided = any_database.run(lambda store: append(store, 4, 100, unit="KT"))

    def void(store):
        store.ledger.void(voided, AN, NOW, None)
        refold(store, "KT")

    any_database.run(void)
    cid = campaign_id(any_database)
    both = any_database.run(lambda store: store.ledger.totals_by_week(cid, [WEEK, NEXT_WEEK], None))
    assert {key: (f.total, f.own, f.entries) for key, f in both.items()} == {
        ("TX", WEEK): (50, 0, 2),
        ("KM", WEEK): (50, 45, 2),
        ("KM02", WEEK): (5, 5, 1),
        ("TX", NEXT_WEEK): (7, 0, 1),
        ("KM", NEXT_WEEK): (7, 7, 1),
    }
    only_kt = any_database.run(lambda store: store.ledger.totals_by_week(cid, [WEEK], ["KT"]))
    assert only_kt == {}
    only_km = any_database.run(lambda store: store.ledger.totals_by_week(cid, [WEEK], ["KM"]))
    assert {key: f.total for key, f in only_km.items()} == {("KM", WEEK): 50}
    assert any_database.run(lambda store: store.ledger.totals_by_week(cid, [], None)) == {}
