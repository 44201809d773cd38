"""What a digest's fan-out costs the database per send, on the leader's fenced and paced path
on PostgreSQL ([core]): counted with SQLAlchemy's statement events (bench/fanout_statements.py
runs the same measurement). Before the outbox claimed with one statement and carried the
lease's token in its writes, a digest to 2 chats ran 92 statements for 6 sends."""

from __future__ import annotations

import pytest

from bench.fanout_statements import measure

pytestmark = pytest.mark.postgres

# Per send: booking its moment (2 statements), the claim (1), the mark (1); the job's own
# planning (the ledger's claim, the digest's reads, the queueing) shared by the sends.
MAX_STATEMENTS_PER_SEND = 11


async def test_a_digest_fan_out_stays_within_its_statement_budget(postgres_url, tmp_path):
    _transactions, statements, sends = await measure(2, postgres_url, tmp_path)
    assert sends == 6  # a text, the chart and the spreadsheet to each chat
    assert statements <= MAX_STATEMENTS_PER_SEND * sends, statements
