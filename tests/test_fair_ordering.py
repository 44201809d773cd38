"""A slow chat delays only itself ([durability] 4): updates wait for their own chat's earlier
updates without holding the slots other chats need, and each chat keeps its order (the
inbox's sequencer for one process, bot.inbox.local)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from bot.clock import SystemClock
from bot.inbox.handling import Finish, Handling
from bot.inbox.local import LocalSequencer
from bot.inbox.marks import Marks
from bot.inbox.ports import ReceivedUpdate
from bot.storage.database import Database
from bot.storage.received import RECEIVED

# Seconds each update of the slow chat takes.
SLOW = 0.6


def update(update_id: int, chat_id: int) -> ReceivedUpdate:
    return ReceivedUpdate(str(update_id), update_id, str(chat_id), "{}")


def sequencer(
    database: Database, slots: int, work: Callable[[ReceivedUpdate], Awaitable[None]]
) -> LocalSequencer:
    async def handle(stored: ReceivedUpdate, finish: Finish) -> Handling:
        await work(stored)
        return Handling("telegram", stored.key, finish)

    marks = Marks(database, "telegram", SystemClock())
    return LocalSequencer(database, "telegram", handle, marks, slots)


async def test_a_slow_chat_holds_one_slot_and_others_go_ahead(sqlite_database):
    handled: list[tuple[str, int, float]] = []
    started = time.monotonic()

    async def work(stored: ReceivedUpdate) -> None:
        await asyncio.sleep(SLOW if stored.chat_id == "1" else 0)
        handled.append((stored.chat_id or "", int(stored.key), time.monotonic() - started))

    chats = sequencer(sqlite_database, 2, work)
    await chats.accept([update(n, 1) for n in range(12)])
    await asyncio.sleep(0.05)
    await chats.accept([update(100, 2)])
    deadline = time.monotonic() + 5
    while not any(chat == "2" for chat, _, _ in handled) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    quick_done = next(at for chat, _, at in handled if chat == "2")
    # The other chat did not wait even for the slow one's first update (the margin is for
    # the SQLite writes and a busy machine).
    assert quick_done < SLOW - 0.05
    await chats.idle()
    assert [number for chat, number, _ in handled if chat == "1"] == list(range(12))
    assert chats._chats == {}  # nothing kept once a chat's updates are done


async def test_an_update_no_use_case_finished_is_marked_handled_after_its_handler(
    sqlite_database,
):
    def handled_at() -> object:
        return sqlite_database.run(
            lambda store: store.connection.execute(
                sa.select(RECEIVED.c.handled_at).where(RECEIVED.c.update_key == "7")
            ).scalar_one()
        )

    async def work(_stored: ReceivedUpdate) -> None:
        await asyncio.sleep(0.01)
        assert handled_at() is None  # not before the handler is done

    chats = sequencer(sqlite_database, 4, work)
    assert await chats.accept([update(7, 1)]) == {"7"}
    assert await chats.accept([update(7, 1)]) == set()  # a repeat is dropped
    await chats.idle()
    await chats.marks.flush()
    assert handled_at() is not None
