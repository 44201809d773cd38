"""The job ledger and the outbox on the memory fake, SQLite and PostgreSQL."""

from datetime import timedelta

import pytest

from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import Attachment, Outbound
from tests.conftest import at

NOW = at("2024-09-12 09:00")
STALE = timedelta(minutes=2)
A, B = ChatRef("telegram", "1001"), ChatRef("telegram", "-500")


@pytest.fixture
def database(any_database):
    return any_database


def test_a_period_is_claimed_once(database):
    run, must_plan = database.run(
        lambda store: store.job_runs.claim("weekly-reminder", "p1", NOW, NOW, STALE)
    )
    assert must_plan and run.state == "planning"
    again, again_plan = database.run(
        lambda store: store.job_runs.claim("weekly-reminder", "p1", NOW, NOW, STALE)
    )
    assert again.id == run.id and not again_plan
    other, other_plan = database.run(
        lambda store: store.job_runs.claim("weekly-reminder", "p2", NOW, NOW, STALE)
    )
    assert other.id != run.id and other_plan


def test_an_unplanned_claim_is_taken_over_once_stale_and_a_planned_one_never(database):
    run, _ = database.run(lambda store: store.job_runs.claim("j", "p", NOW, NOW, STALE))
    soon = NOW + timedelta(minutes=1)
    assert not database.run(lambda store: store.job_runs.claim("j", "p", NOW, soon, STALE))[1]
    later = NOW + timedelta(minutes=3)
    assert database.run(lambda store: store.job_runs.claim("j", "p", NOW, later, STALE))[1]
    # The takeover renewed the claim: nobody else takes it right after.
    assert not database.run(lambda store: store.job_runs.claim("j", "p", NOW, later, STALE))[1]
    database.run(lambda store: store.job_runs.planned(run.id, 0, later))
    much_later = NOW + timedelta(days=1)
    assert not database.run(lambda store: store.job_runs.claim("j", "p", NOW, much_later, STALE))[1]


def enqueue(database, run_id, parts):
    database.run(lambda store: store.outbox.enqueue(run_id, parts, NOW))


def test_outbox_keeps_each_chats_order_and_claims_once(database):
    run, _ = database.run(lambda store: store.job_runs.claim("j", "p", NOW, NOW, STALE))
    png = Attachment("c.png", b"\x89PNG...", "photo")
    enqueue(
        database,
        run.id,
        [Outbound(A, "một"), Outbound(B, "hai"), Outbound(A, "", attachments=(png,))],
    )
    database.run(lambda store: store.job_runs.planned(run.id, 3, NOW))
    assert database.run(lambda store: store.outbox.ready_chats(NOW)) == [A, B]
    first = database.run(lambda store: store.outbox.claim_next(A, NOW))
    assert first.message.text == "một" and first.attempts == 0 and first.more
    database.run(lambda store: store.outbox.finish(first.id, "sent", NOW))
    # claimed once: the next claim takes the chat's next send
    second = database.run(lambda store: store.outbox.claim_next(A, NOW))
    assert second.id != first.id
    assert second.message.attachments == (png,) and second.message.text == ""
    assert not second.more
    database.run(lambda store: store.outbox.finish(second.id, "sent", NOW))
    assert database.run(lambda store: store.job_runs.finish_completed(NOW)) == 0
    assert database.run(lambda store: store.job_runs.finish_completed(NOW)) == 0
    item = database.run(lambda store: store.outbox.claim_next(B, NOW))
    database.run(lambda store: store.outbox.finish(item.id, "sent", NOW))
    assert database.run(lambda store: store.job_runs.finish_completed(NOW)) == 1
    assert database.run(lambda store: store.job_runs.latest())["j"].state == "done"
    assert database.run(lambda store: store.outbox.counts(run.id)) == {"sent": 3}


def test_a_postponed_send_blocks_its_chat_until_due(database):
    enqueue(database, None, [Outbound(A, "một"), Outbound(A, "hai")])
    item = database.run(lambda store: store.outbox.claim_next(A, NOW))
    later = NOW + timedelta(seconds=30)
    database.run(lambda store: store.outbox.postpone(item.id, later, NOW, "429"))
    assert database.run(lambda store: store.outbox.ready_chats(NOW)) == []
    assert database.run(lambda store: store.outbox.claim_next(A, NOW)) is None
    assert database.run(lambda store: store.outbox.next_wakeup()) == later
    again = database.run(lambda store: store.outbox.claim_next(A, later))
    assert again.id == item.id and again.attempts == 1


def test_gone_chats_rerouted_chats_and_abandoned_sends(database):
    enqueue(database, None, [Outbound(A, "một"), Outbound(A, "hai"), Outbound(B, "ba")])
    assert database.run(lambda store: store.outbox.drop_chat(A, "gone", NOW)) == 2
    new_b = ChatRef("telegram", "-100500")
    database.run(lambda store: store.outbox.reroute(B, new_b, NOW))
    assert database.run(lambda store: store.outbox.ready_chats(NOW)) == [new_b]
    database.run(lambda store: store.outbox.claim_next(new_b, NOW))
    assert database.run(lambda store: store.outbox.abandon_in_flight(NOW, NOW)) == []
    abandoned = database.run(
        lambda store: store.outbox.abandon_in_flight(NOW + timedelta(seconds=1), NOW)
    )
    assert [send.chat for send in abandoned] == [new_b]
    assert database.run(lambda store: store.outbox.counts()) == {"gone": 2, "unknown": 1}


def test_an_outbox_row_is_one_send(database):
    png = Attachment("c.png", b"x", "photo")
    with pytest.raises(ValueError):
        enqueue(database, None, [Outbound(A, "text and a file", attachments=(png,))])
