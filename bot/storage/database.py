"""Engines and the unit of work: one session, one commit, per update or job."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.cluster.ports import LeaseFence
from bot.storage.repositories import SqlStore

T = TypeVar("T")
log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Below the idle time-outs of the usual proxies and firewalls (PgBouncer, cloud NATs).
POOL_RECYCLE_SECONDS = 300


def make_engine(url: str, **options: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No ping before each checkout (a round trip per transaction): connections are
        # renewed after POOL_RECYCLE_SECONDS, and a unit of work that meets a connection
        # the server dropped meanwhile runs once more on a fresh one (Database.run).
        options.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
        engine = sa.create_engine(url, **options)
        if engine.dialect.name == "postgresql":
            sa.event.listen(engine, "connect", _end_stuck_transactions)
        return engine

    database = parsed.database or ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **options,
    )

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Turn off the driver's own transaction handling so that "begin" below is the only BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # With WAL, NORMAL loses no committed data on an application crash (only on power loss).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # Take the write lock at the start: a read-then-write transaction can then never
        # fail half-way with SQLITE_BUSY when another writer got in between.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# A transaction here never waits on anything but the database: one left open this long
# belongs to a process that was stopped or hung (SIGSTOP, a frozen VM). PostgreSQL then ends
# its session, which releases its locks: a takeover of the leader's lease is never blocked by
# a paused leader's fenced write (see bot.storage.coordination).
STUCK_TRANSACTION_SECONDS = 10


def _end_stuck_transactions(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET idle_in_transaction_session_timeout = '{STUCK_TRANSACTION_SECONDS}s'")
    cursor.close()
    dbapi_connection.commit()


class Database:
    """Runs a piece of work in one transaction: commit on success, roll back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has a single writer. Threads of this process queue here rather than in
        # SQLite's busy handler, which waits by sleeping and polling; other processes
        # (a CLI command, say) still meet busy_timeout.
        self._writer: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    @property
    def in_process(self) -> bool:
        """True for SQLite: no network between the bot and its data."""
        return self.engine.dialect.name == "sqlite"

    def run(
        self, work: Callable[[SqlStore], T], fence: Callable[[], LeaseFence] | None = None
    ) -> T:
        """`fence`: a leader's unit of work (see `fenced`)."""
        # A unique-constraint violation means a concurrent delivery of the same message won
        # the race; running the work again sees its row and answers as a repeat.
        # A connection the server dropped while it sat in the pool (a restart, an idle
        # time-out) fails the work's first statement, and the work runs once more on a
        # fresh connection. Repeating is safe even if the drop came at the commit: stored
        # updates, reports and sends are keyed by what they came from.
        attempts = 2
        for attempt in range(1, attempts + 1):
            try:
                with self._writer, self.engine.begin() as connection:
                    return work(SqlStore(connection, fence() if fence else None))
            except IntegrityError:
                if attempt == attempts:
                    raise
                log.info("unique constraint hit; running the unit of work again")
            except DBAPIError as error:
                if not error.connection_invalidated or attempt == attempts:
                    raise
                log.info("the database connection was dropped; running the unit of work again")
        raise AssertionError("unreachable")

    async def run_async(
        self, work: Callable[[SqlStore], T], fence: Callable[[], LeaseFence] | None = None
    ) -> T:
        """`run` from the event loop: inline for SQLite (in-process, CPU-bound work where a
        thread only adds GIL hand-offs), in a worker thread for a database server."""
        if self.in_process:
            return self.run(work, fence)
        return await asyncio.to_thread(self.run, work, fence)

    def fenced(self, fence: Callable[[], LeaseFence]) -> FencedDatabase:
        return FencedDatabase(self, fence)

    def dispose(self) -> None:
        self.engine.dispose()


class FencedDatabase:
    """The database as a leader writes to it: each unit of work asks `fence` for the lease
    it writes under (LeaseLost when this worker no longer leads), and its writes are fenced
    by that lease (bot.storage.fencing)."""

    def __init__(self, database: Database, fence: Callable[[], LeaseFence]) -> None:
        self.database = database
        self.fence = fence

    @property
    def in_process(self) -> bool:
        return self.database.in_process

    def run(self, work: Callable[[SqlStore], T]) -> T:
        return self.database.run(work, self.fence)

    async def run_async(self, work: Callable[[SqlStore], T]) -> T:
        return await self.database.run_async(work, self.fence)
