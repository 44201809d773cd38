"""Concurrent deliveries on a real database change the data exactly once ([figures] 7):
the same /huy twice at once, two approvals of one request, two requests from one person,
the same confirmation twice. Real threads, each message its own unit of work."""

from collections.abc import Callable
from itertools import count

import sqlalchemy as sa

from bot.clock import FixedClock
from bot.core import Core
from bot.domain.model.commands import split_command
from bot.domain.model.entities import ChatRef, MembershipStatus, Person
from bot.domain.model.messages import ChatKind, Inbound, Outbound
from bot.storage.schema import MEMBERSHIP
from tests.conftest import ADMIN_ID, at, make_policy, run_together

NOW = at("2024-09-12 09:00")
ADMIN = Person("telegram", ADMIN_ID, "Quản trị")
SECOND_ADMIN = Person("telegram", "901", "Quản trị 2")
TRIALS = 10
_ids = count(1)


def core_for(database) -> Core:
    campaign = database.run(lambda store: store.campaigns.active())
    admins = frozenset({("telegram", ADMIN_ID), ("telegram", SECOND_ADMIN.user_id)})
    return Core(database, make_policy(campaign, configured_admins=admins), FixedClock(NOW))


def message(sender: Person, text: str, message_id: str | None = None) -> Inbound:
    command, args = split_command(text)
    return Inbound(
        sender=sender,
        chat=ChatRef("telegram", sender.user_id),
        chat_kind=ChatKind.PRIVATE,
        sent_at=NOW,
        text=text,
        command=command,
        args=args,
        message_id=message_id or f"m{next(_ids)}",
    )


def live_entries(database, unit="KM") -> int:
    return database.run(
        lambda store: len(
            store.ledger.live_entries(store.campaigns.active().id, unit, NOW.date().replace(day=9))
        )
    )


def handle_together(core: Core, *inbounds: Inbound) -> list[Outbound]:
    """Each inbound message handled in its own thread, all at the same moment."""
    replies: list[Outbound] = []

    def handler(inbound: Inbound) -> Callable[[], None]:
        return lambda: replies.extend(core.handle(inbound))

    run_together([handler(inbound) for inbound in inbounds])
    return replies


def register(core: Core, person: Person, code: str = "KM") -> None:
    core.handle(message(person, f"/dangky {code}"))
    core.handle(message(ADMIN, f"/duyet {person.user_id}"))


def test_the_same_undo_delivered_twice_at_once_voids_one_entry(sql_database):
    core = core_for(sql_database)
    secretary = Person("telegram", "1001", "An")
    register(core, secretary)
    for trial in range(TRIALS):
        core.handle(message(secretary, "5"))
        core.handle(message(secretary, "6"))
        before = live_entries(sql_database)
        undo = message(secretary, "/huy", f"undo-{trial}")
        replies = handle_together(core, undo, undo)
        assert live_entries(sql_database) == before - 1, f"trial {trial}"
        assert sum("Đã hủy báo cáo" in reply.text for reply in replies) == 1


def test_two_approvals_of_one_request_at_once_approve_it_once(sql_database):
    core = core_for(sql_database)
    for trial in range(TRIALS):
        person = Person("telegram", str(5000 + trial), f"Người {trial}")
        core.handle(message(person, "/dangky KM"))
        replies = handle_together(
            core,
            message(ADMIN, f"/duyet {person.user_id}"),
            message(SECOND_ADMIN, f"/duyet {person.user_id}"),
        )
        told = [r for r in replies if r.chat.chat_id == person.user_id]
        assert len(told) == 1, f"trial {trial}: {[r.text for r in replies]}"
        statuses = memberships(sql_database, person)
        assert statuses == [MembershipStatus.APPROVED.value], f"trial {trial}"


def test_two_requests_from_one_person_at_once_leave_one_pending(sql_database):
    core = core_for(sql_database)
    for trial in range(TRIALS):
        person = Person("telegram", str(6000 + trial), f"Người {trial}")
        handle_together(core, message(person, "/dangky KM"), message(person, "/dangky KT"))
        statuses = memberships(sql_database, person)
        assert statuses.count(MembershipStatus.PENDING.value) == 1, f"trial {trial}: {statuses}"


def test_the_same_confirmation_twice_at_once_books_once(sql_database):
    core = core_for(sql_database)
    secretary = Person("telegram", "1001", "An")
    register(core, secretary)
    for trial in range(TRIALS):
        before = live_entries(sql_database)
        core.handle(message(secretary, "900"))  # above 3 × 200: held
        assert live_entries(sql_database) == before
        answer = message(secretary, "có")
        handle_together(core, answer, answer)
        assert live_entries(sql_database) == before + 1, f"trial {trial}"


def memberships(database, person: Person) -> list[str]:
    return database.run(
        lambda store: [
            row.status
            for row in store.connection.execute(
                sa.select(MEMBERSHIP.c.status).where(MEMBERSHIP.c.user_id == person.user_id)
            )
        ]
    )
