"""Shared set-up for the benchmarks: a synthetic ledger written straight into the database."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.domain.model.weeks import Week
from bot.storage.database import Database
from bot.storage.ledger import ENTRY

ENTRIES_PER_WEEK = 3


def amount(unit_index: int, entry: int, week_index: int) -> int:
    return 1 + (unit_index * 7 + entry * 13 + week_index) % 90


def fill_ledger(database: Database, first_week: Week, weeks: int) -> int:
    """For every active unit and week: three live entries and one voided; returns the rows."""
    codes = database.run(lambda store: [unit.code for unit in store.units.active()])
    campaign_id = database.run(lambda store: store.campaigns.active().id)
    recorded = datetime(2024, 1, 1, tzinfo=UTC)
    with database.engine.begin() as connection:
        for week_index in range(weeks):
            week = first_week.shifted(week_index)
            connection.execute(
                sa.insert(ENTRY),
                [
                    {
                        "campaign_id": campaign_id,
                        "unit_code": code,
                        "week_start": week.start,
                        # Additions only: each entry's effect in the fold is what it adds.
                        "delta": amount(index, n, week_index),
                        "mode": "add",
                        "requested": amount(index, n, week_index),
                        "reporter_platform": "telegram",
                        "reporter_user_id": "1",
                        "reporter_name": "",
                        "source_platform": "telegram",
                        "source_chat_id": code,
                        "source_message_id": f"{week_index}-{n}",
                        "sent_at": recorded,
                        "recorded_at": recorded,
                        "void": n == ENTRIES_PER_WEEK,
                    }
                    for index, code in enumerate(codes)
                    for n in range(ENTRIES_PER_WEEK + 1)
                ],
            )
    return len(codes) * weeks * (ENTRIES_PER_WEEK + 1)
