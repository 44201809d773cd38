"""SQLModel tables. The schema itself is created by the Alembic migrations in migrations/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(nullable: bool = False) -> Any:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable))


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    parent_code: str | None = Field(default=None, max_length=20)
    weekly_quota: int = 0
    active: bool = True


class CampaignRow(SQLModel, table=True):
    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=300, unique=True)
    start_date: date
    end_date: date | None = None
    metric: str = Field(max_length=100)
    active: bool = False


class MembershipRow(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (sa.Index("ix_membership_person", "platform", "user_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=200)
    unit_code: str = Field(foreign_key="unit.code", max_length=20, index=True)
    status: str = Field(max_length=20)
    requested_at: datetime = _utc()
    decided_at: datetime | None = _utc(nullable=True)
    decided_by: str | None = Field(default=None, max_length=64)


class ChatBindingRow(SQLModel, table=True):
    __tablename__ = "chat_binding"

    platform: str = Field(primary_key=True, max_length=20)
    chat_id: str = Field(primary_key=True, max_length=64)
    unit_code: str = Field(foreign_key="unit.code", max_length=20, index=True)
    bound_by: str = Field(max_length=64)
    bound_at: datetime = _utc()
    active: bool = True


class AdminGrantRow(SQLModel, table=True):
    __tablename__ = "admin_grant"

    platform: str = Field(primary_key=True, max_length=20)
    user_id: str = Field(primary_key=True, max_length=64)
    granted_at: datetime = _utc()


class InboundMessageRow(SQLModel, table=True):
    """Messages whose effect must happen once (an /undo delivered twice undoes once)."""

    __tablename__ = "inbound_message"

    platform: str = Field(primary_key=True, max_length=20)
    chat_id: str = Field(primary_key=True, max_length=64)
    message_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=20)
    handled_at: datetime = _utc()


class ReportEntryRow(SQLModel, table=True):
    __tablename__ = "report_entry"
    __table_args__ = (
        sa.UniqueConstraint(
            "source_platform", "source_chat_id", "source_message_id", name="uq_report_source"
        ),
        # Covers the weekly aggregate: the sum is read from the index alone.
        sa.Index("ix_report_week", "campaign_id", "week_start", "unit_code", "void", "delta"),
        sa.Index(
            "ix_report_reporter",
            "reporter_platform",
            "reporter_user_id",
            "campaign_id",
            "week_start",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    unit_code: str = Field(foreign_key="unit.code", max_length=20)
    week_start: date
    delta: int
    mode: str = Field(max_length=10)
    requested: int
    reporter_platform: str = Field(max_length=20)
    reporter_user_id: str = Field(max_length=64)
    reporter_name: str = Field(default="", max_length=200)
    source_platform: str = Field(max_length=20)
    source_chat_id: str = Field(max_length=64)
    source_message_id: str = Field(max_length=64)
    sent_at: datetime = _utc()
    recorded_at: datetime = _utc()
    void: bool = False
    edited_at: datetime | None = _utc(nullable=True)


class ReportAuditRow(SQLModel, table=True):
    """Who changed which ledger entry, how, when and from which message."""

    __tablename__ = "report_audit"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="report_entry.id", index=True)
    action: str = Field(max_length=10)
    old_delta: int | None = None
    new_delta: int
    old_requested: int | None = None
    new_requested: int
    actor_platform: str = Field(max_length=20)
    actor_user_id: str = Field(max_length=64)
    source_chat_id: str | None = Field(default=None, max_length=64)
    source_message_id: str | None = Field(default=None, max_length=64)
    at: datetime = _utc()
