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

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from bot.cluster.ports import LeaseHolder
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import DeliveryLimits
from bot.domain.ports import LeaseLost
from bot.inbox.ports import ReceivedUpdate
from bot.storage.received import (
    FINISHING,
    RECEIVED,
    SqlReceivedUpdates,
    received_update,
)
from bot.storage.schema import _param, insert_if_absent, table_of
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
        """Take a free (or lapsed) turn, in one statement. The upsert locks the row whatever
        it says (PostgreSQL locks a conflicting row even when the DO UPDATE's condition is
        false, and judges the condition on the newest version): a holder's transaction that
        is giving the turn back is waited for. Not even its own holder takes a held turn
        again: the task holding it handles the chat."""
        taken = self.connection.execute(
            TAKE[self.connection.dialect.name],
            _turn(platform, chat_id, holder) | {"turn_until": now + ttl, "turn_now": now},
        )
        return taken.first() is not None

    def store_and_take(
        self,
        platform: str,
        update: ReceivedUpdate,
        holder: str,
        ttl: timedelta,
        now: datetime,
    ) -> tuple[bool, ReceivedUpdate | None]:
        """Store an update and take its chat's turn if free: (whether the update is new,
        the chat's oldest unhandled update when the turn was taken). On PostgreSQL one
        statement: the insert, the take (only for a new update) and the look, whose rows
        are the chat's unhandled ones as committed when the statement began (each read
        again at its newest version) plus the one it inserts. An update that a worker
        stored without taking the turn and committed while this take waited for the row
        is not among them; if it came first, it is handled right after this one."""
        chat_id = update.chat_id
        if self.connection.dialect.name != "postgresql" or chat_id is None:
            received = SqlReceivedUpdates(self.connection)
            if update.key not in received.store(platform, [update], now):
                return False, None
            if chat_id is None:
                return True, None
            return True, self.take_and_next(platform, chat_id, holder, ttl, now)
        row = self.connection.execute(
            STORE_AND_TAKE,
            {
                "platform": platform,
                "update_key": update.key,
                "sequence": update.sequence,
                "chat_id": chat_id,
                "payload": update.payload,
                "received_at": now,
                "holder": holder,
                "expires_at": now + ttl,
                "now": now,
            },
        ).one()
        if row.update_key is None:
            return bool(row.new), None
        return bool(row.new), received_update(row)

    def renew(
        self, platform: str, chat_id: str, holder: str, ttl: timedelta, now: datetime
    ) -> bool:
        """Extend a turn this holder still has (a long update being handled)."""
        renewed = self.connection.execute(
            RENEWAL, _turn(platform, chat_id, holder) | {"turn_now": now, "turn_until": now + ttl}
        )
        return renewed.rowcount == 1

    def take_and_next(
        self, platform: str, chat_id: str, holder: str, ttl: timedelta, now: datetime
    ) -> ReceivedUpdate | None:
        """The chat's next update to handle, with its turn; None when another worker holds
        the turn or nothing is left (the turn is then given back)."""
        if not self.take(platform, chat_id, holder, ttl, now):
            return None
        return self._next_or_give_back(platform, chat_id, holder)

    def handled_and_next(
        self,
        platform: str,
        chat_id: str,
        key: str,
        holder: str,
        ttl: timedelta,
        now: datetime,
        reply: str | None = None,
    ) -> ReceivedUpdate | None:
        """Mark `key` handled (keeping its reply) and return the chat's next update, keeping
        the turn; None when nothing is left (the turn is given back) or the turn is no
        longer ours.

        The turn's row is locked (by renewing it) before the next update is looked for, in
        a statement of its own: a statement sees what was committed when it began, so the
        look must begin after the lock, when a worker that stored an update meanwhile has
        either committed it or waits for this transaction to end (and then takes the turn
        given back)."""
        values = _turn(platform, chat_id, holder) | {
            "turn_now": now,
            "turn_until": now + ttl,
            "mark_platform": platform,
            "mark_key": key,
            "mark_reply": reply,
            "mark_at": now,
        }
        if self.connection.dialect.name == "postgresql":
            held = self.connection.execute(HANDLED_AND_RENEWED, values).first()
        else:
            self.connection.execute(FINISHING, values)
            held = self.connection.execute(RENEWED, values).first()
        if held is None:
            return None  # the turn lapsed and another worker took the chat up
        return self._next_or_give_back(platform, chat_id, holder)

    def give_back(self, platform: str, chat_id: str, holder: str) -> None:
        self.connection.execute(GIVEN_BACK, _turn(platform, chat_id, holder))

    def live_holders(self, platform: str, now: datetime) -> list[str]:
        """The workers holding a turn of the platform that has not lapsed."""
        query = (
            sa.select(CHAT_TURN.c.holder)
            .where(CHAT_TURN.c.platform == platform, CHAT_TURN.c.expires_at >= now)
            .distinct()
        )
        return [str(row[0]) for row in self.connection.execute(query)]

    def free_holders(self, platform: str, holders: Sequence[str]) -> None:
        """Every turn of these workers (known dead) free at once."""
        self.connection.execute(
            sa.update(CHAT_TURN)
            .where(CHAT_TURN.c.platform == platform, CHAT_TURN.c.holder.in_(holders))
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

    def _next_or_give_back(self, platform: str, chat_id: str, holder: str) -> ReceivedUpdate | None:
        """The chat's oldest unhandled update; with none, the turn is given back (in the
        same statement on PostgreSQL). The caller holds the turn, renewed."""
        values = _turn(platform, chat_id, holder)
        if self.connection.dialect.name == "postgresql":
            row = self.connection.execute(NEXT_OR_GIVEN_BACK, values).first()
        else:
            row = self.connection.execute(OLDEST_UNHANDLED, values).first()
            if row is None:
                self.give_back(platform, chat_id, holder)
        if row is None:
            return None
        return received_update(row)


def _turn(platform: str, chat_id: str, holder: str) -> dict[str, Any]:
    return {"turn_platform": platform, "turn_chat": chat_id, "turn_holder": holder}


# The statements of a chat's turn, built once with bound parameters: they run several
# times per update, and building an expression is a good share of a statement's cost.
def _moment(name: str, column: sa.Column[Any]) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=column.type)


def _take(insert: Any) -> Any:
    statement = insert(CHAT_TURN).values(
        platform=_param("turn_platform"),
        chat_id=_param("turn_chat"),
        holder=_param("turn_holder"),
        expires_at=_moment("turn_until", CHAT_TURN.c.expires_at),
    )
    return statement.on_conflict_do_update(
        index_elements=[CHAT_TURN.c.platform, CHAT_TURN.c.chat_id],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=CHAT_TURN.c.expires_at < _moment("turn_now", CHAT_TURN.c.expires_at),
    ).returning(CHAT_TURN.c.holder)


TAKE = {"postgresql": _take(pg_insert), "sqlite": _take(sqlite_insert)}
THIS_TURN = (
    CHAT_TURN.c.platform == _param("turn_platform"),
    CHAT_TURN.c.chat_id == _param("turn_chat"),
    CHAT_TURN.c.holder == _param("turn_holder"),
)
RENEWAL = (
    sa.update(CHAT_TURN)
    # Not one given back meanwhile: it is free for anyone to take.
    .where(*THIS_TURN, CHAT_TURN.c.expires_at >= _moment("turn_now", CHAT_TURN.c.expires_at))
    .values(expires_at=_moment("turn_until", CHAT_TURN.c.expires_at))
)
RENEWED = RENEWAL.returning(CHAT_TURN.c.holder)
HANDLED_AND_RENEWED = RENEWED.add_cte(FINISHING.cte("marked"))
GIVEN_BACK = sa.update(CHAT_TURN).where(*THIS_TURN).values(expires_at=FREE)


def _oldest_unhandled(platform: str, chat: str, *first: sa.Column[Any]) -> sa.Select[Any]:
    """A chat's oldest unhandled update (its key, sequence, chat and payload, after
    `first`), the platform and the chat bound under the names given."""
    return (
        sa.select(
            *first,
            RECEIVED.c.update_key,
            RECEIVED.c.sequence,
            RECEIVED.c.chat_id,
            RECEIVED.c.payload,
        )
        .where(
            RECEIVED.c.platform == _param(platform),
            RECEIVED.c.chat_id == _param(chat),
            RECEIVED.c.handled_at.is_(None),
        )
        .order_by(RECEIVED.c.sequence, RECEIVED.c.id)
        .limit(1)
    )


OLDEST_UNHANDLED = _oldest_unhandled("turn_platform", "turn_chat")
_FOLLOWING = OLDEST_UNHANDLED.cte("following")
NEXT_OR_GIVEN_BACK = sa.select(_FOLLOWING).add_cte(
    GIVEN_BACK.where(~sa.exists(sa.select(_FOLLOWING.c.update_key))).cte("freed")
)


def _store_and_take() -> sa.Select[Any]:
    """PostgreSQL: see SqlChatTurns.store_and_take."""
    columns = ("update_key", "sequence", "chat_id", "payload")
    stored = (
        pg_insert(RECEIVED)
        .values(
            platform=_param("platform"),
            update_key=_param("update_key"),
            sequence=sa.bindparam("sequence", type_=RECEIVED.c.sequence.type),
            chat_id=_param("chat_id"),
            payload=_param("payload"),
            received_at=sa.bindparam("received_at", type_=RECEIVED.c.received_at.type),
        )
        .on_conflict_do_nothing()
        .returning(RECEIVED.c.id, *(RECEIVED.c[name] for name in columns))
        .cte("stored")
    )
    turn = pg_insert(CHAT_TURN).from_select(
        ["platform", "chat_id", "holder", "expires_at"],
        sa.select(
            _param("platform"),
            _param("chat_id"),
            _param("holder"),
            sa.bindparam("expires_at", type_=CHAT_TURN.c.expires_at.type),
        ).select_from(stored),
    )
    taken = (
        turn.on_conflict_do_update(
            index_elements=[CHAT_TURN.c.platform, CHAT_TURN.c.chat_id],
            set_={"holder": turn.excluded.holder, "expires_at": turn.excluded.expires_at},
            where=CHAT_TURN.c.expires_at < sa.bindparam("now", type_=CHAT_TURN.c.expires_at.type),
        )
        .returning(CHAT_TURN.c.holder)
        .cte("taken")
    )
    # The statement's snapshot is older than the turn's lock when the take had to wait for
    # it (the last holder giving the turn back): a row it shows unhandled may have been
    # marked handled since. FOR UPDATE reads each candidate's newest version and skips
    # those no longer unhandled, so the oldest still waiting is the one returned.
    oldest_committed = (
        _oldest_unhandled("platform", "chat_id", RECEIVED.c.id)
        .with_for_update()
        .subquery("oldest_committed")
    )
    waiting = sa.union_all(sa.select(oldest_committed), sa.select(stored)).subquery("waiting")
    first = (
        sa.select(waiting)
        .where(sa.exists(sa.select(taken.c.holder)))
        .order_by(waiting.c.sequence, waiting.c.id)
        .limit(1)
        .subquery("first")
    )
    new = sa.select(sa.func.count()).select_from(stored).scalar_subquery().label("new")
    return sa.select(new, *(first.c[name] for name in columns)).select_from(
        sa.select(sa.literal(1).label("one")).subquery("anchor").outerjoin(first, sa.true())
    )


STORE_AND_TAKE = _store_and_take()


class SqlSendSlots:
    """Every worker's sends of a platform, paced together (a generic cell rate algorithm
    per limit: each row keeps when the next message is due)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def reserve(
        self, platform: str, chat_id: str, limits: DeliveryLimits, now: datetime
    ) -> datetime:
        """When this chat's next message may go out, that moment booked for it. Two
        statements: both rows read and locked at once, then both written at once."""
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
        whole_due = max(now, whole[0])
        if overall:
            due = max(due, whole_due)
        # The whole bot's next moment follows from its own, not from this send's: a reply
        # that waits for its chat (the fourth in a second, say) must not hold every other
        # chat's sends back until then.
        booked = {
            chat_id: (_next(chat[0], due, chat_interval), _next(chat[1], due, group_interval)),
            WHOLE_BOT: (_next(whole[0], whole_due, overall), whole[1]),
        }
        self.connection.execute(
            BOOKED,
            {
                "slot_platform": platform,
                "chat_key": chat_id,
                "chat_second": booked[chat_id][0],
                "chat_minute": booked[chat_id][1],
                "whole_second": booked[WHOLE_BOT][0],
                "whole_minute": booked[WHOLE_BOT][1],
            },
        )
        return due

    def _locked(self, platform: str, chat_id: str) -> dict[str, tuple[datetime, datetime]]:
        """The chat's row and the whole bot's, locked (created the first time), in one
        statement: an upsert whose update changes nothing still locks the row and returns
        it. Rows are locked in the order given, the whole bot's first, by every booking."""
        first, second = sorted({chat_id, WHOLE_BOT})
        rows = self.connection.execute(
            LOCKED[self.connection.dialect.name],
            {"slot_platform": platform, "first": first, "second": second},
        )
        return {row[0]: (row[1], row[2]) for row in rows}


def _locked(insert: Any) -> Any:
    # Two rows from a SELECT rather than a multi-row VALUES: SQLAlchemy caches the compiled
    # form of the one and not of the other.
    rows = sa.union_all(
        *(
            sa.select(
                _param("slot_platform", type_=SEND_SLOT.c.platform.type),
                _param(key, type_=SEND_SLOT.c.chat_id.type),
                sa.literal(FREE, SEND_SLOT.c.next_second.type),
                sa.literal(FREE, SEND_SLOT.c.next_minute.type),
            )
            for key in ("first", "second")
        )
    )
    statement = insert(SEND_SLOT).from_select(
        ["platform", "chat_id", "next_second", "next_minute"], rows
    )
    return statement.on_conflict_do_update(
        index_elements=[SEND_SLOT.c.platform, SEND_SLOT.c.chat_id],
        set_={"platform": statement.excluded.platform},
    ).returning(SEND_SLOT.c.chat_id, SEND_SLOT.c.next_second, SEND_SLOT.c.next_minute)


# A booking's two statements, built once (see _take for why).
LOCKED = {"postgresql": _locked(pg_insert), "sqlite": _locked(sqlite_insert)}
_IS_WHOLE = SEND_SLOT.c.chat_id == WHOLE_BOT


def _either(column: sa.Column[Any], name: str) -> sa.Case[Any]:
    return sa.case(
        (_IS_WHOLE, _moment(f"whole_{name}", column)), else_=_moment(f"chat_{name}", column)
    )


BOOKED = (
    sa.update(SEND_SLOT)
    .where(
        SEND_SLOT.c.platform == _param("slot_platform"),
        SEND_SLOT.c.chat_id.in_([WHOLE_BOT, _param("chat_key")]),
    )
    .values(
        next_second=_either(SEND_SLOT.c.next_second, "second"),
        next_minute=_either(SEND_SLOT.c.next_minute, "minute"),
    )
)


def _next(booked: datetime, due: datetime, interval: timedelta) -> datetime:
    """A limit's next due moment once a message goes out at `due` (unchanged if no limit)."""
    return max(booked, due) + interval if interval else booked


def _interval(count: float | int | None, seconds: float) -> timedelta:
    """The spacing of `count` messages per `seconds` (zero when there is no such limit)."""
    return timedelta(seconds=seconds / count) if count else timedelta(0)
