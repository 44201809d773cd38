"""What the platforms delivered (the durable inbox) and the files published by link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row

from bot.domain.model.messages import PublishedFile
from bot.inbox.ports import ReceivedUpdate
from bot.storage.schema import table_of
from bot.storage.tables import (
    PublishedFileRow,
    ReceivedUpdateRow,
)

RECEIVED = table_of(ReceivedUpdateRow)
PUBLISHED = table_of(PublishedFileRow)


class SqlReceivedUpdates:
    """The durable inbox of a channel: updates as they came, stored before acknowledging."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def store(self, platform: str, updates: Sequence[ReceivedUpdate], at: datetime) -> set[str]:
        """Store the updates not stored yet; returns the keys that are new."""
        statement = STORE[self.connection.dialect.name]
        new = set()
        for update in updates:
            values = {
                "store_platform": platform,
                "store_key": update.key,
                "store_sequence": update.sequence,
                "store_chat": update.chat_id,
                "store_payload": update.payload,
                "store_at": at,
            }
            if self.connection.execute(statement, values).first() is not None:
                new.add(update.key)
        return new

    def unhandled(self, platform: str) -> list[ReceivedUpdate]:
        """Stored but not handled yet (a crash came between), in the order they came."""
        query = (
            sa.select(RECEIVED)
            .where(RECEIVED.c.platform == platform, RECEIVED.c.handled_at.is_(None))
            .order_by(RECEIVED.c.id)
        )
        return [received_update(row) for row in self.connection.execute(query)]

    def mark_handled(self, platform: str, keys: Sequence[str], at: datetime) -> None:
        self._stamp(platform, keys, RECEIVED.c.handled_at, at)

    def finish(self, platform: str, key: str, reply: str | None, at: datetime) -> None:
        """Mark an update handled and keep its reply (JSON), in the handling transaction."""
        values = {"mark_platform": platform, "mark_key": key, "mark_reply": reply, "mark_at": at}
        self.connection.execute(FINISHING, values)

    def mark_replied(self, platform: str, keys: Sequence[str], at: datetime) -> None:
        self._stamp(platform, keys, RECEIVED.c.replied_at, at)

    def _stamp(
        self, platform: str, keys: Sequence[str], column: sa.Column[Any], at: datetime
    ) -> None:
        """Set a time column of the given updates where it is not set yet."""
        self.connection.execute(
            sa.update(RECEIVED)
            .where(
                RECEIVED.c.platform == platform,
                RECEIVED.c.update_key.in_(list(keys)),
                column.is_(None),
            )
            .values({column.name: at})
        )

    def claim_unsent_replies(
        self, platform: str, handled_before: datetime, at: datetime
    ) -> list[tuple[str, str]]:
        """(key, reply) of updates handled before `handled_before` whose reply was never
        marked sent (the process died between the commit and the send), in the order they
        came. Claimed by moving their handled time to `at`: another worker looking meanwhile
        leaves them alone, and if this one dies before marking them sent, they are claimed
        again later (a reply may then go twice, but is never lost)."""
        unsent = sa.and_(
            RECEIVED.c.platform == platform,
            RECEIVED.c.replied_at.is_(None),
            RECEIVED.c.reply.is_not(None),
            RECEIVED.c.handled_at < handled_before,
        )
        # One conditional update: of two workers looking at once, each row goes to one.
        claimed = self.connection.execute(
            sa.update(RECEIVED)
            .where(unsent)
            .values(handled_at=at)
            .returning(RECEIVED.c.id, RECEIVED.c.update_key, RECEIVED.c.reply)
        ).all()
        rows = sorted(claimed, key=lambda row: row.id)
        return [(row.update_key, row.reply) for row in rows]

    def last_sequence(self, platform: str) -> int | None:
        return self.connection.execute(
            sa.select(sa.func.max(RECEIVED.c.sequence)).where(RECEIVED.c.platform == platform)
        ).scalar()


def received_update(row: Row[Any]) -> ReceivedUpdate:
    return ReceivedUpdate(row.update_key, row.sequence, row.chat_id, row.payload)


# Statements run for every update, built once with bound parameters (building an
# expression costs about as much as running it on SQLite).
def _store(insert: Any) -> Any:
    return (
        insert(RECEIVED)
        .values(
            platform=sa.bindparam("store_platform"),
            update_key=sa.bindparam("store_key"),
            sequence=sa.bindparam("store_sequence", type_=RECEIVED.c.sequence.type),
            chat_id=sa.bindparam("store_chat"),
            payload=sa.bindparam("store_payload"),
            received_at=sa.bindparam("store_at", type_=RECEIVED.c.received_at.type),
        )
        .on_conflict_do_nothing()
        .returning(RECEIVED.c.id)
    )


STORE = {"postgresql": _store(pg_insert), "sqlite": _store(sqlite_insert)}
# An update marked handled, with its reply.
FINISHING = (
    sa.update(RECEIVED)
    .where(
        RECEIVED.c.platform == sa.bindparam("mark_platform"),
        RECEIVED.c.update_key == sa.bindparam("mark_key"),
        RECEIVED.c.handled_at.is_(None),
    )
    .values(
        handled_at=sa.bindparam("mark_at", type_=RECEIVED.c.handled_at.type),
        reply=sa.bindparam("mark_reply"),
    )
)


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
