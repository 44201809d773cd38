"""Repositories implementing the domain ports on one SQLModel session. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

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


def unit_from_row(row: UnitRow) -> Unit:
    return Unit(
        code=row.code,
        name=row.name,
        kind=UnitKind(row.kind),
        parent=row.parent_code,
        weekly_quota=row.weekly_quota,
        active=row.active,
    )


def campaign_from_row(row: CampaignRow) -> Campaign:
    if row.id is None:
        raise ValueError("campaign row without id")
    return Campaign(row.id, row.name, row.start_date, row.end_date, row.metric)


class SqlUnits:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str) -> Unit | None:
        row = self.session.get(UnitRow, code)
        return unit_from_row(row) if row else None

    def active(self) -> list[Unit]:
        rows = self.session.exec(select(UnitRow).where(col(UnitRow.active)).order_by(UnitRow.code))
        return [unit_from_row(row) for row in rows]

    def everything(self) -> list[Unit]:
        return [unit_from_row(row) for row in self.session.exec(select(UnitRow))]

    def children(self, parent_code: str | None) -> list[Unit]:
        condition = (
            col(UnitRow.parent_code).is_(None)
            if parent_code is None
            else col(UnitRow.parent_code) == parent_code
        )
        rows = self.session.exec(select(UnitRow).where(condition, col(UnitRow.active)))
        return [unit_from_row(row) for row in rows]

    def upsert(self, unit: Unit) -> str:
        """Insert or update one unit; returns 'added', 'updated' or 'unchanged'."""
        row = self.session.get(UnitRow, unit.code)
        values = {
            "name": unit.name,
            "kind": unit.kind.value,
            "parent_code": unit.parent,
            "weekly_quota": unit.weekly_quota,
            "active": unit.active,
        }
        if row is None:
            self.session.add(UnitRow(code=unit.code, **values))
            return "added"
        if all(getattr(row, key) == value for key, value in values.items()):
            return "unchanged"
        for key, value in values.items():
            setattr(row, key, value)
        self.session.add(row)
        return "updated"


class SqlCampaigns:
    def __init__(self, session: Session) -> None:
        self.session = session

    def active(self) -> Campaign | None:
        row = self.session.exec(select(CampaignRow).where(col(CampaignRow.active))).first()
        return campaign_from_row(row) if row else None

    def all(self) -> list[Campaign]:
        rows = self.session.exec(select(CampaignRow).order_by(CampaignRow.start_date))
        return [campaign_from_row(row) for row in rows]

    def activate(self, name: str, start: date, end: date | None, metric: str) -> Campaign:
        """Make the named campaign the active one, creating it or updating its dates.

        Earlier campaigns stay in the table with their entries, so their history remains
        queryable.
        """
        row = self.session.exec(select(CampaignRow).where(CampaignRow.name == name)).first()
        for other in self.session.exec(select(CampaignRow).where(col(CampaignRow.active))):
            if other.name != name:
                other.active = False
                self.session.add(other)
        if row is None:
            row = CampaignRow(name=name, start_date=start, end_date=end, metric=metric)
        row.start_date, row.end_date, row.metric, row.active = start, end, metric, True
        self.session.add(row)
        self.session.flush()
        return campaign_from_row(row)


def _membership(row: MembershipRow) -> Membership:
    if row.id is None:
        raise ValueError("membership row without id")
    return Membership(
        id=row.id,
        person=Person(row.platform, row.user_id, row.display_name),
        unit_code=row.unit_code,
        status=MembershipStatus(row.status),
        requested_at=row.requested_at,
    )


class SqlMembers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _with_status(
        self, platform: str, user_id: str, status: MembershipStatus
    ) -> Membership | None:
        row = self.session.exec(
            select(MembershipRow)
            .where(
                MembershipRow.platform == platform,
                MembershipRow.user_id == user_id,
                MembershipRow.status == status.value,
            )
            .order_by(col(MembershipRow.id).desc())
        ).first()
        return _membership(row) if row else None

    def approved(self, platform: str, user_id: str) -> Membership | None:
        return self._with_status(platform, user_id, MembershipStatus.APPROVED)

    def pending(self, platform: str, user_id: str) -> Membership | None:
        return self._with_status(platform, user_id, MembershipStatus.PENDING)

    def request(self, person: Person, unit_code: str, at: datetime) -> Membership:
        row = MembershipRow(
            platform=person.platform,
            user_id=person.user_id,
            display_name=person.display_name,
            unit_code=unit_code,
            status=MembershipStatus.PENDING.value,
            requested_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return _membership(row)

    def decide(
        self, membership_id: int, status: MembershipStatus, by: Person, at: datetime
    ) -> None:
        row = self.session.get(MembershipRow, membership_id)
        if row is None:
            raise LookupError(f"no membership {membership_id}")
        row.status, row.decided_at, row.decided_by = status.value, at, by.user_id
        self.session.add(row)
        self.session.flush()

    def approved_for_unit(self, unit_code: str) -> list[Membership]:
        rows = self.session.exec(
            select(MembershipRow).where(
                MembershipRow.unit_code == unit_code,
                MembershipRow.status == MembershipStatus.APPROVED.value,
            )
        )
        return [_membership(row) for row in rows]


class SqlChats:
    def __init__(self, session: Session) -> None:
        self.session = session

    def unit_of(self, chat: ChatRef) -> str | None:
        row = self.session.get(ChatBindingRow, (chat.platform, chat.chat_id))
        return row.unit_code if row and row.active else None

    def bind(self, chat: ChatRef, unit_code: str, by: Person, at: datetime) -> None:
        row = self.session.get(ChatBindingRow, (chat.platform, chat.chat_id))
        if row is None:
            row = ChatBindingRow(
                platform=chat.platform,
                chat_id=chat.chat_id,
                unit_code=unit_code,
                bound_by=by.user_id,
                bound_at=at,
            )
        row.unit_code, row.bound_by, row.bound_at, row.active = unit_code, by.user_id, at, True
        self.session.add(row)
        self.session.flush()


class SqlAdmins:
    def __init__(self, session: Session) -> None:
        self.session = session

    def is_admin(self, platform: str, user_id: str) -> bool:
        return self.session.get(AdminGrantRow, (platform, user_id)) is not None

    def granted(self, platform: str) -> list[str]:
        rows = self.session.exec(select(AdminGrantRow).where(AdminGrantRow.platform == platform))
        return [row.user_id for row in rows]

    def grant(self, platform: str, user_id: str, at: datetime) -> bool:
        if self.is_admin(platform, user_id):
            return False
        self.session.add(AdminGrantRow(platform=platform, user_id=user_id, granted_at=at))
        self.session.flush()
        return True

    def revoke(self, platform: str, user_id: str) -> bool:
        row = self.session.get(AdminGrantRow, (platform, user_id))
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True


class SqlInbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def first_time(self, source: MessageRef, kind: str, at: datetime) -> bool:
        key = (source.platform, source.chat_id, source.message_id)
        if self.session.get(InboundMessageRow, key) is not None:
            return False
        self.session.add(
            InboundMessageRow(
                platform=source.platform,
                chat_id=source.chat_id,
                message_id=source.message_id,
                kind=kind,
                handled_at=at,
            )
        )
        self.session.flush()
        return True


def _entry(row: ReportEntryRow) -> ReportEntry:
    if row.id is None:
        raise ValueError("ledger row without id")
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


class SqlLedger:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_unit(self, unit_code: str) -> None:
        # PostgreSQL: a row lock serialises read-total-then-write per unit. SQLite ignores
        # FOR UPDATE; there BEGIN IMMEDIATE already holds the database's write lock.
        self.session.exec(select(UnitRow.code).where(UnitRow.code == unit_code).with_for_update())

    def entry_for(self, source: MessageRef) -> ReportEntry | None:
        row = self.session.exec(
            select(ReportEntryRow).where(
                ReportEntryRow.source_platform == source.platform,
                ReportEntryRow.source_chat_id == source.chat_id,
                ReportEntryRow.source_message_id == source.message_id,
            )
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
        row = ReportEntryRow(
            campaign_id=campaign_id,
            unit_code=unit_code,
            week_start=week_start,
            delta=delta,
            mode=mode.value,
            requested=requested,
            reporter_platform=reporter.platform,
            reporter_user_id=reporter.user_id,
            reporter_name=reporter.display_name,
            source_platform=source.platform,
            source_chat_id=source.chat_id,
            source_message_id=source.message_id,
            sent_at=sent_at,
            recorded_at=recorded_at,
        )
        self.session.add(row)
        self.session.flush()
        entry = _entry(row)
        self._audit(entry.id, "create", None, delta, None, requested, reporter, source, recorded_at)
        return entry

    def week_total(self, campaign_id: int, unit_code: str, week_start: date) -> int:
        total = self.session.exec(
            select(sa.func.coalesce(sa.func.sum(ReportEntryRow.delta), 0)).where(
                ReportEntryRow.campaign_id == campaign_id,
                ReportEntryRow.week_start == week_start,
                ReportEntryRow.unit_code == unit_code,
                col(ReportEntryRow.void).is_(False),
            )
        ).one()
        return int(total)

    def last_live_entry(
        self, campaign_id: int, reporter: Person, week_starts: Sequence[date]
    ) -> ReportEntry | None:
        row = self.session.exec(
            select(ReportEntryRow)
            .where(
                ReportEntryRow.reporter_platform == reporter.platform,
                ReportEntryRow.reporter_user_id == reporter.user_id,
                ReportEntryRow.campaign_id == campaign_id,
                col(ReportEntryRow.week_start).in_(list(week_starts)),
                col(ReportEntryRow.void).is_(False),
            )
            .order_by(col(ReportEntryRow.id).desc())
        ).first()
        return _entry(row) if row else None

    def void(self, entry: ReportEntry, by: Person, at: datetime, source: MessageRef | None) -> None:
        row = self._row(entry.id)
        row.void = True
        self.session.add(row)
        self._audit(entry.id, "void", row.delta, 0, row.requested, row.requested, by, source, at)

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
        row = self._row(entry.id)
        old_delta, old_requested = row.delta, row.requested
        row.delta, row.requested, row.edited_at = delta, requested, edited_at
        self.session.add(row)
        self.session.flush()
        self._audit(
            entry.id, "edit", old_delta, delta, old_requested, requested, by, entry.source, at
        )
        return _entry(row)

    def week_totals(
        self, campaign_id: int, week_start: date, unit_codes: Sequence[str] | None
    ) -> list[UnitWeekTotal]:
        entry = ReportEntryRow
        joined = sa.and_(
            entry.unit_code == UnitRow.code,
            entry.campaign_id == campaign_id,
            entry.week_start == week_start,
            col(entry.void).is_(False),
        )
        query = (
            select(
                UnitRow,
                sa.func.coalesce(sa.func.sum(entry.delta), 0),
                sa.func.count(col(entry.id)),
            )
            .select_from(UnitRow)
            .join(entry, joined, isouter=True)
            .where(col(UnitRow.active))
            .group_by(col(UnitRow.code))
        )
        if unit_codes is not None:
            query = query.where(col(UnitRow.code).in_(list(unit_codes)))
        return [
            UnitWeekTotal(unit_from_row(row), int(total), int(count))
            for row, total, count in self.session.exec(query)
        ]

    def _row(self, entry_id: int) -> ReportEntryRow:
        row = self.session.get(ReportEntryRow, entry_id)
        if row is None:
            raise LookupError(f"no ledger entry {entry_id}")
        return row

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
        self.session.add(
            ReportAuditRow(
                entry_id=entry_id,
                action=action,
                old_delta=old_delta,
                new_delta=new_delta,
                old_requested=old_requested,
                new_requested=new_requested,
                actor_platform=actor.platform,
                actor_user_id=actor.user_id,
                source_chat_id=source.chat_id if source else None,
                source_message_id=source.message_id if source else None,
                at=at,
            )
        )


class SqlStore:
    """All repositories of one unit of work, sharing its session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.units = SqlUnits(session)
        self.campaigns = SqlCampaigns(session)
        self.members = SqlMembers(session)
        self.chats = SqlChats(session)
        self.admins = SqlAdmins(session)
        self.inbox = SqlInbox(session)
        self.ledger = SqlLedger(session)
