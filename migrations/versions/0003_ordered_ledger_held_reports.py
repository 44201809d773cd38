"""Ordered ledger (effects re-derived by folding in sending order), held reports, audit modes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _text(length: int) -> sa.String:
    return sa.String(length=length)


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pending_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_platform", _text(20), nullable=False),
        sa.Column("source_chat_id", _text(64), nullable=False),
        sa.Column("source_message_id", _text(64), nullable=False),
        sa.Column("reporter_platform", _text(20), nullable=False),
        sa.Column("reporter_user_id", _text(64), nullable=False),
        sa.Column("reporter_name", _text(200), nullable=False),
        sa.Column("unit_code", _text(20), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("mode", _text(10), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("sent_at", _moment(), nullable=False),
        sa.Column("edited_at", _moment(), nullable=True),
        sa.Column("state", _text(10), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("resolved_at", _moment(), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_pending_source",
        "pending_report",
        ["source_platform", "source_chat_id", "source_message_id"],
    )
    op.create_index(
        "ix_pending_reporter", "pending_report", ["reporter_platform", "reporter_user_id", "state"]
    )
    op.create_index(
        "ix_report_order",
        "report_entry",
        ["campaign_id", "unit_code", "week_start", "sent_at", "id"],
    )
    with op.batch_alter_table("report_audit") as batch:
        batch.add_column(sa.Column("old_mode", _text(10), nullable=True))
        batch.add_column(sa.Column("new_mode", _text(10), nullable=True))
    _refold_existing_entries()


def _refold_existing_entries() -> None:
    """Entries stored before this revision hold the difference at the time they were sent;
    re-derive every live entry's effect by folding its unit's week in sending order (the
    same arithmetic as bot/domain/model/ledger.py, repeated here so the migration stays fixed)."""
    connection = op.get_bind()
    entry = sa.table(
        "report_entry",
        sa.column("id", sa.Integer),
        sa.column("campaign_id", sa.Integer),
        sa.column("unit_code", sa.String),
        sa.column("week_start", sa.Date),
        sa.column("delta", sa.Integer),
        sa.column("mode", sa.String),
        sa.column("requested", sa.Integer),
        sa.column("sent_at", sa.DateTime),
        sa.column("void", sa.Boolean),
    )
    rows = connection.execute(
        sa.select(entry).where(entry.c.void.is_(False)).order_by(entry.c.sent_at, entry.c.id)
    ).all()
    folds: dict[tuple[int, str, object], int] = defaultdict(int)
    for row in rows:
        key = (row.campaign_id, row.unit_code, row.week_start)
        before = folds[key]
        after = row.requested if row.mode == "set" else before + row.requested
        folds[key] = after
        if row.delta != after - before:
            connection.execute(
                sa.update(entry).where(entry.c.id == row.id).values(delta=after - before)
            )


def downgrade() -> None:
    with op.batch_alter_table("report_audit") as batch:
        batch.drop_column("new_mode")
        batch.drop_column("old_mode")
    op.drop_index("ix_report_order", table_name="report_entry")
    op.drop_index("ix_pending_reporter", table_name="pending_report")
    op.drop_index("ix_pending_source", table_name="pending_report")
    op.drop_table("pending_report")
