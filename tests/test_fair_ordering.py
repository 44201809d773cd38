"""A slow chat delays only itself ([durability] 4): updates wait for their own chat's earlier
updates without holding the slots other chats need, and each chat keeps its order."""

from __future__ import annotations

import asyncio
import time

from telegram import Update

from bot.channels.telegram.ordering import PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private", "first_name": "A"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
                "text": "45",
            },
        },
        None,
    )


async def test_a_slow_chat_holds_one_slot_and_others_go_ahead():
    processor = PerChatUpdateProcessor(2)
    handled: list[tuple[int, int, float]] = []
    started = time.monotonic()

    async def handle(chat_id: int, number: int, seconds: float) -> None:
        await asyncio.sleep(seconds)
        handled.append((chat_id, number, time.monotonic() - started))

    slow = [processor.process_update(update(n, 1), handle(1, n, 0.3)) for n in range(12)]
    tasks = [asyncio.create_task(coroutine) for coroutine in slow]
    await asyncio.sleep(0.05)
    quick = asyncio.create_task(processor.process_update(update(100, 2), handle(2, 100, 0)))
    await quick
    quick_done = next(at for chat, _, at in handled if chat == 2)
    assert quick_done < 0.25  # the other chat did not wait behind the slow one's queue
    await asyncio.gather(*tasks)
    assert [number for chat, number, _ in handled if chat == 1] == list(range(12))


async def test_a_handled_update_is_reported_after_its_handler():
    seen: list[int] = []

    async def on_handled(done: object) -> None:
        assert isinstance(done, Update)
        seen.append(done.update_id)

    processor = PerChatUpdateProcessor(4, on_handled=on_handled)

    async def handle() -> None:
        await asyncio.sleep(0.01)
        assert seen == []  # not before the handler is done

    await processor.process_update(update(7, 1), handle())
    assert seen == [7]
