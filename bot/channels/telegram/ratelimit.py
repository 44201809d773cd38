"""Replies paced with every other worker's sends (python-telegram-bot's rate-limiter hook).

Each request that sends a message to a chat first waits for its booked moment from the
shared pacer; python-telegram-bot's own AIORateLimiter then makes the request and honours a
429 (waits it out and retries), as it does for a single worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import DeliveryLimits
from bot.inbox.handling import current
from jobs.ports import Pacer

PLATFORM = "telegram"
# What a Bot API call answers (python-telegram-bot's own alias is private).
JSONDict = dict[str, Any]
# Requests that put a new message in a chat (edits and button answers do not).
SENDING = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendSticker",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendLocation",
        "sendContact",
        "copyMessage",
        "forwardMessage",
    }
)


class SharedRateLimiter(BaseRateLimiter[int]):
    def __init__(self, pacer: Pacer, limits: DeliveryLimits, max_retries: int) -> None:
        self.pacer = pacer
        self.limits = limits
        # Only the retries of 429s: the pacer keeps the limits ahead of time.
        self.retrying = AIORateLimiter(
            overall_max_rate=0, group_max_rate=0, max_retries=max_retries
        )

    async def initialize(self) -> None:
        await self.retrying.initialize()

    async def shutdown(self) -> None:
        await self.retrying.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = data.get("chat_id")
        if chat_id is not None and endpoint in SENDING:
            await asyncio.sleep(await self._wait(str(chat_id)))
        return await self.retrying.process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )

    async def _wait(self, chat_id: str) -> float:
        """Seconds until this send's moment: booked with the reply's update when it was
        handled (bot.inbox.handling), else booked now."""
        handling = current().get()
        booked = handling.take_booking(chat_id) if handling is not None else None
        if booked is not None:
            return max((booked - datetime.now(UTC)).total_seconds(), 0.0)
        return await self.pacer.book(ChatRef(PLATFORM, chat_id), self.limits)
