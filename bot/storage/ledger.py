"""The report ledger: entries, their audit, the roll-up queries, and the messages already
handled (held reports: bot/storage/held.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model.entities import (
    Figure,
    MessageRef,
    Person,
    ReportEntry,
    ReportMode,
    UnitWeekTotal,
)
from bot.storage.schema import (
    MAX_CODES_IN_QUERY,
    UNIT,
    _param,
    insert_if_absent,
    new_id,
    table_of,
    unit_from_row,
)
from bot.storage.tables import (
    InboundMessageRow,
    ReportAuditRow,
    ReportEntryRow,
)

INBOUND = table_of(InboundMessageRow)
ENTRY = table_of(ReportEntryRow)
AUDIT = table_of(ReportAuditRow)
ENTRY_FOR_SOURCE = sa.select(ENTRY).where(
    ENTRY.c.source_platform == _param("platform"),
    ENTRY.c.source_chat_id == _param("chat_id"),
    ENTRY.c.source_message_id == _param("message_id"),
)
OWN_TOTAL = sa.select(sa.func.coalesce(sa.func.sum(ENTRY.c.delta), 0)).where(
    ENTRY.c.campaign_id == _param("campaign_id"),
    ENTRY.c.week_start == _param("week_start"),
    ENTRY.c.unit_code == _param("unit_code"),
    ENTRY.c.void.is_(False),
)
LIVE_ENTRIES = (
    sa.select(ENTRY)
    .where(
        ENTRY.c.campaign_id == _param("campaign_id"),
        ENTRY.c.week_start == _param("week_start"),
        ENTRY.c.unit_code == _param("unit_code"),
        ENTRY.c.void.is_(False),
    )
    .order_by(ENTRY.c.sent_at, ENTRY.c.id)
)
_AT_OR_AFTER = sa.or_(
    ENTRY.c.sent_at > _param("sent_at"),
    sa.and_(ENTRY.c.sent_at == _param("sent_at"), ENTRY.c.id >= _param("entry_id")),
)
LIVE_ENTRIES_SINCE = LIVE_ENTRIES.where(_AT_OR_AFTER)
_SENT_BY = ENTRY.c.sent_at <= _param("sent_at")
APPEND_POINT = sa.select(
    sa.func.coalesce(sa.func.sum(sa.case((_SENT_BY, ENTRY.c.delta), else_=0)), 0),
    sa.func.coalesce(sa.func.sum(sa.case((_SENT_BY, 0), else_=1)), 0),
).where(
    ENTRY.c.campaign_id == _param("campaign_id"),
    ENTRY.c.week_start == _param("week_start"),
    ENTRY.c.unit_code == _param("unit_code"),
    ENTRY.c.void.is_(False),
)
OWN_TOTAL_BEFORE = OWN_TOTAL.where(sa.not_(_AT_OR_AFTER))
SET_EFFECT = sa.update(ENTRY).where(ENTRY.c.id == _param("entry_id")).values(delta=_param("effect"))
LOCK_UNIT = sa.select(UNIT.c.code).where(UNIT.c.code == _param("code")).with_for_update()
INSERT_ENTRY = sa.insert(ENTRY)
INSERT_AUDIT = sa.insert(AUDIT)
_ENTRY_COLUMNS = (
    "campaign_id",
    "unit_code",
    "week_start",
    "delta",
    "mode",
    "requested",
    "reporter_platform",
    "reporter_user_id",
    "reporter_name",
    "source_platform",
    "source_chat_id",
    "source_message_id",
    "sent_at",
    "recorded_at",
    "void",
    "text",
)
_AUDIT_COLUMNS = (
    "action",
    "old_delta",
    "new_delta",
    "old_requested",
    "new_requested",
    "old_mode",
    "new_mode",
    "actor_platform",
    "actor_user_id",
    "source_chat_id",
    "source_message_id",
    "at",
)


def _entry_with_audit() -> sa.Insert:
    """PostgreSQL: a new entry and its audit row in one statement (a data-modifying CTE);
    the audit's parameters are named `audit_<column>`."""
    created = (
        sa.insert(ENTRY)
        .values({name: sa.bindparam(name, type_=ENTRY.c[name].type) for name in _ENTRY_COLUMNS})
        .returning(ENTRY.c.id)
        .cte("created")
    )
    audit = sa.select(
        created.c.id,
        *(sa.bindparam(f"audit_{name}", type_=AUDIT.c[name].type) for name in _AUDIT_COLUMNS),
    )
    return (
        sa.insert(AUDIT)
        .from_select(["entry_id", *_AUDIT_COLUMNS], audit)
        .returning(AUDIT.c.entry_id)
    )


ENTRY_WITH_AUDIT = _entry_with_audit()


def _entry(row: Row[Any]) -> ReportEntry:
    return ReportEntry(
        id=row.id,
        campaign_id=row.campaign_id,
        unit_code=row.unit_code,
        week_start=row.week_start,
        effect=row.delta,
        mode=ReportMode(row.mode),
        requested=row.requested,
        reporter=Person(row.reporter_platform, row.reporter_user_id, row.reporter_name),
        source=MessageRef(row.source_platform, row.source_chat_id, row.source_message_id),
        sent_at=row.sent_at,
        void=row.void,
        edited_at=row.edited_at,
    )


def unit_tree_cte(rooted: bool) -> sa.CTE:
    """(root, code) for every unit at or below each root unit: the unit tree walked by a
    recursive query, so a roll-up is one join with the ledger's per-unit sums. `rooted`:
    the roots are the units bound to `codes`; otherwise every unit is a root."""
    base = sa.select(UNIT.c.code.label("root"), UNIT.c.code.label("code"))
    if rooted:
        base = base.where(UNIT.c.code.in_(_param("codes", expanding=True)))
    tree = base.cte("unit_tree", recursive=True)
    child = UNIT.alias("child")
    return tree.union_all(
        sa.select(tree.c.root, child.c.code).where(child.c.parent_code == tree.c.code)
    )


def rolled_columns(tree: sa.CTE, own: sa.Subquery) -> list[sa.ColumnElement[Any]]:
    """Aggregates over a unit's subtree: total and entries, its own part, and how many
    units below it reported."""
    is_self = tree.c.code == tree.c.root
    zero = sa.literal(0)

    def summed(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        # PostgreSQL sums integers as numeric (Decimal in Python): figures are integers.
        return sa.cast(sa.func.coalesce(sa.func.sum(value), 0), sa.BigInteger)

    return [
        summed(own.c.own_total).label("total"),
        summed(own.c.own_entries).label("entries"),
        summed(sa.case((is_self, own.c.own_total), else_=zero)).label("own"),
        summed(sa.case((is_self, own.c.own_entries), else_=zero)).label("own_entries"),
        sa.func.count(sa.case((sa.and_(~is_self, own.c.own_entries > 0), 1))).label("reporting"),
    ]


def _own_sums(tree: sa.CTE, rooted: bool, by_week: bool) -> sa.Subquery:
    """Per-unit sums of live entries; for a few roots only the entries of their subtrees
    (a report's reply reads a ward and its cells, not the whole district)."""
    week = ENTRY.c.week_start
    conditions = [
        ENTRY.c.campaign_id == _param("campaign_id"),
        week.in_(_param("week_starts", expanding=True)) if by_week else week == _param("week"),
        ENTRY.c.void.is_(False),
    ]
    if rooted:
        conditions.append(ENTRY.c.unit_code.in_(sa.select(tree.c.code)))
    keys = [ENTRY.c.unit_code, week] if by_week else [ENTRY.c.unit_code]
    return (
        sa.select(
            *keys,
            sa.func.sum(ENTRY.c.delta).label("own_total"),
            sa.func.count(ENTRY.c.id).label("own_entries"),
        )
        .where(*conditions)
        .group_by(*keys)
        .subquery("own")
    )


def _week_totals_statement(rooted: bool) -> sa.Select[Any]:
    tree = unit_tree_cte(rooted)
    own = _own_sums(tree, rooted, by_week=False)
    return (
        sa.select(UNIT, *rolled_columns(tree, own))
        .select_from(
            UNIT.join(tree, tree.c.root == UNIT.c.code).outerjoin(
                own, own.c.unit_code == tree.c.code
            )
        )
        .where(UNIT.c.active.is_(True))
        .group_by(*UNIT.c)
    )


def _totals_by_week_statement(rooted: bool) -> sa.Select[Any]:
    tree = unit_tree_cte(rooted)
    own = _own_sums(tree, rooted, by_week=True)
    return (
        sa.select(tree.c.root, own.c.week_start, *rolled_columns(tree, own))
        .select_from(tree.join(own, own.c.unit_code == tree.c.code))
        .group_by(tree.c.root, own.c.week_start)
    )


# Built once (key: rooted at given units, or every unit): a reply to each report runs one.
WEEK_TOTALS = {rooted: _week_totals_statement(rooted) for rooted in (True, False)}
TOTALS_BY_WEEK = {rooted: _totals_by_week_statement(rooted) for rooted in (True, False)}


def _roots(wanted: set[str] | None) -> list[str] | None:
    """The units to roll up from; above MAX_CODES_IN_QUERY, all (the caller filters)."""
    if wanted is None or len(wanted) > MAX_CODES_IN_QUERY:
        return None
    return sorted(wanted)


def _figure(row: Row[Any]) -> Figure:
    return Figure(
        int(row.own), int(row.own_entries), int(row.total), int(row.entries), int(row.reporting)
    )


class SqlInbox:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def first_time(self, source: MessageRef, kind: str, at: datetime) -> bool:
        return insert_if_absent(
            self.connection,
            INBOUND,
            {
                "platform": source.platform,
                "chat_id": source.chat_id,
                "message_id": source.message_id,
                "kind": kind,
                "handled_at": at,
            },
        )


class SqlLedger:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def lock_unit(self, unit_code: str) -> None:
        # PostgreSQL: a row lock serialises read-total-then-write per unit. SQLite needs none:
        # BEGIN IMMEDIATE already holds the database's only write lock.
        if self.connection.dialect.name != "sqlite":
            self.connection.execute(LOCK_UNIT, {"code": unit_code})

    def entry_for(self, source: MessageRef) -> ReportEntry | None:
        row = self.connection.execute(
            ENTRY_FOR_SOURCE,
            {
                "platform": source.platform,
                "chat_id": source.chat_id,
                "message_id": source.message_id,
            },
        ).first()
        return _entry(row) if row else None

    def append(
        self,
        *,
        campaign_id: int,
        unit_code: str,
        week_start: date,
        mode: ReportMode,
        requested: int,
        reporter: Person,
        source: MessageRef,
        sent_at: datetime,
        recorded_at: datetime,
        effect: int = 0,
        text: str = "",
    ) -> ReportEntry:
        values = {
            "campaign_id": campaign_id,
            "unit_code": unit_code,
            "week_start": week_start,
            "delta": effect,
            "mode": mode.value,
            "requested": requested,
            "reporter_platform": reporter.platform,
            "reporter_user_id": reporter.user_id,
            "reporter_name": reporter.display_name,
            "source_platform": source.platform,
            "source_chat_id": source.chat_id,
            "source_message_id": source.message_id,
            "sent_at": sent_at,
            "recorded_at": recorded_at,
            "void": False,
            "text": text,
        }

        def made(entry_id: int) -> ReportEntry:
            return ReportEntry(
                entry_id,
                campaign_id,
                unit_code,
                week_start,
                effect,
                mode,
                requested,
                reporter,
                source,
                sent_at,
                False,
            )

        if self.connection.dialect.name == "postgresql":
            # The entry's id is not known before the insert; its audit row says only what
            # is known already, so both go in one statement.
            draft = made(0)
            audit = _audit_values(draft, "create", None, draft, reporter, source, recorded_at)
            parameters = values | {f"audit_{name}": audit[name] for name in _AUDIT_COLUMNS}
            entry_id = self.connection.execute(ENTRY_WITH_AUDIT, parameters).scalar_one()
            return made(int(entry_id))
        entry = made(new_id(self.connection.execute(INSERT_ENTRY, values)))
        self._audit(entry, "create", None, entry, reporter, source, recorded_at)
        return entry

    def reported_before(self, campaign_id: int, week_start: date, before: datetime) -> set[str]:
        rows = self.connection.execute(
            sa.select(ENTRY.c.unit_code)
            .where(
                ENTRY.c.campaign_id == campaign_id,
                ENTRY.c.week_start == week_start,
                ENTRY.c.void.is_(False),
                ENTRY.c.sent_at < before,
            )
            .distinct()
        )
        return {row.unit_code for row in rows}

    def week_records(
        self, campaign_id: int, unit_code: str, week_start: date
    ) -> list[tuple[datetime, Person, str, str, int, int, bool, tuple[Any, ...]]]:
        rows = list(
            self.connection.execute(
                sa.select(ENTRY)
                .where(
                    ENTRY.c.campaign_id == campaign_id,
                    ENTRY.c.unit_code == unit_code,
                    ENTRY.c.week_start == week_start,
                )
                .order_by(ENTRY.c.sent_at, ENTRY.c.id)
            )
        )
        changes: dict[int, list[tuple[str, datetime, str, int | None, int]]] = {}
        if rows:
            audits = self.connection.execute(
                sa.select(AUDIT)
                .where(AUDIT.c.entry_id.in_([row.id for row in rows]), AUDIT.c.action != "create")
                .order_by(AUDIT.c.at, AUDIT.c.id)
            )
            for audit in audits:
                changes.setdefault(audit.entry_id, []).append(
                    (
                        audit.action,
                        audit.at,
                        audit.actor_user_id,
                        audit.old_requested,
                        audit.new_requested,
                    )
                )
        return [
            (
                row.sent_at,
                Person(row.reporter_platform, row.reporter_user_id, row.reporter_name),
                row.text,
                row.mode,
                row.requested,
                row.delta,
                bool(row.void),
                tuple(changes.get(row.id, ())),
            )
            for row in rows
        ]

    def live_entries(
        self,
        campaign_id: int,
        unit_code: str,
        week_start: date,
        since: tuple[datetime, int] | None = None,
    ) -> list[ReportEntry]:
        key = {"campaign_id": campaign_id, "unit_code": unit_code, "week_start": week_start}
        if since is None:
            rows = self.connection.execute(LIVE_ENTRIES, key)
        else:
            rows = self.connection.execute(
                LIVE_ENTRIES_SINCE, {**key, "sent_at": since[0], "entry_id": since[1]}
            )
        return [_entry(row) for row in rows]

    def append_point(
        self, campaign_id: int, unit_code: str, week_start: date, sent_at: datetime
    ) -> tuple[int, bool]:
        key = {"campaign_id": campaign_id, "unit_code": unit_code, "week_start": week_start}
        total, later = self.connection.execute(APPEND_POINT, {**key, "sent_at": sent_at}).one()
        return int(total), int(later) > 0

    def own_total_before(
        self, campaign_id: int, unit_code: str, week_start: date, place: tuple[datetime, int]
    ) -> int:
        total = self.connection.execute(
            OWN_TOTAL_BEFORE,
            {
                "campaign_id": campaign_id,
                "unit_code": unit_code,
                "week_start": week_start,
                "sent_at": place[0],
                "entry_id": place[1],
            },
        ).scalar_one()
        return int(total)

    def set_effects(self, effects: Mapping[int, int]) -> None:
        if effects:
            self.connection.execute(
                SET_EFFECT,
                [{"entry_id": entry_id, "effect": effect} for entry_id, effect in effects.items()],
            )

    def own_total(self, campaign_id: int, unit_code: str, week_start: date) -> int:
        total = self.connection.execute(
            OWN_TOTAL,
            {"campaign_id": campaign_id, "week_start": week_start, "unit_code": unit_code},
        ).scalar_one()
        return int(total)

    def last_live_entry(
        self, campaign_id: int, reporter: Person, week_starts: Sequence[date]
    ) -> ReportEntry | None:
        row = self.connection.execute(
            sa.select(ENTRY)
            .where(
                ENTRY.c.reporter_platform == reporter.platform,
                ENTRY.c.reporter_user_id == reporter.user_id,
                ENTRY.c.campaign_id == campaign_id,
                ENTRY.c.week_start.in_(list(week_starts)),
                ENTRY.c.void.is_(False),
            )
            .order_by(ENTRY.c.sent_at.desc(), ENTRY.c.id.desc())
            .limit(1)
        ).first()
        return _entry(row) if row else None

    def void(self, entry: ReportEntry, by: Person, at: datetime, source: MessageRef | None) -> None:
        self.connection.execute(sa.update(ENTRY).where(ENTRY.c.id == entry.id).values(void=True))
        self._audit(entry, "void", entry, None, by, source, at)

    def revise(
        self,
        entry: ReportEntry,
        *,
        mode: ReportMode,
        requested: int,
        by: Person,
        at: datetime,
        edited_at: datetime,
    ) -> ReportEntry:
        self.connection.execute(
            sa.update(ENTRY)
            .where(ENTRY.c.id == entry.id)
            .values(mode=mode.value, requested=requested, edited_at=edited_at)
        )
        row = self.connection.execute(sa.select(ENTRY).where(ENTRY.c.id == entry.id)).one()
        revised = _entry(row)
        self._audit(entry, "edit", entry, revised, by, entry.source, at)
        return revised

    def week_totals(
        self, campaign_id: int, week_start: date, unit_codes: Sequence[str] | None
    ) -> list[UnitWeekTotal]:
        wanted = None if unit_codes is None else set(unit_codes)
        roots = _roots(wanted)
        parameters: dict[str, Any] = {"campaign_id": campaign_id, "week": week_start}
        if roots is not None:
            parameters["codes"] = roots
        rows = self.connection.execute(WEEK_TOTALS[roots is not None], parameters)
        return [
            UnitWeekTotal(unit_from_row(row), _figure(row))
            for row in rows
            if wanted is None or row.code in wanted
        ]

    def totals_by_week(
        self, campaign_id: int, week_starts: Sequence[date], unit_codes: Sequence[str] | None
    ) -> dict[tuple[str, date], Figure]:
        if not week_starts:
            return {}
        wanted = None if unit_codes is None else set(unit_codes)
        roots = _roots(wanted)
        parameters: dict[str, Any] = {"campaign_id": campaign_id, "week_starts": list(week_starts)}
        if roots is not None:
            parameters["codes"] = roots
        rows = self.connection.execute(TOTALS_BY_WEEK[roots is not None], parameters).all()
        # One bulk fetch unpacked as plain tuples: a district-wide digest reads ~10^5 rows.
        return {
            (root, week_start): Figure(own_total, own_entries, total, entries, reporting)
            for root, week_start, total, entries, own_total, own_entries, reporting in rows
            if wanted is None or root in wanted
        }

    def _audit(
        self,
        entry: ReportEntry,
        action: str,
        old: ReportEntry | None,
        new: ReportEntry | None,
        actor: Person,
        source: MessageRef | None,
        at: datetime,
    ) -> None:
        self.connection.execute(
            INSERT_AUDIT, _audit_values(entry, action, old, new, actor, source, at)
        )


def _audit_values(
    entry: ReportEntry,
    action: str,
    old: ReportEntry | None,
    new: ReportEntry | None,
    actor: Person,
    source: MessageRef | None,
    at: datetime,
) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "action": action,
        "old_delta": old.effect if old else None,
        "new_delta": new.effect if new else 0,
        "old_requested": old.requested if old else None,
        "new_requested": new.requested if new else entry.requested,
        "old_mode": old.mode.value if old else None,
        "new_mode": new.mode.value if new else None,
        "actor_platform": actor.platform,
        "actor_user_id": actor.user_id,
        "source_chat_id": source.chat_id if source else None,
        "source_message_id": source.message_id if source else None,
        "at": at,
    }
