"""Approved secretaries written straight into a database (setting up, not what is tested)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.model.entities import MembershipStatus, Person
from bot.storage.database import Database, make_engine


def approve_secretaries(
    database_url: str, count: int, first_user: int, platform: str = "telegram"
) -> None:
    """`count` secretaries, user ids from `first_user` on, spread over the units with a quota."""
    database = Database(make_engine(database_url))
    now = datetime.now(UTC)

    def work(store) -> None:
        units = [unit for unit in store.units.active() if unit.weekly_quota > 0]
        for index in range(count):
            person = Person(platform, str(first_user + index), f"Thư ký {index}")
            request = store.members.request(person, units[index % len(units)].code, now)
            store.members.decide(request.id, MembershipStatus.APPROVED, person, now)

    database.run(work)
    database.dispose()
