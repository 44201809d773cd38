"""Model-based test of the ledger ([figures]): random interleavings of additions, totals,
edits, undos and repeated deliveries from two secretaries of a ward and one of its cells,
delivered out of sending order, compared after every step with a plain reference fold —
on the memory fake, SQLite and PostgreSQL. A ward's `tổng N` is its rolled-up figure: its own
share is N less what its cell had when the total was booked ([trust])."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN_ID, MemoryDatabase, at, make_policy
from tests.support.dialogue import Dialogue, person

ADMIN = person(ADMIN_ID, "Quản trị")
PEOPLE = [(person(1001, "An"), "KM"), (person(1002, "Bình"), "KM"), (person(1003, "Chi"), "KM01")]
WEEK_37 = date(2024, 9, 9)
SENT_FROM = at("2024-09-12 00:00")  # Thursday: every message is sent within the week ...
HANDLED_FROM = at("2024-09-13 09:00")  # ... and handled from Friday on, in any order.


@dataclass
class Sent:
    message_id: str
    who: int
    mode: str
    amount: int
    sent_at: datetime
    arrival: int
    live: bool = True
    # What the unit's own fold takes: for a ward's total, N less its cell's figure then.
    own_amount: int = 0


@dataclass
class Reference:
    """What the ledger must say: each unit's live entries folded in sending order."""

    sent: list[Sent] = field(default_factory=list)

    def own(self, unit: str) -> int:
        total = 0
        live = [s for s in self.sent if s.live and PEOPLE[s.who][1] == unit]
        for item in sorted(live, key=lambda s: (s.sent_at, s.arrival)):
            total = item.own_amount if item.mode == "set" else total + item.own_amount
        return total

    def own_share(self, who: int, mode: str, amount: int) -> int | None:
        """The own amount a report books: a ward's total less its cell's figure now (None:
        below it, refused); anything else as written."""
        if mode != "set" or PEOPLE[who][1] != "KM":
            return amount
        cell = self.own("KM01")
        return None if amount < cell else amount - cell

    def undo(self, who: int) -> None:
        mine = [s for s in self.sent if s.live and s.who == who]
        if mine:
            max(mine, key=lambda s: (s.sent_at, s.arrival)).live = False


report = st.tuples(
    st.just("report"),
    st.integers(0, 2),
    st.sampled_from(["add", "set"]),
    st.integers(0, 60),
    st.integers(0, 600),
)
edit = st.tuples(
    st.just("edit"), st.integers(0, 30), st.sampled_from(["add", "set"]), st.integers(0, 60)
)
undo = st.tuples(st.just("undo"), st.integers(0, 2))
again = st.tuples(st.just("again"), st.integers(0, 30))
steps = st.lists(st.one_of(report, report, edit, undo, again), min_size=1, max_size=20)


def words(mode: str, amount: int) -> str:
    return f"tổng {amount}" if mode == "set" else f"+{amount}"


def reset(database: Any) -> None:
    """A clean ledger for each example; units, campaign and memberships stay."""
    if isinstance(database, MemoryDatabase):
        store = database.store
        store.ledger.entries.clear()
        store.inbox.rows.clear()
        store.pending_reports.rows.clear()
        return

    def clear(store: Any) -> None:
        for table in ("report_audit", "report_entry", "inbound_message", "pending_report"):
            store.connection.execute(sa.text(f"DELETE FROM {table}"))

    database.run(clear)


def figures(dialogue: Dialogue) -> tuple[int, int, int, int]:
    def read(store: Any) -> tuple[int, int, int, int]:
        campaign = store.campaigns.active().id
        rolled = {
            row.unit.code: row.total
            for row in store.ledger.week_totals(campaign, WEEK_37, ["KM", "TX"])
        }
        return (
            store.ledger.own_total(campaign, "KM", WEEK_37),
            store.ledger.own_total(campaign, "KM01", WEEK_37),
            rolled["KM"],
            rolled["TX"],
        )

    return dialogue.query(read)


@pytest.fixture
def model_dialogue(any_database: Any) -> Dialogue:
    dialogue = Dialogue(None, make_policy(), HANDLED_FROM, database=any_database)
    for who, code in PEOPLE:
        dialogue.send(who, f"/register {code}", at=at("2024-09-09 08:00"))
        dialogue.send(ADMIN, f"/approve {who.user_id}", at=at("2024-09-09 08:00"))
    return dialogue


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=steps)
def test_every_interleaving_gives_the_reference_fold(model_dialogue: Dialogue, script):
    dialogue = model_dialogue
    reset(dialogue.database)
    reference = Reference()
    clock = HANDLED_FROM
    for step in script:
        clock += timedelta(minutes=1)
        kind = step[0]
        if kind == "report":
            _, who, mode, amount, minute = step
            if mode == "add" and amount == 0:
                amount = 1
            sent_at = SENT_FROM + timedelta(minutes=minute)
            replies = dialogue.send(
                PEOPLE[who][0], words(mode, amount), at=sent_at, processed_at=clock
            )
            own_amount = reference.own_share(who, mode, amount)
            if own_amount is None:
                assert "Chưa ghi nhận" in replies[0].text, replies[0].text
            else:
                assert "✅" in replies[0].text, replies[0].text
                reference.sent.append(
                    Sent(
                        dialogue.last_message_id(),
                        who,
                        mode,
                        amount,
                        sent_at,
                        len(reference.sent),
                        own_amount=own_amount,
                    )
                )
        elif kind == "edit" and reference.sent:
            _, index, mode, amount = step
            target = reference.sent[index % len(reference.sent)]
            if mode == "add" and amount == 0:
                amount = 1
            dialogue.edit(target.message_id, words(mode, amount), at=clock)
            own_amount = reference.own_share(target.who, mode, amount)
            if target.live and own_amount is not None:
                target.mode, target.amount, target.own_amount = mode, amount, own_amount
        elif kind == "undo":
            dialogue.send(PEOPLE[step[1]][0], "/huy", at=clock)
            reference.undo(step[1])
        elif kind == "again" and reference.sent:
            target = reference.sent[step[1] % len(reference.sent)]
            dialogue.again(target.message_id, at=clock)
        own_km, own_cell = reference.own("KM"), reference.own("KM01")
        assert figures(dialogue) == (own_km, own_cell, own_km + own_cell, own_km + own_cell), step
