"""A crash loses nothing ([durability] 1): a real `quizbot run` process working through a
backlog of 300 reports from 30 secretaries is killed with SIGKILL five times at different
points; after the last restart every report is recorded exactly once and every sender has
had an answer to each message. SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from bot.bootstrap import initialise
from tests.support.crashes import bot_process, recorded, wait_until
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import bot_settings, cli_environment
from tests.support.secretaries import approve_secretaries

REPO = Path(__file__).resolve().parents[1]
TOKEN = "4242:fake-token-for-the-loopback-api"
SECRETARIES = 30
REPORTS = 300
FIRST_USER = 20_000
# Five kill points, each drawn at random within its own stretch of the backlog.
KILL_BANDS = ((5, 40), (41, 90), (91, 150), (151, 210), (211, 280))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'quizbot.db'}"
        return
    engine = request.getfixturevalue("postgres_engine")  # skips or fails as configured
    schema = f"quizbot_inbox_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    base = engine.url.set(query={}).render_as_string(hide_password=False)
    yield f"{base}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


def answers(api: FakeBotApi) -> Counter[int]:
    return Counter(
        sent.chat_id
        for sent in api.snapshot()
        if sent.method == "sendMessage" and sent.chat_id >= FIRST_USER
    )


def test_kill_9_at_five_points_of_a_backlog_loses_no_report(tmp_path, database_url):
    with FakeBotApi(TOKEN) as api:
        settings = bot_settings(
            api, tmp_path, DATABASE_URL=database_url, UNITS_FILE=str(REPO / "data" / "units.csv")
        )
        initialise(settings)
        approve_secretaries(database_url, SECRETARIES, FIRST_USER)
        for index in range(REPORTS):
            api.push_message(
                user_id=FIRST_USER + index % SECRETARIES, text=f"thêm {1 + index % 9} lượt"
            )
        # PostgreSQL: a reply a killed worker left unsent is taken for lost after this.
        env = cli_environment(settings, LOG_LEVEL="WARNING", UNSENT_REPLY_SECONDS="2")
        points = sorted(random.randint(low, high) for low, high in KILL_BANDS)
        print(f"killing after {points} answers")  # shown with -s, to replay a failure
        for point in points:
            process = bot_process(env)
            wait_until(lambda point=point: sum(answers(api).values()) >= point, process)
            process.kill()
            process.wait(timeout=30)
        process = bot_process(env)
        try:
            wait_until(lambda: len(recorded(database_url)) >= REPORTS, process)
            wait_until(
                lambda: all(
                    answers(api)[FIRST_USER + n] >= REPORTS // SECRETARIES
                    for n in range(SECRETARIES)
                ),
                process,
            )
            time.sleep(0.5)  # anything still arriving would be a second count
        finally:
            process.terminate()
            process.wait(timeout=30)
        entries = recorded(database_url)
        assert len(entries) == REPORTS
        assert len(set(entries)) == REPORTS  # each message once
        per_sender = answers(api)
        assert all(per_sender[FIRST_USER + n] >= REPORTS // SECRETARIES for n in range(SECRETARIES))
