"""Running a real `quizbot run` process to kill it, and reading what it recorded."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.storage.database import make_engine
from bot.storage.ledger import ENTRY
from bot.storage.schema import OUTBOX

REPO = Path(__file__).resolve().parents[2]


def bot_process(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_until(
    condition: Callable[[], bool],
    process: subprocess.Popen[bytes],
    seconds: float = 120,
    extra: Callable[[], object] | None = None,
) -> None:
    """Until `condition`; the process's stderr if it dies, `extra()` if time runs out."""
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "")
        assert time.monotonic() < deadline, f"no progress: {extra() if extra else ''}"
        time.sleep(0.01)


def recorded(url: str) -> list[tuple[str, str]]:
    """(chat, message) of every live ledger entry."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(ENTRY.c.source_chat_id, ENTRY.c.source_message_id).where(
                    ENTRY.c.void.is_(False)
                )
            ).all()
    finally:
        engine.dispose()
    return [(row[0], row[1]) for row in rows]


def outbox_states(url: str, *, except_chat: str | None = None) -> Counter[str]:
    """How many outbox rows are in each state (pending, sending, sent, unknown, ...);
    `except_chat`: leaving out one chat's (the admin's notices)."""
    engine = make_engine(url)
    query = sa.select(OUTBOX.c.state, sa.func.count()).group_by(OUTBOX.c.state)
    if except_chat is not None:
        query = query.where(OUTBOX.c.chat_id != except_chat)
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    finally:
        engine.dispose()
    return Counter({state: int(count) for state, count in rows})


def reminder_a_minute_ago(timezone: str = "Asia/Ho_Chi_Minh") -> str:
    """A weekly-reminder schedule whose last slot was a minute ago: a starting leader's
    catch-up runs it at once (a reminder is still useful on its own day)."""
    slot = datetime.now(UTC).astimezone(ZoneInfo(timezone)) - timedelta(minutes=1)
    return f"{slot.minute} {slot.hour} * * *"
