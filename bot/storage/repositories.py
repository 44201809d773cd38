"""Repositories implementing the domain ports on one connection. They never commit.

They speak SQLAlchemy Core over the SQLModel tables rather than the ORM: a report costs a
handful of indexed statements, and the ORM's identity map and flush machinery would cost
several times the queries themselves (see bench/throughput).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model import (
    Campaign,
    ChatRef,
    Membership,
    MembershipStatus,
    MessageRef,
    Person,
    ReportEntry,
    ReportMode,
    Unit,
    UnitKind,
    UnitWeekTotal,
)
from bot.storage.tables import (
    AdminGrantRow,
    CampaignRow,
    ChatBindingRow,
    InboundMessageRow,
    MembershipRow,
    ReportAuditRow,
    ReportEntryRow,
    UnitRow,
)


def _table(model: type) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


UNIT = _table(UnitRow)
CAMPAIGN = _table(CampaignRow)
MEMBERSHIP = _table(MembershipRow)
CHAT = _table(ChatBindingRow)
ADMIN = _table(AdminGrantRow)
INBOUND = _table(InboundMessageRow)
ENTRY = _table(ReportEntryRow)
AUDIT = _table(ReportAuditRow)

# Statements on the path of every report, built once: constructing and cache-keying a fresh
# statement per call costs more than running it.
_param = sa.bindparam
GET_UNIT = sa.select(UNIT).where(UNIT.c.code == _param("code"))
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
CHAT_UNIT = sa.select(CHAT.c.unit_code).where(
    CHAT.c.platform == _param("platform"),
    CHAT.c.chat_id == _param("chat_id"),
    CHAT.c.active.is_(True),
)
ENTRY_FOR_SOURCE = sa.select(ENTRY).where(
    ENTRY.c.source_platform == _param("platform"),
    ENTRY.c.source_chat_id == _param("chat_id"),
    ENTRY.c.source_message_id == _param("message_id"),
)
WEEK_TOTAL = sa.select(sa.func.coalesce(sa.func.sum(ENTRY.c.delta), 0)).where(
    ENTRY.c.campaign_id == _param("campaign_id"),
    ENTRY.c.week_start == _param("week_start"),
    ENTRY.c.unit_code == _param("unit_code"),
    ENTRY.c.void.is_(False),
)
LOCK_UNIT = sa.select(UNIT.c.code).where(UNIT.c.code == _param("code")).with_for_update()
INSERT_ENTRY = sa.insert(ENTRY)
INSERT_AUDIT = sa.insert(AUDIT)


def unit_from_row(row: Row[Any]) -> Unit:
    return Unit(
        code=row.code,
        name=row.name,
        kind=UnitKind(row.kind),
        parent=row.parent_code,
        weekly_quota=row.weekly_quota,
        active=row.active,
    )


def _campaign(row: Row[Any]) -> Campaign:
    return Campaign(row.id, row.name, row.start_date, row.end_date, row.metric)


def _membership(row: Row[Any]) -> Membership:
    return Membership(
        id=row.id,
        person=Person(row.platform, row.user_id, row.display_name),
        unit_code=row.unit_code,
        status=MembershipStatus(row.status),
        requested_at=row.requested_at,
    )


def _entry(row: Row[Any]) -> ReportEntry:
    return ReportEntry(
        id=row.id,
        campaign_id=row.campaign_id,
        unit_code=row.unit_code,
        week_start=row.week_start,
        delta=row.delta,
        mode=ReportMode(row.mode),
        requested=row.requested,
        reporter=Person(row.reporter_platform, row.reporter_user_id, row.reporter_name),
        source=MessageRef(row.source_platform, row.source_chat_id, row.source_message_id),
        sent_at=row.sent_at,
        void=row.void,
        edited_at=row.edited_at,
    )


class SqlUnits:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get(self, code: str) -> Unit | None:
        row = self.connection.execute(GET_UNIT, {"code": code}).first()
        return unit_from_row(row) if row else None

    def active(self) -> list[Unit]:
        query = sa.select(UNIT).where(UNIT.c.active.is_(True)).order_by(UNIT.c.code)
        return [unit_from_row(row) for row in self.connection.execute(query)]

    def everything(self) -> list[Unit]:
        return [unit_from_row(row) for row in self.connection.execute(sa.select(UNIT))]

    def children(self, parent_code: str | None) -> list[Unit]:
        parent = UNIT.c.parent_code
        condition = parent.is_(None) if parent_code is None else parent == parent_code
        query = sa.select(UNIT).where(condition, UNIT.c.active.is_(True))
        return [unit_from_row(row) for row in self.connection.execute(query)]

    def upsert(self, unit: Unit) -> str:
        """Insert or update one unit; returns 'added', 'updated' or 'unchanged'."""
        values = {
            "name": unit.name,
            "kind": unit.kind.value,
            "parent_code": unit.parent,
            "weekly_quota": unit.weekly_quota,
            "active": unit.active,
        }
        current = self.get(unit.code)
        if current is None:
            self.connection.execute(sa.insert(UNIT).values(code=unit.code, **values))
            return "added"
        if current == unit:
            return "unchanged"
        self.connection.execute(sa.update(UNIT).where(UNIT.c.code == unit.code).values(**values))
        return "updated"


class SqlCampaigns:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def active(self) -> Campaign | None:
        row = self.connection.execute(
            sa.select(CAMPAIGN).where(CAMPAIGN.c.active.is_(True))
        ).first()
        return _campaign(row) if row else None

    def all(self) -> list[Campaign]:
        query = sa.select(CAMPAIGN).order_by(CAMPAIGN.c.start_date)
        return [_campaign(row) for row in self.connection.execute(query)]

    def activate(self, name: str, start: date, end: date | None, metric: str) -> Campaign:
        """Make the named campaign the active one, creating it or updating its dates.

        Earlier campaigns stay in the table with their entries, so their history remains
        queryable.
        """
        self.connection.execute(
            sa.update(CAMPAIGN).where(CAMPAIGN.c.name != name).values(active=False)
        )
        values = {"start_date": start, "end_date": end, "metric": metric, "active": True}
        updated = self.connection.execute(
            sa.update(CAMPAIGN).where(CAMPAIGN.c.name == name).values(**values)
        )
        if updated.rowcount == 0:
            self.connection.execute(sa.insert(CAMPAIGN).values(name=name, **values))
        row = self.connection.execute(sa.select(CAMPAIGN).where(CAMPAIGN.c.name == name)).one()
        return _campaign(row)


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
        return Membership(
            result.inserted_primary_key[0], person, unit_code, MembershipStatus.PENDING, at
        )

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

    def reporting_unit(self, platform: str, user_id: str) -> Unit | None:
        row = self.connection.execute(
            REPORTING_UNIT, {"platform": platform, "user_id": user_id}
        ).first()
        return unit_from_row(row) if row else None

    def approved_for_unit(self, unit_code: str) -> list[Membership]:
        query = sa.select(MEMBERSHIP).where(
            MEMBERSHIP.c.unit_code == unit_code,
            MEMBERSHIP.c.status == MembershipStatus.APPROVED.value,
        )
        return [_membership(row) for row in self.connection.execute(query)]


class SqlChats:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _key(self, chat: ChatRef) -> sa.ColumnElement[bool]:
        return sa.and_(CHAT.c.platform == chat.platform, CHAT.c.chat_id == chat.chat_id)

    def unit_of(self, chat: ChatRef) -> str | None:
        row = self.connection.execute(
            CHAT_UNIT, {"platform": chat.platform, "chat_id": chat.chat_id}
        ).first()
        return row.unit_code if row else None

    def bind(self, chat: ChatRef, unit_code: str, by: Person, at: datetime) -> None:
        values = {"unit_code": unit_code, "bound_by": by.user_id, "bound_at": at, "active": True}
        updated = self.connection.execute(sa.update(CHAT).where(self._key(chat)).values(**values))
        if updated.rowcount == 0:
            self.connection.execute(
                sa.insert(CHAT).values(platform=chat.platform, chat_id=chat.chat_id, **values)
            )


class SqlAdmins:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _key(self, platform: str, user_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(ADMIN.c.platform == platform, ADMIN.c.user_id == user_id)

    def is_admin(self, platform: str, user_id: str) -> bool:
        found = self.connection.execute(IS_ADMIN, {"platform": platform, "user_id": user_id})
        return found.first() is not None

    def granted(self, platform: str) -> list[str]:
        query = sa.select(ADMIN.c.user_id).where(ADMIN.c.platform == platform)
        return [row.user_id for row in self.connection.execute(query)]

    def grant(self, platform: str, user_id: str, at: datetime) -> bool:
        if self.is_admin(platform, user_id):
            return False
        self.connection.execute(
            sa.insert(ADMIN).values(platform=platform, user_id=user_id, granted_at=at)
        )
        return True

    def revoke(self, platform: str, user_id: str) -> bool:
        result = self.connection.execute(sa.delete(ADMIN).where(self._key(platform, user_id)))
        return result.rowcount > 0


class SqlInbox:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def first_time(self, source: MessageRef, kind: str, at: datetime) -> bool:
        seen = self.connection.execute(
            sa.select(INBOUND.c.kind).where(
                INBOUND.c.platform == source.platform,
                INBOUND.c.chat_id == source.chat_id,
                INBOUND.c.message_id == source.message_id,
            )
        ).first()
        if seen is not None:
            return False
        self.connection.execute(
            sa.insert(INBOUND).values(
                platform=source.platform,
                chat_id=source.chat_id,
                message_id=source.message_id,
                kind=kind,
                handled_at=at,
            )
        )
        return True


class SqlLedger:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def lock_unit(self, unit_code: str) -> None:
        # PostgreSQL: a row lock serialises read-total-then-write per unit. SQLite needs none:
        # BEGIN IMMEDIATE already holds the database's only write lock.
        if self.connection.dialect.name != "sqlite":
            self.connection.execute(LOCK_UNIT, {"code": unit_code})

    def entry_for(self, source: MessageRef) -> ReportEntry | None:
        row = self.connection.execute(
            ENTRY_FOR_SOURCE,
            {
                "platform": source.platform,
                "chat_id": source.chat_id,
                "message_id": source.message_id,
            },
        ).first()
        return _entry(row) if row else None

    def append(
        self,
        *,
        campaign_id: int,
        unit_code: str,
        week_start: date,
        delta: int,
        mode: ReportMode,
        requested: int,
        reporter: Person,
        source: MessageRef,
        sent_at: datetime,
        recorded_at: datetime,
    ) -> ReportEntry:
        result = self.connection.execute(
            INSERT_ENTRY,
            {
                "campaign_id": campaign_id,
                "unit_code": unit_code,
                "week_start": week_start,
                "delta": delta,
                "mode": mode.value,
                "requested": requested,
                "reporter_platform": reporter.platform,
                "reporter_user_id": reporter.user_id,
                "reporter_name": reporter.display_name,
                "source_platform": source.platform,
                "source_chat_id": source.chat_id,
                "source_message_id": source.message_id,
                "sent_at": sent_at,
                "recorded_at": recorded_at,
                "void": False,
            },
        )
        entry = ReportEntry(
            result.inserted_primary_key[0],
            campaign_id,
            unit_code,
            week_start,
            delta,
            mode,
            requested,
            reporter,
            source,
            sent_at,
            False,
        )
        self._audit(entry.id, "create", None, delta, None, requested, reporter, source, recorded_at)
        return entry

    def week_total(self, campaign_id: int, unit_code: str, week_start: date) -> int:
        total = self.connection.execute(
            WEEK_TOTAL,
            {"campaign_id": campaign_id, "week_start": week_start, "unit_code": unit_code},
        ).scalar_one()
        return int(total)

    def last_live_entry(
        self, campaign_id: int, reporter: Person, week_starts: Sequence[date]
    ) -> ReportEntry | None:
        row = self.connection.execute(
            sa.select(ENTRY)
            .where(
                ENTRY.c.reporter_platform == reporter.platform,
                ENTRY.c.reporter_user_id == reporter.user_id,
                ENTRY.c.campaign_id == campaign_id,
                ENTRY.c.week_start.in_(list(week_starts)),
                ENTRY.c.void.is_(False),
            )
            .order_by(ENTRY.c.id.desc())
            .limit(1)
        ).first()
        return _entry(row) if row else None

    def void(self, entry: ReportEntry, by: Person, at: datetime, source: MessageRef | None) -> None:
        self.connection.execute(sa.update(ENTRY).where(ENTRY.c.id == entry.id).values(void=True))
        self._audit(
            entry.id, "void", entry.delta, 0, entry.requested, entry.requested, by, source, at
        )

    def revise(
        self,
        entry: ReportEntry,
        *,
        delta: int,
        requested: int,
        by: Person,
        at: datetime,
        edited_at: datetime,
    ) -> ReportEntry:
        self.connection.execute(
            sa.update(ENTRY)
            .where(ENTRY.c.id == entry.id)
            .values(delta=delta, requested=requested, edited_at=edited_at)
        )
        self._audit(
            entry.id, "edit", entry.delta, delta, entry.requested, requested, by, entry.source, at
        )
        row = self.connection.execute(sa.select(ENTRY).where(ENTRY.c.id == entry.id)).one()
        return _entry(row)

    def week_totals(
        self, campaign_id: int, week_start: date, unit_codes: Sequence[str] | None
    ) -> list[UnitWeekTotal]:
        joined = sa.and_(
            ENTRY.c.unit_code == UNIT.c.code,
            ENTRY.c.campaign_id == campaign_id,
            ENTRY.c.week_start == week_start,
            ENTRY.c.void.is_(False),
        )
        query = (
            sa.select(
                UNIT,
                sa.func.coalesce(sa.func.sum(ENTRY.c.delta), 0).label("week_total"),
                sa.func.count(ENTRY.c.id).label("entry_count"),
            )
            .select_from(UNIT.outerjoin(ENTRY, joined))
            .where(UNIT.c.active.is_(True))
            .group_by(UNIT.c.code)
        )
        if unit_codes is not None:
            query = query.where(UNIT.c.code.in_(list(unit_codes)))
        return [
            UnitWeekTotal(unit_from_row(row), int(row.week_total), int(row.entry_count))
            for row in self.connection.execute(query)
        ]

    def _audit(
        self,
        entry_id: int,
        action: str,
        old_delta: int | None,
        new_delta: int,
        old_requested: int | None,
        new_requested: int,
        actor: Person,
        source: MessageRef | None,
        at: datetime,
    ) -> None:
        self.connection.execute(
            INSERT_AUDIT,
            {
                "entry_id": entry_id,
                "action": action,
                "old_delta": old_delta,
                "new_delta": new_delta,
                "old_requested": old_requested,
                "new_requested": new_requested,
                "actor_platform": actor.platform,
                "actor_user_id": actor.user_id,
                "source_chat_id": source.chat_id if source else None,
                "source_message_id": source.message_id if source else None,
                "at": at,
            },
        )


class SqlStore:
    """All repositories of one unit of work, sharing its connection and transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.units = SqlUnits(connection)
        self.campaigns = SqlCampaigns(connection)
        self.members = SqlMembers(connection)
        self.chats = SqlChats(connection)
        self.admins = SqlAdmins(connection)
        self.inbox = SqlInbox(connection)
        self.ledger = SqlLedger(connection)
