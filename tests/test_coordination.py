"""What several workers agree on in the database ([scale] 10): the leader's lease and its
fencing token, each chat's turn, and the shared pacing of sends."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.cluster.ports import LeaseFence
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import DeliveryLimits, Outbound
from bot.domain.ports import LeaseLost
from bot.inbox.ports import ReceivedUpdate
from bot.storage.coordination import SqlChatTurns, SqlLeases, SqlSendSlots

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)
CHAT = ChatRef("telegram", "42")
TURN = timedelta(seconds=30)
TELEGRAM = DeliveryLimits(
    per_second=29, per_chat_per_second=1, per_group_per_minute=20, group_prefix="-"
)


def leases(database, work):
    return database.run(lambda store: work(SqlLeases(store.connection)))


def test_one_holder_at_a_time_and_a_takeover_raises_the_token(sql_database):
    assert leases(sql_database, lambda lease: lease.acquire("leader", "a", LEASE, T0)) == 1
    assert leases(sql_database, lambda lease: lease.acquire("leader", "b", LEASE, T0)) is None
    assert leases(sql_database, lambda lease: lease.renew("leader", "a", 1, LEASE, T0 + LEASE / 2))
    # a stopped renewing: once its lease ran out, b takes over with a higher token
    later = T0 + LEASE * 2
    assert leases(sql_database, lambda lease: lease.acquire("leader", "b", LEASE, later)) == 2
    assert not leases(sql_database, lambda lease: lease.renew("leader", "a", 1, LEASE, later))
    current = leases(sql_database, lambda lease: lease.current("leader"))
    assert (current.holder, current.token) == ("b", 2)


def test_a_write_under_an_old_token_is_refused_and_changes_nothing(sql_database):
    leases(sql_database, lambda lease: lease.acquire("leader", "a", LEASE, T0))
    later = T0 + LEASE * 2
    leases(sql_database, lambda lease: lease.acquire("leader", "b", LEASE, later))

    fenced = sql_database.fenced(lambda: LeaseFence("leader", 1, later))
    before = sql_database.run(lambda store: store.outbox.counts())
    with pytest.raises(LeaseLost):
        fenced.run(lambda store: store.outbox.enqueue(None, [Outbound(CHAT, "a")], later))
    assert sql_database.run(lambda store: store.outbox.counts()) == before
    # the current token writes; the outbox's own fenced statements refuse the old one
    current = sql_database.fenced(lambda: LeaseFence("leader", 2, later))
    current.run(lambda store: store.outbox.enqueue(None, [Outbound(CHAT, "a")], later))
    with pytest.raises(LeaseLost):
        fenced.run(lambda store: store.outbox.claim_next(CHAT, later))
    claimed = current.run(lambda store: store.outbox.claim_next(CHAT, later))
    with pytest.raises(LeaseLost):
        fenced.run(lambda store: store.outbox.finish(claimed.id, "sent", later))
    # settling what a crash left in flight is a leader's write too
    with pytest.raises(LeaseLost):
        fenced.run(lambda store: store.outbox.abandon_in_flight(later + LEASE, later))
    assert sql_database.run(lambda store: store.outbox.counts()) == {"sending": 1}
    current.run(lambda store: store.outbox.finish(claimed.id, "sent", later))
    assert sql_database.run(lambda store: store.outbox.counts()) == {"sent": 1}
    # the current token passes, and an expired one does not
    sql_database.run(lambda store: SqlLeases(store.connection).fence("leader", 2, later))
    with pytest.raises(LeaseLost):
        sql_database.run(
            lambda store: SqlLeases(store.connection).fence("leader", 2, later + LEASE * 2)
        )


def test_a_released_lease_is_taken_at_once(sql_database):
    leases(sql_database, lambda lease: lease.acquire("leader", "a", LEASE, T0))
    leases(sql_database, lambda lease: lease.release("leader", "a", 1, T0 + timedelta(seconds=1)))
    soon = T0 + timedelta(seconds=2)
    taken = leases(sql_database, lambda lease: lease.acquire("leader", "b", LEASE, soon))
    assert taken == 2


def store_updates(database, chat_id: str, keys: list[str]) -> None:
    batch = [ReceivedUpdate(key, int(key), chat_id, json.dumps({"key": key})) for key in keys]
    database.run(lambda store: store.received.store("telegram", batch, T0))


def turns(database, work):
    return database.run(lambda store: work(SqlChatTurns(store.connection)))


def test_a_chat_turn_hands_out_its_updates_in_order_to_one_worker(sql_database):
    store_updates(sql_database, "7", ["12", "10", "11"])
    first = turns(sql_database, lambda t: t.take_and_next("telegram", "7", "a", TURN, T0))
    assert first.key == "10"
    # b stored one more and asks: a holds the turn
    assert turns(sql_database, lambda t: t.take_and_next("telegram", "7", "b", TURN, T0)) is None
    handed = [first.key]

    def handled_and_next(key: str):
        return turns(
            sql_database, lambda t: t.handled_and_next("telegram", "7", key, "a", TURN, T0)
        )

    update = handled_and_next(first.key)
    while update is not None:
        handed.append(update.key)
        update = handled_and_next(update.key)
    assert handed == ["10", "11", "12"]
    # nothing left: the turn was given back, and b may take it for what comes next
    store_updates(sql_database, "7", ["13"])
    nxt = turns(sql_database, lambda t: t.take_and_next("telegram", "7", "b", TURN, T0))
    assert nxt.key == "13"


def test_a_dead_workers_chat_is_taken_up_once_its_turn_runs_out(sql_database):
    store_updates(sql_database, "8", ["20", "21"])
    turns(sql_database, lambda t: t.take_and_next("telegram", "8", "a", TURN, T0))
    # a dies holding the turn
    soon = T0 + timedelta(seconds=5)
    assert turns(sql_database, lambda t: t.waiting_chats("telegram", soon, soon)) == []
    later = T0 + TURN + timedelta(seconds=1)
    assert turns(sql_database, lambda t: t.waiting_chats("telegram", later, later)) == ["8"]
    update = turns(sql_database, lambda t: t.take_and_next("telegram", "8", "b", TURN, later))
    assert update.key == "20"


def book(database, chat_id: str, at: datetime, limits: DeliveryLimits = TELEGRAM) -> float:
    due = database.run(
        lambda store: SqlSendSlots(store.connection).reserve("telegram", chat_id, limits, at)
    )
    return (due - at).total_seconds()


def test_sends_to_one_chat_go_a_second_apart_after_a_short_burst(sql_database):
    per_chat = DeliveryLimits(per_chat_per_second=1)
    waits = [book(sql_database, "42", T0, per_chat) for _ in range(6)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == pytest.approx([1, 2, 3], abs=1e-5)
    # with the whole bot's rate as well, the burst is spread at that rate
    both = [book(sql_database, "43", T0 + timedelta(minutes=1)) for _ in range(4)]
    assert both == pytest.approx([0, 1 / 29, 2 / 29, 1], abs=1e-5)


def test_the_whole_bot_keeps_its_rate_across_chats(sql_database):
    waits = [book(sql_database, str(100 + n), T0) for n in range(58)]
    # 29 a second: the 30th send waits a second, the 58th almost two
    assert waits[0] == 0
    assert waits[29] == pytest.approx(1.0, abs=1e-5)
    assert waits[57] == pytest.approx(57 / 29, abs=1e-4)
    gaps = [b - a for a, b in itertools.pairwise(waits)]
    assert min(gaps) == pytest.approx(1 / 29, abs=1e-5)


def test_a_group_gets_twenty_messages_a_minute(sql_database):
    group = DeliveryLimits(per_group_per_minute=20, group_prefix="-")
    waits = [book(sql_database, "-1001", T0, group) for _ in range(22)]
    assert waits[:20] == [0] * 20
    assert waits[20] == pytest.approx(3.0, abs=1e-5)
    assert waits[21] == pytest.approx(6.0, abs=1e-5)
