"""Webhook deliveries that were no update, with their reason (bot/inbox/rejected.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.storage.tables import RejectedUpdateRow

REJECTED = RejectedUpdateRow.__table__  # type: ignore[attr-defined]
EXCERPT = 500


class SqlRejectedUpdates:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def record(self, platform: str, reason: str, body: bytes, at: datetime) -> None:
        excerpt = body[:EXCERPT].decode("utf-8", errors="replace")[:EXCERPT]
        self.connection.execute(
            sa.insert(REJECTED).values(
                platform=platform, reason=reason[:40], excerpt=excerpt, received_at=at
            )
        )
