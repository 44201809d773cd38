"""The job runner and the outbox work through ports: on the in-memory store they queue,
deliver each send once, fence a run and record it, with no database at all (fast tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import FixedClock
from bot.domain.model.messages import (
    Delivery,
    DeliveryLimits,
    DeliveryStatus,
    Outbound,
    single_sends,
)
from bot.domain.model.policy import Policy
from bot.render.renderer import FileRenderer
from jobs.outbox import OutboxDispatcher
from jobs.runner import JobRunner
from tests.conftest import ADMIN_ID, at
from tests.support.dialogue import Dialogue, person
from tests.support.memory_store import MemoryDatabase, MemoryStore

THURSDAY = at("2024-09-12 09:00")


@dataclass
class MemoryCore:
    database: MemoryDatabase
    policy: Policy
    clock: FixedClock
    renderer: FileRenderer = field(default_factory=FileRenderer)

    def now(self):
        return self.clock.now()

    def refresh_campaign(self, now):
        """The policy's campaign is the test's own."""


class Recorder:
    platform = "telegram"
    limits = DeliveryLimits(concurrency=2)

    def __init__(self) -> None:
        self.sent: list[Outbound] = []

    def parts(self, message: Outbound) -> list[Outbound]:
        return single_sends(message, lambda text: [text])

    async def send(self, message: Outbound) -> Delivery:
        self.sent.append(message)
        return Delivery(DeliveryStatus.DELIVERED)


async def test_a_reminder_run_on_the_memory_store_is_queued_delivered_once_and_recorded(
    memory_store: MemoryStore, policy
):
    dialogue = Dialogue(memory_store, policy, at("2024-09-02 08:00"))
    for user_id, code in ((1001, "KM"), (1002, "KT")):
        dialogue.send(person(user_id, "Thư ký"), f"/dangky {code}")
        dialogue.send(person(ADMIN_ID, "Quản trị"), f"/duyet {user_id}")
    dialogue.send(person(1001, "Thư ký"), "thêm 50 lượt", at=at("2024-09-10 10:00"))
    core = MemoryCore(MemoryDatabase(memory_store), policy, FixedClock(THURSDAY))
    notifier = Recorder()
    runner = JobRunner(
        core, notifier, OutboxDispatcher(core.database, notifier), FixedClock(THURSDAY)
    )

    report = await runner.run("weekly-reminder", THURSDAY, now=THURSDAY)
    assert report.planned_now and report.queued == 2 and report.delivery.sent == 2
    # Furthest behind first: KT (nothing) before KM (50/200).
    assert [message.chat.chat_id for message in notifier.sent] == ["1002", "1001"]
    assert memory_store.outbox.counts() == {"sent": 2}
    assert memory_store.job_runs.has_run("weekly-reminder", "2024-09-12T09:00")

    again = await runner.run("weekly-reminder", THURSDAY, now=THURSDAY)
    assert not again.planned_now and again.delivery.sent == 0 and len(notifier.sent) == 2
    assert memory_store.job_runs.latest()["weekly-reminder"].state == "done"
