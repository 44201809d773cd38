"""bench/fanout: 1 000 reminder recipients against a fake Bot API that enforces 30 messages/s,
optionally with Zalo recipients mixed in (`--zalo N`, against the fake Zalo API).

The fake server (in this process, loopback) answers 429 with retry_after=1 to any send
beyond 30 in the last second, and counts every send that arrives inside such a window. The
fan-out runs as `quizbot jobs run weekly-reminder --at …` in its own process, exactly as an
operator would run it. Goals: every recipient gets the reminder exactly once; no request
inside a retry_after window; total time within 1.15 × the limit's floor (1 000 / 30 = 33.3 s).

With Zalo recipients, each platform keeps its own pace (Telegram 29/s; Zalo 8/s and one a
second per chat, our own limits since Zalo documents none) and both go out side by side.

    python -m bench.fanout [--recipients 1000] [--zalo 200]
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import initialise
from bot.domain.model.entities import MembershipStatus, Person
from bot.storage.database import Database, make_engine
from tests.support.fake_bot_api import FakeBotApi, RateLimit
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.harness import bot_settings, cli_environment

TOKEN = "4242:bench-token-for-the-loopback-api"
ZALO_TOKEN = "zalo-bench:token-for-the-loopback-api"
LIMIT_PER_SECOND = 30
ROOT = Path(__file__).resolve().parents[1]


def seed_recipients(settings, recipients: int, zalo: int = 0) -> None:
    """Secretaries spread over every unit with a quota; nobody has reported, so all are behind."""
    initialise(settings)
    database = Database(make_engine(settings.database_url))
    now = datetime(2024, 9, 2, tzinfo=UTC)
    admin = Person("telegram", "900", "Bench")

    def work(store) -> None:
        units = [unit for unit in store.units.active() if unit.weekly_quota > 0]
        people = [Person("telegram", str(100_000 + n), f"Thư ký {n}") for n in range(recipients)]
        people += [Person("zalo", f"{n:020x}", f"Thư ký Zalo {n}") for n in range(zalo)]
        for index, person in enumerate(people):
            request = store.members.request(person, units[index % len(units)].code, now)
            store.members.decide(request.id, MembershipStatus.APPROVED, admin, now)

    database.run(work)
    database.dispose()


def most_in_one_second(times: list[float]) -> int:
    ordered, most, start = sorted(times), 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def main(recipients: int, limit_per_second: int, zalo_recipients: int) -> None:
    with (
        FakeBotApi(TOKEN) as api,
        FakeZaloApi(ZALO_TOKEN) as zalo,
        tempfile.TemporaryDirectory() as directory,
    ):
        settings = bot_settings(api, Path(directory), UNITS_FILE=str(ROOT / "data" / "units.csv"))
        seed_recipients(settings, recipients, zalo_recipients)
        api.rate_limit = RateLimit(per_second=limit_per_second)
        env = cli_environment(settings)
        if zalo_recipients:
            env |= {
                "ZALO_BOT_TOKEN": ZALO_TOKEN,
                "ZALO_API_BASE_URL": zalo.base_url,
                "ZALO_MONTHLY_MESSAGE_BUDGET": "1000000",
            }
        started = time.monotonic()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "jobs",
                "run",
                "weekly-reminder",
                "--at",
                "2024-09-12T09:00",
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        wall = time.monotonic() - started
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        sends = [s for s in api.snapshot() if s.method == "sendMessage"]
        per_chat = collections.Counter(s.chat_id for s in sends)
        requests = [t for method, t in api.requests if method == "sendMessage"]
        first, last = min(requests), max(s.answered for s in sends)
        limit = api.rate_limit
        refusals = sum(1 for failure in api.failures if failure[2] == 429)
        zalo_sends = [s for s in zalo.snapshot() if s.method == "sendMessage"]

    floor = recipients / limit_per_second
    elapsed = last - first
    print(f"recipients: {recipients}, fake limit: {limit_per_second}/s sliding window, 429 beyond")
    print(f"delivered: {len(per_chat)} chats, exactly once: {set(per_chat.values()) == {1}}")
    print(f"429 answers: {refusals}, requests inside a retry_after window: {limit.violations}")
    print(f"fan-out time (first send to last answer): {elapsed:.1f} s")
    print(f"floor {floor:.1f} s; ratio {elapsed / floor:.3f} (goal ≤ 1.15)")
    print(f"whole command incl. start-up and planning: {wall:.1f} s")
    if zalo_recipients:
        zalo_chats = collections.Counter(s.chat_id for s in zalo_sends)
        times = [s.at for s in zalo_sends]
        print(
            f"Zalo: {len(zalo_chats)} of {zalo_recipients} chats, exactly once: "
            f"{set(zalo_chats.values()) == {1}}; most in any second: "
            f"{most_in_one_second(times)} (own limit 8); took {max(times) - min(times):.1f} s "
            f"(floor {zalo_recipients / 8:.1f} s); from {min(times) - first:.1f} s to "
            f"{max(times) - first:.1f} s after the first Telegram send"
        )
    print(result.stdout.strip())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=1000)
    # Below the bot's own pace (29/s) the server refuses some sends: shows the 429 path.
    parser.add_argument("--limit", type=int, default=LIMIT_PER_SECOND)
    parser.add_argument("--zalo", type=int, default=0, help="Zalo recipients mixed in")
    arguments = parser.parse_args()
    main(arguments.recipients, arguments.limit, arguments.zalo)
