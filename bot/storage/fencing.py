"""A leader's writes, fenced by its lease (see bot.cluster.leadership).

A unit of work opened for the leader carries a `LeaseFence`. Every write of the outbox
(queueing a send, claiming it, marking it, postponing it, settling what a crash left in
flight, a chat gone or moved) carries it in its own statement: `WHERE EXISTS` on the lease
row with that token, unexpired (on PostgreSQL `FOR SHARE`, so a takeover waits for the
transaction to end); when nothing is written, the lease is checked and LeaseLost raised if it
is gone. Any other write of the unit of work (the job ledger, a chat marked gone) is
preceded, once, by the lease check as a query of its own. Reads are not fenced: a deposed
leader may read, it cannot write.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.cluster.ports import LeaseFence
from bot.storage.coordination import LEASE, SqlLeases

# Marks a statement that carries the fence itself (`Fencing.condition`).
FENCED = "quizbot_fenced"


class Fencing:
    def __init__(self, connection: Connection, fence: LeaseFence) -> None:
        self.connection = connection
        self.fence = fence
        # Once a write passed the fence, its lock holds the lease until commit.
        self.proven = False
        sa.event.listen(connection, "before_execute", self._before_execute)

    def condition(self) -> sa.ColumnElement[bool]:
        lease = sa.select(LEASE.c.name).where(
            LEASE.c.name == self.fence.name,
            LEASE.c.token == self.fence.token,
            LEASE.c.expires_at >= self.fence.at,
        )
        if self.connection.dialect.name == "postgresql":
            lease = lease.with_for_update(read=True)
        return sa.exists(lease)

    def confirm(self, written: int) -> None:
        """After a fenced write: nothing written because the lease is gone raises LeaseLost."""
        if written:
            self.proven = True
        elif not self.proven:
            self.check()

    def check(self) -> None:
        SqlLeases(self.connection).fence(self.fence.name, self.fence.token, self.fence.at)
        self.proven = True

    def _before_execute(
        self,
        _connection: Connection,
        statement: Any,
        _multiparams: Any,
        _params: Any,
        _options: Any,
    ) -> None:
        if self.proven or not getattr(statement, "is_dml", False):
            return
        if statement.get_execution_options().get(FENCED):
            return
        self.check()
