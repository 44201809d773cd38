"""A report, its reply and the mark that its update was handled commit together ([core]):
a real `quizbot run` killed with SIGKILL after counting a report but before its answer got
through sends that answer once at restart, and never answers the report as a repeat
(`đã được ghi nhận trước đó`). SQLite and PostgreSQL."""

from __future__ import annotations

import time

import sqlalchemy as sa

from bot.bootstrap import initialise
from bot.storage.database import make_engine
from bot.storage.received import RECEIVED
from tests.support.crashes import bot_process, recorded, wait_until
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import bot_settings, cli_environment
from tests.support.secretaries import approve_secretaries
from tests.test_durable_inbox import REPO, TOKEN, database_url  # noqa: F401 (a fixture)

FIRST_USER = 30_000
SECRETARIES = 3


def unsent_replies(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count())
                .select_from(RECEIVED)
                .where(RECEIVED.c.reply.is_not(None), RECEIVED.c.replied_at.is_(None))
            ).scalar_one()
    finally:
        engine.dispose()


def test_killed_between_counting_a_report_and_answering_it_answers_once_at_restart(
    tmp_path,
    database_url,  # noqa: F811
):
    with FakeBotApi(TOKEN) as api:
        settings = bot_settings(
            api, tmp_path, DATABASE_URL=database_url, UNITS_FILE=str(REPO / "data" / "units.csv")
        )
        initialise(settings)
        approve_secretaries(database_url, SECRETARIES, FIRST_USER)
        stalled = FIRST_USER + 1
        api.stalled_chats.add(stalled)
        for index in range(SECRETARIES):
            api.push_message(user_id=FIRST_USER + index, text=f"thêm {index + 4} lượt")
        # Several workers on PostgreSQL wait this long before they take a reply for lost.
        env = cli_environment(settings, UNSENT_REPLY_SECONDS="1")
        process = bot_process(env)
        try:
            wait_until(api.holding.is_set, process)
            wait_until(lambda: unsent_replies(database_url) == 1, process)
            # The stalled report is counted and its answer is on its way: the crash.
            assert len(recorded(database_url)) == SECRETARIES
        finally:
            process.kill()
            process.wait(timeout=30)
        assert api.messages_to(stalled) == []
        api.stalled_chats.clear()
        api.release.set()
        time.sleep(1.2)  # older than UNSENT_REPLY_SECONDS
        process = bot_process(env)
        try:
            wait_until(lambda: len(api.messages_to(stalled)) >= 1, process)
            api.push_message(user_id=stalled, text="thêm 1 lượt")
            wait_until(lambda: len(api.messages_to(stalled)) >= 2, process)
            time.sleep(0.5)  # anything more that comes would be a second answer
        finally:
            process.terminate()
            process.wait(timeout=30)
    answers = [sent.text for sent in api.messages_to(stalled)]
    assert len(answers) == 2, answers
    assert "Đã ghi nhận «+5" in answers[0], answers
    assert "Đã ghi nhận «+1" in answers[1], answers
    assert not any("trước đó" in answer for answer in answers), answers
    assert len(recorded(database_url)) == SECRETARIES + 1
    assert unsent_replies(database_url) == 0
    for index in (0, 2):  # the others were answered once, before the crash
        assert len(api.messages_to(FIRST_USER + index)) == 1
