"""The inbox: store, sequence, dispatch; replies a crash left unsent are sent at start."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock, SystemClock
from bot.cluster.ports import ClusterStore
from bot.domain.model.messages import Outbound
from bot.inbox import replies as reply_codec
from bot.inbox.chat_turns import ChatTurns
from bot.inbox.handling import Finish, Handling, current
from bot.inbox.local import LocalSequencer
from bot.inbox.marks import Marks
from bot.inbox.ports import ReceivedUpdate
from bot.metrics import UPDATES_HANDLED, UPDATES_RECEIVED
from bot.storage.database import Database

log = logging.getLogger(__name__)

# Updates decoded on arrival and kept until handled: the worker that stores an update
# usually handles it, so each is decoded once; one handled by another worker (or after a
# restart) is decoded from its stored payload.
DECODED_KEPT = 1024
# Several workers: a reply not marked sent `unsent_reply_seconds` after its update was
# handled belongs to a worker that died between the commit and the send (a live one sends
# within milliseconds, or within a 429's pause); every worker looks at most this often.
ORPHAN_CHECK_SECONDS = 10.0


@dataclass(frozen=True)
class Arrival:
    """An update as it came: what is stored, and the platform's decoded form of it."""

    stored: ReceivedUpdate
    decoded: object


class Platform(Protocol):
    name: str

    def arrival(self, body: object) -> Arrival:
        """Read a delivery (raises RejectedUpdate when it is no update)."""
        ...

    def decode(self, stored: ReceivedUpdate) -> object: ...

    async def dispatch(self, update: object) -> None:
        """Run the handlers (which answer through the platform's notifier)."""
        ...

    async def send_replies(self, replies: list[Outbound]) -> None:
        """Send replies kept for updates handled before a crash."""
        ...

    def book_within(
        self, store: ClusterStore, replies: list[Outbound]
    ) -> dict[str, list[datetime]]:
        """Book the replies' send moments in the handling transaction, where sends are
        paced in the database (several workers); else nothing."""
        ...


class Sequencer(Protocol):
    async def accept(self, updates: Sequence[ReceivedUpdate]) -> set[str]:
        """Store the updates and hand the new ones on; returns the new keys."""
        ...

    async def replay(self) -> None:
        """Hand on what was stored but never handled (before the last stop)."""
        ...

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: whatever keeps the chats moving (chats' turns: take up lapsed ones)."""
        ...

    async def idle(self) -> None: ...

    async def close(self) -> None:
        """Finish what is being handled; leave the rest stored."""
        ...


class Inbox:
    def __init__(
        self,
        platform: Platform,
        database: Database,
        clock: Clock | None = None,
        *,
        worker: str | None = None,
        concurrent_chats: int = 8,
        unsent_reply_seconds: float = 60.0,
    ) -> None:
        """`worker`: this worker's name when several share a PostgreSQL database (chats'
        turns in the database); without it, one process keeps each chat's order itself,
        and whatever reply is unsent at start was left by the last run."""
        self.platform = platform
        self.database = database
        self.clock = clock or SystemClock()
        self.marks = Marks(database, platform.name, self.clock)
        self.sequencer: Sequencer = (
            ChatTurns(
                database,
                platform.name,
                self._handle,
                holder=worker,
                concurrent_chats=concurrent_chats,
            )
            if worker is not None
            else LocalSequencer(database, platform.name, self._handle, self.marks, concurrent_chats)
        )
        self.shared = worker is not None
        self.unsent_reply_seconds = unsent_reply_seconds
        self._decoded: OrderedDict[str, object] = OrderedDict()
        # Replies sent after their update's turn moved on: the last one of each chat (the
        # next waits for it) and all of them (idle and close wait for them).
        self._sending: dict[str, asyncio.Task[None]] = {}
        self._sends: set[asyncio.Task[None]] = set()
        self._started: asyncio.Task[None] | None = None

    async def accept(self, body: object) -> bool:
        """Store one delivery and hand it on; False when it was stored before."""
        arrival = self.platform.arrival(body)
        return arrival.stored.key in await self.accept_all([arrival])

    async def accept_all(self, arrivals: Sequence[Arrival]) -> set[str]:
        # Kept before the sequencer may begin handling them (before accept returns).
        for arrival in arrivals:
            self._keep(arrival.stored.key, arrival.decoded)
        new = await self.sequencer.accept([arrival.stored for arrival in arrivals])
        for arrival in arrivals:
            if arrival.stored.key not in new:
                self._decoded.pop(arrival.stored.key, None)
        if new:
            UPDATES_RECEIVED.labels(self.platform.name).inc(len(new))
        return new

    async def start(self) -> None:
        """Once: replies a crash left unsent, then updates it left unhandled, in order."""
        if self._started is None:
            self._started = asyncio.create_task(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        # One process: whatever is unsent now was left by the last one.
        await self.send_unsent_replies(self.unsent_reply_seconds if self.shared else 0.0)
        await self.sequencer.replay()

    async def run(self, stop: asyncio.Event) -> None:
        """Start, then keep the chats moving until `stop`; finishes what is being handled."""
        await self.start()
        tasks = [asyncio.create_task(self.sequencer.run(stop))]
        if self.shared:
            tasks.append(asyncio.create_task(self._send_orphans_until(stop)))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def idle(self) -> None:
        """Until every update accepted so far is handled and answered (tests, shutdown)."""
        await self.sequencer.idle()
        await self._sent()
        await self.marks.flush()

    async def close(self) -> None:
        await self.sequencer.close()
        await self._sent()
        await self.marks.flush()

    async def send_unsent_replies(self, older_than: float) -> int:
        now = self.clock.now()
        before = now - timedelta(seconds=older_than)
        name = self.platform.name
        unsent = await self.database.run_async(
            lambda store: store.received.claim_unsent_replies(name, before, now)
        )
        for key, stored in unsent:
            try:
                await self.platform.send_replies(reply_codec.decode(stored))
            except Exception:
                log.exception("the reply to %s update %s could not be sent", name, key)
            await self.marks.replied(key)
        if unsent:
            log.info("sent %d %s replies left unsent by the last stop", len(unsent), name)
        return len(unsent)

    async def _send_orphans_until(self, stop: asyncio.Event) -> None:
        every = min(ORPHAN_CHECK_SECONDS, self.unsent_reply_seconds / 2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return
            try:
                await self.send_unsent_replies(self.unsent_reply_seconds)
            except Exception:
                log.exception("looking for replies left unsent failed")

    def _keep(self, key: str, update: object) -> None:
        self._decoded[key] = update
        while len(self._decoded) > DECODED_KEPT:
            self._decoded.popitem(last=False)

    async def _handle(self, stored: ReceivedUpdate, finish: Finish) -> Handling:
        """Dispatch one stored update; its use case's transaction finishes it if it can."""
        handling = Handling(self.platform.name, stored.key, finish, self.platform.book_within)
        token = current().set(handling)
        try:
            update = self._decoded.pop(stored.key, None) or self.platform.decode(stored)
            await self.platform.dispatch(update)
        except Exception:
            # Handlers answer errors themselves; one that still fails is not retried forever.
            log.exception("handling %s update %s failed", self.platform.name, stored.key)
        finally:
            # The deferred sends read their booked moments from the handling.
            context = contextvars.copy_context()
            current().reset(token)
        if handling.deferred is not None:
            self._send_in_order(stored, handling, context)
        elif handling.replied:
            await self.marks.replied(stored.key)
        UPDATES_HANDLED.labels(self.platform.name).inc()
        return handling

    def _send_in_order(
        self, stored: ReceivedUpdate, handling: Handling, context: contextvars.Context
    ) -> None:
        """Send the replies after the chat's earlier ones; marked sent once they are (a
        crash before that sends them at restart)."""
        assert handling.deferred is not None
        send, chat = handling.deferred, stored.chat_id or stored.key
        previous = self._sending.get(chat)

        async def in_order() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await send()
            except Exception:
                log.exception("the reply to %s update %s failed", self.platform.name, stored.key)
            await self.marks.replied(stored.key)

        task = asyncio.create_task(in_order(), context=context)
        self._sending[chat] = task
        self._sends.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._sends.discard(finished)
            if self._sending.get(chat) is finished:
                del self._sending[chat]

        task.add_done_callback(done)

    async def _sent(self) -> None:
        while self._sends:
            await asyncio.gather(*list(self._sends), return_exceptions=True)
