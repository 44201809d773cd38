"""Rolling out: invitations (codes that make a person a unit's secretary, or bind a group,
at once), announcements to every chat of a scope, and the board's links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model.entities import Announcement, ChatRef, Invitation, Person
from bot.domain.model.views import BoardLink
from bot.storage.schema import new_id, table_of
from bot.storage.tables import AnnouncementRow, BoardLinkRow, InvitationRow, InvitationUseRow

INVITATION = table_of(InvitationRow)
INVITATION_USE = table_of(InvitationUseRow)
ANNOUNCEMENT = table_of(AnnouncementRow)
BOARD_LINK = table_of(BoardLinkRow)


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


class SqlAnnouncements:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        # Whether this unit of work recorded one (the leader is then woken after commit).
        self.created = False

    def create(self, announcement: Announcement) -> int:
        result = self.connection.execute(
            sa.insert(ANNOUNCEMENT).values(
                scope_unit_code=announcement.scope,
                text=announcement.text,
                file_id=announcement.file_id,
                file_name=announcement.file_name,
                file_kind=announcement.file_kind,
                by_platform=announcement.by.platform,
                by_user=announcement.by.user_id,
                by_name=announcement.by.display_name[:200],
                created_at=announcement.created_at,
            )
        )
        self.created = True
        return new_id(result)

    def get(self, announcement_id: int) -> Announcement | None:
        row = self.connection.execute(
            sa.select(ANNOUNCEMENT).where(ANNOUNCEMENT.c.id == announcement_id)
        ).first()
        if row is None:
            return None
        return Announcement(
            id=row.id,
            scope=row.scope_unit_code,
            text=row.text,
            by=Person(row.by_platform, row.by_user, row.by_name),
            created_at=row.created_at,
            file_id=row.file_id,
            file_name=row.file_name,
            file_kind=row.file_kind,
        )

    def pending(self) -> list[int]:
        query = (
            sa.select(ANNOUNCEMENT.c.id)
            .where(ANNOUNCEMENT.c.planned_at.is_(None))
            .order_by(ANNOUNCEMENT.c.id)
        )
        return [row.id for row in self.connection.execute(query)]

    def mark_planned(self, announcement_id: int, at: datetime) -> None:
        self.connection.execute(
            sa.update(ANNOUNCEMENT)
            .where(ANNOUNCEMENT.c.id == announcement_id)
            .values(planned_at=at)
        )


class SqlBoardLinks:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def create(self, link: BoardLink) -> None:
        self.connection.execute(
            sa.insert(BOARD_LINK).values(
                token_hash=link.token_hash,
                platform=link.person.platform,
                user_id=link.person.user_id,
                scope_unit_code=link.scope,
                created_at=link.created_at,
                expires_at=link.expires_at,
            )
        )

    def get(self, token_hash: str) -> BoardLink | None:
        row = self.connection.execute(
            sa.select(BOARD_LINK).where(BOARD_LINK.c.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        return BoardLink(
            row.token_hash,
            Person(row.platform, row.user_id),
            row.scope_unit_code,
            row.created_at,
            row.expires_at,
            row.revoked_at,
        )

    def revoke_all(self, person: Person, at: datetime) -> int:
        result = self.connection.execute(
            sa.update(BOARD_LINK)
            .where(
                BOARD_LINK.c.platform == person.platform,
                BOARD_LINK.c.user_id == person.user_id,
                BOARD_LINK.c.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        return int(result.rowcount)
