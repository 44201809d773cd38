"""What the platforms delivered (the durable inbox) and the files published by link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.storage.schema import insert_if_absent, table_of
from bot.storage.tables import (
    PublishedFileRow,
    ReceivedUpdateRow,
)

RECEIVED = table_of(ReceivedUpdateRow)
PUBLISHED = table_of(PublishedFileRow)


@dataclass(frozen=True)
class ReceivedUpdate:
    key: str
    sequence: int | None
    chat_id: str | None
    payload: str


class SqlReceivedUpdates:
    """The durable inbox of a channel: updates as they came, stored before acknowledging."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def store(self, platform: str, updates: Sequence[ReceivedUpdate], at: datetime) -> set[str]:
        """Store the updates not stored yet; returns the keys that are new."""
        new = set()
        for update in updates:
            values = {
                "platform": platform,
                "update_key": update.key,
                "sequence": update.sequence,
                "chat_id": update.chat_id,
                "payload": update.payload,
                "received_at": at,
            }
            if insert_if_absent(self.connection, RECEIVED, values):
                new.add(update.key)
        return new

    def unhandled(self, platform: str) -> list[ReceivedUpdate]:
        """Stored but not handled yet (a crash came between), in the order they came."""
        query = (
            sa.select(RECEIVED)
            .where(RECEIVED.c.platform == platform, RECEIVED.c.handled_at.is_(None))
            .order_by(RECEIVED.c.id)
        )
        return [
            ReceivedUpdate(row.update_key, row.sequence, row.chat_id, row.payload)
            for row in self.connection.execute(query)
        ]

    def mark_handled(self, platform: str, keys: Sequence[str], at: datetime) -> None:
        self.connection.execute(
            sa.update(RECEIVED)
            .where(
                RECEIVED.c.platform == platform,
                RECEIVED.c.update_key.in_(list(keys)),
                RECEIVED.c.handled_at.is_(None),
            )
            .values(handled_at=at)
        )

    def last_sequence(self, platform: str) -> int | None:
        return self.connection.execute(
            sa.select(sa.func.max(RECEIVED.c.sequence)).where(RECEIVED.c.platform == platform)
        ).scalar()


@dataclass(frozen=True)
class PublishedFile:
    id: str
    filename: str
    kind: str
    content: bytes
    expires_at: datetime


class SqlPublishedFiles:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def publish(self, file: PublishedFile, at: datetime) -> None:
        self.connection.execute(
            sa.insert(PUBLISHED).values(
                id=file.id,
                filename=file.filename,
                kind=file.kind,
                content=file.content,
                created_at=at,
                expires_at=file.expires_at,
            )
        )

    def get(self, file_id: str) -> PublishedFile | None:
        row = self.connection.execute(sa.select(PUBLISHED).where(PUBLISHED.c.id == file_id)).first()
        if row is None:
            return None
        return PublishedFile(row.id, row.filename, row.kind, bytes(row.content), row.expires_at)

    def purge_expired(self, at: datetime) -> int:
        return int(
            self.connection.execute(
                sa.delete(PUBLISHED).where(PUBLISHED.c.expires_at < at)
            ).rowcount
        )
