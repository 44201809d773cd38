"""Initial schema: units, campaigns, memberships, chat bindings, admins, the report ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _text(length: int) -> sa.String:
    return sa.String(length=length)


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("code", _text(20), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("kind", _text(30), nullable=False),
        sa.Column("parent_code", _text(20), nullable=True),
        sa.Column("weekly_quota", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _text(300), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("metric", _text(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "admin_grant",
        sa.Column("platform", _text(20), nullable=False),
        sa.Column("user_id", _text(64), nullable=False),
        sa.Column("granted_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id"),
    )
    op.create_table(
        "inbound_message",
        sa.Column("platform", _text(20), nullable=False),
        sa.Column("chat_id", _text(64), nullable=False),
        sa.Column("message_id", _text(64), nullable=False),
        sa.Column("kind", _text(20), nullable=False),
        sa.Column("handled_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "chat_id", "message_id"),
    )
    op.create_table(
        "chat_binding",
        sa.Column("platform", _text(20), nullable=False),
        sa.Column("chat_id", _text(64), nullable=False),
        sa.Column("unit_code", _text(20), nullable=False),
        sa.Column("bound_by", _text(64), nullable=False),
        sa.Column("bound_at", _moment(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("platform", "chat_id"),
    )
    op.create_index("ix_chat_binding_unit_code", "chat_binding", ["unit_code"])
    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", _text(20), nullable=False),
        sa.Column("user_id", _text(64), nullable=False),
        sa.Column("display_name", _text(200), nullable=False),
        sa.Column("unit_code", _text(20), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("requested_at", _moment(), nullable=False),
        sa.Column("decided_at", _moment(), nullable=True),
        sa.Column("decided_by", _text(64), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_membership_person", "membership", ["platform", "user_id", "status"])
    op.create_index("ix_membership_unit_code", "membership", ["unit_code"])
    op.create_table(
        "report_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", _text(20), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("mode", _text(10), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("reporter_platform", _text(20), nullable=False),
        sa.Column("reporter_user_id", _text(64), nullable=False),
        sa.Column("reporter_name", _text(200), nullable=False),
        sa.Column("source_platform", _text(20), nullable=False),
        sa.Column("source_chat_id", _text(64), nullable=False),
        sa.Column("source_message_id", _text(64), nullable=False),
        sa.Column("sent_at", _moment(), nullable=False),
        sa.Column("recorded_at", _moment(), nullable=False),
        sa.Column("void", sa.Boolean(), nullable=False),
        sa.Column("edited_at", _moment(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "source_platform", "source_chat_id", "source_message_id", name="uq_report_source"
        ),
    )
    op.create_index(
        "ix_report_week", "report_entry", ["campaign_id", "week_start", "unit_code", "void", "delta"]
    )
    op.create_index(
        "ix_report_reporter",
        "report_entry",
        ["reporter_platform", "reporter_user_id", "campaign_id", "week_start"],
    )
    op.create_table(
        "report_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("action", _text(10), nullable=False),
        sa.Column("old_delta", sa.Integer(), nullable=True),
        sa.Column("new_delta", sa.Integer(), nullable=False),
        sa.Column("old_requested", sa.Integer(), nullable=True),
        sa.Column("new_requested", sa.Integer(), nullable=False),
        sa.Column("actor_platform", _text(20), nullable=False),
        sa.Column("actor_user_id", _text(64), nullable=False),
        sa.Column("source_chat_id", _text(64), nullable=True),
        sa.Column("source_message_id", _text(64), nullable=True),
        sa.Column("at", _moment(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["report_entry.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_audit_entry_id", "report_audit", ["entry_id"])


def downgrade() -> None:
    for table in (
        "report_audit", "report_entry", "membership", "chat_binding", "inbound_message",
        "admin_grant", "campaign", "unit",
    ):
        op.drop_table(table)
