"""The job ledger: each (job, period) run once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.ports import JobRun
from bot.storage.schema import OUTBOX, table_of
from bot.storage.tables import (
    JobRunRow,
)

JOB_RUN = table_of(JobRunRow)


def _job_run(row: Row[Any]) -> JobRun:
    return JobRun(row.id, row.job, row.period, row.slot, row.state, row.messages, row.finished_at)


class SqlJobRuns:
    """The job ledger. A period is claimed once; a claim that never got planned (a crash
    between claiming and queueing) can be taken over once it is stale."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def claim(
        self, job: str, period: str, slot: datetime, at: datetime, stale_after: timedelta
    ) -> tuple[JobRun, bool]:
        """The run of (job, period) and whether the caller must plan it now."""
        key = sa.and_(JOB_RUN.c.job == job, JOB_RUN.c.period == period)
        row = self.connection.execute(sa.select(JOB_RUN).where(key)).first()
        if row is None:
            self.connection.execute(
                sa.insert(JOB_RUN).values(
                    job=job, period=period, slot=slot, state="planning", claimed_at=at, messages=0
                )
            )
            return _job_run(self.connection.execute(sa.select(JOB_RUN).where(key)).one()), True
        if row.state == "planning" and row.claimed_at <= at - stale_after:
            taken = self.connection.execute(
                sa.update(JOB_RUN)
                .where(JOB_RUN.c.id == row.id, JOB_RUN.c.claimed_at == row.claimed_at)
                .values(claimed_at=at)
            )
            return _job_run(row), taken.rowcount == 1
        return _job_run(row), False

    def planned(
        self, run_id: int, messages: int, at: datetime, claimed_at: datetime | None = None
    ) -> bool:
        """planning -> planned; with `claimed_at`, only if the claim made then is still the
        current one (False: another process took the claim over, and plans it itself)."""
        query = sa.update(JOB_RUN).where(JOB_RUN.c.id == run_id)
        if claimed_at is not None:
            query = query.where(JOB_RUN.c.state == "planning", JOB_RUN.c.claimed_at == claimed_at)
        result = self.connection.execute(
            query.values(state="planned", planned_at=at, messages=messages)
        )
        return result.rowcount == 1

    def finish_completed(self, at: datetime) -> int:
        """Planned runs with nothing left pending in the outbox become done."""
        pending = sa.exists().where(OUTBOX.c.run_id == JOB_RUN.c.id, OUTBOX.c.state == "pending")
        result = self.connection.execute(
            sa.update(JOB_RUN)
            .where(JOB_RUN.c.state == "planned", ~pending)
            .values(state="done", finished_at=at)
        )
        return result.rowcount

    def stale_planning(self, claimed_before: datetime) -> list[JobRun]:
        """Claims that were never planned: their process died between claiming and queueing."""
        query = sa.select(JOB_RUN).where(
            JOB_RUN.c.state == "planning", JOB_RUN.c.claimed_at <= claimed_before
        )
        return [_job_run(row) for row in self.connection.execute(query)]

    def has_run(self, job: str, period: str) -> bool:
        row = self.connection.execute(
            sa.select(JOB_RUN.c.state).where(JOB_RUN.c.job == job, JOB_RUN.c.period == period)
        ).first()
        return row is not None and row.state in ("planned", "done")

    def latest(self) -> dict[str, JobRun]:
        runs: dict[str, JobRun] = {}
        for row in self.connection.execute(sa.select(JOB_RUN).order_by(JOB_RUN.c.slot)):
            runs[row.job] = _job_run(row)
        return runs

    def previous(self, job: str, before: datetime) -> JobRun | None:
        row = self.connection.execute(
            sa.select(JOB_RUN)
            .where(JOB_RUN.c.job == job, JOB_RUN.c.slot < before)
            .order_by(JOB_RUN.c.slot.desc())
            .limit(1)
        ).first()
        return _job_run(row) if row is not None else None
