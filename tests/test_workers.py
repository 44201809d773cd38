"""Several workers on one PostgreSQL database ([scale] 10): real `quizbot run` processes
behind webhooks, a fake Telegram posting to them round robin and twice over, the leader
killed or paused in the middle of a fan-out."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.bootstrap import initialise
from bot.storage.database import Database, make_engine
from bot.storage.received import RECEIVED
from tests.support.crashes import (
    REPO,
    bot_process,
    outbox_states,
    recorded,
    reminder_a_minute_ago,
    wait_until,
)
from tests.support.fake_bot_api import FakeBotApi, Sent
from tests.support.harness import ADMIN, TOKEN, bot_settings, cli_environment
from tests.support.loopback import free_port, post_update
from tests.support.secretaries import approve_secretaries

pytestmark = pytest.mark.postgres

SECRET = "workers-webhook-secret"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_USER = 60_000


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi(TOKEN) as fake:
        yield fake


class Workers:
    """`quizbot run` processes on one database, each with its own port and its own base
    URL on the fake Telegram (what each sends is marked with its name)."""

    def __init__(self, api: FakeBotApi, tmp_path, database_url: str, **extra: str) -> None:
        self.api = api
        self.settings = bot_settings(
            api, tmp_path, DATABASE_URL=database_url, UNITS_FILE=str(REPO / "data/units.csv")
        )
        initialise(self.settings)
        self.extra = extra
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}

    def start(self, name: str) -> subprocess.Popen[bytes]:
        port = free_port()
        env = cli_environment(
            self.settings,
            TELEGRAM_API_BASE_URL=self.api.via_url(name),
            PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
            HTTP_PORT=str(port),
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            LEADER_LEASE_SECONDS="3",
            **self.extra,
        )
        process = bot_process(env)
        self.processes[name], self.ports[name] = process, port
        wait_until(lambda: self.health(name) is not None, process, 60)
        return process

    def health(self, name: str) -> dict | None:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.ports[name]}/healthz", timeout=2
            ) as response:
                return json.loads(response.read())
        except OSError:
            return None

    def leads(self, name: str) -> bool:
        health = self.health(name)
        return bool(health and health["leader"]["this_worker"])

    def post(self, name: str, update: dict) -> int:
        url = f"http://127.0.0.1:{self.ports[name]}/telegram/webhook"
        return post_update(url, update, HEADER, SECRET)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def unhandled(url: str) -> int:
    database = Database(make_engine(url))
    try:
        return database.run(
            lambda store: store.connection.execute(
                sa.select(sa.func.count())
                .select_from(RECEIVED)
                .where(RECEIVED.c.handled_at.is_(None))
            ).scalar()
        )
    finally:
        database.dispose()


ACCEPTED = re.compile(r"Đã ghi nhận «\+(\d+)»")


def accepted_amounts(sent: list[Sent], chat_id: int) -> list[int]:
    return [
        int(match.group(1))
        for message in sent
        if message.chat_id == chat_id and (match := ACCEPTED.search(message.text))
    ]


def test_two_workers_count_each_report_once_and_answer_each_chat_in_order(
    api, tmp_path, postgres_url
):
    chats, per_chat = 8, 8
    workers = Workers(api, tmp_path, postgres_url)
    approve_secretaries(postgres_url, chats, FIRST_USER)
    try:
        workers.start("a")
        workers.start("b")
        names = ["a", "b"]
        update_ids = iter(range(5_000, 100_000))
        lock = threading.Lock()
        duplicates = 0

        def person(index: int) -> None:
            # One person's messages in order, each posted after the previous one's 200 (as
            # Telegram does), round robin over the workers; every third also to the other.
            nonlocal duplicates
            user = FIRST_USER + index
            for k in range(per_chat):
                with lock:
                    update_id = next(update_ids)
                message = api.message(user_id=user, text=f"thêm {k + 1} lượt")
                update = {"update_id": update_id, "message": message}
                first = names[(index + k) % 2]
                other = names[(index + k + 1) % 2]
                assert workers.post(first, update) == 200
                if k % 3 == 0:
                    assert workers.post(other, update) == 200
                    with lock:
                        duplicates += 1

        threads = [threading.Thread(target=person, args=(i,)) for i in range(chats)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        leader = workers.processes["a"]
        wait_until(lambda: len(recorded(postgres_url)) >= chats * per_chat, leader, 90)

        def all_answered() -> bool:
            sent = api.snapshot()
            return all(
                len(accepted_amounts(sent, FIRST_USER + i)) >= per_chat for i in range(chats)
            )

        wait_until(all_answered, leader, 90)
        time.sleep(1.0)  # a second count or a second answer would show now
        entries = recorded(postgres_url)
        assert len(entries) == chats * per_chat == len(set(entries))
        assert duplicates > 0
        sent = api.snapshot()
        for index in range(chats):
            # Each chat's answers in the order its messages were sent.
            assert accepted_amounts(sent, FIRST_USER + index) == list(range(1, per_chat + 1))
        # Both workers answered people: the work was shared.
        assert {message.via for message in sent if ACCEPTED.search(message.text)} == {"a", "b"}
        assert unhandled(postgres_url) == 0
    finally:
        workers.stop_all()


def fan_out_workers(api, tmp_path, postgres_url, recipients: int) -> Workers:
    workers = Workers(
        api,
        tmp_path,
        postgres_url,
        WEEKLY_REMINDER_CRON=reminder_a_minute_ago(),
        REMINDER_TARGET="secretaries",
    )
    approve_secretaries(postgres_url, recipients, FIRST_USER)
    return workers


def reminders(api: FakeBotApi) -> list[Sent]:
    return [
        message
        for message in api.snapshot()
        if message.chat_id >= FIRST_USER and "Nhắc nhở tiến độ" in message.text
    ]


def assert_each_chat_at_most_once_and_none_lost(api, postgres_url, recipients: int) -> None:
    per_chat = Counter(message.chat_id for message in reminders(api))
    assert max(per_chat.values()) == 1, "a chat got the reminder twice"
    states = outbox_states(postgres_url, except_chat=str(ADMIN))
    # A send caught in flight by the crash may or may not have arrived: recorded as unknown
    # (never sent again); every other chat got its reminder exactly once.
    assert states["sent"] + states["unknown"] == recipients
    assert states["pending"] == states["sending"] == 0
    assert len(per_chat) >= states["sent"]
    assert len(per_chat) <= recipients


def leader_caught_mid_fan_out(
    workers: Workers, api: FakeBotApi, hold_from: int
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """Worker a leads and fans out, worker b follows; from the `hold_from`-th reminder on the
    fake holds its answers, so a is caught with sends in flight whatever the machine's
    speed. Returns (a, b) once a is held."""
    api.hold_from = hold_from
    first = workers.start("a")
    wait_until(lambda: workers.leads("a"), first, 30)
    second = workers.start("b")
    wait_until(api.holding.is_set, first, 60)
    return first, second


def test_a_killed_leader_is_replaced_and_the_fan_out_finishes_once(api, tmp_path, postgres_url):
    recipients = 150
    workers = fan_out_workers(api, tmp_path, postgres_url, recipients)
    try:
        first, second = leader_caught_mid_fan_out(workers, api, hold_from=41)
        first.kill()  # kill -9 in the middle of the fan-out
        first.wait(timeout=10)
        killed_at = time.monotonic()
        api.release.set()
        wait_until(lambda: workers.leads("b"), second, 30)
        assert time.monotonic() - killed_at < 30
        wait_until(lambda: outbox_states(postgres_url)["pending"] == 0, second, 60)
        time.sleep(1.0)
        assert_each_chat_at_most_once_and_none_lost(api, postgres_url, recipients)
        assert {message.via for message in reminders(api)} == {"a", "b"}
        # The admin is told once which sends were caught in flight.
        unknown = outbox_states(postgres_url, except_chat=str(ADMIN))["unknown"]
        assert unknown >= 1  # the held sends were in flight at the kill

        def told() -> list[Sent]:
            return [m for m in api.messages_to(ADMIN) if "không rõ đã đến người nhận" in m.text]

        wait_until(lambda: len(told()) >= 1, second, 30)
        time.sleep(1.0)
        [notice] = told()
        assert f"{unknown} tin nhắn" in notice.text and "Nhắc nhở tiến độ tuần" in notice.text
        exposed = metrics(workers, "b")
        assert "quizbot_lease_changes_total" in exposed
        assert 'quizbot_lease_changes_total{change="elected"} 1.0' in exposed
    finally:
        workers.stop_all()


def metrics(workers: Workers, name: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{workers.ports[name]}/metrics") as answer:
        return answer.read().decode()


def test_a_paused_leader_sends_nothing_once_it_wakes(api, tmp_path, postgres_url):
    recipients = 150
    workers = fan_out_workers(api, tmp_path, postgres_url, recipients)
    try:
        first, second = leader_caught_mid_fan_out(workers, api, hold_from=31)
        os.kill(first.pid, signal.SIGSTOP)  # with sends in flight, and past its lease of 3 s
        api.release.set()
        wait_until(lambda: workers.leads("b"), second, 40)
        wait_until(lambda: outbox_states(postgres_url)["pending"] == 0, second, 60)
        sent_by_a = len([m for m in reminders(api) if m.via == "a"])
        os.kill(first.pid, signal.SIGCONT)
        time.sleep(4.0)  # the woken leader's next renewal and sends would land now
        assert len([m for m in reminders(api) if m.via == "a"]) == sent_by_a
        assert first.poll() is None, "the woken worker goes on as a follower"
        assert not workers.leads("a") and workers.leads("b")
        assert {message.via for message in reminders(api)} == {"a", "b"}
        assert_each_chat_at_most_once_and_none_lost(api, postgres_url, recipients)
    finally:
        workers.stop_all()


def test_more_workers_than_one_need_postgresql_and_webhooks(api, tmp_path):
    settings = bot_settings(api, tmp_path)
    initialise(settings)
    env = cli_environment(settings, PUBLIC_BASE_URL="http://127.0.0.1:1", HTTP_PORT="1")
    result = subprocess.run(
        [os.sys.executable, "-m", "bot.cli", "run", "--workers", "3"],
        env=env,
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SQLite chỉ cho phép một tiến trình bot" in result.stderr.decode()


async def test_zalo_chats_keep_their_order_across_workers_and_repeats_count_once(
    tmp_path, postgres_url
):
    """Two workers' Zalo receivers on one database, deliveries alternating between them and
    some delivered to both: each chat's updates handled once each, in the order they came."""
    import asyncio
    import random

    from bot.bootstrap import open_core
    from bot.channels.zalo.receiving import zalo_inbox
    from bot.clock import FixedClock
    from tests.support.fake_zalo_api import FakeZaloApi
    from tests.support.zalo import QUIET, ZALO_TOKEN, zalo_settings

    with FakeZaloApi(ZALO_TOKEN, now=QUIET.timestamp) as zalo:
        settings = zalo_settings(zalo, tmp_path, DATABASE_URL=postgres_url)
        initialise(settings)
        cores = [open_core(settings, FixedClock(QUIET)) for _ in range(2)]
        handled: list[tuple[str, str]] = []

        async def slow_handle(inbound):
            await asyncio.sleep(random.uniform(0, 0.02))  # later updates may finish first
            handled.append((inbound.chat.chat_id, inbound.text))
            return []

        async def no_replies(_replies):
            return None

        receivers = []
        for index, core in enumerate(cores):
            core.handle_async = slow_handle  # the receivers are under test
            receivers.append(zalo_inbox(core, no_replies, worker=f"worker-{index}"))
        try:
            chats = [f"{n:020x}" for n in range(5)]
            for index in range(60):
                update = zalo.update(user_id=chats[index % 5], text=f"{index}")
                first = receivers[index % 2]
                assert await first.accept(update)
                if index % 4 == 0:  # delivered again, to the other worker
                    assert not await receivers[(index + 1) % 2].accept(update)
            for receiver in receivers:
                await receiver.idle()
            for receiver in receivers:
                await receiver.idle()
        finally:
            for core in cores:
                core.close()
    assert len(handled) == 60
    for chat in chats:
        mine = [int(text) for chat_id, text in handled if chat_id == chat]
        assert mine == sorted(mine) and len(mine) == 12


def test_run_workers_starts_several_on_one_port_and_stops_them(api, tmp_path, postgres_url):
    workers = Workers(api, tmp_path, postgres_url)
    port = free_port()
    env = cli_environment(
        workers.settings,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HTTP_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    supervisor = subprocess.Popen(
        [os.sys.executable, "-m", "bot.cli", "run", "--workers", "2"],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers.ports["any"] = port
    try:
        answered_by: set[str] = set()
        leaders: set[str] = set()
        # /healthz names workers by an opaque id; /metrics (kept local) by host and pid.
        pids: dict[str, int] = {}

        def worker_info() -> None:
            try:
                exposed = metrics(workers, "any")
            except OSError:
                return
            for line in exposed.splitlines():
                if line.startswith("quizbot_worker_info{"):
                    worker = line.split('worker="')[1].split('"')[0]
                    pids[worker] = int(line.split('pid="')[1].split('"')[0])

        def both_answer() -> bool:
            health = workers.health("any")
            worker_info()
            if health is not None:
                answered_by.add(health["worker"])
                if health["leader"]["worker"]:
                    leaders.add(health["leader"]["worker"])
            return len(answered_by) == 2 and len(leaders) == 1 and set(pids) == answered_by

        wait_until(both_answer, supervisor, 60)
        assert leaders <= answered_by  # the leader is one of the two
        # A worker killed, even right after its start, is started again.
        victim = sorted(answered_by)[0]
        os.kill(pids[victim], signal.SIGKILL)

        def replaced() -> bool:
            health = workers.health("any")
            if health is not None:
                answered_by.add(health["worker"])
            return len(answered_by) == 3

        wait_until(replaced, supervisor, 60)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=60) == 0
    assert workers.health("any") is None  # every worker stopped with it
