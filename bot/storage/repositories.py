"""Repositories implementing the domain ports on one connection. They never commit.

They speak SQLAlchemy Core over the SQLModel tables rather than the ORM: a report costs a
handful of indexed statements, and the ORM's identity map and flush machinery would cost
several times the queries themselves (see bench/throughput).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row

from bot.domain.messages import Attachment, Send, StoredFile
from bot.domain.model import (
    Campaign,
    ChatRef,
    Figure,
    Membership,
    MembershipStatus,
    MessageRef,
    PendingReport,
    PendingState,
    Person,
    Reading,
    ReportEntry,
    ReportMode,
    Submission,
    Subscription,
    Unit,
    UnitKind,
    UnitWeekTotal,
)
from bot.domain.ports import AbandonedSend, JobRun, OutboxItem
from bot.storage.rejected import SqlRejectedUpdates
from bot.storage.tables import (
    AdminGrantRow,
    CampaignRow,
    ChatBindingRow,
    ChatStateRow,
    ContactRow,
    DigestSubscriptionRow,
    InboundMessageRow,
    JobRunRow,
    MembershipRow,
    MessageCountRow,
    MonthlySubmissionRow,
    OutboxFileRow,
    OutboxRow,
    PendingReportRow,
    PublishedFileRow,
    ReceivedUpdateRow,
    ReportAuditRow,
    ReportEntryRow,
    UnitRow,
)


def table_of(model: type) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


UNIT = table_of(UnitRow)
CAMPAIGN = table_of(CampaignRow)
MEMBERSHIP = table_of(MembershipRow)
CHAT = table_of(ChatBindingRow)
ADMIN = table_of(AdminGrantRow)
INBOUND = table_of(InboundMessageRow)
ENTRY = table_of(ReportEntryRow)
AUDIT = table_of(ReportAuditRow)
SUBMISSION = table_of(MonthlySubmissionRow)
SUBSCRIPTION = table_of(DigestSubscriptionRow)
CHAT_STATE = table_of(ChatStateRow)
JOB_RUN = table_of(JobRunRow)
OUTBOX = table_of(OutboxRow)
OUTBOX_FILE = table_of(OutboxFileRow)
PENDING = table_of(PendingReportRow)
RECEIVED = table_of(ReceivedUpdateRow)
MESSAGE_COUNT = table_of(MessageCountRow)
PUBLISHED = table_of(PublishedFileRow)
CONTACT = table_of(ContactRow)

# Above this many codes a filter reads everything and keeps what it needs in Python, so a
# query never approaches the database's limit on bound parameters.
MAX_CODES_IN_QUERY = 5000

# Statements on the path of every report, built once: constructing and cache-keying a fresh
# statement per call costs more than running it.
_param = sa.bindparam
GET_UNIT = sa.select(UNIT).where(UNIT.c.code == _param("code"))
CHILD_UNITS = sa.select(UNIT).where(UNIT.c.parent_code == _param("parent"), UNIT.c.active.is_(True))
ROOT_UNITS = sa.select(UNIT).where(UNIT.c.parent_code.is_(None), UNIT.c.active.is_(True))
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
OWN_TOTAL = sa.select(sa.func.coalesce(sa.func.sum(ENTRY.c.delta), 0)).where(
    ENTRY.c.campaign_id == _param("campaign_id"),
    ENTRY.c.week_start == _param("week_start"),
    ENTRY.c.unit_code == _param("unit_code"),
    ENTRY.c.void.is_(False),
)
LIVE_ENTRIES = (
    sa.select(ENTRY)
    .where(
        ENTRY.c.campaign_id == _param("campaign_id"),
        ENTRY.c.week_start == _param("week_start"),
        ENTRY.c.unit_code == _param("unit_code"),
        ENTRY.c.void.is_(False),
    )
    .order_by(ENTRY.c.sent_at, ENTRY.c.id)
)
_AT_OR_AFTER = sa.or_(
    ENTRY.c.sent_at > _param("sent_at"),
    sa.and_(ENTRY.c.sent_at == _param("sent_at"), ENTRY.c.id >= _param("entry_id")),
)
LIVE_ENTRIES_SINCE = LIVE_ENTRIES.where(_AT_OR_AFTER)
OWN_TOTAL_BEFORE = OWN_TOTAL.where(sa.not_(_AT_OR_AFTER))
SET_EFFECT = sa.update(ENTRY).where(ENTRY.c.id == _param("entry_id")).values(delta=_param("effect"))
LOCK_UNIT = sa.select(UNIT.c.code).where(UNIT.c.code == _param("code")).with_for_update()
# A transaction-scoped advisory lock per person (released at commit or rollback, so a
# connection pool never keeps it); the first key keeps these apart from other locks.
PERSON_LOCK_SPACE = 7301
LOCK_PERSON = sa.select(
    sa.func.pg_advisory_xact_lock(PERSON_LOCK_SPACE, sa.func.hashtext(_param("person")))
)
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
        effect=row.delta,
        mode=ReportMode(row.mode),
        requested=row.requested,
        reporter=Person(row.reporter_platform, row.reporter_user_id, row.reporter_name),
        source=MessageRef(row.source_platform, row.source_chat_id, row.source_message_id),
        sent_at=row.sent_at,
        void=row.void,
        edited_at=row.edited_at,
    )


def new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise LookupError("the insert returned no primary key")
    return int(key[0])


def insert_if_absent(connection: Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """INSERT that does nothing on a key conflict; True if the row was inserted. On
    PostgreSQL it waits for a concurrent insert of the same key and then does nothing, so
    exactly one of two racing deliveries wins."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return connection.execute(statement).first() is not None


def unit_tree_cte(rooted: bool) -> sa.CTE:
    """(root, code) for every unit at or below each root unit: the unit tree walked by a
    recursive query, so a roll-up is one join with the ledger's per-unit sums. `rooted`:
    the roots are the units bound to `codes`; otherwise every unit is a root."""
    base = sa.select(UNIT.c.code.label("root"), UNIT.c.code.label("code"))
    if rooted:
        base = base.where(UNIT.c.code.in_(_param("codes", expanding=True)))
    tree = base.cte("unit_tree", recursive=True)
    child = UNIT.alias("child")
    return tree.union_all(
        sa.select(tree.c.root, child.c.code).where(child.c.parent_code == tree.c.code)
    )


def rolled_columns(tree: sa.CTE, own: sa.Subquery) -> list[sa.ColumnElement[Any]]:
    """Aggregates over a unit's subtree: total and entries, its own part, and how many
    units below it reported."""
    is_self = tree.c.code == tree.c.root
    zero = sa.literal(0)

    def summed(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        # PostgreSQL sums integers as numeric (Decimal in Python): figures are integers.
        return sa.cast(sa.func.coalesce(sa.func.sum(value), 0), sa.BigInteger)

    return [
        summed(own.c.own_total).label("total"),
        summed(own.c.own_entries).label("entries"),
        summed(sa.case((is_self, own.c.own_total), else_=zero)).label("own"),
        summed(sa.case((is_self, own.c.own_entries), else_=zero)).label("own_entries"),
        sa.func.count(sa.case((sa.and_(~is_self, own.c.own_entries > 0), 1))).label("reporting"),
    ]


def _own_sums(tree: sa.CTE, rooted: bool, by_week: bool) -> sa.Subquery:
    """Per-unit sums of live entries; for a few roots only the entries of their subtrees
    (a report's reply reads a ward and its cells, not the whole district)."""
    week = ENTRY.c.week_start
    conditions = [
        ENTRY.c.campaign_id == _param("campaign_id"),
        week.in_(_param("week_starts", expanding=True)) if by_week else week == _param("week"),
        ENTRY.c.void.is_(False),
    ]
    if rooted:
        conditions.append(ENTRY.c.unit_code.in_(sa.select(tree.c.code)))
    keys = [ENTRY.c.unit_code, week] if by_week else [ENTRY.c.unit_code]
    return (
        sa.select(
            *keys,
            sa.func.sum(ENTRY.c.delta).label("own_total"),
            sa.func.count(ENTRY.c.id).label("own_entries"),
        )
        .where(*conditions)
        .group_by(*keys)
        .subquery("own")
    )


def _week_totals_statement(rooted: bool) -> sa.Select[Any]:
    tree = unit_tree_cte(rooted)
    own = _own_sums(tree, rooted, by_week=False)
    return (
        sa.select(UNIT, *rolled_columns(tree, own))
        .select_from(
            UNIT.join(tree, tree.c.root == UNIT.c.code).outerjoin(
                own, own.c.unit_code == tree.c.code
            )
        )
        .where(UNIT.c.active.is_(True))
        .group_by(*UNIT.c)
    )


def _totals_by_week_statement(rooted: bool) -> sa.Select[Any]:
    tree = unit_tree_cte(rooted)
    own = _own_sums(tree, rooted, by_week=True)
    return (
        sa.select(tree.c.root, own.c.week_start, *rolled_columns(tree, own))
        .select_from(tree.join(own, own.c.unit_code == tree.c.code))
        .group_by(tree.c.root, own.c.week_start)
    )


# Built once (key: rooted at given units, or every unit): a reply to each report runs one.
WEEK_TOTALS = {rooted: _week_totals_statement(rooted) for rooted in (True, False)}
TOTALS_BY_WEEK = {rooted: _totals_by_week_statement(rooted) for rooted in (True, False)}


def _roots(wanted: set[str] | None) -> list[str] | None:
    """The units to roll up from; above MAX_CODES_IN_QUERY, all (the caller filters)."""
    if wanted is None or len(wanted) > MAX_CODES_IN_QUERY:
        return None
    return sorted(wanted)


def _figure(row: Row[Any]) -> Figure:
    return Figure(
        int(row.own), int(row.own_entries), int(row.total), int(row.entries), int(row.reporting)
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
        if parent_code is None:
            rows = self.connection.execute(ROOT_UNITS)
        else:
            rows = self.connection.execute(CHILD_UNITS, {"parent": parent_code})
        return [unit_from_row(row) for row in rows]

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

    def unit_chats(self, unit_codes: Sequence[str] | None) -> dict[str, list[ChatRef]]:
        return self._reachable(unit_codes, with_secretaries=True)

    def unit_groups(self, unit_codes: Sequence[str] | None) -> dict[str, list[ChatRef]]:
        return self._reachable(unit_codes, with_secretaries=False)

    def _reachable(
        self, unit_codes: Sequence[str] | None, *, with_secretaries: bool
    ) -> dict[str, list[ChatRef]]:
        wanted = None if unit_codes is None else set(unit_codes)
        by_query = wanted is not None and len(wanted) <= MAX_CODES_IN_QUERY
        groups = sa.select(CHAT.c.unit_code, CHAT.c.platform, CHAT.c.chat_id).where(
            CHAT.c.active.is_(True)
        )
        # A secretary's private chat as the platform gave it; before any private message
        # was seen (or on Telegram, where they are equal), the user id.
        privates = (
            sa.select(
                MEMBERSHIP.c.unit_code,
                MEMBERSHIP.c.platform,
                sa.func.coalesce(CONTACT.c.chat_id, MEMBERSHIP.c.user_id).label("chat_id"),
            )
            .select_from(
                MEMBERSHIP.outerjoin(
                    CONTACT,
                    sa.and_(
                        CONTACT.c.platform == MEMBERSHIP.c.platform,
                        CONTACT.c.user_id == MEMBERSHIP.c.user_id,
                    ),
                )
            )
            .where(MEMBERSHIP.c.status == MembershipStatus.APPROVED.value)
        )
        if by_query and wanted is not None:
            groups = groups.where(CHAT.c.unit_code.in_(sorted(wanted)))
            privates = privates.where(MEMBERSHIP.c.unit_code.in_(sorted(wanted)))
        reachable = (sa.union(groups, privates) if with_secretaries else groups).subquery()
        query = (
            sa.select(reachable.c.unit_code, reachable.c.platform, reachable.c.chat_id)
            .select_from(
                reachable.outerjoin(
                    CHAT_STATE,
                    sa.and_(
                        CHAT_STATE.c.platform == reachable.c.platform,
                        CHAT_STATE.c.chat_id == reachable.c.chat_id,
                    ),
                )
            )
            .where(sa.or_(CHAT_STATE.c.gone.is_(None), CHAT_STATE.c.gone.is_(False)))
            .order_by(reachable.c.unit_code, reachable.c.platform, reachable.c.chat_id)
        )
        found: dict[str, list[ChatRef]] = {}
        for row in self.connection.execute(query):
            if wanted is None or row.unit_code in wanted:
                found.setdefault(row.unit_code, []).append(ChatRef(row.platform, row.chat_id))
        return found

    def _state_key(self, chat: ChatRef) -> sa.ColumnElement[bool]:
        return sa.and_(CHAT_STATE.c.platform == chat.platform, CHAT_STATE.c.chat_id == chat.chat_id)

    def mark_gone(self, chat: ChatRef, reason: str, at: datetime) -> None:
        values = {"gone": True, "reason": reason[:200], "updated_at": at}
        updated = self.connection.execute(
            sa.update(CHAT_STATE).where(self._state_key(chat)).values(**values)
        )
        if updated.rowcount == 0:
            self.connection.execute(
                sa.insert(CHAT_STATE).values(platform=chat.platform, chat_id=chat.chat_id, **values)
            )

    def mark_reachable(self, chat: ChatRef, at: datetime) -> None:
        self.connection.execute(
            sa.update(CHAT_STATE)
            .where(self._state_key(chat), CHAT_STATE.c.gone.is_(True))
            .values(gone=False, reason="", updated_at=at)
        )

    def migrate(self, old: ChatRef, new: ChatRef, at: datetime) -> None:
        for table in (CHAT, SUBSCRIPTION, CHAT_STATE):
            key_old = sa.and_(table.c.platform == old.platform, table.c.chat_id == old.chat_id)
            key_new = sa.and_(table.c.platform == new.platform, table.c.chat_id == new.chat_id)
            if self.connection.execute(sa.select(table.c.chat_id).where(key_new)).first():
                self.connection.execute(sa.delete(table).where(key_old))
            else:
                self.connection.execute(sa.update(table).where(key_old).values(chat_id=new.chat_id))


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
        return insert_if_absent(
            self.connection,
            INBOUND,
            {
                "platform": source.platform,
                "chat_id": source.chat_id,
                "message_id": source.message_id,
                "kind": kind,
                "handled_at": at,
            },
        )


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
                "delta": 0,
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
            new_id(result),
            campaign_id,
            unit_code,
            week_start,
            0,
            mode,
            requested,
            reporter,
            source,
            sent_at,
            False,
        )
        self._audit(entry, "create", None, entry, reporter, source, recorded_at)
        return entry

    def live_entries(
        self,
        campaign_id: int,
        unit_code: str,
        week_start: date,
        since: tuple[datetime, int] | None = None,
    ) -> list[ReportEntry]:
        key = {"campaign_id": campaign_id, "unit_code": unit_code, "week_start": week_start}
        if since is None:
            rows = self.connection.execute(LIVE_ENTRIES, key)
        else:
            rows = self.connection.execute(
                LIVE_ENTRIES_SINCE, {**key, "sent_at": since[0], "entry_id": since[1]}
            )
        return [_entry(row) for row in rows]

    def own_total_before(
        self, campaign_id: int, unit_code: str, week_start: date, place: tuple[datetime, int]
    ) -> int:
        total = self.connection.execute(
            OWN_TOTAL_BEFORE,
            {
                "campaign_id": campaign_id,
                "unit_code": unit_code,
                "week_start": week_start,
                "sent_at": place[0],
                "entry_id": place[1],
            },
        ).scalar_one()
        return int(total)

    def set_effects(self, effects: Mapping[int, int]) -> None:
        if effects:
            self.connection.execute(
                SET_EFFECT,
                [{"entry_id": entry_id, "effect": effect} for entry_id, effect in effects.items()],
            )

    def own_total(self, campaign_id: int, unit_code: str, week_start: date) -> int:
        total = self.connection.execute(
            OWN_TOTAL,
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
            .order_by(ENTRY.c.sent_at.desc(), ENTRY.c.id.desc())
            .limit(1)
        ).first()
        return _entry(row) if row else None

    def void(self, entry: ReportEntry, by: Person, at: datetime, source: MessageRef | None) -> None:
        self.connection.execute(sa.update(ENTRY).where(ENTRY.c.id == entry.id).values(void=True))
        self._audit(entry, "void", entry, None, by, source, at)

    def revise(
        self,
        entry: ReportEntry,
        *,
        mode: ReportMode,
        requested: int,
        by: Person,
        at: datetime,
        edited_at: datetime,
    ) -> ReportEntry:
        self.connection.execute(
            sa.update(ENTRY)
            .where(ENTRY.c.id == entry.id)
            .values(mode=mode.value, requested=requested, edited_at=edited_at)
        )
        row = self.connection.execute(sa.select(ENTRY).where(ENTRY.c.id == entry.id)).one()
        revised = _entry(row)
        self._audit(entry, "edit", entry, revised, by, entry.source, at)
        return revised

    def week_totals(
        self, campaign_id: int, week_start: date, unit_codes: Sequence[str] | None
    ) -> list[UnitWeekTotal]:
        wanted = None if unit_codes is None else set(unit_codes)
        roots = _roots(wanted)
        parameters: dict[str, Any] = {"campaign_id": campaign_id, "week": week_start}
        if roots is not None:
            parameters["codes"] = roots
        rows = self.connection.execute(WEEK_TOTALS[roots is not None], parameters)
        return [
            UnitWeekTotal(unit_from_row(row), _figure(row))
            for row in rows
            if wanted is None or row.code in wanted
        ]

    def totals_by_week(
        self, campaign_id: int, week_starts: Sequence[date], unit_codes: Sequence[str] | None
    ) -> dict[tuple[str, date], Figure]:
        if not week_starts:
            return {}
        wanted = None if unit_codes is None else set(unit_codes)
        roots = _roots(wanted)
        parameters: dict[str, Any] = {"campaign_id": campaign_id, "week_starts": list(week_starts)}
        if roots is not None:
            parameters["codes"] = roots
        rows = self.connection.execute(TOTALS_BY_WEEK[roots is not None], parameters).all()
        # One bulk fetch unpacked as plain tuples: a district-wide digest reads ~10^5 rows.
        return {
            (root, week_start): Figure(own_total, own_entries, total, entries, reporting)
            for root, week_start, total, entries, own_total, own_entries, reporting in rows
            if wanted is None or root in wanted
        }

    def _audit(
        self,
        entry: ReportEntry,
        action: str,
        old: ReportEntry | None,
        new: ReportEntry | None,
        actor: Person,
        source: MessageRef | None,
        at: datetime,
    ) -> None:
        self.connection.execute(
            INSERT_AUDIT,
            {
                "entry_id": entry.id,
                "action": action,
                "old_delta": old.effect if old else None,
                "new_delta": new.effect if new else 0,
                "old_requested": old.requested if old else None,
                "new_requested": new.requested if new else entry.requested,
                "old_mode": old.mode.value if old else None,
                "new_mode": new.mode.value if new else None,
                "actor_platform": actor.platform,
                "actor_user_id": actor.user_id,
                "source_chat_id": source.chat_id if source else None,
                "source_message_id": source.message_id if source else None,
                "at": at,
            },
        )


def _submission(row: Row[Any]) -> Submission:
    return Submission(
        id=row.id,
        unit_code=row.unit_code,
        month=row.month,
        text=row.text,
        file_id=row.file_id,
        file_name=row.file_name,
        submitter=Person(row.submitter_platform, row.submitter_user_id, row.submitter_name),
        submitted_at=row.submitted_at,
    )


class SqlSubmissions:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _live(self, campaign_id: int, month: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            SUBMISSION.c.campaign_id == campaign_id,
            SUBMISSION.c.month == month,
            SUBMISSION.c.replaced.is_(False),
        )

    def current(self, campaign_id: int, unit_code: str, month: str) -> Submission | None:
        row = self.connection.execute(
            sa.select(SUBMISSION).where(
                self._live(campaign_id, month), SUBMISSION.c.unit_code == unit_code
            )
        ).first()
        return _submission(row) if row else None

    def save(
        self,
        *,
        campaign_id: int,
        unit_code: str,
        month: str,
        text: str,
        file_id: str | None,
        file_name: str | None,
        submitter: Person,
        source: MessageRef,
        at: datetime,
    ) -> Submission:
        self.connection.execute(
            sa.update(SUBMISSION)
            .where(self._live(campaign_id, month), SUBMISSION.c.unit_code == unit_code)
            .values(replaced=True)
        )
        result = self.connection.execute(
            sa.insert(SUBMISSION).values(
                campaign_id=campaign_id,
                unit_code=unit_code,
                month=month,
                text=text,
                file_id=file_id,
                file_name=file_name,
                submitter_platform=submitter.platform,
                submitter_user_id=submitter.user_id,
                submitter_name=submitter.display_name,
                source_chat_id=source.chat_id,
                source_message_id=source.message_id,
                submitted_at=at,
                replaced=False,
            )
        )
        return Submission(
            new_id(result),
            unit_code,
            month,
            text,
            file_id,
            file_name,
            submitter,
            at,
        )

    def for_month(self, campaign_id: int, month: str) -> list[Submission]:
        query = sa.select(SUBMISSION).where(self._live(campaign_id, month))
        return [_submission(row) for row in self.connection.execute(query)]


class SqlSubscriptions:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _key(self, chat: ChatRef) -> sa.ColumnElement[bool]:
        return sa.and_(
            SUBSCRIPTION.c.platform == chat.platform, SUBSCRIPTION.c.chat_id == chat.chat_id
        )

    def subscribe(self, chat: ChatRef, scope: str | None, by: Person, at: datetime) -> None:
        values = {
            "scope_unit_code": scope,
            "active": True,
            "created_by": by.user_id,
            "created_at": at,
        }
        updated = self.connection.execute(
            sa.update(SUBSCRIPTION).where(self._key(chat)).values(**values)
        )
        if updated.rowcount == 0:
            self.connection.execute(
                sa.insert(SUBSCRIPTION).values(
                    platform=chat.platform, chat_id=chat.chat_id, **values
                )
            )

    def unsubscribe(self, chat: ChatRef) -> bool:
        result = self.connection.execute(
            sa.update(SUBSCRIPTION)
            .where(self._key(chat), SUBSCRIPTION.c.active.is_(True))
            .values(active=False)
        )
        return result.rowcount > 0

    def of(self, chat: ChatRef) -> Subscription | None:
        row = self.connection.execute(
            sa.select(SUBSCRIPTION).where(self._key(chat), SUBSCRIPTION.c.active.is_(True))
        ).first()
        return Subscription(chat, row.scope_unit_code) if row else None

    def active(self) -> list[Subscription]:
        query = (
            sa.select(SUBSCRIPTION)
            .select_from(
                SUBSCRIPTION.outerjoin(
                    CHAT_STATE,
                    sa.and_(
                        CHAT_STATE.c.platform == SUBSCRIPTION.c.platform,
                        CHAT_STATE.c.chat_id == SUBSCRIPTION.c.chat_id,
                    ),
                )
            )
            .where(
                SUBSCRIPTION.c.active.is_(True),
                sa.or_(CHAT_STATE.c.gone.is_(None), CHAT_STATE.c.gone.is_(False)),
            )
            .order_by(SUBSCRIPTION.c.platform, SUBSCRIPTION.c.chat_id)
        )
        return [
            Subscription(ChatRef(row.platform, row.chat_id), row.scope_unit_code)
            for row in self.connection.execute(query)
        ]


def _pending(row: Row[Any]) -> PendingReport:
    return PendingReport(
        id=row.id,
        source=MessageRef(row.source_platform, row.source_chat_id, row.source_message_id),
        reporter=Person(row.reporter_platform, row.reporter_user_id, row.reporter_name),
        unit_code=row.unit_code,
        week_start=row.week_start,
        mode=ReportMode(row.mode),
        amount=row.amount,
        sent_at=row.sent_at,
        edited_at=row.edited_at,
        state=PendingState(row.state),
        other=(
            Reading(ReportMode(row.other_mode), row.other_amount)
            if row.other_mode is not None and row.other_amount is not None
            else None
        ),
    )


class SqlPendingReports:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def hold(
        self,
        *,
        source: MessageRef,
        reporter: Person,
        unit_code: str,
        week_start: date,
        mode: ReportMode,
        amount: int,
        sent_at: datetime,
        edited_at: datetime | None,
        at: datetime,
        other: Reading | None = None,
    ) -> PendingReport:
        result = self.connection.execute(
            sa.insert(PENDING).values(
                source_platform=source.platform,
                source_chat_id=source.chat_id,
                source_message_id=source.message_id,
                reporter_platform=reporter.platform,
                reporter_user_id=reporter.user_id,
                reporter_name=reporter.display_name,
                unit_code=unit_code,
                week_start=week_start,
                mode=mode.value,
                amount=amount,
                sent_at=sent_at,
                edited_at=edited_at,
                state=PendingState.WAITING.value,
                created_at=at,
                other_mode=other.mode.value if other else None,
                other_amount=other.amount if other else None,
            )
        )
        pending_id = new_id(result)
        return PendingReport(
            pending_id,
            source,
            reporter,
            unit_code,
            week_start,
            mode,
            amount,
            sent_at,
            edited_at,
            PendingState.WAITING,
            other,
        )

    def get(self, pending_id: int) -> PendingReport | None:
        row = self.connection.execute(sa.select(PENDING).where(PENDING.c.id == pending_id)).first()
        return _pending(row) if row else None

    def for_source(self, source: MessageRef) -> PendingReport | None:
        row = self.connection.execute(
            sa.select(PENDING)
            .where(
                PENDING.c.source_platform == source.platform,
                PENDING.c.source_chat_id == source.chat_id,
                PENDING.c.source_message_id == source.message_id,
            )
            .order_by(PENDING.c.id.desc())
            .limit(1)
        ).first()
        return _pending(row) if row else None

    def waiting(self, reporter: Person, chat: ChatRef) -> PendingReport | None:
        row = self.connection.execute(
            sa.select(PENDING)
            .where(
                PENDING.c.reporter_platform == reporter.platform,
                PENDING.c.reporter_user_id == reporter.user_id,
                PENDING.c.state == PendingState.WAITING.value,
                PENDING.c.source_platform == chat.platform,
                PENDING.c.source_chat_id == chat.chat_id,
            )
            .order_by(PENDING.c.id.desc())
            .limit(1)
        ).first()
        return _pending(row) if row else None

    def resolve(self, pending_id: int, state: PendingState, at: datetime) -> bool:
        result = self.connection.execute(
            sa.update(PENDING)
            .where(PENDING.c.id == pending_id, PENDING.c.state == PendingState.WAITING.value)
            .values(state=state.value, resolved_at=at)
        )
        return result.rowcount == 1


def _job_run(row: Row[Any]) -> JobRun:
    return JobRun(row.id, row.job, row.period, row.slot, row.state, row.messages, row.finished_at)


class SqlJobRuns:
    """The job ledger. A period is claimed once; a claim that never got planned (a crash
    between claiming and queueing) can be taken over once it is stale."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def claim(
        self, job: str, period: str, slot: datetime, at: datetime, stale_after: timedelta
    ) -> tuple[JobRun, bool]:
        """The run of (job, period) and whether the caller must plan it now."""
        key = sa.and_(JOB_RUN.c.job == job, JOB_RUN.c.period == period)
        row = self.connection.execute(sa.select(JOB_RUN).where(key)).first()
        if row is None:
            self.connection.execute(
                sa.insert(JOB_RUN).values(
                    job=job, period=period, slot=slot, state="planning", claimed_at=at, messages=0
                )
            )
            return _job_run(self.connection.execute(sa.select(JOB_RUN).where(key)).one()), True
        if row.state == "planning" and row.claimed_at <= at - stale_after:
            taken = self.connection.execute(
                sa.update(JOB_RUN)
                .where(JOB_RUN.c.id == row.id, JOB_RUN.c.claimed_at == row.claimed_at)
                .values(claimed_at=at)
            )
            return _job_run(row), taken.rowcount == 1
        return _job_run(row), False

    def planned(
        self, run_id: int, messages: int, at: datetime, claimed_at: datetime | None = None
    ) -> bool:
        """planning -> planned; with `claimed_at`, only if the claim made then is still the
        current one (False: another process took the claim over, and plans it itself)."""
        query = sa.update(JOB_RUN).where(JOB_RUN.c.id == run_id)
        if claimed_at is not None:
            query = query.where(JOB_RUN.c.state == "planning", JOB_RUN.c.claimed_at == claimed_at)
        result = self.connection.execute(
            query.values(state="planned", planned_at=at, messages=messages)
        )
        return result.rowcount == 1

    def finish_completed(self, at: datetime) -> int:
        """Planned runs with nothing left pending in the outbox become done."""
        pending = sa.exists().where(OUTBOX.c.run_id == JOB_RUN.c.id, OUTBOX.c.state == "pending")
        result = self.connection.execute(
            sa.update(JOB_RUN)
            .where(JOB_RUN.c.state == "planned", ~pending)
            .values(state="done", finished_at=at)
        )
        return result.rowcount

    def stale_planning(self, claimed_before: datetime) -> list[JobRun]:
        """Claims that were never planned: their process died between claiming and queueing."""
        query = sa.select(JOB_RUN).where(
            JOB_RUN.c.state == "planning", JOB_RUN.c.claimed_at <= claimed_before
        )
        return [_job_run(row) for row in self.connection.execute(query)]

    def has_run(self, job: str, period: str) -> bool:
        row = self.connection.execute(
            sa.select(JOB_RUN.c.state).where(JOB_RUN.c.job == job, JOB_RUN.c.period == period)
        ).first()
        return row is not None and row.state in ("planned", "done")

    def latest(self) -> dict[str, JobRun]:
        runs: dict[str, JobRun] = {}
        for row in self.connection.execute(sa.select(JOB_RUN).order_by(JOB_RUN.c.slot)):
            runs[row.job] = _job_run(row)
        return runs

    def previous(self, job: str, before: datetime) -> JobRun | None:
        row = self.connection.execute(
            sa.select(JOB_RUN)
            .where(JOB_RUN.c.job == job, JOB_RUN.c.slot < before)
            .order_by(JOB_RUN.c.slot.desc())
            .limit(1)
        ).first()
        return _job_run(row) if row is not None else None


# An outbox file row that holds a platform's file id, not the file (StoredFile).
STORED_KIND = "stored"


def _file_row(file: Attachment | StoredFile) -> dict[str, Any]:
    if isinstance(file, StoredFile):
        return {"filename": file.file_name, "kind": STORED_KIND, "content": file.file_id.encode()}
    return {"filename": file.filename, "kind": file.kind, "content": file.content}


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


class SqlOutbox:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def enqueue(self, run_id: int | None, parts: Sequence[Send], at: datetime) -> int:
        for part in parts:
            files = [a for a in part.attachments if isinstance(a, Attachment | StoredFile)]
            if len(files) != len(part.attachments) or len(files) > 1 or (files and part.text):
                raise ValueError("an outbox row is one send: a text or one rendered file")
            row = _file_row(files[0]) if files else None
            # A forwarded file's caption travels in the text column.
            text = files[0].caption if files and isinstance(files[0], StoredFile) else part.text
            result = self.connection.execute(
                sa.insert(OUTBOX).values(
                    run_id=run_id,
                    platform=part.chat.platform,
                    chat_id=part.chat.chat_id,
                    text=text,
                    state="pending",
                    attempts=0,
                    created_at=at,
                    updated_at=at,
                )
            )
            if row is not None:
                self.connection.execute(
                    sa.insert(OUTBOX_FILE).values(outbox_id=new_id(result), **row)
                )
        return len(parts)

    def ready_chats(self, at: datetime) -> list[ChatRef]:
        """Chats whose oldest pending send is due, oldest first (a chat waits for its head)."""
        heads = (
            sa.select(sa.func.min(OUTBOX.c.id).label("head"))
            .where(OUTBOX.c.state == "pending")
            .group_by(OUTBOX.c.platform, OUTBOX.c.chat_id)
            .subquery()
        )
        query = (
            sa.select(OUTBOX.c.platform, OUTBOX.c.chat_id)
            .join(heads, heads.c.head == OUTBOX.c.id)
            .where(sa.or_(OUTBOX.c.not_before.is_(None), OUTBOX.c.not_before <= at))
            .order_by(OUTBOX.c.id)
        )
        return [ChatRef(row.platform, row.chat_id) for row in self.connection.execute(query)]

    def next_for_chat(self, chat: ChatRef, at: datetime) -> OutboxItem | None:
        """The chat's oldest pending send, if it is ready (a chat's sends keep their order)."""
        row = self.connection.execute(
            sa.select(OUTBOX, OUTBOX_FILE.c.filename, OUTBOX_FILE.c.kind, OUTBOX_FILE.c.content)
            .select_from(OUTBOX.outerjoin(OUTBOX_FILE, OUTBOX_FILE.c.outbox_id == OUTBOX.c.id))
            .where(
                OUTBOX.c.state == "pending",
                OUTBOX.c.platform == chat.platform,
                OUTBOX.c.chat_id == chat.chat_id,
            )
            .order_by(OUTBOX.c.id)
            .limit(1)
        ).first()
        if row is None or (row.not_before is not None and row.not_before > at):
            return None
        if row.filename is None:
            message = Send(chat, row.text)
        elif row.kind == STORED_KIND:
            stored = StoredFile(bytes(row.content).decode(), row.filename, row.text)
            message = Send(chat, "", attachments=(stored,))
        else:
            rendered = Attachment(row.filename, row.content, row.kind)
            message = Send(chat, row.text, attachments=(rendered,))
        return OutboxItem(row.id, row.run_id, chat, message, row.attempts)

    def claim(self, item_id: int, at: datetime) -> bool:
        """pending -> sending; False if another dispatcher took it first."""
        result = self.connection.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == item_id, OUTBOX.c.state == "pending")
            .values(state="sending", attempts=OUTBOX.c.attempts + 1, updated_at=at)
        )
        return result.rowcount == 1

    def finish(self, item_id: int, state: str, at: datetime, error: str | None = None) -> None:
        self.connection.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == item_id)
            .values(state=state, updated_at=at, error=error[:300] if error else None)
        )

    def postpone(self, item_id: int, not_before: datetime, at: datetime, error: str) -> None:
        self.connection.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == item_id)
            .values(state="pending", not_before=not_before, updated_at=at, error=error[:300])
        )

    def drop_chat(self, chat: ChatRef, state: str, at: datetime) -> int:
        result = self.connection.execute(
            sa.update(OUTBOX)
            .where(
                OUTBOX.c.platform == chat.platform,
                OUTBOX.c.chat_id == chat.chat_id,
                OUTBOX.c.state == "pending",
            )
            .values(state=state, updated_at=at)
        )
        return result.rowcount

    def reroute(self, old: ChatRef, new: ChatRef, at: datetime) -> None:
        self.connection.execute(
            sa.update(OUTBOX)
            .where(
                OUTBOX.c.platform == old.platform,
                OUTBOX.c.chat_id == old.chat_id,
                OUTBOX.c.state == "pending",
            )
            .values(chat_id=new.chat_id, updated_at=at)
        )

    def next_wakeup(self) -> datetime | None:
        """When the earliest postponed send becomes ready."""
        return self.connection.execute(
            sa.select(sa.func.min(OUTBOX.c.not_before)).where(OUTBOX.c.state == "pending")
        ).scalar()

    def abandon_in_flight(self, older_than: datetime, at: datetime) -> list[AbandonedSend]:
        """Sends caught in flight by a crash: they may have arrived, so they are never resent."""
        rows = self.connection.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.state == "sending", OUTBOX.c.updated_at < older_than)
            .values(state="unknown", updated_at=at)
            .returning(OUTBOX.c.platform, OUTBOX.c.chat_id, OUTBOX.c.text)
        ).all()
        return [
            AbandonedSend(ChatRef(row.platform, row.chat_id), first_line(row.text)) for row in rows
        ]

    def waiting(self, platform: str) -> int:
        """Sends of a platform queued and not yet out (they will count against its budget)."""
        query = sa.select(sa.func.count()).where(
            OUTBOX.c.platform == platform, OUTBOX.c.state.in_(("pending", "sending"))
        )
        return int(self.connection.execute(query).scalar() or 0)

    def counts(self, run_id: int | None = None) -> dict[str, int]:
        query = sa.select(OUTBOX.c.state, sa.func.count()).group_by(OUTBOX.c.state)
        if run_id is not None:
            query = query.where(OUTBOX.c.run_id == run_id)
        return {state: int(count) for state, count in self.connection.execute(query)}


@dataclass(frozen=True)
class ReceivedUpdate:
    key: str
    sequence: int | None
    chat_id: str | None
    payload: str


class SqlReceivedUpdates:
    """The durable inbox of a channel: updates as they came, stored before acknowledging."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def store(self, platform: str, updates: Sequence[ReceivedUpdate], at: datetime) -> set[str]:
        """Store the updates not stored yet; returns the keys that are new."""
        new = set()
        for update in updates:
            values = {
                "platform": platform,
                "update_key": update.key,
                "sequence": update.sequence,
                "chat_id": update.chat_id,
                "payload": update.payload,
                "received_at": at,
            }
            if insert_if_absent(self.connection, RECEIVED, values):
                new.add(update.key)
        return new

    def unhandled(self, platform: str) -> list[ReceivedUpdate]:
        """Stored but not handled yet (a crash came between), in the order they came."""
        query = (
            sa.select(RECEIVED)
            .where(RECEIVED.c.platform == platform, RECEIVED.c.handled_at.is_(None))
            .order_by(RECEIVED.c.id)
        )
        return [
            ReceivedUpdate(row.update_key, row.sequence, row.chat_id, row.payload)
            for row in self.connection.execute(query)
        ]

    def mark_handled(self, platform: str, keys: Sequence[str], at: datetime) -> None:
        self.connection.execute(
            sa.update(RECEIVED)
            .where(
                RECEIVED.c.platform == platform,
                RECEIVED.c.update_key.in_(list(keys)),
                RECEIVED.c.handled_at.is_(None),
            )
            .values(handled_at=at)
        )

    def last_sequence(self, platform: str) -> int | None:
        return self.connection.execute(
            sa.select(sa.func.max(RECEIVED.c.sequence)).where(RECEIVED.c.platform == platform)
        ).scalar()


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


class SqlMessageCounts:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, platform: str, month: str, count: int) -> None:
        updated = self.connection.execute(
            sa.update(MESSAGE_COUNT)
            .where(MESSAGE_COUNT.c.platform == platform, MESSAGE_COUNT.c.month == month)
            .values(sent=MESSAGE_COUNT.c.sent + count)
        )
        if updated.rowcount == 0:
            values = {"platform": platform, "month": month, "sent": 0}
            insert_if_absent(self.connection, MESSAGE_COUNT, values)
            self.connection.execute(
                sa.update(MESSAGE_COUNT)
                .where(MESSAGE_COUNT.c.platform == platform, MESSAGE_COUNT.c.month == month)
                .values(sent=MESSAGE_COUNT.c.sent + count)
            )

    def sent(self, platform: str, month: str) -> int:
        value = self.connection.execute(
            sa.select(MESSAGE_COUNT.c.sent).where(
                MESSAGE_COUNT.c.platform == platform, MESSAGE_COUNT.c.month == month
            )
        ).scalar()
        return int(value or 0)


@dataclass(frozen=True)
class PublishedFile:
    id: str
    filename: str
    kind: str
    content: bytes
    expires_at: datetime


class SqlPublishedFiles:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def publish(self, file: PublishedFile, at: datetime) -> None:
        self.connection.execute(
            sa.insert(PUBLISHED).values(
                id=file.id,
                filename=file.filename,
                kind=file.kind,
                content=file.content,
                created_at=at,
                expires_at=file.expires_at,
            )
        )

    def get(self, file_id: str) -> PublishedFile | None:
        row = self.connection.execute(sa.select(PUBLISHED).where(PUBLISHED.c.id == file_id)).first()
        if row is None:
            return None
        return PublishedFile(row.id, row.filename, row.kind, bytes(row.content), row.expires_at)

    def purge_expired(self, at: datetime) -> int:
        return int(
            self.connection.execute(
                sa.delete(PUBLISHED).where(PUBLISHED.c.expires_at < at)
            ).rowcount
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
        self.submissions = SqlSubmissions(connection)
        self.subscriptions = SqlSubscriptions(connection)
        self.pending_reports = SqlPendingReports(connection)
        self.received = SqlReceivedUpdates(connection)
        self.job_runs = SqlJobRuns(connection)
        self.outbox = SqlOutbox(connection)
        self.contacts = SqlContacts(connection)
        self.message_counts = SqlMessageCounts(connection)
        self.published = SqlPublishedFiles(connection)
        self.rejected = SqlRejectedUpdates(connection)
