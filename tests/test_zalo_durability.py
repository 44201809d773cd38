"""Zalo forgets an update once getUpdates has handed it out: a real `quizbot run` process on
Zalo is killed with SIGKILL twice while working through a backlog, and after the last restart
every update that was read is recorded exactly once."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from bot.app import initialise
from bot.storage.database import make_engine
from bot.storage.repositories import ENTRY
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.secretaries import approve_secretaries
from tests.support.zalo import ZALO_TOKEN, zalo_settings

REPO = Path(__file__).resolve().parents[1]
SECRETARIES = 10
REPORTS = 80
FIRST_USER = 30_000


def recorded(url: str) -> list[tuple[str, str]]:
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


def wait_until(condition, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "")
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.01)


def test_kill_9_while_polling_zalo_loses_nothing_that_was_read(tmp_path):
    with FakeZaloApi(ZALO_TOKEN) as zalo:
        settings = zalo_settings(zalo, tmp_path, UNITS_FILE=str(REPO / "data" / "units.csv"))
        initialise(settings)
        approve_secretaries(settings.database_url, SECRETARIES, FIRST_USER, platform="zalo")
        for index in range(REPORTS):
            zalo.say(str(FIRST_USER + index % SECRETARIES), f"thêm {1 + index % 9} lượt")
        env = {
            "PATH": "/usr/bin:/bin",
            "ZALO_BOT_TOKEN": ZALO_TOKEN,
            "ZALO_API_BASE_URL": zalo.base_url,
            "DATABASE_URL": settings.database_url,
            "UNITS_FILE": str(settings.units_file),
            "CAMPAIGN_START": "2024-09-02",
            "LOG_LEVEL": "WARNING",
        }
        points = sorted(random.sample(range(5, REPORTS - 10), 2))
        print(f"killing after {points} updates were read")  # shown with -s, to replay one
        for point in points:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            wait_until(lambda point=point: len(zalo.served) >= point, process)
            process.kill()  # right after reading: some read updates are not handled yet
            process.wait(timeout=30)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_until(lambda: len(recorded(settings.database_url)) >= REPORTS, process)
            time.sleep(0.5)  # anything still arriving would be a second count
        finally:
            process.terminate()
            process.wait(timeout=30)
        assert len(zalo.served) == REPORTS  # Zalo handed each out once, and forgot it
        entries = recorded(settings.database_url)
        assert len(entries) == len(set(entries)) == REPORTS
