"""Several workers on one database: the leader's lease, each chat's turn, shared pacing.

Every worker of a bot receives updates and answers them; one of them, the holder of the
"leader" lease, also runs the scheduler and the outbox dispatcher. The lease has an expiry
and a fencing token that goes up at every change of holder: each write of the outbox and
the job ledger made by the leader first checks, in its own transaction, that its token is
still the current one (`SqlLeases.fence`, which on PostgreSQL also holds a share lock on the
lease row until commit, so a takeover waits for the write in flight and every later write of
the old holder fails). No session-level lock is involved: a lease survives, and fences,
across any connection of a pool.

Times are the workers' clocks (kept by NTP on a real host); a lease of 15 seconds tolerates
skews far larger than NTP leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.messages import DeliveryLimits
from bot.domain.model import ChatRef
from bot.domain.ports import LeaseLost
from bot.storage.received import RECEIVED, ReceivedUpdate
from bot.storage.schema import insert_if_absent, table_of
from bot.storage.tables import ChatTurnRow, LeaseRow, SendSlotRow

LEASE = table_of(LeaseRow)
CHAT_TURN = table_of(ChatTurnRow)
SEND_SLOT = table_of(SendSlotRow)

# A turn or a slot row that nobody holds.
FREE = datetime(1970, 1, 1, tzinfo=UTC)
# How long taking the lease over waits for the row before trying again next round.
LOCK_WAIT = "2s"
# The row of a platform's whole-bot pacing in send_slot.
WHOLE_BOT = "*"
# Telegram "may allow short bursts" over one message a second in a chat: a reply in parts
# (text, chart, spreadsheet) goes out at once, a fourth message waits.
CHAT_BURST = 3


@dataclass(frozen=True)
class LeaseHolder:
    holder: str
    token: int
    expires_at: datetime
    acquired_at: datetime


class SqlLeases:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> int | None:
        """Take the lease if nobody holds it or it ran out; the new fencing token, or None."""
        values = {
            "name": name,
            "holder": holder,
            "token": 1,
            "expires_at": now + ttl,
            "acquired_at": now,
        }
        if insert_if_absent(self.connection, LEASE, values):
            return 1
        if self.connection.dialect.name == "postgresql":
            # A paused leader's fenced write holds the row until its session is ended (see
            # bot.storage.database): try again next round rather than wait here meanwhile.
            self.connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
        taken = self.connection.execute(
            sa.update(LEASE)
            .where(LEASE.c.name == name, LEASE.c.expires_at < now)
            .values(holder=holder, token=LEASE.c.token + 1, expires_at=now + ttl, acquired_at=now)
            .returning(LEASE.c.token)
        ).first()
        return int(taken[0]) if taken is not None else None

    def renew(self, name: str, holder: str, token: int, ttl: timedelta, now: datetime) -> bool:
        """Extend a lease still held; False once it ran out or was taken over."""
        renewed = self.connection.execute(
            sa.update(LEASE)
            .where(
                LEASE.c.name == name,
                LEASE.c.holder == holder,
                LEASE.c.token == token,
                LEASE.c.expires_at >= now,
            )
            .values(expires_at=now + ttl)
        )
        return renewed.rowcount == 1

    def release(self, name: str, holder: str, token: int, now: datetime) -> None:
        """Let another worker take over at once (a clean stop)."""
        self.connection.execute(
            sa.update(LEASE)
            .where(LEASE.c.name == name, LEASE.c.holder == holder, LEASE.c.token == token)
            .values(expires_at=now)
        )

    def fence(self, name: str, token: int, now: datetime) -> None:
        """Raise LeaseLost unless `token` is the current, unexpired one. The share lock keeps
        a takeover from landing before this transaction ends."""
        row = self.connection.execute(
            sa.select(LEASE.c.token, LEASE.c.expires_at)
            .where(LEASE.c.name == name)
            .with_for_update(read=True)
        ).first()
        if row is None or row.token != token or row.expires_at < now:
            raise LeaseLost(f"lease {name} token {token} is no longer current")

    def current(self, name: str) -> LeaseHolder | None:
        row = self.connection.execute(sa.select(LEASE).where(LEASE.c.name == name)).first()
        if row is None:
            return None
        return LeaseHolder(row.holder, int(row.token), row.expires_at, row.acquired_at)


class SqlChatTurns:
    """A chat's turn: the worker holding it handles the chat's stored updates one after
    another, in the order they came, whichever worker stored them.

    Both sides lock the turn's row before they decide: the holder, before it looks for the
    next update (and gives the turn back when there is none); a worker that stored an
    update, before it tries to take the turn, in the transaction that stored it. So either
    the holder's look comes after the update was committed and sees it, or the holder's
    giving back comes first and the storing worker takes the turn: no update is left
    behind with nobody to handle it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def take(self, platform: str, chat_id: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """Take a free (or lapsed) turn. The row is locked first, whatever it says: a
        holder's transaction that is giving the turn back is waited for (an UPDATE that
        only matched a free turn would skip a row that is about to become free). Not even
        its own holder takes a held turn again: the task holding it handles the chat."""
        row = self._lock(platform, chat_id)
        if row is None:
            values = {"platform": platform, "chat_id": chat_id, "holder": holder}
            if insert_if_absent(self.connection, CHAT_TURN, {**values, "expires_at": now + ttl}):
                return True
            row = self._lock(platform, chat_id)  # another worker created it meanwhile
        if row is None or row.expires_at >= now:
            return False
        self.connection.execute(
            sa.update(CHAT_TURN)
            .where(CHAT_TURN.c.platform == platform, CHAT_TURN.c.chat_id == chat_id)
            .values(holder=holder, expires_at=now + ttl)
        )
        return True

    def renew(
        self, platform: str, chat_id: str, holder: str, ttl: timedelta, now: datetime
    ) -> bool:
        """Extend a turn this holder still has (a long update being handled)."""
        renewed = self.connection.execute(
            sa.update(CHAT_TURN)
            .where(
                CHAT_TURN.c.platform == platform,
                CHAT_TURN.c.chat_id == chat_id,
                CHAT_TURN.c.holder == holder,
                # Not one given back meanwhile: it is free for anyone to take.
                CHAT_TURN.c.expires_at >= now,
            )
            .values(expires_at=now + ttl)
        )
        return renewed.rowcount == 1

    def take_and_next(
        self, platform: str, chat_id: str, holder: str, ttl: timedelta, now: datetime
    ) -> ReceivedUpdate | None:
        """The chat's next update to handle, with its turn; None when another worker holds
        the turn or nothing is left (the turn is then given back)."""
        if not self.take(platform, chat_id, holder, ttl, now):
            return None
        return self._next_or_give_back(platform, chat_id, holder, ttl, now)

    def handled_and_next(
        self, platform: str, chat_id: str, key: str, holder: str, ttl: timedelta, now: datetime
    ) -> ReceivedUpdate | None:
        """Mark `key` handled and return the chat's next update, keeping the turn; None
        when nothing is left (the turn is given back)."""
        self._lock(platform, chat_id)
        self.connection.execute(
            sa.update(RECEIVED)
            .where(
                RECEIVED.c.platform == platform,
                RECEIVED.c.update_key == key,
                RECEIVED.c.handled_at.is_(None),
            )
            .values(handled_at=now)
        )
        return self._next_or_give_back(platform, chat_id, holder, ttl, now)

    def give_back(self, platform: str, chat_id: str, holder: str) -> None:
        self.connection.execute(
            sa.update(CHAT_TURN)
            .where(
                CHAT_TURN.c.platform == platform,
                CHAT_TURN.c.chat_id == chat_id,
                CHAT_TURN.c.holder == holder,
            )
            .values(expires_at=FREE)
        )

    def waiting_chats(self, platform: str, received_before: datetime, now: datetime) -> list[str]:
        """Chats with updates stored before `received_before`, not handled, and nobody on
        their turn (its worker died, or stopped): another worker must take them up."""
        live_turn = (
            sa.exists()
            .where(
                CHAT_TURN.c.platform == RECEIVED.c.platform,
                CHAT_TURN.c.chat_id == RECEIVED.c.chat_id,
                CHAT_TURN.c.expires_at >= now,
            )
            .correlate(RECEIVED)
        )
        query = (
            sa.select(RECEIVED.c.chat_id)
            .where(
                RECEIVED.c.platform == platform,
                RECEIVED.c.handled_at.is_(None),
                RECEIVED.c.chat_id.is_not(None),
                RECEIVED.c.received_at < received_before,
                ~live_turn,
            )
            .distinct()
        )
        return [str(row[0]) for row in self.connection.execute(query)]

    def _lock(self, platform: str, chat_id: str) -> Row[Any, Any] | None:
        return self.connection.execute(
            sa.select(CHAT_TURN.c.holder, CHAT_TURN.c.expires_at)
            .where(CHAT_TURN.c.platform == platform, CHAT_TURN.c.chat_id == chat_id)
            .with_for_update()
        ).first()

    def _next_or_give_back(
        self, platform: str, chat_id: str, holder: str, ttl: timedelta, now: datetime
    ) -> ReceivedUpdate | None:
        row = self.connection.execute(
            sa.select(RECEIVED)
            .where(
                RECEIVED.c.platform == platform,
                RECEIVED.c.chat_id == chat_id,
                RECEIVED.c.handled_at.is_(None),
            )
            .order_by(RECEIVED.c.sequence, RECEIVED.c.id)
            .limit(1)
        ).first()
        if row is None:
            self.give_back(platform, chat_id, holder)
            return None
        self.connection.execute(
            sa.update(CHAT_TURN)
            .where(CHAT_TURN.c.platform == platform, CHAT_TURN.c.chat_id == chat_id)
            .values(expires_at=now + ttl)
        )
        return ReceivedUpdate(row.update_key, row.sequence, row.chat_id, row.payload)


class SqlSendSlots:
    """Every worker's sends of a platform, paced together (a generic cell rate algorithm
    per limit: each row keeps when the next message is due)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def reserve(
        self, platform: str, chat_id: str, limits: DeliveryLimits, now: datetime
    ) -> datetime:
        """When this chat's next message may go out, that moment booked for it. Two
        statements: both rows read and locked at once (the whole bot's row sorts first, so
        every booking locks in the same order), then both written at once."""
        rows = self._locked(platform, chat_id)
        chat, whole = rows[chat_id], rows[WHOLE_BOT]
        chat_interval = _interval(limits.per_chat_per_second, 1)
        group_interval = timedelta(0)
        due = now
        if chat_interval:
            due = max(due, chat[0] - chat_interval * (CHAT_BURST - 1))
        if limits.per_group_per_minute and limits.is_group(ChatRef(platform, chat_id)):
            group_interval = _interval(limits.per_group_per_minute, 60)
            due = max(due, chat[1] - group_interval * (limits.per_group_per_minute - 1))
        overall = _interval(limits.per_second, 1)
        if overall:
            due = max(due, whole[0])
        booked = {
            chat_id: (_next(chat[0], due, chat_interval), _next(chat[1], due, group_interval)),
            WHOLE_BOT: (_next(whole[0], due, overall), whole[1]),
        }
        is_whole = SEND_SLOT.c.chat_id == WHOLE_BOT

        def either(column: sa.Column[Any], index: int) -> sa.Case[Any]:
            def moment(key: str) -> sa.BindParameter[Any]:
                return sa.literal(booked[key][index], column.type)

            return sa.case((is_whole, moment(WHOLE_BOT)), else_=moment(chat_id))

        self.connection.execute(
            sa.update(SEND_SLOT)
            .where(SEND_SLOT.c.platform == platform, SEND_SLOT.c.chat_id.in_(list(booked)))
            .values(
                next_second=either(SEND_SLOT.c.next_second, 0),
                next_minute=either(SEND_SLOT.c.next_minute, 1),
            )
        )
        return due

    def _locked(self, platform: str, chat_id: str) -> dict[str, tuple[datetime, datetime]]:
        """The chat's row and the whole bot's, locked (created the first time)."""
        query = (
            sa.select(SEND_SLOT.c.chat_id, SEND_SLOT.c.next_second, SEND_SLOT.c.next_minute)
            .where(SEND_SLOT.c.platform == platform, SEND_SLOT.c.chat_id.in_([chat_id, WHOLE_BOT]))
            .order_by(SEND_SLOT.c.chat_id)
            .with_for_update()
        )
        rows = {row[0]: (row[1], row[2]) for row in self.connection.execute(query)}
        if len(rows) < 2:
            for key in {chat_id, WHOLE_BOT} - set(rows):
                values = {"platform": platform, "chat_id": key}
                insert_if_absent(
                    self.connection, SEND_SLOT, {**values, "next_second": FREE, "next_minute": FREE}
                )
            rows = {row[0]: (row[1], row[2]) for row in self.connection.execute(query)}
        return rows


def _next(booked: datetime, due: datetime, interval: timedelta) -> datetime:
    """A limit's next due moment once a message goes out at `due` (unchanged if no limit)."""
    return max(booked, due) + interval if interval else booked


def _interval(count: float | int | None, seconds: float) -> timedelta:
    """The spacing of `count` messages per `seconds` (zero when there is no such limit)."""
    return timedelta(seconds=seconds / count) if count else timedelta(0)
