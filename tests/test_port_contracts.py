"""Every port the use cases and jobs reach through `Store` has the same methods on the
memory fake as in SQL, and the repositories the other contract files leave out (held
reports, contacts, message counts) behave the same on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
import typing
from datetime import date, timedelta

from bot.domain import ports
from bot.domain.model.entities import (
    ChatRef,
    MessageRef,
    PendingState,
    Person,
    Reading,
    ReportMode,
)
from bot.storage.repositories import SqlStore
from tests.conftest import at
from tests.support.memory_store import MemoryStore

NOW = at("2024-09-12 09:00")
WEEK = date(2024, 9, 9)
AN = Person("telegram", "1001", "Nguyễn Văn An")
PRIVATE = ChatRef("telegram", "1001")


def store_ports() -> dict[str, type]:
    """Each repository the Store protocol names, with the port it is typed as."""
    found = {}
    for name, member in vars(ports.Store).items():
        if isinstance(member, property) and member.fget is not None:
            found[name] = typing.get_type_hints(member.fget, vars(ports))["return"]
    return found


def methods(cls: type) -> dict[str, list[str]]:
    return {
        name: [p for p in inspect.signature(member).parameters if p != "self"]
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


def test_the_memory_fake_and_sql_have_every_method_of_every_port_with_its_parameters():
    found = store_ports()
    assert len(found) >= 18
    drift = []
    for name, port in found.items():
        # SqlStore builds each repository on first use: the class is its return annotation.
        sql = typing.get_type_hints(SqlStore.__dict__[name].func)["return"]
        for cls in (type(getattr(MemoryStore(), name)), sql):
            have = methods(cls)
            for method, parameters in methods(port).items():
                if have.get(method) != parameters:
                    drift.append(f"{cls.__name__}.{method}{have.get(method)} != {parameters}")
    assert drift == []


def test_the_conformance_check_would_catch_a_drift():
    class Port:
        def claim_next(self, chat, at): ...

    class Drifted:
        def claim_next(self, chat): ...

    assert methods(Drifted)["claim_next"] != methods(Port)["claim_next"]


def hold(store, number: int, *, other: Reading | None = None):
    return store.pending_reports.hold(
        source=MessageRef("telegram", "1001", str(number)),
        reporter=AN,
        unit_code="KM",
        week_start=WEEK,
        mode=ReportMode.ADD,
        amount=900,
        sent_at=NOW,
        edited_at=None,
        at=NOW,
        other=other,
    )


def test_held_reports_wait_once_for_their_answer(any_database):
    first = any_database.run(lambda store: hold(store, 1))
    assert first.state is PendingState.WAITING and first.amount == 900
    asked = any_database.run(lambda store: hold(store, 2, other=Reading(ReportMode.SET, 900)))
    assert any_database.run(lambda store: store.pending_reports.get(asked.id)).other == Reading(
        ReportMode.SET, 900
    )
    # the latest still waiting in this chat is the one asked last
    waiting = any_database.run(lambda store: store.pending_reports.waiting(AN, PRIVATE))
    assert waiting.id == asked.id
    assert any_database.run(
        lambda store: store.pending_reports.resolve(asked.id, PendingState.CONFIRMED, NOW)
    )
    # answered once: a second press changes nothing
    assert not any_database.run(
        lambda store: store.pending_reports.resolve(asked.id, PendingState.CANCELLED, NOW)
    )
    assert any_database.run(lambda store: store.pending_reports.get(asked.id)).state is (
        PendingState.CONFIRMED
    )
    waiting = any_database.run(lambda store: store.pending_reports.waiting(AN, PRIVATE))
    assert waiting.id == first.id
    source = MessageRef("telegram", "1001", "2")
    assert any_database.run(lambda store: store.pending_reports.for_source(source)).id == asked.id
    assert any_database.run(lambda store: store.pending_reports.get(999)) is None


def test_contacts_remember_the_private_chat_once(any_database):
    assert any_database.run(lambda store: store.contacts.private_chat("telegram", "55")) is None
    assert any_database.run(lambda store: store.contacts.remember("telegram", "55", "55", NOW))
    later = NOW + timedelta(days=1)
    assert not any_database.run(
        lambda store: store.contacts.remember("telegram", "55", "55", later)
    )
    assert any_database.run(lambda store: store.contacts.private_chat("telegram", "55")) == (
        ChatRef("telegram", "55")
    )
    assert any_database.run(lambda store: store.contacts.private_chat("zalo", "55")) is None


def test_message_counts_add_up_per_platform_and_month(any_database):
    for count in (3, 4):
        any_database.run(
            lambda store, count=count: store.message_counts.add("zalo", "2024-09", count)
        )
    any_database.run(lambda store: store.message_counts.add("zalo", "2024-10", 1))
    assert any_database.run(lambda store: store.message_counts.sent("zalo", "2024-09")) == 7
    assert any_database.run(lambda store: store.message_counts.sent("zalo", "2024-10")) == 1
    assert any_database.run(lambda store: store.message_counts.sent("telegram", "2024-09")) == 0
