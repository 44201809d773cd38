"""The web server in the open (issue [hardening]), against a real `quizbot run` with
PUBLIC_BASE_URL on loopback: connections that never finish their headers, a body far too
large, deliveries that are JSON but no update. Every loop is bounded in count and time."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.bootstrap import initialise
from bot.storage.database import make_engine
from bot.storage.rejected import REJECTED
from tests.support.crashes import REPO, wait_until
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import TOKEN, bot_settings, cli_environment
from tests.support.loopback import free_port

SECRET = "telegram-webhook-secret-for-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Running:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path, url: str) -> None:
        self.process, self.port, self.log, self.database_url = process, port, log, url
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
        with urllib.request.urlopen(f"{self.base}{path}", timeout=timeout) as answer:
            return answer.status, answer.read()

    def post(self, body: object, timeout: float = 2.0) -> int:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        request = urllib.request.Request(
            f"{self.base}/telegram/webhook",
            data=data,
            headers={HEADER: SECRET, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def memory_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])


def limit_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi(TOKEN) as fake:
        yield fake


@pytest.fixture
def bot(api: FakeBotApi, tmp_path: Path) -> Iterator[Running]:
    port = free_port()
    settings = bot_settings(
        api,
        tmp_path,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HTTP_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        UNITS_FILE=str(REPO / "data" / "units.csv"),
    )
    initialise(settings)
    env = cli_environment(
        settings,
        PUBLIC_BASE_URL=settings.public_base_url,
        HTTP_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        LOG_LEVEL="INFO",
    )
    log = tmp_path / "bot.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            preexec_fn=limit_files,
        )
    running = Running(process, port, log, settings.database_url)

    def up() -> bool:
        try:
            return running.get("/healthz", 1)[0] == 200 and api.webhook is not None
        except OSError:
            return False

    try:
        wait_until(up, process, 60)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)


def update(api: FakeBotApi, update_id: int, user: int, text: str = "/huongdan") -> dict:
    return {"update_id": update_id, "message": api.message(user_id=user, text=text)}


def test_half_open_connections_never_starve_the_webhook_or_flood_the_log(bot, api):
    baseline_files = bot.open_files()
    log_before = bot.log.stat().st_size
    attackers: list[socket.socket] = []
    try:
        for _ in range(1100):
            attacker = socket.create_connection(("127.0.0.1", bot.port), timeout=5)
            attacker.sendall(b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Len")
            attackers.append(attacker)
        answered: list[float] = []
        started = time.monotonic()
        round_number = 0
        while time.monotonic() - started < 20:
            round_number += 1
            began = time.monotonic()
            assert bot.get("/healthz")[0] == 200
            assert bot.post(update(api, 5000 + round_number, 7000 + round_number)) == 200
            answered.append(time.monotonic() - began)
            time.sleep(0.5)
        assert max(answered) < 2.0, answered
        assert len(answered) >= 15
    finally:
        for attacker in attackers:
            attacker.close()
    wait_until(lambda: bot.open_files() <= baseline_files + 5, bot.process, 15)
    assert bot.log.stat().st_size - log_before < 1_000_000
    # The real updates sent during the flood were handled: each person got an answer.
    wait_until(lambda: len(api.messages_to(7001)) == 1, bot.process, 30)


def test_a_huge_chunked_body_is_refused_while_it_streams(bot):
    memory_before = bot.memory_kb()
    connection = socket.create_connection(("127.0.0.1", bot.port), timeout=10)
    connection.sendall(
        b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\n"
        + f"{HEADER}: {SECRET}\r\n".encode()
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b" " * 65_536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    answer = b""
    sent = 0
    try:
        while sent < 50_000_000:
            readable, _, _ = select.select([connection], [], [], 0)
            if readable:
                break
            connection.sendall(framed)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    connection.settimeout(10)
    with contextlib.suppress(ConnectionResetError):
        answer = connection.recv(200)
    connection.close()
    assert answer.startswith(b"HTTP/1.1 413"), (answer, sent)
    assert sent < 50_000_000  # refused long before the end
    assert bot.memory_kb() - memory_before < 10_000


MALFORMED = [
    ({"update_id": True, "message": {}}, "bad_update_id"),
    ({"update_id": 2**70, "message": {}}, "bad_update_id"),
    ({"update_id": 77, "message": "chỉ là một chuỗi"}, "not_an_update"),
    ({"update_id": 78, "poll": {"id": "1"}}, "not_an_update"),
    ([1, 2, 3], "not_an_object"),
]


def test_a_malformed_update_is_answered_200_recorded_and_never_handled(bot, api):
    for body, _ in MALFORMED:
        assert bot.post(body) == 200, body
    deep = b'{"update_id": 79, "message": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    assert bot.post(deep) == 200
    engine = make_engine(bot.database_url)
    try:
        with engine.connect() as connection:
            reasons = [row.reason for row in connection.execute(sa.select(REJECTED.c.reason))]
    finally:
        engine.dispose()
    assert sorted(reasons) == sorted([reason for _, reason in MALFORMED] + ["too_deep"])
    metrics = bot.get("/metrics")[1].decode()
    assert (
        'quizbot_updates_rejected_total{platform="telegram",reason="bad_update_id"} 2.0' in metrics
    )
    assert 'reason="too_deep"} 1.0' in metrics
    # A valid update right after is handled.
    assert bot.post(update(api, 90, 4242)) == 200
    wait_until(lambda: len(api.messages_to(4242)) == 1, bot.process, 30)
    log = bot.log.read_text(errors="replace")
    assert "Traceback" not in log and " 500 " not in log


def test_healthz_says_ok_and_the_backlog_and_no_host_or_process(bot):
    status, body = bot.get("/healthz")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["outbox_backlog"] == 0
    text = body.decode()
    assert socket.gethostname() not in text and str(bot.process.pid) not in text
    metrics = bot.get("/metrics")[1].decode()
    assert socket.gethostname() in metrics and str(bot.process.pid) in metrics


def test_the_server_listens_on_loopback_by_default():
    from bot.config import load_settings

    settings = load_settings({}, env_file=None)
    assert settings.http_host == "127.0.0.1"
    assert load_settings({"HTTP_HOST": "0.0.0.0"}, env_file=None).http_host == "0.0.0.0"


@pytest.mark.parametrize(("platform", "room"), [("telegram", 4096), ("zalo", 2000)])
@pytest.mark.parametrize("where", ["group", "private"])
def test_units_for_thousands_are_at_most_three_messages_and_a_file(platform, room, where):
    from bot.domain.model.entities import Person, Unit, UnitKind
    from bot.domain.model.messages import TableSpec
    from bot.domain.model.textsplit import split_message
    from tests.conftest import ADMIN_ID, at, make_policy
    from tests.support.dialogue import Dialogue
    from tests.support.memory_store import MemoryStore

    store = MemoryStore()
    store.units.upsert(Unit("TX", "Quận Thanh Xuân", UnitKind.DISTRICT, None, 0))
    for n in range(5000):
        ward = f"P{n // 50:03d}"
        if n % 50 == 0:
            store.units.upsert(Unit(ward, f"Phường số {n // 50}", UnitKind.WARD, "TX", 200))
        store.units.upsert(
            Unit(f"C{n:05d}", f"Chi bộ tổ dân phố số {n}", UnitKind.PARTY_CELL, ward, 0)
        )
    store.campaigns.activate("Cuộc thi", at("2024-09-02 00:00").date(), None, "lượt dự thi")
    admins = frozenset({(platform, ADMIN_ID)})
    dialogue = Dialogue(store, make_policy(configured_admins=admins), at("2024-09-10 10:00"))
    admin = Person(platform, ADMIN_ID, "Quản trị")
    dialogue.sent.clear()
    from tests.support import dialogue as dialogue_module

    original = dialogue_module.PLATFORM
    dialogue_module.PLATFORM = platform
    try:
        replies = dialogue.send(admin, "/donvi", group=-100 if where == "group" else None)
    finally:
        dialogue_module.PLATFORM = original
    [reply] = replies
    assert len(split_message(reply.text, room)) <= 3
    [table] = reply.attachments
    assert isinstance(table, TableSpec) and len(table.rows) == 5000 + 100 + 1
    assert "đầy đủ trong tệp Excel đính kèm" in reply.text


async def test_sends_left_in_flight_by_a_killed_run_are_told_to_the_admins_once(policy):
    """A `jobs run` killed mid-fan-out leaves rows "sending": the next drain settles them as
    unknown (never resent) and the admins get one notice naming the chats and messages."""
    from datetime import timedelta

    from bot.clock import FixedClock
    from bot.domain.model.entities import ChatRef
    from bot.domain.model.messages import Outbound
    from jobs.outbox import OutboxDispatcher
    from jobs.runner import JobRunner
    from tests.conftest import at
    from tests.support.memory_store import MemoryDatabase, MemoryStore
    from tests.test_jobs_in_memory import MemoryCore, Recorder

    store = MemoryStore()
    killed_at = at("2024-09-12 09:00")
    parts = [
        Outbound(ChatRef("telegram", str(chat)), f"📣 <b>Nhắc nhở tiến độ tuần</b> — số {chat}\n…")
        for chat in (1001, 1002, 1003)
    ]
    store.outbox.enqueue(None, parts, killed_at)
    for chat in (1001, 1002):  # the killed process had claimed these two
        assert store.outbox.claim_next(ChatRef("telegram", str(chat)), killed_at)
    later = killed_at + timedelta(minutes=5)
    clock = FixedClock(later)
    core = MemoryCore(MemoryDatabase(store), policy, clock)
    notifier = Recorder()
    runner = JobRunner(core, notifier, OutboxDispatcher(core.database, notifier, clock), clock)
    await runner.dispatcher.drain()
    await runner.dispatcher.drain()
    to_admin = [m for m in notifier.sent if m.chat.chat_id == "900"]
    assert len(to_admin) == 1
    notice = to_admin[0].text
    assert "2 tin nhắn không rõ đã đến người nhận" in notice
    assert "tin nhắn riêng của 1001: «📣 Nhắc nhở tiến độ tuần — số 1001»" in notice
    # The two in flight are never sent again; the third goes out.
    assert [m.chat.chat_id for m in notifier.sent if m.chat.chat_id != "900"] == ["1003"]
    assert store.outbox.counts() == {"unknown": 2, "sent": 2}


def test_a_repeated_log_line_is_written_once_then_counted_each_minute():
    import io
    import logging

    from bot.logfloods import RepeatFilter

    now = [0.0]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RepeatFilter(clock=lambda: now[0]))
    logger = logging.getLogger("quizbot.test.flood")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for _ in range(10_000):
            try:
                raise OSError(24, "Too many open files")
            except OSError:
                logger.exception("socket.accept() out of system resource")
            now[0] += 0.001
        now[0] += 60
        try:
            raise OSError(24, "Too many open files")
        except OSError:
            logger.exception("socket.accept() out of system resource")
        logger.error("another line")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert written.count("socket.accept() out of system resource") == 2
    assert written.count("Traceback") == 1
    assert "(repeated 9999 times in the last minute)" in written
    assert "another line" in written
