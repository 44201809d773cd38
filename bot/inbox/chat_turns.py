"""Each chat's stored updates handled one at a time, in order, across every worker.

With several workers behind a load balancer, a chat's updates land on different workers.
Each worker stores what it receives (the durable inbox) and then asks for the chat's turn
(a row in the database, see bot.storage.coordination.SqlChatTurns): the worker holding it
handles the chat's stored updates in the order they came, whichever worker stored them,
until none is left. A repeated delivery is stored once and so handled once. A worker that
dies leaves a turn that expires; every worker looks now and then for chats whose updates
wait with nobody on their turn, and takes them up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.clock import Clock, SystemClock
from bot.cluster.leadership import gone_from_this_host
from bot.inbox.handling import Finish, Handling
from bot.inbox.ports import ReceivedUpdate
from bot.storage.database import Database
from bot.storage.repositories import SqlStore

log = logging.getLogger(__name__)

# A worker's hold on a chat, renewed at each of the chat's updates and every third of it
# while one is being handled: a dead worker's chats wait this long at most before another
# worker takes them up.
TURN_SECONDS = 10.0
# How often a worker looks for chats left waiting, and how old their updates must be.
SWEEP_SECONDS = 2.0

Handle = Callable[[ReceivedUpdate, Finish], Awaitable[Handling]]


class ChatTurns:
    def __init__(
        self,
        database: Database,
        platform: str,
        handle: Handle,
        *,
        holder: str,
        concurrent_chats: int,
        clock: Clock | None = None,
        turn_seconds: float = TURN_SECONDS,
    ) -> None:
        self.database = database
        self.platform = platform
        self.handle = handle
        self.holder = holder
        self.clock = clock or SystemClock()
        self.turn = timedelta(seconds=turn_seconds)
        self._slots = asyncio.Semaphore(concurrent_chats)
        self._tasks: set[asyncio.Task[None]] = set()
        # Turns waiting for a slot (cancelled at close), and whether the worker is stopping.
        self._queued: set[asyncio.Task[object]] = set()
        self._closing = False
        # Chats with a task in this worker (waiting for a slot or handling): a sweep does not
        # queue them twice.
        self._local: dict[str, int] = {}
        # Chats this worker stored updates of while all its slots were busy, oldest first:
        # each slot that frees takes one up at once, unless another worker did meanwhile
        # (else they would wait for a sweep, SWEEP_SECONDS and more).
        self._untaken: dict[str, None] = {}

    async def accept(self, updates: Sequence[ReceivedUpdate]) -> set[str]:
        """Store updates and, in the same transaction, take each one's chat's turn if
        nobody holds it and this worker has a free slot; then handle the chat's updates in
        the background. A busy worker only stores: a freer worker's sweep takes the chat up.
        Returns the keys stored now (not a repeated delivery)."""
        take = not self._slots.locked()

        def work(store: SqlStore) -> tuple[set[str], dict[str, ReceivedUpdate]]:
            now = self.clock.now()  # turns run in real time, whatever the bot's clock says
            turns = store.chat_turns
            firsts: dict[str, ReceivedUpdate] = {}
            if take and len(updates) == 1 and updates[0].chat_id is not None:
                # A webhook's delivery: stored and the turn taken in one statement.
                update = updates[0]
                is_new, first = turns.store_and_take(
                    self.platform, update, self.holder, self.turn, now
                )
                if first is not None and update.chat_id is not None:
                    firsts[update.chat_id] = first
                return ({update.key} if is_new else set()), firsts
            new = store.received.store(self.platform, updates, now)
            if not take:
                return new, firsts
            chats = dict.fromkeys(u.chat_id for u in updates if u.key in new and u.chat_id)
            for chat_id in chats:
                if chat_id is None:
                    continue
                first = turns.take_and_next(self.platform, chat_id, self.holder, self.turn, now)
                if first is not None:
                    firsts[chat_id] = first
            return new, firsts

        new, firsts = await self.database.run_async(work)
        for chat_id, first in firsts.items():
            self._spawn(chat_id, first)
        if not take:
            self._untaken.update((u.chat_id, None) for u in updates if u.key in new and u.chat_id)
        return new

    async def replay(self) -> None:
        """Take up at once the chats whose updates wait with nobody on their turn."""
        for chat_id in await self._waiting(0.0):
            self.arrived(chat_id)

    async def run(self, stop: asyncio.Event) -> None:
        sweeping = asyncio.create_task(self.sweep_forever())
        try:
            await stop.wait()
        finally:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping

    def arrived(self, chat_id: str) -> None:
        """A chat's updates wait: handle them if it is our turn (once per chat at a time)."""
        if chat_id not in self._local:
            self._spawn(chat_id, None)

    def _take_up_untaken(self) -> None:
        while self._untaken and not self._closing:
            chat_id = next(iter(self._untaken))
            del self._untaken[chat_id]
            if chat_id not in self._local:
                self._spawn(chat_id, None)
                return

    def _spawn(self, chat_id: str, first: ReceivedUpdate | None) -> None:
        self._local[chat_id] = self._local.get(chat_id, 0) + 1
        task = asyncio.create_task(self._take_turn(chat_id, first))
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._local[chat_id] -= 1
            if not self._local[chat_id]:
                del self._local[chat_id]

        task.add_done_callback(done)

    async def sweep_forever(self, every: float | None = None) -> None:
        """Take up chats left waiting (their worker died), from start to cancel."""
        every = every or SWEEP_SECONDS
        while True:
            try:
                for chat_id in await self._waiting(every):
                    self.arrived(chat_id)
            except Exception:
                log.exception("looking for chats left waiting failed")
            await asyncio.sleep(every)

    async def idle(self) -> None:
        """Until every chat taken up so far is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """A clean stop: the updates being handled are finished, every other turn is given
        back (what waits is handled by another worker, or after the restart)."""
        self._closing = True
        for task in list(self._queued):
            task.cancel()
        await self.idle()

    async def _waiting(self, older_than: float) -> list[str]:
        now = self.clock.now()
        before = now - timedelta(seconds=older_than)
        return await self.database.run_async(lambda store: self._waiting_chats(store, before, now))

    def _waiting_chats(self, store: SqlStore, before: datetime, now: datetime) -> list[str]:
        turns = store.chat_turns
        # Turns of a worker killed on this host are free at once, not when they lapse.
        gone = gone_from_this_host(turns.live_holders(self.platform, now))
        if gone:
            log.info("taking up the chats of %d stopped worker(s)", len(gone))
            turns.free_holders(self.platform, gone)
        return turns.waiting_chats(self.platform, before, now)

    async def _take_turn(self, chat_id: str, first: ReceivedUpdate | None) -> None:
        """Handle the chat's updates while it is our turn (`first`: taken already)."""
        # The turn is kept while this worker waits for a slot, so that it never lapses.
        keeping = asyncio.create_task(self._keep_turn(chat_id)) if first is not None else None
        current = asyncio.current_task()
        if current is not None:
            self._queued.add(current)
        try:
            await self._slots.acquire()
        except asyncio.CancelledError:
            if first is not None:
                with contextlib.suppress(Exception):
                    await self._give_back(chat_id)
            raise
        finally:
            if current is not None:
                self._queued.discard(current)
            if keeping is not None:
                keeping.cancel()
        try:
            await self._hold_turn(chat_id, first)
        finally:
            self._slots.release()
            self._take_up_untaken()

    async def _give_back(self, chat_id: str) -> None:
        await self.database.run_async(
            lambda store: store.chat_turns.give_back(self.platform, chat_id, self.holder)
        )

    async def _hold_turn(self, chat_id: str, first: ReceivedUpdate | None) -> None:
        update = first or await self._next(chat_id, handled=None)
        try:
            while update is not None:
                if self._closing:
                    await self._give_back(chat_id)
                    return
                handling = await self._handle(chat_id, update)
                if handling.finished:
                    # Its use case marked it handled and claimed the next in one commit.
                    update = (
                        handling.outcome if isinstance(handling.outcome, ReceivedUpdate) else None
                    )
                else:
                    update = await self._next(chat_id, handled=update.key)
        except BaseException:
            # The update stays unhandled; give the turn back so that it is taken up again.
            with contextlib.suppress(Exception):
                await self._give_back(chat_id)
            raise

    async def _next(self, chat_id: str, handled: str | None) -> ReceivedUpdate | None:
        """The chat's next update with its turn (having marked `handled` handled), or None:
        another worker holds the turn, or nothing is left and the turn is given back."""

        def work(store: SqlStore) -> ReceivedUpdate | None:
            turns, now = store.chat_turns, self.clock.now()
            if handled is None:
                return turns.take_and_next(self.platform, chat_id, self.holder, self.turn, now)
            return turns.handled_and_next(
                self.platform, chat_id, handled, self.holder, self.turn, now
            )

        return await self.database.run_async(work)

    async def _handle(self, chat_id: str, update: ReceivedUpdate) -> Handling:
        keeping = asyncio.create_task(self._keep_turn(chat_id))
        try:
            return await self.handle(update, self._finish(chat_id))
        finally:
            keeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeping

    def _finish(self, chat_id: str) -> Finish:
        """What the use case's transaction writes: the handled mark with the reply, the
        turn renewed, and the chat's next update claimed (or the turn given back)."""

        def finish(
            store: SqlStore, key: str, reply: str | None, _now: datetime
        ) -> ReceivedUpdate | None:
            return store.chat_turns.handled_and_next(
                self.platform, chat_id, key, self.holder, self.turn, self.clock.now(), reply
            )

        return finish

    async def _keep_turn(self, chat_id: str) -> None:
        """Renew the turn while a long update is handled (an export, say)."""
        every = self.turn.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                await self.database.run_async(
                    lambda store: store.chat_turns.renew(
                        self.platform, chat_id, self.holder, self.turn, self.clock.now()
                    )
                )
