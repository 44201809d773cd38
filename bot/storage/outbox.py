"""The outbox (one row per send) and the messages counted per platform and month."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model.entities import (
    ChatRef,
)
from bot.domain.model.messages import Attachment, Send, StoredFile
from bot.domain.ports import AbandonedSend, OutboxItem
from bot.storage.fencing import FENCED, Fencing
from bot.storage.schema import OUTBOX, insert_if_absent, new_id, table_of
from bot.storage.tables import (
    MessageCountRow,
    OutboxFileRow,
)

OUTBOX_FILE = table_of(OutboxFileRow)
FencedWrite = TypeVar("FencedWrite", sa.Update, sa.Insert)
MESSAGE_COUNT = table_of(MessageCountRow)


# An outbox file row that holds a platform's file id, not the file (StoredFile).
STORED_KIND = "stored"
STORED_PHOTO_KIND = "stored-ph"


def _file_row(file: Attachment | StoredFile) -> dict[str, Any]:
    if isinstance(file, StoredFile):
        kind = STORED_PHOTO_KIND if file.photo else STORED_KIND
        return {"filename": file.file_name, "kind": kind, "content": file.file_id.encode()}
    return {"filename": file.filename, "kind": file.kind, "content": file.content}


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


class SqlOutbox:
    def __init__(self, connection: Connection, fencing: Fencing | None = None) -> None:
        self.connection = connection
        self.fencing = fencing

    # Every write of the outbox carries a leader's fence in its own statement; when nothing
    # is written the fencing checks the lease (LeaseLost if it is gone).
    def _with_fence(self, statement: FencedWrite) -> FencedWrite:
        if self.fencing is None:
            return statement
        fenced = statement.execution_options(**{FENCED: True})
        if isinstance(fenced, sa.Update):
            return fenced.where(self.fencing.condition())
        return fenced  # an insert carries it in the SELECT its row comes from (_insert)

    def _write(self, statement: sa.Update) -> int:
        """Run a fenced write; the rows it changed."""
        written = self.connection.execute(self._with_fence(statement)).rowcount
        if self.fencing is not None:
            self.fencing.confirm(written)
        return written

    def _write_returning(self, statement: FencedWrite) -> list[Row[Any]]:
        """Run a fenced write with RETURNING; the rows it returned."""
        rows = list(self.connection.execute(self._with_fence(statement)).all())
        if self.fencing is not None:
            self.fencing.confirm(len(rows))
        return rows

    def enqueue(self, run_id: int | None, parts: Sequence[Send], at: datetime) -> int:
        for part in parts:
            files = [a for a in part.attachments if isinstance(a, Attachment | StoredFile)]
            if len(files) != len(part.attachments) or len(files) > 1 or (files and part.text):
                raise ValueError("an outbox row is one send: a text or one rendered file")
            row = _file_row(files[0]) if files else None
            # A forwarded file's caption travels in the text column.
            text = files[0].caption if files and isinstance(files[0], StoredFile) else part.text
            values = {
                "run_id": run_id,
                "platform": part.chat.platform,
                "chat_id": part.chat.chat_id,
                "text": text,
                "state": "pending",
                "attempts": 0,
                "created_at": at,
                "updated_at": at,
            }
            outbox_id = self._insert(values)
            if row is not None:
                self.connection.execute(sa.insert(OUTBOX_FILE).values(outbox_id=outbox_id, **row))
        return len(parts)

    def _insert(self, values: dict[str, Any]) -> int:
        """One outbox row; a leader's carries its fence in the same statement (an INSERT
        from a SELECT that yields the row only while the lease is current)."""
        if self.fencing is None:
            return new_id(self.connection.execute(sa.insert(OUTBOX).values(**values)))
        fenced_row = sa.select(
            *(sa.literal(value, OUTBOX.c[name].type) for name, value in values.items())
        ).where(self.fencing.condition())
        insert = sa.insert(OUTBOX).from_select(list(values), fenced_row)
        # A lease not current wrote nothing and raised LeaseLost.
        [inserted] = self._write_returning(insert.returning(OUTBOX.c.id))
        return int(inserted[0])

    def ready_chats(self, at: datetime) -> list[ChatRef]:
        """Chats whose oldest pending send is due, oldest first (a chat waits for its head)."""
        heads = (
            sa.select(sa.func.min(OUTBOX.c.id).label("head"))
            .where(OUTBOX.c.state == "pending")
            .group_by(OUTBOX.c.platform, OUTBOX.c.chat_id)
            .subquery()
        )
        query = (
            sa.select(OUTBOX.c.platform, OUTBOX.c.chat_id)
            .join(heads, heads.c.head == OUTBOX.c.id)
            .where(sa.or_(OUTBOX.c.not_before.is_(None), OUTBOX.c.not_before <= at))
            .order_by(OUTBOX.c.id)
        )
        return [ChatRef(row.platform, row.chat_id) for row in self.connection.execute(query)]

    def claim_next(self, chat: ChatRef, at: datetime) -> OutboxItem | None:
        """The chat's oldest pending send, claimed (pending -> sending) if it is ready: one
        UPDATE ... RETURNING, its file and whether more wait read in the same statement."""
        head = OUTBOX.alias("head")
        later = OUTBOX.alias("later")
        oldest = (
            sa.select(sa.func.min(head.c.id))
            .where(
                head.c.state == "pending",
                head.c.platform == chat.platform,
                head.c.chat_id == chat.chat_id,
            )
            .scalar_subquery()
        )

        # RETURNING names the updated row's columns bare (SQLite), which a subquery would
        # read as its own: the row is named with its table here.
        claimed_id: sa.ColumnElement[int] = sa.literal_column("outbox.id")

        def of_file(column: str) -> sa.ScalarSelect[Any]:
            return (
                sa.select(OUTBOX_FILE.c[column])
                .where(OUTBOX_FILE.c.outbox_id == claimed_id)
                .scalar_subquery()
            )

        more = sa.exists().where(
            later.c.platform == chat.platform,
            later.c.chat_id == chat.chat_id,
            later.c.state == "pending",
            later.c.id > claimed_id,
        )
        statement = (
            sa.update(OUTBOX)
            .where(
                OUTBOX.c.id == oldest,
                OUTBOX.c.state == "pending",
                sa.or_(OUTBOX.c.not_before.is_(None), OUTBOX.c.not_before <= at),
            )
            .values(state="sending", attempts=OUTBOX.c.attempts + 1, updated_at=at)
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.run_id,
                OUTBOX.c.text,
                OUTBOX.c.attempts,
                of_file("filename").label("filename"),
                of_file("kind").label("kind"),
                of_file("content").label("content"),
                more.label("more"),
            )
        )
        rows = self._write_returning(statement)
        if not rows:
            return None
        row = rows[0]
        if row.filename is None:
            message = Send(chat, row.text)
        elif row.kind in (STORED_KIND, STORED_PHOTO_KIND):
            stored = StoredFile(
                bytes(row.content).decode(),
                row.filename,
                row.text,
                photo=row.kind == STORED_PHOTO_KIND,
            )
            message = Send(chat, "", attachments=(stored,))
        else:
            rendered = Attachment(row.filename, row.content, row.kind)
            message = Send(chat, row.text, attachments=(rendered,))
        # attempts as they were before this claim (the claim counts one more)
        return OutboxItem(row.id, row.run_id, chat, message, row.attempts - 1, bool(row.more))

    def finish(self, item_id: int, state: str, at: datetime, error: str | None = None) -> None:
        self._write(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == item_id)
            .values(state=state, updated_at=at, error=error[:300] if error else None)
        )

    def postpone(self, item_id: int, not_before: datetime, at: datetime, error: str) -> None:
        self._write(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == item_id)
            .values(state="pending", not_before=not_before, updated_at=at, error=error[:300])
        )

    def drop_chat(self, chat: ChatRef, state: str, at: datetime) -> int:
        return self._write(_pending_of(chat).values(state=state, updated_at=at))

    def reroute(self, old: ChatRef, new: ChatRef, at: datetime) -> None:
        self._write(_pending_of(old).values(chat_id=new.chat_id, updated_at=at))

    def next_wakeup(self) -> datetime | None:
        """When the earliest postponed send becomes ready."""
        return self.connection.execute(
            sa.select(sa.func.min(OUTBOX.c.not_before)).where(OUTBOX.c.state == "pending")
        ).scalar()

    def abandon_in_flight(self, older_than: datetime, at: datetime) -> list[AbandonedSend]:
        """Sends caught in flight by a crash: they may have arrived, so they are never resent."""
        rows = self._write_returning(
            sa.update(OUTBOX)
            .where(OUTBOX.c.state == "sending", OUTBOX.c.updated_at < older_than)
            .values(state="unknown", updated_at=at)
            .returning(OUTBOX.c.platform, OUTBOX.c.chat_id, OUTBOX.c.text)
        )
        return [
            AbandonedSend(ChatRef(row.platform, row.chat_id), first_line(row.text)) for row in rows
        ]

    def waiting(self, platform: str) -> int:
        """Sends of a platform queued and not yet out (they will count against its budget)."""
        query = sa.select(sa.func.count()).where(
            OUTBOX.c.platform == platform, OUTBOX.c.state.in_(("pending", "sending"))
        )
        return int(self.connection.execute(query).scalar() or 0)

    def counts(self, run_id: int | None = None) -> dict[str, int]:
        query = sa.select(OUTBOX.c.state, sa.func.count()).group_by(OUTBOX.c.state)
        if run_id is not None:
            query = query.where(OUTBOX.c.run_id == run_id)
        return {state: int(count) for state, count in self.connection.execute(query)}


def _pending_of(chat: ChatRef) -> sa.Update:
    """The update of a chat's sends still waiting to go out."""
    return sa.update(OUTBOX).where(
        OUTBOX.c.platform == chat.platform,
        OUTBOX.c.chat_id == chat.chat_id,
        OUTBOX.c.state == "pending",
    )


class SqlMessageCounts:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, platform: str, month: str, count: int) -> None:
        updated = self.connection.execute(
            sa.update(MESSAGE_COUNT)
            .where(MESSAGE_COUNT.c.platform == platform, MESSAGE_COUNT.c.month == month)
            .values(sent=MESSAGE_COUNT.c.sent + count)
        )
        if updated.rowcount == 0:
            values = {"platform": platform, "month": month, "sent": 0}
            insert_if_absent(self.connection, MESSAGE_COUNT, values)
            self.connection.execute(
                sa.update(MESSAGE_COUNT)
                .where(MESSAGE_COUNT.c.platform == platform, MESSAGE_COUNT.c.month == month)
                .values(sent=MESSAGE_COUNT.c.sent + count)
            )

    def sent(self, platform: str, month: str) -> int:
        value = self.connection.execute(
            sa.select(MESSAGE_COUNT.c.sent).where(
                MESSAGE_COUNT.c.platform == platform, MESSAGE_COUNT.c.month == month
            )
        ).scalar()
        return int(value or 0)
