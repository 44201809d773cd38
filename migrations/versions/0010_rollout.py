"""Rolling out: an admin's grant may cover one unit and everything below it (a ward admin),
invitations that make a person a unit's secretary (or bind a group) without approval, and
announcements to every chat of a scope.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admin_grant") as table:
        # NULL: the whole district, as every grant before this revision.
        table.add_column(sa.Column("unit_code", sa.String(length=20), nullable=True))
        table.create_foreign_key("fk_admin_grant_unit", "unit", ["unit_code"], ["code"])
    op.create_table(
        "invitation",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=20), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_platform", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_invitation_unit_code", "invitation", ["unit_code"])
    op.create_table(
        "invitation_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["invitation.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invitation_use_code", "invitation_use", ["code"])
    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_unit_code", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sa.String(length=300), nullable=True),
        sa.Column("file_name", sa.String(length=300), nullable=True),
        sa.Column("file_kind", sa.String(length=10), nullable=True),
        sa.Column("by_platform", sa.String(length=20), nullable=False),
        sa.Column("by_user", sa.String(length=64), nullable=False),
        sa.Column("by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["scope_unit_code"], ["unit.code"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("announcement")
    op.drop_index("ix_invitation_use_code", table_name="invitation_use")
    op.drop_table("invitation_use")
    op.drop_index("ix_invitation_unit_code", table_name="invitation")
    op.drop_table("invitation")
    with op.batch_alter_table("admin_grant") as table:
        table.drop_constraint("fk_admin_grant_unit", type_="foreignkey")
        table.drop_column("unit_code")
