"""Held reports: a report the bot asked about (which week, added or in all) until answered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model.entities import (
    ChatRef,
    MessageRef,
    PendingReport,
    PendingState,
    Person,
    Reading,
    ReportMode,
)
from bot.storage.schema import new_id, table_of
from bot.storage.tables import PendingReportRow

PENDING = table_of(PendingReportRow)


def _pending(row: Row[Any]) -> PendingReport:
    return PendingReport(
        id=row.id,
        source=MessageRef(row.source_platform, row.source_chat_id, row.source_message_id),
        reporter=Person(row.reporter_platform, row.reporter_user_id, row.reporter_name),
        unit_code=row.unit_code,
        week_start=row.week_start,
        mode=ReportMode(row.mode),
        amount=row.amount,
        sent_at=row.sent_at,
        edited_at=row.edited_at,
        state=PendingState(row.state),
        other=(
            Reading(ReportMode(row.other_mode), row.other_amount)
            if row.other_mode is not None and row.other_amount is not None
            else None
        ),
    )


class SqlPendingReports:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def hold(
        self,
        *,
        source: MessageRef,
        reporter: Person,
        unit_code: str,
        week_start: date,
        mode: ReportMode,
        amount: int,
        sent_at: datetime,
        edited_at: datetime | None,
        at: datetime,
        other: Reading | None = None,
    ) -> PendingReport:
        result = self.connection.execute(
            sa.insert(PENDING).values(
                source_platform=source.platform,
                source_chat_id=source.chat_id,
                source_message_id=source.message_id,
                reporter_platform=reporter.platform,
                reporter_user_id=reporter.user_id,
                reporter_name=reporter.display_name,
                unit_code=unit_code,
                week_start=week_start,
                mode=mode.value,
                amount=amount,
                sent_at=sent_at,
                edited_at=edited_at,
                state=PendingState.WAITING.value,
                created_at=at,
                other_mode=other.mode.value if other else None,
                other_amount=other.amount if other else None,
            )
        )
        pending_id = new_id(result)
        return PendingReport(
            pending_id,
            source,
            reporter,
            unit_code,
            week_start,
            mode,
            amount,
            sent_at,
            edited_at,
            PendingState.WAITING,
            other,
        )

    def get(self, pending_id: int) -> PendingReport | None:
        row = self.connection.execute(sa.select(PENDING).where(PENDING.c.id == pending_id)).first()
        return _pending(row) if row else None

    def for_source(self, source: MessageRef) -> PendingReport | None:
        row = self.connection.execute(
            sa.select(PENDING)
            .where(
                PENDING.c.source_platform == source.platform,
                PENDING.c.source_chat_id == source.chat_id,
                PENDING.c.source_message_id == source.message_id,
            )
            .order_by(PENDING.c.id.desc())
            .limit(1)
        ).first()
        return _pending(row) if row else None

    def waiting(self, reporter: Person, chat: ChatRef) -> PendingReport | None:
        row = self.connection.execute(
            sa.select(PENDING)
            .where(
                PENDING.c.reporter_platform == reporter.platform,
                PENDING.c.reporter_user_id == reporter.user_id,
                PENDING.c.state == PendingState.WAITING.value,
                PENDING.c.source_platform == chat.platform,
                PENDING.c.source_chat_id == chat.chat_id,
            )
            .order_by(PENDING.c.id.desc())
            .limit(1)
        ).first()
        return _pending(row) if row else None

    def resolve(self, pending_id: int, state: PendingState, at: datetime) -> bool:
        result = self.connection.execute(
            sa.update(PENDING)
            .where(PENDING.c.id == pending_id, PENDING.c.state == PendingState.WAITING.value)
            .values(state=state.value, resolved_at=at)
        )
        return result.rowcount == 1
