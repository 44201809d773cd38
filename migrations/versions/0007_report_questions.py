"""A held report may carry a second reading: «được 10 lượt» is an addition or a total,
«đến nay là 420» the week's figure or the campaign's; the sender picks one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_report") as table:
        table.add_column(sa.Column("other_mode", sa.String(length=10), nullable=True))
        table.add_column(sa.Column("other_amount", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_report") as table:
        table.drop_column("other_amount")
        table.drop_column("other_mode")
