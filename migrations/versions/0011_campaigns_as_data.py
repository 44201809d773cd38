"""Campaigns as data: each campaign has its own quotas (copied from the unit table for the
campaigns already there, with every entry kept), and says whether its quotas follow
units.csv or came from a file of their own.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign") as table:
        table.add_column(
            sa.Column("quotas_from", sa.String(length=10), nullable=False, server_default="units")
        )
    op.create_table(
        "campaign_quota",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=20), nullable=False),
        sa.Column("weekly_quota", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("campaign_id", "unit_code"),
    )
    # Today's campaigns keep today's quotas.
    op.execute(
        "INSERT INTO campaign_quota (campaign_id, unit_code, weekly_quota) "
        "SELECT campaign.id, unit.code, unit.weekly_quota FROM campaign CROSS JOIN unit"
    )


def downgrade() -> None:
    op.drop_table("campaign_quota")
    with op.batch_alter_table("campaign") as table:
        table.drop_column("quotas_from")
