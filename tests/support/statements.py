"""What a piece of work costs the database: the statements and transactions an engine runs,
heard through SQLAlchemy's events (a count is deterministic, so a test may hold it)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass
class StatementLog:
    """Every statement and commit on `engine` while it is open, in order."""

    engine: Engine
    lines: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Self:
        sa.event.listen(self.engine, "before_cursor_execute", self._statement)
        sa.event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._statement)
        sa.event.remove(self.engine, "commit", self._commit)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        with self._lock:
            self.lines.append(" ".join(statement.split())[:160])

    def _commit(self, _conn: Any) -> None:
        with self._lock:
            self.lines.append("COMMIT")

    def take(self) -> list[str]:
        """What ran since the last take."""
        with self._lock:
            taken, self.lines[:] = list(self.lines), []
        return taken

    @staticmethod
    def statements(lines: list[str]) -> int:
        return sum(1 for line in lines if line != "COMMIT")

    @staticmethod
    def transactions(lines: list[str]) -> int:
        return lines.count("COMMIT")
