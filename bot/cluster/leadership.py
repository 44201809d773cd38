"""One leader among a bot's workers: the one that runs the scheduler and the outbox.

Every worker tries to take the "leader" lease (bot.storage.coordination) every third of its
length; the holder renews it as often. The leader's writes to the outbox and the job ledger
are fenced by the lease's token (`check`), and before each send the leader also asks its own
monotonic clock whether the lease can still be its own (`held`): a worker stopped past its
lease (SIGSTOP, a long pause) and then woken sends nothing more, even before it has asked
the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from bot.cluster.ports import ClusterDatabase, LeaseFence, LeaseHolder
from bot.domain.ports import LeaseLost, UnitOfWork
from bot.metrics import IS_LEADER, LEASE_CHANGES

log = logging.getLogger(__name__)

LEADER = "leader"
# Takeover comes within LEASE + LEASE / 3 of a leader's death: 20 s.
LEASE_SECONDS = 15.0

OnChange = Callable[[], Awaitable[None]]


def worker_name() -> str:
    """Unique per process, readable in /healthz: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def gone_from_this_host(holders: Iterable[str]) -> list[str]:
    """The workers named (`worker_name`) that ran on this host and whose process is gone: a
    bot restarted after a kill -9 need not wait for their turns to lapse. A worker on
    another host, or a pid in use again, is left to its expiry."""
    host = socket.gethostname()
    gone = []
    for holder in holders:
        name, _, rest = holder.partition(":")
        pid = rest.partition(":")[0]
        if name != host or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            gone.append(holder)
        except PermissionError:
            pass  # alive, another user's
    return gone


def _wall() -> datetime:
    # Leases are judged in real time, whatever time the bot's own clock shows.
    return datetime.now(UTC)


class Leadership:
    def __init__(
        self, database: ClusterDatabase, holder: str, lease_seconds: float = LEASE_SECONDS
    ) -> None:
        self.database = database
        self.holder = holder
        self.lease = timedelta(seconds=lease_seconds)
        self.token: int | None = None
        self._valid_until = 0.0

    def held(self) -> bool:
        """Whether the lease can still be ours, by this process's clock alone."""
        return self.token is not None and time.monotonic() < self._valid_until

    def fence(self) -> LeaseFence:
        """The lease this worker writes under as the leader; LeaseLost if it has none."""
        token = self.token
        if token is None or not self.held():
            raise LeaseLost(f"{self.holder} does not hold the lease")
        return LeaseFence(LEADER, token, _wall())

    def fenced_database(self) -> UnitOfWork:
        """The database for the leader's work: every write fenced by the lease."""
        return self.database.fenced(self.fence)

    async def current(self) -> LeaseHolder | None:
        return await self.database.run_async(lambda store: store.leases.current(LEADER))

    async def run(self, elected: OnChange, deposed: OnChange, stop: asyncio.Event) -> None:
        """Take, keep and give back the lease until `stop`; call `elected` when this worker
        becomes the leader and `deposed` when it stops being one."""
        every = self.lease.total_seconds() / 3
        try:
            while not stop.is_set():
                await self._round(elected, deposed)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), every)
        finally:
            await self._give_up(deposed)

    async def _round(self, elected: OnChange, deposed: OnChange) -> None:
        started = time.monotonic()
        now = _wall()
        leading = self.token
        try:
            if leading is None:
                token = await self.database.run_async(
                    lambda store: store.leases.acquire(LEADER, self.holder, self.lease, now)
                )
            else:
                renewed = await self.database.run_async(
                    lambda store: store.leases.renew(LEADER, self.holder, leading, self.lease, now)
                )
                token = leading if renewed else None
        except Exception:
            log.exception("the leader's lease could not be taken or renewed")
            if self.held():
                return  # the database may be back before the lease runs out
            token = None
        if token is not None:
            self._valid_until = started + self.lease.total_seconds()
        if leading is None and token is not None:
            self.token = token
            log.info("%s leads now (token %d)", self.holder, token)
            try:
                await self._changed("elected", elected)
            except Exception:
                log.exception("could not start leading; giving the lease up")
                await self._give_up(deposed)
        elif leading is not None and token is None:
            log.warning("%s lost the lease (token %d)", self.holder, leading)
            self.token = None
            await self._changed("deposed", deposed)

    async def _give_up(self, deposed: OnChange) -> None:
        token, self.token = self.token, None
        if token is None:
            return
        await self._changed("deposed", deposed)
        with contextlib.suppress(Exception):
            await self.database.run_async(
                lambda store: store.leases.release(LEADER, self.holder, token, _wall())
            )

    async def _changed(self, change: str, call: OnChange) -> None:
        LEASE_CHANGES.labels(change).inc()
        IS_LEADER.set(1 if change == "elected" else 0)
        await call()
