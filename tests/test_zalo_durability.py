"""Zalo forgets an update once getUpdates has handed it out: a real `quizbot run` process on
Zalo is killed with SIGKILL twice while working through a backlog (its answers slowed down, so
updates are read and stored but not yet handled when it dies), and after the last restart
every update that was read is recorded exactly once.

The kill comes once the bot has stored every update handed out so far: an update that Zalo
has answered with and the bot has not yet written (a millisecond's window inside one poll)
cannot be saved by any client, as getUpdates has no offset; the webhook has no such window
(Zalo gets its 200 only after the update is stored)."""

from __future__ import annotations

import random
import time

import sqlalchemy as sa

from bot.bootstrap import initialise
from bot.storage.database import make_engine
from bot.storage.received import RECEIVED
from tests.support.crashes import REPO, bot_process, recorded, wait_until
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.secretaries import approve_secretaries
from tests.support.zalo import ZALO_TOKEN, zalo_settings

SECRETARIES = 10
REPORTS = 80
FIRST_USER = 30_000


def stored(url: str) -> tuple[int, int]:
    """Updates in the durable inbox, and how many of them are not done yet: not handled, or
    handled with an answer not yet sent."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(RECEIVED.c.handled_at, RECEIVED.c.reply, RECEIVED.c.replied_at)
            ).all()
    finally:
        engine.dispose()
    undone = sum(
        1 for handled, reply, replied in rows if handled is None or (reply and not replied)
    )
    return len(rows), undone


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
        zalo.send_delay = 0.05
        unhandled: list[int] = []
        points = sorted(random.sample(range(5, REPORTS - 10), 2))
        print(f"killing after {points} updates were read")  # shown with -s, to replay one
        for point in points:
            process = bot_process(env)
            wait_until(lambda point=point: len(zalo.served) >= point, process)
            zalo.hold_updates = True
            wait_until(
                lambda: stored(settings.database_url)[0] >= len(zalo.served),
                process,
                extra=lambda: (stored(settings.database_url), len(zalo.served)),
            )
            unhandled.append(stored(settings.database_url)[1])
            process.kill()  # answers are slow: stored updates are still being handled
            process.wait(timeout=30)
            # The dead process's last long poll is still open at the fake: let it end empty,
            # or it would hand an update to a closed connection (as Zalo itself would).
            time.sleep(zalo.max_poll_seconds + 0.3)
            zalo.hold_updates = False
        process = bot_process(env)
        try:
            wait_until(
                lambda: len(recorded(settings.database_url)) >= REPORTS,
                process,
                extra=lambda: (
                    len(zalo.served),
                    len(recorded(settings.database_url)),
                    zalo.pending(),
                ),
            )
            time.sleep(0.5)  # anything still arriving would be a second count
        finally:
            process.terminate()
            process.wait(timeout=30)
        assert len(zalo.served) == REPORTS  # Zalo handed each out once, and forgot it
        entries = recorded(settings.database_url)
        assert len(entries) == len(set(entries)) == REPORTS
        # The kills did leave updates stored and not done (not handled, or their answer not
        # sent): the restart finished them.
        assert sum(unhandled) > 0, unhandled
        assert stored(settings.database_url) == (REPORTS, 0)
