"""The outbox dispatcher against a scripted notifier (the outermost edge) and real SQLite."""

from __future__ import annotations

import time
from datetime import timedelta
from itertools import pairwise

import pytest

from bot.clock import SystemClock
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import (
    Delivery,
    DeliveryLimits,
    DeliveryStatus,
    DeliveryUncertain,
    Outbound,
    RateLimited,
    single_sends,
)
from jobs.outbox import OutboxDispatcher

FAST = {"first_retry": timedelta(milliseconds=50), "max_wait": timedelta(seconds=5)}


def chat(chat_id) -> ChatRef:
    return ChatRef("telegram", str(chat_id))


class ScriptedNotifier:
    """Answers each send from a per-chat script (default: delivered) and records it."""

    def __init__(self, limits: DeliveryLimits | None = None, script=None, platform="telegram"):
        self.limits = limits or DeliveryLimits(concurrency=4)
        self.platform = platform
        self.script = {key: list(value) for key, value in (script or {}).items()}
        self.sent: list[tuple[float, str, str]] = []
        self.attempts: list[str] = []
        self.refused_at: list[float] = []

    def parts(self, message: Outbound) -> list[Outbound]:
        return single_sends(message, lambda text: [text])

    async def send(self, message: Outbound) -> Delivery:
        self.attempts.append(message.chat.chat_id)
        outcomes = self.script.get(message.chat.chat_id)
        outcome = outcomes.pop(0) if outcomes else None
        if isinstance(outcome, Exception):
            self.refused_at.append(time.monotonic())
            raise outcome
        self.sent.append((time.monotonic(), message.chat.chat_id, message.text))
        return outcome or Delivery(DeliveryStatus.DELIVERED)

    def texts_to(self, chat_id) -> list[str]:
        return [text for _, to, text in self.sent if to == str(chat_id)]


def queue(database, messages):
    database.run(lambda store: store.outbox.enqueue(None, messages, SystemClock().now()))


async def test_everything_is_sent_once_in_each_chats_order(sqlite_database):
    notifier = ScriptedNotifier()
    queue(sqlite_database, [Outbound(chat(n), f"{n}-{i}") for i in range(3) for n in range(1, 6)])
    report = await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    assert report.sent == 15
    for n in range(1, 6):
        assert notifier.texts_to(n) == [f"{n}-0", f"{n}-1", f"{n}-2"]
    again = await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    assert again.sent == 0 and len(notifier.sent) == 15


async def test_each_row_goes_through_its_platforms_notifier_at_that_platforms_pace(
    sqlite_database,
):
    from bot.domain.delivery import Channels

    telegram = ScriptedNotifier(DeliveryLimits(per_second=5, concurrency=4))
    zalo = ScriptedNotifier(DeliveryLimits(per_second=50, concurrency=4), platform="zalo")
    queue(
        sqlite_database,
        [Outbound(chat(n), f"t{n}") for n in range(5)]
        + [Outbound(ChatRef("zalo", f"z{n:019x}"), f"z{n}") for n in range(10)],
    )
    started = time.monotonic()
    report = await OutboxDispatcher(
        sqlite_database, Channels([telegram, zalo]), SystemClock(), **FAST
    ).drain()
    assert report.sent == 15
    assert sorted(text for _, _, text in telegram.sent) == [f"t{n}" for n in range(5)]
    assert len(zalo.sent) == 10 and all(text.startswith("z") for _, _, text in zalo.sent)
    # Zalo's ten went out at Zalo's pace, beside Telegram's five (5/s), not after them.
    assert max(at for at, _, _ in zalo.sent) - started < 0.5


async def test_a_row_for_a_platform_without_a_channel_fails_at_once_with_the_reason(
    sqlite_database,
):
    notifier = ScriptedNotifier()
    queue(sqlite_database, [Outbound(ChatRef("zalo", "z1"), "a"), Outbound(chat(1), "b")])
    report = await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    assert report.sent == 1 and report.failed == 1 and report.postponed == 0
    assert notifier.attempts == ["1"]  # never handed to the Telegram notifier
    counts = sqlite_database.run(lambda store: store.outbox.counts())
    assert counts == {"sent": 1, "failed": 1}


async def test_sends_are_paced_evenly_under_the_overall_limit(sqlite_database):
    notifier = ScriptedNotifier(DeliveryLimits(per_second=50, concurrency=8))
    queue(sqlite_database, [Outbound(chat(n), "x") for n in range(30)])
    await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    times = sorted(at for at, _, _ in notifier.sent)
    gaps = [b - a for a, b in pairwise(times)]
    assert len(times) == 30
    assert min(gaps) >= 0.015  # 50/s is 20 ms apart; never a burst
    assert times[-1] - times[0] >= 29 * 0.019


async def test_one_chat_gets_one_message_a_second(sqlite_database):
    notifier = ScriptedNotifier(DeliveryLimits(per_chat_per_second=5, concurrency=4))
    queue(sqlite_database, [Outbound(chat(1), str(i)) for i in range(4)])
    await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    assert notifier.texts_to(1) == ["0", "1", "2", "3"]
    times = [at for at, _, _ in notifier.sent]
    assert all(b - a >= 0.18 for a, b in pairwise(times))


async def test_a_429_pauses_every_sender_then_resends_once(sqlite_database):
    notifier = ScriptedNotifier(
        DeliveryLimits(per_second=100, concurrency=4), script={"2": [RateLimited(0.5)]}
    )
    queue(sqlite_database, [Outbound(chat(n), f"m{n}") for n in range(1, 6)])
    report = await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    assert report.rate_limited == 1 and report.sent == 5
    assert sorted(to for _, to, _ in notifier.sent) == ["1", "2", "3", "4", "5"]
    assert notifier.attempts.count("2") == 2
    [refused] = notifier.refused_at
    # Nothing goes out during the pause the 429 asked for, and everything after it.
    assert [at for at, _, _ in notifier.sent if refused < at < refused + 0.5] == []
    assert all(at >= refused + 0.5 for at, to, _ in notifier.sent if at > refused)


async def test_a_chat_that_blocked_the_bot_is_marked_gone_and_the_rest_go_on(sqlite_database):
    sqlite_database.run(lambda store: store.chats.bind(chat(-2), "KM", _person(), time_now()))
    notifier = ScriptedNotifier(script={"-2": [Delivery(DeliveryStatus.CHAT_GONE)]})
    queue(sqlite_database, [Outbound(chat(n), "x") for n in (1, -2, 3)] + [Outbound(chat(-2), "y")])
    report = await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    assert report.gone == 1 and report.sent == 2
    assert notifier.attempts.count("-2") == 1
    assert sqlite_database.run(lambda store: store.outbox.counts()) == {"sent": 2, "gone": 2}
    assert sqlite_database.run(lambda store: store.chats.unit_chats(["KM"])) == {}


async def test_a_group_upgraded_to_a_supergroup_gets_the_rest_under_its_new_id(sqlite_database):
    old, new = chat(-500), chat(-100500)
    sqlite_database.run(lambda store: store.chats.bind(old, "KM", _person(), time_now()))
    notifier = ScriptedNotifier(script={"-500": [Delivery(DeliveryStatus.MIGRATED, "-100500")]})
    queue(sqlite_database, [Outbound(old, "một"), Outbound(old, "hai")])
    report = await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    assert report.sent == 2
    assert notifier.texts_to(-500) == ["một"]  # delivered by the notifier under the new id
    assert notifier.texts_to(-100500) == ["hai"]
    assert sqlite_database.run(lambda store: store.chats.unit_of(new)) == "KM"


async def test_a_timed_out_send_is_never_resent_and_errors_are_retried_then_given_up(
    sqlite_database,
):
    notifier = ScriptedNotifier(
        script={
            "1": [DeliveryUncertain("timeout")],
            "2": [OSError("reset")] * 2,
            "3": [OSError()] * 9,
        }
    )
    queue(sqlite_database, [Outbound(chat(n), "x") for n in (1, 2, 3)])
    dispatcher = OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST)
    await dispatcher.drain()
    counts = sqlite_database.run(lambda store: store.outbox.counts())
    assert counts == {"unknown": 1, "sent": 1, "failed": 1}
    assert notifier.attempts.count("1") == 1
    assert notifier.attempts.count("2") == 3
    assert notifier.attempts.count("3") == 5  # MAX_ATTEMPTS


async def test_a_send_in_flight_at_a_crash_is_not_sent_again(sqlite_database):
    queue(sqlite_database, [Outbound(chat(1), "a"), Outbound(chat(2), "b")])
    # claimed, then the crash
    sqlite_database.run(lambda store: store.outbox.claim_next(chat(1), time_now()))
    notifier = ScriptedNotifier()
    await OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST).drain()
    assert [to for _, to, _ in notifier.sent] == ["2"]


def time_now():
    return SystemClock().now()


def _person():
    from bot.domain.model.entities import Person

    return Person("telegram", "900", "Admin")


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level("ERROR", logger="jobs.outbox")


async def test_an_uncertain_send_is_never_resent_and_the_admins_hear_of_it(sqlite_database):
    from bot.clock import FixedClock
    from bot.core import Core
    from jobs.runner import JobRunner
    from tests.conftest import ADMIN_ID, at, make_policy

    def secretaries(store):
        from bot.domain.model.entities import MembershipStatus, Person

        for user_id, code in (("1001", "KM"), ("1002", "KT")):
            person = Person("telegram", user_id, user_id)
            request = store.members.request(person, code, at("2024-09-09 08:00"))
            store.members.decide(
                request.id, MembershipStatus.APPROVED, person, request.requested_at
            )

    sqlite_database.run(secretaries)
    campaign = sqlite_database.run(lambda store: store.campaigns.active())
    core = Core(sqlite_database, make_policy(campaign), FixedClock(at("2024-09-12 09:00")))
    notifier = ScriptedNotifier(script={"1001": [DeliveryUncertain("connection reset")]})
    dispatcher = OutboxDispatcher(sqlite_database, notifier, SystemClock(), **FAST)
    runner = JobRunner(core, notifier, dispatcher, wall_clock=SystemClock())
    report = await runner.run("weekly-reminder", at("2024-09-12 09:00"))
    assert report.delivery.uncertain == 1
    assert notifier.attempts.count("1001") == 1 and notifier.texts_to("1002")
    [warning] = notifier.texts_to(ADMIN_ID)
    assert "1 tin nhắn không rõ đã đến người nhận hay chưa" in warning
    # Running the period again resends nothing.
    await runner.run("weekly-reminder", at("2024-09-12 09:00"))
    assert notifier.attempts.count("1001") == 1
    counts = sqlite_database.run(lambda store: store.outbox.counts())
    assert counts["unknown"] == 1


async def test_with_the_shared_pacer_sends_keep_their_spacing_after_a_429(sql_database):
    """Several workers' pacing booked in the database (bot.cluster.pacing): a 429 pauses every
    sender, and moments booked before it are booked again after it, so the senders do not
    all go at once when the pause ends."""
    from bot.cluster.pacing import DatabasePacer

    notifier = ScriptedNotifier(
        DeliveryLimits(per_second=20, concurrency=8), script={"3": [RateLimited(0.4)]}
    )
    queue(sql_database, [Outbound(chat(n), f"m{n}") for n in range(1, 17)])
    dispatcher = OutboxDispatcher(
        sql_database, notifier, SystemClock(), pacer=DatabasePacer(sql_database), **FAST
    )
    report = await dispatcher.drain()
    assert report.rate_limited == 1 and report.sent == 16
    assert sorted(int(to) for _, to, _ in notifier.sent) == list(range(1, 17))
    [refused] = notifier.refused_at
    # A sender already past its booking when the 429 came goes out at once (within a few
    # ms on an idle machine, up to ~50 ms on a busy one); none starts later in the pause.
    in_flight = 0.05
    assert [at for at, _, _ in notifier.sent if refused + in_flight < at < refused + 0.4] == []
    after = sorted(at for at, _, _ in notifier.sent if at > refused + in_flight)
    # 20 a second is one every 50 ms: with a timer's jitter on a shared machine, never more
    # than 4 in 100 ms (without booking again, the 7 senders waiting out the pause would all
    # go at once)
    assert max(sum(1 for t in after if start <= t < start + 0.1) for start in after) <= 4
