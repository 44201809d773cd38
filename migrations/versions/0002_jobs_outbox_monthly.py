"""Monthly submissions, digest subscriptions, chat reachability, the job ledger, the outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _text(length: int) -> sa.String:
    return sa.String(length=length)


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "monthly_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", _text(20), nullable=False),
        sa.Column("month", _text(7), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", _text(300), nullable=True),
        sa.Column("file_name", _text(300), nullable=True),
        sa.Column("submitter_platform", _text(20), nullable=False),
        sa.Column("submitter_user_id", _text(64), nullable=False),
        sa.Column("submitter_name", _text(200), nullable=False),
        sa.Column("source_chat_id", _text(64), nullable=False),
        sa.Column("source_message_id", _text(64), nullable=False),
        sa.Column("submitted_at", _moment(), nullable=False),
        sa.Column("replaced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_submission_month", "monthly_submission", ["campaign_id", "month", "unit_code", "replaced"]
    )
    op.create_table(
        "digest_subscription",
        sa.Column("platform", _text(20), nullable=False),
        sa.Column("chat_id", _text(64), nullable=False),
        sa.Column("scope_unit_code", _text(20), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", _text(64), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.ForeignKeyConstraint(["scope_unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("platform", "chat_id"),
    )
    op.create_table(
        "chat_state",
        sa.Column("platform", _text(20), nullable=False),
        sa.Column("chat_id", _text(64), nullable=False),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.Column("reason", _text(200), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "chat_id"),
    )
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", _text(40), nullable=False),
        sa.Column("period", _text(40), nullable=False),
        sa.Column("slot", _moment(), nullable=False),
        sa.Column("state", _text(10), nullable=False),
        sa.Column("claimed_at", _moment(), nullable=False),
        sa.Column("planned_at", _moment(), nullable=True),
        sa.Column("finished_at", _moment(), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "period", name="uq_job_period"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("platform", _text(20), nullable=False),
        sa.Column("chat_id", _text(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", _text(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", _moment(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.Column("error", _text(300), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["job_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_state", "outbox", ["state", "platform", "chat_id", "id"])
    op.create_index("ix_outbox_run", "outbox", ["run_id", "state"])
    op.create_table(
        "outbox_file",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("filename", _text(200), nullable=False),
        sa.Column("kind", _text(10), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("outbox_id"),
    )


def downgrade() -> None:
    for table in (
        "outbox_file", "outbox", "job_run", "chat_state", "digest_subscription",
        "monthly_submission",
    ):
        op.drop_table(table)
