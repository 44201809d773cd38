"""The board: each report keeps the text its sender wrote (shown with the entry), and the
board's links (/bangtin), kept by the hash of their secret so that they can be revoked.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_entry") as table:
        table.add_column(sa.Column("text", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "board_link",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("scope_unit_code", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["scope_unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_board_link_person", "board_link", ["platform", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_board_link_person", table_name="board_link")
    op.drop_table("board_link")
    with op.batch_alter_table("report_entry") as table:
        table.drop_column("text")
