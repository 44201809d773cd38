"""Invitations: codes that make a person a unit's secretary (or bind a group) at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model import ChatRef, Invitation, Person
from bot.storage.schema import table_of
from bot.storage.tables import InvitationRow, InvitationUseRow

INVITATION = table_of(InvitationRow)
INVITATION_USE = table_of(InvitationUseRow)


def _invitation(row: Row[Any]) -> Invitation:
    return Invitation(
        code=row.code,
        unit_code=row.unit_code,
        max_uses=row.max_uses,
        used=row.used,
        expires_at=row.expires_at,
        created_by=Person(row.created_platform, row.created_by),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlInvitations:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def create(self, invitation: Invitation) -> None:
        self.connection.execute(
            sa.insert(INVITATION).values(
                code=invitation.code,
                unit_code=invitation.unit_code,
                max_uses=invitation.max_uses,
                used=invitation.used,
                expires_at=invitation.expires_at,
                created_platform=invitation.created_by.platform,
                created_by=invitation.created_by.user_id,
                created_at=invitation.created_at,
                revoked_at=invitation.revoked_at,
            )
        )

    def get(self, code: str) -> Invitation | None:
        row = self.connection.execute(
            sa.select(INVITATION).where(INVITATION.c.code == code)
        ).first()
        return _invitation(row) if row else None

    def take(self, code: str, at: datetime) -> bool:
        result = self.connection.execute(
            sa.update(INVITATION)
            .where(
                INVITATION.c.code == code,
                INVITATION.c.revoked_at.is_(None),
                INVITATION.c.expires_at > at,
                INVITATION.c.used < INVITATION.c.max_uses,
            )
            .values(used=INVITATION.c.used + 1)
        )
        return result.rowcount > 0

    def record_use(self, code: str, person: Person, chat: ChatRef, at: datetime) -> None:
        self.connection.execute(
            sa.insert(INVITATION_USE).values(
                code=code,
                platform=person.platform,
                user_id=person.user_id,
                display_name=person.display_name[:200],
                chat_id=chat.chat_id,
                used_at=at,
            )
        )

    def revoke(self, code: str, at: datetime) -> bool:
        result = self.connection.execute(
            sa.update(INVITATION)
            .where(INVITATION.c.code == code, INVITATION.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return result.rowcount > 0

    def latest_by_unit(self) -> dict[str, Invitation]:
        rows = self.connection.execute(
            sa.select(INVITATION).order_by(INVITATION.c.created_at, INVITATION.c.code)
        )
        return {row.unit_code: _invitation(row) for row in rows}
