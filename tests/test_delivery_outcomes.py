"""Sends whose outcome is unknown are never sent again ([durability] 3): a connection reset
after the request was written is recorded as uncertain; a refused connection (nothing left)
may be retried. A claim is stamped in real time and fenced, so a run "as if" in the past is
never taken over by another process, and a taken-over run queues nothing."""

from __future__ import annotations

import io
import socket
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from telegram import Bot
from telegram.error import NetworkError

from bot.channels.console.simulator import ConsoleNotifier, ConsoleState
from bot.channels.telegram.notifier import TelegramNotifier
from bot.clock import FixedClock
from bot.core import Core
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import DeliveryUncertain, Outbound
from bot.storage.job_runs import JOB_RUN
from jobs.outbox import OutboxDispatcher
from jobs.runner import JobRunner
from tests.conftest import at, make_policy

TOKEN = "4242:fake-token-for-the-loopback-api"
MESSAGE = Outbound(ChatRef("telegram", "1001"), "Nhắc nhở")


class ResettingServer:
    """Accepts each connection, reads the request, then closes without an answer: the
    request reached the server, its outcome is unknown to the sender."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.requests = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                if connection.recv(65536):
                    self.requests += 1

    def close(self) -> None:
        self.listener.close()


async def notifier_for(base_url: str) -> TelegramNotifier:
    # No initialize(): getMe would fail the same way; sending is what is measured here.
    return TelegramNotifier(Bot(TOKEN, base_url=f"{base_url}/bot"))


async def test_a_reset_after_the_request_left_is_uncertain_and_not_retried():
    server = ResettingServer()
    try:
        notifier = await notifier_for(f"http://127.0.0.1:{server.port}")
        with pytest.raises(DeliveryUncertain):
            await notifier.send(MESSAGE)
        assert server.requests >= 1
    finally:
        server.close()


async def test_a_refused_connection_is_an_ordinary_failure_to_retry():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    notifier = await notifier_for(f"http://127.0.0.1:{port}")
    with pytest.raises(NetworkError) as raised:
        await notifier.send(MESSAGE)
    assert not isinstance(raised.value, DeliveryUncertain)


def test_a_taken_over_claim_cannot_be_planned_by_its_first_owner(sql_database):
    slot = at("2024-09-12 09:00")
    first = at("2024-12-02 10:00")
    later = first + timedelta(minutes=3)  # the first claim looks abandoned by now

    def claim(moment):
        return sql_database.run(
            lambda store: store.job_runs.claim(
                "weekly-reminder", "2024-09-12T09:00", slot, moment, timedelta(minutes=2)
            )
        )

    run, mine = claim(first)
    assert mine
    _, taken = claim(later)
    assert taken
    assert not sql_database.run(lambda store: store.job_runs.planned(run.id, 5, later, first))
    assert sql_database.run(lambda store: store.job_runs.planned(run.id, 5, later, later))


async def test_a_run_as_if_in_the_past_is_claimed_in_real_time(sql_database):
    campaign = sql_database.run(lambda store: store.campaigns.active())
    as_if = at("2024-09-12 09:00")
    real = at("2024-12-02 10:00")
    core = Core(sql_database, make_policy(campaign), FixedClock(as_if))
    notifier = ConsoleNotifier(io.StringIO(), ConsoleState())
    runner = JobRunner(
        core, notifier, OutboxDispatcher(sql_database, notifier), wall_clock=FixedClock(real)
    )
    await runner.run("weekly-reminder", as_if)
    claimed = sql_database.run(
        lambda store: store.connection.execute(sa.select(JOB_RUN.c.claimed_at)).scalar_one()
    )
    assert claimed == real
