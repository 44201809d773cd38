"""The tables as SQLAlchemy Core sees them, and what every repository shares."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row

from bot.domain.model.entities import (
    Unit,
    UnitKind,
)
from bot.storage.tables import (
    ContactRow,
    MembershipRow,
    OutboxRow,
    UnitRow,
)


def table_of(model: type) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


UNIT = table_of(UnitRow)
MEMBERSHIP = table_of(MembershipRow)
OUTBOX = table_of(OutboxRow)
CONTACT = table_of(ContactRow)

# Above this many codes a filter reads everything and keeps what it needs in Python, so a
# query never approaches the database's limit on bound parameters.
MAX_CODES_IN_QUERY = 5000

# Statements on the path of every report, built once: constructing and cache-keying a fresh
# statement per call costs more than running it.
_param = sa.bindparam


def unit_from_row(row: Row[Any]) -> Unit:
    return Unit(
        code=row.code,
        name=row.name,
        kind=UnitKind(row.kind),
        parent=row.parent_code,
        weekly_quota=row.weekly_quota,
        active=row.active,
    )


def new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise LookupError("the insert returned no primary key")
    return int(key[0])


def insert_if_absent(connection: Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """INSERT that does nothing on a key conflict; True if the row was inserted. On
    PostgreSQL it waits for a concurrent insert of the same key and then does nothing, so
    exactly one of two racing deliveries wins."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return connection.execute(statement).first() is not None
