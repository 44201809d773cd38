"""One table of conversation cases, run on Telegram, Zalo and the console ([zalo] 9): each
channel gets the same answers (in its own rendering) and the same figures. Registration with
approval by command, a report, the same message delivered twice, undo, progress, refusals."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.bootstrap import initialise, open_core
from bot.channels.console.simulator import ConsoleSimulator
from bot.clock import MovableClock
from bot.config import load_settings
from bot.domain import wording
from bot.domain.rendering import plain_text
from tests.support.fake_bot_api import FakeBotApi
from tests.support.fake_zalo_api import FakeZaloApi
from tests.support.harness import ADMIN, TOKEN, RunningBot, bot_settings
from tests.support.units import units_csv
from tests.support.zalo import QUIET, ZALO_ADMIN, ZALO_TOKEN, RunningZalo, zalo_settings


@dataclass(frozen=True)
class Case:
    who: str  # "secretary", "admin" or "stranger"
    text: str
    # Substrings of the plain-text answer the sender gets; None: no answer expected.
    expected: tuple[str, ...] | None
    # Deliver the secretary's previous message again (same message id).
    again: bool = False


CASES = [
    Case("secretary", "/dangky KM", ("yêu cầu đăng ký làm người báo cáo của Phường Khương Mai",)),
    Case("admin", "/duyet {secretary}", ("Phường Khương Mai",)),
    Case("secretary", "thêm 45 lượt ạ", ("45/200",)),
    Case("secretary", "", None, again=True),
    Case("secretary", "/tiendo", ("45/200",)),
    Case("secretary", "/huy", ("Đã hủy",)),
    Case("secretary", "/tiendo", ("0/200",)),
    Case("stranger", "/bc 5", (plain_text(wording.NOT_REGISTERED),)),
    Case("stranger", "/duyet 1", (plain_text(wording.NOT_ADMIN),)),
    Case("secretary", "mười lăm lượt", ("15/200",)),
]

Say = Callable[[str, str, bool], Awaitable[list[str]]]


async def settle(count: Callable[[], int], before: int, expect_answer: bool) -> None:
    deadline = time.monotonic() + 10
    while expect_answer and count() <= before:
        if time.monotonic() > deadline:
            raise AssertionError("no answer")
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # anything more that comes


async def run_cases(say: Say) -> None:
    for case in CASES:
        answers = await say(case.who, case.text, case.again)
        if case.expected is None:
            assert answers == [] or all("đã được ghi nhận trước đó" in a for a in answers)
            continue
        joined = "\n".join(answers)
        for expected in case.expected:
            assert expected in joined, (case, answers)


async def test_telegram(tmp_path):
    people = {"secretary": 1001, "admin": ADMIN, "stranger": 4242}
    with FakeBotApi(TOKEN) as api:
        bot = await RunningBot(bot_settings(api, tmp_path)).start()
        last: dict[str, dict] = {}
        try:

            async def say(who: str, text: str, again: bool) -> list[str]:
                user = people[who]
                before = len(api.messages_to(user))
                if again:
                    api.push_update({"message": last[who]})
                else:
                    text = text.format(**people)
                    last[who] = api.push_message(user_id=user, text=text)
                await settle(lambda: len(api.messages_to(user)), before, not again)
                return [plain_text(s.text) for s in api.messages_to(user)[before:]]

            await run_cases(say)
        finally:
            await bot.stop()


async def test_zalo(tmp_path):
    people = {"secretary": "f1e2d3c4b5a697887766", "admin": ZALO_ADMIN, "stranger": "9" * 20}
    with FakeZaloApi(ZALO_TOKEN, now=QUIET.timestamp) as zalo:
        async with RunningZalo(zalo_settings(zalo, tmp_path)):
            last: dict[str, dict] = {}

            async def say(who: str, text: str, again: bool) -> list[str]:
                user = people[who]
                before = len(zalo.texts_to(user))
                if again:
                    zalo.push(last[who])
                else:
                    last[who] = zalo.say(user, text.format(**people))
                await settle(lambda: len(zalo.texts_to(user)), before, not again)
                return zalo.texts_to(user)[before:]

            await run_cases(say)


async def test_console(tmp_path):
    people = {"secretary": "1001", "admin": "1", "stranger": "4242"}
    units = tmp_path / "units.csv"
    units.write_text(units_csv(), encoding="utf-8")
    settings = load_settings(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'quizbot.db'}",
            "UNITS_FILE": str(units),
            "CAMPAIGN_START": "2024-09-02",
            "TELEGRAM_BOT_TOKEN": "",
        },
        env_file=None,
    )
    initialise(settings)
    clock = MovableClock()
    clock.set(QUIET)
    core = open_core(settings, clock, console=True)
    out = io.StringIO()
    simulator = ConsoleSimulator(core, clock, io.StringIO(""), out)
    last: dict[str, str] = {}
    try:

        async def say(who: str, text: str, again: bool) -> list[str]:
            await simulator.handle_line(f":user {people[who]}")
            start = len(out.getvalue())
            if again:
                await simulator.handle_line(f":again {last[who]}")
            else:
                last[who] = str(simulator.state.next_message_id)
                await simulator.handle_line(text.format(**people))
            printed = out.getvalue()[start:]
            # Each answer is printed after a «🤖 [#N]» line.
            return [chunk.split("\n", 1)[1] for chunk in printed.split("🤖 [#")[1:]]

        await run_cases(say)
    finally:
        core.close()
