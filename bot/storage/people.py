"""People and their roles: memberships (secretaries), granted admins, contacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model.entities import (
    AdminGrant,
    ChatRef,
    Membership,
    MembershipStatus,
    MessageRef,
    Person,
    SenderFacts,
    Unit,
)
from bot.storage.schema import (
    CONTACT,
    MAX_CODES_IN_QUERY,
    MEMBERSHIP,
    UNIT,
    _param,
    insert_if_absent,
    new_id,
    table_of,
    unit_from_row,
)
from bot.storage.tables import (
    AdminGrantRow,
    ReportEntryRow,
)

ADMIN = table_of(AdminGrantRow)
ENTRY = table_of(ReportEntryRow)
IS_ADMIN = sa.select(ADMIN.c.user_id).where(
    ADMIN.c.platform == _param("platform"), ADMIN.c.user_id == _param("user_id")
)
LATEST_MEMBERSHIP = (
    sa.select(MEMBERSHIP)
    .where(
        MEMBERSHIP.c.platform == _param("platform"),
        MEMBERSHIP.c.user_id == _param("user_id"),
        MEMBERSHIP.c.status == _param("status"),
    )
    .order_by(MEMBERSHIP.c.id.desc())
    .limit(1)
)
REPORTING_UNIT = (
    sa.select(UNIT)
    .join(MEMBERSHIP, MEMBERSHIP.c.unit_code == UNIT.c.code)
    .where(
        MEMBERSHIP.c.platform == _param("platform"),
        MEMBERSHIP.c.user_id == _param("user_id"),
        MEMBERSHIP.c.status == MembershipStatus.APPROVED.value,
    )
    .order_by(MEMBERSHIP.c.id.desc())
    .limit(1)
)
# A transaction-scoped advisory lock per person (released at commit or rollback, so a
# connection pool never keeps it); the first key keeps these apart from other locks.
PERSON_LOCK_SPACE = 7301
LOCK_PERSON = sa.select(
    sa.func.pg_advisory_xact_lock(PERSON_LOCK_SPACE, sa.func.hashtext(_param("person")))
)


def _membership(row: Row[Any]) -> Membership:
    return Membership(
        id=row.id,
        person=Person(row.platform, row.user_id, row.display_name),
        unit_code=row.unit_code,
        status=MembershipStatus(row.status),
        requested_at=row.requested_at,
        decided_by=row.decided_by,
    )


class SqlMembers:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _latest(self, platform: str, user_id: str, status: MembershipStatus) -> Membership | None:
        row = self.connection.execute(
            LATEST_MEMBERSHIP, {"platform": platform, "user_id": user_id, "status": status.value}
        ).first()
        return _membership(row) if row else None

    def approved(self, platform: str, user_id: str) -> Membership | None:
        return self._latest(platform, user_id, MembershipStatus.APPROVED)

    def secretaries(self, unit_codes: Sequence[str]) -> dict[str, list[Person]]:
        found: dict[str, list[Person]] = {}
        codes = sorted(set(unit_codes))
        for start in range(0, len(codes), MAX_CODES_IN_QUERY):
            chunk = codes[start : start + MAX_CODES_IN_QUERY]
            rows = self.connection.execute(
                sa.select(
                    MEMBERSHIP.c.unit_code,
                    MEMBERSHIP.c.platform,
                    MEMBERSHIP.c.user_id,
                    MEMBERSHIP.c.display_name,
                )
                .where(
                    MEMBERSHIP.c.status == MembershipStatus.APPROVED.value,
                    MEMBERSHIP.c.unit_code.in_(chunk),
                )
                .order_by(MEMBERSHIP.c.id)
            )
            for row in rows:
                person = Person(row.platform, row.user_id, row.display_name)
                found.setdefault(row.unit_code, []).append(person)
        return found

    def pending(self, platform: str, user_id: str) -> Membership | None:
        return self._latest(platform, user_id, MembershipStatus.PENDING)

    def request(self, person: Person, unit_code: str, at: datetime) -> Membership:
        result = self.connection.execute(
            sa.insert(MEMBERSHIP).values(
                platform=person.platform,
                user_id=person.user_id,
                display_name=person.display_name,
                unit_code=unit_code,
                status=MembershipStatus.PENDING.value,
                requested_at=at,
            )
        )
        return Membership(new_id(result), person, unit_code, MembershipStatus.PENDING, at)

    def decide(
        self, membership_id: int, status: MembershipStatus, by: Person, at: datetime
    ) -> None:
        result = self.connection.execute(
            sa.update(MEMBERSHIP)
            .where(MEMBERSHIP.c.id == membership_id)
            .values(status=status.value, decided_at=at, decided_by=by.user_id)
        )
        if result.rowcount != 1:
            raise LookupError(f"no membership {membership_id}")

    def get(self, membership_id: int) -> Membership | None:
        row = self.connection.execute(
            sa.select(MEMBERSHIP).where(MEMBERSHIP.c.id == membership_id)
        ).first()
        return _membership(row) if row else None

    def requests_since(self, platform: str, user_id: str, since: datetime) -> int:
        count = self.connection.execute(
            sa.select(sa.func.count()).where(
                MEMBERSHIP.c.platform == platform,
                MEMBERSHIP.c.user_id == user_id,
                MEMBERSHIP.c.requested_at >= since,
            )
        ).scalar_one()
        return int(count)

    def decide_pending(
        self, membership_id: int, status: MembershipStatus, by: Person, at: datetime
    ) -> bool:
        result = self.connection.execute(
            sa.update(MEMBERSHIP)
            .where(
                MEMBERSHIP.c.id == membership_id,
                MEMBERSHIP.c.status == MembershipStatus.PENDING.value,
            )
            .values(status=status.value, decided_at=at, decided_by=by.user_id)
        )
        return result.rowcount == 1

    def lock_person(self, platform: str, user_id: str) -> None:
        # SQLite needs none: BEGIN IMMEDIATE already holds the database's only write lock.
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(LOCK_PERSON, {"person": f"{platform}:{user_id}"})

    def reporting_unit(self, platform: str, user_id: str) -> Unit | None:
        row = self.connection.execute(
            REPORTING_UNIT, {"platform": platform, "user_id": user_id}
        ).first()
        return unit_from_row(row) if row else None


class SqlAdmins:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _key(self, platform: str, user_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(ADMIN.c.platform == platform, ADMIN.c.user_id == user_id)

    def is_admin(self, platform: str, user_id: str) -> bool:
        found = self.connection.execute(IS_ADMIN, {"platform": platform, "user_id": user_id})
        return found.first() is not None

    def granted(self, platform: str) -> list[str]:
        query = sa.select(ADMIN.c.user_id).where(
            ADMIN.c.platform == platform, ADMIN.c.unit_code.is_(None)
        )
        return [row.user_id for row in self.connection.execute(query)]

    def grants(self) -> list[AdminGrant]:
        query = sa.select(ADMIN).order_by(ADMIN.c.platform, ADMIN.c.user_id)
        return [
            AdminGrant(row.platform, row.user_id, row.unit_code)
            for row in self.connection.execute(query)
        ]

    def grant(
        self, platform: str, user_id: str, at: datetime, unit_code: str | None = None
    ) -> bool:
        current = self.connection.execute(
            sa.select(ADMIN.c.unit_code).where(self._key(platform, user_id))
        ).first()
        if current is not None:
            if current.unit_code == unit_code:
                return False
            self.connection.execute(
                sa.update(ADMIN)
                .where(self._key(platform, user_id))
                .values(unit_code=unit_code, granted_at=at)
            )
            return True
        self.connection.execute(
            sa.insert(ADMIN).values(
                platform=platform, user_id=user_id, granted_at=at, unit_code=unit_code
            )
        )
        return True

    def revoke(self, platform: str, user_id: str) -> bool:
        result = self.connection.execute(sa.delete(ADMIN).where(self._key(platform, user_id)))
        return result.rowcount > 0


def _sender_facts_query() -> sa.Select[Any]:
    """The sender's reporting unit (outer-joined to one row, so that a stranger gets a row
    too), their admin grant and their private chat."""
    unit = REPORTING_UNIT.subquery("reporting_unit")
    granted = sa.exists(IS_ADMIN).label("granted_admin")
    admin_unit = (
        sa.select(ADMIN.c.unit_code)
        .where(ADMIN.c.platform == _param("platform"), ADMIN.c.user_id == _param("user_id"))
        .scalar_subquery()
        .label("admin_unit")
    )
    private_chat = (
        sa.select(CONTACT.c.chat_id)
        .where(CONTACT.c.platform == _param("platform"), CONTACT.c.user_id == _param("user_id"))
        .scalar_subquery()
        .label("private_chat")
    )
    recorded = sa.exists(
        sa.select(ENTRY.c.id).where(
            ENTRY.c.source_platform == _param("platform"),
            ENTRY.c.source_chat_id == _param("chat_id"),
            ENTRY.c.source_message_id == _param("message_id"),
        )
    ).label("message_recorded")
    anchor = sa.select(sa.literal(1).label("one")).subquery("anchor")
    return sa.select(granted, admin_unit, private_chat, recorded, *unit.c).select_from(
        anchor.outerjoin(unit, sa.true())
    )


SENDER_FACTS = _sender_facts_query()


class SqlSenders:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def facts(self, platform: str, user_id: str, message: MessageRef | None = None) -> SenderFacts:
        # Without a message, NULLs that match no entry.
        parameters = {
            "platform": platform,
            "user_id": user_id,
            "chat_id": message.chat_id if message else None,
            "message_id": message.message_id if message else None,
        }
        row = self.connection.execute(SENDER_FACTS, parameters).one()
        unit = unit_from_row(row) if row.code is not None else None
        return SenderFacts(
            unit,
            bool(row.granted_admin),
            row.private_chat,
            bool(row.message_recorded),
            row.admin_unit,
        )


class SqlContacts:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def remember(self, platform: str, user_id: str, chat_id: str, at: datetime) -> bool:
        values = {"platform": platform, "user_id": user_id, "chat_id": chat_id, "first_seen": at}
        return insert_if_absent(self.connection, CONTACT, values)

    def private_chat(self, platform: str, user_id: str) -> ChatRef | None:
        chat_id = self.connection.execute(
            sa.select(CONTACT.c.chat_id).where(
                CONTACT.c.platform == platform, CONTACT.c.user_id == user_id
            )
        ).scalar()
        return ChatRef(platform, chat_id) if chat_id is not None else None
