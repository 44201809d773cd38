"""Monthly reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model.entities import (
    MessageRef,
    Person,
    Submission,
)
from bot.storage.schema import new_id, table_of
from bot.storage.tables import (
    MonthlySubmissionRow,
)

SUBMISSION = table_of(MonthlySubmissionRow)


def _submission(row: Row[Any]) -> Submission:
    return Submission(
        id=row.id,
        unit_code=row.unit_code,
        month=row.month,
        text=row.text,
        file_id=row.file_id,
        file_name=row.file_name,
        submitter=Person(row.submitter_platform, row.submitter_user_id, row.submitter_name),
        submitted_at=row.submitted_at,
    )


class SqlSubmissions:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _live(self, campaign_id: int, month: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            SUBMISSION.c.campaign_id == campaign_id,
            SUBMISSION.c.month == month,
            SUBMISSION.c.replaced.is_(False),
        )

    def current(self, campaign_id: int, unit_code: str, month: str) -> Submission | None:
        row = self.connection.execute(
            sa.select(SUBMISSION).where(
                self._live(campaign_id, month), SUBMISSION.c.unit_code == unit_code
            )
        ).first()
        return _submission(row) if row else None

    def save(
        self,
        *,
        campaign_id: int,
        unit_code: str,
        month: str,
        text: str,
        file_id: str | None,
        file_name: str | None,
        submitter: Person,
        source: MessageRef,
        at: datetime,
    ) -> Submission:
        self.connection.execute(
            sa.update(SUBMISSION)
            .where(self._live(campaign_id, month), SUBMISSION.c.unit_code == unit_code)
            .values(replaced=True)
        )
        result = self.connection.execute(
            sa.insert(SUBMISSION).values(
                campaign_id=campaign_id,
                unit_code=unit_code,
                month=month,
                text=text,
                file_id=file_id,
                file_name=file_name,
                submitter_platform=submitter.platform,
                submitter_user_id=submitter.user_id,
                submitter_name=submitter.display_name,
                source_chat_id=source.chat_id,
                source_message_id=source.message_id,
                submitted_at=at,
                replaced=False,
            )
        )
        return Submission(
            new_id(result),
            unit_code,
            month,
            text,
            file_id,
            file_name,
            submitter,
            at,
        )

    def for_month(self, campaign_id: int, month: str) -> list[Submission]:
        query = sa.select(SUBMISSION).where(self._live(campaign_id, month))
        return [_submission(row) for row in self.connection.execute(query)]
