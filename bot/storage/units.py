"""The unit table and the campaigns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from bot.domain.model.entities import (
    Campaign,
    Unit,
)
from bot.storage.schema import UNIT, _param, new_id, table_of, unit_from_row
from bot.storage.tables import (
    CampaignQuotaRow,
    CampaignRow,
)

CAMPAIGN = table_of(CampaignRow)
CAMPAIGN_QUOTA = table_of(CampaignQuotaRow)
GET_UNIT = sa.select(UNIT).where(UNIT.c.code == _param("code"))
CHILD_UNITS = sa.select(UNIT).where(UNIT.c.parent_code == _param("parent"), UNIT.c.active.is_(True))
ROOT_UNITS = sa.select(UNIT).where(UNIT.c.parent_code.is_(None), UNIT.c.active.is_(True))
# A tree this deep is a cycle in the units file, not a district.
MAX_DEPTH = 64


def _chain_query() -> sa.Select[Any]:
    """A unit and every unit above it, nearest first, in one recursive query."""
    start = sa.select(UNIT.c.code, UNIT.c.parent_code, sa.literal(0).label("depth")).where(
        UNIT.c.code == _param("code")
    )
    chain = start.cte("chain", recursive=True)
    above = UNIT.alias("above")
    chain = chain.union_all(
        sa.select(above.c.code, above.c.parent_code, chain.c.depth + 1).where(
            above.c.code == chain.c.parent_code, chain.c.depth < MAX_DEPTH
        )
    )
    return sa.select(UNIT, chain.c.depth).join(chain, UNIT.c.code == chain.c.code)


UNIT_CHAIN = _chain_query().order_by(sa.column("depth"))
# The chain, then the unit's active children (depth -1), in one statement.
UNIT_FAMILY = sa.union_all(
    _chain_query(),
    sa.select(UNIT, sa.literal(-1).label("depth")).where(
        UNIT.c.parent_code == _param("code"), UNIT.c.active.is_(True)
    ),
)
FAMILY_ORDER = sa.select(UNIT_FAMILY.subquery("family")).order_by(sa.column("depth"))


def _campaign(row: Row[Any]) -> Campaign:
    return Campaign(row.id, row.name, row.start_date, row.end_date, row.metric)


def _chain(rows: Iterable[Row[Any]]) -> list[Unit]:
    units: list[Unit] = []
    for row in rows:
        unit = unit_from_row(row)
        if unit in units:
            break  # a cycle
        units.append(unit)
    return units


class SqlUnits:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get(self, code: str) -> Unit | None:
        row = self.connection.execute(GET_UNIT, {"code": code}).first()
        return unit_from_row(row) if row else None

    def chain(self, code: str) -> list[Unit]:
        return _chain(self.connection.execute(UNIT_CHAIN, {"code": code}))

    def family(self, code: str) -> tuple[list[Unit], list[Unit]]:
        rows = list(self.connection.execute(FAMILY_ORDER, {"code": code}))
        children = [unit_from_row(row) for row in rows if row.depth < 0]
        return _chain(row for row in rows if row.depth >= 0), children

    def active(self) -> list[Unit]:
        query = sa.select(UNIT).where(UNIT.c.active.is_(True)).order_by(UNIT.c.code)
        return [unit_from_row(row) for row in self.connection.execute(query)]

    def everything(self) -> list[Unit]:
        return [unit_from_row(row) for row in self.connection.execute(sa.select(UNIT))]

    def children(self, parent_code: str | None) -> list[Unit]:
        if parent_code is None:
            rows = self.connection.execute(ROOT_UNITS)
        else:
            rows = self.connection.execute(CHILD_UNITS, {"parent": parent_code})
        return [unit_from_row(row) for row in rows]

    def apply_quotas(self, quotas: Mapping[str, int]) -> int:
        """Set the units' weekly quotas to a campaign's (those that differ); returns how
        many changed."""
        changed = 0
        # In code order: two workers switching at once lock the rows in the same order.
        for unit in sorted(self.everything(), key=lambda unit: unit.code):
            quota = quotas.get(unit.code)
            if quota is not None and quota != unit.weekly_quota:
                self.connection.execute(
                    sa.update(UNIT).where(UNIT.c.code == unit.code).values(weekly_quota=quota)
                )
                changed += 1
        return changed

    def upsert(self, unit: Unit) -> str:
        """Insert or update one unit; returns 'added', 'updated' or 'unchanged'."""
        values = {
            "name": unit.name,
            "kind": unit.kind.value,
            "parent_code": unit.parent,
            "weekly_quota": unit.weekly_quota,
            "active": unit.active,
        }
        current = self.get(unit.code)
        if current is None:
            self.connection.execute(sa.insert(UNIT).values(code=unit.code, **values))
            return "added"
        if current == unit:
            return "unchanged"
        self.connection.execute(sa.update(UNIT).where(UNIT.c.code == unit.code).values(**values))
        return "updated"


class SqlCampaigns:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def create(
        self, name: str, start: date, end: date | None, metric: str, *, quotas_from: str = "units"
    ) -> Campaign:
        result = self.connection.execute(
            sa.insert(CAMPAIGN).values(
                name=name,
                start_date=start,
                end_date=end,
                metric=metric,
                active=False,
                quotas_from=quotas_from,
            )
        )
        return _campaign(
            self.connection.execute(
                sa.select(CAMPAIGN).where(CAMPAIGN.c.id == new_id(result))
            ).one()
        )

    def get(self, campaign_id: int) -> Campaign | None:
        row = self.connection.execute(
            sa.select(CAMPAIGN).where(CAMPAIGN.c.id == campaign_id)
        ).first()
        return _campaign(row) if row else None

    def by_name(self, name: str) -> Campaign | None:
        row = self.connection.execute(sa.select(CAMPAIGN).where(CAMPAIGN.c.name == name)).first()
        return _campaign(row) if row else None

    def make_current(self, campaign_id: int) -> None:
        """Mark the campaign the bot works with (`active()` returns it)."""
        self.connection.execute(
            sa.update(CAMPAIGN)
            .where(CAMPAIGN.c.active != (CAMPAIGN.c.id == campaign_id))
            .values(active=CAMPAIGN.c.id == campaign_id)
        )

    def end(self, campaign_id: int, day: date) -> None:
        self.connection.execute(
            sa.update(CAMPAIGN).where(CAMPAIGN.c.id == campaign_id).values(end_date=day)
        )

    def follows_units_file(self, campaign_id: int) -> bool:
        row = self.connection.execute(
            sa.select(CAMPAIGN.c.quotas_from).where(CAMPAIGN.c.id == campaign_id)
        ).first()
        return row is not None and row.quotas_from == "units"

    def quotas(self, campaign_id: int) -> dict[str, int]:
        rows = self.connection.execute(
            sa.select(CAMPAIGN_QUOTA.c.unit_code, CAMPAIGN_QUOTA.c.weekly_quota).where(
                CAMPAIGN_QUOTA.c.campaign_id == campaign_id
            )
        )
        return {row.unit_code: row.weekly_quota for row in rows}

    def set_quotas(self, campaign_id: int, quotas: Mapping[str, int]) -> None:
        current = self.quotas(campaign_id)
        for code, quota in quotas.items():
            if code not in current:
                self.connection.execute(
                    sa.insert(CAMPAIGN_QUOTA).values(
                        campaign_id=campaign_id, unit_code=code, weekly_quota=quota
                    )
                )
            elif current[code] != quota:
                self.connection.execute(
                    sa.update(CAMPAIGN_QUOTA)
                    .where(
                        CAMPAIGN_QUOTA.c.campaign_id == campaign_id,
                        CAMPAIGN_QUOTA.c.unit_code == code,
                    )
                    .values(weekly_quota=quota)
                )

    def active(self) -> Campaign | None:
        row = self.connection.execute(
            sa.select(CAMPAIGN).where(CAMPAIGN.c.active.is_(True))
        ).first()
        return _campaign(row) if row else None

    def all(self) -> list[Campaign]:
        query = sa.select(CAMPAIGN).order_by(CAMPAIGN.c.start_date)
        return [_campaign(row) for row in self.connection.execute(query)]

    def activate(self, name: str, start: date, end: date | None, metric: str) -> Campaign:
        """Make the named campaign the active one, creating it or updating its dates.

        Earlier campaigns stay in the table with their entries, so their history remains
        queryable.
        """
        self.connection.execute(
            sa.update(CAMPAIGN).where(CAMPAIGN.c.name != name).values(active=False)
        )
        values = {"start_date": start, "end_date": end, "metric": metric, "active": True}
        updated = self.connection.execute(
            sa.update(CAMPAIGN).where(CAMPAIGN.c.name == name).values(**values)
        )
        if updated.rowcount == 0:
            self.connection.execute(sa.insert(CAMPAIGN).values(name=name, **values))
        row = self.connection.execute(sa.select(CAMPAIGN).where(CAMPAIGN.c.name == name)).one()
        return _campaign(row)
