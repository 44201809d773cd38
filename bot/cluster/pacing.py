"""A platform's send limits kept by every worker together, in the database.

Each send books its moment in `send_slot` (`store.send_slots`, bot.storage.coordination) and waits
for it: the whole bot's rate, one message a second per chat (short bursts allowed) and the
per-group minute limit then hold across workers, for fan-outs and replies alike. One small
transaction per message: at Telegram's 30 a second, well within what PostgreSQL takes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cluster.ports import ClusterDatabase
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import DeliveryLimits


class DatabasePacer:
    def __init__(self, database: ClusterDatabase) -> None:
        self.database = database

    async def book(self, chat: ChatRef, limits: DeliveryLimits) -> float:
        # Real time: pacing is about the platform's clock, not the bot's simulated one.
        now = datetime.now(UTC)
        due = await self.database.run_async(
            lambda store: store.send_slots.reserve(chat.platform, chat.chat_id, limits, now)
        )
        return max((due - datetime.now(UTC)).total_seconds(), 0.0)
