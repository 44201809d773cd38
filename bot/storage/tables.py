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
    # "units": its quotas follow units.csv (quizbot init); "file": they came with it.
    quotas_from: str = Field(
        default="units",
        sa_column=sa.Column(sa.String(10), nullable=False, server_default="units"),
    )


class CampaignQuotaRow(SQLModel, table=True):
    """A unit's weekly quota in one campaign (the unit table holds the current campaign's)."""

    __tablename__ = "campaign_quota"

    campaign_id: int = Field(primary_key=True, foreign_key="campaign.id")
    unit_code: str = Field(primary_key=True, foreign_key="unit.code", max_length=20)
    weekly_quota: int


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
    # The unit whose subtree the admin looks after; None for the whole district.
    unit_code: str | None = Field(default=None, foreign_key="unit.code", max_length=20)


class InvitationRow(SQLModel, table=True):
    """A code an admin hands out: whoever uses it becomes a secretary of the unit (in a
    group: the group is bound to it), up to `max_uses` people, until `expires_at`."""

    __tablename__ = "invitation"

    code: str = Field(primary_key=True, max_length=16)
    unit_code: str = Field(foreign_key="unit.code", max_length=20, index=True)
    max_uses: int
    used: int = 0
    expires_at: datetime = _utc()
    created_platform: str = Field(max_length=20)
    created_by: str = Field(max_length=64)
    created_at: datetime = _utc()
    revoked_at: datetime | None = _utc(nullable=True)


class AnnouncementRow(SQLModel, table=True):
    """A /thongbao: its text (and file) for every chat of a scope, sent by the leader as a
    run of its own; `planned_at` is set when its sends are queued."""

    __tablename__ = "announcement"

    id: int | None = Field(default=None, primary_key=True)
    scope_unit_code: str | None = Field(default=None, foreign_key="unit.code", max_length=20)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    file_id: str | None = Field(default=None, max_length=300)
    file_name: str | None = Field(default=None, max_length=300)
    file_kind: str | None = Field(default=None, max_length=10)
    by_platform: str = Field(max_length=20)
    by_user: str = Field(max_length=64)
    by_name: str = Field(default="", max_length=200)
    created_at: datetime = _utc()
    planned_at: datetime | None = _utc(nullable=True)


class BoardLinkRow(SQLModel, table=True):
    """A /bangtin link: its secret's hash (the secret is only in the link), whose it is,
    the scope it opens, until when."""

    __tablename__ = "board_link"
    __table_args__ = (sa.Index("ix_board_link_person", "platform", "user_id"),)

    token_hash: str = Field(primary_key=True, max_length=64)
    platform: str = Field(max_length=20)
    user_id: str = Field(max_length=64)
    scope_unit_code: str | None = Field(default=None, foreign_key="unit.code", max_length=20)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    revoked_at: datetime | None = _utc(nullable=True)


class InvitationUseRow(SQLModel, table=True):
    __tablename__ = "invitation_use"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(foreign_key="invitation.code", max_length=16, index=True)
    platform: str = Field(max_length=20)
    user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=200)
    chat_id: str = Field(max_length=64)
    used_at: datetime = _utc()


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
        # A unit's week in sending order: where a re-fold starts.
        sa.Index("ix_report_order", "campaign_id", "unit_code", "week_start", "sent_at", "id"),
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
    # The entry's effect in the fold of its unit's week (see bot/domain/model/ledger.py): derived
    # from `mode` and `requested` of every live entry and re-derived after each change, so
    # that SUM(delta) over live entries is the unit's own figure.
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
    # The message as its sender wrote it (shown with the entry on the board).
    text: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False, server_default=""))


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
    old_mode: str | None = Field(default=None, max_length=10)
    new_mode: str | None = Field(default=None, max_length=10)
    actor_platform: str = Field(max_length=20)
    actor_user_id: str = Field(max_length=64)
    source_chat_id: str | None = Field(default=None, max_length=64)
    source_message_id: str | None = Field(default=None, max_length=64)
    at: datetime = _utc()


class MonthlySubmissionRow(SQLModel, table=True):
    """Monthly reports; a resend marks the earlier row replaced, so history stays."""

    __tablename__ = "monthly_submission"
    __table_args__ = (
        sa.Index("ix_submission_month", "campaign_id", "month", "unit_code", "replaced"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    unit_code: str = Field(foreign_key="unit.code", max_length=20)
    month: str = Field(max_length=7)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    file_id: str | None = Field(default=None, max_length=300)
    file_name: str | None = Field(default=None, max_length=300)
    submitter_platform: str = Field(max_length=20)
    submitter_user_id: str = Field(max_length=64)
    submitter_name: str = Field(default="", max_length=200)
    source_chat_id: str = Field(max_length=64)
    source_message_id: str = Field(max_length=64)
    submitted_at: datetime = _utc()
    replaced: bool = False


class DigestSubscriptionRow(SQLModel, table=True):
    __tablename__ = "digest_subscription"

    platform: str = Field(primary_key=True, max_length=20)
    chat_id: str = Field(primary_key=True, max_length=64)
    scope_unit_code: str | None = Field(default=None, foreign_key="unit.code", max_length=20)
    active: bool = True
    created_by: str = Field(max_length=64)
    created_at: datetime = _utc()


class ChatStateRow(SQLModel, table=True):
    """Chats the bot can no longer write to (blocked, deleted, bot removed)."""

    __tablename__ = "chat_state"

    platform: str = Field(primary_key=True, max_length=20)
    chat_id: str = Field(primary_key=True, max_length=64)
    gone: bool = False
    reason: str = Field(default="", max_length=200)
    updated_at: datetime = _utc()


class JobRunRow(SQLModel, table=True):
    """The job ledger: one row per (job, period); a period runs once."""

    __tablename__ = "job_run"
    __table_args__ = (sa.UniqueConstraint("job", "period", name="uq_job_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    period: str = Field(max_length=40)
    slot: datetime = _utc()
    # planning -> planned (its messages are in the outbox) -> done (none left to send).
    state: str = Field(max_length=10)
    claimed_at: datetime = _utc()
    planned_at: datetime | None = _utc(nullable=True)
    finished_at: datetime | None = _utc(nullable=True)
    messages: int = 0


class OutboxRow(SQLModel, table=True):
    """One send (a text or one file) to one chat; its state says whether it went out."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_state", "state", "platform", "chat_id", "id"),
        sa.Index("ix_outbox_run", "run_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="job_run.id")
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=64)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    # pending -> sending -> sent | gone | unknown (in flight at a crash: never resent) | failed
    state: str = Field(max_length=10)
    attempts: int = 0
    not_before: datetime | None = _utc(nullable=True)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    error: str | None = Field(default=None, max_length=300)


class OutboxFileRow(SQLModel, table=True):
    __tablename__ = "outbox_file"

    outbox_id: int = Field(primary_key=True, foreign_key="outbox.id")
    filename: str = Field(max_length=200)
    kind: str = Field(max_length=10)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))


class PendingReportRow(SQLModel, table=True):
    """A report held until its sender confirms it (a figure far above the quota)."""

    __tablename__ = "pending_report"
    __table_args__ = (
        sa.Index("ix_pending_source", "source_platform", "source_chat_id", "source_message_id"),
        sa.Index("ix_pending_reporter", "reporter_platform", "reporter_user_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_platform: str = Field(max_length=20)
    source_chat_id: str = Field(max_length=64)
    source_message_id: str = Field(max_length=64)
    reporter_platform: str = Field(max_length=20)
    reporter_user_id: str = Field(max_length=64)
    reporter_name: str = Field(default="", max_length=200)
    unit_code: str = Field(foreign_key="unit.code", max_length=20)
    week_start: date
    mode: str = Field(max_length=10)
    amount: int
    sent_at: datetime = _utc()
    edited_at: datetime | None = _utc(nullable=True)
    # A second reading the sender may pick instead (a question, not a plausibility check).
    other_mode: str | None = Field(default=None, max_length=10)
    other_amount: int | None = None
    # waiting -> confirmed | cancelled
    state: str = Field(max_length=10)
    created_at: datetime = _utc()
    resolved_at: datetime | None = _utc(nullable=True)


class ReceivedUpdateRow(SQLModel, table=True):
    """Every update from a chat platform, stored before the platform is told it arrived
    (Telegram: before the polling offset moves past it), and marked once handled."""

    __tablename__ = "received_update"
    __table_args__ = (
        sa.UniqueConstraint("platform", "update_key", name="uq_received_update"),
        sa.Index("ix_received_unhandled", "platform", "handled_at", "id"),
        sa.Index("ix_received_chat_unhandled", "platform", "chat_id", "handled_at", "sequence"),
        sa.Index("ix_received_reply_unsent", "platform", "replied_at", "handled_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    update_key: str = Field(max_length=64)
    # Telegram's update_id: where polling resumes.
    sequence: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger(), nullable=True))
    chat_id: str | None = Field(default=None, max_length=64)
    payload: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    received_at: datetime = _utc()
    handled_at: datetime | None = _utc(nullable=True)
    # What the bot answered (JSON), written with the handled mark in the transaction that
    # handled the update, and when it was sent: a crash between the two sends it at restart.
    reply: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    replied_at: datetime | None = _utc(nullable=True)


class MessageCountRow(SQLModel, table=True):
    """Messages sent per platform and local month: Zalo's plan allows about 3 000."""

    __tablename__ = "message_count"

    platform: str = Field(primary_key=True, max_length=20)
    month: str = Field(primary_key=True, max_length=7)
    sent: int = 0


class PublishedFileRow(SQLModel, table=True):
    """A rendered chart or spreadsheet behind a signed, expiring link (Zalo takes files only
    by URL)."""

    __tablename__ = "published_file"

    id: str = Field(primary_key=True, max_length=40)
    filename: str = Field(max_length=200)
    kind: str = Field(max_length=10)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: datetime = _utc()
    expires_at: datetime = _utc()


class ContactRow(SQLModel, table=True):
    """Where a person is reached in private, kept from their first private message (a
    platform may not use the user id as the chat id)."""

    __tablename__ = "contact"

    platform: str = Field(primary_key=True, max_length=20)
    user_id: str = Field(primary_key=True, max_length=64)
    chat_id: str = Field(max_length=64)
    first_seen: datetime = _utc()


class LeaseRow(SQLModel, table=True):
    """Who runs the scheduler and the outbox dispatcher now, until when, and under which
    fencing token (raised at every change of holder)."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=120)
    token: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    expires_at: datetime = _utc()
    acquired_at: datetime = _utc()


class ChatTurnRow(SQLModel, table=True):
    """Which worker is handling a chat's stored updates (one at a time, in order), until
    when: a worker that dies leaves a turn that expires."""

    __tablename__ = "chat_turn"

    platform: str = Field(primary_key=True, max_length=20)
    chat_id: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=120)
    expires_at: datetime = _utc()


class SendSlotRow(SQLModel, table=True):
    """A platform's send pacing shared by every worker: for the whole bot (chat_id "*") and
    per chat, the theoretical arrival time of the next message (GCRA) for the per-second and
    per-minute limits."""

    __tablename__ = "send_slot"

    platform: str = Field(primary_key=True, max_length=20)
    chat_id: str = Field(primary_key=True, max_length=64)
    next_second: datetime = _utc()
    next_minute: datetime = _utc()


class RejectedUpdateRow(SQLModel, table=True):
    """A webhook delivery that was JSON but no update: kept with its reason (answered 200 so
    the platform stops retrying it), never handled."""

    __tablename__ = "rejected_update"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    reason: str = Field(max_length=40)
    # The start of the body, for whoever looks into it; never more.
    excerpt: str = Field(max_length=500)
    received_at: datetime = _utc()
