"""The update being handled, so that its use case's transaction can finish it too.

The inbox sets it around a platform's dispatch; the core, once the use case has decided,
calls `finish` inside the same unit of work: the reply is stored and the update marked
handled with the report they answer (and, with chats' turns, the chat's next update is
claimed), so one commit holds all of it. A crash after that commit leaves the reply to be
sent at restart; a crash before it leaves the update unhandled, to be handled again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.model.messages import Outbound
from bot.inbox import replies as reply_codec
from bot.storage.repositories import SqlStore

# What the sequencer writes with the use case: (store, key, reply as JSON or None, now) →
# whatever it needs afterwards (the chat's next update, for chats' turns).
Finish = Callable[[SqlStore, str, str | None, datetime], object]
# What the platform books with the use case: the moments its replies may be sent (chat id →
# moments, in order), when sends are paced in the database.
Book = Callable[[SqlStore, list[Outbound]], dict[str, list[datetime]]]


@dataclass
class Handling:
    platform: str
    key: str
    finish_within: Finish
    book_within: Book | None = None
    # Set by the core: a unit of work took this update (the first one only).
    taken: bool = False
    # Set once that unit of work committed, with what finish_within gave back.
    finished: bool = False
    replied: bool = False
    outcome: object = None
    # Send moments booked for the replies, by chat, taken by the sends in order.
    booked: dict[str, list[datetime]] = field(default_factory=dict)
    # The platform's sending of the replies, left to the inbox when they wait for booked
    # moments: the chat's next update is handled meanwhile (the sends keep their order).
    deferred: Callable[[], Awaitable[None]] | None = None
    _pending: tuple[bool, object, dict[str, list[datetime]]] | None = field(
        default=None, repr=False
    )

    def finish(self, store: SqlStore, replies: list[Outbound], now: datetime) -> None:
        """Inside the use case's unit of work (which may run twice: the last run counts).
        The booking comes last: its rows are shared by every sender, so they are held
        only from here to the commit."""
        reply = reply_codec.encode(replies) if replies else None
        outcome = self.finish_within(store, self.key, reply, now)
        booked = self.book_within(store, replies) if self.book_within and replies else {}
        self._pending = (reply is not None, outcome, booked)

    def committed(self) -> None:
        if self._pending is not None:
            self.replied, self.outcome, self.booked = self._pending
            self.finished = True

    def take_booking(self, chat_id: str) -> datetime | None:
        """The next moment booked for a send to this chat, if any is left."""
        moments = self.booked.get(chat_id)
        return moments.pop(0) if moments else None


_CURRENT: ContextVar[Handling | None] = ContextVar("quizbot_handling", default=None)


def take() -> Handling | None:
    """The update being handled, for the first unit of work that asks (later ones in the
    same update, if any, commit on their own)."""
    handling = _CURRENT.get()
    if handling is None or handling.taken:
        return None
    handling.taken = True
    return handling


def current() -> ContextVar[Handling | None]:
    return _CURRENT
