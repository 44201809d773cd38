"""An update's reply, stored with its handled mark in the transaction that handled it, and
when it was sent (a reply left unsent by a crash is sent at restart).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("received_update") as table:
        table.add_column(sa.Column("reply", sa.Text(), nullable=True))
        table.add_column(sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_received_reply_unsent",
        "received_update",
        ["platform", "replied_at", "handled_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_received_reply_unsent", table_name="received_update")
    with op.batch_alter_table("received_update") as table:
        table.drop_column("replied_at")
        table.drop_column("reply")
