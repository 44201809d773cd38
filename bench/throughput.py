"""bench/throughput: report messages through the fake Bot API, quizbot against a bare echo bot.

Both bots run as their own processes and poll the same fake Bot API server (in this process,
on loopback): quizbot exactly as `make run` starts it (`python -m bot.cli run`, SQLite), the
yardstick a bare python-telegram-bot echo bot (bench/echo_bot.py). Each round queues N report
messages from 50 approved secretaries, starts the bot, and times from its first getUpdates
until the N-th answer. Rounds alternate (echo, quizbot, echo, ...) so that machine noise falls
on both alike; the median round of each is reported.

    python -m bench.throughput [--messages 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import bot_settings, cli_environment
from tests.support.secretaries import approve_secretaries

TOKEN = "4242:bench-token-for-the-loopback-api"
SECRETARIES = 50
FIRST_USER = 10_000
ROOT = Path(__file__).resolve().parents[1]


def queue_reports(api: FakeBotApi, count: int) -> None:
    for index in range(count):
        api.push_message(
            user_id=FIRST_USER + index % SECRETARIES, text=f"thêm {1 + index % 9} lượt"
        )


def serve(command: list[str], env: dict[str, str], api: FakeBotApi, expected: int) -> float:
    """Run one bot process until it answered `expected` messages; seconds from its first poll."""
    sent_before = len(api.snapshot())
    requests_before = len(api.requests)
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while len(api.snapshot()) - sent_before < expected:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("no progress")
            time.sleep(0.01)
        first_poll = next(t for m, t in api.requests[requests_before:] if m == "getUpdates")
        last_answer = api.snapshot()[sent_before + expected - 1].answered
        return last_answer - first_poll
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(messages: int, rounds: int) -> None:
    echo_times: list[float] = []
    bot_times: list[float] = []
    with FakeBotApi(TOKEN) as api, tempfile.TemporaryDirectory() as directory:
        settings = bot_settings(api, Path(directory), UNITS_FILE=str(ROOT / "data" / "units.csv"))
        env = cli_environment(settings, PYTHONPATH=str(ROOT))
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "init"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        approve_secretaries(settings.database_url, SECRETARIES, FIRST_USER)
        for _ in range(rounds):
            queue_reports(api, messages)
            echo_times.append(serve([sys.executable, "-m", "bench.echo_bot"], env, api, messages))
            queue_reports(api, messages)
            bot_times.append(serve([sys.executable, "-m", "bot.cli", "run"], env, api, messages))
        accepted = sum(1 for s in api.snapshot() if "Đã ghi nhận «+" in s.text)
        assert accepted == messages * rounds, accepted

    echo_rate = messages / statistics.median(echo_times)
    bot_rate = messages / statistics.median(bot_times)
    print(f"messages per round: {messages}, rounds: {rounds}")
    print("echo bot rounds (s): " + ", ".join(f"{t:.2f}" for t in echo_times))
    print("quizbot rounds (s):  " + ", ".join(f"{t:.2f}" for t in bot_times))
    print(f"echo bot: {echo_rate:6.0f} msg/s (median round)")
    print(f"quizbot:  {bot_rate:6.0f} msg/s (median round)")
    print(f"ratio quizbot/echo: {bot_rate / echo_rate:.2f} (goal ≥ 0.80)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    main(arguments.messages, arguments.rounds)
