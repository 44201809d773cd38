"""bench/scale: several workers on PostgreSQL behind one port, under a fixed offered load.

`quizbot run --workers N` (N = 1, 2, 4) on a fresh PostgreSQL schema: the workers share the
web server's port (SO_REUSEPORT, the kernel spreads the connections, as uvicorn's own
multi-worker mode does). A fake Telegram in this process posts report updates to
`/telegram/webhook` at a fixed rate (open loop: it does not wait for answers), each from
one of 300 secretaries, re-posting any delivery that did not get a 200, as Telegram does;
the bot's answers come back to the same fake. Measured: reports handled per second, the
time from POST to answer (p50, p99, max), CPU seconds per report (the workers, and
PostgreSQL's backends), and whether the whole machine was busy.

Telegram's overall limit (about 30 messages a second, replies included) would cap the
answers at 29 a second whatever the machine: the load runs are made with
TELEGRAM_MESSAGES_PER_SECOND raised, to measure the bot and the machine, not Telegram.

Two failure runs:
- `kill`: 2 workers, one of them killed (SIGKILL) halfway through the load; the supervisor
  starts it again. Nothing may be lost or counted twice; how long its chats waited.
- `fanout`: 2 workers, a weekly reminder to 1 000 secretaries at Telegram's real pace (the
  fake answers 429 beyond 30 a second); the leader is killed a third of the way through.
  Every chat at most once, the rest finished by the new leader; the time it took over.

    python -m bench.scale [--rate 150] [--seconds 20] [--workers 1 2 4] [--kill] [--fanout]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from bench.fanout import seed_recipients
from tests.support.crashes import outbox_states, recorded, reminder_a_minute_ago
from tests.support.fake_bot_api import FakeBotApi, RateLimit, Sent
from tests.support.harness import bot_settings, cli_environment
from tests.support.loopback import free_port
from tests.support.postgres import schema_url

TOKEN = "4242:bench-token-for-the-loopback-api"
SECRET = "bench-webhook-secret"
ROOT = Path(__file__).resolve().parents[1]
SECRETARIES = 300
FIRST_USER = 100_000
TICKS = os.sysconf("SC_CLK_TCK")
POSTGRES = os.environ.get(
    "QUIZBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def schema() -> AbstractContextManager[str]:
    return schema_url(POSTGRES, "quizbot_bench")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip().startswith("postgres"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return json.loads(answer.read())
    except OSError:
        return None


class Bot:
    """`quizbot run --workers N` on its own schema and port."""

    def __init__(self, api: FakeBotApi, url: str, workers: int, **extra: str) -> None:
        self.port = free_port()
        self.url = url
        folder = Path(tempfile.mkdtemp(prefix="quizbot-scale-"))
        settings = bot_settings(
            api, folder, DATABASE_URL=url, UNITS_FILE=str(ROOT / "data" / "units.csv")
        )
        self.settings = settings
        self.env = cli_environment(
            settings,
            PUBLIC_BASE_URL=f"http://127.0.0.1:{self.port}",
            HTTP_PORT=str(self.port),
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            **extra,
        )
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--workers", str(self.workers)],
            env=self.env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(self.worker_pids()) < self.workers or health(self.port) is None:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        # Every worker is up once each has answered; the kernel picks which one answers.
        time.sleep(1.0)

    def worker_pids(self) -> list[int]:
        """The workers' processes (with one worker, `quizbot run` is the worker itself)."""
        if self.process is None:
            return []
        return children(self.process.pid) if self.workers > 1 else [self.process.pid]

    def leader_pid(self) -> int | None:
        """From /metrics (kept local): /healthz names no host and no process."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as a:
                metrics = a.read().decode()
        except OSError:
            return None
        for line in metrics.splitlines():
            if line.startswith("quizbot_leader_info{"):
                holder = line.split('holder="')[1].split('"')[0]
                return int(holder.split(":")[1])
        return None

    def stop(self) -> None:
        if self.process is None:
            return
        workers = self.worker_pids()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for pid in [*workers, self.process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()
            print(json.dumps({"warning": "the workers did not stop within 60 s"}), flush=True)


def report(user: int, update_id: int, api: FakeBotApi) -> dict:
    message = api.message(user_id=user, text=f"thêm {update_id % 9 + 1} lượt")
    return {"update_id": update_id, "message": message}


async def offer(port: int, api: FakeBotApi, rate: float, seconds: float, at_half=None):
    """Post `rate` reports a second for `seconds`; a delivery that fails is posted again
    (Telegram's behaviour) until it gets its 200. Returns [(user, first POST time)] in order."""
    total = int(rate * seconds)
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    posted: list[tuple[int, float]] = []
    retries = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def deliver(update: dict) -> None:
            nonlocal retries
            while True:
                try:
                    answer = await client.post(
                        url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                    )
                    if answer.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                retries += 1
                await asyncio.sleep(0.2)

        start = time.monotonic()
        tasks = []
        for index in range(total):
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if at_half is not None and index == total // 2:
                at_half()
            user = FIRST_USER + index % SECRETARIES
            posted.append((user, time.monotonic()))
            tasks.append(asyncio.create_task(deliver(report(user, 10_000 + index, api))))
        await asyncio.gather(*tasks)
    return posted, retries


# A report's answer: recorded, or (handled again after a worker died between recording it
# and marking it handled) "already recorded, not counted again".
ANSWERS = ("Đã ghi nhận", "đã được ghi nhận trước đó")


def answers(api: FakeBotApi) -> dict[int, list[Sent]]:
    by_chat: dict[int, list[Sent]] = collections.defaultdict(list)
    for sent in api.snapshot():
        if any(marker in sent.text for marker in ANSWERS):
            by_chat[sent.chat_id].append(sent)
    return by_chat


def ledger(url: str) -> tuple[int, int]:
    """Live ledger rows, and how many distinct messages they come from."""
    rows = recorded(url)
    return len(rows), len(set(rows))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load_run(workers: int, rate: float, seconds: float, kill: bool = False) -> dict:
    with FakeBotApi(TOKEN) as api, schema() as url:
        bot = Bot(api, url, workers, TELEGRAM_MESSAGES_PER_SECOND="100000")
        seed_recipients(bot.settings, SECRETARIES)
        bot.start()
        killed: dict[str, float] = {}

        def kill_one() -> None:
            victim = bot.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed["at"] = time.monotonic()

        try:
            pids = list(dict.fromkeys([*bot.worker_pids(), bot.process.pid]))
            databases = postgres_pids()
            cpu_before = sum(cpu_seconds(pid) for pid in pids)
            pg_before = sum(cpu_seconds(pid) for pid in databases)
            busy_before, total_before = machine_busy()
            posted, retries = asyncio.run(
                offer(bot.port, api, rate, seconds, kill_one if kill else None)
            )
            expected = collections.Counter(user for user, _ in posted)
            deadline = time.monotonic() + 120
            while True:
                got = answers(api)
                if all(len(got.get(user, [])) >= n for user, n in expected.items()):
                    break
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            pids = list(dict.fromkeys(pids + bot.worker_pids()))
            cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
            pg_cpu = sum(cpu_seconds(pid) for pid in postgres_pids()) - pg_before
            busy_after, total_after = machine_busy()
        finally:
            bot.stop()
        got = answers(api)
        latencies = []
        seen: dict[int, int] = collections.Counter()
        last_answer = 0.0
        for user, at in posted:
            replies = got.get(user, [])
            index = seen[user]
            seen[user] += 1
            if index < len(replies):
                latencies.append(replies[index].answered - at)
                last_answer = max(last_answer, replies[index].answered)
        entries, unique = ledger(url)
        result = {
            "workers": workers,
            "offered": len(posted),
            "answered": len(latencies),
            "entries": entries,
            "unique": unique,
            "retries": retries,
            "handled_per_s": len(latencies) / (last_answer - posted[0][1]),
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "max_ms": max(latencies) * 1000,
            "cpu_ms_per_report": cpu / len(posted) * 1000,
            "pg_cpu_ms_per_report": pg_cpu / len(posted) * 1000,
            "machine_busy": (busy_after - busy_before) / (total_after - total_before),
        }
        if kill:
            # Reports posted in the 2 s before the kill: some were in the killed worker's
            # hands, and wait for their chat's turn to lapse (10 s) and a sweep (2 s).
            around = [
                latency
                for (_, at), latency in zip(posted, latencies, strict=False)
                if killed["at"] - 2 <= at <= killed["at"]
            ]
            result["worst_wait_of_reports_in_flight_at_kill_ms"] = max(around) * 1000
            result["answered_twice"] = sum(
                1 for replies in got.values() for sent in replies if ANSWERS[1] in sent.text
            )
        return result


def fanout_run(recipients: int) -> dict:
    with FakeBotApi(TOKEN) as api, schema() as url:
        api.rate_limit = RateLimit(per_second=30)
        bot = Bot(
            api,
            url,
            2,
            WEEKLY_REMINDER_CRON=reminder_a_minute_ago(),
            REMINDER_TARGET="secretaries",
        )
        seed_recipients(bot.settings, recipients)
        started = time.monotonic()
        bot.start()

        def reminders() -> list[Sent]:
            return [s for s in api.snapshot() if "Nhắc nhở tiến độ" in s.text]

        try:
            while len(reminders()) < recipients // 3:
                time.sleep(0.05)
            leader = bot.leader_pid()
            assert leader is not None
            os.kill(leader, signal.SIGKILL)
            killed = time.monotonic()
            while (new := bot.leader_pid()) in (None, leader):
                time.sleep(0.1)
            took_over = time.monotonic() - killed
            deadline = time.monotonic() + 180
            while _pending(url) and time.monotonic() < deadline:
                time.sleep(0.2)
            finished = time.monotonic()
        finally:
            bot.stop()
        sent = reminders()
        per_chat = collections.Counter(s.chat_id for s in sent)
        states = outbox_states(url)
        times = sorted(s.answered for s in sent)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        return {
            "recipients": recipients,
            "chats_reached": len(per_chat),
            "chats_twice": sum(1 for n in per_chat.values() if n > 1),
            "outbox": dict(states),
            "leader_killed_after": len([t for t in times if t <= killed]),
            "new_leader": new,
            "takeover_s": took_over,
            "longest_pause_s": max(gaps),
            "fan_out_s": finished - started,
            "refused_429": len(api.failures),
        }


def _pending(url: str) -> bool:
    states = outbox_states(url)
    return not states or states["pending"] + states["sending"] > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=150)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--fanout", action="store_true")
    parser.add_argument("--recipients", type=int, default=1000)
    arguments = parser.parse_args()
    for workers in arguments.workers:
        print(json.dumps(load_run(workers, arguments.rate, arguments.seconds)), flush=True)
    if arguments.kill:
        print(json.dumps(load_run(2, arguments.rate, arguments.seconds, kill=True)), flush=True)
    if arguments.fanout:
        print(json.dumps(fanout_run(arguments.recipients)), flush=True)


if __name__ == "__main__":
    main()
