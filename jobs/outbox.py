"""Delivering the outbox: resumable, paced, and never the same send twice.

Every row is one send (a text or one file) to one chat. A row is claimed (pending -> sending)
in its own transaction right before its request goes out, and closed right after. A crash in
between leaves it "sending": it may have arrived, so it is never sent again; every row
still pending is sent after a restart. The platform's limits are kept ahead of time (overall
rate, one message a second per chat, per-group minute limit), and a 429 pauses every sender
for `retry_after` before the paced sending resumes.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from aiolimiter import AsyncLimiter

from bot.clock import Clock, SystemClock
from bot.domain.delivery import Channels
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import DeliveryLimits, DeliveryStatus, DeliveryUncertain, RateLimited
from bot.domain.ports import AbandonedSend, Notifier, OutboxItem, Store, UnitOfWork
from bot.metrics import SENDS
from jobs.ports import Pacer

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
# A drain waits this long at most for postponed sends; later ones wait for the next drain.
MAX_WAIT = timedelta(minutes=2)
# A send still "sending" after this long belongs to a process that died.
IN_FLIGHT_TIMEOUT = timedelta(minutes=2)


# A pacer's moment this close is now: the send goes at once.
NO_WAIT = 0.005


class _Outcome(enum.Enum):
    SENT = "sent"  # delivered; recorded as sent by the caller
    NEXT = "next"  # recorded; the chat's next send may follow
    STOP = "stop"  # recorded; the chat stops for now


@dataclass
class DrainReport:
    sent: int = 0
    gone: int = 0
    uncertain: int = 0
    failed: int = 0
    postponed: int = 0
    rate_limited: int = 0


def _finish_failed(store: Store, *, item_id: int, at: datetime, why: str) -> None:
    store.outbox.finish(item_id, "failed", at, why)


class OutboxDispatcher:
    def __init__(
        self,
        database: UnitOfWork,
        notifiers: Notifier | Channels,
        # Delivery happens in real time even when a job runs "as if" at another time.
        clock: Clock | None = None,
        *,
        first_retry: timedelta = FIRST_RETRY,
        max_wait: timedelta = MAX_WAIT,
        may_send: Callable[[], bool] | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        """`may_send`: asked right before each send (the leader's lease, bot.cluster.leadership);
        `pacer`: the platforms' limits kept with the other workers' sends, instead of this
        process's own limiters."""
        self.database = database
        self.channels = Channels.of(notifiers)
        self.clock = clock or SystemClock()
        self.first_retry = first_retry
        self.max_wait = max_wait
        # Each platform's overall rate, kept apart: Telegram's limit says nothing of Zalo's.
        # Capacity 1: sends are spread evenly, never in bursts.
        self._overall = {
            notifier.platform: AsyncLimiter(1, 1 / notifier.limits.per_second)
            for notifier in self.channels
            if notifier.limits.per_second
        }
        # A 429 pauses every sender of that platform (only).
        self._paused_until: dict[str, float] = {}
        self._pauses: dict[str, int] = {}
        self._draining = asyncio.Lock()
        self.may_send = may_send or (lambda: True)
        self.pacer = pacer
        # Told of the sends settled as of unknown outcome (the job runner queues a notice
        # to the admins); it must only queue, as it is called inside a drain.
        self.on_abandoned: Callable[[list[AbandonedSend]], Awaitable[None]] | None = None

    async def abandon_in_flight(self) -> list[AbandonedSend]:
        """Settle every send left "sending" as of unknown outcome, whatever its age: at the
        start of a leader's term they are the previous leader's."""
        now = self.clock.now()
        abandoned = await self._db(lambda store: store.outbox.abandon_in_flight(now, now))
        await self._tell(abandoned)
        return abandoned

    async def _tell(self, abandoned: list[AbandonedSend]) -> None:
        if abandoned and self.on_abandoned is not None:
            await self.on_abandoned(abandoned)

    async def drain(self) -> DrainReport:
        """Send everything that is due; wait (bounded) for postponed sends; then return."""
        report = DrainReport()
        async with self._draining:
            # Left "sending" by a process that died (a `jobs run` killed mid-fan-out).
            stuck = await self._db(
                lambda store: store.outbox.abandon_in_flight(
                    self.clock.now() - IN_FLIGHT_TIMEOUT, self.clock.now()
                )
            )
            await self._tell(stuck)
            while True:
                chats = await self._db(lambda store: store.outbox.ready_chats(self.clock.now()))
                if not chats:
                    wakeup = await self._db(lambda store: store.outbox.next_wakeup())
                    if wakeup is None or wakeup - self.clock.now() > self.max_wait:
                        break
                    await asyncio.sleep(max((wakeup - self.clock.now()).total_seconds(), 0.05))
                    continue
                # Each platform its own queue and workers: a platform at its rate limit must
                # not hold up another's chats (Zalo's go out beside Telegram's, not after).
                queues: dict[str, asyncio.Queue[ChatRef]] = {}
                for chat in chats:
                    queues.setdefault(chat.platform, asyncio.Queue()).put_nowait(chat)
                workers = []
                for platform, queue in queues.items():
                    notifier = self.channels.get(platform)
                    concurrency = notifier.limits.concurrency if notifier is not None else 1
                    count = min(max(concurrency, 1), queue.qsize())
                    workers += [self._work(queue, report) for _ in range(count)]
                await asyncio.gather(*workers)
            await self._db(lambda store: store.job_runs.finish_completed(self.clock.now()))
        return report

    async def _work(self, queue: asyncio.Queue[ChatRef], report: DrainReport) -> None:
        while not queue.empty():
            await self._send_chat(queue.get_nowait(), report)

    async def _send_chat(self, chat: ChatRef, report: DrainReport) -> None:
        """A chat's sends, in order, one at a time. A send is claimed only once its moment
        has come (a crash while it waits leaves it pending, sent by the next leader); when
        that moment has come already, the previous send's "sent" and the next one's claim
        share a transaction."""
        notifier = self.channels.get(chat.platform)
        if notifier is None:
            await self._undeliverable(chat, report)
            return
        limits = notifier.limits
        limiters = []
        if limits.per_chat_per_second:
            limiters.append(AsyncLimiter(1, 1 / limits.per_chat_per_second))
        if limits.per_group_per_minute and limits.is_group(chat):
            limiters.append(AsyncLimiter(limits.per_group_per_minute, 60))
        sent: OutboxItem | None = None  # delivered, not yet recorded as sent

        async def record_sent() -> None:
            nonlocal sent
            if sent is not None:
                done, sent = sent, None
                await self._db(lambda store: store.outbox.finish(done.id, "sent", self.clock.now()))

        try:
            while self.may_send():
                await self._await_turn(chat, limits, limiters, record_sent)
                done, sent = sent, None
                item = await self._db(partial(self._claim_next, chat=chat, sent=done))
                if item is None:
                    return
                if self.pacer is None:
                    await self._overall_turn(chat.platform)
                if not self.may_send():
                    # Paused past the lease between the claim and now: the new leader settles
                    # this claimed row as unknown; sending it now could race the new leader.
                    return
                outcome = await self._deliver(notifier, item, report)
                if outcome is _Outcome.SENT:
                    sent = item
                if outcome is _Outcome.STOP or not item.more:
                    return
        finally:
            await record_sent()

    def _claim_next(
        self, store: Store, chat: ChatRef, sent: OutboxItem | None
    ) -> OutboxItem | None:
        if sent is not None:
            store.outbox.finish(sent.id, "sent", self.clock.now())
        return store.outbox.claim_next(chat, self.clock.now())

    async def _await_turn(
        self,
        chat: ChatRef,
        limits: DeliveryLimits,
        limiters: list[AsyncLimiter],
        before_waiting: Callable[[], Awaitable[None]],
    ) -> None:
        """Wait until the chat's next send may go out: booked with the shared pacer, or by
        this process's own limiters. `before_waiting` runs first when there is a wait."""
        if self.pacer is not None:
            booked = await self._book(chat, limits)
            if booked[0] > time.monotonic() + NO_WAIT:
                await before_waiting()
            await self._until_booked(chat, limits, booked)
            return
        if self._paused_until.get(chat.platform, 0.0) > time.monotonic() or not all(
            limiter.has_capacity() for limiter in limiters
        ):
            await before_waiting()
        for limiter in limiters:
            await self._wait_out_pause(chat.platform)
            await limiter.acquire()
        await self._wait_out_pause(chat.platform)

    async def _overall_turn(self, platform: str) -> None:
        """The platform's overall rate, taken right before the request (after the claim):
        the claim's own time must not bunch two senders' requests together. A wait here
        is one interval of the overall rate at most, but for a 429 pause met meanwhile."""
        overall = self._overall.get(platform)
        if overall is not None:
            await overall.acquire()
            await self._wait_out_pause(platform)

    async def _undeliverable(self, chat: ChatRef, report: DrainReport) -> None:
        """Sends for a platform this bot does not serve (its token was removed): recorded as
        failed at once, with the reason, rather than tried five times to no avail."""
        reason = f"no channel for platform {chat.platform}"
        while True:
            item = await self._db(lambda store: store.outbox.claim_next(chat, self.clock.now()))
            if item is None:
                return
            log.warning("send to %s chat %s: %s", chat.platform, chat.chat_id, reason)
            await self._db(
                partial(_finish_failed, item_id=item.id, at=self.clock.now(), why=reason)
            )
            report.failed += 1
            SENDS.labels(chat.platform, "failed").inc()

    async def _deliver(self, notifier: Notifier, item: OutboxItem, report: DrainReport) -> _Outcome:
        """Send one row and record the outcome (but for a plain "sent": the caller records
        it, with the chat's next claim when it can)."""
        now = self.clock.now
        try:
            delivery = await notifier.send(item.message)
        except RateLimited as limited:
            self._pause(item.chat.platform, limited.retry_after)
            report.rate_limited += 1
            SENDS.labels(item.chat.platform, "rate_limited").inc()
            wait = timedelta(seconds=limited.retry_after)
            await self._db(
                lambda store: store.outbox.postpone(item.id, now() + wait, now(), "rate limited")
            )
            return _Outcome.STOP
        except DeliveryUncertain as uncertain:
            report.uncertain += 1
            SENDS.labels(item.chat.platform, "unknown").inc()
            log.warning("send to chat %s timed out; not resent", item.chat.chat_id)
            reason = str(uncertain)
            await self._db(lambda store: store.outbox.finish(item.id, "unknown", now(), reason))
            return _Outcome.NEXT
        except Exception as error:
            log.warning("send to chat %s failed: %s", item.chat.chat_id, error)
            reason = repr(error)
            if await self._db(lambda store: self._retry_later(store, item, reason)):
                report.postponed += 1
                SENDS.labels(item.chat.platform, "postponed").inc()
            else:
                report.failed += 1
                SENDS.labels(item.chat.platform, "failed").inc()
            return _Outcome.STOP
        if delivery.status is DeliveryStatus.CHAT_GONE:
            report.gone += 1
            SENDS.labels(item.chat.platform, "gone").inc()

            def gone(store: Store) -> None:
                store.outbox.finish(item.id, "gone", now())
                store.outbox.drop_chat(item.chat, "gone", now())
                store.chats.mark_gone(item.chat, "blocked or removed", now())

            await self._db(gone)
            return _Outcome.STOP
        report.sent += 1
        SENDS.labels(item.chat.platform, "sent").inc()
        if delivery.status is DeliveryStatus.MIGRATED and delivery.new_chat_id is not None:
            new_chat = ChatRef(item.chat.platform, delivery.new_chat_id)

            def migrated(store: Store) -> None:
                store.outbox.finish(item.id, "sent", now())
                store.chats.migrate(item.chat, new_chat, now())
                store.outbox.reroute(item.chat, new_chat, now())

            await self._db(migrated)
            return _Outcome.STOP  # the chat's remaining sends now wait under its new id
        return _Outcome.SENT

    def _retry_later(self, store: Store, item: OutboxItem, error: str) -> bool:
        """Postpone with exponential backoff; False once the attempts are used up."""
        attempts = item.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            store.outbox.finish(item.id, "failed", self.clock.now(), error)
            return False
        delay = self.first_retry * 2 ** (attempts - 1)
        store.outbox.postpone(item.id, self.clock.now() + delay, self.clock.now(), error)
        return True

    def _pause(self, platform: str, seconds: float) -> None:
        until = max(self._paused_until.get(platform, 0.0), time.monotonic() + seconds)
        self._paused_until[platform] = until
        self._pauses[platform] = self._pauses.get(platform, 0) + 1

    async def _book(self, chat: ChatRef, limits: DeliveryLimits) -> tuple[float, int]:
        """A moment booked with the shared pacer (monotonic time), and the platform's pause
        count when it was booked."""
        assert self.pacer is not None
        await self._wait_out_pause(chat.platform)
        pauses = self._pauses.get(chat.platform, 0)
        return time.monotonic() + await self.pacer.book(chat, limits), pauses

    async def _until_booked(
        self, chat: ChatRef, limits: DeliveryLimits, booked: tuple[float, int]
    ) -> None:
        due, pauses = booked
        while True:
            await asyncio.sleep(max(due - time.monotonic(), 0.0))
            if self._pauses.get(chat.platform, 0) == pauses:
                return
            # A 429 came while this send waited: its moment, booked before, is stale (every
            # sender would go at once after the pause). Book again.
            due, pauses = await self._book(chat, limits)

    async def _wait_out_pause(self, platform: str) -> None:
        while (remaining := self._paused_until.get(platform, 0.0) - time.monotonic()) > 0:
            await asyncio.sleep(remaining)

    async def _db(self, work: Callable[[Store], T]) -> T:
        return await self.database.run_async(work)
